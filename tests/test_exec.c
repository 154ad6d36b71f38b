/*
 * The exec action end to end: the real daemon runs real programs (mostly
 * /bin/sh and coreutils, which valgrind leaves untraced), and the tests check
 * what those programs saw and what flagman logged, line for line.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"
#include "harness.h"
#include "procinfo.h"

// Starts flagman with NOTIFY_SOCKET set and waits for READY=1.
static void start(struct t_proc *p, const char *const *argv)
{
	t_start(p, argv, (const char *const[]){ "FM_TEST_KEEP=kept", NULL },
		true);
	if (!t_notify_until(p, "READY=1", T_TIMEOUT)) {
		fail_msg("flagman did not report READY=1");
	}
}

// Is line valgrind's ("==123== ...")?  A child that changes its uid before
// its exec makes valgrind complain about files it cannot remove.
static bool from_valgrind(const char *line)
{
	size_t digits = strspn(line + 2, "0123456789");

	return strncmp(line, "==", 2) == 0 && digits > 0 &&
		strncmp(line + 2 + digits, "==", 2) == 0;
}

static void expect_err(struct t_proc *p, const char *const *lines)
{
	char line[4096];

	for (size_t i = 0; lines[i]; i++) {
		do {
			if (!t_err_line(p, line, sizeof(line), T_TIMEOUT)) {
				fail_msg("expected stderr line '%s', got nothing", lines[i]);
			}
		} while (from_valgrind(line));
		assert_string_equal(line, lines[i]);
	}
}

static void stop(struct t_proc *p)
{
	t_kill(p, SIGTERM);
	assert_int_equal(t_wait(p, T_TIMEOUT), 0);
	t_finish(p);
}

// Each step appends to one file; the first is the slowest, so running the
// steps at once would put "one" last.
static void test_chain_order(void **state)
{
	const char *f = tp_fmt("%s/order", tp_dir);
	struct t_proc p;

	(void)state;
	start(&p, (const char *const[]){ "flagman", "--no-config",
		"--usr1", "exec", tp_fmt("sh -c 'sleep 0.3; echo one >> %s'", f),
		"--usr1", "exec", tp_fmt("sh -c 'sleep 0.1; echo two >> %s'", f),
		"--usr1", "exec", tp_fmt("sh -c 'echo three >> %s'", f),
		"--usr1", "print", "done", NULL });
	t_expect_out(&p, (const char *const[]){ "init", NULL });
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, (const char *const[]){ "done", NULL });
	tp_expect_file(f, "one\ntwo\nthree\n");
	stop(&p);
}

static void test_exit_status(void **state)
{
	const char *noexec = t_write(tp_dir, "noexec", "#!/bin/sh\n");
	struct t_proc p;
	char rest[256];

	(void)state;
	tp_strings_keep((char *)noexec);
	start(&p, (const char *const[]){ "flagman", "--no-config",
		"--usr1", "exec", "sh -c 'exit 3'",
		"--usr1", "exec", "sh -c 'kill -TERM $$'",
		"--usr1", "exec", "/nonexistent/program",
		"--usr1", "exec", "no-such-program-for-flagman",
		"--usr1", "exec", noexec,
		"--usr1", "exec", "true",
		"--usr1", "print", "done", NULL });
	t_expect_out(&p, (const char *const[]){ "init", NULL });
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, (const char *const[]){ "done", NULL });
	expect_err(&p, (const char *const[]){
		"flagman: warning: [cli-1]: exited with status 3",
		"flagman: warning: [cli-2]: killed by signal TERM (status 143)",
		"flagman: error: [cli-3]: cannot execute '/nonexistent/program': "
			"No such file or directory",
		"flagman: warning: [cli-3]: exited with status 127",
		"flagman: error: [cli-4]: cannot execute "
			"'no-such-program-for-flagman': No such file or directory",
		"flagman: warning: [cli-4]: exited with status 127",
		tp_fmt("flagman: error: [cli-5]: cannot execute '%s': "
			"Permission denied", noexec),
		"flagman: warning: [cli-5]: exited with status 126",
		NULL });
	stop(&p);
	// Nothing more: the successful run logged nothing at warning.
	while (t_err_line(&p, rest, sizeof(rest), 0)) {
		assert_true(from_valgrind(rest));
	}
}

#define SHOW_ENV "sh -c 'echo \"$FLAGMAN_SIGNAL|$FLAGMAN_ACTION|" \
	"$FLAGMAN_SENDER_PID|$FLAGMAN_SENDER_UID|$FLAGMAN_MERGED|" \
	"${FLAGMAN_VALUE-none}|${NOTIFY_SOCKET-none}|$FM_TEST_KEEP\"'"

static void test_environment(void **state)
{
	siginfo_t forged;
	struct t_proc p;

	(void)state;
	start(&p, (const char *const[]){ "flagman", "--no-config",
		"--usr1", "exec", SHOW_ENV, "--on", "rtmin+2", "exec", SHOW_ENV,
		NULL });
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, (const char *const[]){
		tp_fmt("USR1|cli-1|%d|%u|1|none|none|kept", (int)getpid(),
			(unsigned)getuid()), NULL });
	assert_int_equal(sigqueue(p.pid, SIGRTMIN + 2,
		(union sigval){ .sival_int = 42 }), 0);
	t_expect_out(&p, (const char *const[]){
		tp_fmt("RTMIN+2|cli-2|%d|%u|1|42|none|kept", (int)getpid(),
			(unsigned)getuid()), NULL });
	// The sender of a queued signal writes the PID and UID it claims, and
	// flagman can only pass on what the kernel hands it (see
	// flagman-actions(7)): here PID 1 and root, from whoever we are.
	memset(&forged, 0, sizeof(forged));
	forged.si_signo = SIGRTMIN + 2;
	forged.si_code = SI_QUEUE;
	forged.si_pid = 1;
	forged.si_uid = 0;
	forged.si_value.sival_int = 7;
	assert_int_equal(syscall(SYS_rt_sigqueueinfo, p.pid, SIGRTMIN + 2,
		&forged), 0);
	t_expect_out(&p, (const char *const[]){
		"RTMIN+2|cli-2|1|0|1|7|none|kept", NULL });
	stop(&p);
}

// clear_environment, environment= and a PATH lookup without PATH.
static void test_environment_setting(void **state)
{
	const char *conf = t_write(tp_dir, "env.conf", "[show]\n"
		"action = exec\nsignal = usr2\ncommand = env\n"
		"environment = A=1 'B=two words' FLAGMAN_SIGNAL=forged\n"
		"clear_environment = yes\n");
	struct t_proc p;

	(void)state;
	tp_strings_keep((char *)conf);
	start(&p, (const char *const[]){ "flagman", "-c", conf, NULL });
	t_kill(&p, SIGUSR2);
	t_expect_out(&p, (const char *const[]){ "A=1", "B=two words",
		"FLAGMAN_SIGNAL=USR2", "FLAGMAN_ACTION=show",
		tp_fmt("FLAGMAN_SENDER_PID=%d", (int)getpid()),
		tp_fmt("FLAGMAN_SENDER_UID=%u", (unsigned)getuid()),
		"FLAGMAN_MERGED=1", NULL });
	stop(&p);
}

// Three USR1 arrive, each read by flagman on its own, while a run goes on:
// the next run sees all three merged.
static void test_merged(void **state)
{
	const char *f = tp_fmt("%s/merged", tp_dir), *go = tp_fmt("%s/go", tp_dir);
	struct t_proc p;

	(void)state;
	start(&p, (const char *const[]){ "flagman", "--no-config",
		"--usr1", "exec", tp_fmt("sh -c 'echo $FLAGMAN_MERGED >> %s; "
			"while [ ! -e %s ]; do sleep 0.02; done'", f, go),
		"--usr1", "print", "done", NULL });
	t_expect_out(&p, (const char *const[]){ "init", NULL });
	t_kill(&p, SIGUSR1);
	tp_expect_file(f, "1\n");
	for (int i = 0; i < 3; i++) {
		t_kill(&p, SIGUSR1);
		assert_true(tp_signal_taken(p.pid, SIGUSR1, T_TIMEOUT));
	}
	fclose(fopen(go, "w"));
	t_expect_out(&p, (const char *const[]){ "done", "done", NULL });
	tp_expect_file(f, "1\n3\n");
	stop(&p);
}

// Real-time arrivals merged into one run: the run sees their count and the
// value of the last one.
static void test_merged_value(void **state)
{
	const char *f = tp_fmt("%s/merged", tp_dir);
	const char *go = tp_fmt("%s/go", tp_dir);
	struct t_proc p;

	(void)state;
	start(&p, (const char *const[]){ "flagman", "--no-config",
		"--on", "rtmin+3", "exec", tp_fmt("sh -c 'echo $FLAGMAN_MERGED "
			"$FLAGMAN_VALUE >> %s; "
			"while [ ! -e %s ]; do sleep 0.02; done'", f, go),
		NULL });
	assert_int_equal(sigqueue(p.pid, SIGRTMIN + 3,
		(union sigval){ .sival_int = 1 }), 0);
	tp_expect_file(f, "1 1\n");
	for (int i = 2; i <= 4; i++) {
		assert_int_equal(sigqueue(p.pid, SIGRTMIN + 3,
			(union sigval){ .sival_int = i * 10 }), 0);
		assert_true(tp_signal_taken(p.pid, SIGRTMIN + 3, T_TIMEOUT));
	}
	fclose(fopen(go, "w"));
	tp_expect_file(f, "1 1\n3 40\n");
	stop(&p);
}

// flagman blocks signals and ignores SIGPIPE; its children must not.
static void test_signal_state(void **state)
{
	const char *pidf = tp_fmt("%s/pid", tp_dir);
	char status[64];
	struct t_proc p;

	(void)state;
	start(&p, (const char *const[]){ "flagman", "--no-config",
		"--usr1", "exec", "grep -E '^Sig(Blk|Ign)' /proc/self/status",
		"--usr2", "exec", tp_fmt("sh -c 'echo $$ > %s; exec sleep 60'", pidf),
		NULL });
	assert_true(tp_proc_status(p.pid, "SigBlk", status, sizeof(status)));
	assert_string_not_equal(status, "0000000000000000");
	assert_true(tp_proc_status(p.pid, "SigIgn", status, sizeof(status)));
	assert_true(strtoull(status, NULL, 16) & (1ULL << (SIGPIPE - 1)));
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, (const char *const[]){ "SigBlk:\t0000000000000000",
		NULL });
	// Signals 32 and 33 are reserved by glibc, whose sigaction() refuses
	// to change them: an environment that ignores them (the package build
	// does) passes that on.  Every other signal is at its default.
	assert_true(t_out_line(&p, status, sizeof(status), T_TIMEOUT));
	assert_int_equal(strncmp(status, "SigIgn:\t", 8), 0);
	assert_int_equal(strtoull(status + 8, NULL, 16) & ~(3ULL << 31), 0);

	for (int i = 0; i < 2; i++) {
		int sig = i == 0 ? SIGTERM : SIGUSR1;

		unlink(pidf);
		t_kill(&p, SIGUSR2);
		assert_int_equal(kill(tp_pid_file(pidf), sig), 0);
		expect_err(&p, (const char *const[]){ i == 0 ?
			"flagman: warning: [cli-2]: killed by signal TERM (status 143)" :
			"flagman: warning: [cli-2]: killed by signal USR1 (status 138)",
			NULL });
	}
	stop(&p);
}

// Even a descriptor flagman inherited without O_CLOEXEC stays with flagman.
static void test_descriptors(void **state)
{
	char path[64];
	struct t_proc p;
	int fd;

	(void)state;
	fd = open("/dev/null", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, 20), 20);
	close(fd);
	start(&p, (const char *const[]){ "flagman", "--no-config",
		"--usr1", "exec", "ls /proc/self/fd", NULL });
	close(20);
	snprintf(path, sizeof(path), "/proc/%d/fd/20", (int)p.pid);
	assert_int_equal(access(path, F_OK), 0);
	assert_true(tp_fd_count(p.pid) > 4);
	t_kill(&p, SIGUSR1);
	// ls lists 0-2 and the descriptor it reads the listing with.
	t_expect_out(&p, (const char *const[]){ "0", "1", "2", "3", NULL });
	stop(&p);
}

#define STUBBORN "command = sh -c 'trap \"\" TERM; sleep 60 & echo $! > %s; " \
	"echo $$ > %s; wait'\n"

// A child that ignores TERM, with a grandchild that does too: both die of
// SIGKILL after the grace, and flagman serves on.
static void test_timeout(void **state)
{
	const char *g = tp_fmt("%s/g", tp_dir), *c = tp_fmt("%s/c", tp_dir);
	const char *conf = t_write(tp_dir, "t.conf", tp_fmt("[stubborn]\n"
		"action = exec\nsignal = usr1\n" STUBBORN "timeout = 2s\n"
		"kill_grace = 300ms\n\n[alive]\naction = print\nsignal = usr2\n"
		"message = alive\n", g, c));
	struct t_proc p;
	pid_t child, grandchild;

	(void)state;
	tp_strings_keep((char *)conf);
	start(&p, (const char *const[]){ "flagman", "-c", conf, NULL });
	t_expect_out(&p, (const char *const[]){ "init", NULL });
	t_kill(&p, SIGUSR1);
	child = tp_pid_file(c);
	grandchild = tp_pid_file(g);
	expect_err(&p, (const char *const[]){
		tp_fmt("flagman: warning: [stubborn]: timed out after 2s; sending "
			"SIGTERM to process group %d", (int)child),
		tp_fmt("flagman: warning: [stubborn]: still running 300ms after "
			"SIGTERM; sending SIGKILL to process group %d", (int)child),
		"flagman: warning: [stubborn]: timed out; killed by signal KILL "
			"(status 137)", NULL });
	assert_true(tp_gone(child, T_TIMEOUT));
	assert_true(tp_gone(grandchild, T_TIMEOUT));
	t_kill(&p, SIGUSR2);
	t_expect_out(&p, (const char *const[]){ "alive", NULL });
	stop(&p);
}

static void test_on_failure(void **state)
{
	const char *conf = t_write(tp_dir, "f.conf",
		"[fails]\naction = exec\nsignal = usr1\ncommand = false\n"
		"on_failure = stop\n\n"
		"[skipped]\naction = print\nsignal = usr1\nmessage = skipped\n\n"
		"[fails-too]\naction = exec\nsignal = usr2\ncommand = false\n\n"
		"[runs]\naction = print\nsignal = usr2\nmessage = runs\n");
	struct t_proc p;

	(void)state;
	tp_strings_keep((char *)conf);
	start(&p, (const char *const[]){ "flagman", "-c", conf, NULL });
	t_expect_out(&p, (const char *const[]){ "init", "init", NULL });
	t_kill(&p, SIGUSR1);
	expect_err(&p, (const char *const[]){
		"flagman: warning: [fails]: exited with status 1", NULL });
	// USR2 runs after the USR1 chain: "skipped" would come first.
	t_kill(&p, SIGUSR2);
	expect_err(&p, (const char *const[]){
		"flagman: warning: [fails-too]: exited with status 1", NULL });
	t_expect_out(&p, (const char *const[]){ "runs", NULL });
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	assert_string_equal(t_rest(&p), "cleanup\ncleanup\n");
	t_finish(&p);
}

// Reads stderr until the run of action ends; keeps the lines it tagged.
static size_t action_lines(struct t_proc *p, const char *action,
	char lines[][1024], size_t max)
{
	const char *tag = tp_fmt("[%s]: ", action);
	char line[4096];
	size_t n = 0;

	while (t_err_line(p, line, sizeof(line), T_TIMEOUT)) {
		char *at = strstr(line, tag);
		if (!at) {
			continue;
		}
		if (strstr(line, "exited with status")) {
			return n;
		}
		assert_true(n < max);
		snprintf(lines[n++], sizeof(lines[0]), "%.*s%s", (int)(at - line),
			line, at + strlen(tag));
	}
	fail_msg("the run of [%s] did not end", action);
	return 0;
}

/*
 * The one escaping function of logs and diagnostics (output = log uses
 * it): C0 controls, DEL and UTF-8 C1 controls escaped, tab, backslash and
 * other UTF-8 kept; a full buffer never cuts an escape.
 */
