/*
 * The command line (flagman(8), OPTIONS) and the exit statuses that need no
 * signal (EXIT STATUS): the parser and its mapping onto the configuration as
 * units, then the real binary's stdout, stderr and status, compared exactly.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"
#include "conffile.h"
#include "config.h"
#include "diag.h"
#include "registry.h"
#include "signals.h"
#include "harness.h"

#define ARGS(...) ((const char *const[]){ "flagman", __VA_ARGS__, NULL })
#define TRY_HELP "Try 'flagman --help' for more information.\n"
#define NO_ACTIONS "flagman: error: no actions are configured (none is " \
	"enabled in the configuration or given on the command line)\n"

/* ---- fm_cli_parse ---- */

// Parses argv (NULL-ended); the error text lands in err.
static bool parse(struct fm_cli *cli, const char *const *argv, char *err,
	size_t size)
{
	struct fm_diag diag = { .out = fmemopen(err, size, "w") };
	int argc = 0;
	bool ok;

	assert_non_null(diag.out);
	while (argv[argc]) {
		argc++;
	}
	ok = fm_cli_parse(cli, argc, (char **)argv, &diag);
	fm_diag_print(&diag);
	if (!ok) {
		fm_cli_try_help(diag.out);
	}
	fclose(diag.out);
	return ok;
}

static void test_parse_actions(void **state)
{
	const char *const *argv = ARGS("--usr1", "print", "a b", "-q",
		"--on", "rtmin+2", "delay_print", "x", "-5", "--hup", "print", "-",
		"-v", "-vv", "--successful-empty", "--no-systemd", "--no-config",
		"--overlap=drop");
	struct fm_cli cli;
	char err[256] = "";

	(void)state;
	assert_true(parse(&cli, argv, err, sizeof(err)));
	assert_string_equal(err, "");
	assert_int_equal(cli.mode, FM_MODE_RUN);
	assert_int_equal(cli.nactions, 3);
	assert_int_equal(cli.actions[0].signo, SIGUSR1);
	assert_int_equal(cli.actions[0].first, 2);
	assert_int_equal(cli.actions[0].count, 2);
	// A negative number is an argument, not an option.
	assert_int_equal(cli.actions[1].signo, SIGRTMIN + 2);
	assert_int_equal(cli.actions[1].first, 7);
	assert_int_equal(cli.actions[1].count, 3);
	// So is a lone "-".
	assert_int_equal(cli.actions[2].signo, SIGHUP);
	assert_int_equal(cli.actions[2].count, 2);
	assert_true(cli.quiet);
	assert_int_equal(cli.verbose, 3);
	assert_true(cli.successful_empty);
	assert_true(cli.no_systemd);
	assert_null(cli.config_path);
	assert_int_equal(cli.overlap, FM_OVERLAP_DROP);
	fm_cli_finish(&cli);
}

static void test_parse_config_options(void **state)
{
	struct fm_cli cli;
	char err[256] = "";

	(void)state;
	assert_true(parse(&cli, ARGS("--usr1", "print", "x"), err, sizeof(err)));
	assert_string_equal(cli.config_path, FM_DEFAULT_CONFIG);
	assert_false(cli.config_explicit);
	assert_int_equal(cli.overlap, -1);
	fm_cli_finish(&cli);
	assert_true(parse(&cli, ARGS("-c", "/x.conf"), err, sizeof(err)));
	assert_string_equal(cli.config_path, "/x.conf");
	assert_true(cli.config_explicit);
	fm_cli_finish(&cli);
	assert_true(parse(&cli, ARGS("-c/y.conf"), err, sizeof(err)));
	assert_string_equal(cli.config_path, "/y.conf");
	fm_cli_finish(&cli);
	assert_true(parse(&cli, ARGS("--config=/z.conf", "--no-config"), err,
		sizeof(err)));
	assert_null(cli.config_path);
	assert_false(cli.config_explicit);
	fm_cli_finish(&cli);
	// The last of --no-config and -c wins.
	assert_true(parse(&cli, ARGS("--no-config", "--config", "/w.conf"), err,
		sizeof(err)));
	assert_string_equal(cli.config_path, "/w.conf");
	assert_false(cli.no_config);
	fm_cli_finish(&cli);
}

