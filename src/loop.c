/*
 * The event loop: the signalfd and the sources registered with the loop
 * (descriptors in poll(2), timers in a list sorted by deadline, children
 * found by pid), each dispatched to its owner's callback.  One signal's
 * chain runs at a time; other arrivals wait in a FIFO with at most one
 * entry per signal.  Nothing here blocks: an action that takes time
 * finishes later through fm_action_done().
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "actionset.h"
#include "pacing.h"
#include "status.h"
#include "memory.h"

#define NSIGS 65 /* signal numbers 1..64 */

enum kind { SRC_IO, SRC_TIME, SRC_CHILD };

struct fm_source {
	struct fm_loop *loop;
	enum kind kind;
	void *owner;
	union {
		fm_io_fn *io;
		fm_time_fn *time;
		fm_child_fn *child;
	} cb;
	int fd;            /* io */
	short events;      /* io */
	bool gone;         /* io: freed; the slot goes at the next sweep */
	uint64_t deadline; /* time: 0 while disarmed */
	pid_t pid;         /* child */
	struct fm_source *next; /* time: in the armed list; child: in the list */
};

/* A signal's place in the FIFO: its arrivals merged while it waits. */
struct arrival {
	bool pending;
	struct fm_arrival a;
};

/* The chain under way. */
struct chain {
	bool active;
	int signo;
	size_t pos;                /* next action of the set */
	struct fm_action *current; /* the action whose run is under way */
	struct fm_run run;
	char signame[FM_SIGNAME_MAX];
	bool failed;
};

struct fm_loop {
	struct fm_config *cfg;
	struct fm_actionset set;
	int sfd;

	struct arrival sig[NSIGS];
	struct fm_pacing *pacing; /* paced signals' triggers, until due */
	int fifo[NSIGS];
	size_t head, len;
	struct chain chain;

	bool stopping;
	bool quit;
	int status;
	struct fm_source *stop_timer; /* stop_timeout for the current run */
	struct fm_source *watchdog;
	uint64_t wd_ms;
	struct fm_source *status_timer; /* armed while a STATUS= waits */
	struct fm_status_pub *pub; /* the status file's writer, or NULL */

	struct fm_source **io; /* poll(2) slot i + 1 is io[i] */
	size_t nio, io_cap, io_gone;
	struct fm_source *timers;   /* armed, soonest first */
	struct fm_source *children;

	fm_reload_fn reload;
	void *reload_ctx;
	char last[160];        /* the last chain's outcome, for STATUS= */
	char counts[400];      /* STATUS='s action counts (status_counts) */
	size_t counts_for;     /* 1 + the open actions they count; 0: stale */
	char reload_error[160]; /* why the last reload failed; "" after success */
};

/* ---- sources ---- */

static struct fm_source *source_new(struct fm_loop *loop, enum kind kind,
	void *owner)
{
	struct fm_source *src = calloc(1, sizeof(*src));

	if (src) {
		*src = (struct fm_source){ .loop = loop, .kind = kind,
			.owner = owner, .fd = -1 };
	}
	return src;
}

static void unlink_source(struct fm_source **list, struct fm_source *src)
{
	for (struct fm_source **p = list; *p; p = &(*p)->next) {
		if (*p == src) {
			*p = src->next;
			break;
		}
	}
	src->next = NULL;
}

struct fm_source *fm_loop_add_io(struct fm_loop *loop, int fd, short events,
	fm_io_fn *cb, void *owner)
{
	struct fm_source *src;

	if (loop->nio == loop->io_cap) {
		size_t cap = loop->io_cap ? loop->io_cap * 2 : 8;
		struct fm_source **grown = realloc(loop->io, cap * sizeof(*grown));
		if (!grown) {
			return NULL;
		}
		loop->io = grown;
		loop->io_cap = cap;
	}
	if (!(src = source_new(loop, SRC_IO, owner))) {
		return NULL;
	}
	src->fd = fd;
	src->events = events;
	src->cb.io = cb;
	loop->io[loop->nio++] = src;
	return src;
}

void fm_source_set_events(struct fm_source *src, short events)
{
	src->events = events;
}

int fm_source_fd(const struct fm_source *src)
{
	return src->fd;
}

