/*
 * flagman: perform configured actions when signals arrive.
 * argv -> configuration -> event loop -> exit status.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli.h"
#include "conffile.h"
#include "config.h"
#include "daemon.h"
#include "diag.h"
#include "log.h"
#include "memory.h"
#include "notify.h"
#include "registry.h"
#include "signals.h"
#include "status.h"

enum { EXIT_USAGE = 2 };

struct context {
	const struct fm_cli *cli;
	struct fm_registry *reg;
};

// Plug-ins come from [flagman] plugin_dir as written, before the action
// sections that use their types are resolved.
static void load_plugins(struct fm_config *cfg, struct fm_registry *reg,
	struct fm_diag *diag)
{
	const struct fm_setting *s = fm_config_get(cfg, NULL, "plugin_dir");
	const char *dir = s ? s->value : FM_PLUGIN_DIR;

	if (dir[0] != '/') {
		return; // fm_config_resolve reports the bad path
	}
	fm_registry_load_plugins(reg, dir, diag);
}

// Reads the files and the command line into a finished configuration.
static struct fm_config *load(void *data, struct fm_diag *diag)
{
	const struct context *ctx = data;
	struct fm_config *cfg = fm_config_create();

	if (!cfg) {
		fm_diag_oom(diag);
		return NULL;
	}
	if (ctx->cli->config_path) {
		fm_config_read(cfg, ctx->cli->config_path,
			ctx->cli->config_explicit, diag);
	}
	load_plugins(cfg, ctx->reg, diag);
	fm_cli_apply(ctx->cli, cfg, ctx->reg, diag);
	// Even after errors: resolving finds the sections' problems too.
	// --check and --dump leave a missing state directory uncreated.
	if (!fm_config_resolve(cfg, ctx->reg, diag) ||
			!fm_memory_open_dir(cfg, ctx->cli->mode != FM_MODE_CHECK &&
			ctx->cli->mode != FM_MODE_DUMP, diag)) {
		fm_config_destroy(cfg);
		return NULL;
	}
	return cfg;
}

// Colour on a terminal, unless NO_COLOR is set (no-color.org) or the
// terminal is dumb.
static bool use_colour(void)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	return isatty(STDOUT_FILENO) && !(no && no[0]) &&
		!(term && strcmp(term, "dumb") == 0);
}

// --list shows plug-in types too, so it reads the files for plugin_dir;
// other configuration problems are --check's business.
static void list_types(struct context *ctx)
{
	struct fm_diag quiet = { 0 };
	struct fm_diag diag = { .out = stderr };
	struct fm_config *cfg = fm_config_create();

	if (cfg && ctx->cli->config_path) {
		fm_config_read(cfg, ctx->cli->config_path, false, &quiet);
	}
	fm_diag_finish(&quiet);
	if (cfg) {
		load_plugins(cfg, ctx->reg, &diag);
	}
	fm_diag_print(&diag);
	fm_registry_list(ctx->reg, stdout, use_colour());
	fm_config_destroy(cfg);
}

static int serve(struct fm_config *cfg, struct context *ctx, const sigset_t *set)
{
	struct fm_loop *loop;
	int sfd, status;

	sfd = signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		fm_log(FM_LOG_ERROR, NULL, NULL, "cannot create the signalfd: %s",
			strerror(errno));
		fm_config_destroy(cfg);
		return EXIT_FAILURE;
	}
	// Orphaned grandchildren of exec actions come to us to be reaped.
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (!(loop = fm_loop_create(cfg, sfd, load, ctx))) {
		close(sfd);
		return EXIT_USAGE;
	}
	fm_loop_publish(loop, ctx->cli->config_path);
	status = fm_loop_run(loop);
	fm_loop_destroy(loop);
	fm_end_orphans();
	close(sfd);
	return status;
}

int main(int argc, char **argv)
{
	struct fm_diag diag = { .out = stderr };
	struct context ctx = { 0 };
	struct fm_config *cfg;
	struct fm_cli cli;
	sigset_t set;
	int status = EXIT_USAGE;

	// Before anything else: a signal during start-up waits in the signalfd.
	fm_signal_handled_set(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	// An ignored SIGCHLD inherited from the parent would make the kernel
	// reap our children itself, and their exit statuses would be lost.
	signal(SIGCHLD, SIG_DFL);
	fm_std_fds_open();

	if (!fm_cli_parse(&cli, argc, argv, &diag)) {
		fm_diag_print(&diag);
		fm_cli_try_help(stderr);
		return EXIT_USAGE;
	}
	ctx.cli = &cli;
	if (cli.mode == FM_MODE_HELP) {
		fm_cli_usage(stdout);
		status = EXIT_SUCCESS;
		goto out;
	}
	if (cli.mode == FM_MODE_VERSION) {
		printf(FM_PROGRAM " " FM_VERSION "\n");
		status = EXIT_SUCCESS;
		goto out;
	}
	if (cli.mode == FM_MODE_STATUS) {
		status = fm_status_show(cli.config_path, cli.json, stdout, stderr);
		goto out;
	}
	fm_log_init(fm_cli_log_level(&cli));
	fm_notify_init(!cli.no_systemd);
	if (!(ctx.reg = fm_registry_create())) {
		fm_log(FM_LOG_ERROR, NULL, NULL, "out of memory");
		status = EXIT_FAILURE;
		goto out;
	}
	if (cli.mode == FM_MODE_LIST) {
		list_types(&ctx);
		status = EXIT_SUCCESS;
		goto out;
	}
	cfg = load(&ctx, &diag);
	fm_diag_print(&diag);
	if (cli.mode == FM_MODE_CHECK || cli.mode == FM_MODE_DUMP) {
		status = cfg ? EXIT_SUCCESS : EXIT_USAGE;
		// A dump that would not read back the same is no dump.
		if (cfg && cli.mode == FM_MODE_DUMP && !fm_config_dump(cfg, stdout)) {
			status = EXIT_USAGE;
		}
		fm_config_destroy(cfg);
		goto out;
	}
	if (!cfg) {
		goto out;
	}
	fm_log_set_level(cfg->log_level);
	fm_log(FM_LOG_INFO, NULL, NULL, "PID: %ld", (long)getpid());
	status = serve(cfg, &ctx, &set);
out:
	fm_registry_destroy(ctx.reg);
	fm_cli_finish(&cli);
	return status;
}
