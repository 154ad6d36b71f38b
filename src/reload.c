/*
 * Reload: validate the new configuration completely, then swap it in.  An
 * unchanged action keeps its instance and state; removed and changed ones
 * are torn down, new ones set up; any failure keeps the old set running.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "loop.h"

static struct fm_action *take_match(struct fm_loop *loop,
	const struct fm_def *def)
{
	for (size_t i = 0; i < loop->nactions; i++) {
		struct fm_action *a = loop->actions[i];
		if (!a->reused && strcmp(a->name, def->name) == 0 &&
				strcmp(a->canon, def->canon) == 0) {
			a->reused = true;
			return a;
		}
	}
	return NULL;
}

static void reload_failed(struct fm_loop *loop, const char *why)
{
	fm_log(FM_LOG_ERROR, NULL, NULL, "reload failed: %s; keeping the "
		"running configuration", why);
	snprintf(loop->reload_error, sizeof(loop->reload_error), "reload failed "
		"(%s), running the old configuration", why);
}

/*
 * Builds the new action list.  An unchanged definition keeps its instance;
 * new and changed ones get new instances, set up before anything of the old
 * set is torn down, so a set-up failure leaves the running set untouched.
 */
bool fm_reload_swap_in(struct fm_loop *loop, struct fm_config *cfg)
{
	struct fm_action **list = calloc(cfg->ndefs + 1, sizeof(*list));
	size_t n = 0, i;

	if (!list) {
		return false;
	}
	for (i = 0; i < cfg->ndefs; i++) {
		struct fm_def *d = &cfg->defs[i];
		if (!d->type || !d->enabled) {
			continue;
		}
		if (!fm_def_canon(d)) {
			goto fail;
		}
		if (!(list[n] = take_match(loop, d))) {
			if (!(list[n] = fm_action_create(loop, d))) {
				goto fail;
			}
		}
		n++;
	}
	for (i = 0; i < n; i++) {
		struct fm_action *a = list[i];
		if (a->reused) {
			continue;
		}
		if (a->type->set_up && a->type->set_up(a, a->state) < 0) {
			fm_log(FM_LOG_ERROR, a->name, NULL, "set-up failed");
			goto fail;
		}
		a->is_set_up = true;
	}
	for (i = 0; i < loop->nactions; i++) {
		struct fm_action *a = loop->actions[i];
		if (!a->reused) {
			if (!a->dead) {
				fm_action_tear_down(a);
			}
			fm_action_destroy(a);
		}
	}
	for (i = 0; i < n; i++) {
		list[i]->reused = false;
	}
	free(loop->actions);
	loop->actions = list;
	loop->nactions = n;
	return true;
fail:
	for (i = 0; i < n; i++) {
		if (!list[i]->reused) {
			fm_action_tear_down(list[i]);
			fm_action_destroy(list[i]);
		}
	}
	for (i = 0; i < loop->nactions; i++) {
		loop->actions[i]->reused = false;
	}
	free(list);
	return false;
}

void fm_reload(struct fm_loop *loop)
{
	struct fm_diag diag = { 0 };
	struct fm_config *cfg = NULL;
	char why[64];

	fm_notify("RELOADING=1\nMONOTONIC_USEC=%llu",
		(unsigned long long)fm_now_ms() * 1000);
	fm_log(FM_LOG_INFO, NULL, NULL, "reloading the configuration");
	if (!loop->reload) {
		reload_failed(loop, "cannot reload");
		goto out;
	}
	cfg = loop->reload(loop->reload_ctx, &diag);
	// At error level, as "FILE:LINE: MESSAGE": the level says it.
	fm_diag_log(&diag);
	if (!cfg) {
		snprintf(why, sizeof(why), "%u error%s", diag.errors,
			diag.errors == 1 ? "" : "s");
		reload_failed(loop, why);
	} else if (!fm_reload_swap_in(loop, cfg)) {
		reload_failed(loop, "an action's set-up failed");
		fm_config_destroy(cfg);
	} else {
		fm_config_destroy(loop->cfg);
		loop->cfg = cfg;
		fm_log_set_level(cfg->log_level);
		loop->reload_error[0] = '\0';
		snprintf(loop->last, sizeof(loop->last), "reloaded");
		fm_log(FM_LOG_INFO, NULL, NULL, "configuration reloaded");
	}
out:
	fm_notify("READY=1");
	fm_loop_send_status(loop);
}

