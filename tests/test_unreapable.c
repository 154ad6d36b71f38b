/*
 * Neither shutdown nor a reload waits forever for a process that SIGKILL
 * cannot end.  A
 * process in a frozen cgroup-v1 freezer group sleeps uninterruptibly, as
 * one stuck in a hung NFS call does: a SIGKILL stays pending until the
 * group thaws.  The test mounts the freezer hierarchy in a private mount
 * namespace; without root, or where the kernel has no v1 freezer (on
 * cgroup v2 a frozen process dies of SIGKILL), the program exits 77 and
 * meson reports it skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"
#include "procinfo.h"

static char hierarchy[] = "/tmp/fm-freezer-XXXXXX";
static char group[64]; /* our freezer group in it */

static bool put(const char *file, const char *text)
{
	char path[128];
	int fd;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s", group, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		return false;
	}
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return ok;
}

// A freezer group of our own, in a private mount namespace; false (with
// the reason printed) where there is none to be had.
static bool freezer_set_up(void)
{
	if (unshare(CLONE_NEWNS) < 0 ||
			mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
			!mkdtemp(hierarchy)) {
		printf("no private mount namespace: %s\n", strerror(errno));
		return false;
	}
	if (mount("flagman-test", hierarchy, "cgroup", 0, "freezer") < 0) {
		printf("no cgroup-v1 freezer: %s\n", strerror(errno));
		rmdir(hierarchy);
		return false;
	}
	snprintf(group, sizeof(group), "%s/fm-%ld", hierarchy, (long)getpid());
	if (mkdir(group, 0755) < 0) {
		printf("cannot create a freezer group: %s\n", strerror(errno));
		umount(hierarchy);
		rmdir(hierarchy);
		return false;
	}
	return true;
}

static void freezer_finish(void)
{
	rmdir(group);
	umount(hierarchy);
	rmdir(hierarchy);
}

// Whatever a test left frozen is thawed, and dies.
static int thaw_all(void **state)
{
	char path[128], buf[256], *end;
	FILE *f;

	(void)state;
	put("freezer.state", "THAWED");
	snprintf(path, sizeof(path), "%s/cgroup.procs", group);
	if ((f = fopen(path, "re"))) {
		while (fgets(buf, sizeof(buf), f)) {
			long pid = strtol(buf, &end, 10);
			if (pid > 0) {
				kill((pid_t)pid, SIGKILL);
			}
		}
		fclose(f);
	}
	while (waitpid(-1, NULL, WNOHANG) > 0) {
		continue;
	}
	return tp_dir_tear_down(state);
}

static void freeze(pid_t pid)
{
	char text[32];
	long long deadline = tp_clock_ms() + T_TIMEOUT;

	snprintf(text, sizeof(text), "%ld", (long)pid);
	assert_true(put("cgroup.procs", text));
	assert_true(put("freezer.state", "FROZEN"));
	while (strcmp(tp_file(tp_fmt("%s/freezer.state", group)),
			"FROZEN\n") != 0) {
		assert_true(tp_clock_ms() < deadline);
		poll(NULL, 0, 10);
	}
}

// Reaps pid (our child since flagman, its parent, exited); false on
// timeout.
static bool reaped(pid_t pid, int timeout_ms)
{
	long long deadline = tp_clock_ms() + timeout_ms;

	while (waitpid(pid, NULL, WNOHANG) != pid) {
		if (tp_clock_ms() >= deadline) {
			return false;
		}
		poll(NULL, 0, 10);
	}
	return true;
}

static void expect_err(struct t_proc *p, const char *want)
{
	char line[1024];

	do {
		if (!t_err_line(p, line, sizeof(line), T_TIMEOUT)) {
			fail_msg("expected stderr line '%s', got nothing", want);
		}
	} while (strncmp(line, "==", 2) == 0); // valgrind's
	assert_string_equal(line, want);
}

/*
 * SIGTERM while the child is frozen: it ignores kill_signal (it cannot
 * even see it), and SIGKILL cannot end it.  flagman gives it stop_timeout,
 * sends SIGKILL, waits FM_KILL_WAIT_MS (500 ms) for the run's group and
 * again for its orphans, says so, and exits; the child is left behind and
 * dies when it thaws.
 */