static void test_escape(void **state)
{
	static const char text[] = "a\tb\\c\nd\re\033[1m\x7f\xc2\x9b"
		"\xc3\xa9\x01";
	char buf[64];

	(void)state;
	assert_int_equal(fm_escape(buf, sizeof(buf), text, sizeof(text) - 1),
		sizeof(text) - 1);
	assert_string_equal(buf, "a\tb\\c\\nd\\re\\x1b[1m\\x7f\\xc2\\x9b"
		"\xc3\xa9\\x01");
	// Seven bytes hold "a\tb\\c" and a NUL, not "\\n" as well.
	assert_int_equal(fm_escape(buf, 7, text, sizeof(text) - 1), 5);
	assert_string_equal(buf, "a\tb\\c");
	// Both bytes of a C1 control, or neither.
	assert_int_equal(fm_escape(buf, 5, "\xc2\x9b", 2), 0);
	assert_string_equal(buf, "");
	assert_int_equal(fm_escape(buf, 9, "\xc2\x9b", 2), 2);
	assert_string_equal(buf, "\\xc2\\x9b");
}

static void test_output_log(void **state)
{
	const char *conf = t_write(tp_dir, "o.conf", "[talk]\naction = exec\n"
		"signal = usr1\noutput = log\ncommand = sh -c 'echo out1; "
		"echo err1 >&2; echo out2; printf \"tab\\there\\033[1m\\n\"; "
		"printf partial'\n\n"
		"[long]\naction = exec\nsignal = usr2\noutput = log\n"
		"command = sh -c 'head -c 2000 /dev/zero | tr \"\\\\0\" a'\n\n"
		"[quiet]\naction = exec\nsignal = hup\noutput = null\n"
		"command = sh -c 'echo hidden; echo hidden >&2'\n\n"
		"[done]\naction = print\nsignal = hup\nmessage = done\n");
	char lines[8][1024], a900[901];
	size_t n;
	struct t_proc p;

	(void)state;
	tp_strings_keep((char *)conf);
	start(&p, (const char *const[]){ "flagman", "-c", conf, "-v", NULL });
	t_expect_out(&p, (const char *const[]){ "init", NULL });
	t_kill(&p, SIGUSR1);
	n = action_lines(&p, "talk", lines, 8);
	assert_int_equal(n, 5);
	// The two streams are two pipes: only each one's own order is fixed.
	for (size_t i = 0, out = 0; i < n; i++) {
		static const char *const want[] = { "flagman: info: out1",
			"flagman: info: out2", "flagman: info: tab\there\\x1b[1m",
			"flagman: info: partial" };
		if (strcmp(lines[i], "flagman: warning: err1") != 0) {
			assert_string_equal(lines[i], want[out++]);
		}
	}
	t_kill(&p, SIGUSR2);
	memset(a900, 'a', 900);
	a900[900] = '\0';
	assert_int_equal(action_lines(&p, "long", lines, 8), 3);
	assert_string_equal(lines[0], tp_fmt("flagman: info: %s", a900));
	assert_string_equal(lines[1], tp_fmt("flagman: info: %s", a900));
	assert_string_equal(lines[2], tp_fmt("flagman: info: %.200s", a900));
	t_kill(&p, SIGHUP);
	t_expect_out(&p, (const char *const[]){ "done", NULL });
	stop(&p);
}

