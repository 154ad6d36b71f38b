/*
 * Root-only test cases in programs of their own.  A test source lists the
 * cases any user can run and those that need root in two arrays, and ends
 * main with T_RUN_GROUPS(tests, root_tests).  tests/meson.build builds the
 * source twice: NAME runs the first array, NAME-root (built with
 * -DT_ROOT_ONLY) the second, and exits 77 when not root, so that meson
 * reports it as skipped rather than as a pass that checked nothing.
 */
#ifndef FM_TEST_ROOTONLY_H
#define FM_TEST_ROOTONLY_H

#include <stdio.h>
#include <unistd.h>

#define T_SKIPPED 77 /* meson's exit status for a skipped test */

#ifdef T_ROOT_ONLY
#define T_RUN_GROUPS(tests, root_tests) ((void)(tests), \
	geteuid() != 0 ? (fputs("these cases need root: skipped\n", stderr), \
		T_SKIPPED) : \
	cmocka_run_group_tests_name("as root", root_tests, NULL, NULL))
#else
#define T_RUN_GROUPS(tests, root_tests) ((void)(root_tests), \
	cmocka_run_group_tests(tests, NULL, NULL))
#endif

#endif
