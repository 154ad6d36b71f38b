/*
 * probe: a plug-in for the reload tests.  Each stage prints a line naming the
 * action's label, so a test sees exactly which instance was set up, run and
 * torn down; the run counter lives in the state, so a test sees whether an
 * instance kept it.  fail = yes makes set_up fail.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>

#include <flagman/action.h>

struct probe {
	char *label;
	bool fail;
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

	(void)action;
	printf("run %s %u (%s)\n", p->label, ++p->runs, run->signame);
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