static void test_parse_modes(void **state)
{
	static const struct {
		const char *opt;
		enum fm_mode mode;
	} modes[] = {
		{ "-l", FM_MODE_LIST }, { "--list", FM_MODE_LIST },
		{ "-t", FM_MODE_CHECK }, { "--check", FM_MODE_CHECK },
		{ "-T", FM_MODE_DUMP }, { "--dump", FM_MODE_DUMP },
		{ "-V", FM_MODE_VERSION }, { "--version", FM_MODE_VERSION },
		{ "-h", FM_MODE_HELP }, { "--help", FM_MODE_HELP },
	};
	struct fm_cli cli;
	char err[256] = "";

	(void)state;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		assert_true(parse(&cli, ARGS(modes[i].opt), err, sizeof(err)));
		assert_int_equal(cli.mode, modes[i].mode);
		fm_cli_finish(&cli);
	}
	// Bundled short options.
	assert_true(parse(&cli, ARGS("-qvl"), err, sizeof(err)));
	assert_int_equal(cli.mode, FM_MODE_LIST);
	assert_true(cli.quiet);
	assert_int_equal(cli.verbose, 1);
	fm_cli_finish(&cli);
}

static void expect_usage_error(const char *const *argv, const char *message)
{
	struct fm_cli cli;
	char err[512] = "";

	assert_false(parse(&cli, argv, err, sizeof(err)));
	assert_string_equal(err, message);
	assert_null(cli.actions);
}

