/*
 * The command line: options, and actions given as --usr1 ACTION [ARG...],
 * turned into the same configuration structure the file produces.
 */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "conffile.h"
#include "config.h"
#include "diag.h"
#include "log.h"
#include "registry.h"
#include "schema.h"
#include "signals.h"

void fm_cli_usage(FILE *out)
{
	fprintf(out,
"Usage: flagman [OPTION]... [--SIGNAL ACTION [ARGUMENT]...]...\n"
"Perform configured actions when signals arrive.\n"
"\n"
"  -c, --config FILE       read FILE (default " FM_DEFAULT_CONFIG ")\n"
"      --no-config         read no configuration file\n"
"      --hup ACTION [ARG]...   add an action for SIGHUP\n"
"      --usr1 ACTION [ARG]...  add an action for SIGUSR1\n"
"      --usr2 ACTION [ARG]...  add an action for SIGUSR2\n"
"      --on SIGNAL ACTION [ARG]...\n"
"                          add an action for any trigger signal\n"
"                          (HUP, USR1, USR2, WINCH, RTMIN+n, RTMAX-n)\n"
"  -a, --arg NAME=VALUE    give the last action's argument NAME by name\n"
"      --                  end of options: what follows are arguments\n"
"                          of the last action (\"-- -text\")\n"
"      --successful-empty  exit 0, not 1, once every action has closed\n"
"      --overlap MODE      same signal during its own run: queue or drop\n"
"      --no-systemd        do not notify systemd\n"
"  -q, --quiet             log errors only (wins over -v)\n"
"  -v, --verbose           log more: -v info, -vv debug\n"
"  -l, --list              list the action types and exit\n"
"  -t, --check             check the configuration and exit (0 or 2)\n"
"  -T, --dump              print the effective configuration and exit\n"
"  -V, --version           print the version and exit\n"
"  -h, --help              print this help and exit\n"
"\n"
"Arguments after an action map to its arguments in order (see --list);\n"
"'' skips an optional one.  --arg sets any of them by name, e.g.\n"
"  flagman --usr1 exec /usr/bin/check --arg timeout=30s\n"
"SIGTERM or SIGINT stops flagman; see flagman(8).\n");
}

// An option is a token that starts with '-', other than a negative number.
static bool is_option(const char *tok)
{
	return tok[0] == '-' && tok[1] != '\0' &&
		!isdigit((unsigned char)tok[1]);
}

static bool set_mode(struct fm_cli *cli, enum fm_mode mode, const char *opt,
	FILE *err)
{
	if (cli->mode != FM_MODE_RUN && cli->mode != mode) {
		fprintf(err, FM_PROGRAM ": error: %s cannot be combined with "
			"another of --list, --check, --dump\n", opt);
		return false;
	}
	cli->mode = mode;
	return true;
}

// Appends word to a NULL-terminated list of n words.
static bool push_word(const char ***list, size_t n, const char *word)
{
	const char **grown = realloc(*list, (n + 2) * sizeof(*grown));

	if (!grown) {
		return false;
	}
	grown[n] = word;
	grown[n + 1] = NULL;
	*list = grown;
	return true;
}

static bool out_of_memory(FILE *err)
{
	fprintf(err, FM_PROGRAM ": error: out of memory\n");
	return false;
}

// The words argv[*i..] up to an option (all of them after "--") go to the
// last action as positional arguments.
static bool add_words(struct fm_cli *cli, int *i, int argc, char **argv,
	bool all, FILE *err)
{
	struct fm_cli_action *a = &cli->actions[cli->nactions - 1];

	while (*i < argc && (all || !is_option(argv[*i]))) {
		if (!push_word(&a->words, (size_t)a->count, argv[*i])) {
			return out_of_memory(err);
		}
		a->count++;
		++*i;
	}
	--*i;
	return true;
}

static bool add_action(struct fm_cli *cli, int signo, int *i, int argc,
	char **argv, const char *opt, FILE *err)
{
	struct fm_cli_action *grown;
	int first = *i + 1;

	if (first >= argc || is_option(argv[first])) {
		fprintf(err, FM_PROGRAM ": error: %s needs an action name "
			"(see flagman --list)\n", opt);
		return false;
	}
	grown = realloc(cli->actions, (cli->nactions + 1) * sizeof(*grown));
	if (!grown) {
		return out_of_memory(err);
	}
	cli->actions = grown;
	grown[cli->nactions++] = (struct fm_cli_action){ .signo = signo,
		.first = first };
	cli->action_open = true;
	*i = first;
	return add_words(cli, i, argc, argv, false, err);
}