static void test_frozen_child_left_behind(void **state)
{
	const char *f = tp_fmt("%s/pid", tp_dir);
	const char *conf = t_write(tp_dir, "f.conf", tp_fmt("[flagman]\n"
		"stop_timeout = 1s\n\n[stuck]\naction = exec\nsignal = usr1\n"
		"kill_grace = 1h\ncommand = sh -c 'echo $$ > %s; exec sleep 60'\n",
		f));
	const char *const argv[] = { "flagman", "-c", conf, NULL };
	char status[64];
	struct t_proc p;
	long long t0, took;
	pid_t child;

	(void)state;
	tp_strings_keep((char *)conf);
	t_start(&p, argv, NULL, true);
	assert_true(t_notify_until(&p, "READY=1", T_TIMEOUT));
	t_kill(&p, SIGUSR1);
	child = tp_pid_file(f);
	freeze(child);
	t0 = tp_clock_ms();
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	took = tp_clock_ms() - t0;
	// stop_timeout, then at most 500 ms for the group and 500 ms for the
	// orphans; the rest is margin.
	print_message("shut down in %lld ms\n", took);
	assert_in_range(took, 1000, 2000 + 1000 + tp_slack_ms());
	expect_err(&p, "flagman: warning: [stuck]: still running after "
		"stop_timeout; forcing it to end");
	expect_err(&p, tp_fmt("flagman: warning: [stuck]: process group %ld "
		"did not end within 500 ms of SIGKILL (uninterruptible sleep?); "
		"leaving it behind", (long)child));
	expect_err(&p, tp_fmt("flagman: warning: killing leftover process %ld",
		(long)child));
	expect_err(&p, "flagman: warning: leftover processes did not end "
		"within 500 ms of SIGKILL; leaving them behind");
	t_finish(&p);
	// Left behind, still frozen, and ours now (we are a subreaper).
	assert_true(tp_proc_status(child, "State", status, sizeof(status)));
	assert_int_equal(status[0], 'D');
	assert_true(put("freezer.state", "THAWED"));
	assert_true(reaped(child, T_TIMEOUT));
}

/*
 * A reload that removes an action whose earlier run left a process in its
 * group, frozen: the tear-down sends SIGKILL, waits 500 ms, leaves the
 * process behind, and flagman serves on with the new configuration.
 */
static void test_reload_leaves_frozen_straggler(void **state)
{
	const char *f = tp_fmt("%s/pid", tp_dir);
	const char *conf = t_write(tp_dir, "r.conf", tp_fmt("[left]\n"
		"action = exec\nsignal = usr1\n"
		"command = sh -c 'sleep 60 & echo $! > %s'\n\n"
		"[done]\naction = print\nsignal = usr1\nmessage = done\n", f));
	const char *const argv[] = { "flagman", "-v", "-c", conf, NULL };
	struct t_proc p;
	long long t0;
	pid_t straggler;

	(void)state;
	tp_strings_keep((char *)conf);
	t_start(&p, argv, NULL, true);
	assert_true(t_notify_until(&p, "READY=1", T_TIMEOUT));
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, (const char *const[]){ "init", "done", NULL });
	straggler = tp_pid_file(f);
	freeze(straggler);
	tp_strings_keep(t_write(tp_dir, "r.conf", "[done]\naction = print\n"
		"signal = usr1\nmessage = done\n"));
	t0 = tp_clock_ms();
	t_kill(&p, SIGHUP);
	assert_true(t_err_until(&p, tp_fmt("flagman: warning: [left]: process "
		"group %ld did not end within 500 ms of SIGKILL (uninterruptible "
		"sleep?); leaving it behind", (long)getpgid(straggler)),
		T_TIMEOUT));
	assert_true(t_err_until(&p, "flagman: info: configuration reloaded",
		T_TIMEOUT));
	assert_in_range(tp_clock_ms() - t0, 500, 1500 + tp_slack_ms());
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, (const char *const[]){ "done", NULL });
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	t_finish(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_frozen_child_left_behind,
			tp_dir_set_up, thaw_all),
		cmocka_unit_test_setup_teardown(test_reload_leaves_frozen_straggler,
			tp_dir_set_up, thaw_all),
	};
	int r;

	if (geteuid() != 0) {
		printf("not root: skipped\n");
		return 77;
	}
	if (!freezer_set_up()) {
		return 77;
	}
	// Orphans of flagman's children come to us, to be reaped.
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	freezer_finish();
	return r;
}
