/*
 * Reading the INI files with inih.  Our own line reader counts physical lines
 * (so every diagnostic has an exact FILE:LINE), holds at most one physical
 * line of FM_MAX_LINE bytes and one joined value (RAW_MAX), and refuses what
 * Debian's libinih would otherwise take silently: over-long lines it would
 * split, junk after a section header, keys split at a colon, NUL bytes.  It
 * joins continuation lines and decodes quoted values itself: inih sees
 * "key=" and the handler takes the value from the reader.  Problems go to
 * the diagnostics, placed by file and line (src/diag.h).  confpaths.c
 * finds and opens the files.
 */
#include <ini.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#include "conffile.h"
#include "config.h"
#include "diag.h"
#include "pacing.h"

// How far past the limit a long line is skipped to find the next one.
#define SKIP_MAX (64 * 1024)

/*
 * A value is at most FM_MAX_VALUE characters once decoded; written as
 * $'...' it may take four characters for one (\xHH), and a backslash and a
 * blank at each line break.
 */
#define RAW_MAX (5 * FM_MAX_VALUE)
#define STR(n) XSTR(n)
#define XSTR(n) #n

enum { LINE_EOF, LINE_OK, LINE_BAD };

struct reader {
	FILE *f;
	const char *file; /* interned */
	struct fm_config *cfg;
	struct fm_diag *diag;
	bool failed;       /* a problem was found in this file */
	unsigned line;     /* first physical line of what was last handed on */
	unsigned phys;     /* physical lines read */
	bool eof;          /* at the end, or the rest is not read */
	bool held;         /* buf holds a line read ahead, not yet handled */
	int held_status;
	size_t held_len;
	bool in_section;   /* false before the first header */
	bool skipping;     /* after a bad header: its keys are not recorded */
	struct fm_def *def; /* NULL in [flagman] */
	unsigned flagman_line; /* of [flagman] in this file, 0 before it */
	bool value_bad;    /* the value below was reported; do not parse it */
	char key[FM_MAX_LINE]; /* whose value it is; "" for one not recorded */
	size_t value_len;
	char buf[FM_MAX_LINE + 1];    /* one physical line */
	char value[RAW_MAX + 1]; /* the joined, decoded value of a key */
};

// A problem at physical line (line), or at what was last handed on.
#define error_at(r, line, ...) ((r)->failed = true, \
	fm_config_error((r)->cfg, (r)->diag, (r)->file, (line), __VA_ARGS__))
#define error(r, ...) error_at(r, (r)->line, __VA_ARGS__)

