/*
 * Path security as root: a service user's directory, made by the test, in
 * which that user plants symlinks, hard links and pidfiles; flagman must
 * not let any of them decide which file it writes, which process it
 * signals, which plug-in it loads or which configuration it reads.  Every
 * case needs root: as anyone else the program exits 77 (skipped).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"
#include "procinfo.h"

#define USER 65534   /* nobody */
#define OTHER 65533  /* a second unprivileged uid */
#define UNSHARE "/usr/bin/unshare"

static const char *udir;   /* tp_dir/u, the service user's directory */
static pid_t targets[2];   /* processes to kill at the tear-down */
static const char *victim; /* tp_dir/victim, root's file */

static int set_up(void **state)
{
	tp_dir_set_up(state);
	// The user must be able to reach its directory.
	assert_int_equal(chmod(tp_dir, 0755), 0);
	udir = tp_fmt("%s/u", tp_dir);
	assert_int_equal(mkdir(udir, 0755), 0);
	assert_int_equal(chown(udir, USER, USER), 0);
	victim = tp_fmt("%s/victim", tp_dir);
	tp_strings_keep(t_write(tp_dir, "victim", "secret\n"));
	assert_int_equal(chmod(victim, 0600), 0);
	return 0;
}

static int tear_down(void **state)
{
	for (size_t i = 0; i < 2; i++) {
		if (targets[i] > 0) {
			kill(targets[i], SIGKILL);
			waitpid(targets[i], NULL, 0);
			targets[i] = 0;
		}
	}
	return tp_dir_tear_down(state);
}

// Becomes the service user (in a child process).
static void become_user(void)
{
	if (setgroups(0, NULL) < 0 || setresgid(USER, USER, USER) < 0 ||
			setresuid(USER, USER, USER) < 0) {
		_exit(99);
	}
}

// As the user: a symlink at link pointing to target.
static void user_symlink(const char *target, const char *link)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		become_user();
		_exit(symlink(target, link) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(st, 0);
}

// As the user: a file at path with text.
static void user_file(const char *path, const char *text)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd;
		become_user();
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		_exit(fd >= 0 && write(fd, text, strlen(text)) ==
			(ssize_t)strlen(text) ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(st, 0);
}

static uid_t owner(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_uid;
}

/* ---- write ---- */

// One trigger of a write to path: refused with why, the daemon serves on.
static void write_refused(const char *path, const char *why)
{
	char line[4096];
	struct t_proc p;

	tp_write_start(&p, path, "pwned\\n", "no");
	tp_write_run(&p);
	assert_true(t_err_line(&p, line, sizeof(line), T_TIMEOUT));
	assert_string_equal(line, tp_fmt("flagman: warning: [cli-1]: refusing "
		"to write %s: %s", path, why));
	tp_write_run(&p); // still serving, and still refusing
	assert_true(t_err_line(&p, line, sizeof(line), T_TIMEOUT));
	tp_stop(&p);
	assert_string_equal(tp_file(victim), "secret\n");
}

static void test_write_symlink(void **state)
{
	const char *link = tp_fmt("%s/trigger", udir);
	const char *dangling = tp_fmt("%s/created", tp_dir);

	(void)state;
	user_symlink(victim, link);
	write_refused(link, "it is a symbolic link, and write never follows "
		"one");
	// A dangling link would create root's file wherever it points.
	assert_int_equal(unlink(link), 0);
	user_symlink(dangling, link);
	write_refused(link, "it is a symbolic link, and write never follows "
		"one");
	assert_int_equal(access(dangling, F_OK), -1);
}

static void test_write_hard_link(void **state)
{
	const char *hard = tp_fmt("%s/trigger", udir);

	(void)state;
	// fs.protected_hardlinks stops the user here; root plants it instead,
	// as the user could where that protection is off.
	assert_int_equal(link(victim, hard), 0);
	write_refused(hard, tp_fmt("it has 2 hard links, in a directory that "
		"uid %d can write", USER));
}

