/*
 * Fault injection against the real daemon: fork failing (RLIMIT_NPROC),
 * descriptors exhausted (RLIMIT_NOFILE), stdout broken, full or closed,
 * set-ups that fail, a configuration file that vanishes or becomes
 * unreadable before a reload, a pidfile replaced by a directory.  Each
 * fault must give a clear log line while flagman goes on serving the other
 * actions, and flagman must still exit 0 on SIGTERM.
 *
 * The limits are changed on the running daemon with prlimit(1), so that
 * start-up is unaffected and the limit can be lifted again.  RLIMIT_NPROC
 * does not hold for root, so that test runs flagman as nobody (setpriv(1),
 * which valgrind does not follow into flagman).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"
#include "procinfo.h"

#define LINES(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define OUT(p, ...) t_expect_out(p, LINES(__VA_ARGS__))
#define ERR(p, ...) expect_err(p, LINES(__VA_ARGS__))
#define KEPT(why) "flagman: error: reload failed: " why "; keeping the " \
	"running configuration"

#define SETPRIV "/usr/bin/setpriv"
#define PRLIMIT "/usr/bin/prlimit"
#define ENV "/usr/bin/env"

// tp_dir, opened to nobody.
static int set_up(void **state)
{
	umask(022);
	tp_dir_set_up(state);
	assert_int_equal(chmod(tp_dir, 0755), 0);
	return 0;
}

// Writes tp_dir/name; the path lives until the test ends.
static const char *file(const char *name, const char *text)
{
	char *path = t_write(tp_dir, name, text);

	tp_strings_keep(path);
	return path;
}

// Is line valgrind's ("==123== ...") rather than flagman's?
static bool from_valgrind(const char *line)
{
	size_t digits = strspn(line + 2, "0123456789");

	return strncmp(line, "==", 2) == 0 && digits > 0 &&
		strncmp(line + 2 + digits, "==", 2) == 0;
}

// Asserts the next lines of flagman's log, valgrind's aside.
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

// TERM: exit status 0, and rest is what stdout still gets (NULL: unread).
static void stop(struct t_proc *p, const char *rest)
{
	t_kill(p, SIGTERM);
	assert_int_equal(t_wait(p, T_TIMEOUT), 0);
	if (rest) {
		assert_string_equal(t_rest(p), rest);
	}
	t_finish(p);
}

// Starts wrapper[0] wrapper[1...] flagman argv[1...]: t_start runs
// whatever FLAGMAN_BIN names.
static void start_via(struct t_proc *p, const char *const *wrapper,
	const char *const *argv, bool notify)
{
	char *bin = strdup(t_flagman());
	const char *args[64] = { "wrapper" };
	size_t n = 1;

	assert_non_null(bin);
	for (size_t i = 1; wrapper[i]; i++) {
		args[n++] = wrapper[i];
	}
	args[n++] = bin;
	for (size_t i = 1; argv[i] && n < 63; i++) {
		args[n++] = argv[i];
	}
	setenv("FLAGMAN_BIN", wrapper[0], 1);
	t_start(p, args, NULL, notify);
	setenv("FLAGMAN_BIN", bin, 1);
	free(bin);
}

// Starts flagman as a user that limits hold for: nobody when we are root.
// No notify socket: nobody could not write to ours.
static bool start_unprivileged(struct t_proc *p, const char *const *argv)
{
	if (getuid() != 0) {
		t_start(p, argv, NULL, false);
		return true;
	}
	if (access(SETPRIV, X_OK) < 0 || access(PRLIMIT, X_OK) < 0) {
		return false;
	}
	start_via(p, LINES(SETPRIV, "--reuid=65534", "--regid=65534",
		"--clear-groups"), argv, false);
	return true;
}

/*
 * Sets the soft limit named by option (prlimit(1)'s --nproc...) for process
 * pid, keeping its hard limit.  Without CAP_SYS_RESOURCE (root may lack it
 * in a container) only a process of the same user may do that, so prlimit
 * runs as pid's user.  Both are programs valgrind does not follow.
 */
