/*
 * The event loop: one signalfd and the actions' descriptors in poll(2), with
 * the nearest deadline as timeout.  One signal's chain runs at a time; other
 * arrivals wait in a FIFO with at most one entry per signal.  Nothing here
 * blocks: an action that takes time finishes later through fm_action_done().
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop.h"

/* ---- status ---- */

size_t fm_loop_open_count(const struct fm_loop *loop, int signo)
{
	size_t n = 0;

	for (size_t i = 0; i < loop->nactions; i++) {
		const struct fm_action *a = loop->actions[i];
		if (fm_action_open(a) && (!signo || (a->signals & FM_SIGBIT(signo)))) {
			n++;
		}
	}
	return n;
}

void fm_loop_send_status(struct fm_loop *loop)
{
	char text[400], buf[FM_SIGNAME_MAX];
	size_t used;

	if (!fm_notify_enabled()) {
		return;
	}
	used = (size_t)snprintf(text, sizeof(text), "%zu action%s",
		fm_loop_open_count(loop, 0), fm_loop_open_count(loop, 0) == 1 ? "" : "s");
	for (int s = 1, first = 1; s < NSIGS && used < sizeof(text); s++) {
		size_t n = fm_signal_is_trigger(s) ? fm_loop_open_count(loop, s) : 0;
		if (n) {
			used += (size_t)snprintf(text + used, sizeof(text) - used,
				"%s%s: %zu", first ? " (" : ", ", fm_signal_name(s, buf), n);
			first = 0;
		}
		if (s == NSIGS - 1 && !first && used < sizeof(text)) {
			used += (size_t)snprintf(text + used, sizeof(text) - used, ")");
		}
	}
	fm_notify("STATUS=%.*s; %s%s%s", (int)used, text,
		loop->last[0] ? loop->last : "waiting for signals",
		loop->reload_error[0] ? "; " : "", loop->reload_error);
}

/* ---- chains ---- */

static void end_chain(struct fm_loop *loop, const char *outcome)
{
	snprintf(loop->last, sizeof(loop->last), "last: %s %s", loop->signame,
		outcome);
	fm_log(FM_LOG_DEBUG, NULL, loop->signame, "chain for %s ended: %s",
		loop->signame, outcome);
	loop->chain = 0;
	fm_loop_send_status(loop);
}

static void start_chain(struct fm_loop *loop, int signo,
	const struct arrival *arr)
{
	const char *name = fm_signal_name(signo, loop->signame);

	if (name != loop->signame) {
		snprintf(loop->signame, sizeof(loop->signame), "%s", name);
	}
	loop->run = (struct fm_run){
		.signo = signo, .signame = loop->signame, .sender_pid = arr->pid,
		.sender_uid = arr->uid, .merged = arr->merged,
		.has_value = arr->has_value, .value = arr->value,
	};
	loop->chain = signo;
	loop->pos = 0;
	loop->chain_failed = false;
	fm_log(FM_LOG_DEBUG, NULL, loop->signame, "running the chain for %s "
		"(%u arrival%s)", loop->signame, arr->merged,
		arr->merged == 1 ? "" : "s");
}

// Starts the chain's next action, or ends the chain.
static void step(struct fm_loop *loop)
{
	while (loop->pos < loop->nactions && !loop->stopping) {
		struct fm_action *a = loop->actions[loop->pos++];
		int r;

		if (!fm_action_open(a) || !(a->signals & FM_SIGBIT(loop->chain))) {
			continue;
		}
		a->running = true;
		a->finished = false;
		a->signame = loop->signame;
		loop->current = a;
		r = a->type->run(a, a->state, &loop->run);
		if (r != FM_RUN_PENDING) {
			a->finished = true;
			a->result = r;
		}
		return;
	}
	end_chain(loop, loop->stopping ? "interrupted" :
		(loop->chain_failed ? "failed" : "ok"));
}

// The current action's run is over: record it, close it if it asked to.
static void complete(struct fm_loop *loop)
{
	struct fm_action *a = loop->current;

	loop->current = NULL;
	a->running = false;
	if (a->result != FM_RESULT_OK) {
		loop->chain_failed = true;
		fm_log(FM_LOG_INFO, a->name, a->signame, "run failed");
	}
	if (a->closing) {
		fm_action_retire(a);
	}
	if (a->result == FM_RESULT_FAILED_STOP && loop->chain) {
		fm_log(FM_LOG_INFO, a->name, a->signame,
			"skipping the rest of the chain (on_failure = stop)");
		end_chain(loop, "stopped after a failure");
	}
}