// Takes the value of "--opt VALUE" or "--opt=VALUE".
static const char *option_value(const char *opt, const char *attached,
	int *i, int argc, char **argv, FILE *err)
{
	if (attached) {
		return attached;
	}
	if (*i + 1 >= argc) {
		fprintf(err, FM_PROGRAM ": error: %s needs a value\n", opt);
		return NULL;
	}
	return argv[++*i];
}

// -a/--arg NAME=VALUE: a named argument of the last action.
static bool parse_arg(struct fm_cli *cli, const char *opt,
	const char *attached, int *i, int argc, char **argv, FILE *err)
{
	const char *val;
	struct fm_cli_action *a;

	if (!cli->action_open) {
		fprintf(err, FM_PROGRAM ": error: %s must follow an action (--hup, "
			"--usr1, --usr2 or --on SIGNAL, then ACTION)\n", opt);
		return false;
	}
	if (!(val = option_value(opt, attached, i, argc, argv, err))) {
		return false;
	}
	if (!strchr(val, '=') || val[0] == '=') {
		fprintf(err, FM_PROGRAM ": error: %s: expected NAME=VALUE, got "
			"'%s'\n", opt, val);
		return false;
	}
	a = &cli->actions[cli->nactions - 1];
	if (!push_word(&a->named, a->nnamed, val)) {
		return out_of_memory(err);
	}
	a->nnamed++;
	return true;
}

static bool parse_short(struct fm_cli *cli, int *i, int argc, char **argv,
	FILE *err)
{
	const char *tok = argv[*i];

	for (const char *p = tok + 1; *p; p++) {
		bool ok = true;

		switch (*p) {
		case 'q': cli->quiet = true; break;
		case 'v': cli->verbose++; break;
		case 'l': ok = set_mode(cli, FM_MODE_LIST, "-l", err); break;
		case 't': ok = set_mode(cli, FM_MODE_CHECK, "-t", err); break;
		case 'T': ok = set_mode(cli, FM_MODE_DUMP, "-T", err); break;
		case 'V': cli->mode = FM_MODE_VERSION; break;
		case 'h': cli->mode = FM_MODE_HELP; break;
		case 'c':
			cli->config_path = option_value("-c", p[1] ? p + 1 : NULL,
				i, argc, argv, err);
			cli->config_explicit = true;
			cli->no_config = false;
			return cli->config_path != NULL;
		case 'a':
			return parse_arg(cli, "-a", p[1] ? p + 1 : NULL, i, argc, argv,
				err);
		default:
			fprintf(err, FM_PROGRAM ": error: unknown option '-%c'\n", *p);
			ok = false;
		}
		if (!ok) {
			return false;
		}
	}
	return true;
}

// --on SIGNAL ACTION [ARG]...: the signal must be a trigger.
static bool parse_on(struct fm_cli *cli, int *i, int argc, char **argv,
	FILE *err)
{
	char buf[FM_SIGNAME_MAX];
	int signo;

	if (*i + 1 >= argc) {
		fprintf(err, FM_PROGRAM ": error: --on needs a signal name\n");
		return false;
	}
	signo = fm_signal_parse(argv[++*i]);
	if (!signo) {
		fprintf(err, FM_PROGRAM ": error: --on: unknown signal '%s' "
			"(expected HUP, USR1, USR2, WINCH, RTMIN+n or RTMAX-n)\n",
			argv[*i]);
		return false;
	}
	if (!fm_signal_is_trigger(signo)) {
		fprintf(err, FM_PROGRAM ": error: --on: signal %s cannot trigger "
			"actions (HUP, USR1, USR2, WINCH, RTMIN+n, RTMAX-n)\n",
			fm_signal_name(signo, buf));
		return false;
	}
	return add_action(cli, signo, i, argc, argv, "--on", err);
}