static void set_soft_limit(pid_t pid, const char *option, rlim_t soft)
{
	char value[128], *uid, *gid;
	const char *argv[16];
	size_t n = 0;
	pid_t child;
	int st;

	assert_true(tp_proc_status(pid, "Uid", value, sizeof(value)));
	uid = tp_fmt("%lu", strtoul(value, NULL, 10));
	assert_true(tp_proc_status(pid, "Gid", value, sizeof(value)));
	gid = tp_fmt("%lu", strtoul(value, NULL, 10));
	if (strtoul(uid, NULL, 10) != getuid()) {
		argv[n++] = SETPRIV;
		argv[n++] = tp_fmt("--reuid=%s", uid);
		argv[n++] = tp_fmt("--regid=%s", gid);
		argv[n++] = "--clear-groups";
	}
	argv[n++] = PRLIMIT;
	argv[n++] = tp_fmt("--pid=%d", (int)pid);
	argv[n++] = soft == RLIM_INFINITY ? tp_fmt("%s=unlimited:", option) :
		tp_fmt("%s=%llu:", option, (unsigned long long)soft);
	argv[n] = NULL;
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

// What the test itself may use, as flagman inherited it.
static rlim_t own_soft_limit(int resource)
{
	struct rlimit rl;

	assert_int_equal(getrlimit(resource, &rl), 0);
	return rl.rlim_cur;
}

// The lowest descriptor number pid has free: the next one it would get.
static int lowest_free_fd(pid_t pid)
{
	struct stat st;
	int fd = 0;

	while (lstat(tp_fmt("/proc/%d/fd/%d", (int)pid, fd), &st) == 0) {
		fd++;
	}
	return fd;
}

/* ---- resource limits ---- */

static const char spawners[] =
	"[run]\naction = exec\nsignal = usr1\ncommand = sh -c 'echo exec ran'\n\n"
	"[log]\naction = exec\nsignal = usr1\noutput = log\n"
	"command = sh -c 'echo logged >&2'\n\n"
	"[done]\naction = print\nsignal = usr1\nmessage = usr1 done\n\n"
	"[alive]\naction = print\nsignal = usr2\nmessage = alive\n";

static void test_fork_fails(void **state)
{
	const char *conf = file("f.conf", spawners);
	struct t_proc p;
	long fds;

	(void)state;
	if (access(PRLIMIT, X_OK) < 0) {
		skip();
		return;
	}
	if (!start_unprivileged(&p, LINES("flagman", "-c", conf))) {
		skip(); // root, and no setpriv to be someone else
		return;
	}
	OUT(&p, "init", "init");
	fds = tp_fd_count(p.pid);
	set_soft_limit(p.pid, "--nproc", 0);
	t_kill(&p, SIGUSR1);
	ERR(&p, "flagman: error: [run]: cannot start 'sh': Resource "
			"temporarily unavailable",
		"flagman: error: [log]: cannot start 'sh': Resource "
			"temporarily unavailable");
	OUT(&p, "usr1 done");
	// The pipes made for [log]'s output are closed again.
	assert_int_equal(tp_fd_count(p.pid), fds);
	t_kill(&p, SIGUSR2);
	OUT(&p, "alive");
	set_soft_limit(p.pid, "--nproc", own_soft_limit(RLIMIT_NPROC));
	t_kill(&p, SIGUSR1);
	OUT(&p, "exec ran");
	ERR(&p, "flagman: warning: [log]: logged");
	OUT(&p, "usr1 done");
	stop(&p, "cleanup\ncleanup\n");
}

// Every action that needs a descriptor fails alone, a reload too; when
// descriptors are there again, everything works again.
static void test_descriptors_exhausted(void **state)
{
	const char *pidfile = file("pid", tp_fmt("%d\n", (int)getpid()));
	const char *out = tp_fmt("%s/appended", tp_dir);
	const char *more = tp_fmt("[append]\naction = write\nsignal = usr1\n"
		"path = %s\ncontent = w\\n\nappend = yes\n\n"
		"[fwd]\naction = signal\nsignal = usr1\nsend = winch\n"
		"pidfile = %s\n\n", out, pidfile);
	const char *conf = file("f.conf", tp_fmt("%s%s", more, spawners));
	struct t_proc p;
	long fds;
	int low;

	(void)state;
	if (access(PRLIMIT, X_OK) < 0 || access(ENV, X_OK) < 0) {
		skip();
		return;
	}
	// valgrind keeps descriptors of its own at the top of the table, and
	// its bookkeeping breaks when the limit moves under it: flagman runs
	// natively here (env is a program valgrind does not follow).
	start_via(&p, LINES(ENV), LINES("flagman", "-c", conf), false);
	OUT(&p, "init", "init");
	fds = tp_fd_count(p.pid);
	low = lowest_free_fd(p.pid);
	set_soft_limit(p.pid, "--nofile", (rlim_t)low);
	t_kill(&p, SIGUSR1);
	ERR(&p, tp_fmt("flagman: warning: [append]: cannot open %s: Too many "
			"open files", out),
		tp_fmt("flagman: warning: [fwd]: cannot open pidfile %s: Too many "
			"open files", pidfile),
		"flagman: error: [run]: cannot start 'sh': Too many open files",
		"flagman: error: [log]: cannot create a pipe for the output: Too "
			"many open files");
	OUT(&p, "usr1 done");
	t_kill(&p, SIGUSR2);
	OUT(&p, "alive");
	t_kill(&p, SIGHUP);
	ERR(&p, tp_fmt("flagman: error: %s: cannot open: Too many open "
			"files", conf),
		KEPT("1 error"));
	assert_int_equal(tp_fd_count(p.pid), fds);

	// Room for one pipe, then for two: [log] fails at its second output
	// pipe, then at the spawn's own; what it had opened is closed again.
	for (int room = 2; room <= 4; room += 2) {
		set_soft_limit(p.pid, "--nofile", (rlim_t)(low + room));
		t_kill(&p, SIGUSR1);
		ERR(&p, room == 2 ? "flagman: error: [log]: cannot create a pipe "
			"for the output: Too many open files" : "flagman: error: [log]: "
			"cannot start 'sh': Too many open files");
		OUT(&p, "exec ran", "usr1 done");
		assert_int_equal(tp_fd_count(p.pid), fds);
	}
	tp_expect_file(out, "w\nw\n");

	set_soft_limit(p.pid, "--nofile", own_soft_limit(RLIMIT_NOFILE));
	t_kill(&p, SIGUSR1);
	OUT(&p, "exec ran");
	ERR(&p, "flagman: warning: [log]: logged");
	OUT(&p, "usr1 done");
	tp_expect_file(out, "w\nw\nw\n");
	file("f.conf", tp_fmt("%s%s", more, "[done]\naction = print\n"
		"signal = usr1\nmessage = reloaded\n"));
	t_kill(&p, SIGHUP);
	OUT(&p, "init", "cleanup", "cleanup");
	t_kill(&p, SIGUSR1);
	OUT(&p, "reloaded");
	tp_expect_file(out, "w\nw\nw\nw\n");
	stop(&p, "cleanup\n");
}

/* ---- stdout ---- */

// The reader of stdout goes away: print fails with EPIPE (flagman ignores
// SIGPIPE), a child that inherited stdout dies of SIGPIPE, the rest goes on.
static void test_stdout_broken_pipe(void **state)
{
	const char *f = tp_fmt("%s/w", tp_dir);
	struct t_proc p;

	(void)state;
	t_start(&p, LINES("flagman", "--no-config", "--usr1", "print", "lost",
		"--usr1", "exec", "sh -c 'echo lost too'",
		"--usr1", "write", f, "w\\n", "yes",
		"--usr2", "write", f, "alive\\n", "yes"), NULL, false);
	OUT(&p, "init");
	close(p.out.fd);
	p.out.fd = -1;
	t_kill(&p, SIGUSR1);
	ERR(&p, "flagman: error: [cli-1]: cannot write to stdout: Broken pipe",
		"flagman: warning: [cli-2]: killed by signal PIPE (status 141)");
	tp_expect_file(f, "w\n");
	t_kill(&p, SIGUSR2);
	tp_expect_file(f, "w\nalive\n");
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	// print's tear-down cannot write its "cleanup" either.
	ERR(&p, "flagman: error: [cli-1]: cannot write to stdout: Broken pipe");
	t_finish(&p);
}

static const char *fdredir(void)
{
	const char *path = getenv("FLAGMAN_FDREDIR");

	if (!path) {
		fail_msg("FLAGMAN_FDREDIR is not set: run the tests with meson");
	}
	return path;
}

// A full disk: stdout on /dev/full, and a write action to /dev/full.
static void test_disk_full(void **state)
{
	static const char full[] = "No space left on device";
	const char *f = tp_fmt("%s/w", tp_dir);
	struct t_proc p;

	(void)state;
	start_via(&p, LINES(fdredir(), "1", "/dev/full"), LINES("flagman",
		"--no-config", "--usr1", "print", "lost",
		"--usr1", "write", "/dev/full", "full\\n",
		"--usr1", "write", f, "w\\n", "yes"), false);
	ERR(&p, tp_fmt("flagman: error: [cli-1]: cannot write to stdout: %s",
		full)); // "init"
	t_kill(&p, SIGUSR1);
	ERR(&p, tp_fmt("flagman: error: [cli-1]: cannot write to stdout: %s",
			full),
		tp_fmt("flagman: warning: [cli-2]: cannot write to /dev/full (0 of 5 "
			"bytes written): %s", full));
	tp_expect_file(f, "w\n");
	t_kill(&p, SIGUSR1);
	ERR(&p, tp_fmt("flagman: error: [cli-1]: cannot write to stdout: %s",
			full),
		tp_fmt("flagman: warning: [cli-2]: cannot write to /dev/full (0 of 5 "
			"bytes written): %s", full));
	tp_expect_file(f, "w\nw\n");
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	ERR(&p, tp_fmt("flagman: error: [cli-1]: cannot write to stdout: %s",
		full)); // "cleanup"
	t_finish(&p);
}

/*
 * Nobody reads stdout any more (a stalled log reader): print drops its lines
 * and logs why, instead of blocking, so other actions are still served and
 * TERM is honoured (flagman(8), SIGNALS).
 */
static void test_stdout_stalled(void **state)
{
	const char *f = tp_fmt("%s/w", tp_dir);
	struct t_proc p;
	char *message;

	(void)state;
	message = tp_fmt("%0150d", 0);
	t_start(&p, LINES("flagman", "--no-config", "--usr1", "print", message,
		"--usr2", "write", f, "w\\n", "yes"), NULL, false);
	OUT(&p, "init");
	// 4 KiB of pipe: full after some 27 runs, and nobody reads it.
	assert_true(fcntl(p.out.fd, F_SETPIPE_SZ, 4096) > 0);
	for (int i = 0; i < 40; i++) {
		t_kill(&p, SIGUSR1);
		assert_true(tp_signal_taken(p.pid, SIGUSR1, T_TIMEOUT));
	}
	assert_true(t_err_until(&p, "flagman: error: [cli-1]: stdout is full (is "
		"anyone reading it?); line dropped", T_TIMEOUT));
	t_kill(&p, SIGUSR2);
	tp_expect_file(f, "w\n");
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	t_finish(&p);
}

// Bytes waiting in the pipe from flagman's stdout.
static int unread(struct t_proc *p)
{
	int n = 0;

	assert_int_equal(ioctl(p->out.fd, FIONREAD, &n), 0);
	return n;
}

/*
 * A line longer than a pipe takes at once (PIPE_BUF) still arrives whole
 * when the pipe has room for only part of it: flagman waits for the reader
 * then, as it did before lines went through a non-blocking descriptor.
 * Two runs before the first read: the second long line finds 4 KiB free.
 */
static void test_long_line_whole(void **state)
{
	static char got[16384];
	const char *message = tp_fmt("%012000d", 7);
	struct t_proc p;

	(void)state;
	t_start(&p, LINES("flagman", "--no-config", "--usr1", "print", message,
		"--usr1", "print", "short"), NULL, false);
	OUT(&p, "init");
	OUT(&p, "init");
	assert_true(fcntl(p.out.fd, F_SETPIPE_SZ, 16384) > 0);
	t_kill(&p, SIGUSR1);
	// The first chain's two lines are in the pipe: 12001 + 6 bytes.  (Not
	// tp_signal_taken: under valgrind a signal leaves the kernel's pending
	// set before the program sees it, and a second kill can merge.)
	for (long long end = tp_clock_ms() + T_TIMEOUT; unread(&p) < 12007;) {
		assert_true(tp_clock_ms() < end);
		poll(NULL, 0, 1);
	}
	t_kill(&p, SIGUSR1);
	// The second long line has begun: the pipe holds more than that.
	for (long long end = tp_clock_ms() + T_TIMEOUT; unread(&p) <= 12007;) {
		assert_true(tp_clock_ms() < end);
		poll(NULL, 0, 1);
	}
	for (int i = 0; i < 2; i++) {
		assert_true(t_out_line(&p, got, sizeof(got), T_TIMEOUT));
		assert_int_equal(strlen(got), 12000);
		assert_string_equal(got, message);
		OUT(&p, "short");
	}
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	t_finish(&p);
}

/*
 * Nobody reads stderr any more (a stalled journal stream, a pipe): log
 * lines that find no room are dropped, not waited for, so USR2's write and
 * TERM are still served.  Once there is room, the next line is preceded by
 * how many were lost.
 */
static void test_stderr_stalled(void **state)
{
	const char *f = tp_fmt("%s/w", tp_dir);
	const char *nowhere = tp_fmt("%s/no/such/dir/x", tp_dir);
	char first[256], line[256];
	unsigned long lost = 0;
	struct t_proc p;

	(void)state;
	t_start(&p, LINES("flagman", "--no-config",
		"--usr1", "write", nowhere, "x", "--usr1", "print", "ran",
		"--usr2", "write", f, "w\\n", "yes"), NULL, false);
	OUT(&p, "init");
	// 4 KiB of pipe: each run logs a warning of some 100 bytes.
	assert_true(fcntl(p.err.fd, F_SETPIPE_SZ, 4096) > 0);
	for (int i = 0; i < 80; i++) {
		t_kill(&p, SIGUSR1);
		OUT(&p, "ran");
	}
	t_kill(&p, SIGUSR2);
	tp_expect_file(f, "w\n");
	// Room again, without reading: the next run's line goes out after
	// the count of those dropped.
	assert_true(fcntl(p.err.fd, F_SETPIPE_SZ, 65536) > 0);
	t_kill(&p, SIGUSR1);
	OUT(&p, "ran");
	do {
		assert_true(t_err_line(&p, first, sizeof(first), T_TIMEOUT));
	} while (from_valgrind(first));
	assert_non_null(strstr(first, "[cli-1]: "));
	do {
		assert_true(t_err_line(&p, line, sizeof(line), T_TIMEOUT));
	} while (from_valgrind(line) || strcmp(line, first) == 0);
	assert_int_equal(sscanf(line, "flagman: warning: %lu log lines dropped: "
		"stderr was full", &lost), 1);
	assert_true(lost > 10 && lost < 80);
	do {
		assert_true(t_err_line(&p, line, sizeof(line), T_TIMEOUT));
	} while (from_valgrind(line));
	assert_string_equal(line, first);
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	t_finish(&p);
}

// Started with stdout closed: /dev/null takes its place, so that no
// descriptor flagman opens later (the signalfd...) becomes stdout.
static void test_stdout_closed(void **state)
{
	const char *f = tp_fmt("%s/w", tp_dir);
	char target[64] = "";
	struct t_proc p;
	char line[256];

	(void)state;
	start_via(&p, LINES(fdredir(), "1", "-"), LINES("flagman",
		"--no-config", "--usr1", "print", "nowhere",
		"--usr1", "exec", "sh -c 'echo child'",
		"--usr1", "write", f, "w\\n", "yes"), true);
	assert_true(t_notify_until(&p, "READY=1", T_TIMEOUT));
	assert_true(readlink(tp_fmt("/proc/%d/fd/1", (int)p.pid), target,
		sizeof(target) - 1) > 0);
	assert_string_equal(target, "/dev/null");
	t_kill(&p, SIGUSR1);
	tp_expect_file(f, "w\n");
	t_kill(&p, SIGUSR1);
	tp_expect_file(f, "w\nw\n");
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	// Nothing failed, so nothing was logged.
	while (t_err_line(&p, line, sizeof(line), T_TIMEOUT)) {
		assert_true(from_valgrind(line));
	}
	t_finish(&p);
}

/* ---- set-ups that fail ---- */

// tp_dir/plugins, holding the probe plug-in (tests/probe.c).
static const char *probe_dir(void)
{
	const char *probe = getenv("FLAGMAN_PLUGIN_PROBE");
	const char *plugins = tp_fmt("%s/plugins", tp_dir);

	if (!probe) {
		fail_msg("FLAGMAN_PLUGIN_PROBE is not set: run the tests with meson");
	}
	assert_int_equal(mkdir(plugins, 0755), 0);
	assert_int_equal(system(tp_fmt("cp '%s' '%s/probe.so' && chmod 644 "
		"'%s/probe.so'", probe, plugins, plugins)), 0);
	return plugins;
}

// Set up in order until one fails; those set up are torn down in order,
// the rest never set up; exit 2 and no READY=1.
static void test_set_up_fails_at_start(void **state)
{
	// (exec's set-up refusals are found at load now: see test_check.c.)
	const char *plugins = probe_dir();
	const struct {
		const char *section, *log, *out;
	} cases[] = {
		{ "[b]\naction = probe\nsignal = usr2\nlabel = b\nfail = yes\n",
			"flagman: error: [b]: asked to fail", "set up b: failing\n" },
	};
	char msg[4096], line[4096];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *conf = file("f.conf", tp_fmt("[flagman]\nplugin_dir = "
			"%s\n\n[hello]\naction = print\nsignal = usr1\nmessage = hello\n\n"
			"[a]\naction = probe\nsignal = usr1\nlabel = a\n\n%s\n"
			"[c]\naction = probe\nsignal = usr2\nlabel = c\n", plugins,
			cases[i].section));
		struct t_proc p;

		t_start(&p, LINES("flagman", "-c", conf), NULL, true);
		assert_int_equal(t_wait(&p, T_TIMEOUT), 2);
		assert_string_equal(t_rest(&p), tp_fmt("init\nset up a\n%s"
			"cleanup\ntear down a\n", cases[i].out));
		ERR(&p, cases[i].log, "flagman: error: [b]: set-up failed");
		while (t_err_line(&p, line, sizeof(line), T_TIMEOUT)) {
			assert_true(from_valgrind(line));
		}
		assert_false(t_notify(&p, msg, sizeof(msg), 0));
		t_finish(&p);
	}
}

