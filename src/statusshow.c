/*
 * flagman --status: finds the status file of the instance for a
 * configuration file (status.h), checks that the process that wrote it
 * still runs (its pid and its start time), and prints its actions as a
 * table or as one JSON object.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <unistd.h>

#include "log.h"
#include "schema.h"
#include "status.h"

struct shown_action {
	char *name, *type, *signals, *runs, *failures, *last_start,
		*last_duration, *result, *closed, *close_reason;
};

struct shown {
	char *text; /* the file, cut into the values below */
	char *format, *pid, *start_ticks, *started, *config, *reloads,
		*written;
	struct shown_action *v;
	size_t n;
};

#define FIELD(type, f) { #f, offsetof(struct type, f) }

static const struct key {
	const char *name;
	size_t offset;
} instance_keys[] = {
	FIELD(shown, format), FIELD(shown, pid), FIELD(shown, start_ticks),
	FIELD(shown, started), FIELD(shown, config), FIELD(shown, reloads),
	FIELD(shown, written), { NULL, 0 },
}, action_keys[] = {
	FIELD(shown_action, type), FIELD(shown_action, signals),
	FIELD(shown_action, runs), FIELD(shown_action, failures),
	FIELD(shown_action, last_start), FIELD(shown_action, last_duration),
	FIELD(shown_action, result), FIELD(shown_action, closed),
	FIELD(shown_action, close_reason), { NULL, 0 },
};

// Stores value at key's field of base; unknown keys are skipped (a later
// format may add some).
static void store(const struct key *keys, void *base, const char *key,
	char *value)
{
	for (const struct key *k = keys; k->name; k++) {
		if (strcmp(k->name, key) == 0) {
			*(char **)((char *)base + k->offset) = value;
		}
	}
}

// Cuts sh->text into lines and values.  false on no memory.
static bool parse(struct shown *sh)
{
	char *line = sh->text, *next, *eq;

	for (; *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next) {
			*next++ = '\0';
		}
		if (!(eq = strchr(line, '='))) {
			continue;
		}
		*eq = '\0';
		fm_status_unescape(eq + 1);
		if (strcmp(line, "action") == 0) {
			struct shown_action *grown = realloc(sh->v,
				(sh->n + 1) * sizeof(*grown));
			if (!grown) {
				return false;
			}
			sh->v = grown;
			sh->v[sh->n++] = (struct shown_action){ .name = eq + 1 };
		} else if (sh->n) {
			store(action_keys, &sh->v[sh->n - 1], line, eq + 1);
		} else {
			store(instance_keys, sh, line, eq + 1);
		}
	}
	return true;
}

// The whole file at path into a string, or NULL with errno set.
static char *slurp(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), err = ENOMEM;
	size_t len = 0, cap = 0;
	char *buf = NULL, *grown;
	ssize_t n;

	if (fd < 0) {
		return NULL;
	}
	for (;;) {
		if (len + 1 >= cap) {
			if (!(grown = realloc(buf, cap = cap ? cap * 2 : 4096))) {
				break;
			}
			buf = grown;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n == 0) {
			close(fd);
			buf[len] = '\0';
			return buf;
		}
		if (n < 0 && errno != EINTR) {
			err = errno;
			break;
		}
		len += n > 0 ? (size_t)n : 0;
	}
	close(fd);
	free(buf);
	errno = err;
	return NULL;
}

// A decimal number, or false.
static bool number(const char *s, long long *v)
{
	char *end;

	if (!s || !*s || !((*s >= '0' && *s <= '9') || *s == '-')) {
		return false;
	}
	errno = 0;
	*v = strtoll(s, &end, 10);
	return !errno && !*end;
}

// Is the writer of sh still running: its pid alive, with its start time?
static bool alive(const struct shown *sh, long long *pid)
{
	unsigned long long want, got;
	char *end;

	if (!number(sh->pid, pid) || *pid <= 0 || !sh->start_ticks) {
		return false;
	}
	want = strtoull(sh->start_ticks, &end, 10);
	if (*end || (kill((pid_t)*pid, 0) < 0 && errno != EPERM)) {
		return false;
	}
	return fm_status_start_ticks((pid_t)*pid, &got) && got == want;
}

/* ---- text ---- */

// Local time of ms since the epoch, "-" for none.
static const char *local_time(const char *ms, char *buf, size_t size)
{
	long long v;
	struct tm tm;
	time_t t;

	if (!number(ms, &v)) {
		return "-";
	}
	t = (time_t)(v / 1000);
	if (!localtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S",
			&tm)) {
		return "-";
	}
	return buf;
}

enum { COLS = 8, CELL = 512 };

static const char *const heads[COLS] = { "ACTION", "TYPE", "SIGNAL",
	"RUNS", "FAILED", "LAST-RUN", "TOOK", "RESULT" };

