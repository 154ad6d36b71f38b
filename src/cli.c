/*
 * The command line: options, and actions given as --usr1 ACTION [ARG...],
 * parsed into struct fm_cli; cliapply.c turns it into the same
 * configuration structure the file produces.
 */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "diag.h"
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
"      --status            show the actions of the running instance for\n"
"                          the configuration file, and exit (0 or 1)\n"
"      --json              with --status: as one JSON object\n"
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
	struct fm_diag *diag)
{
	if (cli->mode != FM_MODE_RUN && cli->mode != mode) {
		fm_diag_error(diag, NULL, 0, "%s cannot be combined with "
			"another of --list, --check, --dump, --status", opt);
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

static bool out_of_memory(struct fm_diag *diag)
{
	fm_diag_oom(diag);
	return false;
}

// The words argv[*i..] up to an option (all of them after "--") go to the
// last action as positional arguments.
static bool add_words(struct fm_cli *cli, int *i, int argc, char **argv,
	bool all, struct fm_diag *diag)
{
	struct fm_cli_action *a = &cli->actions[cli->nactions - 1];

	while (*i < argc && (all || !is_option(argv[*i]))) {
		if (!push_word(&a->words, (size_t)a->count, argv[*i])) {
			return out_of_memory(diag);
		}
		a->count++;
		++*i;
	}
	--*i;
	return true;
}

static bool add_action(struct fm_cli *cli, int signo, int *i, int argc,
	char **argv, const char *opt, struct fm_diag *diag)
{
	struct fm_cli_action *grown;
	int first = *i + 1;

	if (first >= argc || is_option(argv[first])) {
		fm_diag_error(diag, NULL, 0, "%s needs an action name "
			"(see flagman --list)", opt);
		return false;
	}
	grown = realloc(cli->actions, (cli->nactions + 1) * sizeof(*grown));
	if (!grown) {
		return out_of_memory(diag);
	}
	cli->actions = grown;
	grown[cli->nactions++] = (struct fm_cli_action){ .signo = signo,
		.first = first };
	cli->action_open = true;
	*i = first;
	return add_words(cli, i, argc, argv, false, diag);
}

// Takes the value of "--opt VALUE" or "--opt=VALUE".
static const char *option_value(const char *opt, const char *attached,
	int *i, int argc, char **argv, struct fm_diag *diag)
{
	if (attached) {
		return attached;
	}
	if (*i + 1 >= argc) {
		fm_diag_error(diag, NULL, 0, "%s needs a value", opt);
		return NULL;
	}
	return argv[++*i];
}

// -a/--arg NAME=VALUE: a named argument of the last action.
static bool parse_arg(struct fm_cli *cli, const char *opt,
	const char *attached, int *i, int argc, char **argv, struct fm_diag *diag)
{
	const char *val;
	struct fm_cli_action *a;

	if (!cli->action_open) {
		fm_diag_error(diag, NULL, 0, "%s must follow an action (--hup, "
			"--usr1, --usr2 or --on SIGNAL, then ACTION)", opt);
		return false;
	}
	if (!(val = option_value(opt, attached, i, argc, argv, diag))) {
		return false;
	}
	if (!strchr(val, '=') || val[0] == '=') {
		fm_diag_error(diag, NULL, 0, "%s: expected NAME=VALUE, got "
			"'%s'", opt, val);
		return false;
	}
	a = &cli->actions[cli->nactions - 1];
	if (!push_word(&a->named, a->nnamed, val)) {
		return out_of_memory(diag);
	}
	a->nnamed++;
	return true;
}

static bool parse_short(struct fm_cli *cli, int *i, int argc, char **argv,
	struct fm_diag *diag)
{
	const char *tok = argv[*i];

	for (const char *p = tok + 1; *p; p++) {
		bool ok = true;

		switch (*p) {
		case 'q': cli->quiet = true; break;
		case 'v': cli->verbose++; break;
		case 'l': ok = set_mode(cli, FM_MODE_LIST, "-l", diag); break;
		case 't': ok = set_mode(cli, FM_MODE_CHECK, "-t", diag); break;
		case 'T': ok = set_mode(cli, FM_MODE_DUMP, "-T", diag); break;
		case 'V': cli->mode = FM_MODE_VERSION; break;
		case 'h': cli->mode = FM_MODE_HELP; break;
		case 'c':
			cli->config_path = option_value("-c", p[1] ? p + 1 : NULL,
				i, argc, argv, diag);
			cli->config_explicit = true;
			cli->no_config = false;
			return cli->config_path != NULL;
		case 'a':
			return parse_arg(cli, "-a", p[1] ? p + 1 : NULL, i, argc, argv,
				diag);
		default:
			fm_diag_error(diag, NULL, 0, "unknown option '-%c'", *p);
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
	struct fm_diag *diag)
{
	char buf[FM_SIGNAME_MAX];
	int signo;

	if (*i + 1 >= argc) {
		fm_diag_error(diag, NULL, 0, "--on needs a signal name");
		return false;
	}
	signo = fm_signal_parse(argv[++*i]);
	if (!signo) {
		fm_diag_error(diag, NULL, 0, "--on: unknown signal '%s' "
			"(expected HUP, USR1, USR2, WINCH, RTMIN+n or RTMAX-n)",
			argv[*i]);
		return false;
	}
	if (!fm_signal_is_trigger(signo)) {
		fm_diag_error(diag, NULL, 0, "--on: signal %s cannot trigger "
			"actions (HUP, USR1, USR2, WINCH, RTMIN+n, RTMAX-n)",
			fm_signal_name(signo, buf));
		return false;
	}
	return add_action(cli, signo, i, argc, argv, "--on", diag);
}

static bool parse_overlap(struct fm_cli *cli, const char *val,
	struct fm_diag *diag)
{
	if (strcmp(val, "queue") == 0) {
		cli->overlap = FM_OVERLAP_QUEUE;
	} else if (strcmp(val, "drop") == 0) {
		cli->overlap = FM_OVERLAP_DROP;
	} else {
		fm_diag_error(diag, NULL, 0, "--overlap: invalid value '%s' "
			"(expected queue or drop)", val);
		return false;
	}
	return true;
}

// The long options without a value.
static bool parse_flag(struct fm_cli *cli, const char *name,
	struct fm_diag *diag)
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
		return set_mode(cli, FM_MODE_LIST, name, diag);
	} else if (strcmp(name, "--check") == 0) {
		return set_mode(cli, FM_MODE_CHECK, name, diag);
	} else if (strcmp(name, "--dump") == 0) {
		return set_mode(cli, FM_MODE_DUMP, name, diag);
	} else if (strcmp(name, "--status") == 0) {
		return set_mode(cli, FM_MODE_STATUS, name, diag);
	} else if (strcmp(name, "--json") == 0) {
		cli->json = true;
	} else if (strcmp(name, "--version") == 0) {
		cli->mode = FM_MODE_VERSION;
	} else if (strcmp(name, "--help") == 0) {
		cli->mode = FM_MODE_HELP;
	} else {
		fm_diag_error(diag, NULL, 0, "unknown option '%s'", name);
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
	struct fm_diag *diag)
{
	char name[64];
	const char *tok = argv[*i], *eq = strchr(tok, '='), *val;
	size_t len = eq ? (size_t)(eq - tok) : strlen(tok);

	snprintf(name, sizeof(name), "%.*s", (int)(len < 63 ? len : 63), tok);
	if (strcmp(name, "--arg") == 0) {
		return parse_arg(cli, name, eq ? eq + 1 : NULL, i, argc, argv, diag);
	}
	cli->action_open = false;
	if (eq && strcmp(name, "--config") != 0 && strcmp(name, "--overlap") != 0) {
		if (!takes_action(name) && !parse_flag(cli, name, diag)) {
			return false; // unknown, said so
		}
		fm_diag_error(diag, NULL, 0, "%s takes no value", name);
		return false;
	}
	if (strcmp(name, "--hup") == 0 || strcmp(name, "--usr1") == 0 ||
			strcmp(name, "--usr2") == 0) {
		return add_action(cli, fm_signal_parse(name + 2), i, argc, argv,
			name, diag);
	}
	if (strcmp(name, "--on") == 0) {
		return parse_on(cli, i, argc, argv, diag);
	}
	if (strcmp(name, "--config") == 0) {
		cli->config_path = option_value(name, eq ? eq + 1 : NULL, i, argc,
			argv, diag);
		cli->config_explicit = true;
		cli->no_config = false;
		return cli->config_path != NULL;
	}
	if (strcmp(name, "--overlap") == 0) {
		val = option_value(name, eq ? eq + 1 : NULL, i, argc, argv, diag);
		return val && parse_overlap(cli, val, diag);
	}
	return parse_flag(cli, name, diag);
}

bool fm_cli_parse(struct fm_cli *cli, int argc, char **argv,
	struct fm_diag *diag)
{
	*cli = (struct fm_cli){ .config_path = FM_DEFAULT_CONFIG, .overlap = -1,
		.argv = argv };
	for (int i = 1; i < argc; i++) {
		bool ok;

		if (strcmp(argv[i], "--") == 0 && cli->action_open) {
			i++;
			ok = add_words(cli, &i, argc, argv, true, diag);
		} else if (strcmp(argv[i], "--") == 0 && i + 1 < argc) {
			fm_diag_error(diag, NULL, 0, "unexpected argument '%s' after "
				"'--' (no action just before it)", argv[i + 1]);
			ok = false;
		} else if (strcmp(argv[i], "--") == 0) {
			ok = true;
		} else if (!is_option(argv[i])) {
			fm_diag_error(diag, NULL, 0, "unexpected argument '%s' "
				"(actions follow --hup, --usr1, --usr2 or --on)", argv[i]);
			ok = false;
		} else if (argv[i][1] == '-') {
			ok = parse_long(cli, &i, argc, argv, diag);
		} else {
			cli->action_open = cli->action_open && argv[i][1] == 'a';
			ok = parse_short(cli, &i, argc, argv, diag);
		}
		if (!ok) {
			fm_cli_finish(cli);
			return false;
		}
	}
	if (cli->json && cli->mode != FM_MODE_STATUS &&
			cli->mode != FM_MODE_HELP && cli->mode != FM_MODE_VERSION) {
		fm_diag_error(diag, NULL, 0, "--json needs --status");
		fm_cli_finish(cli);
		return false;
	}
	return true;
}

void fm_cli_try_help(FILE *out)
{
	fputs("Try 'flagman --help' for more information.\n", out);
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
