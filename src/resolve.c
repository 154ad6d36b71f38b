/*
 * Resolving the configuration: the [flagman] keys into fields, each action
 * section into a type, a signal set and a parsed, validated state block,
 * every problem collected with the place of the key or section it is about.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "diag.h"
#include "log.h"
#include "pacing.h"
#include "registry.h"
#include "schema.h"
#include "signals.h"

const char *const fm_overlap_names[] = { "queue", "drop", NULL };

// [flagman] keys; reload_signal and log_level get special handling.
static const struct fm_arg_spec global_args[] = {
	{ "successful_empty", FM_ARG_BOOL, .default_value = "no",
		.offset = offsetof(struct fm_config, successful_empty) },
	{ "overlap", FM_ARG_ENUM, .default_value = "queue",
		.choices = fm_overlap_names,
		.offset = offsetof(struct fm_config, overlap) },
	{ "reload_signal", FM_ARG_SIGNAL, .default_value = "hup",
		.offset = offsetof(struct fm_config, reload_signal) },
	{ "stop_timeout", FM_ARG_DURATION, .default_value = "10s",
		.offset = offsetof(struct fm_config, stop_timeout_ms) },
	{ "log_level", FM_ARG_ENUM, .default_value = "warning",
		.choices = fm_log_level_names,
		.offset = offsetof(struct fm_config, log_level) },
	{ "plugin_dir", FM_ARG_PATH, .default_value = FM_PLUGIN_DIR,
		.offset = offsetof(struct fm_config, plugin_dir) },
	{ "state_directory", FM_ARG_PATH,
		.offset = offsetof(struct fm_config, state_directory) },
	{ 0 },
};

static const char *const section_keys[] = { "action", "signal", "enabled" };


/*
 * The section being resolved, which is also where an action type's
 * validate reports.
 */
struct fm_check {
	struct fm_config *cfg;
	struct fm_def *def;
	struct fm_diag *diag;
};

