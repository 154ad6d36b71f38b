/*
 * The signal action end to end: the real daemon forwards signals to target
 * processes this test forks, which report every signal they take and who
 * sent it.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"
#include "procinfo.h"
#include "rootonly.h"

/* A process that takes HUP, USR1, USR2 and RTMIN+1 and reports each on a
 * pipe as "PID SIGNAL SENDER" (once it has said "ready"); with detail,
 * followed by how it was sent: "queue VALUE" (sigqueue), "user" (kill) or
 * "code N".  With group, it joins that process group; with uid other than
 * -1, it runs as that user. */
struct target {
	pid_t pid;
	int fd;
};

static void target_report(int fd, const siginfo_t *si, bool detail)
{
	char name[16], how[32] = "";

	if (si->si_signo >= SIGRTMIN) {
		snprintf(name, sizeof(name), "RTMIN+%d",
			si->si_signo - SIGRTMIN);
	} else {
		snprintf(name, sizeof(name), "%s", sigabbrev_np(si->si_signo));
	}
	if (detail && si->si_code == SI_QUEUE) {
		snprintf(how, sizeof(how), " queue %d", si->si_value.sival_int);
	} else if (detail) {
		snprintf(how, sizeof(how), si->si_code == SI_USER ? " user" :
			" code %d", si->si_code);
	}
	dprintf(fd, "%d %s %d%s\n", (int)getpid(), name, (int)si->si_pid, how);
}

static const char *report(struct target *t);

