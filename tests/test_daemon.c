/*
 * The core daemon end to end: the real binary, real signals, exact output,
 * order and exit status: flagman(8)'s EXIT STATUS, SIGNALS and ORDERING, the
 * print actions of flagman-actions(7), and the escaping of control
 * characters in diagnostics and log lines.
 */
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"

#define LINES(...) ((const char *const[]){ __VA_ARGS__, NULL })

// The original flagman README's session, line for line.
static void test_readme_session(void **state)
{
	static const char *const argv[] = { "flagman", "--no-config",
		"--usr1", "print", "a fun message", "--usr1", "print",
		"another message", "--usr2", "print_once", "will be printed once",
		NULL };
	struct t_proc p;

	(void)state;
	t_start(&p, argv, NULL, false);
	t_expect_out(&p, LINES("init", "init", "init"));
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, LINES("a fun message", "another message"));
	t_kill(&p, SIGUSR2);
	t_expect_out(&p, LINES("will be printed once", "cleanup"));
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, LINES("a fun message", "another message"));
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	assert_string_equal(t_rest(&p), "cleanup\ncleanup\n");
	t_finish(&p);
}

/*
 * While USR1's 3 s delay_print runs: USR2, USR1, USR2, HUP, USR1, each read
 * by flagman before the next is sent (kernel order would otherwise be
 * HUP, USR1, USR2).  Then the pending runs, by first arrival.
 */
static void overlap_session(const char *mode, const char *const *expect,
	const char *merged)
{
	const char *const argv[] = { "flagman", "-vv", "--no-config",
		"--overlap", mode,
		"--usr1", "delay_print", "usr1", "3", "--usr2", "print", "usr2",
		"--hup", "print", "hup", NULL };
	static const int during[] = { SIGUSR2, SIGUSR1, SIGUSR2, SIGHUP,
		SIGUSR1 };
	struct t_proc p;
	char line[256];

	t_start(&p, argv, NULL, false);
	t_expect_out(&p, LINES("init", "init", "init"));
	t_send(&p, SIGUSR1);
	t_expect_out(&p, LINES("usr1"));
	for (size_t i = 0; i < sizeof(during) / sizeof(during[0]); i++) {
		t_send(&p, during[i]);
	}
	// The premise: all of them arrived while the first run was waiting.
	if (t_out_line(&p, line, sizeof(line), 1)) {
		fail_msg("'%s' before the signals were all read: machine too slow "
			"for a 3 s window", line);
	}
	t_expect_out(&p, expect);
	// Arrivals merged into one pending run are counted.
	assert_true(t_err_until(&p, merged, T_TIMEOUT));
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	assert_string_equal(t_rest(&p), "cleanup\ncleanup\ncleanup\n");
	t_finish(&p);
}

// queue: USR1's own arrivals merge into one rerun, in its FIFO place.
static void test_overlap_queue(void **state)
{
	(void)state;
	overlap_session("queue", LINES("finished delaying", "usr2", "usr1",
		"finished delaying", "hup"),
		"flagman: debug: running the chain for USR1 (2 arrivals)");
}

// drop: USR1's arrivals during its own run are discarded, others are not.
static void test_overlap_drop(void **state)
{
	(void)state;
	overlap_session("drop", LINES("finished delaying", "usr2", "hup"),
		"flagman: debug: running the chain for USR2 (2 arrivals)");
}

// A signal that arrives while another's chain runs is queued under drop too.
static void test_drop_keeps_other_signal(void **state)
{
	static const char *const argv[] = { "flagman", "--no-config",
		"--overlap", "drop", "--usr1", "delay_print", "a", "3",
		"--usr2", "delay_print", "b", "3", NULL };
	struct t_proc p;

	(void)state;
	t_start(&p, argv, NULL, false);
	t_expect_out(&p, LINES("init", "init"));
	t_send(&p, SIGUSR1);
	t_expect_out(&p, LINES("a"));
	t_send(&p, SIGUSR2);
	t_expect_out(&p, LINES("finished delaying", "b"));
	t_send(&p, SIGUSR1); // during another's run: pending
	t_send(&p, SIGUSR2); // during its own run: dropped
	t_expect_out(&p, LINES("finished delaying", "a", "finished delaying"));
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	assert_string_equal(t_rest(&p), "cleanup\ncleanup\n");
	t_finish(&p);
}