struct fm_source *fm_loop_add_time(struct fm_loop *loop, fm_time_fn *cb,
	void *owner)
{
	struct fm_source *src = source_new(loop, SRC_TIME, owner);

	if (src) {
		src->cb.time = cb;
	}
	return src;
}

void fm_source_set_time(struct fm_source *src, uint64_t deadline)
{
	struct fm_source **p = &src->loop->timers;

	if (src->deadline) {
		unlink_source(p, src);
	}
	src->deadline = deadline;
	if (!deadline) {
		return;
	}
	// After those due no later: equal deadlines fire in arming order.
	while (*p && (*p)->deadline <= deadline) {
		p = &(*p)->next;
	}
	src->next = *p;
	*p = src;
}

struct fm_source *fm_loop_add_child(struct fm_loop *loop, pid_t pid,
	fm_child_fn *cb, void *owner)
{
	struct fm_source *src = source_new(loop, SRC_CHILD, owner);

	if (src) {
		src->pid = pid;
		src->cb.child = cb;
		src->next = loop->children;
		loop->children = src;
	}
	return src;
}

void fm_source_free(struct fm_source *src)
{
	if (!src) {
		return;
	}
	if (src->kind == SRC_IO) {
		// poll(2) may have reported it already: sweep_io frees it.
		src->gone = true;
		src->owner = NULL;
		src->loop->io_gone++;
		return;
	}
	if (src->kind == SRC_TIME) {
		fm_source_set_time(src, 0);
	} else {
		unlink_source(&src->loop->children, src);
	}
	free(src);
}

// Frees the io sources freed since the last sweep; never while dispatching.
static void sweep_io(struct fm_loop *loop)
{
	size_t kept = 0;

	if (!loop->io_gone) {
		return;
	}
	for (size_t i = 0; i < loop->nio; i++) {
		if (loop->io[i]->gone) {
			free(loop->io[i]);
		} else {
			loop->io[kept++] = loop->io[i];
		}
	}
	loop->nio = kept;
	loop->io_gone = 0;
}

/* ---- status ---- */

static size_t open_count(const struct fm_loop *loop, int signo)
{
	size_t n = 0;

	for (size_t i = 0; i < loop->set.n; i++) {
		const struct fm_action *a = loop->set.v[i];
		if (fm_action_open(a) && (!signo || (a->signals & FM_SIGBIT(signo)))) {
			n++;
		}
	}
	return n;
}

/*
 * The action counts of STATUS=, such as "3 actions (USR1: 2, USR2: 1)",
 * into loop->counts.  They change only when an action closes (the total
 * drops) or at a swap-in (which clears counts_for), so most chains reuse
 * the last ones.
 */
static void status_counts(struct fm_loop *loop)
{
	char *text = loop->counts, buf[FM_SIGNAME_MAX];
	size_t size = sizeof(loop->counts), used, total = open_count(loop, 0);

	if (loop->counts_for == total + 1) {
		return;
	}
	loop->counts_for = total + 1;
	used = (size_t)snprintf(text, size, "%zu action%s", total,
		total == 1 ? "" : "s");
	for (int s = 1, first = 1; s < NSIGS && used < size; s++) {
		size_t n = fm_signal_is_trigger(s) ? open_count(loop, s) : 0;
		if (n) {
			used += (size_t)snprintf(text + used, size - used,
				"%s%s: %zu", first ? " (" : ", ", fm_signal_name(s, buf), n);
			first = 0;
		}
		if (s == NSIGS - 1 && !first && used < size) {
			snprintf(text + used, size - used, ")");
		}
	}
}

void fm_loop_send_status(struct fm_loop *loop)
{
	char msg[sizeof(loop->counts) + sizeof(loop->last) +
		sizeof(loop->reload_error) + 8];

	if (!fm_notify_enabled()) {
		return;
	}
	status_counts(loop);
	snprintf(msg, sizeof(msg), "%s; %s%s%s", loop->counts,
		loop->last[0] ? loop->last : "waiting for signals",
		loop->reload_error[0] ? "; " : "", loop->reload_error);
	fm_source_set_time(loop->status_timer, fm_notify_status(msg));
}

