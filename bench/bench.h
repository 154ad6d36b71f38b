/*
 * fmbench: measures flagman against minimal baseline programs built next to
 * it and prints one table.  Each benchmark module fills rows; fmbench.c
 * prints them.  Times are CLOCK_MONOTONIC nanoseconds.
 */
#ifndef FM_BENCH_H
#define FM_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define B_TIMEOUT_MS 10000 /* waiting for a line or a message; generous */

/* What the run was asked for, and where things are. */
struct b_opts {
	const char *flagman;  /* the daemon under test */
	const char *bindir;   /* where the baseline programs are */
	char tmpdir[64];      /* scratch, removed at exit */
	int idle_s;           /* idle window, seconds */
	int pings;            /* signal->line samples per program */
	int spawns;           /* signal->child samples per program */
	int starts;           /* exec->READY samples per program */
	int storm_ms;         /* one storm's duration */
	int storms;           /* storms per program */
	int max_sections;     /* largest configuration, in sections */
	bool have_exec;       /* does flagman --list show exec? */
	bool no_pin;          /* leave the CPU to the scheduler */
	const char *print_conf; /* one print action on USR1, message "x" */
};

/* How a row's numbers compare with its target. */
enum b_kind {
	B_RATIO_MAX,  /* flagman/baseline <= target */
	B_ABS_MAX,    /* flagman's own value <= target */
	B_INFO,       /* shown, no target */
	B_SKIPPED,    /* not measured; note says why */
};

struct b_row {
	char name[48];
	double flagman, baseline; /* in unit */
	const char *unit;         /* "us", "ms", "MiB", "calls"... */
	enum b_kind kind;
	double target;
	char note[96];
};

/* Adds a row to the table (copied). */
void b_row_add(const struct b_row *row);

/* ---- util.c ---- */

int64_t b_now_ns(void);
void b_die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
	noreturn));
/* After b_cleanup_at_death(dir), b_die() kills the programs started and
 * not stopped, and removes dir. */
void b_cleanup_at_death(const char *tmpdir);
/* Removes a directory that holds only files. */
void b_remove_tmpdir(const char *dir);
void b_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A started program; out is the read end of its stdout pipe, or -1. */
struct b_proc {
	const char *name; /* argv[0], for messages */
	pid_t pid;
	int out;
	char buf[4096];
	size_t len;
};

/*
 * Starts argv (NULL-ended) with stdin from /dev/null and stdout to a new
 * pipe (out_fd < 0) or to out_fd; stderr is inherited.  env_extra: NAME=VALUE
 * strings added to the environment (NULL-ended, may be NULL).  Dies on error.
 */
void b_start(struct b_proc *p, char *const argv[], char *const env_extra[],
	int out_fd);
/* Next stdout line into line (without '\n'); false on timeout or EOF. */
bool b_line(struct b_proc *p, char *line, size_t size, int timeout_ms);
/* flagman -c conf, otherwise as b_start. */
void b_start_flagman(const struct b_opts *o, struct b_proc *p,
	const char *conf, char *const env_extra[], int out_fd);
/* SIGTERM, then SIGKILL after a while; reaps; closes the pipe. */
void b_stop(struct b_proc *p);
/* The caller reaped p itself: forget it. */
void b_reaped(struct b_proc *p);
/* Sends sig, dies if the process is gone. */
void b_kill(struct b_proc *p, int sig);
/* VmRSS in KiB, or -1. */
long b_rss_kb(pid_t pid);
/* Pss from /proc/PID/smaps_rollup in KiB, or -1. */
long b_pss_kb(pid_t pid);
/* utime + stime in seconds, from /proc/PID/stat; -1 on error. */
double b_cpu_s(pid_t pid);
/* voluntary + involuntary context switches; -1 on error. */
long b_ctxsw(pid_t pid);

/* Writes text to tmpdir/name with mode 0644; returns the malloc'd path. */
char *b_write(const struct b_opts *o, const char *name, const char *text);
/* bindir/name, malloc'd. */
char *b_prog(const struct b_opts *o, const char *name);

/* Sorts v and returns its p-th percentile (0..100, nearest rank). */
double b_pct(double *v, size_t n, double p);
double b_median(double *v, size_t n);

/* ---- the benchmarks ---- */

void bench_latency(const struct b_opts *o);
void bench_spawn(const struct b_opts *o);
void bench_ready(const struct b_opts *o);
void bench_idle(const struct b_opts *o);
void bench_idle_paced(const struct b_opts *o);
void bench_config(const struct b_opts *o);
void bench_storm(const struct b_opts *o);

#endif