#define STORM 100000
#define STORM_MARK "storm: the last signal follows"

// The storm's sender: a forked child of the test, never returning.
static void storm_send(pid_t pid, int progress)
{
	char path[64];
	int out;

	// Writing to flagman's own stdout orders the mark with its output.
	snprintf(path, sizeof(path), "/proc/%d/fd/1", (int)pid);
	if ((out = open(path, O_WRONLY | O_CLOEXEC)) < 0) {
		_exit(3);
	}
	for (int i = 1; i < STORM; i++) {
		if (kill(pid, SIGUSR1) < 0) {
			_exit(1);
		}
		if (i == STORM / 2 && write(progress, "m", 1) != 1) {
			_exit(2);
		}
	}
	if (write(out, STORM_MARK "\n", sizeof(STORM_MARK)) !=
			(ssize_t)sizeof(STORM_MARK) || kill(pid, SIGUSR1) < 0) {
		_exit(4);
	}
	_exit(0);
}

/*
 * Checks one line of output during or after the storm.  *after counts the
 * steps seen of: the mark, then "tick", then "finished delaying" (a whole
 * run that started after the last signal).
 */
static void storm_line(const char *line, int *after)
{
	if (strcmp(line, STORM_MARK) == 0) {
		assert_int_equal(*after, 0);
		*after = 1;
	} else if (strcmp(line, "tick") == 0) {
		*after += *after == 1;
	} else if (strcmp(line, "finished delaying") == 0) {
		*after += *after == 2;
	} else {
		fail_msg("unexpected line during the storm: '%s'", line);
	}
}

/*
 * Reads flagman's output while the sender runs (the pipe must not fill up
 * and stall flagman), sampling VmRSS when the sender is half-way.  Returns
 * the sender's exit status.
 */
