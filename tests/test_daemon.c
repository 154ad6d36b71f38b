/*
 * The core daemon end to end: the real binary, real signals, exact output.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

// The original flagman README's session, line for line.
static void test_readme_session(void **state)
{
	static const char *const argv[] = { "flagman", "--no-config",
		"--usr1", "print", "a fun message", "--usr1", "print",
		"another message", "--usr2", "print_once", "will be printed once",
		NULL };
	struct t_proc p;

	(void)state;
	t_start(&p, argv, NULL, false);
	t_expect_out(&p, (const char *const[]){ "init", "init", "init", NULL });
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, (const char *const[]){ "a fun message",
		"another message", NULL });
	t_kill(&p, SIGUSR2);
	t_expect_out(&p, (const char *const[]){ "will be printed once",
		"cleanup", NULL });
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, (const char *const[]){ "a fun message",
		"another message", NULL });
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	assert_string_equal(t_rest(&p), "cleanup\ncleanup\n");
	t_finish(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readme_session),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
