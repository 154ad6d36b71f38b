/*
 * The event loop's internals, shared by loop.c (signals, chains, timers),
 * action.c (action instances and the services of flagman/action.h) and
 * reload.c (validate-then-swap).  Nothing outside those three includes it.
 */
#ifndef FM_LOOP_H
#define FM_LOOP_H

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "notify.h"
#include "signals.h"

#define NSIGS 65 /* signal numbers 1..64 */

struct fm_action {
	struct fm_loop *loop;
	const struct fm_action_type *type;
	void *state;       /* owned, with its argument values */
	char *name;
	char *canon;       /* the definition, compared by reload */
	fm_sigmask signals;
	bool is_set_up;
	bool dead;         /* closed and torn down; kept so reload knows */
	bool closing;
	char *close_reason;
	bool running, finished;
	enum fm_result result;
	bool reused;       /* reload: carried over into the new set */
	uint64_t deadline; /* timer, CLOCK_MONOTONIC ms; 0: none */
	pid_t child;
	const char *signame; /* of the current or last run */
};

struct watch {
	int fd;
	short events;
	struct fm_action *action;
};

struct arrival {
	bool pending;
	unsigned merged;
	pid_t pid;
	uid_t uid;
	bool has_value;
	int value;
};

struct fm_loop {
	struct fm_config *cfg;
	struct fm_action **actions; /* configuration order */
	size_t nactions;
	int sfd;

	struct arrival sig[NSIGS];
	int fifo[NSIGS];
	size_t head, len;

	int chain;                /* signal whose chain runs; 0: idle */
	size_t pos;               /* next action of the chain */
	struct fm_action *current; /* the action whose run is under way */
	struct fm_run run;
	char signame[FM_SIGNAME_MAX];
	bool chain_failed;

	bool stopping;
	uint64_t stop_deadline;
	bool quit;
	int status;

	uint64_t wd_ms, wd_next;
	struct watch *watches;
	size_t nwatches;

	fm_reload_fn reload;
	void *reload_ctx;
	char last[160];        /* the last chain's outcome, for STATUS= */
	char reload_error[160]; /* why the last reload failed; "" after success */
};

/* ---- action.c ---- */

/* A new instance of def; takes def's parsed state.  NULL on no memory. */
struct fm_action *fm_action_create(struct fm_loop *loop, struct fm_def *def);
/* Calls tear_down if set up; forgets timers, watches and the child. */
void fm_action_tear_down(struct fm_action *a);
void fm_action_free_state(struct fm_action *a);
/* Frees the instance (tear it down first); NULL is a no-op. */
void fm_action_destroy(struct fm_action *a);
/* Neither closed nor closing. */
bool fm_action_open(const struct fm_action *a);
/* Tears a closing action down for good; it stays as a tombstone. */
void fm_action_retire(struct fm_action *a);

/* ---- loop.c ---- */

/* Open actions bound to signo; all open actions when signo is 0. */
size_t fm_loop_open_count(const struct fm_loop *loop, int signo);
void fm_loop_send_status(struct fm_loop *loop);

/* ---- reload.c ---- */

/* Re-reads the configuration and swaps it in, or keeps the old one. */
void fm_reload(struct fm_loop *loop);
/* Makes cfg's actions the loop's; false (old set kept) if a set-up fails. */
bool fm_reload_swap_in(struct fm_loop *loop, struct fm_config *cfg);

#endif