// Follows a reload on the notify socket; its STATUS= into status.
static void reload(struct t_proc *p, char *status, size_t size)
{
	t_kill(p, SIGHUP);
	assert_true(t_notify_until(p, "RELOADING=1", T_TIMEOUT));
	assert_true(t_notify(p, status, size, T_TIMEOUT));
	assert_string_equal(status, "READY=1");
	assert_true(t_notify(p, status, size, T_TIMEOUT));
}


static void test_set_up_fails_at_reload(void **state)
{
	const char *plugins = probe_dir();
	const char *probe_a = "[a]\naction = probe\nsignal = usr1\nlabel = a\n\n";
	const char *conf = file("f.conf", tp_fmt("[flagman]\nplugin_dir = %s\n\n"
		"[hello]\naction = print\nsignal = usr1\nmessage = hello\n\n%s",
		plugins, probe_a));
	char status[4096];
	struct t_proc p;

	(void)state;
	t_start(&p, LINES("flagman", "-c", conf), NULL, true);
	OUT(&p, "init", "set up a");
	t_kill(&p, SIGUSR1);
	OUT(&p, "hello", "run a 1 (USR1)");
	file("f.conf", tp_fmt("[flagman]\nplugin_dir = %s\n\n[hello]\n"
		"action = print\nsignal = usr1\nmessage = hello 2\n\n%s%s", plugins,
		probe_a, "[x]\naction = probe\nsignal = usr2\nlabel = x\n"
		"fail = yes\n"));
	reload(&p, status, sizeof(status));
	assert_non_null(strstr(status, "; reload failed (an action's set-up "
		"failed), running the old configuration"));
	// The new [hello] came and went; the old one was never touched.
	OUT(&p, "init", "set up x: failing", "cleanup");
	ERR(&p, "flagman: error: [x]: asked to fail",
		"flagman: error: [x]: set-up failed",
		KEPT("an action's set-up failed"));
	t_kill(&p, SIGUSR1);
	OUT(&p, "hello", "run a 2 (USR1)");
	stop(&p, "cleanup\ntear down a\n");
}