static void test_parse_errors(void **state)
{
	(void)state;
	expect_usage_error(ARGS("--bogus"), "flagman: error: unknown option "
		"'--bogus'\n" TRY_HELP);
	// Abbreviations are not accepted.
	expect_usage_error(ARGS("--hu", "print", "x"), "flagman: error: unknown "
		"option '--hu'\n" TRY_HELP);
	expect_usage_error(ARGS("-qx"), "flagman: error: unknown option '-x'\n"
		TRY_HELP);
	// What the user typed is escaped like any diagnostic.
	expect_usage_error(ARGS("--bo\ngus\033[2J"), "flagman: error: unknown "
		"option '--bo\\ngus\\x1b[2J'\n" TRY_HELP);
	expect_usage_error(ARGS("--usr1"), "flagman: error: --usr1 needs an "
		"action name (see flagman --list)\n" TRY_HELP);
	expect_usage_error(ARGS("--usr2", "-v", "print"), "flagman: error: "
		"--usr2 needs an action name (see flagman --list)\n" TRY_HELP);
	expect_usage_error(ARGS("--on"), "flagman: error: --on needs a signal "
		"name\n" TRY_HELP);
	expect_usage_error(ARGS("--on", "usr1"), "flagman: error: --on needs an "
		"action name (see flagman --list)\n" TRY_HELP);
	expect_usage_error(ARGS("--on", "TERM", "print", "x"), "flagman: error: "
		"--on: signal TERM cannot trigger actions (HUP, USR1, USR2, WINCH, "
		"RTMIN+n, RTMAX-n)\n" TRY_HELP);
	expect_usage_error(ARGS("--on", "sigchld", "print", "x"), "flagman: "
		"error: --on: signal CHLD cannot trigger actions (HUP, USR1, USR2, "
		"WINCH, RTMIN+n, RTMAX-n)\n" TRY_HELP);
	expect_usage_error(ARGS("--on", "usr3", "print", "x"), "flagman: error: "
		"--on: unknown signal 'usr3' (expected HUP, USR1, USR2, WINCH, "
		"RTMIN+n or RTMAX-n)\n" TRY_HELP);
	expect_usage_error(ARGS("print", "x"), "flagman: error: unexpected "
		"argument 'print' (actions follow --hup, --usr1, --usr2 or --on)\n"
		TRY_HELP);
	expect_usage_error(ARGS("--usr1=print"), "flagman: error: --usr1 takes "
		"no value\n" TRY_HELP);
	// An unknown option is unknown, with or without a value.
	expect_usage_error(ARGS("--x=1"), "flagman: error: unknown option "
		"'--x'\n" TRY_HELP);
	expect_usage_error(ARGS("--list=yes"), "flagman: error: --list takes "
		"no value\n" TRY_HELP);
	// --arg belongs to the action just before it.
	expect_usage_error(ARGS("--arg", "message=x"), "flagman: error: --arg "
		"must follow an action (--hup, --usr1, --usr2 or --on SIGNAL, then "
		"ACTION)\n" TRY_HELP);
	expect_usage_error(ARGS("--usr1", "print", "-q", "-a", "message=x"),
		"flagman: error: -a must follow an action (--hup, --usr1, --usr2 or "
		"--on SIGNAL, then ACTION)\n" TRY_HELP);
	expect_usage_error(ARGS("--usr1", "print", "--arg", "message"),
		"flagman: error: --arg: expected NAME=VALUE, got 'message'\n"
		TRY_HELP);
	expect_usage_error(ARGS("--usr1", "print", "--arg=", "x"),
		"flagman: error: --arg: expected NAME=VALUE, got ''\n" TRY_HELP);
	expect_usage_error(ARGS("--usr1", "print", "--arg"), "flagman: error: "
		"--arg needs a value\n" TRY_HELP);
	// "--" ends the options; what follows belongs to an action.
	expect_usage_error(ARGS("-v", "--", "x"), "flagman: error: unexpected "
		"argument 'x' after '--' (no action just before it)\n" TRY_HELP);
	expect_usage_error(ARGS("--usr1", "print", "-v", "--", "x"), "flagman: "
		"error: unexpected argument 'x' after '--' (no action just before it)\n"
		TRY_HELP);
	expect_usage_error(ARGS("--overlap", "sometimes"), "flagman: error: "
		"--overlap: invalid value 'sometimes' (expected queue or drop)\n"
		TRY_HELP);
	expect_usage_error(ARGS("--overlap"), "flagman: error: --overlap needs "
		"a value\n" TRY_HELP);
	expect_usage_error(ARGS("-c"), "flagman: error: -c needs a value\n"
		TRY_HELP);
	expect_usage_error(ARGS("--list", "-T"), "flagman: error: -T cannot be "
		"combined with another of --list, --check, --dump, --status\n"
		TRY_HELP);
}

/* ---- fm_cli_apply: the command line as configuration ---- */

// A type with optional arguments, for the argument count messages.
struct probe {
	char *name;
	uint64_t wait;
	bool loud;
};

static int probe_run(struct fm_action *action, void *state,
	const struct fm_run *run)
{
	(void)action;
	(void)state;
	(void)run;
	return FM_RESULT_OK;
}

static const struct fm_arg_spec probe_args[] = {
	{ "name", FM_ARG_STRING, .required = true,
		.offset = offsetof(struct probe, name) },
	{ "wait", FM_ARG_DURATION, .offset = offsetof(struct probe, wait) },
	{ "loud", FM_ARG_BOOL, .offset = offsetof(struct probe, loud) },
	{ 0 },
};

static const struct fm_action_type probe_type = {
	.abi = FM_ACTION_ABI, .name = "probe", .description = "For tests.",
	.args = probe_args, .state_size = sizeof(struct probe),
	.run = probe_run,
};

