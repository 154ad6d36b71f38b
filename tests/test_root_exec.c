/*
 * exec cases that only root can try, in a program of their own so that a
 * run as another user reports them as skipped (exit status 77), never as
 * passed: user= with a passwd entry, and a numeric one without, and user=
 * refused to a flagman that is not root.
 */
#include <grp.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

// The next stderr line that is not valgrind's: a child that changes its
// uid before its exec makes valgrind complain about files it cannot remove.
static void expect_err(struct t_proc *p, const char *want)
{
	char line[1024];

	do {
		if (!t_err_line(p, line, sizeof(line), T_TIMEOUT)) {
			fail_msg("expected stderr line '%s', got nothing", want);
		}
	} while (strncmp(line, "==", 2) == 0);
	assert_string_equal(line, want);
}

// user = nobody: its ids, groups, HOME, USER, LOGNAME and SHELL.
static void test_user(void **state)
{
	const char *conf;
	struct passwd *pw;
	gid_t groups[64];
	int ngroups = 64;
	char *want;
	struct t_proc p;

	(void)state;
	pw = getpwnam("nobody");
	assert_non_null(pw);
	assert_true(getgrouplist("nobody", pw->pw_gid, groups, &ngroups) > 0);
	want = tp_fmt("%u:%u:", (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
	for (int i = 0; i < ngroups; i++) {
		want = tp_fmt("%s%s%u", want, i ? " " : "", (unsigned)groups[i]);
	}
	want = tp_fmt("%s:%s:nobody:nobody:%s:%s", want, pw->pw_dir,
		pw->pw_shell, tp_dir);
	assert_int_equal(chmod(tp_dir, 0755), 0); // nobody works in there
	conf = t_write(tp_dir, "u.conf", tp_fmt("[who]\naction = exec\n"
		"signal = usr1\nuser = nobody\nworking_directory = %s\n"
		"command = sh -c 'echo \"$(id -u):$(id -g):$(id -G):$HOME:$USER:"
		"$LOGNAME:$SHELL:$(pwd)\"'\n\n"
		"[where]\naction = exec\nsignal = usr2\n"
		"working_directory = /nonexistent\ncommand = pwd\n", tp_dir));
	tp_strings_keep((char *)conf);
	t_start(&p, (const char *const[]){ "flagman", "-c", conf, NULL }, NULL,
		true);
	assert_true(t_notify_until(&p, "READY=1", T_TIMEOUT));
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, (const char *const[]){ want, NULL });
	t_kill(&p, SIGUSR2);
	expect_err(&p, "flagman: error: [where]: cannot change to directory "
		"'/nonexistent': No such file or directory");
	expect_err(&p, "flagman: warning: [where]: exited with status 126");
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	t_finish(&p);
}

// Not root: user= is refused at load, with the key's line and the reason.
static void test_user_needs_root(void **state)
{
	const char *conf;
	char err[1024];

	(void)state;
	assert_int_equal(chmod(tp_dir, 0755), 0);
	conf = t_write(tp_dir, "r.conf", "[who]\naction = exec\n"
		"signal = usr1\nuser = root\ncommand = id\n");
	tp_strings_keep((char *)conf);
	assert_int_equal(tp_run_as(65534, 65534, (const char *const[]){
		"flagman", "-c", conf, "--no-systemd", NULL }, err, sizeof(err)), 2);
	assert_string_equal(err, tp_fmt("%s:4: error: [who]: 'user' and "
		"'group' need flagman to run as root (it runs as uid 65534)\n",
		conf));
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
#define T(name) cmocka_unit_test_setup_teardown(name, tp_dir_set_up, \
	tp_dir_tear_down)
		T(test_user),
		T(test_user_needs_root),
		T(test_numeric_user_environment),
#undef T
	};

	if (geteuid() != 0) {
		printf("not root: skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