static int storm_watch(struct t_proc *p, pid_t sender, int progress,
	long *rss_mid, int *after)
{
	long long deadline = t_now_ms() + 20 * T_TIMEOUT;
	char line[256], c;
	int st;

	for (;;) {
		while (t_out_line(p, line, sizeof(line), 20)) {
			storm_line(line, after);
		}
		if (read(progress, &c, 1) == 1) {
			*rss_mid = t_rss_kb(p);
		}
		if (waitpid(sender, &st, WNOHANG) == sender) {
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		if (t_now_ms() > deadline) {
			kill(sender, SIGKILL);
			waitpid(sender, &st, 0);
			fail_msg("the storm did not end");
		}
	}
}

/*
 * 100,000 USR1 from another process: flagman survives, a whole run starts
 * after the last one, its memory does not grow, and TERM still exits 0.
 */
static void test_storm(void **state)
{
	static const char *const argv[] = { "flagman", "--no-config",
		"--usr1", "delay_print", "tick", "10ms", NULL };
	struct t_proc p;
	char line[256];
	long rss_mid = -1, rss_end;
	int progress[2], after = 0;
	pid_t sender;
	const char *rest;

	(void)state;
	t_start(&p, argv, NULL, false);
	t_expect_out(&p, LINES("init"));
	assert_int_equal(pipe2(progress, O_CLOEXEC | O_NONBLOCK), 0);
	sender = fork();
	assert_true(sender >= 0);
	if (sender == 0) {
		storm_send(p.pid, progress[1]);
	}
	close(progress[1]);
	assert_int_equal(storm_watch(&p, sender, progress[0], &rss_mid,
		&after), 0);
	close(progress[0]);
	assert_true(rss_mid > 0);
	while (after < 3) {
		if (!t_out_line(&p, line, sizeof(line), T_TIMEOUT)) {
			fail_msg("no whole run after the last signal (step %d)", after);
		}
		storm_line(line, &after);
	}
	rss_end = t_rss_kb(&p);
	print_message("VmRSS mid-storm %ld kB, after %ld kB\n", rss_mid, rss_end);
	assert_in_range(rss_end, 1, rss_mid + 512);
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	// A rerun that started after the line above is cut short by TERM.
	rest = t_rest(&p);
	assert_true(strcmp(rest, "cleanup\n") == 0 ||
		strcmp(rest, "tick\ncleanup\n") == 0 ||
		strcmp(rest, "tick\nfinished delaying\ncleanup\n") == 0);
	t_finish(&p);
}

// valgrind's emulated signal mask loses signals pending across fork+exec.
static bool under_valgrind(void)
{
	const char *preload = getenv("LD_PRELOAD");

	return preload && strstr(preload, "vgpreload");
}

/*
 * Signals that arrive before flagman could block them were blocked by its
 * parent here, so they wait whatever the moment of start-up they hit.  They
 * run after READY=1, in the kernel's order; unbound ones are ignored.
 */
static void test_signals_during_startup(void **state)
{
	static const char *const argv[] = { "flagman", "-v", "--no-config",
		"--usr1", "print", "one", "--usr2", "print", "two", NULL };
	static const char *const notes[] = { "READY=1",
		"STATUS=2 actions (USR1: 1, USR2: 1); waiting for signals",
		"STATUS=2 actions (USR1: 1, USR2: 1); last: USR1 ok",
		"STATUS=2 actions (USR1: 1, USR2: 1); last: USR2 ok",
		"STOPPING=1" };
	char msg[512];
	struct t_proc p;
	sigset_t mask;

	(void)state;
	if (under_valgrind()) {
		skip();
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGWINCH);
	sigaddset(&mask, SIGRTMIN + 1);
	t_start_masked(&p, argv, NULL, true, &mask);
	t_kill(&p, SIGUSR1);
	t_kill(&p, SIGWINCH);
	t_kill(&p, SIGRTMIN + 1);
	t_kill(&p, SIGUSR2);
	for (size_t i = 0; i < 4; i++) {
		assert_true(t_notify(&p, msg, sizeof(msg), T_TIMEOUT));
		// USR1's STATUS= may be replaced by USR2's while it waits for
		// the 100 ms between two to pass (flagman(8), SYSTEMD).
		if (i == 2 && strcmp(msg, notes[3]) == 0) {
			i++;
		}
		assert_string_equal(msg, notes[i]);
	}
	t_expect_out(&p, LINES("init", "init", "one", "two"));
	assert_true(t_err_until(&p, "flagman: info: no actions for SIGWINCH; "
		"ignored", T_TIMEOUT));
	assert_true(t_err_until(&p, "flagman: info: no actions for "
		"SIGRTMIN+1; ignored", T_TIMEOUT));
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	assert_true(t_notify(&p, msg, sizeof(msg), 0));
	assert_string_equal(msg, notes[4]);
	assert_string_equal(t_rest(&p), "cleanup\ncleanup\n");
	t_finish(&p);
}

// TERM during start-up: READY=1 first, then a clean stop with tear-downs.
static void test_term_during_startup(void **state)
{
	static const char *const argv[] = { "flagman", "--no-config",
		"--usr1", "print", "one", NULL };
	char msg[512];
	struct t_proc p;
	sigset_t mask;

	(void)state;
	if (under_valgrind()) {
		skip();
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	t_start_masked(&p, argv, NULL, true, &mask);
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	assert_string_equal(t_rest(&p), "init\ncleanup\n");
	assert_true(t_notify(&p, msg, sizeof(msg), 0));
	assert_string_equal(msg, "READY=1");
	assert_true(t_notify(&p, msg, sizeof(msg), 0));
	assert_string_equal(msg, "STATUS=1 action (USR1: 1); waiting for "
		"signals");
	assert_true(t_notify(&p, msg, sizeof(msg), 0));
	assert_string_equal(msg, "STOPPING=1");
	assert_false(t_notify(&p, msg, sizeof(msg), 0));
	t_finish(&p);
}

// With nothing blocked by the parent: a signal sent in the middle of set-up.
static void test_signal_during_setup(void **state)
{
	const char *argv[64] = { "flagman", "--no-config", "--usr1", "print",
		"one" };
	size_t n = 5;
	struct t_proc p;
	char line[64];

	(void)state;
	while (n + 3 < sizeof(argv) / sizeof(argv[0]) - 1) {
		argv[n++] = "--usr2";
		argv[n++] = "print";
		argv[n++] = "two";
	}
	t_start(&p, argv, NULL, true);
	// The first "init" comes from a set-up: signals are blocked by then.
	t_expect_out(&p, LINES("init"));
	t_kill(&p, SIGUSR1);
	assert_true(t_notify_until(&p, "READY=1", T_TIMEOUT));
	assert_true(t_notify_until(&p, "; last: USR1 ok", T_TIMEOUT));
	for (size_t i = 5; i < n; i += 3) {
		t_expect_out(&p, LINES("init"));
	}
	t_expect_out(&p, LINES("one"));
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	assert_true(t_out_line(&p, line, sizeof(line), T_TIMEOUT));
	assert_string_equal(line, "cleanup");
	t_finish(&p);
}

// TERM or INT in the middle of a 60 s delay_print: prompt, clean, 0.
static void stop_during_delay(int sig)
{
	static const char *const argv[] = { "flagman", "--no-config",
		"--usr2", "print", "other", "--usr1", "delay_print", "long", "60",
		NULL };
	struct t_proc p;
	long long t0, elapsed;

	t_start(&p, argv, NULL, false);
	t_expect_out(&p, LINES("init", "init"));
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, LINES("long"));
	t0 = t_now_ms();
	t_kill(&p, sig);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	elapsed = t_now_ms() - t0;
	// A second is the promise; the rest is slack for a loaded machine.
	assert_in_range(elapsed, 0, 2000);
	// Tear-downs in configuration order; no "finished delaying".
	assert_string_equal(t_rest(&p), "cleanup\ncleanup\n");
	t_finish(&p);
}

static void test_term_during_delay(void **state)
{
	(void)state;
	stop_during_delay(SIGTERM);
}

static void test_int_during_delay(void **state)
{
	(void)state;
	stop_during_delay(SIGINT);
}

// EXIT STATUS: TERM and INT when idle exit 0 after the tear-downs.
static void stop_idle(int sig)
{
	static const char *const argv[] = { "flagman", "--no-config",
		"--usr1", "print", "a", NULL };
	struct t_proc p;

	t_start(&p, argv, NULL, false);
	t_expect_out(&p, LINES("init"));
	t_kill(&p, sig);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	assert_string_equal(t_rest(&p), "cleanup\n");
	t_finish(&p);
}

static void test_exit_term(void **state)
{
	(void)state;
	stop_idle(SIGTERM);
}

static void test_exit_int(void **state)
{
	(void)state;
	stop_idle(SIGINT);
}

// EXIT STATUS: every action closed exits 1, or 0 with --successful-empty.
static void all_closed(bool successful_empty, int expect)
{
	const char *const argv[] = { "flagman", "--no-config",
		"--usr1", "print_once", "first", "--usr2", "print_once", "second",
		successful_empty ? "--successful-empty" : NULL, NULL };
	struct t_proc p;

	t_start(&p, argv, NULL, false);
	t_expect_out(&p, LINES("init", "init"));
	t_kill(&p, SIGUSR2);
	t_expect_out(&p, LINES("second", "cleanup"));
	assert_true(t_err_until(&p, "flagman: warning: [cli-2]: action closed: "
		"Only print once", T_TIMEOUT));
	t_kill(&p, SIGUSR1);
	assert_int_equal(t_wait(&p, T_TIMEOUT), expect);
	assert_string_equal(t_rest(&p), "first\ncleanup\n");
	assert_true(t_err_until(&p, "flagman: warning: every action has closed; "
		"exiting", T_TIMEOUT));
	t_finish(&p);
}

static void test_exit_all_closed(void **state)
{
	(void)state;
	all_closed(false, 1);
}

static void test_exit_all_closed_successful_empty(void **state)
{
	(void)state;
	all_closed(true, 0);
}

// A trigger signal without actions is logged at info and changes nothing.
static void test_unbound_trigger_ignored(void **state)
{
	static const char *const argv[] = { "flagman", "-v", "--no-config",
		"--usr1", "print", "a", NULL };
	static const char *const names[] = { "USR2", "WINCH", "RTMIN",
		"RTMAX-1" };
	const int sigs[] = { SIGUSR2, SIGWINCH, SIGRTMIN, SIGRTMAX - 1 };
	struct t_proc p;
	char want[64];

	(void)state;
	t_start(&p, argv, NULL, false);
	t_expect_out(&p, LINES("init"));
	assert_true(t_err_until(&p, "flagman: info: ready: 1 action", T_TIMEOUT));
	for (size_t i = 0; i < 4; i++) {
		t_send(&p, sigs[i]);
		snprintf(want, sizeof(want), "flagman: info: no actions for SIG%s; "
			"ignored", names[i]);
		assert_true(t_err_until(&p, want, T_TIMEOUT));
	}
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, LINES("a"));
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	assert_string_equal(t_rest(&p), "cleanup\n");
	t_finish(&p);
}