// The interval has passed: the newest text that waited goes out.
static void on_status_timer(void *owner)
{
	struct fm_loop *loop = owner;

	fm_source_set_time(loop->status_timer, fm_notify_status_flush());
}

/* ---- reload ---- */

bool fm_loop_swap_in(struct fm_loop *loop, struct fm_config *cfg)
{
	if (!fm_actionset_swap_in(&loop->set, loop, cfg)) {
		return false;
	}
	fm_config_destroy(loop->cfg);
	loop->cfg = cfg;
	loop->counts_for = 0;
	fm_pacing_configure(loop->pacing, cfg);
	return true;
}

void fm_loop_publish(struct fm_loop *loop, const char *config)
{
	loop->pub = fm_status_pub_create(loop, &loop->set, config);
}

void fm_loop_note_reload(struct fm_loop *loop, const char *error)
{
	if (!error) {
		fm_status_pub_reloaded(loop->pub);
	}
	snprintf(loop->reload_error, sizeof(loop->reload_error), "%s",
		error ? error : "");
	if (!error) {
		snprintf(loop->last, sizeof(loop->last), "reloaded");
	}
}

/* ---- chains ---- */

static void end_chain(struct fm_loop *loop, const char *outcome)
{
	snprintf(loop->last, sizeof(loop->last), "last: %s %s",
		loop->chain.signame, outcome);
	fm_log(FM_LOG_DEBUG, NULL, loop->chain.signame, "chain for %s ended: %s",
		loop->chain.signame, outcome);
	loop->chain.active = false;
	fm_loop_send_status(loop);
}

static void start_chain(struct fm_loop *loop, int signo,
	const struct fm_arrival *arr)
{
	struct chain *c = &loop->chain;
	const char *name = fm_signal_name(signo, c->signame);

	if (name != c->signame) {
		snprintf(c->signame, sizeof(c->signame), "%s", name);
	}
	c->run = (struct fm_run){
		.signo = signo, .signame = c->signame, .sender_pid = arr->pid,
		.sender_uid = arr->uid, .merged = arr->merged,
		.has_value = arr->has_value, .value = arr->value,
	};
	c->active = true;
	c->signo = signo;
	c->pos = 0;
	c->failed = false;
	fm_pacing_started(loop->pacing, signo);
	fm_log(FM_LOG_DEBUG, NULL, c->signame, "running the chain for %s "
		"(%u arrival%s)", c->signame, arr->merged,
		arr->merged == 1 ? "" : "s");
}

// Starts the chain's next action, or ends the chain.
static void step(struct fm_loop *loop)
{
	struct chain *c = &loop->chain;

	while (c->pos < loop->set.n && !loop->stopping) {
		struct fm_action *a = loop->set.v[c->pos++];

		if (fm_action_open(a) && (a->signals & FM_SIGBIT(c->signo))) {
			c->current = a;
			fm_action_start(a, &c->run, c->signame);
			fm_status_pub_changed(loop->pub);
			return;
		}
	}
	end_chain(loop, loop->stopping ? "interrupted" :
		(c->failed ? "failed" : "ok"));
}

// The current action's run is over: record it, close it if it asked to.
static void complete(struct fm_loop *loop)
{
	struct fm_action *a = loop->chain.current;
	enum fm_result result = a->result;

	loop->chain.current = NULL;
	fm_status_pub_changed(loop->pub);
	if (result != FM_RESULT_OK && result != FM_RESULT_UNCHANGED) {
		loop->chain.failed = true;
		fm_log(FM_LOG_INFO, a->name, a->signame, "run failed");
	}
	fm_action_complete(a);
	if (result == FM_RESULT_FAILED_STOP && loop->chain.active) {
		fm_log(FM_LOG_INFO, a->name, a->signame,
			"skipping the rest of the chain (on_failure = stop)");
		end_chain(loop, "stopped after a failure");
	} else if (result == FM_RESULT_UNCHANGED && loop->chain.active) {
		fm_log(FM_LOG_INFO, a->name, a->signame, "output and exit status "
			"unchanged; skipping the rest of the chain (on_unchanged = "
			"stop)");
		end_chain(loop, loop->chain.failed ? "failed" : "ok, unchanged");
	}
}

