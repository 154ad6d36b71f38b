/*
 * exec cases that only root can try, in a program of their own so that a
 * run as another user reports them as skipped (exit status 77), never as
 * passed: the environment of a numeric user= without a passwd entry.
 */
#include <grp.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"
#include "procinfo.h"

// A uid and gid that name no passwd and no group entry.
static unsigned free_id(void)
{
	for (unsigned id = 4242; id < 5242; id++) {
		if (!getpwuid(id) && !getgrgid(id)) {
			return id;
		}
	}
	fail_msg("no free id between 4242 and 5241");
	return 0;
}

/*
 * user = a number without a passwd entry (and a group): the child gets
 * that uid and gid, no other group, and instead of root's HOME, USER,
 * LOGNAME and SHELL neutral values: HOME=/, USER and LOGNAME the number,
 * SHELL=/usr/sbin/nologin.
 */
static void test_numeric_user_environment(void **state)
{
	unsigned id = free_id();
	const char *conf = t_write(tp_dir, "n.conf", tp_fmt("[who]\n"
		"action = exec\nsignal = usr1\nuser = %u\ngroup = %u\nworking_directory = /\n"
		"command = sh -c 'echo \"$(id -u):$(id -g):$(id -G):$HOME:$USER:"
		"$LOGNAME:$SHELL\"'\n\n[done]\naction = print\nsignal = usr1\n"
		"message = done\n", id, id));
	const char *const argv[] = { "flagman", "-c", conf, NULL };
	struct t_proc p;

	(void)state;
	tp_strings_keep((char *)conf);
	// What flagman, as root, would otherwise hand down.
	setenv("HOME", "/root", 1);
	setenv("USER", "root", 1);
	setenv("LOGNAME", "root", 1);
	setenv("SHELL", "/bin/bash", 1);
	t_start(&p, argv, NULL, false);
	t_expect_out(&p, (const char *const[]){ "init", NULL });
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, (const char *const[]){ tp_fmt("%u:%u:%u:/:%u:%u:"
		"/usr/sbin/nologin", id, id, id, id, id), "done", NULL });
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	t_finish(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_numeric_user_environment,
			tp_dir_set_up, tp_dir_tear_down),
	};

	if (geteuid() != 0) {
		printf("not root: skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
