/*
 * Reading the INI files with inih.  Our own line reader counts physical lines
 * (so every diagnostic has an exact FILE:LINE) and refuses what Debian's
 * libinih would otherwise take silently: over-long lines it would split,
 * indented lines it would glue to the previous value, junk after a section
 * header, keys split at a colon, NUL bytes.
 */
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flagman.h"

struct seen {
	char *name;
	unsigned line;
};

struct reader {
	FILE *f;
	const char *file; /* interned */
	struct fm_config *cfg;
	struct fm_diag *diag;
	unsigned line;     /* physical line last handed to inih */
	char *buf;
	size_t cap;
	bool in_section;   /* false before the first header */
	struct fm_def *def; /* NULL in [flagman] */
	struct seen *sections; /* headers of this file */
	size_t nsections;
	struct seen *keys; /* keys of the current section in this file */
	size_t nkeys;
	bool oom;
};

static void seen_clear(struct seen **list, size_t *n)
{
	for (size_t i = 0; i < *n; i++) {
		free((*list)[i].name);
	}
	free(*list);
	*list = NULL;
	*n = 0;
}

// Records name in list; returns the earlier line if it was there already.
static unsigned seen_add(struct reader *r, struct seen **list, size_t *n,
	const char *name)
{
	struct seen *grown;

	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*list)[i].name, name) == 0) {
			return (*list)[i].line;
		}
	}
	grown = realloc(*list, (*n + 1) * sizeof(*grown));
	if (!grown || !(grown[*n].name = strdup(name))) {
		if (grown) {
			*list = grown;
		}
		r->oom = true;
		return 0;
	}
	*list = grown;
	grown[(*n)++].line = r->line;
	return 0;
}

static void error(struct reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void error(struct reader *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->in_section) {
		fm_diag_error(r->diag, r->file, r->line, "[%s]: %s",
			r->def ? r->def->name : "flagman", msg);
	} else {
		fm_diag_error(r->diag, r->file, r->line, "%s", msg);
	}
}

static bool is_comment_or_blank(const char *p)
{
	p += strspn(p, " \t\r");
	return *p == '\0' || *p == '\n' || *p == ';' || *p == '#';
}

static void open_section(struct reader *r, const char *start)
{
	const char *end = strchr(start, ']');
	char name[FM_MAX_LINE];
	unsigned first;
	size_t len;

	if (!end) {
		error(r, "expected ']' to close the section header");
		return;
	}
	if (!is_comment_or_blank(end + 1)) {
		error(r, "unexpected text after the section header");
	}
	len = (size_t)(end - start - 1);
	memcpy(name, start + 1, len);
	name[len] = '\0';
	r->in_section = false;
	if (len == 0 || strspn(name, " \t") > 0 || name[len - 1] == ' ' ||
			name[len - 1] == '\t') {
		error(r, "invalid section name '[%s]'", name);
	}
	if ((first = seen_add(r, &r->sections, &r->nsections, name))) {
		error(r, "duplicate section [%s] (first at line %u)", name, first);
	}
	seen_clear(&r->keys, &r->nkeys);
	r->in_section = true;
	r->def = NULL;
	if (strcmp(name, "flagman") != 0 &&
			!(r->def = fm_config_def(r->cfg, name, r->file, r->line))) {
		r->oom = true;
	}
}

// Checks a physical line; false if inih must not see it.
static bool check_line(struct reader *r, const char *line, size_t len)
{
	const char *start = line + strspn(line, " \t");
	size_t key_end;

	if (memchr(line, '\0', len)) {
		error(r, "NUL byte in line");
		return false;
	}
	if (len > FM_MAX_LINE - 2) {
		error(r, "line is %zu characters long, more than the %d allowed",
			len, FM_MAX_LINE - 2);
		return false;
	}
	if (r->line == 1 && strncmp(start, "\xEF\xBB\xBF", 3) == 0) {
		start += 3;
	}
	if (is_comment_or_blank(start)) {
		return true;
	}
	if (start != line) {
		error(r, "indented line (it would continue the previous value); "
			"remove the indentation");
		return false;
	}
	if (*start == '[') {
		open_section(r, start);
		return true;
	}
	key_end = strcspn(start, "=:");
	if (start[key_end] != '=') {
		error(r, "expected 'key = value'");
		return false;
	}
	if (!r->in_section) {
		error(r, "key outside a section (put it under [flagman] or an "
			"action's [name])");
		return false;
	}
	return true;
}

static char *read_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	ssize_t n = getline(&r->buf, &r->cap, r->f);
	size_t len;

	(void)num;
	if (n < 0) {
		return NULL;
	}
	r->line++;
	len = (size_t)n;
	if (len > 0 && r->buf[len - 1] == '\n') {
		len--;
	}
	if (!check_line(r, r->buf, len)) {
		strcpy(str, "\n"); // keeps inih in step, line-wise
		return str;
	}
	memcpy(str, r->buf, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	return str;
}