// One row of the table, every cell escaped for the terminal.
static void row(const struct shown_action *a, char cells[COLS][CELL])
{
	char buf[CELL];
	const char *res = a->result && *a->result ? a->result : "-";
	long long ms;

	fm_escape(cells[0], CELL, a->name, strlen(a->name));
	fm_escape(cells[1], CELL, a->type ? a->type : "?",
		a->type ? strlen(a->type) : 1);
	snprintf(buf, sizeof(buf), "%s", a->signals ? a->signals : "");
	for (char *p = buf; *p; p++) {
		*p = *p == ' ' ? ',' : *p;
	}
	fm_escape(cells[2], CELL, buf, strlen(buf));
	snprintf(cells[3], CELL, "%s", number(a->runs, &ms) ? a->runs : "?");
	snprintf(cells[4], CELL, "%s", number(a->failures, &ms) ?
		a->failures : "?");
	snprintf(cells[5], CELL, "%s", local_time(a->last_start, buf,
		sizeof(buf)));
	if (number(a->last_duration, &ms) && ms >= 0) {
		fm_duration_text((uint64_t)ms, buf);
	} else {
		snprintf(buf, sizeof(buf), "-");
	}
	snprintf(cells[6], CELL, "%s", buf);
	if (a->closed && strcmp(a->closed, "yes") == 0) {
		snprintf(buf, sizeof(buf), "%s; closed%s%s", res,
			a->close_reason && *a->close_reason ? ": " : "",
			a->close_reason ? a->close_reason : "");
		res = buf;
	}
	fm_escape(cells[7], CELL, res, strlen(res));
}

static void print_row(FILE *out, char cells[COLS][CELL],
	const size_t *width)
{
	for (int c = 0; c < COLS - 1; c++) {
		fprintf(out, "%-*s  ", (int)width[c], cells[c]);
	}
	fprintf(out, "%s\n", cells[COLS - 1]);
}

static bool print_text(const struct shown *sh, FILE *out)
{
	char (*cells)[COLS][CELL] = calloc(sh->n + 1, sizeof(*cells));
	char since[64], config[PATH_MAX];
	size_t width[COLS] = { 0 };
	long long reloads = 0;

	if (!cells) {
		return false;
	}
	for (int c = 0; c < COLS; c++) {
		snprintf(cells[0][c], CELL, "%s", heads[c]);
	}
	for (size_t i = 0; i < sh->n; i++) {
		row(&sh->v[i], cells[i + 1]);
	}
	for (size_t i = 0; i <= sh->n; i++) {
		for (int c = 0; c < COLS; c++) {
			size_t len = strlen(cells[i][c]);
			width[c] = len > width[c] ? len : width[c];
		}
	}
	number(sh->reloads, &reloads);
	fm_escape(config, sizeof(config), sh->config ? sh->config : "",
		sh->config ? strlen(sh->config) : 0);
	fprintf(out, "flagman %s: %s, up since %s, %lld reload%s\n", sh->pid,
		config[0] ? config : "no configuration file",
		local_time(sh->started, since, sizeof(since)), reloads,
		reloads == 1 ? "" : "s");
	for (size_t i = 0; i <= sh->n; i++) {
		print_row(out, cells[i], width);
	}
	free(cells);
	return true;
}

/* ---- JSON ---- */

static void json_string(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			fprintf(out, "\\%c", *p);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(out, "\\u%04x", *p);
		} else {
			fputc(*p, out);
		}
	}
	fputc('"', out);
}

// A number, or null for none (or for what is not one).
static void json_number(FILE *out, const char *s)
{
	long long v;

	if (number(s, &v)) {
		fprintf(out, "%lld", v);
	} else {
		fputs("null", out);
	}
}

// "key":value pairs, each a number (num) or a string, comma-separated.
struct pair {
	const char *key, *value;
	bool num;
};

static void json_pairs(FILE *out, const struct pair *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s\"%s\":", i ? "," : "", p[i].key);
		(p[i].num ? json_number : json_string)(out, p[i].value);
	}
}

// The signals as an array of names: "USR1 USR2" -> ["USR1","USR2"].
static void json_signals(FILE *out, const char *sig)
{
	fputc('[', out);
	for (size_t n; *sig; sig += n + strspn(sig + n, " ")) {
		char one[64];

		n = strcspn(sig, " ");
		snprintf(one, sizeof(one), "%.*s", (int)n, sig);
		json_string(out, one);
		fputs(sig[n + strspn(sig + n, " ")] ? "," : "", out);
	}
	fputc(']', out);
}

static void json_action(FILE *out, const struct shown_action *a)
{
	bool closed = a->closed && strcmp(a->closed, "yes") == 0;
	const struct pair head[] = { { "name", a->name, false },
		{ "type", a->type, false } };
	const struct pair tail[] = { { "runs", a->runs, true },
		{ "failures", a->failures, true },
		{ "last_start_ms", a->last_start, true },
		{ "last_duration_ms", a->last_duration, true },
		{ "result", a->result && *a->result ? a->result : NULL, false } };

	fputc('{', out);
	json_pairs(out, head, 2);
	fputs(",\"signals\":", out);
	json_signals(out, a->signals ? a->signals : "");
	fputc(',', out);
	json_pairs(out, tail, 5);
	fprintf(out, ",\"closed\":%s,\"close_reason\":", closed ? "true" :
		"false");
	json_string(out, closed ? a->close_reason : NULL);
	fputc('}', out);
}

