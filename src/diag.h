/*
 * Diagnostics: every problem with the configuration, the command line or a
 * plug-in is collected here with where it was found, then sorted and
 * written once, to a stream (fm_diag_print) or to the log (fm_diag_log).
 */
#ifndef FM_DIAG_H
#define FM_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum fm_severity { FM_DIAG_ERROR, FM_DIAG_WARNING };

/*
 * Problems found outside the configuration's files and sections (a
 * plug-in, the command line, an untrusted path) come first, in the order
 * they were found; then those placed in the configuration, by place.
 */
#define FM_DIAG_UNPLACED 0

struct fm_problem;

/*
 * Zero-initialised it is empty and ready; out is where fm_diag_print()
 * writes.  fm_diag_print() and fm_diag_log() empty it; fm_diag_finish()
 * discards what it holds.  errors counts what was ever collected.
 */
struct fm_diag {
	FILE *out;
	struct fm_problem *problems;
	size_t n;
	unsigned errors;
	bool oom; /* a problem could not be held: "out of memory" at the end */
};

/* An error at file:line (file NULL: the program itself; line 0: the whole
 * file), in the order found (FM_DIAG_UNPLACED). */
void fm_diag_error(struct fm_diag *diag, const char *file, unsigned line,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* An error placed in the configuration: sorted by order (the file's rank
 * in reading order plus one, SIZE_MAX for the command line), then line. */
void fm_diag_verror_at(struct fm_diag *diag, size_t order, const char *file,
	unsigned line, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));
/* The same for a warning: printed and logged like an error, at its own
 * severity, but it counts as none (fm_diag_ok() stays true). */
void fm_diag_vwarn_at(struct fm_diag *diag, size_t order, const char *file,
	unsigned line, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));
/* Notes that something failed for lack of memory. */
void fm_diag_oom(struct fm_diag *diag);
/* No error collected so far? */
bool fm_diag_ok(const struct fm_diag *diag);
/* Writes each problem as "FILE:LINE: error: MESSAGE" ("flagman: error:
 * MESSAGE" without a file), escaped with fm_escape(), to diag->out. */
void fm_diag_print(struct fm_diag *diag);
/* Logs each at its level as "FILE:LINE: MESSAGE" (or "MESSAGE"). */
void fm_diag_log(struct fm_diag *diag);
void fm_diag_finish(struct fm_diag *diag);

#endif