// Collects a problem at the setting's place, or at the section's.
static void def_error(struct fm_check *check, const struct fm_setting *s,
	const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void def_error(struct fm_check *check, const struct fm_setting *s,
	const char *fmt, ...)
{
	const struct fm_def *def = check->def;
	char msg[512];
	const char *file = s ? s->file : def->file;
	unsigned line = s ? s->line : def->line;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (file) {
		fm_config_error(check->cfg, check->diag, file, line, "[%s]: %s",
			def->name, msg);
	} else {
		fm_config_error(check->cfg, check->diag, NULL, 0, "%s: %s",
			def->label ? def->label : def->name, msg);
	}
}

static const char *suggest_key(const struct fm_action_type *type,
	const char *key)
{
	struct fm_suggest hint = { .word = key };

	for (size_t i = 0; i < 3; i++) {
		fm_suggest_offer(&hint, section_keys[i]);
	}
	for (const struct fm_arg_spec *a = type ? type->args : NULL; a && a->name;
			a++) {
		fm_suggest_offer(&hint, a->name);
	}
	return hint.best;
}

static void unknown_key(struct fm_check *check, const struct fm_setting *s,
	const struct fm_action_type *type)
{
	const char *hint = suggest_key(type, s->key);

	if (hint) {
		def_error(check, s, "unknown key '%s' (did you mean '%s'?)",
			s->key, hint);
	} else {
		def_error(check, s, "unknown key '%s'", s->key);
	}
}

// "usr1, usr2 rtmin+1": each must be a trigger signal.
static void resolve_signals(struct fm_check *check,
	const struct fm_setting *s)
{
	struct fm_def *def = check->def;
	static const char blanks[] = " ,\t";
	const char *p = s->value + strspn(s->value, blanks);
	bool any = false;

	def->signals = 0;
	for (; *p; p += strspn(p, blanks)) {
		size_t len = strcspn(p, blanks);
		char word[32], buf[FM_SIGNAME_MAX];
		int signo = 0;

		any = true;
		if (len < sizeof(word)) { // longer is no signal's name
			memcpy(word, p, len);
			word[len] = '\0';
			signo = fm_signal_parse(word);
		}
		if (!signo) {
			def_error(check, s, "unknown signal '%.*s'", (int)len, p);
		} else if (!fm_signal_is_trigger(signo)) {
			def_error(check, s, "signal %s cannot trigger actions "
				"(HUP, USR1, USR2, WINCH, RTMIN..RTMAX)",
				fm_signal_name(signo, buf));
		} else {
			def->signals |= FM_SIGBIT(signo);
		}
		p += len;
	}
	if (!any) {
		def_error(check, s, "empty value for 'signal'");
	}
}


// Parses the type's arguments into a fresh state block.
static void resolve_args(struct fm_check *check)
{
	struct fm_def *def = check->def;
	const struct fm_action_type *type = def->type;
	char err[512];

	def->state = calloc(1, type->state_size ? type->state_size : 1);
	if (!def->state) {
		fm_diag_oom(check->diag);
		return;
	}
	for (const struct fm_arg_spec *a = type->args; a && a->name; a++) {
		void *dst = (char *)def->state + a->offset;
		const struct fm_setting *s = fm_config_get(check->cfg, def,
			a->name);

		fm_value_init(a, dst);
		if (s) {
			if (!s->bad && !fm_value_parse(a, s->value, dst, err,
					sizeof(err))) {
				def_error(check, s, "%s", err);
				((struct fm_setting *)s)->bad = true;
			}
		} else if (a->required) {
			def_error(check, NULL, "missing required key '%s'", a->name);
		} else if (a->default_value &&
				!fm_value_parse(a, a->default_value, dst, err, sizeof(err))) {
			def_error(check, NULL, "bad built-in default: %s", err);
		}
	}
}

static void resolve_type(struct fm_check *check,
	const struct fm_setting *action, const struct fm_registry *reg)
{
	struct fm_def *def = check->def;
	char buf[FM_PACE_NAME_MAX];
	const char *hint;

	if (!action && fm_pace_hint(def->name, buf)) {
		def_error(check, NULL, "missing required key 'action' (or did you "
			"mean [%s]?)", buf);
		return;
	}
	if (!action) {
		def_error(check, NULL, "missing required key 'action'");
		return;
	}
	if (action->bad || (def->type = fm_registry_find(reg, action->value))) {
		return;
	}
	if ((hint = fm_registry_suggest(reg, action->value))) {
		def_error(check, action, "unknown action type '%s' "
			"(did you mean '%s'?)", action->value, hint);
	} else {
		def_error(check, action, "unknown action type '%s' "
			"(see flagman --list)", action->value);
	}
}

/*
 * Keys that are neither common nor the type's arguments.  Without a known
 * type only near misses of the common keys can be told apart (an 'acton'
 * explains the missing 'action'); the rest would be guesses.
 */
static void check_keys(struct fm_check *check)
{
	const struct fm_def *def = check->def;

	for (size_t i = 0; i < def->nsettings; i++) {
		const struct fm_setting *s = &def->settings[i];
		bool common = false;

		for (size_t k = 0; k < 3; k++) {
			common = common || strcmp(s->key, section_keys[k]) == 0;
		}
		if (common || (def->type && fm_arg_find(def->type, s->key, strlen(s->key)))) {
			continue;
		}
		if (def->type || suggest_key(NULL, s->key)) {
			unknown_key(check, s, def->type);
		}
	}
}

void fm_check_error(struct fm_check *check, const char *key,
	const char *fmt, ...)
{
	const struct fm_setting *s = key ? fm_config_get(check->cfg,
		check->def, key) : NULL;
	char msg[512];
	va_list ap;

	if (s && s->bad) {
		return; // its value was reported as invalid already
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	def_error(check, s, "%s", msg);
}

bool fm_check_given(const struct fm_check *check, const char *key)
{
	return fm_config_get(check->cfg, check->def, key) != NULL;
}

static void resolve_def(struct fm_config *cfg, struct fm_def *def,
	const struct fm_registry *reg, struct fm_diag *diag)
{
	const struct fm_setting *action, *signal, *enabled;
	struct fm_check check = { cfg, def, diag };

	fm_def_reset(def);
	def->type = NULL;
	def->enabled = true;
	action = fm_config_get(cfg, def, "action");
	signal = fm_config_get(cfg, def, "signal");
	enabled = fm_config_get(cfg, def, "enabled");
	if (enabled && !enabled->bad &&
			!fm_parse_bool(enabled->value, &def->enabled)) {
		def_error(&check, enabled, "invalid boolean '%s' for 'enabled' "
			"(yes/no, true/false, on/off, 1/0)", enabled->value);
	}
	resolve_type(&check, action, reg);
	if (!signal) {
		def_error(&check, NULL, "missing required key 'signal'");
	} else if (!signal->bad) {
		resolve_signals(&check, signal);
	}
	check_keys(&check);
	if (!def->type) {
		return;
	}
	resolve_args(&check);
	if (def->state && def->type->validate) {
		def->type->validate(def->state, &check);
	}
}

static const char *suggest_global(const char *key)
{
	struct fm_suggest hint = { .word = key };

	for (const struct fm_arg_spec *a = global_args; a->name; a++) {
		fm_suggest_offer(&hint, a->name);
	}
	return hint.best;
}

static void resolve_global(struct fm_config *cfg, struct fm_diag *diag,
	const struct fm_setting *s)
{
	const struct fm_arg_spec *a = global_args;
	const char *hint;
	char err[512];
	void *dst;

	while (a->name && strcmp(a->name, s->key) != 0) {
		a++;
	}
	if (!a->name) {
		if ((hint = suggest_global(s->key))) {
			fm_config_error(cfg, diag, s->file, s->line, "[flagman]: unknown "
				"key '%s' (did you mean '%s'?)", s->key, hint);
		} else {
			fm_config_error(cfg, diag, s->file, s->line,
				"[flagman]: unknown key '%s'", s->key);
		}
		return;
	}
	if (s->bad) {
		return;
	}
	dst = (char *)cfg + a->offset;
	if (dst == &cfg->reload_signal) {
		cfg->reload_signal_set = true;
		if (strcasecmp(s->value, "none") == 0) {
			cfg->reload_signal = 0;
			return;
		}
	}
	if (!fm_value_parse(a, s->value, dst, err, sizeof(err))) {
		fm_config_error(cfg, diag, s->file, s->line, "[flagman]: %s", err);
	} else if (dst == &cfg->reload_signal &&
			!fm_signal_is_trigger(cfg->reload_signal)) {
		fm_config_error(cfg, diag, s->file, s->line, "[flagman]: "
			"reload_signal must be HUP, USR1, USR2, WINCH, "
			"RTMIN..RTMAX or none");
	}
}

static void resolve_globals(struct fm_config *cfg, struct fm_diag *diag)
{
	char err[512];

	for (const struct fm_arg_spec *a = global_args; a->name; a++) {
		if (a->default_value) {
			fm_value_parse(a, a->default_value, (char *)cfg + a->offset,
				err, sizeof(err));
		}
	}
	cfg->reload_signal_set = false;
	for (size_t i = 0; i < cfg->nglobals; i++) {
		resolve_global(cfg, diag, &cfg->globals[i]);
	}
	// log_level was parsed as an index into fm_log_level_names.
	cfg->log_level = fm_log_level_at((size_t)cfg->log_level);
}

// Counts enabled actions bound to signo.
static size_t count_bound(const struct fm_config *cfg, int signo)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->ndefs; i++) {
		const struct fm_def *d = &cfg->defs[i];
		if (d->type && d->enabled && (d->signals & FM_SIGBIT(signo))) {
			n++;
		}
	}
	return n;
}