/* ---- the configuration file goes away before a reload ---- */

static const char hello[] =
	"[hello]\naction = print\nsignal = usr1\nmessage = hello\n";
static const char hello_again[] =
	"[hello]\naction = print\nsignal = usr1\nmessage = hello again\n";

static void test_config_vanishes(void **state)
{
	const char *conf = file("f.conf", hello), *dropins, *nowhere;
	char status[4096];
	struct t_proc p;
	enum { REMOVED, DIRECTORY, DANGLING, FIFO, DROPINS_FILE, NCASES };

	(void)state;
	dropins = tp_fmt("%s/f.d", tp_dir);
	nowhere = tp_fmt("%s/nowhere", tp_dir);
	t_start(&p, LINES("flagman", "-c", conf), NULL, true);
	assert_true(t_notify_until(&p, "READY=1", T_TIMEOUT));
	OUT(&p, "init");
	for (int i = 0; i < NCASES; i++) {
		const char *why = NULL;

		assert_int_equal(unlink(conf), 0);
		if (i == REMOVED) {
			why = tp_fmt("%s: cannot open: No such file or directory", conf);
		} else if (i == DIRECTORY) {
			assert_int_equal(mkdir(conf, 0755), 0);
			why = tp_fmt("%s: not a regular file (a directory)", conf);
		} else if (i == DANGLING) {
			assert_int_equal(symlink(nowhere, conf), 0);
			why = tp_fmt("%s: cannot open: No such file or directory", conf);
		} else if (i == FIFO) {
			assert_int_equal(mkfifo(conf, 0644), 0);
			why = tp_fmt("%s: not a regular file", conf);
		} else {
			file("f.conf", hello_again);
			file("f.d", "");
			why = tp_fmt("%s: not a directory", dropins);
		}
		reload(&p, status, sizeof(status));
		assert_non_null(strstr(status, "; reload failed (1 error), running "
			"the old configuration"));
		ERR(&p, tp_fmt("flagman: error: %s", why),
			KEPT("1 error"));
		t_kill(&p, SIGUSR1);
		OUT(&p, "hello");
		if (i != REMOVED) {
			assert_int_equal(remove(i == DROPINS_FILE ? dropins : conf), 0);
		}
		file("f.conf", hello);
	}
	file("f.conf", hello_again);
	reload(&p, status, sizeof(status));
	assert_null(strstr(status, "reload failed"));
	OUT(&p, "init", "cleanup");
	t_kill(&p, SIGUSR1);
	OUT(&p, "hello again");
	stop(&p, "cleanup\n");
}

