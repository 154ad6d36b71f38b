/*
 * Helpers for the configuration tests: each test works in a fresh directory
 * holding a copy of a tree from tests/data (files mode 0644, owned by whoever
 * runs the tests), so that file names in messages are short and the source
 * tree's ownership and modes do not matter to flagman's checks as root.
 */
#ifndef FM_TEST_CONFDATA_H
#define FM_TEST_CONFDATA_H

#include "harness.h"

/* The test's directory (also the working directory), or NULL. */
extern char *td_work;

/* Creates td_work, copies tests/data/SUB (if not NULL) into it, goes there. */
void td_enter(const char *sub);
/* A cmocka teardown: leaves td_work and removes it. */
int td_leave(void **state);
/* The whole content of a file (malloc'd); fails the test if unreadable. */
char *td_slurp(const char *path);
/* Copies a file byte for byte, to mode 0644. */
void td_copy_file(const char *from, const char *to);
/* Copies conf/NAME from the source tree into td_work. */
void td_copy_conf(const char *name);
/* td_slurp() with "@PLUGIN_DIR@" replaced by this build's default. */
char *td_expected_dump(const char *path);

/* The output of the last TD_RUN(). */
extern char td_out[65536], td_err[65536];

/* Runs flagman with these arguments to its exit; returns the status. */
#define TD_RUN(...) t_run((const char *const[]){ "flagman", __VA_ARGS__, \
	NULL }, td_out, sizeof(td_out), td_err, sizeof(td_err))

/* The "key = value" line of a --dump in td_out (a static buffer). */
const char *td_dump_line(const char *key);

#endif