// SIGTERM while a stubborn child runs: flagman gives it stop_timeout, then
// kills the whole group, reaps it and exits.
static void test_stop_while_running(void **state)
{
	const char *g = tp_fmt("%s/g", tp_dir), *c = tp_fmt("%s/c", tp_dir);
	const char *conf = t_write(tp_dir, "s.conf", tp_fmt("[flagman]\n"
		"stop_timeout = 1s\n\n[stubborn]\naction = exec\nsignal = usr1\n"
		STUBBORN "kill_grace = 1h\n", g, c));
	struct t_proc p;
	pid_t child, grandchild;
	long long t0;

	(void)state;
	tp_strings_keep((char *)conf);
	start(&p, (const char *const[]){ "flagman", "-c", conf, NULL });
	t_kill(&p, SIGUSR1);
	child = tp_pid_file(c);
	grandchild = tp_pid_file(g);
	t0 = tp_clock_ms();
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	assert_in_range(tp_clock_ms() - t0, 900, 2000 + tp_slack_ms());
	// Reaped before flagman exited, so not even a zombie is left.
	assert_int_equal(kill(child, 0), -1);
	assert_int_equal(errno, ESRCH);
	assert_int_equal(kill(grandchild, 0), -1);
	assert_int_equal(errno, ESRCH);
	expect_err(&p, (const char *const[]){
		"flagman: warning: [stubborn]: still running after stop_timeout; "
			"forcing it to end", NULL });
	t_finish(&p);
}

