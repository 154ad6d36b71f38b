/*
 * countdown: an example flagman plug-in, built against the installed
 * <flagman/action.h> alone.  Each run prints the number of runs left, waits
 * `interval` without blocking flagman, and once it reaches zero prints its
 * message and closes itself.
 *
 *	cc $(pkg-config --cflags flagman) -shared -fPIC -o countdown.so countdown.c
 *	install -m 644 countdown.so $(pkg-config --variable=plugindir flagman)
 */
#include <stddef.h>
#include <stdio.h>

#include <flagman/action.h>

struct countdown {
	long long from;    /* argument */
	uint64_t interval; /* argument, ms */
	char *message;     /* argument */
	long long left;    /* runs left */
};

// Runs at load and for --check: a problem names the key it is about.
static void countdown_validate(const void *state, struct fm_check *check)
{
	const struct countdown *c = state;

	if (c->message && !c->message[0]) {
		fm_check_error(check, "message", "an empty 'message' would print "
			"an empty line");
	}
	if (c->interval > 0 && c->interval < 10) {
		fm_check_error(check, "interval", "'interval' is 0 or at least "
			"10ms");
	}
}

static int countdown_set_up(struct fm_action *action, void *state)
{
	struct countdown *c = state;

	c->left = c->from;
	fm_action_log(action, FM_LOG_INFO, "counting down from %lld", c->from);
	return 0;
}

static int countdown_run(struct fm_action *action, void *state,
	const struct fm_run *run)
{
	struct countdown *c = state;

	printf("%s: %lld\n", run->signame, c->left);
	fflush(stdout);
	if (--c->left == 0) {
		printf("%s\n", c->message);
		fflush(stdout);
		fm_action_close(action, "countdown finished");
	}
	if (c->interval == 0) {
		return FM_RESULT_OK;
	}
	// Completes later, from on_timer: flagman keeps serving meanwhile.
	fm_action_set_timer(action, c->interval);
	return FM_RUN_PENDING;
}

static void countdown_on_timer(struct fm_action *action, void *state)
{
	(void)state;
	printf("tick\n");
	fflush(stdout);
	fm_action_done(action, FM_RESULT_OK);
}

static void countdown_stop(struct fm_action *action, void *state, bool force)
{
	(void)state;
	(void)force;
	fm_action_set_timer(action, 0);
	fm_action_done(action, FM_RESULT_OK);
}

static const struct fm_arg_spec countdown_args[] = {
	{ "from", FM_ARG_INT, .default_value = "3", .min = 1, .max = 1000,
		.offset = offsetof(struct countdown, from),
		.help = "how many runs before the action closes" },
	{ "interval", FM_ARG_DURATION, .default_value = "0",
		.offset = offsetof(struct countdown, interval),
		.help = "how long each run takes" },
	{ "message", FM_ARG_STRING, .default_value = "liftoff",
		.offset = offsetof(struct countdown, message),
		.help = "printed after the last run" },
	{ 0 },
};

static const struct fm_action_type countdown = {
	.abi = FM_ACTION_ABI,
	.name = "countdown",
	.description = "Example plug-in: prints the runs left, takes "
		"'interval' per run, and closes itself after the last.",
	.args = countdown_args,
	.state_size = sizeof(struct countdown),
	.validate = countdown_validate,
	.set_up = countdown_set_up,
	.run = countdown_run,
	.stop = countdown_stop,
	.on_timer = countdown_on_timer,
};

static const struct fm_action_type *const types[] = { &countdown, NULL };

const struct fm_plugin fm_plugin = { FM_ACTION_ABI, types };
