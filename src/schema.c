/*
 * Typed argument values: parsing configuration text into the C types the
 * action interface promises, with a message saying what was expected.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schema.h"
#include "signals.h"

static const char *const type_names[] = {
	[FM_ARG_STRING] = "string", [FM_ARG_INT] = "int",
	[FM_ARG_BOOL] = "bool", [FM_ARG_DURATION] = "duration",
	[FM_ARG_PATH] = "path", [FM_ARG_ARGV] = "argv",
	[FM_ARG_SIGNAL] = "signal", [FM_ARG_USER] = "user",
	[FM_ARG_GROUP] = "group", [FM_ARG_ENUM] = "enum",
};

const char *fm_arg_type_name(enum fm_arg_type type)
{
	if ((unsigned)type >= sizeof(type_names) / sizeof(type_names[0])) {
		return "?";
	}
	return type_names[type];
}

const struct fm_arg_spec *fm_arg_find(const struct fm_action_type *type,
	const char *name, size_t len)
{
	for (const struct fm_arg_spec *a = type->args; a && a->name; a++) {
		if (strlen(a->name) == len && strncmp(a->name, name, len) == 0) {
			return a;
		}
	}
	return NULL;
}

bool fm_parse_bool(const char *text, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

// Far beyond any sensible delay; now + a duration can never wrap around.
#define FM_DURATION_MAX (UINT64_MAX / 2)

bool fm_parse_duration(const char *text, uint64_t *ms)
{
	static const struct {
		const char *suffix;
		uint64_t ms;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 },
	};
	const char *p = text;
	uint64_t total = 0;
	bool bare;

	if (!isdigit((unsigned char)*p)) {
		return false;
	}
	bare = strspn(text, "0123456789") == strlen(text);
	while (*p) {
		uint64_t n = 0, scale = 0;
		size_t len = 0;

		if (!isdigit((unsigned char)*p)) {
			return false;
		}
		while (isdigit((unsigned char)*p)) {
			if (n > (UINT64_MAX - 9) / 10) {
				return false;
			}
			n = n * 10 + (uint64_t)(*p++ - '0');
		}
		if (bare) {
			scale = 1000; // a bare number is seconds
		}
		for (size_t i = 0; !scale && i < sizeof(units) / sizeof(units[0]); i++) {
			len = strlen(units[i].suffix);
			if (strncmp(p, units[i].suffix, len) == 0 &&
					!isalpha((unsigned char)p[len])) {
				scale = units[i].ms;
				p += len;
			}
		}
		if (!scale || n > (FM_DURATION_MAX - total) / scale) {
			return false;
		}
		total += n * scale;
	}
	*ms = total;
	return true;
}

// Each part small enough to read back, the largest first.
const char *fm_duration_text(uint64_t ms, char *buf)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {
		{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 },
		{ "ms", 1 },
	};
	size_t at = 0;

	strcpy(buf, ms ? "" : "0s");
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ms >= units[i].ms) {
			at += (size_t)snprintf(buf + at, FM_DURATION_TEXT - at, "%llu%s",
				(unsigned long long)(ms / units[i].ms), units[i].unit);
			ms %= units[i].ms;
		}
	}
	return buf;
}

/*
 * One tokenizer for both passes: with out == NULL it only counts.  Returns the
 * number of words, or -1 with err set.
 */
static long split_words(const char *s, char **words, char *out,
	char *err, size_t errlen)
{
	long count = 0;

	for (;;) {
		bool in_word = false;
		char quote = 0;

		while (*s == ' ' || *s == '\t') {
			s++;
		}
		if (*s == '\0') {
			return count;
		}
		if (words) {
			words[count] = out;
		}
		for (; *s; s++) {
			char c = *s;

			if (quote == '\'') {
				if (c == '\'') {
					quote = 0;
					continue;
				}
			} else if (quote == '"') {
				if (c == '"') {
					quote = 0;
					continue;
				}
				if (c == '\\' && s[1] && strchr("\"\\$`", s[1])) {
					c = *++s;
				}
			} else if (c == ' ' || c == '\t') {
				break;
			} else if (c == '\'' || c == '"') {
				quote = c;
				in_word = true;
				continue;
			} else if (c == '\\') {
				if (s[1] == '\0') {
					snprintf(err, errlen, "trailing backslash");
					return -1;
				}
				c = *++s;
			}
			in_word = true;
			if (out) {
				*out++ = c;
			}
		}
		if (quote) {
			snprintf(err, errlen, "unterminated %s quote",
				quote == '"' ? "double" : "single");
			return -1;
		}
		(void)in_word;
		if (out) {
			*out++ = '\0';
		}
		count++;
	}
}

char **fm_argv_split(const char *text, char *err, size_t errlen)
{
	long n = split_words(text, NULL, NULL, err, errlen);
	size_t len = strlen(text) + 1;
	char **words;

	if (n < 0) {
		return NULL;
	}
	// Each word is no longer than its source text plus a terminator.
	words = malloc((size_t)(n + 1) * sizeof(char *) + len + (size_t)n);
	if (!words) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	split_words(text, words, (char *)(words + n + 1), err, errlen);
	words[n] = NULL;
	return words;
}

static bool parse_int(const struct fm_arg_spec *spec, const char *text,
	long long *out, char *err, size_t errlen)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (end == text || *end != '\0' || errno == ERANGE) {
		snprintf(err, errlen, "invalid integer '%s' for '%s'", text,
			spec->name);
		return false;
	}
	if ((spec->min || spec->max) && (v < spec->min || v > spec->max)) {
		snprintf(err, errlen, "%s for '%s' is out of range (%lld to %lld)",
			text, spec->name, spec->min, spec->max);
		return false;
	}
	*out = v;
	return true;
}

