/*
 * Reload (flagman(8), RELOAD), end to end: the real binary, a real notify
 * socket, real signals.  The probe plug-in (tests/probe.c) prints every
 * set-up, run and tear-down with the action's label and a run counter kept
 * in its state, so each test sees exactly which instances a reload kept,
 * replaced or added.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"
#include "procinfo.h"

// Starts flagman -c f.conf with extra arguments; waits for READY=1.
static void start(struct tp_probe *f, const char *const *extra)
{
	const char *argv[16] = { "flagman", "-c", f->conf };
	size_t n = 3;

	while (extra && *extra) {
		argv[n++] = *extra++;
	}
	argv[n] = NULL;
	t_start(&f->p, argv, NULL, true);
	f->started = true;
	assert_true(t_notify_until(&f->p, "READY=1", T_TIMEOUT));
}

static unsigned long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000 +
		(unsigned long long)ts.tv_nsec / 1000;
}

/*
 * Sends sig and follows the reload on the notify socket: RELOADING=1 with a
 * MONOTONIC_USEC taken during it, then READY=1, then the STATUS= that
 * follows, which is copied into status.
 */
static void reload(struct tp_probe *f, int sig, char *status, size_t size)
{
	unsigned long long before = now_us() / 1000 * 1000, after, usec;
	char msg[4096];
	const char *at;

	t_kill(&f->p, sig);
	do {
		assert_true(t_notify(&f->p, msg, sizeof(msg), T_TIMEOUT));
	} while (!strstr(msg, "RELOADING=1"));
	after = now_us();
	at = strstr(msg, "MONOTONIC_USEC=");
	assert_non_null(at);
	usec = strtoull(at + strlen("MONOTONIC_USEC="), NULL, 10);
	assert_true(usec >= before && usec <= after);
	assert_true(t_notify(&f->p, msg, sizeof(msg), T_TIMEOUT));
	assert_string_equal(msg, "READY=1");
	assert_true(t_notify(&f->p, msg, sizeof(msg), T_TIMEOUT));
	assert_non_null(strstr(msg, "STATUS="));
	snprintf(status, size, "%s", msg);
}

static void stop(struct tp_probe *f, const char *rest)
{
	t_kill(&f->p, SIGTERM);
	assert_int_equal(t_wait(&f->p, T_TIMEOUT), 0);
	assert_string_equal(t_rest(&f->p), rest);
}

#define OUT(...) t_expect_out(&f->p, (const char *const[]){ __VA_ARGS__, \
	NULL })

static const char hello[] =
	"[hello]\naction = print\nsignal = usr1\nmessage = hello\n";

/* ---- a good edit is swapped in ---- */

static void test_good(void **state)
{
	struct tp_probe *f = *state;
	char status[4096];

	tp_probe_conf(f, NULL, hello);
	start(f, NULL);
	OUT("init");
	t_kill(&f->p, SIGUSR1);
	OUT("hello");
	tp_probe_conf(f, NULL, "[hello]\naction = print\nsignal = usr1\n"
		"message = hello again\n");
	reload(f, SIGHUP, status, sizeof(status));
	assert_non_null(strstr(status, "reloaded"));
	// Changed: the new instance is set up before the old is torn down.
	OUT("init", "cleanup");
	t_kill(&f->p, SIGUSR1);
	OUT("hello again");
	stop(f, "cleanup\n");
}

/* ---- a bad edit keeps the old set, and says why ---- */

