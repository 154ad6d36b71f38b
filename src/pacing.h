/*
 * Pacing per signal.  The [signal:NAME] sections of the configuration
 * (debounce, min_interval, overlap) are read, resolved and written out by
 * paceconf.c; the triggers that wait for their time are kept by pacing.c,
 * which the loop hands a paced signal's arrivals to and which hands them
 * back, due, through fm_loop_release().
 */
#ifndef FM_PACING_H
#define FM_PACING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "config.h"

/* ---- configuration (paceconf.c) ---- */

/* The settings of one signal, defaults filled in. */
struct fm_pace {
	enum fm_overlap overlap;  /* its own, else [flagman] overlap */
	uint64_t debounce_ms;     /* 0: off */
	uint64_t min_interval_ms; /* 0: off */
};

#define FM_PACE_PREFIX "signal:"
/* "signal:" and the longest signal name. */
#define FM_PACE_NAME_MAX (sizeof(FM_PACE_PREFIX) + FM_SIGNAME_MAX)

/*
 * Is the section name a signal's section ("signal:NAME", the prefix in any
 * case)?  0: no, an action's.  1: yes, *signo is its signal and canon
 * (FM_PACE_NAME_MAX bytes) the section's one name, "signal:USR1".  -1: its
 * NAME is no trigger signal; err (errsize bytes) says why.
 */
int fm_pace_section(const char *name, int *signo, char *canon, char *err,
	size_t errsize);
/* Resolves the signal sections into cfg->pace, after the [flagman] keys
 * and the actions; problems (and warnings) go to diag. */
void fm_pace_resolve(struct fm_config *cfg, struct fm_diag *diag);
/* The settings of signo: never NULL; the defaults before resolving. */
const struct fm_pace *fm_pace_of(const struct fm_config *cfg, int signo);
/* The overlap of signo: its own, else [flagman] overlap (also for a
 * configuration not resolved). */
enum fm_overlap fm_pace_overlap(const struct fm_config *cfg, int signo);
/* Writes each signal section, all keys, for --dump. */
void fm_pace_dump(const struct fm_config *cfg, FILE *out);
/* For a section missing 'action' named like "signals:usr1": the name it
 * was probably meant to have (in buf, FM_PACE_NAME_MAX bytes), or NULL. */
const char *fm_pace_hint(const char *name, char *buf);

/* ---- waiting triggers (pacing.c) ---- */

/* Signals of one kind merged into one run: how many, the latest sender. */
struct fm_arrival {
	unsigned merged;
	pid_t pid;
	uid_t uid;
	bool has_value;
	int value;
};

/* Merges in into into: the counts add up, the latest sender and value
 * win. */
void fm_arrival_merge(struct fm_arrival *into, const struct fm_arrival *in);

struct fm_loop;
struct fm_pacing;

/* Created with nothing waiting and no timer armed; NULL on no memory.
 * Destroying it discards what waits, silently. */
struct fm_pacing *fm_pacing_create(struct fm_loop *loop);
void fm_pacing_destroy(struct fm_pacing *pacing);
/* cfg is the loop's configuration from now on: waiting triggers are
 * judged by its settings (at start-up and after each reload). */
void fm_pacing_configure(struct fm_pacing *pacing,
	const struct fm_config *cfg);
/*
 * An arrival of signo, which runs a chain.  false: signo is not paced and
 * nothing of it waits, the loop queues it as usual.  true: pacing has it;
 * it comes back through fm_loop_release() when due (perhaps at once).
 */
bool fm_pacing_take(struct fm_pacing *pacing, int signo,
	const struct fm_arrival *arr);
/* signo's chain starts now: min_interval counts from here. */
void fm_pacing_started(struct fm_pacing *pacing, int signo);
/* At shutdown: every waiting trigger is dropped, logged; no timer stays. */
void fm_pacing_discard(struct fm_pacing *pacing);

/* loop.c: a due trigger joins the queue (overlap applies), or is dropped,
 * logged, if its signal runs no chain any more. */
void fm_loop_release(struct fm_loop *loop, int signo,
	const struct fm_arrival *arr);

#endif