// chmod 000 does not stop root: flagman runs as nobody for this one.
static void test_config_unreadable(void **state)
{
	const char *conf = file("f.conf", hello);
	struct t_proc p;

	(void)state;
	if (!start_unprivileged(&p, LINES("flagman", "-c", conf))) {
		skip(); // root, and no setpriv to be someone else
		return;
	}
	OUT(&p, "init");
	assert_int_equal(chmod(conf, 0), 0);
	t_kill(&p, SIGHUP);
	ERR(&p, tp_fmt("flagman: error: %s: cannot open: Permission denied",
			conf),
		KEPT("1 error"));
	t_kill(&p, SIGUSR1);
	OUT(&p, "hello");
	// Readable again first: not root, the test could not rewrite it.
	assert_int_equal(chmod(conf, 0644), 0);
	file("f.conf", hello_again);
	t_kill(&p, SIGHUP);
	OUT(&p, "init", "cleanup");
	t_kill(&p, SIGUSR1);
	OUT(&p, "hello again");
	stop(&p, "cleanup\n");
}

/* ---- a pidfile replaced by a directory ---- */

// [fwd] sends USR2 to the PID in its pidfile: flagman's own, so the USR2
// chain's "got usr2" shows that it was sent.
static void test_pidfile_replaced(void **state)
{
	const char *pidfile = tp_fmt("%s/pid", tp_dir);
	const char *conf = file("f.conf", tp_fmt("[fwd]\naction = signal\n"
		"signal = usr1\nsend = usr2\npidfile = %s\n\n[next]\naction = print\n"
		"signal = usr1\nmessage = usr1 done\n\n[got]\naction = print\n"
		"signal = usr2\nmessage = got usr2\n", pidfile));
	struct t_proc p;

	(void)state;
	t_start(&p, LINES("flagman", "-c", conf), NULL, false);
	OUT(&p, "init", "init");
	file("pid", tp_fmt("%d\n", (int)p.pid));
	t_kill(&p, SIGUSR1);
	OUT(&p, "usr1 done", "got usr2");
	assert_int_equal(unlink(pidfile), 0);
	assert_int_equal(mkdir(pidfile, 0755), 0);
	t_kill(&p, SIGUSR1);
	ERR(&p, tp_fmt("flagman: warning: [fwd]: pidfile %s is not a regular "
		"file", pidfile));
	OUT(&p, "usr1 done");
	assert_int_equal(rmdir(pidfile), 0);
	file("pid", tp_fmt("%d\n", (int)p.pid));
	// Had the failed run sent USR2, its "got usr2" would come first.
	t_kill(&p, SIGUSR1);
	OUT(&p, "usr1 done", "got usr2");
	stop(&p, "cleanup\ncleanup\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, set_up, \
	tp_dir_tear_down)
		T(test_fork_fails),
		T(test_descriptors_exhausted),
		T(test_stdout_broken_pipe),
		T(test_disk_full),
		T(test_stdout_closed),
		T(test_stdout_stalled),
		T(test_long_line_whole),
		T(test_stderr_stalled),
		T(test_set_up_fails_at_start),
		T(test_set_up_fails_at_reload),
		T(test_config_vanishes),
		T(test_config_unreadable),
		T(test_pidfile_replaced),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