static void reader_oom(struct reader *r)
{
	r->failed = true;
	fm_diag_oom(r->diag);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_comment_or_blank(const char *p)
{
	p += strspn(p, " \t\r");
	return *p == '\0' || *p == '\n' || *p == ';' || *p == '#';
}

// A header that cannot be used: its keys are skipped, not misfiled.
static void bad_header(struct reader *r)
{
	r->in_section = false;
	r->skipping = true;
	r->def = NULL;
}

static void open_section(struct reader *r, const char *start)
{
	const char *end = strchr(start, ']');
	char name[FM_MAX_LINE], canon[FM_PACE_NAME_MAX], why[FM_MAX_LINE + 64];
	struct fm_def *def;
	unsigned first;
	int kind, signo = 0;
	size_t len;

	if (!end) {
		error(r, "expected ']' to close the section header");
		bad_header(r);
		return;
	}
	len = (size_t)(end - start - 1);
	memcpy(name, start + 1, len);
	name[len] = '\0';
	if (!is_comment_or_blank(end + 1)) {
		error(r, "unexpected text after the section header [%s]", name);
	}
	if (len == 0 || strchr(" \t", name[0]) || strchr(" \t", name[len - 1])) {
		error(r, "invalid section name '%s' (empty, or blanks around it)",
			name);
		bad_header(r);
		return;
	}
	/*
	 * A section may be opened once per file (drop-ins add to it): the
	 * reader notes where [flagman] was, each definition where it was
	 * last opened.  A definition is made only for a name not seen yet.
	 */
	def = NULL;
	if ((kind = fm_pace_section(name, &signo, canon, why, sizeof(why))) < 0) {
		error(r, "[%s]: %s", name, why);
		bad_header(r);
		return;
	}
	if (strcmp(name, "flagman") == 0) {
		first = r->flagman_line;
	} else if ((def = fm_config_def(r->cfg, kind ? canon : name, r->file,
			r->line))) {
		def->signo = signo;
		first = def->last_file == r->file ? def->last_line : 0;
	} else {
		reader_oom(r);
		bad_header(r);
		return;
	}
	if (first) {
		error(r, "duplicate section [%s] (first at line %u)", name, first);
		bad_header(r);
		return;
	}
	r->in_section = true;
	r->skipping = false;
	r->def = def;
	if (def) {
		def->last_file = r->file;
		def->last_line = r->line;
	} else {
		r->flagman_line = r->line;
	}
}

// A "key = value" line; false if its key is not to be recorded.
static bool check_key_line(struct reader *r, const char *start)
{
	size_t key_end = strcspn(start, "=:");

	if (start[key_end] == ':') {
		error(r, "':' in a key (write 'key = value')");
		return false;
	}
	if (start[key_end] != '=') {
		error(r, "expected 'key = value', a [section] or a comment");
		return false;
	}
	if (key_end == strspn(start, " \t")) {
		error(r, "missing key before '='");
		return false;
	}
	for (size_t i = 1; i < key_end; i++) {
		if (start[i] == ';' && is_blank(start[i - 1])) {
			error(r, "expected 'key = value', a [section] or a comment");
			return false; // inih would take the rest for a comment
		}
	}
	if (r->skipping) {
		return false;
	}
	if (!r->in_section) {
		error(r, "key outside a section (put it under [flagman] or an "
			"action's [name])");
		return false;
	}
	return true;
}

// Skips the rest of a line longer than the limit, as far as SKIP_MAX;
// says how long it was unless an earlier problem of it was reported.
static int skip_long_line(struct reader *r, size_t len, bool reported)
{
	int c = 0, prev = 0;

	while (len < SKIP_MAX && (c = getc_unlocked(r->f)) != EOF && c != '\n') {
		prev = c;
		len++;
	}
	if ((c == '\n' || c == EOF) && reported) {
		r->eof = c == EOF;
	} else if (c == '\n' || c == EOF) {
		len -= prev == '\r' && c == '\n';
		error_at(r, r->phys, "line is %zu characters "
			"long; at most %d are allowed", len, FM_MAX_LINE - 2);
		r->eof = c == EOF;
	} else {
		error_at(r, r->phys, "line is longer than %d "
			"characters (at most %d are allowed); the rest of the file is "
			"not read", SKIP_MAX, FM_MAX_LINE - 2);
		r->eof = true;
	}
	return LINE_BAD;
}

/*
 * Reads the next physical line into buf, without its newline (nor the CR
 * of a CR LF), as a string; never more than FM_MAX_LINE bytes of it.
 * LINE_BAD for a line already reported (NUL byte, too long).
 */
static int read_physical(struct reader *r, size_t *len)
{
	size_t n = 0;
	int c = 0;

	if (r->held) {
		r->held = false;
		*len = r->held_len;
		return r->held_status;
	}
	while (!r->eof && n < FM_MAX_LINE &&
			(c = getc_unlocked(r->f)) != EOF && c != '\n') {
		r->buf[n++] = (char)c;
	}
	if (r->eof || (n == 0 && c == EOF)) {
		r->eof = true;
		return LINE_EOF;
	}
	r->phys++;
	r->eof = c == EOF;
	*len = n;
	r->buf[n] = '\0';
	if (memchr(r->buf, '\0', n)) {
		error_at(r, r->phys, "NUL byte in the line");
		if (n == FM_MAX_LINE && c != '\n' && c != EOF) {
			return skip_long_line(r, n, true); // a sparse file, say
		}
		return LINE_BAD;
	}
	if (n == FM_MAX_LINE && c != '\n' && c != EOF) {
		return skip_long_line(r, n, false);
	}
	if (n > 0 && r->buf[n - 1] == '\r') {
		r->buf[--n] = '\0'; // the CR of CR LF is no part of the value
	}
	if (n + 2 > FM_MAX_LINE) {
		error_at(r, r->phys, "line is %zu characters "
			"long; at most %d are allowed", n, FM_MAX_LINE - 2);
		return LINE_BAD;
	}
	if (r->phys == 1 && strncmp(r->buf, "\xEF\xBB\xBF", 3) == 0) {
		memmove(r->buf, r->buf + 3, n - 2); // a byte order mark
		n -= 3;
	}
	*len = n;
	return LINE_OK;
}

// The line just read is handled by the next call, not this one.
static void hold(struct reader *r, int status, size_t len)
{
	r->held = true;
	r->held_status = status;
	r->held_len = len;
}

// A problem with the value of r->key, unless that key is not recorded.
static void value_error(struct reader *r, const char *what)
{
	if (r->key[0] && !r->value_bad) {
		error(r, "[%s]: %s the value of '%s'", r->def ? r->def->name :
			"flagman", what, r->key);
	}
	r->value_bad = true;
}

// Where a quoted value stands at the end of a physical line.
struct quote {
	bool quoted;  /* the value began with $' */
	bool open;    /* inside $'...' */
	bool escape;  /* after a backslash in it */
};

/*
 * Appends one physical line's part of a value: from text up to an inline
 * comment (';' after a blank, outside $'...'), without the blanks around
 * it, joined to what came before with one space.  after_blank says whether
 * text follows a blank, as a comment right after '=' is not one for inih.
 */
static void add_segment(struct reader *r, const char *text, bool after_blank,
	struct quote *q)
{
	const char *start = text + strspn(text, " \t"), *p = start, *end;
	bool was_blank = after_blank || start > text;
	size_t n;

	if (r->value_len == 0 && !q->quoted && strncmp(start, "$'", 2) == 0) {
		q->quoted = q->open = true;
		p += 2;
	}
	for (; *p; p++) {
		if (q->open) {
			q->open = q->escape || *p != '\'';
			q->escape = !q->escape && *p == '\\';
		} else if (*p == ';' && was_blank) {
			break;
		}
		was_blank = is_blank(*p);
	}
	q->escape = false; // a backslash at the end of a line takes the join
	for (end = p; end > start && is_blank(end[-1]); end--) {
		continue;
	}
	n = (size_t)(end - start);
	if (n == 0 || r->value_bad) {
		return;
	}
	if (r->value_len + (r->value_len > 0) + n > RAW_MAX) {
		value_error(r, "more than " STR(FM_MAX_VALUE) " characters in");
		return;
	}
	if (r->value_len > 0) {
		r->value[r->value_len++] = ' ';
	}
	memcpy(r->value + r->value_len, start, n);
	r->value_len += n;
	r->value[r->value_len] = '\0';
}

static int hex_digit(char c)
{
	const char *digits = "0123456789abcdef", *at;

	at = c ? strchr(digits, c | 0x20) : NULL;
	return at ? (int)(at - digits) : -1;
}

// One escape of a quoted value at *p (after the backslash); -1 if bad.
static int unescape(const char **p)
{
	static const char plain[] = "\\\\''\"\"n\nt\tr\r";
	char c = *(*p)++;
	int hi, lo;

	for (size_t i = 0; c && i < sizeof(plain) - 1; i += 2) {
		if (plain[i] == c) {
			return (unsigned char)plain[i + 1];
		}
	}
	if (c == 'x' && (hi = hex_digit((*p)[0])) >= 0 &&
			(lo = hex_digit((*p)[1])) >= 0 && (hi || lo)) {
		*p += 2;
		return hi * 16 + lo;
	}
	return -1;
}

// Decodes the $'...' value in place; false (reported) if it is malformed.
static bool unquote(struct reader *r)
{
	const char *p = r->value + 2;
	char *out = r->value;
	int c;

	while ((c = (unsigned char)*p++) != '\'') {
		if (c == '\0' || (c == '\\' && *p == '\0')) {
			value_error(r, "no closing quote ending $'... in");
			return false;
		}
		if (c == '\\' && is_blank(*p)) {
			p += strspn(p, " \t"); // a backslash that ended a line
			continue;
		}
		if (c == '\\' && (c = unescape(&p)) < 0) {
			value_error(r, "an escape other than \\\\, \\', \\\", \\n, "
				"\\t, \\r or \\xHH (not \\x00) in");
			return false;
		}
		*out++ = (char)c;
	}
	if (*p) {
		value_error(r, "text after the closing quote of");
		return false;
	}
	*out = '\0';
	r->value_len = (size_t)(out - r->value);
	return true;
}

// Reads the value of the key line in buf, and its continuation lines.
static void read_value(struct reader *r, const char *after_eq)
{
	struct quote q = { 0 };
	size_t len;
	int st;

	r->value_len = 0;
	r->value[0] = '\0';
	r->value_bad = false;
	add_segment(r, after_eq, false, &q);
	while ((st = read_physical(r, &len)) != LINE_EOF) {
		if (!is_blank(r->buf[0]) ||
				(st == LINE_OK && is_comment_or_blank(r->buf))) {
			hold(r, st, len);
			break;
		}
		if (st == LINE_BAD) {
			r->value_bad = true;
		} else {
			add_segment(r, r->buf, true, &q);
		}
	}
	if (q.quoted && !r->value_bad) {
		r->value_bad = !unquote(r);
	}
	if (!r->value_bad && r->value_len > FM_MAX_VALUE) {
		value_error(r, "more than " STR(FM_MAX_VALUE) " characters in");
	}
}

// Copies len bytes of text and then tail into out (size bytes), cut to
// fit: the reader's lines are short, and snprintf cost a fifth of --check.
static void put_text(char *out, size_t size, const char *text, size_t len,
	const char *tail)
{
	size_t tlen = strlen(tail);

	if (len + tlen >= size) {
		len = size - 1 > tlen ? size - 1 - tlen : 0;
		tlen = size - 1 - len < tlen ? size - 1 - len : tlen;
	}
	memcpy(out, text, len);
	memcpy(out + len, tail, tlen);
	out[len + tlen] = '\0';
}

/*
 * inih's reader: hands on one logical line.  A key line goes as "key=",
 * its value (continuation lines joined) waits in r->value for handle().
 */
static char *read_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	size_t len, key_len;
	int st = read_physical(r, &len);

	if (st == LINE_EOF) {
		return NULL;
	}
	r->line = r->phys;
	strcpy(str, "\n"); // a line inih must not see: it stays in step
	if (st == LINE_BAD || is_comment_or_blank(r->buf)) {
		return str;
	}
	if (is_blank(r->buf[0])) {
		error(r, "indented line, but no value to continue (a value "
			"continues on the lines right after its key)");
	} else if (r->buf[0] == '[') {
		open_section(r, r->buf);
		put_text(str, (size_t)num, r->buf, len, "\n");
	} else if (!check_key_line(r, r->buf)) {
		r->key[0] = '\0';
		read_value(r, ""); // its continuation lines go with it
	} else {
		// The key goes first: reading the value reads the next line.
		key_len = strcspn(r->buf, "=");
		put_text(str, (size_t)num, r->buf, key_len, "=\n");
		while (key_len > 0 && is_blank(r->buf[key_len - 1])) {
			key_len--;
		}
		put_text(r->key, sizeof(r->key), r->buf, key_len, "");
		read_value(r, r->buf + strcspn(r->buf, "=") + 1);
	}
	return str;
}