// Parses argv, applies and finishes it; the diagnostics land in out.
static struct fm_config *apply(const char *const *argv, char *out,
	size_t size)
{
	struct fm_registry *reg = fm_registry_create();
	struct fm_config *cfg = fm_config_create();
	struct fm_diag diag = { .out = fmemopen(out, size, "w") };
	struct fm_cli cli;
	char err[256] = "";
	bool ok;

	assert_non_null(reg);
	assert_non_null(cfg);
	assert_non_null(diag.out);
	assert_int_equal(fm_registry_add(reg, &probe_type, "test"), 0);
	assert_true(parse(&cli, argv, err, sizeof(err)));
	fm_cli_apply(&cli, cfg, reg, &diag);
	ok = fm_config_resolve(cfg, reg, &diag);
	fm_diag_print(&diag);
	fclose(diag.out);
	fm_cli_finish(&cli);
	fm_registry_destroy(reg);
	if (!ok) {
		fm_config_destroy(cfg);
		return NULL;
	}
	assert_string_equal(out, "");
	return cfg;
}

static void test_apply(void **state)
{
	struct fm_config *cfg;
	char out[512] = "";

	(void)state;
	cfg = apply(ARGS("--usr1", "print", "one", "--successful-empty", "-v",
		"--on", "RtMin+1", "delay_print", "two", "1m30s", "--overlap",
		"drop"), out, sizeof(out));
	assert_non_null(cfg);
	assert_true(cfg->successful_empty);
	assert_int_equal(cfg->overlap, FM_OVERLAP_DROP);
	assert_int_equal(cfg->log_level, FM_LOG_INFO);
	assert_int_equal(cfg->ndefs, 2);
	assert_string_equal(cfg->defs[0].name, "cli-1");
	assert_string_equal(cfg->defs[0].label, "--usr1 print");
	assert_ptr_equal(cfg->defs[0].type, &fm_action_print);
	assert_int_equal(cfg->defs[0].signals, FM_SIGBIT(SIGUSR1));
	assert_string_equal(cfg->defs[1].name, "cli-2");
	assert_string_equal(cfg->defs[1].label, "--on RtMin+1 delay_print");
	assert_int_equal(cfg->defs[1].signals, FM_SIGBIT(SIGRTMIN + 1));
	// The arguments, parsed where delay_print's table puts them.
	assert_string_equal(*(char **)((char *)cfg->defs[1].state +
		fm_action_delay_print.args[0].offset), "two");
	assert_int_equal(*(uint64_t *)((char *)cfg->defs[1].state +
		fm_action_delay_print.args[1].offset), 90000);
	fm_config_destroy(cfg);
}

static const char *arg_text(struct fm_def *def, const char *key)
{
	struct fm_setting *s = NULL;

	for (size_t i = 0; i < def->nsettings && !s; i++) {
		if (strcmp(def->settings[i].key, key) == 0) {
			s = &def->settings[i];
		}
	}
	return s ? s->value : NULL;
}

// Arguments by name, values that look like options, and "--".
static void test_apply_named(void **state)
{
	struct fm_config *cfg;
	char out[512] = "";

	(void)state;
	cfg = apply(ARGS("--usr1", "probe", "a", "--arg", "loud=yes",
		"-a", "wait=-1=s"), out, sizeof(out));
	assert_null(cfg); // "-1=s" is the value, and no duration
	assert_string_equal(out, "flagman: error: --usr1 probe: invalid "
		"duration '-1=s' for 'wait' (e.g. 30s, 5m, 1h30m)\n");
	out[0] = '\0';
	cfg = apply(ARGS("--usr1", "probe", "a", "--arg", "loud=yes",
		"--hup", "probe", "--arg=name=--c=d", "-q",
		"--on", "usr2", "probe", "-a", "loud=no", "--", "--on", ""), out,
		sizeof(out));
	assert_non_null(cfg);
	assert_int_equal(cfg->ndefs, 3);
	assert_string_equal(arg_text(&cfg->defs[0], "name"), "a");
	assert_string_equal(arg_text(&cfg->defs[0], "loud"), "yes");
	assert_null(arg_text(&cfg->defs[0], "wait"));
	assert_string_equal(arg_text(&cfg->defs[1], "name"), "--c=d");
	// After "--", every word is an argument, even "--on".
	assert_string_equal(cfg->defs[2].label, "--on usr2 probe");
	assert_string_equal(arg_text(&cfg->defs[2], "name"), "--on");
	assert_null(arg_text(&cfg->defs[2], "wait")); // '' skips it
	assert_string_equal(arg_text(&cfg->defs[2], "loud"), "no");
	fm_config_destroy(cfg);
}

