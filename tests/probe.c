/*
 * probe: a plug-in for the reload tests.  Each stage prints a line naming the
 * action's label, so a test sees exactly which instance was set up, run and
 * torn down; the run counter lives in the state, so a test sees whether an
 * instance kept it.  fail = yes makes set_up fail; stamp = yes adds to
 * each run the merged count and the time (CLOCK_MONOTONIC ms) it started,
 * for the pacing tests.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <flagman/action.h>

struct probe {
	char *label;
	bool fail;
	bool stamp;
	unsigned runs;
};

static int probe_set_up(struct fm_action *action, void *state)
{
	struct probe *p = state;

	printf("set up %s%s\n", p->label, p->fail ? ": failing" : "");
	fflush(stdout);
	if (p->fail) {
		fm_action_log(action, FM_LOG_ERROR, "asked to fail");
		return -EIO;
	}
	return 0;
}

static int probe_run(struct fm_action *action, void *state,
	const struct fm_run *run)
{
	struct probe *p = state;

	struct timespec ts;

	(void)action;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("run %s %u (%s)", p->label, ++p->runs, run->signame);
	if (p->stamp) {
		printf(" merged %u at %lld", run->merged,
			(long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	}
	printf("\n");
	fflush(stdout);
	return FM_RESULT_OK;
}

static void probe_tear_down(struct fm_action *action, void *state)
{
	struct probe *p = state;

	(void)action;
	printf("tear down %s\n", p->label);
	fflush(stdout);
}

static const struct fm_arg_spec probe_args[] = {
	{ "label", FM_ARG_STRING, .required = true,
		.offset = offsetof(struct probe, label) },
	{ "fail", FM_ARG_BOOL, .default_value = "no",
		.offset = offsetof(struct probe, fail) },
	{ "stamp", FM_ARG_BOOL, .default_value = "no",
		.offset = offsetof(struct probe, stamp) },
	{ 0 },
};

static const struct fm_action_type probe = {
	.abi = FM_ACTION_ABI,
	.name = "probe",
	.description = "Test plug-in: prints each stage with its label.",
	.args = probe_args,
	.state_size = sizeof(struct probe),
	.set_up = probe_set_up,
	.run = probe_run,
	.tear_down = probe_tear_down,
};

static const struct fm_action_type *const types[] = { &probe, NULL };

const struct fm_plugin fm_plugin = { FM_ACTION_ABI, types };