static bool parse_overlap(struct fm_cli *cli, const char *val, FILE *err)
{
	if (strcmp(val, "queue") == 0) {
		cli->overlap = FM_OVERLAP_QUEUE;
	} else if (strcmp(val, "drop") == 0) {
		cli->overlap = FM_OVERLAP_DROP;
	} else {
		fprintf(err, FM_PROGRAM ": error: --overlap: invalid value '%s' "
			"(expected queue or drop)\n", val);
		return false;
	}
	return true;
}

// The long options without a value.
static bool parse_flag(struct fm_cli *cli, const char *name, FILE *err)
{
	if (strcmp(name, "--no-config") == 0) {
		cli->config_path = NULL;
		cli->config_explicit = false;
		cli->no_config = true;
	} else if (strcmp(name, "--successful-empty") == 0) {
		cli->successful_empty = true;
	} else if (strcmp(name, "--no-systemd") == 0) {
		cli->no_systemd = true;
	} else if (strcmp(name, "--quiet") == 0) {
		cli->quiet = true;
	} else if (strcmp(name, "--verbose") == 0) {
		cli->verbose++;
	} else if (strcmp(name, "--list") == 0) {
		return set_mode(cli, FM_MODE_LIST, name, err);
	} else if (strcmp(name, "--check") == 0) {
		return set_mode(cli, FM_MODE_CHECK, name, err);
	} else if (strcmp(name, "--dump") == 0) {
		return set_mode(cli, FM_MODE_DUMP, name, err);
	} else if (strcmp(name, "--version") == 0) {
		cli->mode = FM_MODE_VERSION;
	} else if (strcmp(name, "--help") == 0) {
		cli->mode = FM_MODE_HELP;
	} else {
		fprintf(err, FM_PROGRAM ": error: unknown option '%s'\n", name);
		return false;
	}
	return true;
}

static bool takes_action(const char *name)
{
	return strcmp(name, "--hup") == 0 || strcmp(name, "--usr1") == 0 ||
		strcmp(name, "--usr2") == 0 || strcmp(name, "--on") == 0;
}

static bool parse_long(struct fm_cli *cli, int *i, int argc, char **argv,
	FILE *err)
{
	char name[64];
	const char *tok = argv[*i], *eq = strchr(tok, '='), *val;
	size_t len = eq ? (size_t)(eq - tok) : strlen(tok);

	snprintf(name, sizeof(name), "%.*s", (int)(len < 63 ? len : 63), tok);
	if (strcmp(name, "--arg") == 0) {
		return parse_arg(cli, name, eq ? eq + 1 : NULL, i, argc, argv, err);
	}
	cli->action_open = false;
	if (eq && strcmp(name, "--config") != 0 && strcmp(name, "--overlap") != 0) {
		if (!takes_action(name) && !parse_flag(cli, name, err)) {
			return false; // unknown, said so
		}
		fprintf(err, FM_PROGRAM ": error: %s takes no value\n", name);
		return false;
	}
	if (strcmp(name, "--hup") == 0 || strcmp(name, "--usr1") == 0 ||
			strcmp(name, "--usr2") == 0) {
		return add_action(cli, fm_signal_parse(name + 2), i, argc, argv,
			name, err);
	}
	if (strcmp(name, "--on") == 0) {
		return parse_on(cli, i, argc, argv, err);
	}
	if (strcmp(name, "--config") == 0) {
		cli->config_path = option_value(name, eq ? eq + 1 : NULL, i, argc,
			argv, err);
		cli->config_explicit = true;
		cli->no_config = false;
		return cli->config_path != NULL;
	}
	if (strcmp(name, "--overlap") == 0) {
		val = option_value(name, eq ? eq + 1 : NULL, i, argc, argv, err);
		return val && parse_overlap(cli, val, err);
	}
	return parse_flag(cli, name, err);
}