static void target_spawn(struct target *t, pid_t group, bool detail,
	uid_t uid)
{
	sigset_t set, old;
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGRTMIN + 1);
	// Blocked before the fork, so no signal can find it unprepared.
	sigprocmask(SIG_BLOCK, &set, &old);
	t->pid = fork();
	assert_true(t->pid >= 0);
	if (t->pid == 0) {
		siginfo_t si;

		setpgid(0, group);
		if (uid != (uid_t)-1 && (setgroups(0, NULL) < 0 ||
				setresgid(uid, uid, uid) < 0 ||
				setresuid(uid, uid, uid) < 0)) {
			_exit(1);
		}
		dprintf(p[1], "ready\n");
		for (;;) {
			if (sigwaitinfo(&set, &si) > 0) {
				target_report(p[1], &si, detail);
			}
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	setpgid(t->pid, group);
	close(p[1]);
	t->fd = p[0];
	// Not before: flagman may look at the target's uids.
	assert_string_equal(report(t), "ready");
}

static void target_start(struct target *t, pid_t group)
{
	target_spawn(t, group, false, (uid_t)-1);
}

static void target_stop(struct target *t)
{
	kill(t->pid, SIGKILL);
	waitpid(t->pid, NULL, 0);
	close(t->fd);
}

// The next report of the target, without its newline.
static const char *report(struct target *t)
{
	struct pollfd pfd = { .fd = t->fd, .events = POLLIN };
	char buf[128];
	size_t len = 0;

	while (len < sizeof(buf) - 1) {
		ssize_t n;
		assert_int_equal(poll(&pfd, 1, T_TIMEOUT), 1);
		n = read(t->fd, buf + len, 1);
		assert_int_equal(n, 1);
		if (buf[len] == '\n') {
			break;
		}
		len++;
	}
	return tp_fmt("%.*s", (int)len, buf);
}

// Asserts the next report of a target started with detail.
static void expect(struct target *t, const char *sig, pid_t sender,
	const char *how)
{
	assert_string_equal(report(t), tp_fmt("%d %s %d %s", (int)t->pid, sig,
		(int)sender, how));
}

static void start(struct t_proc *p, const char *const *argv)
{
	t_start(p, argv, NULL, true);
	if (!t_notify_until(p, "READY=1", T_TIMEOUT)) {
		fail_msg("flagman did not report READY=1");
	}
}

static void stop(struct t_proc *p)
{
	t_kill(p, SIGTERM);
	assert_int_equal(t_wait(p, T_TIMEOUT), 0);
	t_finish(p);
}

static void test_pid(void **state)
{
	const char *conf;
	struct target t;
	struct t_proc p;

	(void)state;
	target_start(&t, 0);
	conf = t_write(tp_dir, "c.conf", tp_fmt("[same]\naction = signal\n"
		"signal = hup usr1\npid = %d\n", (int)t.pid));
	tp_strings_keep((char *)conf);
	start(&p, (const char *const[]){ "flagman", "-c", conf,
		"--usr2", "signal", "hup", tp_fmt("%d", (int)t.pid), NULL });
	t_kill(&p, SIGUSR1);
	assert_string_equal(report(&t), tp_fmt("%d USR1 %d", t.pid, p.pid));
	t_kill(&p, SIGHUP);
	assert_string_equal(report(&t), tp_fmt("%d HUP %d", t.pid, p.pid));
	t_kill(&p, SIGUSR2);
	assert_string_equal(report(&t), tp_fmt("%d HUP %d", t.pid, p.pid));
	stop(&p);
	target_stop(&t);
}

// The pidfile is read at every run: a new PID in it takes effect at once.
static void test_pidfile(void **state)
{
	const char *pidfile = tp_fmt("%s/target.pid", tp_dir), *conf;
	struct target a, b;
	struct t_proc p;

	(void)state;
	target_start(&a, 0);
	target_start(&b, 0);
	conf = t_write(tp_dir, "c.conf", tp_fmt("[fwd]\naction = signal\n"
		"signal = usr1\nsend = usr2\npidfile = %s\n", pidfile));
	tp_strings_keep((char *)conf);
	tp_strings_keep(t_write(tp_dir, "target.pid", tp_fmt("%d\n", a.pid)));
	start(&p, (const char *const[]){ "flagman", "-c", conf, NULL });
	t_kill(&p, SIGUSR1);
	assert_string_equal(report(&a), tp_fmt("%d USR2 %d", a.pid, p.pid));
	tp_strings_keep(t_write(tp_dir, "target.pid", tp_fmt("  %d \n", b.pid)));
	t_kill(&p, SIGUSR1);
	assert_string_equal(report(&b), tp_fmt("%d USR2 %d", b.pid, p.pid));
	stop(&p);
	target_stop(&a);
	target_stop(&b);
}

// The whole group gets the signal; a real-time one without the trigger's
// value, which sigqueue(3) cannot send to a group (see flagman-actions(7)).
static void test_process_group(void **state)
{
	const char *conf;
	struct target a, b;
	struct t_proc p;
	const char *first, *second;

	(void)state;
	target_spawn(&a, 0, true, (uid_t)-1);
	target_spawn(&b, a.pid, true, (uid_t)-1);
	conf = t_write(tp_dir, "c.conf", tp_fmt("[group]\naction = signal\n"
		"signal = usr1\nsend = hup\npid = %d\nprocess_group = yes\n\n"
		"[rt]\naction = signal\nsignal = rtmin+1\npid = %d\n"
		"process_group = yes\n", a.pid, a.pid));
	tp_strings_keep((char *)conf);
	start(&p, (const char *const[]){ "flagman", "-c", conf, NULL });
	t_kill(&p, SIGUSR1);
	first = report(&a);
	second = report(&b);
	assert_string_equal(first, tp_fmt("%d HUP %d user", a.pid, p.pid));
	assert_string_equal(second, tp_fmt("%d HUP %d user", b.pid, p.pid));
	assert_int_equal(sigqueue(p.pid, SIGRTMIN + 1,
		(union sigval){ .sival_int = 42 }), 0);
	expect(&a, "RTMIN+1", p.pid, "user");
	expect(&b, "RTMIN+1", p.pid, "user");
	stop(&p);
	target_stop(&b);
	target_stop(&a);
}

// Every bad pidfile is a logged failure; the chain and the daemon go on.
static void test_failures(void **state)
{
	const char *pidfile = tp_fmt("%s/bad.pid", tp_dir), *conf;
	struct t_proc p;
	pid_t dead;

	(void)state;
	conf = t_write(tp_dir, "c.conf", tp_fmt("[fwd]\naction = signal\n"
		"signal = usr1\nsend = usr2\npidfile = %s\n\n[next]\n"
		"action = print\nsignal = usr1\nmessage = next\n", pidfile));
	tp_strings_keep((char *)conf);
	dead = fork();
	if (dead == 0) {
		_exit(0);
	}
	assert_int_equal(waitpid(dead, NULL, 0), dead);
	start(&p, (const char *const[]){ "flagman", "-c", conf, NULL });
	t_expect_out(&p, (const char *const[]){ "init", NULL });
	struct {
		const char *content; /* NULL: no file; "/": a directory */
		const char *log;
	} cases[] = {
		{ NULL, tp_fmt("cannot open pidfile %s: No such file or directory",
			pidfile) },
		{ "12abc\n", tp_fmt("pidfile %s does not hold a PID (it holds "
			"'12abc')", pidfile) },
		{ "", tp_fmt("pidfile %s does not hold a PID (it holds '')",
			pidfile) },
		{ "0\n", tp_fmt("pidfile %s does not hold a PID (it holds '0')",
			pidfile) },
		{ "-5\n", tp_fmt("pidfile %s does not hold a PID (it holds '-5')",
			pidfile) },
		{ "99999999999\n", tp_fmt("pidfile %s does not hold a PID (it "
			"holds '99999999999')", pidfile) },
		{ tp_fmt("%d\n", (int)dead), tp_fmt("cannot send SIGUSR2 to PID %d "
			"from %s: No such process", (int)dead, pidfile) },
		{ "/", tp_fmt("pidfile %s is not a regular file", pidfile) },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[1024];

		if (cases[i].content && strcmp(cases[i].content, "/") == 0) {
			assert_int_equal(unlink(pidfile), 0);
			assert_int_equal(mkdir(pidfile, 0755), 0);
		} else if (cases[i].content) {
			tp_strings_keep(t_write(tp_dir, "bad.pid", cases[i].content));
		}
		t_kill(&p, SIGUSR1);
		t_expect_out(&p, (const char *const[]){ "next", NULL });
		assert_true(t_err_line(&p, line, sizeof(line), T_TIMEOUT));
		assert_string_equal(line, tp_fmt("flagman: warning: [fwd]: %s",
			cases[i].log));
	}
	stop(&p);
}

static void test_config_errors(void **state)
{
	const char *conf = t_write(tp_dir, "bad.conf", "[both]\naction = signal\n"
		"signal = usr1\npid = 5\npidfile = /run/x.pid\n\n"
		"[neither]\naction = signal\nsignal = usr1\n\n"
		"[zero]\naction = signal\nsignal = usr1\npid = 0\n\n"
		"[everyone]\naction = signal\nsignal = usr1\npid = 1\n"
		"process_group = yes\n");
	char out[256], err[2048];

	(void)state;
	tp_strings_keep((char *)conf);
	assert_int_equal(t_run((const char *const[]){ "flagman", "--check", "-c",
		conf, NULL }, out, sizeof(out), err, sizeof(err)), 2);
	assert_string_equal(err, tp_fmt(
		"%s:5: error: [both]: exactly one of 'pid' and 'pidfile' is "
		"required\n"
		"%s:7: error: [neither]: exactly one of 'pid' and 'pidfile' is "
		"required\n"
		"%s:14: error: [zero]: 0 for 'pid' is out of range (1 to "
		"2147483647)\n"
		"%s:20: error: [everyone]: 'process_group' with 'pid = 1' would "
		"signal every process\n", conf, conf, conf, conf));
}

// [rt] forwards RTMIN+1 to t: with 42 when queued with 42, with no value
// when sent with kill.
static void rt_forwarded(struct t_proc *p, struct target *t)
{
	assert_int_equal(sigqueue(p->pid, SIGRTMIN + 1,
		(union sigval){ .sival_int = 42 }), 0);
	expect(t, "RTMIN+1", p->pid, "queue 42");
	t_kill(p, SIGRTMIN + 1);
	expect(t, "RTMIN+1", p->pid, "user");
}

/*
 * A trigger's sigqueue() value goes on with a real-time signal, the trigger
 * itself or another one; a trigger without a value (kill) sends none, and
 * a signal that is not real-time never carries one.
 */
static void test_rt_value(void **state)
{
	const char *conf;
	struct target t;
	struct t_proc p;

	(void)state;
	target_spawn(&t, 0, true, (uid_t)-1);
	conf = t_write(tp_dir, "c.conf", tp_fmt("[rt]\naction = signal\n"
		"signal = rtmin+1\npid = %d\n\n"
		"[plain]\naction = signal\nsignal = rtmin+2\nsend = usr2\n"
		"pid = %d\n\n"
		"[other]\naction = signal\nsignal = rtmin+2\nsend = rtmin+1\n"
		"pid = %d\n\n"
		"[usr1]\naction = signal\nsignal = usr1\npid = %d\n",
		t.pid, t.pid, t.pid, t.pid));
	tp_strings_keep((char *)conf);
	start(&p, (const char *const[]){ "flagman", "-v", "-c", conf, NULL });
	rt_forwarded(&p, &t);
	assert_true(t_err_until(&p, tp_fmt("[rt]: sent SIGRTMIN+1 with value 42 "
		"to PID %d", t.pid), T_TIMEOUT));
	assert_true(t_err_until(&p, tp_fmt("[rt]: sent SIGRTMIN+1 to PID %d",
		t.pid), T_TIMEOUT));
	assert_int_equal(sigqueue(p.pid, SIGRTMIN + 2,
		(union sigval){ .sival_int = -7 }), 0);
	expect(&t, "USR2", p.pid, "user");
	expect(&t, "RTMIN+1", p.pid, "queue -7");
	assert_int_equal(sigqueue(p.pid, SIGUSR1,
		(union sigval){ .sival_int = 5 }), 0);
	expect(&t, "USR1", p.pid, "user");
	stop(&p);
	target_stop(&t);
}

/*
 * As root, with a pidfile that nobody (uid 65534) owns, naming nobody's
 * process: flagman pins it with a pidfd and queues the value through
 * pidfd_send_signal(2).
 */
static void test_rt_value_pidfd(void **state)
{
	const char *pidfile = tp_fmt("%s/target.pid", tp_dir), *conf;
	struct target t;
	struct t_proc p;

	(void)state;
	target_spawn(&t, 0, true, 65534);
	tp_strings_keep(t_write(tp_dir, "target.pid", tp_fmt("%d\n", t.pid)));
	assert_int_equal(chown(pidfile, 65534, 65534), 0);
	conf = t_write(tp_dir, "c.conf", tp_fmt("[rt]\naction = signal\n"
		"signal = rtmin+1\npidfile = %s\n", pidfile));
	tp_strings_keep((char *)conf);
	start(&p, (const char *const[]){ "flagman", "-c", conf, NULL });
	rt_forwarded(&p, &t);
	stop(&p);
	target_stop(&t);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, tp_dir_set_up, \
	tp_dir_tear_down)
	const struct CMUnitTest tests[] = {
		T(test_pid),
		T(test_pidfile),
		T(test_process_group),
		T(test_failures),
		T(test_config_errors),
		T(test_rt_value),
	};
	const struct CMUnitTest root_tests[] = {
		T(test_rt_value_pidfd),
	};
#undef T

	return T_RUN_GROUPS(tests, root_tests);
}
