/*
 * What the process tests need beyond the harness: formatted strings that
 * live until the test ends, files the daemon's children write, and what
 * /proc says about a process (pending signals, descriptors, children, RSS).
 * Every wait is bounded; failures abort the test through cmocka.
 */
#ifndef FM_TEST_PROCINFO_H
#define FM_TEST_PROCINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "harness.h"

/* A cmocka fixture: tp_dir is a fresh temporary directory for each test;
 * the tear-down removes it and frees the strings below. */
extern char *tp_dir;
int tp_dir_set_up(void **state);
int tp_dir_tear_down(void **state);

/* A formatted string, freed by tp_strings_free(). */
char *tp_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Hands a malloc'd string to the same list. */
void tp_strings_keep(char *s);
void tp_strings_free(void);

/* The content of path now ("" if unreadable), freed with the strings. */
char *tp_file(const char *path);
/* Waits until path holds exactly text; fails the test on timeout. */
void tp_expect_file(const char *path, const char *text);
/* Waits until path holds a PID and a newline; returns the PID. */
pid_t tp_pid_file(const char *path);
/* Waits until pid no longer exists (not even as a zombie). */
bool tp_gone(pid_t pid, int timeout_ms);
/* Waits until sig is no longer pending for pid: the daemon has read it. */
bool tp_signal_taken(pid_t pid, int sig, int timeout_ms);

/* The value of a "Name:" line of /proc/PID/status, blanks skipped. */
bool tp_proc_status(pid_t pid, const char *name, char *value, size_t size);
long tp_fd_count(pid_t pid);
/* Processes whose parent is pid, zombies included. */
long tp_children(pid_t pid);
/* VmRSS in kB. */
long tp_rss(pid_t pid);
/* Does pid (0: this process) run under valgrind? */
bool tp_under_valgrind(pid_t pid);
/* Asks AddressSanitizer, in daemons started from now on, to give freed
 * memory back at once, so that RSS measures leaks rather than quarantine. */
void tp_asan_quarantine_off(void);
long long tp_clock_ms(void);
/* Extra time a timing bound allows under valgrind: 0 otherwise. */
long long tp_slack_ms(void);

/*
 * A cmocka state for the tests that load the probe plug-in (tests/probe.c):
 * a fresh directory dir (mode 0755) holding plugins/probe.so, conf names
 * dir/f.conf for the test to write, and p is finished at the tear-down if
 * started says it was started.
 */
struct tp_probe {
	char *dir;
	char *conf;
	char *plugins;
	struct t_proc p;
	bool started;
};
int tp_probe_set_up(void **state);
int tp_probe_tear_down(void **state);
/* Writes f->conf: [flagman] with plugin_dir and the globals (lines), then
 * the sections. */
void tp_probe_conf(struct tp_probe *f, const char *globals,
	const char *sections);

/* Starts flagman with one write action on USR1 (path, content, append as
 * its arguments) followed by "print done", and waits for its "init". */
void tp_write_start(struct t_proc *p, const char *path, const char *content,
	const char *append);
/* USR1, then waits for "done": the write has run. */
void tp_write_run(struct t_proc *p);
/* SIGTERM; asserts exit status 0 and cleans up. */
void tp_stop(struct t_proc *p);

/* Runs flagman (argv[0] is replaced) as uid/gid with no supplementary
 * groups, through setpriv(1), so valgrind does not follow it; captures
 * stderr into err and returns the exit status. */
int tp_run_as(uid_t uid, gid_t gid, const char *const *argv, char *err,
	size_t errsize);

#endif
