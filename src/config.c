/*
 * The configuration as the file and the command line describe it, and its
 * resolution into typed, validated action definitions.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "flagman.h"

static const char *const overlap_names[] = { "queue", "drop", NULL };
static const char *const level_names[] = { "error", "warning", "info",
	"debug", NULL };
static const int level_values[] = { FM_LOG_ERROR, FM_LOG_WARNING,
	FM_LOG_INFO, FM_LOG_DEBUG };

// [flagman] keys; reload_signal and log_level get special handling.
static const struct fm_arg_spec global_args[] = {
	{ "successful_empty", FM_ARG_BOOL, .default_value = "no",
		.offset = offsetof(struct fm_config, successful_empty) },
	{ "overlap", FM_ARG_ENUM, .default_value = "queue",
		.choices = overlap_names,
		.offset = offsetof(struct fm_config, overlap) },
	{ "reload_signal", FM_ARG_SIGNAL, .default_value = "hup",
		.offset = offsetof(struct fm_config, reload_signal) },
	{ "stop_timeout", FM_ARG_DURATION, .default_value = "10s",
		.offset = offsetof(struct fm_config, stop_timeout_ms) },
	{ "log_level", FM_ARG_ENUM, .default_value = "warning",
		.choices = level_names,
		.offset = offsetof(struct fm_config, log_level) },
	{ "plugin_dir", FM_ARG_PATH, .default_value = FM_PLUGIN_DIR,
		.offset = offsetof(struct fm_config, plugin_dir) },
	{ 0 },
};

static const char *const section_keys[] = { "action", "signal", "enabled" };

struct fm_config *fm_config_create(void)
{
	return calloc(1, sizeof(struct fm_config));
}

static void settings_free(struct fm_setting *settings, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(settings[i].key);
		free(settings[i].value);
	}
	free(settings);
}

static void def_state_free(struct fm_def *def)
{
	if (def->state && def->type) {
		for (const struct fm_arg_spec *a = def->type->args; a && a->name; a++) {
			fm_value_free(a, (char *)def->state + a->offset);
		}
	}
	free(def->state);
	def->state = NULL;
	free(def->canon);
	def->canon = NULL;
}

void fm_config_destroy(struct fm_config *cfg)
{
	if (!cfg) {
		return;
	}
	for (size_t i = 0; i < cfg->ndefs; i++) {
		def_state_free(&cfg->defs[i]);
		settings_free(cfg->defs[i].settings, cfg->defs[i].nsettings);
		free(cfg->defs[i].name);
		free(cfg->defs[i].label);
	}
	free(cfg->defs);
	settings_free(cfg->globals, cfg->nglobals);
	free(cfg->plugin_dir);
	for (size_t i = 0; i < cfg->nfiles; i++) {
		free(cfg->files[i]);
	}
	free(cfg->files);
	free(cfg);
}

const char *fm_config_file(struct fm_config *cfg, const char *path)
{
	char **grown;

	for (size_t i = 0; i < cfg->nfiles; i++) {
		if (strcmp(cfg->files[i], path) == 0) {
			return cfg->files[i];
		}
	}
	grown = realloc(cfg->files, (cfg->nfiles + 1) * sizeof(*grown));
	if (!grown) {
		return NULL;
	}
	cfg->files = grown;
	if (!(grown[cfg->nfiles] = strdup(path))) {
		return NULL;
	}
	return grown[cfg->nfiles++];
}

struct fm_def *fm_config_find(const struct fm_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->ndefs; i++) {
		if (strcmp(cfg->defs[i].name, name) == 0) {
			return &cfg->defs[i];
		}
	}
	return NULL;
}

struct fm_def *fm_config_def(struct fm_config *cfg, const char *name,
	const char *file, unsigned line)
{
	struct fm_def *def = fm_config_find(cfg, name), *grown;

	if (def) {
		return def;
	}
	grown = realloc(cfg->defs, (cfg->ndefs + 1) * sizeof(*grown));
	if (!grown) {
		return NULL;
	}
	cfg->defs = grown;
	def = &grown[cfg->ndefs];
	*def = (struct fm_def){ .file = file, .line = line, .enabled = true };
	if (!(def->name = strdup(name))) {
		return NULL;
	}
	cfg->ndefs++;
	return def;
}

struct fm_setting *fm_config_get(struct fm_config *cfg, struct fm_def *def,
	const char *key)
{
	struct fm_setting *s = def ? def->settings : cfg->globals;
	size_t n = def ? def->nsettings : cfg->nglobals;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(s[i].key, key) == 0) {
			return &s[i];
		}
	}
	return NULL;
}

bool fm_config_set(struct fm_config *cfg, struct fm_def *def, const char *key,
	const char *value, const char *file, unsigned line)
{
	struct fm_setting *s = fm_config_get(cfg, def, key);
	struct fm_setting **list = def ? &def->settings : &cfg->globals;
	size_t *n = def ? &def->nsettings : &cfg->nglobals;
	char *copy = strdup(value);

	if (!copy) {
		return false;
	}
	if (!s) {
		struct fm_setting *grown = realloc(*list, (*n + 1) * sizeof(*grown));
		if (!grown) {
			free(copy);
			return false;
		}
		*list = grown;
		s = &grown[*n];
		*s = (struct fm_setting){ .key = strdup(key) };
		if (!s->key) {
			free(copy);
			return false;
		}
		(*n)++;
	}
	free(s->value);
	s->value = copy;
	s->file = file;
	s->line = line;
	return true;
}

// Reports a problem at the setting's place, or at the section's.
static void def_error(struct fm_diag *diag, const struct fm_def *def,
	const struct fm_setting *s, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void def_error(struct fm_diag *diag, const struct fm_def *def,
	const struct fm_setting *s, const char *fmt, ...)
{
	char msg[512];
	const char *file = s ? s->file : def->file;
	unsigned line = s ? s->line : def->line;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (file) {
		fm_diag_error(diag, file, line, "[%s]: %s", def->name, msg);
	} else {
		fm_diag_error(diag, NULL, 0, "%s: %s",
			def->label ? def->label : def->name, msg);
	}
}

static const char *suggest_key(const struct fm_action_type *type,
	const char *key)
{
	const char *best = NULL;
	unsigned best_d = 3;

	for (size_t i = 0; i < 3; i++) {
		unsigned d = fm_edit_distance(key, section_keys[i]);
		if (d < best_d) {
			best_d = d;
			best = section_keys[i];
		}
	}
	for (const struct fm_arg_spec *a = type ? type->args : NULL; a && a->name;
			a++) {
		unsigned d = fm_edit_distance(key, a->name);
		if (d < best_d) {
			best_d = d;
			best = a->name;
		}
	}
	return best;
}

static void unknown_key(struct fm_diag *diag, const struct fm_def *def,
	const struct fm_setting *s, const struct fm_action_type *type)
{
	const char *hint = suggest_key(type, s->key);

	if (hint) {
		def_error(diag, def, s, "unknown key '%s' (did you mean '%s'?)",
			s->key, hint);
	} else {
		def_error(diag, def, s, "unknown key '%s'", s->key);
	}
}

// "usr1, usr2 rtmin+1": each must be a trigger signal.
static void resolve_signals(struct fm_def *def, const struct fm_setting *s,
	struct fm_diag *diag)
{
	char *list = strdup(s->value), *save = NULL;

	def->signals = 0;
	if (!list) {
		def_error(diag, def, s, "out of memory");
		return;
	}
	for (char *w = strtok_r(list, " ,\t", &save); w;
			w = strtok_r(NULL, " ,\t", &save)) {
		int signo = fm_signal_parse(w);
		char buf[FM_SIGNAME_MAX];

		if (!signo) {
			def_error(diag, def, s, "unknown signal '%s'", w);
		} else if (!fm_signal_is_trigger(signo)) {
			def_error(diag, def, s, "signal %s cannot trigger actions "
				"(HUP, USR1, USR2, WINCH, RTMIN..RTMAX)",
				fm_signal_name(signo, buf));
		} else {
			def->signals |= FM_SIGBIT(signo);
		}
	}
	if (!def->signals && !strpbrk(s->value, "abcdefghijklmnopqrstuvwxyz"
			"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")) {
		def_error(diag, def, s, "empty value for 'signal'");
	}
	free(list);
}

static const struct fm_arg_spec *find_arg(const struct fm_action_type *type,
	const char *key)
{
	for (const struct fm_arg_spec *a = type->args; a && a->name; a++) {
		if (strcmp(a->name, key) == 0) {
			return a;
		}
	}
	return NULL;
}

static const char *arg_text(const struct fm_def *def,
	const struct fm_arg_spec *a)
{
	for (size_t i = 0; i < def->nsettings; i++) {
		if (strcmp(def->settings[i].key, a->name) == 0) {
			return def->settings[i].value;
		}
	}
	return a->default_value;
}

static void canonicalize(struct fm_def *def)
{
	size_t size = 0;
	FILE *f = open_memstream(&def->canon, &size);
	char buf[FM_SIGNAME_MAX];

	if (!f) {
		return;
	}
	fprintf(f, "action = %s\nsignal =", def->type->name);
	for (int s = 1; s <= 64; s++) {
		if (def->signals & FM_SIGBIT(s)) {
			fprintf(f, " %s", fm_signal_name(s, buf));
		}
	}
	fprintf(f, "\nenabled = %s\n", def->enabled ? "yes" : "no");
	for (const struct fm_arg_spec *a = def->type->args; a && a->name; a++) {
		const char *text = arg_text(def, a);
		if (text) {
			fprintf(f, "%s = %s\n", a->name, text);
		}
	}
	fclose(f);
}

// Parses the type's arguments into a fresh state block.
static void resolve_args(struct fm_def *def, struct fm_diag *diag)
{
	const struct fm_action_type *type = def->type;
	char err[512];

	def->state = calloc(1, type->state_size ? type->state_size : 1);
	if (!def->state) {
		def_error(diag, def, NULL, "out of memory");
		return;
	}
	for (const struct fm_arg_spec *a = type->args; a && a->name; a++) {
		void *dst = (char *)def->state + a->offset;
		const struct fm_setting *s = NULL;

		fm_value_init(a, dst);
		for (size_t i = 0; i < def->nsettings; i++) {
			if (strcmp(def->settings[i].key, a->name) == 0) {
				s = &def->settings[i];
			}
		}
		if (s) {
			if (!fm_value_parse(a, s->value, dst, err, sizeof(err))) {
				def_error(diag, def, s, "%s", err);
			}
		} else if (a->required) {
			def_error(diag, def, NULL, "missing required key '%s'", a->name);
		} else if (a->default_value &&
				!fm_value_parse(a, a->default_value, dst, err, sizeof(err))) {
			def_error(diag, def, NULL, "bad built-in default: %s", err);
		}
	}
}

static void resolve_def(struct fm_def *def, const struct fm_registry *reg,
	struct fm_diag *diag)
{
	const struct fm_setting *action = NULL, *signal = NULL;
	unsigned before = diag->errors;
	char err[512] = "";

	def_state_free(def);
	def->type = NULL;
	def->enabled = true;
	for (size_t i = 0; i < def->nsettings; i++) {
		const struct fm_setting *s = &def->settings[i];
		if (strcmp(s->key, "action") == 0) {
			action = s;
		} else if (strcmp(s->key, "signal") == 0) {
			signal = s;
		} else if (strcmp(s->key, "enabled") == 0 &&
				!fm_parse_bool(s->value, &def->enabled)) {
			def_error(diag, def, s, "invalid boolean '%s' for 'enabled' "
				"(yes/no, true/false, on/off, 1/0)", s->value);
		}
	}
	if (!action) {
		def_error(diag, def, NULL, "missing required key 'action'");
	} else if (!(def->type = fm_registry_find(reg, action->value))) {
		const char *hint = fm_registry_suggest(reg, action->value);
		if (hint) {
			def_error(diag, def, action, "unknown action type '%s' "
				"(did you mean '%s'?)", action->value, hint);
		} else {
			def_error(diag, def, action, "unknown action type '%s' "
				"(see flagman --list)", action->value);
		}
	}
	if (!signal) {
		def_error(diag, def, NULL, "missing required key 'signal'");
	} else {
		resolve_signals(def, signal, diag);
	}
	for (size_t i = 0; i < def->nsettings; i++) {
		const struct fm_setting *s = &def->settings[i];
		if (s == action || s == signal || strcmp(s->key, "enabled") == 0) {
			continue;
		}
		if (!def->type || !find_arg(def->type, s->key)) {
			if (def->type || !action) {
				unknown_key(diag, def, s, def->type);
			}
		}
	}
	if (!def->type) {
		return;
	}
	resolve_args(def, diag);
	if (diag->errors == before && def->type->validate &&
			!def->type->validate(def->state, err, sizeof(err))) {
		def_error(diag, def, NULL, "%s", err);
	}
	if (diag->errors == before) {
		canonicalize(def);
	}
}

static void resolve_globals(struct fm_config *cfg, struct fm_diag *diag)
{
	char err[512];
	int level = 1;

	for (const struct fm_arg_spec *a = global_args; a->name; a++) {
		fm_value_parse(a, a->default_value, (char *)cfg + a->offset, err,
			sizeof(err));
	}
	cfg->reload_signal_set = false;
	for (size_t i = 0; i < cfg->nglobals; i++) {
		const struct fm_setting *s = &cfg->globals[i];
		const struct fm_arg_spec *a = global_args;
		void *dst;

		while (a->name && strcmp(a->name, s->key) != 0) {
			a++;
		}
		if (!a->name) {
			const char *best = NULL;
			unsigned best_d = 3;
			for (a = global_args; a->name; a++) {
				unsigned d = fm_edit_distance(s->key, a->name);
				if (d < best_d) {
					best_d = d;
					best = a->name;
				}
			}
			if (best) {
				fm_diag_error(diag, s->file, s->line, "[flagman]: unknown "
					"key '%s' (did you mean '%s'?)", s->key, best);
			} else {
				fm_diag_error(diag, s->file, s->line,
					"[flagman]: unknown key '%s'", s->key);
			}
			continue;
		}
		dst = (char *)cfg + a->offset;
		if (a->offset == offsetof(struct fm_config, reload_signal)) {
			cfg->reload_signal_set = true;
			if (strcasecmp(s->value, "none") == 0) {
				cfg->reload_signal = 0;
				continue;
			}
		}
		if (!fm_value_parse(a, s->value, dst, err, sizeof(err))) {
			fm_diag_error(diag, s->file, s->line, "[flagman]: %s", err);
		} else if (dst == &cfg->reload_signal &&
				!fm_signal_is_trigger(cfg->reload_signal)) {
			fm_diag_error(diag, s->file, s->line, "[flagman]: "
				"reload_signal must be HUP, USR1, USR2, WINCH, "
				"RTMIN..RTMAX or none");
		}
	}
	// log_level was parsed as an index into level_names.
	if (cfg->log_level >= 0 && cfg->log_level < 4) {
		level = level_values[cfg->log_level];
	}
	cfg->log_level = level;
}

static const struct fm_setting *global_setting(const struct fm_config *cfg,
	const char *key)
{
	for (size_t i = 0; i < cfg->nglobals; i++) {
		if (strcmp(cfg->globals[i].key, key) == 0) {
			return &cfg->globals[i];
		}
	}
	return NULL;
}

size_t fm_config_count(const struct fm_config *cfg, int signo)
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

bool fm_config_finish(struct fm_config *cfg, const struct fm_registry *reg,
	struct fm_diag *diag)
{
	size_t enabled = 0;

	resolve_globals(cfg, diag);
	for (size_t i = 0; i < cfg->ndefs; i++) {
		resolve_def(&cfg->defs[i], reg, diag);
		enabled += cfg->defs[i].enabled;
	}
	if (cfg->reload_signal && fm_config_count(cfg, cfg->reload_signal)) {
		if (cfg->reload_signal_set) {
			const struct fm_setting *s = global_setting(cfg, "reload_signal");
			char buf[FM_SIGNAME_MAX];
			fm_diag_error(diag, s->file, s->line, "[flagman]: signal %s is "
				"both the reload signal and bound to actions",
				fm_signal_name(cfg->reload_signal, buf));
		} else {
			cfg->reload_signal = 0; // HUP runs actions instead
		}
	}
	if (diag->errors == 0 && enabled == 0) {
		fm_diag_error(diag, NULL, 0, "no actions are configured");
	}
	return diag->errors == 0;
}

static void dump_duration(FILE *out, const char *key, uint64_t ms)
{
	if (ms % 1000 == 0) {
		fprintf(out, "%s = %llus\n", key, (unsigned long long)(ms / 1000));
	} else {
		fprintf(out, "%s = %llums\n", key, (unsigned long long)ms);
	}
}

void fm_config_dump(const struct fm_config *cfg, FILE *out)
{
	char buf[FM_SIGNAME_MAX];

	fprintf(out, "[flagman]\n");
	fprintf(out, "successful_empty = %s\n", cfg->successful_empty ? "yes" : "no");
	fprintf(out, "overlap = %s\n", overlap_names[cfg->overlap]);
	fprintf(out, "reload_signal = %s\n", cfg->reload_signal ?
		fm_signal_name(cfg->reload_signal, buf) : "none");
	dump_duration(out, "stop_timeout", cfg->stop_timeout_ms);
	fprintf(out, "log_level = %s\n", fm_log_level_name(cfg->log_level));
	fprintf(out, "plugin_dir = %s\n", cfg->plugin_dir ? cfg->plugin_dir : "");
	for (size_t i = 0; i < cfg->ndefs; i++) {
		const struct fm_def *d = &cfg->defs[i];
		if (d->canon) {
			fprintf(out, "\n[%s]\n%s", d->name, d->canon);
		}
	}
}
