/*
 * Test harness: start the real flagman binary with pipes on stdout and
 * stderr, read its lines with bounded timeouts, receive its sd_notify
 * messages on a socket the test binds, and wait for its exit.
 */
#ifndef FM_TEST_HARNESS_H
#define FM_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <sys/types.h>

#define T_TIMEOUT 10000 /* ms: generous, for valgrind runs */

struct t_stream {
	int fd;
	char buf[65536];
	size_t len;
	bool eof;
};

struct t_proc {
	pid_t pid;
	struct t_stream out, err;
	int status; /* after t_wait */
	char notify_path[108];
	int notify_fd; /* -1 unless t_start was asked for a socket */
};

/* The binary under test: $FLAGMAN_BIN, or "flagman". */
const char *t_flagman(void);

/*
 * Starts flagman with argv (argv[0] is replaced by t_flagman(); NULL-ended).
 * env: extra NAME=VALUE strings (NULL-ended, may be NULL).  With notify, a
 * socket is bound and NOTIFY_SOCKET points at it.  Aborts the test on error.
 */
void t_start(struct t_proc *p, const char *const *argv,
	const char *const *env, bool notify);

/* Like t_start, but the child starts with signal mask mask instead of an
 * empty one (signals blocked across exec stay pending for flagman). */
void t_start_masked(struct t_proc *p, const char *const *argv,
	const char *const *env, bool notify, const sigset_t *mask);

/* Like t_start (no notify socket), with JOURNAL_STREAM naming the child's
 * stderr, so flagman takes it for the journal's stream. */
void t_start_journal(struct t_proc *p, const char *const *argv,
	const char *const *env);

/* Next complete line of stdout / stderr without its newline, copied into
 * line (size bytes).  false on timeout or EOF. */
bool t_out_line(struct t_proc *p, char *line, size_t size, int timeout_ms);
bool t_err_line(struct t_proc *p, char *line, size_t size, int timeout_ms);
/* Reads stderr lines until one contains needle; false on timeout/EOF. */
bool t_err_until(struct t_proc *p, const char *needle, int timeout_ms);
/* Asserts the next stdout lines are exactly these (NULL-ended). */
void t_expect_out(struct t_proc *p, const char *const *lines);

/* Next notify datagram (may hold several lines) into msg; false on
 * timeout. */
bool t_notify(struct t_proc *p, char *msg, size_t size, int timeout_ms);
/* Reads notify datagrams until one contains needle. */
bool t_notify_until(struct t_proc *p, const char *needle, int timeout_ms);

/* Sends sig with kill(2); asserts it worked. */
void t_kill(struct t_proc *p, int sig);
/* Waits for exit: the exit status, 128+signal, or -1 on timeout (then the
 * process is killed). */
int t_wait(struct t_proc *p, int timeout_ms);
/* Reads everything left on stdout until EOF (after t_wait). */
const char *t_rest(struct t_proc *p);
/* Kills if still running, closes pipes, unlinks the socket. */
void t_finish(struct t_proc *p);

/* Runs flagman to completion (no signals): exit status; stdout and
 * stderr captured into the given buffers (NUL-terminated). */
int t_run(const char *const *argv, char *out, size_t outsize, char *err,
	size_t errsize);

/* Waits until sig is no longer pending for the process (flagman has read it
 * from its signalfd); false on timeout. */
bool t_wait_received(const struct t_proc *p, int sig, int timeout_ms);
/* t_kill, then t_wait_received: the next signal cannot overtake this one. */
void t_send(struct t_proc *p, int sig);
/* The process's VmRSS in kB, or -1. */
long t_rss_kb(const struct t_proc *p);
/* CLOCK_MONOTONIC in ms. */
long long t_now_ms(void);

/* A fresh temporary directory (removed by t_rmtree). */
char *t_tmpdir(void);
void t_rmtree(const char *dir);
/* Writes text to dir/name; returns the malloc'd path. */
char *t_write(const char *dir, const char *name, const char *text);

#endif
