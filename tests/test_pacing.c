/*
 * Pacing per signal ([signal:NAME] in flagman.conf(5)) end to end: the real
 * binary, real signals.  The probe plug-in (tests/probe.c) with stamp = yes
 * prints each run with its merged count and the CLOCK_MONOTONIC time it
 * started, taken in flagman's process when the chain reaches it, so the
 * timing bounds are checked against the sends' own times.  Every wait is on
 * a line, a signal taken or an exit; the sends of a burst are paced with
 * short sleeps, which are the stimulus, not synchronisation.
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

// Starts flagman -c f.conf (with -v -v when verbose) and reads the set-up
// lines it is expected to print first.
static void start(struct tp_probe *f, bool verbose, const char *const *init)
{
	const char *argv[] = { "flagman", "-c", f->conf, verbose ? "-v" : NULL,
		"-v", NULL };

	t_start(&f->p, argv, NULL, false);
	f->started = true;
	t_expect_out(&f->p, init);
}

static void stop(struct tp_probe *f)
{
	t_kill(&f->p, SIGTERM);
	assert_int_equal(t_wait(&f->p, T_TIMEOUT), 0);
}

struct stamp {
	unsigned run;
	char sig[16];
	unsigned merged;
	long long at;
};

// The next stdout line, which must be a stamped run of label.
static struct stamp next_run(struct tp_probe *f, const char *label)
{
	char line[256], want[64];
	struct stamp s = { 0 };

	assert_true(t_out_line(&f->p, line, sizeof(line), T_TIMEOUT));
	snprintf(want, sizeof(want), "run %s %%u (%%15[^)]) merged %%u at "
		"%%lld", label);
	if (sscanf(line, want, &s.run, s.sig, &s.merged, &s.at) != 4) {
		fail_msg("expected a stamped run of %s, got '%s'", label, line);
	}
	return s;
}

/*
 * Asserts from + min <= at <= from + max, saying what was measured if not.
 * min is the contract's bound ("never early"), max a generous one for a
 * loaded machine, tp_slack_ms() more under valgrind.
 */
static void assert_within(long long at, long long from, long long min,
	long long max)
{
	max += tp_slack_ms();
	if (at < from + min || at > from + max) {
		fail_msg("%lld ms after, expected %lld to %lld", at - from, min,
			max);
	}
}

/*
 * The same for the start of a run after the start of an earlier one, both
 * as the probe read them: each reading comes a little after its chain
 * started, and not always as little (under valgrind, the first run of a
 * code path waits for its translation: tens of milliseconds), so the
 * lower bound allows for that difference there.
 */
static void assert_start_gap(long long at, long long from, long long min,
	long long max)
{
	assert_within(at, from, min - (tp_slack_ms() ? 100 : 0), max);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	while (nanosleep(&ts, &ts) != 0) {
		continue;
	}
}

/*
 * debounce: 50 USR1 over about a second, each taken by flagman before the
 * next (standard signals would merge in the kernel), make one run, with
 * all 50 merged, no earlier than the last send + debounce.  The sentinel,
 * USR2 debounced as long, is sent after that run: a second USR1 run would
 * have been due before it.
 */
static void test_debounce(void **state)
{
	struct tp_probe *f = *state;
	long long last = 0;
	struct stamp s;

	tp_probe_conf(f, "", "[signal:usr1]\ndebounce = 400ms\n\n"
		"[signal:SIGUSR2]\ndebounce = 400ms\n\n"
		"[u]\naction = probe\nsignal = usr1\nlabel = u\nstamp = yes\n\n"
		"[s]\naction = probe\nsignal = usr2\nlabel = s\nstamp = yes\n");
	start(f, false, (const char *const[]){ "set up u", "set up s", NULL });
	for (int i = 0; i < 50; i++) {
		last = tp_clock_ms();
		t_send(&f->p, SIGUSR1);
		if (i < 49) {
			sleep_ms(20);
		}
	}
	s = next_run(f, "u");
	assert_int_equal(s.run, 1);
	assert_string_equal(s.sig, "USR1");
	assert_int_equal(s.merged, 50);
	assert_within(s.at, last, 400, 400 + 2000);
	t_send(&f->p, SIGUSR2);
	s = next_run(f, "s");
	assert_int_equal(s.merged, 1);
	stop(f);
	assert_string_equal(t_rest(&f->p), "tear down u\ntear down s\n");
}

