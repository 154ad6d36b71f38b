/*
 * Action instances: their lifecycle, and the services include/flagman/action.h
 * offers to every action type (completion, closing, timers, descriptors,
 * children, logging).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "schema.h"

struct fm_action *fm_action_create(struct fm_loop *loop, struct fm_def *def)
{
	struct fm_action *a = calloc(1, sizeof(*a));

	if (!a) {
		return NULL;
	}
	a->loop = loop;
	a->type = def->type;
	a->signals = def->signals;
	a->name = strdup(def->name);
	a->canon = fm_def_canon(def) ? def->canon : NULL;
	def->canon = NULL; // the action takes the text, as it takes the state
	if (!a->name || !a->canon) {
		free(a->name);
		free(a->canon);
		free(a);
		return NULL;
	}
	a->state = def->state; // the action takes the parsed arguments
	def->state = NULL;
	return a;
}

static void unwatch_all(struct fm_action *a)
{
	struct fm_loop *loop = a->loop;

	for (size_t i = 0; i < loop->nwatches;) {
		if (loop->watches[i].action == a) {
			loop->watches[i] = loop->watches[--loop->nwatches];
		} else {
			i++;
		}
	}
}

void fm_action_tear_down(struct fm_action *a)
{
	if (a->is_set_up && a->type->tear_down) {
		a->type->tear_down(a, a->state);
	}
	a->is_set_up = false;
	a->deadline = 0;
	a->child = 0;
	unwatch_all(a);
}

void fm_action_free_state(struct fm_action *a)
{
	if (a->state) {
		for (const struct fm_arg_spec *s = a->type->args; s && s->name; s++) {
			fm_value_free(s, (char *)a->state + s->offset);
		}
	}
	free(a->state);
	a->state = NULL;
}

void fm_action_destroy(struct fm_action *a)
{
	if (!a) {
		return;
	}
	unwatch_all(a);
	fm_action_free_state(a);
	free(a->name);
	free(a->canon);
	free(a->close_reason);
	free(a);
}

bool fm_action_open(const struct fm_action *a)
{
	return !a->dead && !a->closing;
}

// Tears a closing action down for good; it stays as a tombstone.
void fm_action_retire(struct fm_action *a)
{
	fm_action_tear_down(a);
	a->dead = true;
	a->closing = false;
	fm_log(FM_LOG_WARNING, a->name, a->signame, "action closed: %s",
		a->close_reason ? a->close_reason : "no reason given");
}

/* ---- the services of include/flagman/action.h ---- */

const char *fm_action_name(const struct fm_action *action)
{
	return action->name;
}

void fm_action_done(struct fm_action *action, enum fm_result result)
{
	if (action->running) {
		action->finished = true;
		action->result = result;
	}
}

void fm_action_close(struct fm_action *action, const char *reason)
{
	if (action->dead || action->closing) {
		return;
	}
	action->closing = true;
	free(action->close_reason);
	action->close_reason = reason ? strdup(reason) : NULL;
}

void fm_action_set_timer(struct fm_action *action, uint64_t delay_ms)
{
	uint64_t now = fm_now_ms();

	// A plug-in may ask for "forever": saturate rather than wrap around.
	if (!delay_ms) {
		action->deadline = 0;
	} else {
		action->deadline = delay_ms > UINT64_MAX - now ? UINT64_MAX :
			now + delay_ms;
	}
}

int fm_action_watch_fd(struct fm_action *action, int fd, short events)
{
	struct fm_loop *loop = action->loop;
	struct watch *grown;

	for (size_t i = 0; i < loop->nwatches; i++) {
		if (loop->watches[i].fd == fd) {
			loop->watches[i].events = events;
			loop->watches[i].action = action;
			return 0;
		}
	}
	grown = realloc(loop->watches, (loop->nwatches + 1) * sizeof(*grown));
	if (!grown) {
		return -ENOMEM;
	}
	loop->watches = grown;
	grown[loop->nwatches++] = (struct watch){ fd, events, action };
	return 0;
}

void fm_action_unwatch_fd(struct fm_action *action, int fd)
{
	struct fm_loop *loop = action->loop;

	for (size_t i = 0; i < loop->nwatches; i++) {
		if (loop->watches[i].fd == fd && loop->watches[i].action == action) {
			loop->watches[i] = loop->watches[--loop->nwatches];
			return;
		}
	}
}

int fm_action_watch_child(struct fm_action *action, pid_t pid)
{
	if (action->child) {
		return -EBUSY;
	}
	action->child = pid;
	return 0;
}

void fm_action_log(const struct fm_action *action, enum fm_log_level level,
	const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fm_vlog((int)level, action->name, action->signame, fmt, ap);
	va_end(ap);
}