static void test_write_symlinked_parent(void **state)
{
	const char *rootdir = tp_fmt("%s/rootdir", tp_dir);
	const char *abs = tp_fmt("%s/abs", udir), *rel = tp_fmt("%s/rel", udir);
	const char *target;

	(void)state;
	assert_int_equal(mkdir(rootdir, 0755), 0);
	tp_strings_keep(t_write(rootdir, "file", "secret\n"));
	user_symlink(rootdir, abs);
	user_symlink("../rootdir", rel);
	write_refused(tp_fmt("%s/file", abs), tp_fmt("unsafe path transition "
		"from %s (a symlink owned by uid %d) to / (owned by uid 0)", abs,
		USER));
	write_refused(tp_fmt("%s/file", rel), tp_fmt("unsafe path transition "
		"from %s (a symlink owned by uid %d) to %s (owned by uid 0)", rel,
		USER, tp_dir));
	assert_string_equal(tp_file(tp_fmt("%s/file", rootdir)), "secret\n");
	// Someone else's file in the user's directory is not the user's to
	// hand over either.
	target = tp_fmt("%s/other", udir);
	tp_strings_keep(t_write(udir, "other", "theirs\n"));
	assert_int_equal(chown(target, OTHER, OTHER), 0);
	write_refused(target, tp_fmt("it is owned by uid %d, in a directory "
		"that uid %d controls (unsafe path transition)", OTHER, USER));
	assert_string_equal(tp_file(target), "theirs\n");
}

// A fresh file in the user's directory, the user's own file there, and a
// FIFO of the user's: all written, as before.
static void test_write_allowed(void **state)
{
	const char *fresh = tp_fmt("%s/fresh", udir);
	const char *own = tp_fmt("%s/own", udir);
	struct t_proc p;

	(void)state;
	tp_write_start(&p, fresh, "one\\n", "no");
	tp_write_run(&p);
	tp_expect_file(fresh, "one\n");
	assert_int_equal(owner(fresh), 0);
	// The second trigger rewrites the file the first one created.
	tp_strings_keep(t_write(udir, "fresh", "changed\n"));
	tp_write_run(&p);
	tp_expect_file(fresh, "one\n");
	tp_stop(&p);

	user_file(own, "old content\n");
	tp_write_start(&p, own, "new\\n", "no");
	tp_write_run(&p);
	tp_expect_file(own, "new\n");
	assert_int_equal(owner(own), USER);
	tp_stop(&p);
}

/* ---- signal ---- */

// Waits until the target blocks USR2 and runs as uid.
static void target_ready(pid_t pid, unsigned uid)
{
	long long deadline = tp_clock_ms() + T_TIMEOUT;
	char blocked[64], uids[64];

	for (;;) {
		assert_true(tp_proc_status(pid, "SigBlk", blocked, sizeof(blocked)));
		assert_true(tp_proc_status(pid, "Uid", uids, sizeof(uids)));
		if ((strtoull(blocked, NULL, 16) & (1ULL << (SIGUSR2 - 1))) &&
				strtoul(uids, NULL, 10) == uid) {
			return;
		}
		assert_true(tp_clock_ms() < deadline);
		poll(NULL, 0, 5);
	}
}

/* A process that blocks USR2 and waits; what it was sent stays pending, so
 * the test can tell whether anything arrived.  As the user if user. */
static pid_t target_start(bool user)
{
	sigset_t set;
	pid_t pid;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sigprocmask(SIG_BLOCK, &set, NULL);
		if (user) {
			become_user();
		}
		for (;;) {
			pause();
		}
	}
	targets[targets[0] > 0] = pid;
	target_ready(pid, user ? USER : 0);
	return pid;
}

static void target_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	for (size_t i = 0; i < 2; i++) {
		targets[i] = targets[i] == pid ? 0 : targets[i];
	}
}