/*
 * min_interval = 1s, a USR1 every 50 ms for 2.9 s from t0: the first runs
 * at once, each next no earlier than 1 s after the one before, start to
 * start.  The sends end before t0 + 3 s, so the fourth run, at t0 + 3 s or
 * later, comes after the last: exactly four runs, every arrival merged
 * into one of them, the last one after the last send.  The sentinel (USR2,
 * debounced 1.1 s, sent after the fourth run) comes after the time a fifth
 * would have started.
 */
static void test_min_interval(void **state)
{
	struct tp_probe *f = *state;
	long long t0, last = 0;
	unsigned sent = 0, merged = 0;
	struct stamp s[4];

	tp_probe_conf(f, "", "[signal:usr1]\nmin_interval = 1s\n\n"
		"[signal:usr2]\ndebounce = 1100ms\n\n"
		"[u]\naction = probe\nsignal = usr1\nlabel = u\nstamp = yes\n\n"
		"[s]\naction = probe\nsignal = usr2\nlabel = s\nstamp = yes\n");
	start(f, false, (const char *const[]){ "set up u", "set up s", NULL });
	t0 = tp_clock_ms();
	while ((last = tp_clock_ms()) < t0 + 2900) {
		t_send(&f->p, SIGUSR1);
		sent++;
		sleep_ms(50);
	}
	for (int i = 0; i < 4; i++) {
		s[i] = next_run(f, "u");
		assert_int_equal(s[i].run, (unsigned)i + 1);
		merged += s[i].merged;
		if (i == 0) {
			assert_true(s[i].at >= t0);
			assert_int_equal(s[i].merged, 1);
		} else {
			assert_start_gap(s[i].at, s[i - 1].at, 1000, 1000 + 1500);
		}
	}
	assert_true(s[3].at > last);
	assert_int_equal(merged, sent);
	t_send(&f->p, SIGUSR2);
	(void)next_run(f, "s");
	stop(f);
	assert_string_equal(t_rest(&f->p), "tear down u\ntear down s\n");
}

/*
 * overlap in [signal:usr2] overrides [flagman] overlap, which still holds
 * for USR1: during its own chain (1 s of delay_print), USR1 is dropped,
 * USR2 queued.
 */
static void test_overlap(void **state)
{
	struct tp_probe *f = *state;

	tp_probe_conf(f, "overlap = drop\n", "[signal:usr2]\noverlap = queue\n\n"
		"[p]\naction = probe\nsignal = usr1 usr2\nlabel = p\n\n"
		"[d]\naction = delay_print\nsignal = usr1 usr2\nmessage = busy\n"
		"delay = 1s\n");
	start(f, false, (const char *const[]){ "set up p", "init", NULL });
	t_kill(&f->p, SIGUSR1);
	t_expect_out(&f->p, (const char *const[]){ "run p 1 (USR1)", "busy",
		NULL });
	t_send(&f->p, SIGUSR1);
	t_expect_out(&f->p, (const char *const[]){ "finished delaying", NULL });
	t_kill(&f->p, SIGUSR2);
	t_expect_out(&f->p, (const char *const[]){ "run p 2 (USR2)", "busy",
		NULL });
	t_send(&f->p, SIGUSR2);
	t_expect_out(&f->p, (const char *const[]){ "finished delaying",
		"run p 3 (USR2)", "busy", "finished delaying", NULL });
	stop(f);
	assert_string_equal(t_rest(&f->p), "tear down p\ncleanup\n");
}

/*
 * A trigger waiting across a reload is judged by the new settings: 60 s of
 * debounce become 200 ms and it runs then; the last start survives a
 * reload too (min_interval counts from it).  One whose signal runs no
 * chain after the reload is dropped, logged.
 */