// --on binds real-time signals by name; the chain runs in command-line order.
static void test_on_realtime(void **state)
{
	static const char *const argv[] = { "flagman", "--no-config",
		"--on", "rtmin+2", "print", "a", "--on", "SIGRTMAX-1", "print", "b",
		"--on", "RtMin+2", "print", "c", "--on", "winch", "print", "d", NULL };
	struct t_proc p;

	(void)state;
	t_start(&p, argv, NULL, false);
	t_expect_out(&p, LINES("init", "init", "init", "init"));
	t_send(&p, SIGRTMIN + 2);
	t_expect_out(&p, LINES("a", "c"));
	t_send(&p, SIGRTMAX - 1);
	t_expect_out(&p, LINES("b"));
	t_send(&p, SIGWINCH);
	t_expect_out(&p, LINES("d"));
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	assert_string_equal(t_rest(&p), "cleanup\ncleanup\ncleanup\ncleanup\n");
	t_finish(&p);
}

/*
 * A parent that ignores SIGCHLD passes that on through exec; flagman must
 * still see its children's exit statuses (the kernel would reap them).
 */
static void test_inherited_sigchld_ignored(void **state)
{
	static const char *const argv[] = { "flagman", "--no-config",
		"--usr1", "exec", "/bin/sh -c 'exit 3'", "--usr1", "print", "after",
		NULL };
	struct t_proc p;

	(void)state;
	// Only for the fork: this process must go on reaping flagman itself.
	signal(SIGCHLD, SIG_IGN);
	t_start(&p, argv, NULL, false);
	signal(SIGCHLD, SIG_DFL);
	t_expect_out(&p, LINES("init"));
	t_kill(&p, SIGUSR1);
	assert_true(t_err_until(&p, "exited with status 3", T_TIMEOUT));
	t_expect_out(&p, LINES("after"));
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	assert_string_equal(t_rest(&p), "cleanup\n");
	t_finish(&p);
}