static void test_bad(void **state)
{
	struct tp_probe *f = *state;
	char status[4096], line[4096], expected[4096];

	tp_probe_conf(f, NULL, hello);
	start(f, NULL);
	OUT("init");
	tp_probe_conf(f, NULL, "[hello]\naction = print\nsignal = usr3\n"
		"message = changed\ncolour = red\n");
	reload(f, SIGHUP, status, sizeof(status));
	assert_non_null(strstr(status, "reload failed (2 errors)"));
	// Every diagnostic, in line order, then the verdict.
	assert_true(t_err_line(&f->p, line, sizeof(line), T_TIMEOUT));
	snprintf(expected, sizeof(expected), "flagman: error: %s:6: "
		"[hello]: unknown signal 'usr3'", f->conf);
	assert_string_equal(line, expected);
	assert_true(t_err_line(&f->p, line, sizeof(line), T_TIMEOUT));
	snprintf(expected, sizeof(expected), "flagman: error: %s:8: "
		"[hello]: unknown key 'colour'", f->conf);
	assert_string_equal(line, expected);
	assert_true(t_err_line(&f->p, line, sizeof(line), T_TIMEOUT));
	assert_string_equal(line, "flagman: error: reload failed: 2 errors; "
		"keeping the running configuration");
	// The old action still runs, untouched (no cleanup, no init), and
	// STATUS= goes on saying that the reload failed.
	t_kill(&f->p, SIGUSR1);
	OUT("hello");
	assert_true(t_notify_until(&f->p, "STATUS=1 action (USR1: 1); last: "
		"USR1 ok; reload failed (2 errors), running the old configuration",
		T_TIMEOUT));
	// Fixed: the next reload works.
	tp_probe_conf(f, NULL, "[hello]\naction = print\nsignal = usr1\n"
		"message = fixed\n");
	reload(f, SIGHUP, status, sizeof(status));
	assert_null(strstr(status, "failed"));
	OUT("init", "cleanup");
	t_kill(&f->p, SIGUSR1);
	OUT("fixed");
	stop(f, "cleanup\n");
}

// A configuration without any enabled action is an error like any other.
static void test_empty(void **state)
{
	struct tp_probe *f = *state;
	char status[4096];

	tp_probe_conf(f, NULL, hello);
	start(f, NULL);
	OUT("init");
	tp_probe_conf(f, NULL, "[hello]\naction = print\nsignal = usr1\n"
		"message = hello\nenabled = no\n");
	reload(f, SIGHUP, status, sizeof(status));
	assert_non_null(strstr(status, "reload failed (1 error)"));
	assert_true(t_err_until(&f->p, "no actions are configured", T_TIMEOUT));
	t_kill(&f->p, SIGUSR1);
	OUT("hello");
	stop(f, "cleanup\n");
}

/* ---- which instances a reload keeps ---- */

static const char probes_ab[] =
	"[a]\naction = probe\nsignal = usr1\nlabel = a\n\n"
	"[b]\naction = probe\nsignal = usr1\nlabel = b\n";

static void test_instances(void **state)
{
	struct tp_probe *f = *state;
	static const char *const cli[] = { "--usr1", "probe", "cli", NULL };
	char status[4096];

	tp_probe_conf(f, NULL, probes_ab);
	start(f, cli);
	OUT("set up a", "set up b", "set up cli");
	t_kill(&f->p, SIGUSR1);
	OUT("run a 1 (USR1)", "run b 1 (USR1)", "run cli 1 (USR1)");

	// b changes, c is new; a and the command line's action are unchanged.
	tp_probe_conf(f, NULL, "[a]\naction = probe\nsignal = usr1\nlabel = a\n\n"
		"[b]\naction = probe\nsignal = usr1\nlabel = b2\n\n"
		"[c]\naction = probe\nsignal = usr1 usr2\nlabel = c\n");
	reload(f, SIGHUP, status, sizeof(status));
	// New instances are set up first; only then is the old b torn down.
	OUT("set up b2", "set up c", "tear down b");
	t_kill(&f->p, SIGUSR1);
	// a and cli kept their state: their counters go on.
	OUT("run a 2 (USR1)", "run b2 1 (USR1)", "run c 1 (USR1)",
		"run cli 2 (USR1)");

	// Only c's signals change, and a goes away.
	tp_probe_conf(f, NULL, "[b]\naction = probe\nsignal = usr1\nlabel = b2\n\n"
		"[c]\naction = probe\nsignal = usr2\nlabel = c\n");
	reload(f, SIGHUP, status, sizeof(status));
	OUT("set up c", "tear down a", "tear down c");
	t_kill(&f->p, SIGUSR1);
	OUT("run b2 2 (USR1)", "run cli 3 (USR1)");
	t_kill(&f->p, SIGUSR2);
	OUT("run c 1 (USR2)");

	// The same again: nothing is torn down or set up.
	reload(f, SIGHUP, status, sizeof(status));
	t_kill(&f->p, SIGUSR1);
	OUT("run b2 3 (USR1)", "run cli 4 (USR1)");
	stop(f, "tear down b2\ntear down c\ntear down cli\n");
}