static void test_apply_log_levels(void **state)
{
	static const struct {
		const char *a, *b;
		int level;
	} cases[] = {
		{ "--no-systemd", "--no-systemd", FM_LOG_WARNING },
		{ "-v", "--no-systemd", FM_LOG_INFO },
		{ "-v", "--verbose", FM_LOG_DEBUG },
		{ "-vv", "-q", FM_LOG_ERROR },
		{ "-q", "-v", FM_LOG_ERROR },
		{ "--quiet", "--no-systemd", FM_LOG_ERROR },
	};
	char out[512] = "";

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fm_config *cfg = apply(ARGS(cases[i].a, cases[i].b,
			"--usr1", "print", "x"), out, sizeof(out));
		assert_non_null(cfg);
		assert_int_equal(cfg->log_level, cases[i].level);
		fm_config_destroy(cfg);
	}
}

static void expect_apply_error(const char *const *argv, const char *message)
{
	char out[1024] = "";

	assert_null(apply(argv, out, sizeof(out)));
	assert_string_equal(out, message);
}

static void test_apply_errors(void **state)
{
	(void)state;
	expect_apply_error(ARGS("--usr1", "prnt", "x"), "flagman: error: --usr1 "
		"prnt: unknown action type 'prnt' (did you mean 'print'?)\n");
	expect_apply_error(ARGS("--usr2", "frobnicate"), "flagman: error: --usr2 "
		"frobnicate: unknown action type 'frobnicate' (see flagman --list)\n");
	expect_apply_error(ARGS("--usr1", "print"), "flagman: error: --usr1 "
		"print: expected 1 argument (message: string), got 0\n");
	expect_apply_error(ARGS("--usr1", "print", "a", "b"), "flagman: error: "
		"--usr1 print: expected 1 argument (message: string), got 2\n");
	expect_apply_error(ARGS("--hup", "delay_print", "a"), "flagman: error: "
		"--hup delay_print: expected 2 arguments (message: string, delay: "
		"duration), got 1\n");
	expect_apply_error(ARGS("--usr1", "delay_print", "x", "abc"), "flagman: "
		"error: --usr1 delay_print: invalid duration 'abc' for 'delay' (e.g. "
		"30s, 5m, 1h30m)\n");
	expect_apply_error(ARGS("--on", "winch", "delay_print", "x", "-5"),
		"flagman: error: --on winch delay_print: invalid duration '-5' for "
		"'delay' (e.g. 30s, 5m, 1h30m)\n");
	// Optional arguments are shown in brackets.
	expect_apply_error(ARGS("--usr1", "probe"), "flagman: error: --usr1 "
		"probe: expected at least 1 argument (name: string, [wait: "
		"duration], [loud: bool]), got 0\n");
	expect_apply_error(ARGS("--usr1", "probe", "a", "1s", "yes", "d"),
		"flagman: error: --usr1 probe: expected at most 3 arguments (name: "
		"string, [wait: duration], [loud: bool]), got 4\n");
	expect_apply_error(ARGS("--usr1", "probe", "a", "1s", "loud"),
		"flagman: error: --usr1 probe: invalid boolean 'loud' for 'loud' "
		"(yes/no, true/false, on/off, 1/0)\n");
	// Every problem in one pass, in command-line order.
	expect_apply_error(ARGS("--usr1", "prnt", "x", "--usr2", "print"),
		"flagman: error: --usr1 prnt: unknown action type 'prnt' (did you "
		"mean 'print'?)\nflagman: error: --usr2 print: expected 1 argument "
		"(message: string), got 0\n");
	expect_apply_error(ARGS("-v"), NO_ACTIONS);
	// By name: unknown names, twice the same, the required one missing.
	expect_apply_error(ARGS("--usr1", "probe", "a", "--arg", "lod=yes"),
		"flagman: error: --usr1 probe: unknown argument 'lod' (did you mean "
		"'loud'?)\n");
	expect_apply_error(ARGS("--usr1", "probe", "a", "--arg", "zzzzzz=1"),
		"flagman: error: --usr1 probe: unknown argument 'zzzzzz' (see "
		"flagman --list)\n");
	expect_apply_error(ARGS("--usr1", "probe", "a", "--arg", "name=b"),
		"flagman: error: --usr1 probe: argument 'name' is given twice\n");
	expect_apply_error(ARGS("--usr1", "probe", "--arg", "loud=yes"),
		"flagman: error: --usr1 probe: missing required key 'name'\n");
	// No longer than a configuration file's value, so --dump can write it.
	static char big[FM_MAX_VALUE + 2];
	memset(big, 'x', FM_MAX_VALUE + 1);
	expect_apply_error(ARGS("--usr1", "probe", big), "flagman: error: "
		"--usr1 probe: the value of 'name' is longer than 131072 "
		"characters\n");
	big[FM_MAX_VALUE] = '\0';
	expect_apply_error(ARGS("--usr1", "probe", big, "--arg", "loud=maybe"),
		"flagman: error: --usr1 probe: invalid boolean 'maybe' for 'loud' "
		"(yes/no, true/false, on/off, 1/0)\n");
}

