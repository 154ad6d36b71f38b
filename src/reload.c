/*
 * Reload: read and validate the new configuration completely, then have
 * the loop swap it in (actionset.c); any failure keeps the old set running.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "loop.h"

static void reload_failed(struct fm_loop *loop, const char *why)
{
	char error[160];

	fm_log(FM_LOG_ERROR, NULL, NULL, "reload failed: %s; keeping the "
		"running configuration", why);
	snprintf(error, sizeof(error), "reload failed (%s), running the old "
		"configuration", why);
	fm_loop_note_reload(loop, error);
}

void fm_reload(struct fm_loop *loop, fm_reload_fn reload, void *ctx)
{
	struct fm_diag diag = { 0 };
	struct fm_config *cfg = NULL;
	char why[64];

	fm_notify("RELOADING=1\nMONOTONIC_USEC=%llu",
		(unsigned long long)fm_now_ms() * 1000);
	// The reload's outcome is reported even when the text stays the same.
	fm_notify_status_forget();
	fm_log(FM_LOG_INFO, NULL, NULL, "reloading the configuration");
	if (!reload) {
		reload_failed(loop, "cannot reload");
		goto out;
	}
	cfg = reload(ctx, &diag);
	// At error level, as "FILE:LINE: MESSAGE": the level says it.
	fm_diag_log(&diag);
	if (!cfg) {
		snprintf(why, sizeof(why), "%u error%s", diag.errors,
			diag.errors == 1 ? "" : "s");
		reload_failed(loop, why);
	} else if (!fm_loop_swap_in(loop, cfg)) {
		reload_failed(loop, "an action's set-up failed");
		fm_config_destroy(cfg);
	} else {
		fm_log_set_level(cfg->log_level); // cfg is the loop's now
		fm_loop_note_reload(loop, NULL);
		fm_log(FM_LOG_INFO, NULL, NULL, "configuration reloaded");
	}
out:
	fm_notify("READY=1");
	fm_loop_send_status(loop);
}