static void retire_closed(struct fm_loop *loop)
{
	for (size_t i = 0; i < loop->set.n; i++) {
		if (fm_action_retire_closing(loop->set.v[i])) {
			fm_status_pub_changed(loop->pub);
		}
	}
}

static void push(struct fm_loop *loop, int signo)
{
	loop->fifo[(loop->head + loop->len++) % NSIGS] = signo;
}

static int pop(struct fm_loop *loop)
{
	int signo = loop->fifo[loop->head];

	loop->head = (loop->head + 1) % NSIGS;
	loop->len--;
	return signo;
}

static void quit(struct fm_loop *loop, int status)
{
	fm_actionset_tear_down(&loop->set);
	loop->quit = true;
	loop->status = status;
}

// Starts the chain of the next signal waiting, if any; false if none.
static bool next_arrival(struct fm_loop *loop)
{
	struct fm_arrival arr;
	int signo;

	if (loop->len == 0) {
		return false;
	}
	signo = pop(loop);
	arr = loop->sig[signo].a;
	loop->sig[signo].pending = false;
	if (open_count(loop, signo)) {
		start_chain(loop, signo, &arr);
	} else if (signo == loop->cfg->reload_signal) {
		fm_reload(loop, loop->reload, loop->reload_ctx);
	}
	return true;
}

// Moves the state machine forward as far as it goes without waiting.
static void settle(struct fm_loop *loop)
{
	while (!loop->quit) {
		if (loop->chain.current) {
			if (!fm_action_finished(loop->chain.current)) {
				break;
			}
			complete(loop);
			continue;
		}
		retire_closed(loop);
		if (loop->chain.active) {
			step(loop);
		} else if (loop->stopping) {
			quit(loop, 0);
		} else if (open_count(loop, 0) == 0) {
			fm_log(FM_LOG_WARNING, NULL, NULL, "every action has closed; "
				"exiting");
			fm_notify("STOPPING=1");
			quit(loop, loop->cfg->successful_empty ? 0 : 1);
		} else if (!next_arrival(loop)) {
			break;
		}
	}
}

/* ---- arrivals ---- */

static void begin_shutdown(struct fm_loop *loop, int signo)
{
	char buf[FM_SIGNAME_MAX];
	struct fm_action *a = loop->chain.current;

	if (loop->stopping) {
		// A second request: do not wait for the grace period.
		fm_source_set_time(loop->stop_timer, fm_now_ms());
		return;
	}
	fm_log(FM_LOG_INFO, NULL, NULL, "received SIG%s; stopping",
		fm_signal_name(signo, buf));
	fm_notify("STOPPING=1");
	loop->stopping = true;
	loop->len = 0;
	for (int s = 0; s < NSIGS; s++) {
		loop->sig[s].pending = false;
	}
	fm_pacing_discard(loop->pacing);
	if (a && fm_action_busy(a)) {
		fm_source_set_time(loop->stop_timer,
			fm_now_ms() + loop->cfg->stop_timeout_ms);
		fm_action_stop(a, false);
	}
}

static void on_stop_timeout(void *owner)
{
	struct fm_loop *loop = owner;
	struct fm_action *a = loop->chain.current;

	if (a && fm_action_busy(a)) {
		fm_log(FM_LOG_WARNING, a->name, a->signame, "still running "
			"after stop_timeout; forcing it to end");
		fm_action_stop(a, true);
	}
}

static void on_watchdog(void *owner)
{
	struct fm_loop *loop = owner;

	fm_notify("WATCHDOG=1");
	fm_source_set_time(loop->watchdog, fm_now_ms() + loop->wd_ms);
}

static void reap_children(struct fm_loop *loop)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (struct fm_source *src = loop->children; src; src = src->next) {
			if (src->pid == pid) {
				fm_child_fn *cb = src->cb.child;
				void *owner = src->owner;

				fm_source_free(src);
				cb(owner, pid, st);
				break;
			}
		}
	}
}

