/*
 * The environment of the programs exec actions start: flagman's own (or
 * none), without what describes flagman's service, plus the action's
 * variables; see env.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"

extern char **environ;

// These describe flagman's own service or a single run; none is passed on.
static const char *const dropped[] = {
	"NOTIFY_SOCKET", "WATCHDOG_PID", "WATCHDOG_USEC", "LISTEN_PID",
	"LISTEN_FDS", "LISTEN_FDNAMES", "FLAGMAN_VALUE",
};

static size_t name_len(const char *entry)
{
	const char *eq = strchr(entry, '=');

	return eq ? (size_t)(eq - entry) : strlen(entry);
}

static bool is_dropped(const char *entry)
{
	size_t len = name_len(entry);

	for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++) {
		if (strlen(dropped[i]) == len && memcmp(dropped[i], entry, len) == 0) {
			return true;
		}
	}
	return false;
}

// Takes ownership of entry, even on failure.
static bool env_take(struct fm_env *env, char *entry)
{
	size_t len = name_len(entry);

	for (size_t i = 0; i < env->n; i++) {
		if (name_len(env->vars[i]) == len &&
				memcmp(env->vars[i], entry, len) == 0) {
			free(env->vars[i]);
			env->vars[i] = entry;
			return true;
		}
	}
	if (env->n + 2 > env->cap) {
		size_t cap = env->cap ? env->cap * 2 : 32;
		char **grown = realloc(env->vars, cap * sizeof(*grown));
		if (!grown) {
			free(entry);
			return false;
		}
		env->vars = grown;
		env->cap = cap;
	}
	env->vars[env->n++] = entry;
	env->vars[env->n] = NULL;
	return true;
}

bool fm_env_init(struct fm_env *env, bool inherit)
{
	// Allocated up front so that even an empty list is a valid envp.
	*env = (struct fm_env){ .vars = calloc(32, sizeof(char *)), .cap = 32 };
	if (!env->vars) {
		return false;
	}
	for (size_t i = 0; inherit && environ[i]; i++) {
		if (!strchr(environ[i], '=') || is_dropped(environ[i])) {
			continue;
		}
		if (!fm_env_put(env, environ[i])) {
			fm_env_finish(env);
			return false;
		}
	}
	return true;
}

bool fm_env_put(struct fm_env *env, const char *entry)
{
	char *copy = strdup(entry);

	return copy && env_take(env, copy);
}

bool fm_env_set(struct fm_env *env, const char *name, const char *fmt, ...)
{
	char *value, *entry;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&value, fmt, ap);
	va_end(ap);
	if (r < 0) {
		return false;
	}
	r = asprintf(&entry, "%s=%s", name, value);
	free(value);
	return r >= 0 && env_take(env, entry);
}

void fm_env_finish(struct fm_env *env)
{
	for (size_t i = 0; i < env->n; i++) {
		free(env->vars[i]);
	}
	free(env->vars);
	*env = (struct fm_env){ 0 };
}

bool fm_env_valid(const char *entry)
{
	size_t len = name_len(entry);

	if (len == 0 || entry[len] != '=' ||
			(entry[0] >= '0' && entry[0] <= '9')) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		char c = entry[i];
		if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				(c >= '0' && c <= '9'))) {
			return false;
		}
	}
	return true;
}
