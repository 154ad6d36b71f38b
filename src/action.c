/*
 * Action instances: their state machine (move() is the one place
 * that changes it), their event sources, and the services
 * include/flagman/action.h offers to every action type (completion,
 * closing, timers, descriptors, children, logging).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "actionset.h"
#include "schema.h"
#include "status.h"

/* ---- the state machine ---- */

#define TO(s) (1u << (s))

// The transitions allowed from each state.  Tearing down (to CLOSED) is
// allowed from every state but CLOSED.
static const unsigned allowed[] = {
	[FM_ACTION_NEW] = TO(FM_ACTION_IDLE) | TO(FM_ACTION_CLOSING),
	[FM_ACTION_IDLE] = TO(FM_ACTION_RUNNING) | TO(FM_ACTION_CLOSING),
	[FM_ACTION_RUNNING] = TO(FM_ACTION_DONE) | TO(FM_ACTION_LAST_RUN),
	[FM_ACTION_DONE] = TO(FM_ACTION_IDLE) | TO(FM_ACTION_LAST_DONE),
	[FM_ACTION_LAST_RUN] = TO(FM_ACTION_LAST_DONE),
	[FM_ACTION_LAST_DONE] = 0,
	[FM_ACTION_CLOSING] = 0,
	[FM_ACTION_CLOSED] = 0,
};

static void move(struct fm_action *a, enum fm_action_state to)
{
	bool ok = to == FM_ACTION_CLOSED ? a->phase != FM_ACTION_CLOSED :
		(allowed[a->phase] & TO(to)) != 0;

	if (!ok) {
		// A bug in the daemon, not in an action: say so, change nothing.
		fm_log(FM_LOG_ERROR, a->name, NULL, "internal error: action state "
			"%d cannot become %d", (int)a->phase, (int)to);
		return;
	}
	a->phase = to;
}

/* ---- sources ---- */

static void on_timer(void *owner)
{
	struct fm_action *a = owner;

	if (a->type->on_timer) {
		a->type->on_timer(a, a->state);
	}
}

static void on_fd(void *owner, int fd, short revents)
{
	struct fm_action *a = owner;

	if (a->type->on_fd) {
		a->type->on_fd(a, a->state, fd, revents);
	}
}

static void on_child(void *owner, pid_t pid, int wstatus)
{
	struct fm_action *a = owner;

	a->child = NULL; // the loop has freed it
	if (a->type->on_child) {
		a->type->on_child(a, a->state, pid, wstatus);
	}
}

static void free_sources(struct fm_action *a)
{
	fm_source_set_time(a->timer, 0);
	fm_source_free(a->child);
	a->child = NULL;
	for (size_t i = 0; i < a->nfds; i++) {
		fm_source_free(a->fds[i]);
	}
	free(a->fds);
	a->fds = NULL;
	a->nfds = 0;
}

/* ---- the life of an instance ---- */

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
	a->timer = fm_loop_add_time(loop, on_timer, a);
	if (!a->name || !a->canon || !a->timer) {
		fm_source_free(a->timer);
		free(a->name);
		free(a->canon);
		free(a);
		return NULL;
	}
	a->state = def->state; // the action takes the parsed arguments
	def->state = NULL;
	return a;
}

bool fm_action_set_up(struct fm_action *a)
{
	if (a->type->set_up && a->type->set_up(a, a->state) < 0) {
		fm_log(FM_LOG_ERROR, a->name, NULL, "set-up failed");
		// Not set up: tear_down is not called.
		free_sources(a);
		move(a, FM_ACTION_CLOSED);
		return false;
	}
	if (a->phase == FM_ACTION_NEW) {
		move(a, FM_ACTION_IDLE);
	} // else it closed itself during set_up: CLOSING
	return true;
}

// The run is over with result r.
static void finish(struct fm_action *a, enum fm_result r)
{
	if (fm_action_busy(a)) {
		a->last_duration = fm_now_ms() - a->last_start;
		a->failures += r == FM_RESULT_FAILED ||
			r == FM_RESULT_FAILED_STOP;
	}
	if (a->phase == FM_ACTION_RUNNING) {
		move(a, FM_ACTION_DONE);
	} else if (a->phase == FM_ACTION_LAST_RUN) {
		move(a, FM_ACTION_LAST_DONE);
	} else if (!fm_action_finished(a)) {
		return;
	}
	a->result = r;
}

void fm_action_start(struct fm_action *a, const struct fm_run *run,
	const char *signame)
{
	int r;

	move(a, FM_ACTION_RUNNING);
	a->signame = signame;
	a->runs++;
	a->last_start_wall = fm_wall_ms();
	a->last_start = fm_now_ms();
	r = a->type->run(a, a->state, run);
	if (r != FM_RUN_PENDING) {
		finish(a, (enum fm_result)r);
	}
}

