/*
 * The command line: parsing it, and applying it to the configuration
 * (cli.c).
 */
#ifndef FM_CLI_H
#define FM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct fm_config;
struct fm_diag;
struct fm_registry;

enum fm_mode { FM_MODE_RUN, FM_MODE_LIST, FM_MODE_CHECK, FM_MODE_DUMP,
	FM_MODE_HELP, FM_MODE_VERSION, FM_MODE_STATUS };

struct fm_cli {
	enum fm_mode mode;
	const char *config_path; /* NULL with --no-config */
	bool config_explicit;    /* -c given: a missing file is an error */
	bool no_config;
	bool successful_empty;
	bool no_systemd;
	bool json; /* --json, for --status */
	bool quiet;
	int verbose;
	int overlap; /* -1: not given */
	/* actions in command-line order */
	struct fm_cli_action {
		int signo;
		int first;          /* argv index of the action name */
		int count;          /* the name and its positional arguments... */
		const char **words; /* ...which are these (after "--" too) */
		const char **named; /* "NAME=VALUE" of each --arg */
		size_t nnamed;
	} *actions;
	size_t nactions;
	bool action_open; /* while parsing: --arg and "--" add to the last */
	char **argv;
};

/* Parses argv; on a usage error collects it in diag and returns false
 * (the caller prints it, then fm_cli_try_help()). */
bool fm_cli_parse(struct fm_cli *cli, int argc, char **argv,
	struct fm_diag *diag);
/* "Try 'flagman --help' for more information.", after a usage error. */
void fm_cli_try_help(FILE *out);
void fm_cli_finish(struct fm_cli *cli);
/* The log level -q and -v ask for (warning without either). */
int fm_cli_log_level(const struct fm_cli *cli);
/* Appends the command line's actions and settings to cfg as sections named
 * cli-1, cli-2...  Problems go to diag, without a file. */
void fm_cli_apply(const struct fm_cli *cli, struct fm_config *cfg,
	const struct fm_registry *reg, struct fm_diag *diag);
void fm_cli_usage(FILE *out);

#endif
