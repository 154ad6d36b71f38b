/*
 * The parsed command line applied to the configuration: each action
 * becomes a section named cli-N (its positional and --arg arguments its
 * keys), the options [flagman] keys; problems name the command-line words.
 */
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
