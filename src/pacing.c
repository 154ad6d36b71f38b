/*
 * Triggers that wait for their time: a paced signal's arrivals merge into
 * its one waiting trigger, which becomes due once the signal has been quiet
 * for debounce and min_interval has passed since its last chain started
 * (start to start); then it goes back to the loop's queue through
 * fm_loop_release().  One timer, armed for the soonest due time only while
 * something waits: with nothing waiting, nothing is armed.
 */
#include <stdio.h>
#include <stdlib.h>

#include "loop.h"
#include "pacing.h"
#include "schema.h"

#define NSIGS 65 /* signal numbers 1..64 */

/*
 * Now, rounded up to the next millisecond: times that a wait counts from
 * are kept so, and fm_now_ms() rounds down, so a chain is never early.
 */
static uint64_t now_up(void)
{
	return fm_now_ms() + 1;
}

struct waiting {
	bool waiting;
	struct fm_arrival arr;
	uint64_t last_arrival;
};

struct fm_pacing {
	struct fm_loop *loop;
	const struct fm_config *cfg;
	struct fm_source *timer;
	struct waiting w[NSIGS];
	uint64_t last_start[NSIGS]; /* 0: no chain yet */
};

// When signo's waiting trigger is due, by the settings of now (never 0,
// which would disarm the timer).
static uint64_t due(const struct fm_pacing *pacing, int signo)
{
	const struct fm_pace *p = fm_pace_of(pacing->cfg, signo);
	uint64_t at = 1, start = pacing->last_start[signo];

	if (p->debounce_ms) {
		at = pacing->w[signo].last_arrival + p->debounce_ms;
	}
	if (start && start + p->min_interval_ms > at) {
		at = start + p->min_interval_ms;
	}
	return at;
}

// Arms the timer for the soonest waiting trigger, or disarms it.
static void rearm(struct fm_pacing *pacing)
{
	uint64_t soonest = 0;

	for (int s = 1; s < NSIGS; s++) {
		if (pacing->w[s].waiting) {
			uint64_t t = due(pacing, s);
			soonest = !soonest || t < soonest ? t : soonest;
		}
	}
	fm_source_set_time(pacing->timer, soonest);
}

// What a trigger of p's signal waits for: "quiet for 2s and 1m since its
// last start", "1m since its last start"...
static const char *reason(const struct fm_pace *p, char *buf, size_t size)
{
	char a[FM_DURATION_TEXT], b[FM_DURATION_TEXT];

	if (!p->debounce_ms && !p->min_interval_ms) {
		return "no longer paced";
	}
	snprintf(buf, size, "%s%s%s%s%s", p->debounce_ms ? "quiet for " : "",
		p->debounce_ms ? fm_duration_text(p->debounce_ms, a) : "",
		p->debounce_ms && p->min_interval_ms ? " and " : "",
		p->min_interval_ms ? fm_duration_text(p->min_interval_ms, b) : "",
		p->min_interval_ms ? " since its last start" : "");
	return buf;
}

// The waiting trigger is due: to the loop's queue, with a log line that
// says what it waited for ("USR1: quiet for 2s, the chain is due").
static void release(struct fm_pacing *pacing, int signo)
{
	struct waiting *w = &pacing->w[signo];
	char buf[FM_SIGNAME_MAX], why[2 * FM_DURATION_TEXT + 40];
	const char *name = fm_signal_name(signo, buf);

	w->waiting = false;
	fm_log(FM_LOG_INFO, NULL, name, "%s: %s, the chain is due (%u "
		"arrival%s)", name, reason(fm_pace_of(pacing->cfg, signo), why,
		sizeof(why)), w->arr.merged, w->arr.merged == 1 ? "" : "s");
	fm_loop_release(pacing->loop, signo, &w->arr);
}

static void on_timer(void *owner)
{
	struct fm_pacing *pacing = owner;
	uint64_t now = fm_now_ms();
	int next;

	// Soonest first, so that the queue gets them in the order they were due.
	do {
		uint64_t soonest = 0;

		next = 0;
		for (int s = 1; s < NSIGS; s++) {
			uint64_t t = pacing->w[s].waiting ? due(pacing, s) : 0;
			if (t && t <= now && (!next || t < soonest)) {
				next = s;
				soonest = t;
			}
		}
		if (next) {
			release(pacing, next);
		}
	} while (next);
	rearm(pacing);
}

void fm_arrival_merge(struct fm_arrival *into, const struct fm_arrival *in)
{
	unsigned merged = into->merged + in->merged;

	*into = *in;
	into->merged = merged;
}

struct fm_pacing *fm_pacing_create(struct fm_loop *loop)
{
	struct fm_pacing *pacing = calloc(1, sizeof(*pacing));

	if (!pacing) {
		return NULL;
	}
	pacing->loop = loop;
	if (!(pacing->timer = fm_loop_add_time(loop, on_timer, pacing))) {
		free(pacing);
		return NULL;
	}
	return pacing;
}

void fm_pacing_destroy(struct fm_pacing *pacing)
{
	if (pacing) {
		fm_source_free(pacing->timer);
		free(pacing);
	}
}

void fm_pacing_configure(struct fm_pacing *pacing,
	const struct fm_config *cfg)
{
	pacing->cfg = cfg;
	// What waits is judged by the new settings: perhaps due now.
	rearm(pacing);
}

bool fm_pacing_take(struct fm_pacing *pacing, int signo,
	const struct fm_arrival *arr)
{
	const struct fm_pace *p = fm_pace_of(pacing->cfg, signo);
	struct waiting *w = &pacing->w[signo];
	uint64_t now = fm_now_ms(), at;
	char buf[FM_SIGNAME_MAX];
	const char *name;

	if (!w->waiting && !p->debounce_ms && !p->min_interval_ms) {
		return false;
	}
	if (w->waiting) {
		fm_arrival_merge(&w->arr, arr);
	} else {
		w->arr = *arr;
	}
	w->last_arrival = now_up();
	at = due(pacing, signo);
	if (!w->waiting && at <= now) {
		// min_interval alone, long past: no reason to wait.
		fm_loop_release(pacing->loop, signo, arr);
		return true;
	}
	if (!w->waiting) {
		name = fm_signal_name(signo, buf);
		fm_log(FM_LOG_DEBUG, NULL, name, "%s: deferred, due in %llu ms",
			name, (unsigned long long)(at - now));
	}
	w->waiting = true;
	rearm(pacing);
	return true;
}

void fm_pacing_started(struct fm_pacing *pacing, int signo)
{
	pacing->last_start[signo] = now_up();
}

void fm_pacing_discard(struct fm_pacing *pacing)
{
	char buf[FM_SIGNAME_MAX];

	for (int s = 1; s < NSIGS; s++) {
		struct waiting *w = &pacing->w[s];
		const char *name = fm_signal_name(s, buf);

		if (w->waiting) {
			w->waiting = false;
			fm_log(FM_LOG_INFO, NULL, name, "%s: "
				"stopping; the waiting trigger (%u arrival%s) is dropped",
				name, w->arr.merged, w->arr.merged == 1 ? "" : "s");
		}
	}
	fm_source_set_time(pacing->timer, 0);
}
