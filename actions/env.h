/*
 * The environment of the programs exec actions start.  Private to actions/.
 */
#ifndef FM_ACTIONS_ENV_H
#define FM_ACTIONS_ENV_H

#include <stdbool.h>
#include <stddef.h>

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

#endif