static int handle(void *user, const char *section, const char *key,
	const char *value)
{
	struct reader *r = user;
	struct fm_setting *earlier;

	(void)section; // the reader tracks it: inih's can lag behind a bad header
	(void)value;   // the reader's: joined and decoded
	if (!r->in_section) {
		return 1;
	}
	// The section is open once in this file: a key set from this file
	// was set in this section, above.
	earlier = fm_config_get(r->cfg, r->def, key);
	if (earlier && earlier->file == r->file) {
		error(r, "[%s]: duplicate key '%s' (first at line %u)",
			r->def ? r->def->name : "flagman", key, earlier->line);
		return 1;
	}
	if (!fm_config_put(r->cfg, r->def, earlier, key, r->value, r->file,
			r->line)) {
		reader_oom(r);
	} else if (r->value_bad) {
		fm_config_get(r->cfg, r->def, key)->bad = true;
	}
	return 1;
}

bool fm_config_read_file(struct fm_config *cfg, const char *path, FILE *f,
	struct fm_diag *diag)
{
	struct reader *r = calloc(1, sizeof(*r));
	bool ok;

	if (!r || !(r->file = fm_config_file(cfg, path))) {
		free(r);
		fm_diag_oom(diag);
		return false;
	}
	r->f = f;
	r->cfg = cfg;
	r->diag = diag;
	// Only this thread reads f: getc need not lock it for every byte.
	__fsetlocking(f, FSETLOCKING_BYCALLER);
	// inih's own errors are lines our reader already reported or blanked.
	ini_parse_stream(read_line, r, handle, r);
	if (ferror(f)) {
		error_at(r, 0, "read error");
	}
	ok = !r->failed;
	free(r);
	return ok;
}