/*
 * Started with stdout closed, flagman's first descriptor must not become
 * its stdout: print would write into the signalfd.  stderr is a pipe here.
 */
static void test_closed_stdout(void **state)
{
	static const char *const argv[] = { "flagman", "-v", "--no-config",
		"--usr1", "print", "x", NULL };
	struct t_proc p = { .out.fd = -1, .notify_fd = -1 };
	char line[512];
	int err[2];

	(void)state;
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	p.pid = fork();
	assert_true(p.pid >= 0);
	if (p.pid == 0) {
		dup2(err[1], STDERR_FILENO);
		close(STDOUT_FILENO);
		execv(t_flagman(), (char **)argv);
		_exit(127);
	}
	close(err[1]);
	p.err.fd = err[0];
	assert_true(t_err_until(&p, "flagman: info: ready: 1 action", T_TIMEOUT));
	t_send(&p, SIGUSR1);
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	while (t_err_line(&p, line, sizeof(line), T_TIMEOUT)) {
		assert_null(strstr(line, "error"));
	}
	t_finish(&p);
}

/* ---- control characters from the configuration ---- */

/*
 * An ESC, a CR and a BEL in a section name, and an ESC in a command-line
 * word, reach the terminal escaped in the diagnostics of --check.
 */
static void test_diagnostic_escaped(void **state)
{
	char *dir = t_tmpdir(), out[256], err[1024], want[1024];
	char *conf = t_write(dir, "esc.conf", "[a\033[31mb\rc\ad]\n"
		"action = print\nsignal = usr1\nmessage = m\ncomand = x\n");
	const char *const check[] = { "flagman", "--check", "-c", conf, NULL };
	const char *const cli[] = { "flagman", "--check", "--no-config",
		"--usr1", "pr\033int", "x", NULL };

	(void)state;
	assert_int_equal(t_run(check, out, sizeof(out), err, sizeof(err)), 2);
	snprintf(want, sizeof(want), "%s:5: error: [a\\x1b[31mb\\rc\\x07d]: "
		"unknown key 'comand'\n", conf);
	assert_string_equal(err, want);
	assert_string_equal(out, "");
	assert_int_equal(t_run(cli, out, sizeof(out), err, sizeof(err)), 2);
	assert_string_equal(err, "flagman: error: --usr1 pr\\x1bint: unknown "
		"action type 'pr\\x1bint' (did you mean 'print'?)\n");
	free(conf);
	t_rmtree(dir);
	free(dir);
}

