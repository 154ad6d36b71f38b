/*
 * Starting the programs of exec actions, and ending what they leave
 * behind; see spawn.h.  fork/exec is the way that does everything (a new
 * identity, PATH searched in the child's environment, a report of what
 * failed);
 * posix_spawn, which does not copy flagman's page tables, takes the common
 * case and hands anything unusual or failing back to fork/exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "notify.h"
#include "spawn.h"

extern char **environ;

/* ---- the child ---- */

enum stage { ST_PGID, ST_STDIO, ST_GROUPS, ST_GID, ST_UID, ST_CWD, ST_EXEC };

struct report {
	int stage;
	int err;
};

static _Noreturn void fail(int report_fd, enum stage stage)
{
	struct report r = { (int)stage, errno };
	ssize_t n = write(report_fd, &r, sizeof(r));

	(void)n; // the exit status says enough when even this fails
	_exit(stage == ST_EXEC && (r.err == ENOENT || r.err == ENOTDIR) ?
		FM_SPAWN_NOT_FOUND : FM_SPAWN_CANNOT_RUN);
}

// Moves fd above 2 so that setting up 0-2 cannot overwrite it.
static int lift(int fd)
{
	return fd >= 0 && fd <= 2 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : fd;
}

static void set_stdio(const struct fm_spawn *sp, int report_fd)
{
	int null = lift(open("/dev/null", O_RDWR | O_CLOEXEC));
	int out = lift(sp->out_fd), err = lift(sp->err_fd);

	if (null < 0 || (sp->out_fd >= 0 && out < 0) ||
			(sp->err_fd >= 0 && err < 0)) {
		fail(report_fd, ST_STDIO);
	}
	if (sp->null_output) {
		out = sp->out_fd >= 0 ? out : null;
		err = sp->err_fd >= 0 ? err : null;
	}
	if (dup2(null, STDIN_FILENO) < 0 ||
			(out >= 0 && dup2(out, STDOUT_FILENO) < 0) ||
			(err >= 0 && dup2(err, STDERR_FILENO) < 0)) {
		fail(report_fd, ST_STDIO);
	}
	// Inherited 1 and 2 must survive the exec whatever their flags were.
	fcntl(STDOUT_FILENO, F_SETFD, 0);
	fcntl(STDERR_FILENO, F_SETFD, 0);
}

// Everything from 3 up closes at exec, whoever opened it without O_CLOEXEC.
static void close_others(void)
{
	struct rlimit rl;
	int max = 65536;

	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0) {
		return;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)max) {
		max = (int)rl.rlim_cur;
	}
	for (int fd = 3; fd < max; fd++) {
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
}

static void set_ids(const struct fm_spawn *sp, int report_fd)
{
	int r;

	if (!sp->set_ids) {
		return;
	}
	if (sp->user) {
		r = initgroups(sp->user, sp->gid);
	} else {
		r = setgroups(sp->gid != (gid_t)-1 ? 1 : 0, &sp->gid);
	}
	if (r < 0) {
		fail(report_fd, ST_GROUPS);
	}
	if (sp->gid != (gid_t)-1 && setgid(sp->gid) < 0) {
		fail(report_fd, ST_GID);
	}
	if (sp->uid != (uid_t)-1 && setuid(sp->uid) < 0) {
		fail(report_fd, ST_UID);
	}
}

static _Noreturn void child(const struct fm_spawn *sp, int report_fd)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	report_fd = lift(report_fd);
	if (setpgid(0, 0) < 0) {
		fail(report_fd, ST_PGID);
	}
	// Signals stay blocked until the exec, so none can find a stale handler.
	sigemptyset(&dfl.sa_mask);
	for (int s = 1; s < NSIG; s++) {
		sigaction(s, &dfl, NULL); // fails harmlessly for KILL, STOP...
	}
	set_stdio(sp, report_fd);
	close_others();
	set_ids(sp, report_fd);
	if (sp->cwd && chdir(sp->cwd) < 0) {
		fail(report_fd, ST_CWD);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	// execvp searches the PATH of environ: make that the child's own.
	environ = (char **)sp->envp;
	execvp(sp->argv[0], sp->argv);
	fail(report_fd, ST_EXEC);
}

/* ---- the parent ---- */

/*
 * The common case without fork(): copying flagman's page tables and the
 * copy-on-write faults after it were half of the daemon's CPU time per run
 * (bench/README.md).  glibc's posix_spawn uses CLONE_VM|CLONE_VFORK.  The
 * child gets the state child() gives it.  Only for an absolute path that
 * access(2) finds executable (posix_spawnp would search flagman's PATH, not
 * the child's; and under valgrind, whose vfork is a fork, posix_spawn
 * cannot see a failed exec), without a new identity or descriptors in 0-2.
 * false on any failure, and fork/exec then starts the program, or reports
 * exactly why it cannot.
 */