bool fm_cli_parse(struct fm_cli *cli, int argc, char **argv, FILE *err)
{
	*cli = (struct fm_cli){ .config_path = FM_DEFAULT_CONFIG, .overlap = -1,
		.argv = argv };
	for (int i = 1; i < argc; i++) {
		bool ok;

		if (strcmp(argv[i], "--") == 0 && cli->action_open) {
			i++;
			ok = add_words(cli, &i, argc, argv, true, err);
		} else if (strcmp(argv[i], "--") == 0 && i + 1 < argc) {
			fprintf(err, FM_PROGRAM ": error: unexpected argument '%s' after "
				"'--' (no action just before it)\n", argv[i + 1]);
			ok = false;
		} else if (strcmp(argv[i], "--") == 0) {
			ok = true;
		} else if (!is_option(argv[i])) {
			fprintf(err, FM_PROGRAM ": error: unexpected argument '%s' "
				"(actions follow --hup, --usr1, --usr2 or --on)\n", argv[i]);
			ok = false;
		} else if (argv[i][1] == '-') {
			ok = parse_long(cli, &i, argc, argv, err);
		} else {
			cli->action_open = cli->action_open && argv[i][1] == 'a';
			ok = parse_short(cli, &i, argc, argv, err);
		}
		if (!ok) {
			fprintf(err, "Try 'flagman --help' for more information.\n");
			fm_cli_finish(cli);
			return false;
		}
	}
	return true;
}

void fm_cli_finish(struct fm_cli *cli)
{
	for (size_t i = 0; i < cli->nactions; i++) {
		free(cli->actions[i].words);
		free(cli->actions[i].named);
	}
	free(cli->actions);
	cli->actions = NULL;
	cli->nactions = 0;
}

static size_t count_args(const struct fm_action_type *type, size_t *required)
{
	size_t n = 0;

	*required = 0;
	for (const struct fm_arg_spec *a = type->args; a && a->name; a++, n++) {
		if (a->required) {
			*required = n + 1;
		}
	}
	return n;
}

// "expected at least 1 argument (command: argv, [timeout: duration]), got 0"
static void count_error(struct fm_diag *diag, const char *label,
	const struct fm_action_type *type, size_t given)
{
	char sigtext[512] = "";
	size_t used = 0, required, nargs = count_args(type, &required);
	size_t want = given < required ? required : nargs;
	const char *bound = "";

	for (size_t i = 0; i < nargs && used < sizeof(sigtext); i++) {
		const struct fm_arg_spec *a = &type->args[i];
		used += (size_t)snprintf(sigtext + used, sizeof(sigtext) - used,
			"%s%s%s: %s%s", i ? ", " : "", i < required ? "" : "[",
			a->name, fm_arg_type_name(a->type), i < required ? "" : "]");
	}
	if (nargs > required) {
		bound = given < required ? "at least " : "at most ";
	}
	fm_diag_error(diag, NULL, 0, "%s: expected %s%zu argument%s (%s), got %zu",
		label, bound, want, want == 1 ? "" : "s", sigtext, given);
}

// One argument's value into the section, unless it is too long for a file.
static bool set_arg(struct fm_config *cfg, struct fm_def *def,
	const char *label, const char *name, const char *value,
	struct fm_diag *diag)
{
	bool too_long = strlen(value) > FM_MAX_VALUE;

	if (fm_config_get(cfg, def, name)) {
		fm_diag_error(diag, NULL, 0, "%s: argument '%s' is given twice",
			label, name);
		return true;
	}
	if (too_long) {
		fm_diag_error(diag, NULL, 0, "%s: the value of '%s' is longer than "
			"%d characters", label, name, FM_MAX_VALUE);
	}
	// One that is too long counts as given: "missing" would be wrong.
	if (!fm_config_set(cfg, def, name, too_long ? "" : value, NULL, 0)) {
		return false;
	}
	fm_config_get(cfg, def, name)->bad = too_long;
	return true;
}

// The --arg NAME=VALUE of an action; false on no memory.
static bool apply_named(const struct fm_cli_action *ca,
	const struct fm_action_type *type, struct fm_config *cfg,
	struct fm_def *def, const char *label, struct fm_diag *diag)
{
	for (size_t i = 0; i < ca->nnamed; i++) {
		const char *word = ca->named[i], *eq = strchr(word, '=');
		size_t len = (size_t)(eq - word);
		const struct fm_arg_spec *a = fm_arg_find(type, word, len);
		char name[64];
		struct fm_suggest hint = { .word = name };

		if (a) {
			if (!set_arg(cfg, def, label, a->name, eq + 1, diag)) {
				return false;
			}
			continue;
		}
		snprintf(name, sizeof(name), "%.*s", (int)len, word);
		for (a = type->args; a && a->name; a++) {
			fm_suggest_offer(&hint, a->name);
		}
		fm_diag_error(diag, NULL, 0, "%s: unknown argument '%.*s'%s%s%s",
			label, (int)len, word, hint.best ? " (did you mean '" :
			" (see flagman --list)", hint.best ? hint.best : "",
			hint.best ? "'?)" : "");
	}
	return true;
}

