/*
 * The configuration as text: the canonical text of a resolved definition
 * (what a reload compares) and --dump, both in the file format, each value
 * written so that the reader gives it back the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "conffile.h"
#include "log.h"
#include "pacing.h"
#include "schema.h"
#include "signals.h"

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
	char buf[FM_SIGNAME_MAX], num[FM_DURATION_TEXT];
	struct text dir = { 0 };
	bool exact = true;

	fprintf(out, "[flagman]\n");
	fprintf(out, "successful_empty = %s\n",
		cfg->successful_empty ? "yes" : "no");
	fprintf(out, "overlap = %s\n", fm_overlap_names[cfg->overlap]);
	fprintf(out, "reload_signal = %s\n", cfg->reload_signal ?
		fm_signal_name(cfg->reload_signal, buf) : "none");
	fprintf(out, "stop_timeout = %s\n",
		fm_duration_text(cfg->stop_timeout_ms, num));
	fprintf(out, "log_level = %s\n", fm_log_level_name(cfg->log_level));
	add_setting(&dir, "plugin_dir", plugin_dir);
	if (cfg->state_directory) {
		add_setting(&dir, "state_directory", cfg->state_directory);
	}
	if (dir.failed) {
		fm_log(FM_LOG_ERROR, NULL, NULL, "out of memory");
		exact = false;
	}
	fputs(dir.s ? dir.s : "", out);
	free(dir.s);
	fm_pace_dump(cfg, out);
	for (size_t i = 0; i < cfg->ndefs; i++) {
		if (cfg->defs[i].type) {
			exact = dump_def(&cfg->defs[i], out) && exact;
		}
	}
	return exact;
}