static bool spawn_fast(const struct fm_spawn *sp, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int out = sp->out_fd >= 0 || !sp->null_output ? sp->out_fd :
		STDIN_FILENO;
	int err = sp->err_fd >= 0 || !sp->null_output ? sp->err_fd :
		STDIN_FILENO;
	sigset_t none, all;
	bool ok;

	if (sp->set_ids || sp->argv[0][0] != '/' ||
			access(sp->argv[0], X_OK) != 0 ||
			(sp->out_fd >= 0 && sp->out_fd <= 2) ||
			(sp->err_fd >= 0 && sp->err_fd <= 2)) {
		return false;
	}
	if (posix_spawn_file_actions_init(&fa) != 0) {
		return false;
	}
	if (posix_spawnattr_init(&attr) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return false;
	}
	sigemptyset(&none);
	sigfillset(&all);
	// dup2 of 1 onto 1 clears close-on-exec, as child() does.
	ok = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
			POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK) == 0 &&
		posix_spawnattr_setpgroup(&attr, 0) == 0 &&
		posix_spawnattr_setsigdefault(&attr, &all) == 0 &&
		posix_spawnattr_setsigmask(&attr, &none) == 0 &&
		posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
			O_RDWR, 0) == 0 &&
		posix_spawn_file_actions_adddup2(&fa, out >= 0 ? out : 1, 1) == 0 &&
		posix_spawn_file_actions_adddup2(&fa, err >= 0 ? err : 2, 2) == 0 &&
		posix_spawn_file_actions_addclosefrom_np(&fa, 3) == 0 &&
		(!sp->cwd ||
			posix_spawn_file_actions_addchdir_np(&fa, sp->cwd) == 0) &&
		posix_spawn(pid, sp->argv[0], &fa, &attr, sp->argv, sp->envp) == 0;
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return ok;
}

pid_t fm_spawn(const struct fm_spawn *sp, int *report_fd)
{
	int p[2], err;
	pid_t pid;

	if (spawn_fast(sp, &pid)) {
		*report_fd = -1; // the program runs: nothing to report
		return pid;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(p[0]);
		close(p[1]);
		return -err;
	}
	if (pid == 0) {
		close(p[0]);
		child(sp, p[1]);
	}
	close(p[1]);
	// Both sides set the group, so it exists before either relies on it.
	setpgid(pid, pid);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	*report_fd = p[0];
	return pid;
}

bool fm_spawn_report(int report_fd, const char *program, const char *cwd,
	char *msg, size_t size)
{
	static const char *const what[] = {
		[ST_PGID] = "cannot create a process group",
		[ST_STDIO] = "cannot set up standard input and output",
		[ST_GROUPS] = "cannot set the supplementary groups",
		[ST_GID] = "cannot set the group id",
		[ST_UID] = "cannot set the user id",
	};
	struct report r;

	if (read(report_fd, &r, sizeof(r)) != (ssize_t)sizeof(r) ||
			r.stage < ST_PGID || r.stage > ST_EXEC) {
		return false;
	}
	if (r.stage == ST_CWD) {
		snprintf(msg, size, "cannot change to directory '%s': %s",
			cwd ? cwd : "", strerror(r.err));
	} else if (r.stage == ST_EXEC) {
		snprintf(msg, size, "cannot execute '%s': %s", program,
			strerror(r.err));
	} else {
		snprintf(msg, size, "%s: %s", what[r.stage], strerror(r.err));
	}
	return true;
}

/* ---- ending children without waiting forever ---- */

uint64_t fm_kill_deadline(void)
{
	return fm_now_ms() + FM_KILL_WAIT_MS;
}

pid_t fm_wait_until(pid_t who, int *wstatus, uint64_t deadline)
{
	// A short nap between looks: SIGCHLD is flagman's signalfd's to read.
	const struct timespec nap = { 0, 5 * 1000 * 1000 };
	pid_t r;

	for (;;) {
		r = waitpid(who, wstatus, WNOHANG);
		if (r != 0 && !(r < 0 && errno == EINTR)) {
			return r;
		}
		if (r == 0 && fm_now_ms() >= deadline) {
			return 0;
		}
		nanosleep(&nap, NULL);
	}
}

/*
 * As a subreaper flagman inherits the orphans of exec actions' programs,
 * even those that left their run's process group.  None may outlive it;
 * one that SIGKILL cannot end within FM_KILL_WAIT_MS is left behind.
 */
void fm_end_orphans(void)
{
	char path[64], buf[4096];
	uint64_t deadline = fm_kill_deadline();

	snprintf(path, sizeof(path), "/proc/self/task/%ld/children",
		(long)getpid());
	// Orphans may start more orphans while they are being killed.
	for (int round = 0; round < 100; round++) {
		FILE *f = fopen(path, "re");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		char *p = buf, *end;

		if (f) {
			fclose(f);
		}
		if (n == 0) {
			return;
		}
		buf[n] = '\0';
		for (long pid; (pid = strtol(p, &end, 10)) > 0; p = end) {
			fm_log(FM_LOG_WARNING, NULL, NULL, "killing leftover process "
				"%ld", pid);
			kill((pid_t)pid, SIGKILL);
		}
		if (fm_wait_until(-1, NULL, deadline) == 0) {
			fm_log(FM_LOG_WARNING, NULL, NULL, "leftover processes did "
				"not end within %d ms of SIGKILL; leaving them behind",
				FM_KILL_WAIT_MS);
			return;
		}
		while (waitpid(-1, NULL, WNOHANG) > 0) {
			continue;
		}
	}
}