static void print_json(const struct shown *sh, FILE *out)
{
	const struct pair p[] = { { "format", sh->format, true },
		{ "pid", sh->pid, true },
		{ "config", sh->config && *sh->config ? sh->config : NULL, false },
		{ "started_ms", sh->started, true },
		{ "reloads", sh->reloads, true },
		{ "written_ms", sh->written, true } };

	fputc('{', out);
	json_pairs(out, p, 6);
	fputs(",\"actions\":[", out);
	for (size_t i = 0; i < sh->n; i++) {
		fputs(i ? "," : "", out);
		json_action(out, &sh->v[i]);
	}
	fputs("]}\n", out);
}

/* ---- the command ---- */

// Reads and checks the file at path; 0, or 1 with the problem said.
static int load(struct shown *sh, const char *path, const char *config,
	FILE *err)
{
	long long pid = 0;

	if (!(sh->text = slurp(path))) {
		if (errno == ENOENT) {
			fprintf(err, FM_PROGRAM ": no running instance for %s (no "
				"status file %s)\n", config, path);
		} else {
			fprintf(err, FM_PROGRAM ": cannot read %s: %s%s\n", path,
				strerror(errno), errno == EACCES ? " (root and the members "
				"of the adm group may read it)" : "");
		}
		return 1;
	}
	if (!parse(sh)) {
		fprintf(err, FM_PROGRAM ": out of memory\n");
		return 1;
	}
	if (!sh->format || strcmp(sh->format, "1") != 0) {
		fprintf(err, FM_PROGRAM ": %s is not a status file of format %d\n",
			path, FM_STATUS_FORMAT);
		return 1;
	}
	if (!alive(sh, &pid)) {
		fprintf(err, FM_PROGRAM ": no running instance for %s (%s is "
			"stale: process %lld has ended)\n", config, path, pid);
		return 1;
	}
	return 0;
}

/*
 * Where to look: the daemon's own rule (fm_status_dir) and, for a user who
 * is not root and has no RUNTIME_DIRECTORY, /run/flagman too, where the
 * service's file is (a member of adm may read it).  The count, 0 with why.
 */
static size_t where(char dirs[2][PATH_MAX], const char **why)
{
	const char *rt = getenv("RUNTIME_DIRECTORY");
	size_t n = fm_status_dir(dirs[0], why) ? 1 : 0;

	if (geteuid() != 0 && !(rt && rt[0])) {
		snprintf(dirs[n++], PATH_MAX, "/run/flagman");
	}
	return n;
}

int fm_status_show(const char *config, bool json, FILE *out, FILE *err)
{
	char dirs[2][PATH_MAX], abs[PATH_MAX], name[NAME_MAX + 1];
	char path[2 * PATH_MAX + 2], other[2 * PATH_MAX + 2], shown[PATH_MAX];
	struct shown sh = { 0 };
	const char *why = NULL;
	size_t ndirs;
	int status;

	if (!fm_status_name(config, abs, name)) {
		fprintf(err, FM_PROGRAM ": %s: path too long for a status file\n",
			config);
		return 1;
	}
	fm_escape(shown, sizeof(shown), abs, strlen(abs));
	if (!config) {
		snprintf(shown, sizeof(shown), "--no-config");
	}
	if (!(ndirs = where(dirs, &why))) {
		fprintf(err, FM_PROGRAM ": no running instance for %s (no runtime "
			"directory: %s)\n", shown, why);
		return 1;
	}
	// The first directory that holds the file.
	snprintf(path, sizeof(path), "%s/%s", dirs[0], name);
	if (ndirs == 2 && access(path, F_OK) != 0 && errno == ENOENT) {
		snprintf(other, sizeof(other), "%s/%s", dirs[1], name);
		if (access(other, F_OK) != 0 && errno == ENOENT) {
			fprintf(err, FM_PROGRAM ": no running instance for %s (no "
				"status file %s or %s)\n", shown, path, other);
			return 1;
		}
		memcpy(path, other, sizeof(path));
	}
	status = load(&sh, path, shown, err);
	if (status == 0 && json) {
		print_json(&sh, out);
	} else if (status == 0 && !print_text(&sh, out)) {
		fprintf(err, FM_PROGRAM ": out of memory\n");
		status = 1;
	}
	if (status == 0 && (fflush(out) != 0 || ferror(out))) {
		fprintf(err, FM_PROGRAM ": writing the status: %s\n",
			strerror(errno));
		status = 1;
	}
	free(sh.v);
	free(sh.text);
	return status;
}
