/*
 * The configuration as the file and the command line describe it, and its
 * resolution into typed, validated action definitions.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "conffile.h"
#include "diag.h"
#include "log.h"
#include "registry.h"
#include "schema.h"
#include "signals.h"
#include "table.h"

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

/*
 * Section names, keys, values and the lists of settings live in chunks that
 * are freed with the configuration: a file of many sections costs a few
 * large allocations instead of several small ones per line.
 */
struct fm_chunk {
	struct fm_chunk *next;
	size_t used, size;
	max_align_t data[];
};

enum { CHUNK_SIZE = 64 * 1024 - 64 };

static void *chunk_alloc(struct fm_config *cfg, size_t n, size_t align)
{
	struct fm_chunk *c = cfg->chunks;
	size_t at = c ? (c->used + align - 1) & ~(align - 1) : 0;

	if (!c || at > c->size || c->size - at < n) {
		size_t size = n > CHUNK_SIZE / 4 ? n : CHUNK_SIZE;
		if (!(c = malloc(sizeof(*c) + size))) {
			return NULL;
		}
		*c = (struct fm_chunk){ .size = size };
		// Something too big for a shared chunk gets its own, behind the
		// current one, which goes on taking the small ones.
		if (size == n && cfg->chunks) {
			c->next = cfg->chunks->next;
			cfg->chunks->next = c;
		} else {
			c->next = cfg->chunks;
			cfg->chunks = c;
		}
		at = 0;
	}
	c->used = at + n;
	return (char *)c->data + at;
}

static char *config_strdup(struct fm_config *cfg, const char *s)
{
	size_t n = strlen(s) + 1;
	char *copy = chunk_alloc(cfg, n, 1);

	return copy ? memcpy(copy, s, n) : NULL;
}

/*
 * Room for one more element in an array of n that grows by doubling from
 * first: its capacity is implied by n (first, 2 first, 4 first...), so no
 * field holds it.
 */
static bool array_full(size_t n, size_t first)
{
	return n == 0 || (n >= first && n % first == 0 &&
		((n / first) & (n / first - 1)) == 0);
}

static void *array_room(void *array, size_t n, size_t size)
{
	if (!array_full(n, 4)) {
		return array;
	}
	return reallocarray(array, n ? 2 * n : 4, size);
}

// The same for a list of settings, kept in the chunks.  A section has
// three keys or a few more: room for three first.
static struct fm_setting *settings_room(struct fm_config *cfg,
	struct fm_setting *list, size_t n)
{
	struct fm_setting *grown;

	if (!array_full(n, 3)) {
		return list;
	}
	if (n > SIZE_MAX / 2 / sizeof(*list) ||
			!(grown = chunk_alloc(cfg, (n ? 2 * n : 3) * sizeof(*list),
				_Alignof(struct fm_setting)))) {
		return NULL;
	}
	return n ? memcpy(grown, list, n * sizeof(*list)) : grown;
}

static const char *def_name(const void *cfg, size_t i)
{
	return ((const struct fm_config *)cfg)->defs[i].name;
}

struct fm_config *fm_config_create(void)
{
	struct fm_config *cfg = calloc(1, sizeof(*cfg));

	if (cfg) {
		cfg->def_index.name_of = def_name;
		cfg->def_index.ctx = cfg;
	}
	return cfg;
}

static void state_free(const struct fm_action_type *type, void *state)
{
	for (const struct fm_arg_spec *a = type ? type->args : NULL;
			state && a && a->name; a++) {
		fm_value_free(a, (char *)state + a->offset);
	}
	free(state);
}

static void def_state_free(struct fm_def *def)
{
	state_free(def->type, def->state);
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
		free(cfg->defs[i].label);
	}
	free(cfg->defs);
	fm_table_finish(&cfg->def_index);
	while (cfg->chunks) {
		struct fm_chunk *next = cfg->chunks->next;
		free(cfg->chunks);
		cfg->chunks = next;
	}
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
	if (!(grown = array_room(cfg->files, cfg->nfiles, sizeof(*grown)))) {
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
	size_t i;

	// An index, not a pointer: the array moves as it grows.
	return fm_table_get(&cfg->def_index, name, &i) ? &cfg->defs[i] : NULL;
}

