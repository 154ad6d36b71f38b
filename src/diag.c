/*
 * Diagnostics: problems are collected with their place and severity, then
 * sorted and written once, to a stream or to the log (see diag.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "log.h"

struct fm_problem {
	char *file;    /* a copy, or NULL: the program itself */
	unsigned line;
	enum fm_severity severity;
	size_t order;  /* FM_DIAG_UNPLACED, or the place's rank */
	size_t seq;    /* keeps equal places in the order they were found */
	const char *text; /* owned but for nth()'s "out of memory" */
};

static const char *const severity_names[] = {
	[FM_DIAG_ERROR] = "error",
	[FM_DIAG_WARNING] = "warning",
};

static const int severity_levels[] = {
	[FM_DIAG_ERROR] = FM_LOG_ERROR,
	[FM_DIAG_WARNING] = FM_LOG_WARNING,
};

void fm_diag_oom(struct fm_diag *diag)
{
	diag->oom = true;
	diag->errors++;
}

bool fm_diag_ok(const struct fm_diag *diag)
{
	return diag->errors == 0;
}

static void add(struct fm_diag *diag, enum fm_severity severity,
	size_t order, const char *file, unsigned line, const char *fmt,
	va_list ap) __attribute__((format(printf, 6, 0)));

static void add(struct fm_diag *diag, enum fm_severity severity,
	size_t order, const char *file, unsigned line, const char *fmt,
	va_list ap)
{
	struct fm_problem *grown, *p;
	char *text = NULL, *copy = NULL;

	if (vasprintf(&text, fmt, ap) < 0 || (file && !(copy = strdup(file)))) {
		goto fail;
	}
	grown = reallocarray(diag->problems, diag->n + 1, sizeof(*grown));
	if (!grown) {
		goto fail;
	}
	diag->problems = grown;
	p = &grown[diag->n];
	*p = (struct fm_problem){ .file = copy, .line = line,
		.severity = severity, .order = order, .seq = diag->n,
		.text = text };
	diag->n++;
	diag->errors += severity == FM_DIAG_ERROR;
	return;
fail:
	free(copy);
	free(text);
	fm_diag_oom(diag);
}

void fm_diag_verror_at(struct fm_diag *diag, size_t order, const char *file,
	unsigned line, const char *fmt, va_list ap)
{
	add(diag, FM_DIAG_ERROR, order, file, line, fmt, ap);
}

void fm_diag_vwarn_at(struct fm_diag *diag, size_t order, const char *file,
	unsigned line, const char *fmt, va_list ap)
{
	add(diag, FM_DIAG_WARNING, order, file, line, fmt, ap);
}

void fm_diag_error(struct fm_diag *diag, const char *file, unsigned line,
	const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fm_diag_verror_at(diag, FM_DIAG_UNPLACED, file, line, fmt, ap);
	va_end(ap);
}

// Unplaced in finding order, then by place: order, line, finding order.
static int problem_cmp(const void *pa, const void *pb)
{
	const struct fm_problem *a = pa, *b = pb;

	if (a->order != b->order) {
		return a->order < b->order ? -1 : 1;
	}
	if (a->order != FM_DIAG_UNPLACED && a->line != b->line) {
		return a->line < b->line ? -1 : 1;
	}
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void fm_diag_finish(struct fm_diag *diag)
{
	for (size_t i = 0; i < diag->n; i++) {
		free(diag->problems[i].file);
		free((char *)diag->problems[i].text);
	}
	free(diag->problems);
	diag->problems = NULL;
	diag->n = 0;
	diag->oom = false;
}

/*
 * The one formatter: "FILE:LINE: error: MESSAGE" ("flagman: error: ..."
 * without a file, no ":LINE" for line 0), or for the log, whose level says
 * the severity, "FILE:LINE: MESSAGE" ("MESSAGE" without a file).  NULL on
 * no memory.
 */
static char *problem_line(const struct fm_problem *p, bool for_log)
{
	char num[16] = "", *line;
	int n;

	if (p->file && p->line) {
		snprintf(num, sizeof(num), ":%u", p->line);
	}
	if (for_log) {
		n = asprintf(&line, "%s%s%s%s", p->file ? p->file : "", num,
			p->file ? ": " : "", p->text);
	} else {
		n = asprintf(&line, "%s%s: %s: %s", p->file ? p->file : FM_PROGRAM,
			num, severity_names[p->severity], p->text);
	}
	return n < 0 ? NULL : line;
}

// The i-th problem in order after sorting, "out of memory" last if one
// was lost, then NULL.
static const struct fm_problem *nth(const struct fm_diag *diag, size_t i)
{
	static const struct fm_problem oom = { .text = "out of memory" };

	if (i < diag->n) {
		return &diag->problems[i];
	}
	return i == diag->n && diag->oom ? &oom : NULL;
}

static void sort(struct fm_diag *diag)
{
	if (diag->n > 1) { // qsort's base may not be NULL, even for none
		qsort(diag->problems, diag->n, sizeof(*diag->problems),
			problem_cmp);
	}
}

// Writes text escaped (see fm_escape), piece by piece.
static void put_escaped(FILE *out, const char *text, size_t len)
{
	char buf[256];

	while (len > 0) {
		size_t used = fm_escape(buf, sizeof(buf), text, len);
		fputs(buf, out);
		text += used;
		len -= used;
	}
}

void fm_diag_print(struct fm_diag *diag)
{
	static const char oom[] = FM_PROGRAM ": error: out of memory";
	const struct fm_problem *p;

	sort(diag);
	for (size_t i = 0; (p = nth(diag, i)); i++) {
		char *line = problem_line(p, false);

		// The file name and the message both may come from a user.
		put_escaped(diag->out, line ? line : oom,
			line ? strlen(line) : sizeof(oom) - 1);
		fputc('\n', diag->out);
		free(line);
	}
	fm_diag_finish(diag);
}

void fm_diag_log(struct fm_diag *diag)
{
	const struct fm_problem *p;

	sort(diag);
	for (size_t i = 0; (p = nth(diag, i)); i++) {
		char *line = problem_line(p, true);

		fm_log(severity_levels[p->severity], NULL, NULL, "%s",
			line ? line : "out of memory");
		free(line);
	}
	fm_diag_finish(diag);
}