/* ---- the binary: EXIT STATUS rows that need no signal ---- */

static void expect_run(const char *const *argv, int status, const char *out,
	const char *err)
{
	static char got_out[16384], got_err[4096];

	assert_int_equal(t_run(argv, got_out, sizeof(got_out), got_err,
		sizeof(got_err)), status);
	assert_string_equal(got_err, err);
	if (out) {
		assert_string_equal(got_out, out);
	}
}

static void test_exit_help_version(void **state)
{
	static char out[16384], err[4096];

	(void)state;
	expect_run(ARGS("--version"), 0, "flagman " FM_VERSION "\n", "");
	expect_run(ARGS("-V"), 0, "flagman " FM_VERSION "\n", "");
	for (int i = 0; i < 2; i++) {
		assert_int_equal(t_run(ARGS(i ? "-h" : "--help"), out, sizeof(out),
			err, sizeof(err)), 0);
		assert_string_equal(err, "");
		assert_memory_equal(out, "Usage: flagman [OPTION]...", 26);
		assert_non_null(strstr(out, "\n      --no-systemd "));
		assert_non_null(strstr(out, "\n  -l, --list "));
	}
	// Help wins over a bad action: nothing is validated.
	expect_run(ARGS("--usr1", "prnt", "--help"), 0, NULL, "");
}

// Finds the --list entry of name: its text up to the next entry.
static char *list_entry(const char *list, const char *name, char *buf,
	size_t size)
{
	char key[64];
	const char *p, *end;

	snprintf(key, sizeof(key), "\n%s ", name);
	if (!(p = strstr(list, key))) {
		fail_msg("--list has no entry '%s'", name);
	}
	p++;
	// Continuation lines start with a space; the next entry does not.
	for (end = strchr(p, '\n'); end && end[1] == ' '; end = strchr(end + 1,
			'\n')) {
	}
	assert_non_null(end);
	snprintf(buf, size, "%.*s", (int)(end + 1 - p), p);
	return buf;
}

/*
 * Checks the --list table's layout: the header, 80 dashes, then entries
 * sorted by name, every line within 80 columns and continuations indented
 * to the description.  Returns the width of the name column.
 */
