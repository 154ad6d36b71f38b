/*
 * The daemon's log: lines on stderr, or journald's native protocol when
 * stderr is the journal; the escaping every output shares.  The levels,
 * FM_LOG_*, are in the public include/flagman/action.h.
 */
#ifndef FM_LOG_H
#define FM_LOG_H

#include <stdarg.h>
#include <stddef.h>

#include "flagman/action.h"

#define FM_PROGRAM "flagman"

/* Sets the threshold (an enum fm_log_level) and detects JOURNAL_STREAM. */
void fm_log_init(int level);
/* Opens /dev/null on whichever of descriptors 0-2 is closed, so that no
 * descriptor opened later (the signalfd...) takes the place of stdout. */
void fm_std_fds_open(void);
void fm_log_set_level(int level);
/* action and signame may be NULL.  The message and the action's name are
 * escaped with fm_escape() on the way out. */
void fm_log(int level, const char *action, const char *signame,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void fm_vlog(int level, const char *action, const char *signame,
	const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
/* "error", "warning", "info", "debug", NULL: the levels' names from the
 * least verbose, a list of choices for FM_ARG_ENUM. */
extern const char *const fm_log_level_names[];
/* The level of fm_log_level_names[i] (warning if i is out of range). */
int fm_log_level_at(size_t i);
/* The name of a level ("error" if it has none). */
const char *fm_log_level_name(int level);
/*
 * Copies src (len bytes) to dst (size > 0 bytes, always NUL-terminated) with
 * every control character escaped, so that text from a configuration or a
 * child cannot move the cursor, forge a line or garble a terminal: newline
 * and carriage return as \n and \r, the other C0 controls, DEL and the C1
 * controls (U+0080..U+009F in UTF-8, each byte) as \xHH; tab and every
 * other byte (backslash included) as they are.  Stops before an escape that
 * would not fit; returns how many bytes of src it consumed.
 */
size_t fm_escape(char *dst, size_t size, const char *src, size_t len);
/* A journal entry in journald's native protocol: MESSAGE, PRIORITY,
 * SYSLOG_IDENTIFIER, then FLAGMAN_ACTION and FLAGMAN_SIGNAL unless NULL.
 * Returns its length, or 0 if it does not fit in size. */
size_t fm_journal_entry(char *buf, size_t size, int level, const char *action,
	const char *signame, const char *msg);

#endif