// HUP runs actions when bound to any, unless reload_signal says otherwise.
static void check_reload_signal(struct fm_config *cfg,
	struct fm_diag *diag)
{
	const struct fm_setting *s = fm_config_get(cfg, NULL, "reload_signal");
	char buf[FM_SIGNAME_MAX];

	if (!cfg->reload_signal || !count_bound(cfg, cfg->reload_signal)) {
		return;
	}
	if (!cfg->reload_signal_set) {
		cfg->reload_signal = 0;
		return;
	}
	fm_config_error(cfg, diag, s->file, s->line, "[flagman]: signal %s is "
		"both the reload signal and bound to actions (set reload_signal to "
		"another signal or none)", fm_signal_name(cfg->reload_signal, buf));
}

bool fm_config_resolve(struct fm_config *cfg, const struct fm_registry *reg,
	struct fm_diag *diag)
{
	size_t enabled = 0;

	resolve_globals(cfg, diag);
	// Sections merged from a partial set of files would report the missing
	// file's keys as missing: only the problems found so far are real.
	for (size_t i = 0; i < cfg->ndefs && !cfg->incomplete; i++) {
		if (!cfg->defs[i].signo) { // else a signal's: fm_pace_resolve
			resolve_def(cfg, &cfg->defs[i], reg, diag);
			enabled += cfg->defs[i].enabled;
		}
	}
	check_reload_signal(cfg, diag);
	fm_pace_resolve(cfg, diag);
	if (fm_diag_ok(diag) && enabled == 0) {
		fm_diag_error(diag, NULL, 0, "no actions are configured (none is "
			"enabled in the configuration or given on the command line)");
	}
	return fm_diag_ok(diag);
}