// A signal sent to the process is pending in the shared set.
static bool usr2_pending(pid_t pid)
{
	char value[64];

	assert_true(tp_proc_status(pid, "ShdPnd", value, sizeof(value)));
	return strtoull(value, NULL, 16) & (1ULL << (SIGUSR2 - 1));
}

// The daemon forwarding USR1 as USR2 to the PID in pidfile (process_group
// as given), then "print next".
static void signal_start(struct t_proc *p, const char *pidfile,
	const char *group)
{
	const char *conf = tp_fmt("%s/c.conf", tp_dir);

	tp_strings_keep(t_write(tp_dir, "c.conf", tp_fmt("[fwd]\naction = "
		"signal\nsignal = usr1\nsend = usr2\npidfile = %s\nprocess_group "
		"= %s\n\n[next]\naction = print\nsignal = usr1\nmessage = next\n",
		pidfile, group)));
	t_start(p, (const char *const[]){ "flagman", "-c", conf, NULL }, NULL,
		false);
	t_expect_out(p, (const char *const[]){ "init", NULL });
}

// One run: the line logged, or none (NULL) when the signal was sent.
// valgrind's 3.19 knows no pidfd_open, and says so on stderr: skipped.
static void signal_run(struct t_proc *p, const char *log)
{
	char line[4096];

	t_kill(p, SIGUSR1);
	t_expect_out(p, (const char *const[]){ "next", NULL });
	if (log) {
		do {
			assert_true(t_err_line(p, line, sizeof(line), T_TIMEOUT));
		} while (strncmp(line, "--", 2) == 0 || strncmp(line, "==", 2) == 0);
		assert_string_equal(line, tp_fmt("flagman: warning: [fwd]: %s",
			log));
	}
}

static void test_pidfile_refused(void **state)
{
	const char *pidfile = tp_fmt("%s/app.pid", udir);
	const char *shared = tp_fmt("%s/shared.pid", tp_dir);
	pid_t root = target_start(false);
	struct t_proc p;

	(void)state;
	user_file(pidfile, tp_fmt("%d\n", (int)root));
	signal_start(&p, pidfile, "no");
	signal_run(&p, tp_fmt("refusing PID %d from pidfile %s: uid %d can "
		"change the pidfile, and the process is not theirs (real uid 0, "
		"saved uid 0)", (int)root, pidfile, USER));
	// PID 1 is refused before anything is sent to it.
	user_file(pidfile, "1\n");
	signal_run(&p, tp_fmt("refusing PID 1 from pidfile %s: a pidfile may "
		"never name PID 1", pidfile));
	tp_stop(&p);
	// Whoever could write it: root's file, writable by others.
	tp_strings_keep(t_write(tp_dir, "shared.pid", tp_fmt("%d\n", root)));
	assert_int_equal(chmod(shared, 0666), 0);
	signal_start(&p, shared, "no");
	signal_run(&p, tp_fmt("refusing PID %d from pidfile %s: group or "
		"others can change the pidfile", (int)root, shared));
	tp_stop(&p);
	assert_false(usr2_pending(root));
	target_stop(root);
}

// The process whose parent is pid, waited for.
static pid_t child_of(pid_t pid)
{
	long long deadline = tp_clock_ms() + T_TIMEOUT;

	do {
		DIR *d = opendir("/proc");
		struct dirent *de;
		pid_t found = 0;
		char ppid[32];

		assert_non_null(d);
		while (!found && (de = readdir(d))) {
			pid_t p = (pid_t)atoi(de->d_name);
			if (p > 0 && tp_proc_status(p, "PPid", ppid, sizeof(ppid)) &&
					atoi(ppid) == (int)pid) {
				found = p;
			}
		}
		closedir(d);
		if (found) {
			return found;
		}
		poll(NULL, 0, 5);
	} while (tp_clock_ms() < deadline);
	fail_msg("no child of %d appeared", (int)pid);
	return 0;
}