static int handle(void *user, const char *section, const char *key,
	const char *value)
{
	struct reader *r = user;
	unsigned first;

	(void)section; // the reader knows it, untrimmed names included
	if (!r->in_section) {
		return 1;
	}
	if ((first = seen_add(r, &r->keys, &r->nkeys, key))) {
		error(r, "duplicate key '%s' (first at line %u)", key, first);
		return 1;
	}
	if (!fm_config_set(r->cfg, r->def, key, value, r->file, r->line)) {
		r->oom = true;
	}
	return 1;
}

bool fm_config_read_file(struct fm_config *cfg, const char *path, FILE *f,
	struct fm_diag *diag)
{
	struct reader r = { .f = f, .cfg = cfg, .diag = diag };
	unsigned before = diag->errors;

	if (!(r.file = fm_config_file(cfg, path))) {
		fm_diag_error(diag, path, 0, "out of memory");
		return false;
	}
	// inih's own errors are lines our reader already reported or blanked.
	ini_parse_stream(read_line, &r, handle, &r);
	if (ferror(f)) {
		fm_diag_error(diag, path, 0, "read error: %s", strerror(errno));
	}
	if (r.oom) {
		fm_diag_error(diag, path, 0, "out of memory");
	}
	free(r.buf);
	seen_clear(&r.sections, &r.nsections);
	seen_clear(&r.keys, &r.nkeys);
	return diag->errors == before;
}

// As root, a file anyone else can change would hand them root.
bool fm_secure(const char *path, const struct stat *st, struct fm_diag *diag)
{
	if (geteuid() != 0 || (st->st_uid == 0 && !(st->st_mode & 022))) {
		return true;
	}
	fm_diag_error(diag, path, 0, "refusing %s: owned by uid %u with mode %04o "
		"(must be owned by root and not writable by group or others)",
		S_ISDIR(st->st_mode) ? "directory" : "file", (unsigned)st->st_uid,
		(unsigned)(st->st_mode & 07777));
	return false;
}

static bool read_path(struct fm_config *cfg, const char *path, bool required,
	struct fm_diag *diag)
{
	struct stat st;
	FILE *f;
	bool ok;

	if (!(f = fopen(path, "re"))) {
		if (errno == ENOENT && !required) {
			return true;
		}
		fm_diag_error(diag, path, 0, "cannot open: %s", strerror(errno));
		return false;
	}
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		fm_diag_error(diag, path, 0, "not a regular file");
		fclose(f);
		return false;
	}
	if (!fm_secure(path, &st, diag)) {
		fclose(f);
		return false;
	}
	ok = fm_config_read_file(cfg, path, f, diag);
	fclose(f);
	return ok;
}

static int conf_entry(const struct dirent *e)
{
	size_t len = strlen(e->d_name);

	return e->d_name[0] != '.' && len > 5 &&
		strcmp(e->d_name + len - 5, ".conf") == 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

// A drop-in that is a symlink to /dev/null is masked.
static bool masked(const char *path)
{
	char target[16];
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	if (n < 0) {
		return false;
	}
	target[n] = '\0';
	return strcmp(target, "/dev/null") == 0;
}

static bool read_dropins(struct fm_config *cfg, const char *dir,
	struct fm_diag *diag)
{
	struct dirent **list = NULL;
	struct stat st;
	bool ok = true;
	int n;

	if (stat(dir, &st) < 0) {
		if (errno == ENOENT) {
			return true;
		}
		fm_diag_error(diag, dir, 0, "cannot open: %s", strerror(errno));
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		fm_diag_error(diag, dir, 0, "not a directory");
		return false;
	}
	if (!fm_secure(dir, &st, diag)) {
		return false;
	}
	if ((n = scandir(dir, &list, conf_entry, by_name)) < 0) {
		fm_diag_error(diag, dir, 0, "cannot read: %s", strerror(errno));
		return false;
	}
	for (int i = 0; i < n; i++) {
		char *path;
		if (asprintf(&path, "%s/%s", dir, list[i]->d_name) < 0) {
			fm_diag_error(diag, dir, 0, "out of memory");
			ok = false;
		} else {
			if (masked(path)) {
				fm_log(FM_LOG_DEBUG, NULL, NULL, "%s is masked", path);
			} else {
				ok = read_path(cfg, path, true, diag) && ok;
			}
			free(path);
		}
		free(list[i]);
	}
	free(list);
	return ok;
}

bool fm_config_read(struct fm_config *cfg, const char *path, bool required,
	struct fm_diag *diag)
{
	size_t len = strlen(path);
	char *dir;
	bool ok;

	ok = read_path(cfg, path, required, diag);
	if (len > 5 && strcmp(path + len - 5, ".conf") == 0) {
		len -= 5;
	}
	if (asprintf(&dir, "%.*s.d", (int)len, path) < 0) {
		fm_diag_error(diag, path, 0, "out of memory");
		return false;
	}
	ok = read_dropins(cfg, dir, diag) && ok;
	free(dir);
	return ok;
}