void fm_action_stop(struct fm_action *a, bool force)
{
	if (a->type->stop) {
		a->type->stop(a, a->state, force);
	}
	if (force) {
		finish(a, a->result); // whatever it did, the daemon stops now
	}
}

// Tears a closing action down for good; it stays as a tombstone.
static void retire(struct fm_action *a)
{
	fm_action_tear_down(a);
	fm_log(FM_LOG_WARNING, a->name, a->signame, "action closed: %s",
		a->close_reason ? a->close_reason : "no reason given");
}

void fm_action_complete(struct fm_action *a)
{
	if (a->phase == FM_ACTION_LAST_DONE) {
		retire(a);
	} else {
		move(a, FM_ACTION_IDLE);
	}
}

bool fm_action_retire_closing(struct fm_action *a)
{
	if (a->phase != FM_ACTION_CLOSING) {
		return false;
	}
	retire(a);
	return true;
}

void fm_action_tear_down(struct fm_action *a)
{
	if (a->phase == FM_ACTION_CLOSED) {
		return;
	}
	if (a->phase != FM_ACTION_NEW && a->type->tear_down) {
		a->type->tear_down(a, a->state);
	}
	free_sources(a);
	move(a, FM_ACTION_CLOSED);
}

static void free_state(struct fm_action *a)
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
	free_sources(a);
	fm_source_free(a->timer);
	free_state(a);
	free(a->name);
	free(a->canon);
	free(a->close_reason);
	free(a);
}

bool fm_action_open(const struct fm_action *a)
{
	return a->phase == FM_ACTION_IDLE || a->phase == FM_ACTION_RUNNING ||
		a->phase == FM_ACTION_DONE;
}

bool fm_action_busy(const struct fm_action *a)
{
	return a->phase == FM_ACTION_RUNNING || a->phase == FM_ACTION_LAST_RUN;
}

bool fm_action_finished(const struct fm_action *a)
{
	return a->phase == FM_ACTION_DONE || a->phase == FM_ACTION_LAST_DONE;
}

struct fm_loop *fm_action_loop(const struct fm_action *action)
{
	return action->loop;
}

/* ---- the services of include/flagman/action.h ---- */

const char *fm_action_name(const struct fm_action *action)
{
	return action->name;
}

void fm_action_done(struct fm_action *action, enum fm_result result)
{
	finish(action, result);
}

void fm_action_close(struct fm_action *action, const char *reason)
{
	static const enum fm_action_state closed[] = {
		[FM_ACTION_NEW] = FM_ACTION_CLOSING,
		[FM_ACTION_IDLE] = FM_ACTION_CLOSING,
		[FM_ACTION_RUNNING] = FM_ACTION_LAST_RUN,
		[FM_ACTION_DONE] = FM_ACTION_LAST_DONE,
	};

	if (action->phase > FM_ACTION_DONE) {
		return; // closing or closed already: the first reason stands
	}
	move(action, closed[action->phase]);
	free(action->close_reason);
	action->close_reason = reason ? strdup(reason) : NULL;
}

void fm_action_set_timer(struct fm_action *action, uint64_t delay_ms)
{
	uint64_t now = fm_now_ms();

	// A plug-in may ask for "forever": saturate rather than wrap around.
	fm_source_set_time(action->timer, !delay_ms ? 0 :
		delay_ms > UINT64_MAX - now ? UINT64_MAX : now + delay_ms);
}

static size_t find_fd(const struct fm_action *a, int fd)
{
	size_t i = 0;

	while (i < a->nfds && fm_source_fd(a->fds[i]) != fd) {
		i++;
	}
	return i;
}

int fm_action_watch_fd(struct fm_action *action, int fd, short events)
{
	size_t i = find_fd(action, fd);
	struct fm_source **grown;

	if (i < action->nfds) {
		fm_source_set_events(action->fds[i], events);
		return 0;
	}
	grown = realloc(action->fds, (action->nfds + 1) * sizeof(*grown));
	if (!grown) {
		return -ENOMEM;
	}
	action->fds = grown;
	grown[i] = fm_loop_add_io(action->loop, fd, events, on_fd, action);
	if (!grown[i]) {
		return -ENOMEM;
	}
	action->nfds++;
	return 0;
}

void fm_action_unwatch_fd(struct fm_action *action, int fd)
{
	size_t i = find_fd(action, fd);

	if (i < action->nfds) {
		fm_source_free(action->fds[i]);
		action->fds[i] = action->fds[--action->nfds];
	}
}

int fm_action_watch_child(struct fm_action *action, pid_t pid)
{
	if (action->child) {
		return -EBUSY;
	}
	action->child = fm_loop_add_child(action->loop, pid, on_child, action);
	return action->child ? 0 : -ENOMEM;
}

void fm_action_log(const struct fm_action *action, enum fm_log_level level,
	const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fm_vlog((int)level, action->name, action->signame, fmt, ap);
	va_end(ap);
}