struct fm_def *fm_config_def(struct fm_config *cfg, const char *name,
	const char *file, unsigned line)
{
	struct fm_def *def = fm_config_find(cfg, name), *grown;

	if (def) {
		return def;
	}
	if (!(grown = array_room(cfg->defs, cfg->ndefs, sizeof(*grown)))) {
		return NULL;
	}
	cfg->defs = grown;
	def = &grown[cfg->ndefs];
	*def = (struct fm_def){ .file = file, .line = line, .enabled = true };
	if (!(def->name = config_strdup(cfg, name)) ||
			fm_table_put(&cfg->def_index, def->name, cfg->ndefs) < 0) {
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
	return fm_config_put(cfg, def, fm_config_get(cfg, def, key), key, value,
		file, line);
}

bool fm_config_put(struct fm_config *cfg, struct fm_def *def,
	struct fm_setting *s, const char *key, const char *value,
	const char *file, unsigned line)
{
	struct fm_setting **list = def ? &def->settings : &cfg->globals;
	size_t *n = def ? &def->nsettings : &cfg->nglobals;
	char *copy = config_strdup(cfg, value);

	if (!copy) {
		return false;
	}
	if (!s) {
		struct fm_setting *grown = settings_room(cfg, *list, *n);
		if (!grown) {
			return false;
		}
		*list = grown;
		s = &grown[*n];
		*s = (struct fm_setting){ .key = config_strdup(cfg, key) };
		if (!s->key) {
			return false;
		}
		(*n)++;
	}
	// A value replaced by a later file stays in its chunk until the end.
	s->value = copy;
	s->file = file;
	s->line = line;
	return true;
}

// Files in reading order, then the command line.
static size_t file_rank(const struct fm_config *cfg, const char *file)
{
	for (size_t i = 0; file && i < cfg->nfiles; i++) {
		if (cfg->files[i] == file || strcmp(cfg->files[i], file) == 0) {
			return i;
		}
	}
	return cfg->nfiles;
}

void fm_config_error(struct fm_config *cfg, struct fm_diag *diag,
	const char *file, unsigned line, const char *fmt, ...)
{
	// A file is interned when it is first read: its rank never changes.
	size_t order = file ? file_rank(cfg, file) + 1 : SIZE_MAX;
	va_list ap;

	va_start(ap, fmt);
	fm_diag_verror_at(diag, order, file, line, fmt, ap);
	va_end(ap);
}

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

// A string being built; once an allocation failed, nothing more is added.
struct text {
	char *s;
	size_t len, size;
	bool failed;
};

static void text_addn(struct text *t, const char *s, size_t n)
{
	char *grown;

	if (t->failed) {
		return;
	}
	if (t->len + n + 1 > t->size) {
		if (!(grown = realloc(t->s, 2 * (t->len + n + 1)))) {
			t->failed = true;
			return;
		}
		t->s = grown;
		t->size = 2 * (t->len + n + 1);
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void text_add(struct text *t, const char *s)
{
	text_addn(t, s, strlen(s));
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

// Does the reader give value back as it is, written after "key = "?
static bool plain_ok(const char *v)
{
	size_t len = strlen(v);

	if (len > 0 && (is_blank(v[0]) || is_blank(v[len - 1]) ||
			strncmp(v, "$'", 2) == 0)) {
		return false;
	}
	for (const char *p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if ((c < 0x20 && c != '\t') || c == 0x7f ||
				(is_blank(*p) && p[1] == ';')) {
			return false;
		}
	}
	return true;
}

// A single space where a line may break: a continuation line must not
// start with a blank or a comment character.
static bool break_ok(const char *p)
{
	return p[0] == ' ' && !is_blank(p[-1]) && p[1] && !is_blank(p[1]) &&
		p[1] != ';' && p[1] != '#';
}

/*
 * Appends v as it is, broken at single spaces into continuation lines
 * (which the reader joins with one space); false, with nothing added, if
 * no break fits.  room is what the first line has left.
 */
static bool add_plain(struct text *t, const char *v, size_t room)
{
	struct text lines = { 0 };
	size_t len = strlen(v), at;

	while (len > room) {
		for (at = room; at > 0 && !break_ok(v + at); at--) {
			continue;
		}
		if (at == 0) {
			free(lines.s);
			return false;
		}
		text_addn(&lines, v, at);
		text_add(&lines, "\n\t");
		v += at + 1;
		len -= at + 1;
		room = FM_MAX_LINE - 3; // after the tab
	}
	text_add(&lines, v);
	text_add(t, lines.s ? lines.s : "");
	t->failed = t->failed || lines.failed;
	free(lines.s);
	return true;
}

// One character of a $'...' value as the reader decodes it.
static void quote_char(char *unit, unsigned char c, bool line_start)
{
	static const char named[] = "\\\\''\nn\tt\rr";
	const char *at = c ? strchr(named, (char)c) : NULL;

	if (at && (at - named) % 2 == 0) {
		snprintf(unit, 5, "\\%c", at[1]);
	} else if (c < 0x20 || c == 0x7f ||
			(line_start && (c == ' ' || c == ';' || c == '#'))) {
		snprintf(unit, 5, "\\x%02x", c);
	} else {
		snprintf(unit, 5, "%c", c);
	}
}

/*
 * Appends v as $'...', broken into continuation lines that end with a
 * backslash (which, with the joining space, the reader drops).
 */
static void add_quoted(struct text *t, const char *v, size_t room)
{
	size_t col = 2;
	char unit[5];

	text_add(t, "$'");
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		quote_char(unit, *p, false);
		// One more for the closing quote or the backslash.
		if (col + strlen(unit) + 1 > room) {
			text_add(t, "\\\n\t");
			room = FM_MAX_LINE - 3;
			col = 0;
			quote_char(unit, *p, true);
		}
		text_add(t, unit);
		col += strlen(unit);
	}
	text_add(t, "'");
}

// "key = value\n" that the reader reads back as value.
static void add_setting(struct text *t, const char *key, const char *v)
{
	size_t room = FM_MAX_LINE - 2 - strlen(key) - 3;

	text_add(t, key);
	if (!plain_ok(v)) {
		text_add(t, " = ");
		add_quoted(t, v, room);
	} else {
		// After " = ", a ';' would start a comment; right after '=' not.
		text_add(t, *v && *v != ';' ? " = " : " =");
		if (!add_plain(t, v, room)) {
			add_quoted(t, v, room);
		}
	}
	text_add(t, "\n");
}

/*
 * The definition as text, in one order and one spelling (type, signals,
 * enabled, then every argument with its default filled in): equal texts
 * are equal definitions, which is how a reload tells what changed.
 */
static char *canon_text(const struct fm_def *def)
{
	struct text t = { 0 };
	char buf[FM_SIGNAME_MAX];
	size_t names = 0;
	bool by_name;

	text_add(&t, "action = ");
	text_add(&t, def->type->name);
	text_add(&t, "\nsignal =");
	for (int s = 1; s <= 64; s++) {
		if (def->signals & FM_SIGBIT(s)) {
			names += strlen(fm_signal_name(s, buf)) + 1;
		}
	}
	// Many real-time signals by name would not fit on a line: numbers do.
	by_name = strlen("signal =") + names <= FM_MAX_LINE - 2;
	for (int s = 1; s <= 64; s++) {
		if (!(def->signals & FM_SIGBIT(s))) {
			continue;
		}
		if (!by_name) {
			snprintf(buf, sizeof(buf), "%d", s);
		}
		text_add(&t, " ");
		text_add(&t, by_name ? fm_signal_name(s, buf) : buf);
	}
	text_add(&t, def->enabled ? "\nenabled = yes\n" : "\nenabled = no\n");
	for (const struct fm_arg_spec *a = def->type->args; a && a->name; a++) {
		const char *text = arg_text(def, a);
		int signo = a->type == FM_ARG_SIGNAL && def->state ?
			*(int *)((char *)def->state + a->offset) : 0;

		// Signals in one spelling, as the signal key: "USR1".
		if (signo && text) {
			text = fm_signal_name(signo, buf);
		}
		if (text) {
			add_setting(&t, a->name, text);
		}
	}
	if (t.failed) {
		free(t.s);
		return NULL;
	}
	return t.s;
}

const char *fm_def_canon(struct fm_def *def)
{
	if (!def->canon && def->type) {
		def->canon = canon_text(def);
	}
	return def->canon;
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
	const char *hint;

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
		if (common || (def->type && find_arg(def->type, s->key))) {
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

	def_state_free(def);
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
	const char *best = NULL;
	unsigned best_d = 3;

	for (const struct fm_arg_spec *a = global_args; a->name; a++) {
		unsigned d = fm_edit_distance(key, a->name);
		if (d < best_d) {
			best_d = d;
			best = a->name;
		}
	}
	return best;
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
		fm_value_parse(a, a->default_value, (char *)cfg + a->offset, err,
			sizeof(err));
	}
	cfg->reload_signal_set = false;
	for (size_t i = 0; i < cfg->nglobals; i++) {
		resolve_global(cfg, diag, &cfg->globals[i]);
	}
	// log_level was parsed as an index into level_names.
	cfg->log_level = level_values[cfg->log_level >= 0 && cfg->log_level < 4 ?
		cfg->log_level : 1];
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

// HUP runs actions when bound to any, unless reload_signal says otherwise.
static void check_reload_signal(struct fm_config *cfg,
	struct fm_diag *diag)
{
	const struct fm_setting *s = fm_config_get(cfg, NULL, "reload_signal");
	char buf[FM_SIGNAME_MAX];

	if (!cfg->reload_signal || !fm_config_count(cfg, cfg->reload_signal)) {
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
		resolve_def(cfg, &cfg->defs[i], reg, diag);
		enabled += cfg->defs[i].enabled;
	}
	check_reload_signal(cfg, diag);
	if (fm_diag_ok(diag) && enabled == 0) {
		fm_diag_error(diag, NULL, 0, "no actions are configured (none is "
			"enabled in the configuration or given on the command line)");
	}
	return fm_diag_ok(diag);
}

// As 1h30m250ms: exact, and each part small enough to read back.
static void dump_duration(FILE *out, const char *key, uint64_t ms)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {
		{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 },
		{ "ms", 1 },
	};

	fprintf(out, "%s = ", key);
	if (ms == 0) {
		fprintf(out, "0s");
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ms >= units[i].ms) {
			fprintf(out, "%llu%s", (unsigned long long)(ms / units[i].ms),
				units[i].unit);
			ms %= units[i].ms;
		}
	}
	fputc('\n', out);
}

// A value longer than the reader takes cannot be dumped.
static bool dump_def(struct fm_def *d, FILE *out)
{
	const char *canon = fm_def_canon(d);
	bool exact = canon != NULL;

	for (size_t i = 0; i < d->nsettings; i++) {
		const struct fm_setting *s = &d->settings[i];
		if (strlen(s->value) > FM_MAX_VALUE) {
			fm_log(FM_LOG_ERROR, d->name, NULL, "the value of '%s' is "
				"longer than %d characters: a configuration file cannot "
				"hold it", s->key, FM_MAX_VALUE);
			exact = false;
		}
	}
	if (!canon) {
		fm_log(FM_LOG_ERROR, NULL, NULL, "out of memory");
	} else {
		fprintf(out, "\n[%s]\n%s", d->name, canon);
	}
	return exact;
}

bool fm_config_dump(struct fm_config *cfg, FILE *out)
{
	const char *plugin_dir = cfg->plugin_dir ? cfg->plugin_dir : "";
	char buf[FM_SIGNAME_MAX];
	struct text dir = { 0 };
	bool exact = true;

	fprintf(out, "[flagman]\n");
	fprintf(out, "successful_empty = %s\n",
		cfg->successful_empty ? "yes" : "no");
	fprintf(out, "overlap = %s\n", overlap_names[cfg->overlap]);
	fprintf(out, "reload_signal = %s\n", cfg->reload_signal ?
		fm_signal_name(cfg->reload_signal, buf) : "none");
	dump_duration(out, "stop_timeout", cfg->stop_timeout_ms);
	fprintf(out, "log_level = %s\n", fm_log_level_name(cfg->log_level));
	add_setting(&dir, "plugin_dir", plugin_dir);
	if (dir.failed) {
		fm_log(FM_LOG_ERROR, NULL, NULL, "out of memory");
		exact = false;
	}
	fputs(dir.s ? dir.s : "", out);
	free(dir.s);
	for (size_t i = 0; i < cfg->ndefs; i++) {
		if (cfg->defs[i].type) {
			exact = dump_def(&cfg->defs[i], out) && exact;
		}
	}
	return exact;
}