static void retire_closed(struct fm_loop *loop)
{
	for (size_t i = 0; i < loop->nactions; i++) {
		struct fm_action *a = loop->actions[i];
		if (a->closing && !a->running) {
			fm_action_retire(a);
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

static void tear_down_all(struct fm_loop *loop)
{
	for (size_t i = 0; i < loop->nactions; i++) {
		if (!loop->actions[i]->dead) {
			fm_action_tear_down(loop->actions[i]);
		}
	}
}

// Moves the state machine forward as far as it goes without waiting.
static void settle(struct fm_loop *loop)
{
	while (!loop->quit) {
		if (loop->current) {
			if (!loop->current->finished) {
				break;
			}
			complete(loop);
			continue;
		}
		retire_closed(loop);
		if (loop->chain) {
			step(loop);
			continue;
		}
		if (loop->stopping) {
			tear_down_all(loop);
			loop->quit = true;
			loop->status = 0;
			break;
		}
		if (fm_loop_open_count(loop, 0) == 0) {
			fm_log(FM_LOG_WARNING, NULL, NULL, "every action has closed; "
				"exiting");
			fm_notify("STOPPING=1");
			tear_down_all(loop);
			loop->quit = true;
			loop->status = loop->cfg->successful_empty ? 0 : 1;
			break;
		}
		if (loop->len == 0) {
			break;
		}
		int signo = pop(loop);
		struct arrival arr = loop->sig[signo];
		loop->sig[signo].pending = false;
		if (fm_loop_open_count(loop, signo)) {
			start_chain(loop, signo, &arr);
		} else if (signo == loop->cfg->reload_signal) {
			fm_reload(loop);
		}
	}
}

/* ---- arrivals ---- */

static void begin_shutdown(struct fm_loop *loop, int signo)
{
	char buf[FM_SIGNAME_MAX];
	struct fm_action *a = loop->current;

	if (loop->stopping) {
		// A second request: do not wait for the grace period.
		loop->stop_deadline = fm_now_ms();
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
	if (a && !a->finished) {
		loop->stop_deadline = fm_now_ms() + loop->cfg->stop_timeout_ms;
		if (a->type->stop) {
			a->type->stop(a, a->state, false);
		}
	}
}

static void reap_children(struct fm_loop *loop)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (size_t i = 0; i < loop->nactions; i++) {
			struct fm_action *a = loop->actions[i];
			if (a->child == pid) {
				a->child = 0;
				if (a->type->on_child) {
					a->type->on_child(a, a->state, pid, st);
				}
				break;
			}
		}
	}
}

static void on_trigger(struct fm_loop *loop, const struct signalfd_siginfo *si)
{
	int signo = (int)si->ssi_signo;
	struct arrival *arr = &loop->sig[signo];
	char buf[FM_SIGNAME_MAX];

	if (loop->stopping) {
		return;
	}
	if (!fm_loop_open_count(loop, signo) && signo != loop->cfg->reload_signal) {
		fm_log(FM_LOG_INFO, NULL, NULL, "no actions for SIG%s; ignored",
			fm_signal_name(signo, buf));
		return;
	}
	if (!arr->pending && loop->chain == signo &&
			loop->cfg->overlap == FM_OVERLAP_DROP) {
		fm_log(FM_LOG_DEBUG, NULL, NULL, "SIG%s arrived during its own "
			"chain; dropped (overlap = drop)", fm_signal_name(signo, buf));
		return;
	}
	if (arr->pending) {
		arr->merged++;
	} else {
		*arr = (struct arrival){ .pending = true, .merged = 1 };
		push(loop, signo);
	}
	arr->pid = (pid_t)si->ssi_pid;
	arr->uid = (uid_t)si->ssi_uid;
	arr->has_value = si->ssi_code == SI_QUEUE;
	arr->value = si->ssi_int;
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
	loop->cfg = fm_config_create();
	loop->sfd = signal_fd;
	loop->reload = reload;
	loop->reload_ctx = ctx;
	if (!loop->cfg || !fm_reload_swap_in(loop, cfg)) {
		fm_config_destroy(cfg);
		fm_loop_destroy(loop);
		return NULL;
	}
	fm_config_destroy(loop->cfg);
	loop->cfg = cfg;
	return loop;
}

void fm_loop_destroy(struct fm_loop *loop)
{
	if (!loop) {
		return;
	}
	for (size_t i = 0; i < loop->nactions; i++) {
		if (!loop->actions[i]->dead) {
			fm_action_tear_down(loop->actions[i]);
		}
		fm_action_destroy(loop->actions[i]);
	}
	free(loop->actions);
	free(loop->watches);
	fm_config_destroy(loop->cfg);
	free(loop);
}

static int poll_timeout(struct fm_loop *loop, uint64_t now)
{
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < loop->nactions; i++) {
		uint64_t d = loop->actions[i]->deadline;
		if (d && d < next) {
			next = d;
		}
	}
	if (loop->stop_deadline && loop->stop_deadline < next) {
		next = loop->stop_deadline;
	}
	if (loop->wd_ms && loop->wd_next < next) {
		next = loop->wd_next;
	}
	if (next == UINT64_MAX) {
		return -1;
	}
	return next <= now ? 0 : (int)(next - now > 3600000 ? 3600000 : next - now);
}

static void fire_timers(struct fm_loop *loop, uint64_t now)
{
	for (size_t i = 0; i < loop->nactions; i++) {
		struct fm_action *a = loop->actions[i];
		if (a->deadline && a->deadline <= now) {
			a->deadline = 0;
			if (a->type->on_timer) {
				a->type->on_timer(a, a->state);
			}
		}
	}
	if (loop->stop_deadline && loop->stop_deadline <= now) {
		struct fm_action *a = loop->current;
		loop->stop_deadline = 0;
		if (a && !a->finished) {
			fm_log(FM_LOG_WARNING, a->name, a->signame, "still running "
				"after stop_timeout; forcing it to end");
			if (a->type->stop) {
				a->type->stop(a, a->state, true);
			}
			a->finished = true; // whatever it did, the daemon stops now
		}
	}
	if (loop->wd_ms && loop->wd_next <= now) {
		fm_notify("WATCHDOG=1");
		loop->wd_next = now + loop->wd_ms;
	}
}

static void dispatch_fds(struct fm_loop *loop, struct pollfd *pfd, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		if (!pfd[i].revents) {
			continue;
		}
		// A callback may have changed the watches: look the fd up again.
		for (size_t w = 0; w < loop->nwatches; w++) {
			struct watch *wt = &loop->watches[w];
			if (wt->fd == pfd[i].fd) {
				struct fm_action *a = wt->action;
				if (a->type->on_fd) {
					a->type->on_fd(a, a->state, pfd[i].fd, pfd[i].revents);
				}
				break;
			}
		}
	}
}