// Processes that runs leave behind in their groups are flagman's to end.
static void test_stragglers(void **state)
{
	const char *f = tp_fmt("%s/left", tp_dir);
	pid_t left[2];
	struct t_proc p;

	(void)state;
	t_start(&p, (const char *const[]){ "flagman", "--no-config",
		"--usr1", "exec", tp_fmt("sh -c 'sleep 60 & echo $! >> %s'", f),
		"--usr1", "print", "done", NULL }, NULL, false);
	t_expect_out(&p, (const char *const[]){ "init", NULL });
	for (int i = 0; i < 2; i++) {
		t_kill(&p, SIGUSR1);
		t_expect_out(&p, (const char *const[]){ "done", NULL });
	}
	assert_int_equal(sscanf(tp_file(f), "%d\n%d\n", &left[0], &left[1]), 2);
	assert_int_equal(kill(left[0], 0), 0);
	assert_int_equal(kill(left[1], 0), 0);
	stop(&p);
	assert_int_equal(kill(left[0], 0), -1);
	assert_int_equal(errno, ESRCH);
	assert_int_equal(kill(left[1], 0), -1);
	assert_int_equal(errno, ESRCH);
}

// A process that left its run's process group (setsid) and was orphaned
// comes to flagman, the subreaper, and does not outlive it either.
static void test_escaped_session(void **state)
{
	const char *f = tp_fmt("%s/escaped", tp_dir);
	struct t_proc p;
	pid_t pid;

	(void)state;
	t_start(&p, (const char *const[]){ "flagman", "--no-config",
		"--usr1", "exec", tp_fmt("sh -c 'setsid sleep 60 & echo $! > %s'",
		f), "--usr1", "print", "done", NULL }, NULL, false);
	t_expect_out(&p, (const char *const[]){ "init", NULL });
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, (const char *const[]){ "done", NULL });
	pid = tp_pid_file(f);
	assert_true(pid > 0);
	assert_int_equal(kill(pid, 0), 0);
	stop(&p);
	assert_true(tp_gone(pid, T_TIMEOUT));
}