static size_t check_list_layout(const char *out)
{
	const char *line, *next;
	char prev[64] = "", name[64];
	size_t w, n = 0;

	// The name column is as wide as the longest type name.
	assert_non_null(strstr(out, " - "));
	w = (size_t)(strstr(out, " - ") - out);
	assert_in_range(w, strlen("delay_print"), 40);
	assert_memory_equal(out, "name", 4);
	assert_int_equal(strspn(out + 4, " "), w - 3);
	assert_memory_equal(out + w, " - description [(argument: type, ...)]\n",
		39);
	line = strchr(out, '\n') + 1;
	assert_memory_equal(line, "------------------------------------------"
		"--------------------------------------\n", 81);
	for (line += 81; *line; line = next) {
		next = strchr(line, '\n');
		assert_non_null(next);
		next++;
		assert_in_range(next - line - 1, 1, 80);
		if (line[0] == ' ') {
			assert_int_equal(strspn(line, " "), w + 3);
			continue;
		}
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(line, " "), line);
		assert_memory_equal(line + w, " - ", 3);
		assert_true(strcmp(prev, name) < 0);
		snprintf(prev, sizeof(prev), "%s", name);
		n++;
	}
	assert_true(n >= 3);
	return w;
}

static void test_exit_list(void **state)
{
	static char out[16384], err[4096], entry[1024];

	(void)state;
	assert_int_equal(t_run(ARGS("--list"), out, sizeof(out), err,
		sizeof(err)), 0);
	assert_string_equal(err, "");
	// The built-in print types, as they are wrapped with a 11-wide column
	// (wider plug-in or later type names would shift them).
	if (check_list_layout(out) == strlen("delay_print")) {
		assert_string_equal(list_entry(out, "print", entry, sizeof(entry)),
			"print       - A simple action that prints messages at the "
			"various stages of\n"
			"              execution: 'init' at set-up, the message at each "
			"run, 'cleanup' at\n"
			"              tear-down. (message: string)\n");
		assert_string_equal(list_entry(out, "delay_print", entry,
			sizeof(entry)),
			"delay_print - Like print, but after printing the message waits "
			"for the delay\n"
			"              without blocking other signals, then prints "
			"'finished delaying'.\n"
			"              (message: string, delay: duration)\n");
		assert_string_equal(list_entry(out, "print_once", entry,
			sizeof(entry)),
			"print_once  - Like print, but closes itself after the first run. "
			"(message:\n"
			"              string)\n");
	} else {
		list_entry(out, "print", entry, sizeof(entry));
		assert_non_null(strstr(entry, "(message: string)"));
		list_entry(out, "delay_print", entry, sizeof(entry));
		assert_non_null(strstr(entry, "delay: duration)"));
		list_entry(out, "print_once", entry, sizeof(entry));
	}
	expect_run(ARGS("-l"), 0, out, "");
}

