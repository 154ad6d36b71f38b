/*
 * The event loop's services to the rest of the daemon: event sources
 * (descriptors, timers, children) registered with a callback and an owner,
 * and what reload needs of the loop.  struct fm_loop itself is loop.c's.
 * fm_loop_create, fm_loop_run and fm_loop_destroy are in daemon.h.
 */
#ifndef FM_LOOP_H
#define FM_LOOP_H

#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "notify.h"
#include "signals.h"

/* ---- sources ---- */

struct fm_source;

typedef void fm_io_fn(void *owner, int fd, short revents);
typedef void fm_time_fn(void *owner);
typedef void fm_child_fn(void *owner, pid_t pid, int wstatus);

/*
 * Calls cb(owner, fd, revents) when poll(2) finds fd ready for events.
 * NULL on no memory.  A source freed while the loop dispatches never
 * fires again, and one added then waits for the next poll.
 */
struct fm_source *fm_loop_add_io(struct fm_loop *loop, int fd, short events,
	fm_io_fn *cb, void *owner);
void fm_source_set_events(struct fm_source *src, short events);
int fm_source_fd(const struct fm_source *src);

/*
 * A timer, created disarmed.  fm_source_set_time arms it for deadline
 * (CLOCK_MONOTONIC ms, see fm_now_ms) or, with 0, disarms it; it fires
 * once per arming: cb(owner).  NULL on no memory.
 */
struct fm_source *fm_loop_add_time(struct fm_loop *loop, fm_time_fn *cb,
	void *owner);
void fm_source_set_time(struct fm_source *src, uint64_t deadline);

/*
 * Calls cb(owner, pid, wstatus) once child pid has been reaped.  The loop
 * frees the source just before that call: the owner forgets it there.
 * NULL on no memory.
 */
struct fm_source *fm_loop_add_child(struct fm_loop *loop, pid_t pid,
	fm_child_fn *cb, void *owner);

/* Removes and frees a source of any kind; NULL is a no-op. */
void fm_source_free(struct fm_source *src);

/* The loop an action belongs to (action.c): built-in actions may register
 * sources of their own, with callbacks of their own. */
struct fm_loop *fm_action_loop(const struct fm_action *action);

/* ---- for reload.c ---- */

/*
 * Makes cfg's actions the loop's (see fm_actionset_swap_in) and cfg its
 * configuration, freeing the old one.  false when a set-up failed: the
 * loop keeps its actions and configuration, and the caller keeps cfg.
 */
bool fm_loop_swap_in(struct fm_loop *loop, struct fm_config *cfg);
/* Records a reload's outcome for STATUS=: NULL after success, else why
 * the running configuration stays. */
void fm_loop_note_reload(struct fm_loop *loop, const char *error);
void fm_loop_send_status(struct fm_loop *loop);

/* Re-reads the configuration with reload and swaps it in, or keeps the old
 * one (reload.c). */
void fm_reload(struct fm_loop *loop, fm_reload_fn reload, void *ctx);

#endif