/*
 * PID 1 is never signalled, even from root's own pidfile: flagman runs as
 * PID 1 of a new PID namespace, so a USR2 sent there would reach flagman
 * itself and run its [mark] action.
 */
static void test_pidfile_pid1(void **state)
{
	const char *pidfile = tp_fmt("%s/one.pid", tp_dir);
	const char *conf = tp_fmt("%s/one.conf", tp_dir);
	char *bin = strdup(t_flagman()), line[4096];
	struct t_proc p;
	pid_t flagman;

	(void)state;
	assert_non_null(bin);
	if (access(UNSHARE, X_OK) < 0) {
		free(bin);
		skip();
	}
	tp_strings_keep(t_write(tp_dir, "one.pid", "1\n"));
	tp_strings_keep(t_write(tp_dir, "one.conf", tp_fmt("[fwd]\naction = "
		"signal\nsignal = usr1\nsend = usr2\npidfile = %s\n\n[next]\n"
		"action = print\nsignal = usr1\nmessage = next\n\n[mark]\n"
		"action = print\nsignal = usr2\nmessage = got usr2\n", pidfile)));
	// unshare(1) forks flagman into the namespace, where it is PID 1.
	setenv("FLAGMAN_BIN", UNSHARE, 1);
	t_start(&p, (const char *const[]){ "unshare", "--pid", "--fork", bin,
		"-c", conf, NULL }, NULL, false);
	setenv("FLAGMAN_BIN", bin, 1);
	free(bin);
	t_expect_out(&p, (const char *const[]){ "init", "init", NULL });
	flagman = child_of(p.pid);
	assert_int_equal(kill(flagman, SIGUSR1), 0);
	t_expect_out(&p, (const char *const[]){ "next", NULL });
	assert_true(t_err_line(&p, line, sizeof(line), T_TIMEOUT));
	assert_string_equal(line, tp_fmt("flagman: warning: [fwd]: refusing "
		"PID 1 from pidfile %s: a pidfile may never name PID 1", pidfile));
	// Had USR2 been sent, "got usr2" would come before the shutdown's
	// "cleanup" lines.
	assert_int_equal(kill(flagman, SIGTERM), 0);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	assert_string_equal(t_rest(&p), "cleanup\ncleanup\n");
	t_finish(&p);
}

static void test_pidfile_own_process(void **state)
{
	const char *pidfile = tp_fmt("%s/app.pid", udir);
	pid_t mine = target_start(true);
	struct t_proc p;

	(void)state;
	user_file(pidfile, tp_fmt("%d\n", (int)mine));
	signal_start(&p, pidfile, "no");
	signal_run(&p, NULL);
	assert_true(usr2_pending(mine));
	tp_stop(&p);
	// A group may hold anyone's processes: refused.
	signal_start(&p, pidfile, "yes");
	signal_run(&p, tp_fmt("refusing process group %d from pidfile %s: uid "
		"%d can change the pidfile (process_group needs one that only root "
		"can change)", (int)mine, pidfile, USER));
	tp_stop(&p);
	target_stop(mine);
}

/* ---- plug-ins and configuration ---- */

static const char *copy_plugin(const char *dir)
{
	const char *so = getenv("FLAGMAN_PLUGIN_COUNTDOWN");
	const char *dst = tp_fmt("%s/countdown.so", dir);

	if (!so) {
		fail_msg("FLAGMAN_PLUGIN_COUNTDOWN is not set: run through meson");
	}
	assert_int_equal(system(tp_fmt("cp '%s' '%s' && chmod 644 '%s'", so, dst,
		dst)), 0);
	return dst;
}

// flagman --check -c conf: its exit status, stderr in err.
static int check(const char *conf, char *err, size_t size)
{
	char out[16384];

	return t_run((const char *const[]){ "flagman", "--check", "-c", conf,
		NULL }, out, sizeof(out), err, size);
}

