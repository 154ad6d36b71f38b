/*
 * Reading the configuration's INI files (conffile.c), finding and opening
 * them, and listing a directory's files by suffix for drop-ins and plug-ins
 * (confpaths.c).
 */
#ifndef FM_CONFFILE_H
#define FM_CONFFILE_H

#include <stdbool.h>
#include <stdio.h>

struct fm_config;
struct fm_diag;

/* inih's line buffer as Debian builds it: longer lines are refused. */
#define FM_MAX_LINE 200
/* The longest value, continuation lines joined (before $'...' decoding). */
#define FM_MAX_VALUE 131072

/* Reads path and then every path.d/ *.conf (path "X.conf" gives "X.d").
 * A missing file is an error only when required.  Problems go to diag;
 * returns true when none were found. */
bool fm_config_read(struct fm_config *cfg, const char *path, bool required,
	struct fm_diag *diag);
/* The entries of directory fd named *suffix (with something before it, and
 * not starting with a dot), sorted by name: *list holds the count that is
 * returned, each to free() and then *list; -1 (errno set) on failure. */
struct dirent;
int fm_dir_list(int fd, const char *suffix, struct dirent ***list);
/* Reads one file (no drop-ins) from f; path names it in diagnostics. */
bool fm_config_read_file(struct fm_config *cfg, const char *path, FILE *f,
	struct fm_diag *diag);

#endif