static bool parse_enum(const struct fm_arg_spec *spec, const char *text,
	int *out, char *err, size_t errlen)
{
	size_t used = 0;

	for (int i = 0; spec->choices && spec->choices[i]; i++) {
		if (strcasecmp(text, spec->choices[i]) == 0) {
			*out = i;
			return true;
		}
	}
	used = (size_t)snprintf(err, errlen, "invalid value '%s' for '%s' (expected",
		text, spec->name);
	for (int i = 0; spec->choices && spec->choices[i] && used < errlen; i++) {
		used += (size_t)snprintf(err + used, errlen - used, "%s%s",
			i ? " | " : " ", spec->choices[i]);
	}
	if (used < errlen) {
		snprintf(err + used, errlen - used, ")");
	}
	return false;
}

// A user or group: a name, or a number.
static bool parse_id(const struct fm_arg_spec *spec, const char *text,
	void *dst, char *err, size_t errlen)
{
	bool user = spec->type == FM_ARG_USER;
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(text, &end, 10);
	if (*text && *end == '\0' && errno == 0 && n < (unsigned long)UINT_MAX) {
		if (user) {
			*(uid_t *)dst = (uid_t)n;
		} else {
			*(gid_t *)dst = (gid_t)n;
		}
		return true;
	}
	if (user) {
		struct passwd *pw = getpwnam(text);
		if (pw) {
			*(uid_t *)dst = pw->pw_uid;
			return true;
		}
	} else {
		struct group *gr = getgrnam(text);
		if (gr) {
			*(gid_t *)dst = gr->gr_gid;
			return true;
		}
	}
	snprintf(err, errlen, "unknown %s '%s' for '%s'", user ? "user" : "group",
		text, spec->name);
	return false;
}

bool fm_value_parse(const struct fm_arg_spec *spec, const char *text,
	void *dst, char *err, size_t errlen)
{
	uint64_t ms;
	bool b;
	int signo;
	char why[128];
	char **words;
	char *copy;

	switch (spec->type) {
	case FM_ARG_STRING:
	case FM_ARG_PATH:
		if (spec->type == FM_ARG_PATH && text[0] != '/') {
			snprintf(err, errlen, "'%s' for '%s' is not an absolute path",
				text, spec->name);
			return false;
		}
		if (!(copy = strdup(text))) {
			snprintf(err, errlen, "out of memory");
			return false;
		}
		free(*(char **)dst);
		*(char **)dst = copy;
		return true;
	case FM_ARG_INT:
		return parse_int(spec, text, (long long *)dst, err, errlen);
	case FM_ARG_BOOL:
		if (!fm_parse_bool(text, &b)) {
			snprintf(err, errlen, "invalid boolean '%s' for '%s' "
				"(yes/no, true/false, on/off, 1/0)", text, spec->name);
			return false;
		}
		*(bool *)dst = b;
		return true;
	case FM_ARG_DURATION:
		if (!fm_parse_duration(text, &ms)) {
			snprintf(err, errlen, "invalid duration '%s' for '%s' "
				"(e.g. 30s, 5m, 1h30m)", text, spec->name);
			return false;
		}
		*(uint64_t *)dst = ms;
		return true;
	case FM_ARG_ARGV:
		if (!(words = fm_argv_split(text, why, sizeof(why)))) {
			snprintf(err, errlen, "invalid command line for '%s': %s",
				spec->name, why);
			return false;
		}
		if (!words[0] || !words[0][0]) {
			snprintf(err, errlen, words[0] ? "empty first word in '%s'" :
				"empty value for '%s'", spec->name);
			free(words);
			return false;
		}
		free(*(char ***)dst);
		*(char ***)dst = words;
		return true;
	case FM_ARG_SIGNAL:
		if (!(signo = fm_signal_parse(text))) {
			snprintf(err, errlen, "unknown signal '%s' for '%s'", text,
				spec->name);
			return false;
		}
		*(int *)dst = signo;
		return true;
	case FM_ARG_USER:
	case FM_ARG_GROUP:
		return parse_id(spec, text, dst, err, errlen);
	case FM_ARG_ENUM:
		return parse_enum(spec, text, (int *)dst, err, errlen);
	}
	snprintf(err, errlen, "'%s' has an unknown argument type", spec->name);
	return false;
}

void fm_value_init(const struct fm_arg_spec *spec, void *dst)
{
	if (spec->type == FM_ARG_USER) {
		*(uid_t *)dst = (uid_t)-1;
	} else if (spec->type == FM_ARG_GROUP) {
		*(gid_t *)dst = (gid_t)-1;
	}
}

void fm_value_free(const struct fm_arg_spec *spec, void *dst)
{
	switch (spec->type) {
	case FM_ARG_STRING:
	case FM_ARG_PATH:
		free(*(char **)dst);
		*(char **)dst = NULL;
		break;
	case FM_ARG_ARGV:
		free(*(char ***)dst);
		*(char ***)dst = NULL;
		break;
	default:
		break;
	}
}

unsigned fm_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[64];

	if (lb >= 64 || la >= 64) {
		return UINT_MAX;
	}
	for (size_t j = 0; j <= lb; j++) {
		row[j] = (unsigned)j;
	}
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned cost = a[i - 1] == b[j - 1] ? 0 : 1;
			unsigned best = diag + cost;
			if (up + 1 < best) {
				best = up + 1;
			}
			if (row[j - 1] + 1 < best) {
				best = row[j - 1] + 1;
			}
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

void fm_suggest_offer(struct fm_suggest *s, const char *name)
{
	unsigned d;

	if (!s->best) {
		s->distance = 3; // farther than two edits is no near miss
	}
	if ((d = fm_edit_distance(s->word, name)) < s->distance) {
		s->distance = d;
		s->best = name;
	}
}