// An arrival, or a paced one now due, joins the queue: merged into its
// signal's place there, or dropped while its own chain runs (overlap).
static void queue_arrival(struct fm_loop *loop, int signo,
	const struct fm_arrival *in)
{
	struct arrival *arr = &loop->sig[signo];
	char buf[FM_SIGNAME_MAX];

	if (!arr->pending && loop->chain.active && loop->chain.signo == signo &&
			fm_pace_overlap(loop->cfg, signo) == FM_OVERLAP_DROP) {
		fm_log(FM_LOG_DEBUG, NULL, NULL, "SIG%s arrived during its own "
			"chain; dropped (overlap = drop)", fm_signal_name(signo, buf));
		return;
	}
	if (arr->pending) {
		fm_arrival_merge(&arr->a, in);
	} else {
		*arr = (struct arrival){ .pending = true, .a = *in };
		push(loop, signo);
	}
}

void fm_loop_release(struct fm_loop *loop, int signo,
	const struct fm_arrival *arr)
{
	char buf[FM_SIGNAME_MAX];

	if (!open_count(loop, signo)) {
		fm_log(FM_LOG_INFO, NULL, NULL, "no actions for SIG%s any more; "
			"its waiting trigger is dropped", fm_signal_name(signo, buf));
		return;
	}
	queue_arrival(loop, signo, arr);
}

static void on_trigger(struct fm_loop *loop, const struct signalfd_siginfo *si)
{
	int signo = (int)si->ssi_signo;
	struct fm_arrival in = { .merged = 1, .pid = (pid_t)si->ssi_pid,
		.uid = (uid_t)si->ssi_uid, .has_value = si->ssi_code == SI_QUEUE,
		.value = si->ssi_int };
	char buf[FM_SIGNAME_MAX];

	if (loop->stopping) {
		return;
	}
	if (!open_count(loop, signo) && signo != loop->cfg->reload_signal) {
		fm_log(FM_LOG_INFO, NULL, NULL, "no actions for SIG%s; ignored",
			fm_signal_name(signo, buf));
		return;
	}
	if (signo == loop->cfg->reload_signal ||
			!fm_pacing_take(loop->pacing, signo, &in)) {
		queue_arrival(loop, signo, &in);
	}
}

/*
 * Reads what the signalfd holds: everything when drain is set (at start-up),
 * else one batch, so that a storm of signals cannot keep timers, the watchdog
 * and the chains waiting.  false when reading failed for good.
 */
static bool read_signals(struct fm_loop *loop, bool drain)
{
	struct signalfd_siginfo si[32];

	for (;;) {
		ssize_t n = read(loop->sfd, si, sizeof(si));

		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			return errno == EAGAIN;
		}
		for (size_t i = 0; i < (size_t)n / sizeof(si[0]); i++) {
			int signo = (int)si[i].ssi_signo;
			if (signo == SIGTERM || signo == SIGINT) {
				begin_shutdown(loop, signo);
			} else if (signo == SIGCHLD) {
				reap_children(loop);
			} else if (signo > 0 && signo < NSIGS) {
				on_trigger(loop, &si[i]);
			}
		}
		if (!drain) {
			return true;
		}
	}
}

/* ---- the loop ---- */

struct fm_loop *fm_loop_create(struct fm_config *cfg, int signal_fd,
	fm_reload_fn reload, void *ctx)
{
	struct fm_loop *loop = calloc(1, sizeof(*loop));

	if (!loop) {
		fm_config_destroy(cfg);
		return NULL;
	}
	loop->sfd = signal_fd;
	loop->reload = reload;
	loop->reload_ctx = ctx;
	loop->pacing = fm_pacing_create(loop);
	loop->stop_timer = fm_loop_add_time(loop, on_stop_timeout, loop);
	loop->watchdog = fm_loop_add_time(loop, on_watchdog, loop);
	loop->status_timer = fm_loop_add_time(loop, on_status_timer, loop);
	if (!loop->pacing || !loop->stop_timer || !loop->watchdog ||
			!loop->status_timer || !fm_loop_swap_in(loop, cfg)) {
		fm_config_destroy(cfg);
		fm_loop_destroy(loop);
		return NULL;
	}
	return loop;
}