static void test_plugin(void **state)
{
	const char *plugins = tp_fmt("%s/plugins", tp_dir);
	const char *conf, *inside;
	char err[4096];

	(void)state;
	assert_int_equal(mkdir(plugins, 0755), 0);
	conf = tp_fmt("%s/p.conf", tp_dir);
	tp_strings_keep(t_write(tp_dir, "p.conf", tp_fmt("[flagman]\nplugin_dir "
		"= %s\n\n[count]\naction = countdown\nsignal = usr1\n", plugins)));
	// A plain plug-in of root's loads.
	copy_plugin(plugins);
	assert_int_equal(check(conf, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	// Root's file, but in the user's directory: the user can swap it.
	assert_int_equal(unlink(tp_fmt("%s/countdown.so", plugins)), 0);
	inside = copy_plugin(udir);
	assert_int_equal(symlink(inside, tp_fmt("%s/countdown.so", plugins)), 0);
	assert_int_equal(check(conf, err, sizeof(err)), 2);
	assert_string_equal(err, tp_fmt("%s/countdown.so: error: refusing file: "
		"uid %d can replace it (%s is owned by uid %d with mode 0755); every "
		"directory on its path must be owned by root and not writable by "
		"group or others\n%s:5: error: [count]: unknown action type "
		"'countdown' (see flagman --list)\n", plugins, USER, udir, USER, conf));
}

static void test_config(void **state)
{
	const char *conf = tp_fmt("%s/flagman.conf", udir);
	const char *top = tp_fmt("%s/main.conf", tp_dir);
	const char *dropins = tp_fmt("%s/d", udir);
	char err[4096];

	(void)state;
	tp_strings_keep(t_write(udir, "flagman.conf", "[p]\naction = print\n"
		"signal = usr1\nmessage = m\n"));
	assert_int_equal(check(conf, err, sizeof(err)), 2);
	assert_string_equal(err, tp_fmt("%s: error: refusing file: uid %d can "
		"replace it (%s is owned by uid %d with mode 0755); every directory "
		"on its path must be owned by root and not writable by group or "
		"others\n", conf, USER, udir, USER));
	// Root's drop-in directory, reached through the user's directory.
	tp_strings_keep(t_write(tp_dir, "main.conf", "[p]\naction = print\n"
		"signal = usr1\nmessage = m\n"));
	assert_int_equal(check(top, err, sizeof(err)), 0);
	assert_int_equal(mkdir(dropins, 0755), 0);
	assert_int_equal(symlink(dropins, tp_fmt("%s/main.d", tp_dir)), 0);
	assert_int_equal(check(top, err, sizeof(err)), 2);
	assert_string_equal(err, tp_fmt("%s/main.d: error: refusing directory: "
		"uid %d can replace it (%s is owned by uid %d with mode 0755); every "
		"directory on its path must be owned by root and not writable by "
		"group or others\n", tp_dir, USER, udir, USER));
	// Further down, the walk itself refuses the step into root's directory.
	assert_int_equal(unlink(tp_fmt("%s/main.d", tp_dir)), 0);
	assert_int_equal(symlink(tp_fmt("%s/d/sub", udir),
		tp_fmt("%s/main.d", tp_dir)), 0);
	assert_int_equal(mkdir(tp_fmt("%s/sub", dropins), 0755), 0);
	assert_int_equal(check(top, err, sizeof(err)), 2);
	assert_string_equal(err, tp_fmt("%s/main.d: error: refusing directory: "
		"unsafe path transition from %s (which uid %d can change) to %s "
		"(owned by uid 0)\n", tp_dir, udir, USER, dropins));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, set_up, tear_down)
		T(test_write_symlink),
		T(test_write_hard_link),
		T(test_write_symlinked_parent),
		T(test_write_allowed),
		T(test_pidfile_refused),
		T(test_pidfile_pid1),
		T(test_pidfile_own_process),
		T(test_plugin),
		T(test_config),
#undef T
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_security needs root: skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
