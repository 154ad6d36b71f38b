/*
 * flagman --status: a running instance publishes the state of its actions
 * in a file of its runtime directory (statuspub.c), and `flagman --status`
 * reads and prints it (statusshow.c).  status.c holds what both sides must
 * agree on: where the file is, its name for a configuration file, how its
 * values are escaped, and how a process's start time is read.
 *
 * The file is key=value lines: the instance's keys, then one block per
 * action, each opened by action=NAME, in configuration order.  A value is
 * escaped with fm_status_escape(), so that no value can hold a newline.
 */
#ifndef FM_STATUS_H
#define FM_STATUS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "flagman/action.h"

#define FM_STATUS_FORMAT 1
/* At most one write of the file per this many ms. */
#define FM_STATUS_MS 250

struct fm_loop;
struct fm_actionset;
struct fm_status_pub;

/* ---- status.c: shared by the daemon and the client ---- */

/*
 * The runtime directory into dir (PATH_MAX bytes): the first path of
 * $RUNTIME_DIRECTORY, else /run/flagman as root, else
 * $XDG_RUNTIME_DIR/flagman.  false, with why (a short phrase), when none
 * applies.
 */
bool fm_status_dir(char *dir, const char **why);
/*
 * The status file's name for a configuration file (NULL: --no-config),
 * into name (NAME_MAX + 1 bytes): the path made absolute and normalised
 * lexically, escaped as systemd-escape --path does, plus ".status".  The
 * absolute path goes to abs (PATH_MAX bytes; "" for NULL).  false when the
 * path is too long.
 */
bool fm_status_name(const char *config, char *abs, char *name);
/* "ok", "failed"...: the word of a result in the file and in print. */
const char *fm_result_word(enum fm_result result);
/* Field 22 of /proc/PID/stat (0: this process): the start time in clock
 * ticks after boot, which tells a reused pid from the process.  false if
 * it cannot be read. */
bool fm_status_start_ticks(pid_t pid, unsigned long long *ticks);
/* CLOCK_REALTIME in ms since the epoch. */
int64_t fm_wall_ms(void);
/* Writes s to out with backslash, newline and every control character
 * escaped (\\, \n, \xHH), so that it stays on one line. */
void fm_status_escape(FILE *out, const char *s);
/* Undoes fm_status_escape in place. */
void fm_status_unescape(char *s);

/* ---- statuspub.c: the daemon's side ---- */

/*
 * The publisher of the loop's actions (set, which must outlive it) for
 * the configuration file config.  Finds, creates if need be and checks the
 * runtime directory; NULL when nothing is to be published (logged: debug
 * without a directory, warning when it is unsafe) or on no memory.
 */
struct fm_status_pub *fm_status_pub_create(struct fm_loop *loop,
	const struct fm_actionset *set, const char *config);
/* Something changed: the file is rewritten now, or, within FM_STATUS_MS of
 * the last write, when the interval ends.  NULL is a no-op. */
void fm_status_pub_changed(struct fm_status_pub *pub);
/* A reload succeeded (counted), then as fm_status_pub_changed. */
void fm_status_pub_reloaded(struct fm_status_pub *pub);
/* Removes the file and frees pub; NULL is a no-op. */
void fm_status_pub_destroy(struct fm_status_pub *pub);

/* ---- statusshow.c: flagman --status ---- */

/* Prints the instance for config (NULL: --no-config) on out, as text or
 * JSON; problems go to err.  Returns the exit status: 0, or 1. */
int fm_status_show(const char *config, bool json, FILE *out, FILE *err);

#endif