void fm_loop_destroy(struct fm_loop *loop)
{
	if (!loop) {
		return;
	}
	fm_status_pub_destroy(loop->pub);
	fm_actionset_clear(&loop->set);
	fm_pacing_destroy(loop->pacing);
	fm_source_free(loop->stop_timer);
	fm_source_free(loop->watchdog);
	fm_source_free(loop->status_timer);
	// Whatever an owner left behind.
	while (loop->timers) {
		fm_source_free(loop->timers);
	}
	while (loop->children) {
		fm_source_free(loop->children);
	}
	for (size_t i = 0; i < loop->nio; i++) {
		free(loop->io[i]);
	}
	free(loop->io);
	fm_config_destroy(loop->cfg);
	free(loop);
}

static int poll_timeout(const struct fm_loop *loop, uint64_t now)
{
	uint64_t next;

	if (!loop->timers) {
		return -1;
	}
	next = loop->timers->deadline;
	return next <= now ? 0 : (int)(next - now > 3600000 ? 3600000 : next - now);
}

// Fires the timers due by now, soonest first; each is disarmed before its
// callback, which may arm it again.
static void fire_timers(struct fm_loop *loop, uint64_t now)
{
	struct fm_source *src;

	while ((src = loop->timers) && src->deadline <= now) {
		fm_source_set_time(src, 0);
		src->cb.time(src->owner);
	}
}

// Calls the owner of each descriptor that poll(2) found ready, unless an
// earlier callback freed its source.
static void dispatch_io(struct fm_loop *loop, const struct pollfd *pfd,
	size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct fm_source *src = loop->io[i - 1];

		if (pfd[i].revents && !src->gone) {
			src->cb.io(src->owner, src->fd, pfd[i].revents);
		}
	}
}

// The poll(2) array: the signalfd, then every io source; NULL on no memory.
static struct pollfd *poll_array(struct fm_loop *loop, struct pollfd *pfd,
	size_t *cap)
{
	sweep_io(loop);
	if (loop->nio + 1 > *cap) {
		struct pollfd *grown = realloc(pfd, (loop->nio + 1) * sizeof(*pfd));
		if (!grown) {
			free(pfd);
			return NULL;
		}
		pfd = grown;
		*cap = loop->nio + 1;
	}
	pfd[0] = (struct pollfd){ .fd = loop->sfd, .events = POLLIN };
	for (size_t i = 0; i < loop->nio; i++) {
		pfd[i + 1] = (struct pollfd){ .fd = loop->io[i]->fd,
			.events = loop->io[i]->events };
	}
	return pfd;
}

int fm_loop_run(struct fm_loop *loop)
{
	struct pollfd *pfd = NULL;
	size_t cap = 0;

	loop->wd_ms = fm_notify_watchdog_ms();
	if (loop->wd_ms) {
		fm_source_set_time(loop->watchdog, fm_now_ms() + loop->wd_ms);
	}
	// Published before READY=1: once "systemctl start" returns, --status
	// finds the instance.
	fm_status_pub_changed(loop->pub);
	fm_notify("READY=1");
	fm_loop_send_status(loop);
	fm_log(FM_LOG_INFO, NULL, NULL, "ready: %zu action%s",
		open_count(loop, 0), open_count(loop, 0) == 1 ? "" : "s");
	// Signals that arrived during start-up are waiting in the signalfd.
	if (!read_signals(loop, true)) {
		goto broken;
	}
	settle(loop);
	while (!loop->quit) {
		size_t n;
		int r;

		if (!(pfd = poll_array(loop, pfd, &cap))) {
			fm_log(FM_LOG_ERROR, NULL, NULL, "out of memory");
			return 1;
		}
		n = loop->nio + 1;
		r = poll(pfd, n, poll_timeout(loop, fm_now_ms()));
		if (r < 0 && errno != EINTR) {
			fm_log(FM_LOG_ERROR, NULL, NULL, "poll: %s", strerror(errno));
			loop->status = 1;
			break;
		}
		if (r > 0 && pfd[0].revents && !read_signals(loop, false)) {
			goto broken;
		}
		if (r > 0) {
			dispatch_io(loop, pfd, n);
		}
		fire_timers(loop, fm_now_ms());
		settle(loop);
	}
	// The last state, even if it came within the interval.
	fm_notify_status_flush();
	free(pfd);
	return loop->status;
broken:
	fm_log(FM_LOG_ERROR, NULL, NULL, "reading signals: %s", strerror(errno));
	free(pfd);
	return 1;
}