// An action whose name holds control characters is logged escaped.
static void test_action_name_escaped(void **state)
{
	char *dir = t_tmpdir(), line[512];
	char *conf = t_write(dir, "esc.conf", "[a\033[2J\ab]\n"
		"action = print_once\nsignal = usr1\nmessage = m\n");
	const char *const argv[] = { "flagman", "-c", conf, NULL };
	struct t_proc p;

	(void)state;
	t_start(&p, argv, NULL, false);
	t_expect_out(&p, LINES("init"));
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, LINES("m", "cleanup"));
	assert_int_equal(t_wait(&p, T_TIMEOUT), 1);
	assert_true(t_err_line(&p, line, sizeof(line), T_TIMEOUT));
	assert_string_equal(line, "flagman: warning: [a\\x1b[2J\\x07b]: "
		"action closed: Only print once");
	t_finish(&p);
	free(conf);
	t_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readme_session),
		cmocka_unit_test(test_overlap_queue),
		cmocka_unit_test(test_overlap_drop),
		cmocka_unit_test(test_drop_keeps_other_signal),
		cmocka_unit_test(test_storm),
		cmocka_unit_test(test_signals_during_startup),
		cmocka_unit_test(test_term_during_startup),
		cmocka_unit_test(test_signal_during_setup),
		cmocka_unit_test(test_term_during_delay),
		cmocka_unit_test(test_int_during_delay),
		cmocka_unit_test(test_exit_term),
		cmocka_unit_test(test_exit_int),
		cmocka_unit_test(test_exit_all_closed),
		cmocka_unit_test(test_exit_all_closed_successful_empty),
		cmocka_unit_test(test_unbound_trigger_ignored),
		cmocka_unit_test(test_on_realtime),
		cmocka_unit_test(test_inherited_sigchld_ignored),
		cmocka_unit_test(test_closed_stdout),
		cmocka_unit_test(test_diagnostic_escaped),
		cmocka_unit_test(test_action_name_escaped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