int fm_loop_run(struct fm_loop *loop)
{
	struct pollfd *pfd = NULL;
	size_t cap = 0;

	loop->wd_ms = fm_notify_watchdog_ms();
	loop->wd_next = fm_now_ms() + loop->wd_ms;
	fm_notify("READY=1");
	fm_loop_send_status(loop);
	fm_log(FM_LOG_INFO, NULL, NULL, "ready: %zu action%s",
		fm_loop_open_count(loop, 0), fm_loop_open_count(loop, 0) == 1 ? "" : "s");
	// Signals that arrived during start-up are waiting in the signalfd.
	if (!read_signals(loop, true)) {
		goto broken;
	}
	settle(loop);
	while (!loop->quit) {
		size_t n = loop->nwatches + 1;
		int r;

		if (n > cap) {
			struct pollfd *grown = realloc(pfd, n * sizeof(*pfd));
			if (!grown) {
				fm_log(FM_LOG_ERROR, NULL, NULL, "out of memory");
				loop->status = 1;
				break;
			}
			pfd = grown;
			cap = n;
		}
		pfd[0] = (struct pollfd){ .fd = loop->sfd, .events = POLLIN };
		for (size_t i = 0; i < loop->nwatches; i++) {
			pfd[i + 1] = (struct pollfd){ .fd = loop->watches[i].fd,
				.events = loop->watches[i].events };
		}
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
			dispatch_fds(loop, pfd, n);
		}
		fire_timers(loop, fm_now_ms());
		settle(loop);
	}
	free(pfd);
	return loop->status;
broken:
	fm_log(FM_LOG_ERROR, NULL, NULL, "reading signals: %s", strerror(errno));
	free(pfd);
	return 1;
}