// With print, as the original's users know it: no init/cleanup lines for an
// unchanged section, init (new) then cleanup (old) for a changed one.
static void test_print_lines(void **state)
{
	struct tp_probe *f = *state;
	char status[4096];

	tp_probe_conf(f, NULL, "[one]\naction = print\nsignal = usr1\n"
		"message = one\n\n[two]\naction = print\nsignal = usr1\n"
		"message = two\n");
	start(f, NULL);
	OUT("init", "init");
	tp_probe_conf(f, NULL, "[one]\naction = print\nsignal = usr1\n"
		"message = one\n\n[two]\naction = print\nsignal = usr1\n"
		"message = two, changed\n");
	reload(f, SIGHUP, status, sizeof(status));
	OUT("init", "cleanup");
	reload(f, SIGHUP, status, sizeof(status));
	// Had anything been torn down or set up, its line would come first.
	t_kill(&f->p, SIGUSR1);
	OUT("one", "two, changed");
	stop(f, "cleanup\ncleanup\n");
}

/* ---- a closed print_once stays closed while its section is unchanged ---- */

static void test_closed_stays_closed(void **state)
{
	struct tp_probe *f = *state;
	char status[4096];

	tp_probe_conf(f, NULL, "[once]\naction = print_once\nsignal = usr2\n"
		"message = once\n\n[hello]\naction = print\nsignal = usr1\n"
		"message = hello\n");
	start(f, NULL);
	OUT("init", "init");
	t_kill(&f->p, SIGUSR2);
	OUT("once", "cleanup");

	// Another section changes; [once] does not, and stays closed.
	tp_probe_conf(f, NULL, "[once]\naction = print_once\nsignal = usr2\n"
		"message = once\n\n[hello]\naction = print\nsignal = usr1\n"
		"message = hello 2\n");
	reload(f, SIGHUP, status, sizeof(status));
	assert_non_null(strstr(status, "1 action "));
	OUT("init", "cleanup");
	t_kill(&f->p, SIGUSR2); // no action left for it: ignored
	t_kill(&f->p, SIGUSR1);
	OUT("hello 2");

	// [once] changes: a new instance, set up and ready to run once more.
	tp_probe_conf(f, NULL, "[once]\naction = print_once\nsignal = usr2\n"
		"message = once again\n\n[hello]\naction = print\nsignal = usr1\n"
		"message = hello 2\n");
	reload(f, SIGHUP, status, sizeof(status));
	OUT("init");
	t_kill(&f->p, SIGUSR2);
	OUT("once again", "cleanup");
	stop(f, "cleanup\n");
}

/* ---- a set-up failure aborts the whole reload ---- */

static void test_set_up_failure(void **state)
{
	struct tp_probe *f = *state;
	char status[4096];

	tp_probe_conf(f, NULL, probes_ab);
	start(f, NULL);
	OUT("set up a", "set up b");
	t_kill(&f->p, SIGUSR1);
	OUT("run a 1 (USR1)", "run b 1 (USR1)");
	tp_probe_conf(f, NULL, "[a]\naction = probe\nsignal = usr1\nlabel = a\n\n"
		"[b]\naction = probe\nsignal = usr1\nlabel = b2\n\n"
		"[c]\naction = probe\nsignal = usr1\nlabel = c\nfail = yes\n");
	reload(f, SIGHUP, status, sizeof(status));
	assert_non_null(strstr(status, "reload failed (an action's set-up "
		"failed)"));
	// b2 was set up, c failed: b2 goes again, and the running set was
	// never touched.
	OUT("set up b2", "set up c: failing", "tear down b2");
	assert_true(t_err_until(&f->p, "reload failed: an action's set-up "
		"failed; keeping the running configuration", T_TIMEOUT));
	t_kill(&f->p, SIGUSR1);
	// a and b are the same instances, with their state.
	OUT("run a 2 (USR1)", "run b 2 (USR1)");
	stop(f, "tear down a\ntear down b\n");
}

/* ---- a reload waits for the running chain ---- */

