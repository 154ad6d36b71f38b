/*
 * Action instances and sets of them.  action.c holds one instance's life
 * (its state machine, its sources, the services of flagman/action.h);
 * actionset.c sets a configuration's actions up, swaps them in for a
 * running set, and tears them down, for start-up and reload alike.
 */
#ifndef FM_ACTIONSET_H
#define FM_ACTIONSET_H

#include "loop.h"

/*
 * Where an instance is in its life.  Only move() in action.c changes
 * it, and it refuses a transition not listed there.  Every state but NEW
 * and CLOSED is set up.
 */
enum fm_action_state {
	FM_ACTION_NEW,       /* created, not set up */
	FM_ACTION_IDLE,      /* waits for its signals */
	FM_ACTION_RUNNING,   /* a run is under way */
	FM_ACTION_DONE,      /* the run ended; the loop has yet to complete it */
	FM_ACTION_LAST_RUN,  /* RUNNING, and asked to close */
	FM_ACTION_LAST_DONE, /* DONE, and asked to close */
	FM_ACTION_CLOSING,   /* asked to close while idle: retired next */
	FM_ACTION_CLOSED,    /* torn down: closed, replaced, or at exit */
};

struct fm_action {
	struct fm_loop *loop;
	const struct fm_action_type *type;
	void *state;       /* owned, with its argument values */
	char *name;
	char *canon;       /* the definition, compared by reload */
	const struct fm_config *cfg; /* in force: its state directory */
	fm_sigmask signals;
	enum fm_action_state phase;
	enum fm_result result; /* of the last run */
	char *close_reason;
	const char *signame; /* of the current or last run */
	struct fm_source *timer; /* always there; armed or not */
	struct fm_source *child; /* NULL: none watched */
	struct fm_source **fds;
	size_t nfds;
	/* For flagman --status (status.h); kept with the instance. */
	unsigned long runs, failures;
	int64_t last_start_wall; /* ms since the epoch; 0: never run */
	uint64_t last_start;     /* fm_now_ms() */
	uint64_t last_duration;  /* ms, of the last run that ended */
};

/* ---- action.c ---- */

/* A new instance of def; takes def's parsed state.  NULL on no memory. */
struct fm_action *fm_action_create(struct fm_loop *loop, struct fm_def *def);
/* NEW to IDLE: calls set_up.  false (and CLOSED) if it failed. */
bool fm_action_set_up(struct fm_action *a);
/* IDLE to RUNNING: calls run; signame must outlive the run. */
void fm_action_start(struct fm_action *a, const struct fm_run *run,
	const char *signame);
/* Asks a running action to end (see stop in flagman/action.h); forced,
 * the run is over when this returns, whatever the action did. */
void fm_action_stop(struct fm_action *a, bool force);
/* DONE to IDLE, or, when it was asked to close, to CLOSED. */
void fm_action_complete(struct fm_action *a);
/* CLOSING to CLOSED (true); a no-op in any other state (false). */
bool fm_action_retire_closing(struct fm_action *a);
/* To CLOSED, calling tear_down if it was set up; frees its sources. */
void fm_action_tear_down(struct fm_action *a);
/* Frees the instance (tear it down first); NULL is a no-op. */
void fm_action_destroy(struct fm_action *a);

/* IDLE, RUNNING or DONE: takes part in chains. */
bool fm_action_open(const struct fm_action *a);
/* A run is under way (RUNNING or LAST_RUN). */
bool fm_action_busy(const struct fm_action *a);
/* A run has ended and waits for fm_action_complete (DONE or LAST_DONE). */
bool fm_action_finished(const struct fm_action *a);

/* ---- actionset.c ---- */

/* Actions in configuration order. */
struct fm_actionset {
	struct fm_action **v;
	size_t n;
};

/*
 * Makes cfg's enabled actions the set.  An unchanged definition keeps its
 * instance and state; new and changed ones get new instances, all set up
 * before anything of the old set is torn down, so that a set-up failure
 * (false) leaves the set as it was.  Start-up swaps into an empty set.
 */
bool fm_actionset_swap_in(struct fm_actionset *set, struct fm_loop *loop,
	struct fm_config *cfg);
/* Tears down every action not yet closed; they stay in the set. */
void fm_actionset_tear_down(struct fm_actionset *set);
/* Tears down and frees every action; the set is left empty. */
void fm_actionset_clear(struct fm_actionset *set);

#endif