static void test_exit_usage_errors(void **state)
{
	(void)state;
	expect_run(ARGS("--bogus"), 2, "", "flagman: error: unknown option "
		"'--bogus'\n" TRY_HELP);
	expect_run(ARGS("--x=1"), 2, "", "flagman: error: unknown option "
		"'--x'\n" TRY_HELP);
	expect_run(ARGS("--check", "--no-config", "--usr1", "exec", "/bin/true",
		"--arg", "timout=1s"), 2, "", "flagman: error: --usr1 exec: unknown "
		"argument 'timout' (did you mean 'timeout'?)\n");
	// A message that starts with '-', after "--" or by name.
	expect_run(ARGS("--dump", "--no-config", "--usr1", "print", "-q"), 2,
		"", "flagman: error: --usr1 print: expected 1 argument (message: "
		"string), got 0\n");
	expect_run(ARGS("--check", "--no-config", "--usr1", "print", "--",
		"-q"), 0, "", "");
	expect_run(ARGS("--check", "--no-config", "--usr1", "print", "-a",
		"message=-q"), 0, "", "");
	expect_run(ARGS("--no-config", "--usr1"), 2, "", "flagman: error: "
		"--usr1 needs an action name (see flagman --list)\n" TRY_HELP);
	expect_run(ARGS("--no-config", "--usr1", "prnt", "x"), 2, "", "flagman: "
		"error: --usr1 prnt: unknown action type 'prnt' (did you mean "
		"'print'?)\n");
	expect_run(ARGS("--no-config", "--usr1", "print"), 2, "", "flagman: "
		"error: --usr1 print: expected 1 argument (message: string), got "
		"0\n");
	expect_run(ARGS("--no-config", "--usr2", "print_once", "a", "b"), 2, "",
		"flagman: error: --usr2 print_once: expected 1 argument (message: "
		"string), got 2\n");
	expect_run(ARGS("--no-config", "--usr1", "delay_print", "x", "abc"), 2,
		"", "flagman: error: --usr1 delay_print: invalid duration 'abc' for "
		"'delay' (e.g. 30s, 5m, 1h30m)\n");
	expect_run(ARGS("--no-config", "--on", "TERM", "print", "x"), 2, "",
		"flagman: error: --on: signal TERM cannot trigger actions (HUP, "
		"USR1, USR2, WINCH, RTMIN+n, RTMAX-n)\n" TRY_HELP);
	expect_run(ARGS("--no-config", "stray"), 2, "", "flagman: error: "
		"unexpected argument 'stray' (actions follow --hup, --usr1, --usr2 "
		"or --on)\n" TRY_HELP);
	// No actions at all.
	expect_run(ARGS("--no-config"), 2, "", NO_ACTIONS);
	expect_run(ARGS("--no-config", "-q", "--no-systemd"), 2, "", NO_ACTIONS);
}

/* ---- the binary: log levels ---- */

// Runs argv until TERM; returns what it wrote on stderr.
static const char *stderr_of(const char *const *argv, int sig)
{
	static char err[8192];
	struct t_proc p;
	size_t len = 0;
	char line[512];

	t_start(&p, argv, NULL, false);
	t_expect_out(&p, (const char *const[]){ "init", NULL });
	if (sig) {
		t_kill(&p, sig);
		t_expect_out(&p, (const char *const[]){ "x", NULL });
	}
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	err[0] = '\0';
	while (t_err_line(&p, line, sizeof(line), T_TIMEOUT)) {
		len += (size_t)snprintf(err + len, sizeof(err) - len, "%s\n", line);
		assert_true(len < sizeof(err));
	}
	t_finish(&p);
	return err;
}

static void test_log_levels(void **state)
{
	const char *err;

	(void)state;
	assert_string_equal(stderr_of(ARGS("--no-config", "--usr1", "print",
		"x"), SIGUSR1), "");
	assert_string_equal(stderr_of(ARGS("--no-config", "-q", "-v", "--usr1",
		"print", "x"), SIGUSR1), "");
	err = stderr_of(ARGS("--no-config", "-v", "--usr1", "print", "x"),
		SIGUSR1);
	// The PID comes first; nothing at debug.
	assert_memory_equal(err, "flagman: info: PID: ", 20);
	assert_non_null(strstr(err, "\nflagman: info: ready: 1 action\n"));
	assert_non_null(strstr(err, "\nflagman: info: received SIGTERM; "
		"stopping\n"));
	assert_null(strstr(err, "debug"));
	err = stderr_of(ARGS("--no-config", "-vv", "--usr1", "print", "x"),
		SIGUSR1);
	assert_non_null(strstr(err, "flagman: debug: running the chain for USR1 "
		"(1 arrival)\nflagman: debug: chain for USR1 ended: ok\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_actions),
		cmocka_unit_test(test_parse_config_options),
		cmocka_unit_test(test_parse_modes),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_apply_named),
		cmocka_unit_test(test_apply_log_levels),
		cmocka_unit_test(test_apply_errors),
		cmocka_unit_test(test_exit_help_version),
		cmocka_unit_test(test_exit_list),
		cmocka_unit_test(test_exit_usage_errors),
		cmocka_unit_test(test_log_levels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
