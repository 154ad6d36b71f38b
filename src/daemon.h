/*
 * What main() runs: the event loop (loop.c; its internals are in loop.h)
 * and the clean-up of orphans adopted as the subreaper (actions/spawn.c).
 */
#ifndef FM_DAEMON_H
#define FM_DAEMON_H

struct fm_config;
struct fm_diag;

struct fm_loop;

/* Reads the configuration again: a resolved config, or NULL with every
 * problem collected in diag. */
typedef struct fm_config *(*fm_reload_fn)(void *ctx, struct fm_diag *diag);

/* Takes cfg (the loop owns it, even on failure) and sets every action up.
 * NULL when a set-up fails (logged; the others are torn down). */
struct fm_loop *fm_loop_create(struct fm_config *cfg, int signal_fd,
	fm_reload_fn reload, void *ctx);
/* Runs until shutdown or until every action closed; returns the exit
 * status (0 or 1).  */
int fm_loop_run(struct fm_loop *loop);
/* Publishes the actions' state for flagman --status (status.h) under the
 * name of the configuration file config (NULL: --no-config). */
void fm_loop_publish(struct fm_loop *loop, const char *config);
void fm_loop_destroy(struct fm_loop *loop);

/* Kills the orphans that came to flagman, the subreaper, and reaps them;
 * one that does not end within a bound after SIGKILL is left behind. */
void fm_end_orphans(void);

#endif