static void test_waits_for_chain(void **state)
{
	struct tp_probe *f = *state;
	char status[4096];

	tp_probe_conf(f, NULL, "[slow]\naction = delay_print\nsignal = usr1\n"
		"message = working\ndelay = 2s\n");
	start(f, NULL);
	OUT("init");
	t_kill(&f->p, SIGUSR1);
	OUT("working");
	tp_probe_conf(f, NULL, "[slow]\naction = delay_print\nsignal = usr1\n"
		"message = changed\ndelay = 1ms\n");
	reload(f, SIGHUP, status, sizeof(status));
	// The chain ended before its action was torn down.
	OUT("finished delaying", "init", "cleanup");
	t_kill(&f->p, SIGUSR1);
	OUT("changed", "finished delaying");
	stop(f, "cleanup\n");
}

/* ---- HUP bound to an action, and reload_signal ---- */

static void test_hup_bound(void **state)
{
	struct tp_probe *f = *state;
	char msg[4096];

	tp_probe_conf(f, NULL, "[on-hup]\naction = print\nsignal = hup\n"
		"message = hup ran\n\n[hello]\naction = print\nsignal = usr1\n"
		"message = hello\n");
	start(f, NULL);
	OUT("init", "init");
	tp_probe_conf(f, NULL, "[on-hup]\naction = print\nsignal = hup\n"
		"message = hup ran\n\n[hello]\naction = print\nsignal = usr1\n"
		"message = reloaded\n");
	t_kill(&f->p, SIGHUP);
	OUT("hup ran");
	t_kill(&f->p, SIGUSR1);
	OUT("hello");
	// No reload was even started.
	while (t_notify(&f->p, msg, sizeof(msg), 0)) {
		assert_null(strstr(msg, "RELOADING"));
	}
	stop(f, "cleanup\ncleanup\n");
}

static void test_reload_signal_usr2(void **state)
{
	struct tp_probe *f = *state;
	static const char hup[] = "[on-hup]\naction = print\nsignal = hup\n"
		"message = hup ran\n\n";
	char status[4096], sections[512];

	snprintf(sections, sizeof(sections), "%s%s", hup, hello);
	tp_probe_conf(f, "reload_signal = usr2\n", sections);
	start(f, NULL);
	OUT("init", "init");
	snprintf(sections, sizeof(sections), "%s%s", hup, "[hello]\n"
		"action = print\nsignal = usr1\nmessage = via usr2\n");
	tp_probe_conf(f, "reload_signal = usr2\n", sections);
	reload(f, SIGUSR2, status, sizeof(status));
	OUT("init", "cleanup");
	t_kill(&f->p, SIGHUP);
	OUT("hup ran");
	t_kill(&f->p, SIGUSR1);
	OUT("via usr2");
	stop(f, "cleanup\ncleanup\n");
}

// A reload can move reload itself to another signal.
static void test_reload_signal_moves(void **state)
{
	struct tp_probe *f = *state;
	char status[4096];

	tp_probe_conf(f, NULL, hello);
	start(f, NULL);
	OUT("init");
	tp_probe_conf(f, "reload_signal = rtmin+1\n", "[hello]\naction = print\n"
		"signal = usr1\nmessage = moved\n");
	reload(f, SIGHUP, status, sizeof(status));
	OUT("init", "cleanup");
	tp_probe_conf(f, "reload_signal = rtmin+1\n", "[hello]\naction = print\n"
		"signal = usr1\nmessage = by rtmin+1\n");
	t_kill(&f->p, SIGHUP); // no longer reloads, and binds nothing
	t_kill(&f->p, SIGUSR1);
	OUT("moved");
	reload(f, SIGRTMIN + 1, status, sizeof(status));
	OUT("init", "cleanup");
	t_kill(&f->p, SIGUSR1);
	OUT("by rtmin+1");
	stop(f, "cleanup\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define TEST(fn) cmocka_unit_test_setup_teardown(fn, tp_probe_set_up, \
	tp_probe_tear_down)
		TEST(test_good),
		TEST(test_bad),
		TEST(test_empty),
		TEST(test_instances),
		TEST(test_print_lines),
		TEST(test_closed_stays_closed),
		TEST(test_set_up_failure),
		TEST(test_waits_for_chain),
		TEST(test_hup_bound),
		TEST(test_reload_signal_usr2),
		TEST(test_reload_signal_moves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