// One action as a section; false on no memory (problems go to diag).
static bool apply_action(const struct fm_cli *cli, size_t idx,
	struct fm_config *cfg, const struct fm_registry *reg,
	struct fm_diag *diag)
{
	const struct fm_cli_action *ca = &cli->actions[idx];
	const char *tname = ca->words[0];
	const struct fm_action_type *type = fm_registry_find(reg, tname);
	const char *opt = cli->argv[ca->first - 1];
	char sig[FM_SIGNAME_MAX], name[32], *label = NULL;
	const char *sname = fm_signal_name(ca->signo, sig);
	size_t nargs, required, given = (size_t)ca->count - 1;
	struct fm_def *def;
	bool ok = false;
	int r;

	// Messages quote the command line as written: "--on rtmin+2 exec".
	if (opt[0] == '-') {
		r = asprintf(&label, "%s %s", opt, tname);
	} else {
		r = asprintf(&label, "--on %s %s", opt, tname);
	}
	if (r < 0) {
		return false;
	}
	if (!type) {
		const char *hint = fm_registry_suggest(reg, tname);
		fm_diag_error(diag, NULL, 0, "%s: unknown action type '%s'%s%s%s",
			label, tname, hint ? " (did you mean '" : " (see flagman --list)",
			hint ? hint : "", hint ? "'?)" : "");
		ok = true; // reported
		goto out;
	}
	nargs = count_args(type, &required);
	// Named arguments may give the required ones: then the section says
	// which one is missing.
	if (given > nargs || (given < required && ca->nnamed == 0)) {
		count_error(diag, label, type, given);
		ok = true; // reported
		goto out;
	}
	// cli-N, unless a file already has a section of that name.
	for (size_t n = idx + 1; snprintf(name, sizeof(name), "cli-%zu", n),
			fm_config_find(cfg, name); n++) {
	}
	if (!(def = fm_config_def(cfg, name, NULL, 0)) ||
			!fm_config_set(cfg, def, "action", tname, NULL, 0) ||
			!fm_config_set(cfg, def, "signal", sname, NULL, 0)) {
		goto out;
	}
	for (size_t i = 0; i < given; i++) {
		const char *value = ca->words[i + 1];

		// '' skips an optional argument, to reach the ones after it.
		if (!value[0] && !type->args[i].required) {
			continue;
		}
		if (!set_arg(cfg, def, label, type->args[i].name, value, diag)) {
			goto out;
		}
	}
	if (!apply_named(ca, type, cfg, def, label, diag)) {
		goto out;
	}
	def->label = label;
	label = NULL;
	ok = true;
out:
	free(label);
	return ok;
}

int fm_cli_log_level(const struct fm_cli *cli)
{
	// -q wins over -v; -v is info, -vv and more debug.
	return fm_log_level_at(cli->quiet ? 0 : cli->verbose < 2 ?
		1 + (size_t)cli->verbose : 3);
}

void fm_cli_apply(const struct fm_cli *cli, struct fm_config *cfg,
	const struct fm_registry *reg, struct fm_diag *diag)
{
	bool ok = true;

	if (cli->successful_empty) {
		ok = ok && fm_config_set(cfg, NULL, "successful_empty", "yes", NULL, 0);
	}
	if (cli->overlap >= 0) {
		ok = ok && fm_config_set(cfg, NULL, "overlap",
			cli->overlap == FM_OVERLAP_QUEUE ? "queue" : "drop", NULL, 0);
	}
	if (cli->quiet || cli->verbose) {
		ok = ok && fm_config_set(cfg, NULL, "log_level",
			fm_log_level_name(fm_cli_log_level(cli)), NULL, 0);
	}
	for (size_t i = 0; ok && i < cli->nactions; i++) {
		ok = apply_action(cli, i, cfg, reg, diag);
	}
	if (!ok) {
		fm_diag_oom(diag);
	}
}
