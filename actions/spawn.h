/*
 * Starting the programs of exec actions: a fork/exec that gives the child a
 * clean process state (own process group, default signal dispositions,
 * empty signal mask, only descriptors 0-2, optional identity and working
 * directory); and ending children without waiting forever.  The child's
 * environment is env.h's, its output stream.h's.  Private to actions/.
 */
#ifndef FM_ACTIONS_SPAWN_H
#define FM_ACTIONS_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What the child should look like.  Ids of -1 are left alone. */
struct fm_spawn {
	char *const *argv;  /* argv[0] is looked up in the child's PATH */
	char *const *envp;
	const char *cwd;    /* NULL: flagman's */
	const char *user;   /* for the supplementary groups; NULL: none */
	uid_t uid;
	gid_t gid;
	bool set_ids;       /* change uid/gid/groups at all */
	int out_fd, err_fd; /* -1: inherit flagman's */
	bool null_output;   /* stdout and stderr (those of -1) to /dev/null */
};

/* Exit status of a child that could not be started. */
#define FM_SPAWN_NOT_FOUND 127
#define FM_SPAWN_CANNOT_RUN 126

/*
 * Starts the program (posix_spawn when it can, else fork and exec).
 * Returns the child's pid, or -errno if fork failed.  *report_fd receives
 * -1 when the program is known to run, else the read end of a close-on-exec
 * pipe on which a child that fails before its program starts writes why;
 * read it with fm_spawn_report() after the child ended, then close it.
 */
pid_t fm_spawn(const struct fm_spawn *sp, int *report_fd);

/*
 * Reads a failure report from report_fd (non-blocking).  Writes a sentence
 * such as "cannot execute 'foo': No such file or directory" to msg and
 * returns true, or returns false when the program started.
 */
bool fm_spawn_report(int report_fd, const char *program, const char *cwd,
	char *msg, size_t size);

/* ---- ending children without waiting forever ---- */

/*
 * A process in uninterruptible sleep (a hung NFS server, a frozen cgroup)
 * cannot die, even of SIGKILL, until it wakes, and flagman must not hang
 * with it: after SIGKILL, flagman waits this long for processes to end,
 * then logs them and leaves them behind.
 */
#define FM_KILL_WAIT_MS 500

/* The time (CLOCK_MONOTONIC ms) FM_KILL_WAIT_MS from now. */
uint64_t fm_kill_deadline(void);

/*
 * waitpid(who, wstatus, WNOHANG) until it reports a child, or until the
 * time deadline (see fm_kill_deadline) has passed.  Returns the child's
 * pid, 0 when the deadline passed first, or -1 with errno (ECHILD: no such
 * child is left).
 */
pid_t fm_wait_until(pid_t who, int *wstatus, uint64_t deadline);

#endif