// 2,000 runs leave no zombie, no descriptor and no memory behind.
static void test_many_runs(void **state)
{
	const char *argv[40] = { "flagman", "--no-config" };
	size_t n = 2;
	long fds = 0, rss = 0;
	int warm;
	struct t_proc p;

	(void)state;
	for (int i = 0; i < 10; i++) {
		argv[n++] = "--usr1";
		argv[n++] = "exec";
		argv[n++] = "true";
	}
	argv[n++] = "--usr1";
	argv[n++] = "print";
	argv[n++] = "tick";
	tp_asan_quarantine_off();
	// No notify socket: nobody would read the STATUS= of 210 chains.
	t_start(&p, argv, NULL, false);
	t_expect_out(&p, (const char *const[]){ "init", NULL });
	// The first 1,000 runs warm the allocators up (ASan's take that long);
	// the 2,000 after them must leave nothing behind.
	// valgrind runs are slow, and their RSS is not compared anyway.
	warm = tp_under_valgrind(p.pid) ? 10 : 100;
	for (int i = 0; i < warm + 200; i++) {
		if (i == warm) {
			fds = tp_fd_count(p.pid);
			rss = tp_rss(p.pid);
		}
		t_kill(&p, SIGUSR1);
		t_expect_out(&p, (const char *const[]){ "tick", NULL });
	}
	assert_int_equal(tp_children(p.pid), 0);
	assert_int_equal(tp_fd_count(p.pid), fds);
	if (!tp_under_valgrind(p.pid)) {
		assert_in_range(tp_rss(p.pid), 0, rss + 256);
	}
	stop(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, tp_dir_set_up, \
	tp_dir_tear_down)
		T(test_chain_order),
		T(test_exit_status),
		T(test_environment),
		T(test_environment_setting),
		T(test_merged),
		T(test_merged_value),
		T(test_signal_state),
		T(test_descriptors),
		T(test_timeout),
		T(test_on_failure),
		T(test_escape),
		T(test_output_log),
		T(test_stop_while_running),
		T(test_stragglers),
		T(test_escaped_session),
		T(test_many_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
