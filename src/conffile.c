/*
 * Reading the INI files with inih.  Our own line reader counts physical lines
 * (so every diagnostic has an exact FILE:LINE) and refuses what Debian's
 * libinih would otherwise take silently: over-long lines it would split,
 * indented lines it would glue to the previous value, junk after a section
 * header, keys split at a colon, NUL bytes.  Problems are held in the
 * configuration and written, sorted, by fm_config_finish().
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flagman.h"
#include "safepath.h"

struct reader {
	FILE *f;
	const char *file; /* interned */
	struct fm_config *cfg;
	unsigned line;     /* physical line last handed to inih */
	char *buf;
	size_t cap;
	bool in_section;   /* false before the first header */
	bool skipping;     /* after a bad header: its keys are not recorded */
	struct fm_def *def; /* NULL in [flagman] */
	unsigned flagman_line; /* of [flagman] in this file, 0 before it */
};

#define error(r, ...) fm_config_error((r)->cfg, (r)->file, (r)->line, \
	__VA_ARGS__)

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
	char name[FM_MAX_LINE];
	struct fm_def *def;
	unsigned first;
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
	if (strcmp(name, "flagman") == 0) {
		first = r->flagman_line;
	} else if ((def = fm_config_def(r->cfg, name, r->file, r->line))) {
		first = def->last_file == r->file ? def->last_line : 0;
	} else {
		r->cfg->oom = true;
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

// A "key = value" line; false if inih must not see it.
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

// Checks a physical line; false if inih must not see it.
static bool check_line(struct reader *r, const char *line, size_t len,
	size_t max)
{
	const char *start = line;

	if (memchr(line, '\0', len)) {
		error(r, "NUL byte in the line");
		return false;
	}
	if (len + 2 > max) {
		error(r, "line is %zu characters long; at most %zu are allowed",
			len, max - 2);
		return false;
	}
	if (r->line == 1 && strncmp(start, "\xEF\xBB\xBF", 3) == 0) {
		start += 3; // a UTF-8 byte order mark, which inih skips too
	}
	if (is_comment_or_blank(start)) {
		return true;
	}
	if (strchr(" \t", *start)) {
		error(r, "indented line (it would continue the previous value); "
			"remove the indentation");
		return false;
	}
	if (*start == '[') {
		open_section(r, start);
		return true;
	}
	return check_key_line(r, start);
}

static char *read_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	ssize_t n = getline(&r->buf, &r->cap, r->f);
	size_t len, max = num < FM_MAX_LINE ? (size_t)num : FM_MAX_LINE;

	if (n < 0) {
		return NULL;
	}
	r->line++;
	len = (size_t)n;
	if (len > 0 && r->buf[len - 1] == '\n') {
		len--;
	}
	if (len > 0 && r->buf[len - 1] == '\r') {
		len--; // CR LF files: the CR is no part of the value, nor of the limit
	}
	if (!check_line(r, r->buf, len, max)) {
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
	struct fm_setting *earlier;

	(void)section; // the reader tracks it: inih's can lag behind a bad header
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
	if (!fm_config_put(r->cfg, r->def, earlier, key, value, r->file,
			r->line)) {
		r->cfg->oom = true;
	}
	return 1;
}

bool fm_config_read_file(struct fm_config *cfg, const char *path, FILE *f,
	struct fm_diag *diag)
{
	struct reader r = { .f = f, .cfg = cfg };
	size_t before = cfg->nnotes;

	(void)diag; // problems are held in cfg, in order, until finish
	if (!(r.file = fm_config_file(cfg, path))) {
		cfg->oom = true;
		return false;
	}
	// Only this thread reads f: getline need not lock it for every line.
	__fsetlocking(f, FSETLOCKING_BYCALLER);
	// inih's own errors are lines our reader already reported or blanked.
	ini_parse_stream(read_line, &r, handle, &r);
	if (ferror(f)) {
		fm_config_error(cfg, r.file, 0, "read error");
	}
	free(r.buf);
	return cfg->nnotes == before && !cfg->oom;
}

// As root, a file anyone else can change would hand them root.
bool fm_secure(const char *path, const struct stat *st, struct fm_diag *diag)
{
	char err[2 * PATH_MAX + 128];

	if (fm_safe_trusted(NULL, st, path, err, sizeof(err))) {
		return true;
	}
	fm_diag_error(diag, path, 0, "%s", err);
	return false;
}

/*
 * Checks what was opened, fd (s->name in the directory the walk checked):
 * a regular file, and as root one that only root can change or replace.
 */
static FILE *check_file(struct fm_config *cfg, const char *file, int fd,
	const struct fm_safe *s)
{
	char err[2 * PATH_MAX + 128];
	struct stat st;
	FILE *f;

	if (fstat(fd, &st) < 0) {
		fm_config_error(cfg, file, 0, "cannot read: %s", strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		fm_config_error(cfg, file, 0, "not a regular file%s",
			S_ISDIR(st.st_mode) ? " (a directory)" : "");
	} else if (!fm_safe_trusted(s, &st, file, err, sizeof(err))) {
		fm_config_error(cfg, file, 0, "%s", err);
	} else if (!(f = fdopen(fd, "r"))) {
		cfg->oom = true;
	} else {
		return f;
	}
	close(fd);
	return NULL;
}

/*
 * Opens path through the safe-path walk (src/safepath.c), with flags, the
 * final component relative to the directory that was checked: a
 * descriptor, or a negative errno (-EPERM: a refusal described in err).
 */
static int open_walked(const char *path, int flags, struct fm_safe *s,
	char *err, size_t errlen)
{
	int r = fm_safe_walk(path, true, s, err, errlen), fd;

	if (r < 0) {
		return r;
	}
	// O_NONBLOCK: a FIFO or a device must not hang the daemon here.
	fd = openat(s->dirfd, s->name, flags | O_CLOEXEC | O_NOCTTY |
		O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0) {
		r = -errno;
		fm_safe_finish(s);
		return r;
	}
	return fd;
}

// The message for a failed open_walked.
static void open_failed(struct fm_config *cfg, const char *file, int r,
	const char *err, const char *kind)
{
	if (r == -EPERM && *err) {
		fm_config_error(cfg, file, 0, "refusing %s: %s", kind, err);
	} else {
		fm_config_error(cfg, file, 0, "cannot open: %s", strerror(-r));
	}
	cfg->incomplete = true;
}

static bool read_path(struct fm_config *cfg, const char *path, bool required,
	struct fm_diag *diag)
{
	char err[2 * PATH_MAX + 128] = "";
	struct fm_safe s;
	int fd = open_walked(path, O_RDONLY, &s, err, sizeof(err));
	const char *file;
	FILE *f;
	bool ok;

	if (fd == -ENOENT && !required) {
		return true;
	}
	if (!(file = fm_config_file(cfg, path))) {
		cfg->oom = true;
		if (fd >= 0) {
			close(fd);
			fm_safe_finish(&s);
		}
		return false;
	}
	if (fd < 0) {
		open_failed(cfg, file, fd, err, "file");
		return false;
	}
	f = check_file(cfg, file, fd, &s);
	fm_safe_finish(&s);
	if (!f) {
		cfg->incomplete = true;
		return false;
	}
	ok = fm_config_read_file(cfg, file, f, diag);
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
static bool masked(int dirfd, const char *name)
{
	char target[16];
	ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);

	if (n < 0) {
		return false;
	}
	target[n] = '\0';
	return strcmp(target, "/dev/null") == 0;
}

/*
 * The directory itself: a descriptor of it, -ENOENT if there is none (that
 * is fine), or -1 after reporting why it cannot be used: as root, only a
 * directory that root alone can change or replace is read.
 */
static int dropin_dir_open(struct fm_config *cfg, const char *dir)
{
	char err[2 * PATH_MAX + 128] = "";
	struct fm_safe s;
	int fd = open_walked(dir, O_RDONLY | O_DIRECTORY, &s, err, sizeof(err));
	const char *file;
	struct stat st;

	if (fd == -ENOENT || (fd < 0 && stat(dir, &st) < 0 && errno == ENOENT)) {
		return -ENOENT; // most systems have none: that needs no descriptor
	}
	if (!(file = fm_config_file(cfg, dir))) {
		cfg->oom = true;
	} else if (fd == -ENOTDIR) {
		fm_config_error(cfg, file, 0, "not a directory");
		cfg->incomplete = true;
	} else if (fd < 0) {
		open_failed(cfg, file, fd, err, "directory");
	} else if (fstat(fd, &st) < 0) {
		open_failed(cfg, file, -errno, err, "directory");
	} else if (!fm_safe_trusted(&s, &st, file, err, sizeof(err))) {
		fm_config_error(cfg, file, 0, "%s", err);
		cfg->incomplete = true;
	} else {
		fm_safe_finish(&s);
		return fd;
	}
	if (fd >= 0) {
		close(fd);
		fm_safe_finish(&s);
	}
	return -1;
}

static bool read_dropins(struct fm_config *cfg, const char *dir,
	struct fm_diag *diag)
{
	struct dirent **list = NULL;
	int n, fd = dropin_dir_open(cfg, dir);
	bool ok = true;

	if (fd < 0) {
		return fd == -ENOENT;
	}
	if ((n = scandirat(fd, ".", &list, conf_entry, by_name)) < 0) {
		fm_config_error(cfg, fm_config_file(cfg, dir), 0, "cannot read: %s",
			strerror(errno));
		cfg->incomplete = true;
		close(fd);
		return false;
	}
	for (int i = 0; i < n; i++) {
		char *path;
		if (asprintf(&path, "%s/%s", dir, list[i]->d_name) < 0) {
			cfg->oom = true;
			ok = false;
		} else {
			if (masked(fd, list[i]->d_name)) {
				fm_log(FM_LOG_DEBUG, NULL, NULL, "%s is masked", path);
			} else {
				ok = read_path(cfg, path, true, diag) && ok;
			}
			free(path);
		}
		free(list[i]);
	}
	free(list);
	close(fd);
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
		cfg->oom = true;
		return false;
	}
	ok = read_dropins(cfg, dir, diag) && ok;
	free(dir);
	return ok;
}