static void test_reload(void **state)
{
	struct tp_probe *f = *state;
	static const char action[] = "[u]\naction = probe\nsignal = usr1\n"
		"label = u\nstamp = yes\n";
	long long sent;
	struct stamp s;

	tp_probe_conf(f, "", tp_fmt("[signal:usr1]\ndebounce = 60s\n\n%s", action));
	start(f, true, (const char *const[]){ "set up u", NULL });
	t_kill(&f->p, SIGUSR1);
	assert_true(t_err_until(&f->p, "debug: USR1: deferred, due in ",
		T_TIMEOUT));
	tp_probe_conf(f, "", tp_fmt("[signal:usr1]\ndebounce = 200ms\n"
		"min_interval = 2s\n\n%s", action));
	sent = tp_clock_ms();
	t_kill(&f->p, SIGHUP);
	assert_true(t_err_until(&f->p, "configuration reloaded", T_TIMEOUT));
	s = next_run(f, "u");
	assert_int_equal(s.merged, 1);
	assert_within(s.at, sent, 0, 200 + 2000);
	// The next waits for min_interval since that start, which a reload
	// does not forget.
	t_kill(&f->p, SIGHUP);
	assert_true(t_err_until(&f->p, "configuration reloaded", T_TIMEOUT));
	t_send(&f->p, SIGUSR1);
	assert_true(t_err_until(&f->p, "info: USR1: quiet for 200ms and 2s "
		"since its last start, the chain is due (1 arrival)", T_TIMEOUT));
	assert_start_gap(next_run(f, "u").at, s.at, 2000, 2000 + 2000);
	// Waiting when the reload takes USR1's action away.
	t_kill(&f->p, SIGUSR1);
	assert_true(t_err_until(&f->p, "debug: USR1: deferred, due in ",
		T_TIMEOUT));
	tp_probe_conf(f, "", "[v]\naction = probe\nsignal = usr2\nlabel = v\n");
	t_kill(&f->p, SIGHUP);
	assert_true(t_err_until(&f->p, "info: no actions for SIGUSR1 any more; "
		"its waiting trigger is dropped", T_TIMEOUT));
	t_expect_out(&f->p, (const char *const[]){ "set up v", "tear down u",
		NULL });
	t_kill(&f->p, SIGUSR2);
	t_expect_out(&f->p, (const char *const[]){ "run v 1 (USR2)", NULL });
	stop(f);
}

// SIGTERM with a trigger waiting: flagman drops it and exits at once, 0.
static void test_shutdown(void **state)
{
	struct tp_probe *f = *state;
	long long t;

	tp_probe_conf(f, "", "[signal:usr1]\ndebounce = 60s\n\n"
		"[u]\naction = probe\nsignal = usr1\nlabel = u\n");
	start(f, true, (const char *const[]){ "set up u", NULL });
	t_kill(&f->p, SIGUSR1);
	assert_true(t_err_until(&f->p, "debug: USR1: deferred, due in ",
		T_TIMEOUT));
	t = tp_clock_ms();
	t_kill(&f->p, SIGTERM);
	assert_true(t_err_until(&f->p, "info: USR1: stopping; the waiting "
		"trigger (1 arrival) is dropped", T_TIMEOUT));
	assert_int_equal(t_wait(&f->p, T_TIMEOUT), 0);
	assert_true(tp_clock_ms() - t < 2000 + tp_slack_ms());
	assert_string_equal(t_rest(&f->p), "tear down u\n");
}

/*
 * --dump writes each signal's section once, in one spelling, every key
 * with its default ([flagman] overlap, here from --overlap), a drop-in's
 * amendments included; the dump reads back the same.
 */
static void test_dump(void **state)
{
	struct tp_probe *f = *state;
	char out[4096], again[4096], err[1024];
	const char *conf2;

	tp_probe_conf(f, "", "[signal:rtmin+2]\ndebounce = 1500ms\n\n"
		"[u]\naction = print\nsignal = usr1 rtmin+2\nmessage = u\n");
	assert_int_equal(mkdir(tp_fmt("%s/f.d", f->dir), 0755), 0);
	free(t_write(f->dir, "f.d/10-pace.conf", "[signal:SIGRTMIN+2]\n"
		"min_interval = 1m\n\n[Signal:usr1]\noverlap = queue\n"));
	assert_int_equal(t_run((const char *const[]){ "flagman", "-c", f->conf,
		"--overlap", "drop", "--dump", NULL }, out, sizeof(out), err,
		sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_non_null(strstr(out, "overlap = drop\n"));
	assert_non_null(strstr(out, "\n[signal:RTMIN+2]\noverlap = drop\n"
		"debounce = 1s500ms\nmin_interval = 1m\n\n[signal:USR1]\n"
		"overlap = queue\ndebounce = 0s\nmin_interval = 0s\n\n[u]\n"));
	conf2 = t_write(f->dir, "dumped.conf", out);
	tp_strings_keep((char *)conf2);
	assert_int_equal(t_run((const char *const[]){ "flagman", "-c", conf2,
		"--dump", NULL }, again, sizeof(again), err, sizeof(err)), 0);
	assert_string_equal(again, out);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, tp_probe_set_up, \
	tp_probe_tear_down)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_debounce),
		TEST(test_min_interval),
		TEST(test_overlap),
		TEST(test_reload),
		TEST(test_shutdown),
		TEST(test_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
