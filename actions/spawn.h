/*
 * Starting the programs of exec actions: the child's environment, and a
 * fork/exec that gives the child a clean process state (own process group,
 * default signal dispositions, empty signal mask, only descriptors 0-2,
 * optional identity and working directory).  Private to actions/.
 */
#ifndef FM_ACTIONS_SPAWN_H
#define FM_ACTIONS_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "flagman/action.h"

/* A growing NAME=VALUE list; every string is owned by it. */
struct fm_env {
	char **vars; /* NULL-terminated once anything was added */
	size_t n, cap;
};

/*
 * Starts env from flagman's own environment (inherit) or from nothing,
 * leaving out the variables that describe flagman's own service (sd_notify,
 * watchdog, socket activation).  false on no memory.
 */
bool fm_env_init(struct fm_env *env, bool inherit);
/* Adds or replaces "NAME=VALUE".  false on no memory. */
bool fm_env_put(struct fm_env *env, const char *entry);
/* Adds or replaces name with a formatted value.  false on no memory. */
bool fm_env_set(struct fm_env *env, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void fm_env_finish(struct fm_env *env);
/* Is entry "NAME=VALUE" with NAME a valid variable name? */
bool fm_env_valid(const char *entry);

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
	bool null_output;   /* stdout and stderr to /dev/null */
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

/* ---- a child's stdout or stderr, read line by line into the log ---- */

/* Longer lines are logged in pieces (never inside a UTF-8 sequence). */
#define FM_STREAM_CHUNK 900

struct fm_stream {
	int fd; /* flagman's end; -1: closed */
	enum fm_log_level level;
	size_t len;
	char buf[FM_STREAM_CHUNK];
};

/*
 * Creates a pipe, watches its non-blocking read end for action and stores
 * the (blocking) write end, for the child, in *write_end.  false with errno.
 */
bool fm_stream_open(struct fm_action *action, struct fm_stream *s,
	enum fm_log_level level, int *write_end);
/* For on_fd: reads what is there and logs complete lines; closes at EOF. */
void fm_stream_read(struct fm_action *action, struct fm_stream *s);
/* After the child ended: reads what it left (bounded), then closes. */
void fm_stream_drain(struct fm_action *action, struct fm_stream *s);
/* Logs a partial last line, stops watching and closes; no-op if closed. */
void fm_stream_close(struct fm_action *action, struct fm_stream *s);

#endif
