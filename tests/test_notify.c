/*
 * systemd integration (flagman(8), SYSTEMD): sd_notify through a socket the
 * test binds, STATUS= sent only when it changes and at most ten a second,
 * the watchdog, silence with --no-systemd, and the framing of
 * journal entries.  The daemon's entries on a journal socket are checked
 * against libsystemd's in test_protocol.c (which needs a private /run).
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"
#include "notify.h"
#include "harness.h"

#define LINES(...) ((const char *const[]){ __VA_ARGS__, NULL })

// Asserts the next notify datagram is exactly want.
static void expect_notify(struct t_proc *p, const char *want)
{
	char msg[1024];

	if (!t_notify(p, msg, sizeof(msg), T_TIMEOUT)) {
		fail_msg("no notify message; expected '%s'", want);
	}
	assert_string_equal(msg, want);
}

// Nothing more is queued on the socket (call after the process ended).
static void expect_no_notify(struct t_proc *p)
{
	char msg[1024];

	if (t_notify(p, msg, sizeof(msg), 0)) {
		fail_msg("unexpected notify message '%s'", msg);
	}
}

// SIGTERM: STOPPING=1 and nothing after it, and a clean exit.
static void expect_clean_stop(struct t_proc *p)
{
	t_kill(p, SIGTERM);
	expect_notify(p, "STOPPING=1");
	assert_int_equal(t_wait(p, T_TIMEOUT), 0);
	expect_no_notify(p);
	t_finish(p);
}

// The life of a service: READY, STATUS after each chain, STOPPING.
static void test_ready_status_stopping(void **state)
{
	static const char *const argv[] = { "flagman", "--no-config",
		"--usr1", "print", "a", "--usr1", "print", "b", "--on", "rtmin+3",
		"print", "c", "--hup", "print_once", "d", NULL };
	struct t_proc p;

	(void)state;
	t_start(&p, argv, NULL, true);
	expect_notify(&p, "READY=1");
	expect_notify(&p, "STATUS=4 actions (HUP: 1, USR1: 2, RTMIN+3: 1); "
		"waiting for signals");
	t_expect_out(&p, LINES("init", "init", "init", "init"));
	t_kill(&p, SIGUSR1);
	expect_notify(&p, "STATUS=4 actions (HUP: 1, USR1: 2, RTMIN+3: 1); "
		"last: USR1 ok");
	t_expect_out(&p, LINES("a", "b"));
	t_kill(&p, SIGHUP);
	// print_once closed: the summary counts the open actions only.
	expect_notify(&p, "STATUS=3 actions (USR1: 2, RTMIN+3: 1); last: HUP ok");
	t_expect_out(&p, LINES("d", "cleanup"));
	t_kill(&p, SIGRTMIN + 3);
	expect_notify(&p, "STATUS=3 actions (USR1: 2, RTMIN+3: 1); "
		"last: RTMIN+3 ok");
	t_kill(&p, SIGTERM);
	expect_notify(&p, "STOPPING=1");
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	assert_string_equal(t_rest(&p), "c\ncleanup\ncleanup\ncleanup\n");
	expect_no_notify(&p);
	t_finish(&p);
}

// A run that fails (stdout closed) is reported, and the daemon lives on.
static void test_status_after_failure(void **state)
{
	static const char *const argv[] = { "flagman", "--no-config",
		"--usr1", "print", "a", "--usr2", "print_once", "b", NULL };
	struct t_proc p;

	(void)state;
	t_start(&p, argv, NULL, true);
	expect_notify(&p, "READY=1");
	expect_notify(&p, "STATUS=2 actions (USR1: 1, USR2: 1); "
		"waiting for signals");
	t_expect_out(&p, LINES("init", "init"));
	close(p.out.fd);
	p.out.fd = -1;
	t_kill(&p, SIGUSR1);
	expect_notify(&p, "STATUS=2 actions (USR1: 1, USR2: 1); "
		"last: USR1 failed");
	assert_true(t_err_until(&p, "flagman: error: [cli-1]: cannot write to "
		"stdout: Broken pipe", T_TIMEOUT));
	t_kill(&p, SIGUSR2);
	expect_notify(&p, "STATUS=1 action (USR1: 1); last: USR2 failed");
	expect_clean_stop(&p);
}

// From now on the kernel stamps each message with the time it was sent.
static void stamp_notify(struct t_proc *p)
{
	int on = 1;

	assert_int_equal(setsockopt(p->notify_fd, SOL_SOCKET, SO_TIMESTAMPNS,
		&on, sizeof(on)), 0);
}

// The next message, and when flagman sent it (ms, CLOCK_REALTIME): however
// late a busy machine lets this test read it.  -1 for a message sent before
// stamp_notify().
static long long notify_sent(struct t_proc *p, char *msg, size_t size)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct timespec))];
	} ctl;
	struct iovec iov = { .iov_base = msg, .iov_len = size - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	struct pollfd pfd = { .fd = p->notify_fd, .events = POLLIN };
	struct cmsghdr *c;
	struct timespec ts;
	ssize_t n;

	if (poll(&pfd, 1, T_TIMEOUT) != 1) {
		fail_msg("no notify message within %d ms", T_TIMEOUT);
	}
	n = recvmsg(p->notify_fd, &mh, 0);
	assert_true(n >= 0);
	msg[n] = '\0';
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
		}
	}
	return -1;
}

// Counts WATCHDOG=1 pings until n arrived; returns the time between sending
// the first and the last, in ms.  Other messages must not be among them.
static long long watchdog_pings(struct t_proc *p, int n)
{
	long long first = -1, sent = -1;
	char msg[1024];

	for (int i = 0; i < n; i++) {
		sent = notify_sent(p, msg, sizeof(msg));
		assert_string_equal(msg, "WATCHDOG=1");
		if (sent < 0) {
			i--; // sent before stamp_notify(): not timed
		} else if (first < 0) {
			first = sent;
		}
	}
	return sent - first;
}

/*
 * WATCHDOG_USEC=200000: a ping every 100 ms, also while a delay_print runs
 * (the loop never blocks), and never faster than that.
 */
static void test_watchdog(void **state)
{
	static const char *const argv[] = { "flagman", "--no-config",
		"--usr1", "delay_print", "a", "60", NULL };
	static const char *const env[] = { "WATCHDOG_USEC=200000", NULL };
	struct t_proc p;
	long long span;

	(void)state;
	t_start(&p, argv, env, true);
	stamp_notify(&p);
	expect_notify(&p, "READY=1");
	expect_notify(&p, "STATUS=1 action (USR1: 1); waiting for signals");
	span = watchdog_pings(&p, 3);
	// Two intervals; time may only stretch them (1 ms for rounding).
	assert_true(span >= 2 * 100 - 1);
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, LINES("init", "a"));
	watchdog_pings(&p, 3);
	t_kill(&p, SIGTERM);
	assert_true(t_notify_until(&p, "STOPPING=1", T_TIMEOUT));
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	t_finish(&p);
}

// The watchdog is for another process (WATCHDOG_PID): no pings.
static void test_watchdog_other_pid(void **state)
{
	static const char *const argv[] = { "flagman", "--no-config",
		"--usr1", "delay_print", "a", "500ms", NULL };
	static const char *const env[] = { "WATCHDOG_USEC=200000",
		"WATCHDOG_PID=1", NULL };
	struct t_proc p;

	(void)state;
	t_start(&p, argv, env, true);
	expect_notify(&p, "READY=1");
	expect_notify(&p, "STATUS=1 action (USR1: 1); waiting for signals");
	t_kill(&p, SIGUSR1);
	// Half a second of delay_print: five pings' worth, were it on.
	expect_notify(&p, "STATUS=1 action (USR1: 1); last: USR1 ok");
	expect_clean_stop(&p);
}

// --no-systemd: not one datagram, whatever the environment says.
static void test_no_systemd(void **state)
{
	static const char *const argv[] = { "flagman", "--no-systemd",
		"--no-config", "--usr1", "delay_print", "a", "500ms", "--usr2",
		"print_once", "b", NULL };
	static const char *const env[] = { "WATCHDOG_USEC=200000", NULL };
	struct t_proc p;

	(void)state;
	t_start(&p, argv, env, true);
	t_expect_out(&p, LINES("init", "init"));
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, LINES("a", "finished delaying"));
	t_kill(&p, SIGUSR2);
	t_expect_out(&p, LINES("b", "cleanup"));
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	assert_string_equal(t_rest(&p), "cleanup\n");
	expect_no_notify(&p);
	t_finish(&p);
}

// A manager that never reads its socket fills the datagram queue; the
// daemon must go on serving (STATUS= is dropped, never waited for).
static void test_unread_socket_never_blocks(void **state)
{
	static const char *const argv[] = { "flagman", "--no-config",
		"--usr1", "print", "run", NULL };
	char line[64];
	struct t_proc p;

	(void)state;
	t_start(&p, argv, NULL, true);
	t_expect_out(&p, LINES("init"));
	for (int i = 0; i < 50; i++) {
		t_kill(&p, SIGUSR1);
		assert_true(t_out_line(&p, line, sizeof(line), T_TIMEOUT));
		assert_string_equal(line, "run");
	}
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	assert_string_equal(t_rest(&p), "cleanup\n");
	t_finish(&p);
}

/* ---- STATUS= only when it changes, at most one a 100 ms ---- */

#define STATUS2 "STATUS=2 actions (USR1: 1, USR2: 1); "

// flagman with "print a" on USR1 and "print b" on USR2, started and ready.
static void start_ab(struct t_proc *p)
{
	static const char *const argv[] = { "flagman", "--no-config",
		"--usr1", "print", "a", "--usr2", "print", "b", NULL };

	t_start(p, argv, NULL, true);
	expect_notify(p, "READY=1");
	expect_notify(p, STATUS2 "waiting for signals");
	t_expect_out(p, LINES("init", "init"));
}

// Two identical runs, one datagram: the second run's text is the one the
// manager has.  The datagrams are exactly these, in this order.
static void test_status_unchanged_not_resent(void **state)
{
	struct t_proc p;

	(void)state;
	start_ab(&p);
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, LINES("a"));
	expect_notify(&p, STATUS2 "last: USR1 ok");
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, LINES("a"));
	t_kill(&p, SIGUSR2);
	t_expect_out(&p, LINES("b"));
	// Not "last: USR1 ok" a second time.
	expect_notify(&p, STATUS2 "last: USR2 ok");
	t_kill(&p, SIGUSR2);
	t_expect_out(&p, LINES("b"));
	t_kill(&p, SIGTERM);
	expect_notify(&p, "STOPPING=1");
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	assert_string_equal(t_rest(&p), "cleanup\ncleanup\n");
	expect_no_notify(&p);
	t_finish(&p);
}

// A text that waits for the interval to pass goes out before STOPPING=1:
// the manager's last STATUS= is the last state.  One that a newer text
// replaced while it waited is never sent.
static void test_status_before_stopping(void **state)
{
	struct t_proc p;
	char msg[1024];

	(void)state;
	start_ab(&p);
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, LINES("a"));
	t_kill(&p, SIGUSR2);
	t_expect_out(&p, LINES("b"));
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	assert_true(t_notify(&p, msg, sizeof(msg), 0));
	if (strcmp(msg, STATUS2 "last: USR1 ok") == 0) {
		assert_true(t_notify(&p, msg, sizeof(msg), 0));
	}
	assert_string_equal(msg, STATUS2 "last: USR2 ok");
	expect_notify(&p, "STOPPING=1");
	expect_no_notify(&p);
	t_finish(&p);
}

struct status_count {
	int n;          /* STATUS= datagrams */
	char last[1024]; /* the last of them */
};

// Takes every datagram queued now (wait_ms: for the first), counting
// STATUS=; any other message fails the test.
static void count_status(struct t_proc *p, struct status_count *c,
	int wait_ms)
{
	char msg[1024];

	while (t_notify(p, msg, sizeof(msg), wait_ms)) {
		if (strncmp(msg, "STATUS=", 7) != 0) {
			fail_msg("unexpected notify message '%s'", msg);
		}
		c->n++;
		snprintf(c->last, sizeof(c->last), "%s", msg);
		wait_ms = 0;
	}
}

/*
 * A storm: 2000 USR1 and USR2 by turns, as fast as kill(2) goes, each run
 * changing the text; then a marker signal.  The socket is emptied as the
 * storm goes (the kernel queues only a few datagrams), and from the first
 * signal until the marker's status, sends 100 ms apart can number at most
 * duration / 100 + 1.  The last STATUS= is the marker's.
 */
static void test_status_storm_bounded(void **state)
{
	static const char *const argv[] = { "flagman", "--no-config",
		"--usr1", "print", "a", "--usr2", "print", "b", "--on", "rtmin+3",
		"print", "marker", NULL };
	static const char want[] = "STATUS=3 actions (USR1: 1, USR2: 1, "
		"RTMIN+3: 1); last: RTMIN+3 ok";
	struct status_count c = { 0 };
	struct t_proc p;
	long long start, span;
	char line[64];

	(void)state;
	t_start(&p, argv, NULL, true);
	expect_notify(&p, "READY=1");
	expect_notify(&p, "STATUS=3 actions (USR1: 1, USR2: 1, RTMIN+3: 1); "
		"waiting for signals");
	t_expect_out(&p, LINES("init", "init", "init"));
	start = t_now_ms();
	for (int i = 0; i < 2000; i++) {
		t_kill(&p, i % 2 ? SIGUSR2 : SIGUSR1);
		count_status(&p, &c, 0);
	}
	// Both read: the marker cannot overtake them in the daemon's queue.
	assert_true(t_wait_received(&p, SIGUSR1, T_TIMEOUT));
	assert_true(t_wait_received(&p, SIGUSR2, T_TIMEOUT));
	t_kill(&p, SIGRTMIN + 3);
	do {
		assert_true(t_out_line(&p, line, sizeof(line), T_TIMEOUT));
		count_status(&p, &c, 0);
	} while (strcmp(line, "marker") != 0);
	while (strcmp(c.last, want) != 0) {
		int before = c.n;

		count_status(&p, &c, T_TIMEOUT);
		assert_true(c.n > before);
	}
	span = t_now_ms() - start;
	print_message("%d STATUS= in %lld ms\n", c.n, span);
	assert_true(c.n >= 1);
	assert_true(c.n <= span / FM_NOTIFY_STATUS_MS + 1);
	expect_clean_stop(&p);
}

// Sends datagrams to the test's own notify socket until its queue is full;
// returns how many.
static int fill_queue(struct t_proc *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), n = 0;

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p->notify_path);
	while (sendto(fd, "junk", 4, MSG_DONTWAIT, (struct sockaddr *)&sa,
			sizeof(sa)) == 4) {
		n++;
	}
	assert_int_equal(errno, EAGAIN);
	close(fd);
	return n;
}

// A STATUS= that finds the manager's queue full is not lost: it is tried
// again 100 ms later, until the manager has read and there is room.
static void test_status_retried_when_queue_full(void **state)
{
	static const char *const argv[] = { "flagman", "-vv", "--no-config",
		"--usr1", "print", "a", NULL };
	struct t_proc p;
	char msg[1024];
	int junk;

	(void)state;
	t_start(&p, argv, NULL, true);
	expect_notify(&p, "READY=1");
	expect_notify(&p, "STATUS=1 action (USR1: 1); waiting for signals");
	t_expect_out(&p, LINES("init"));
	junk = fill_queue(&p);
	assert_true(junk > 0);
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, LINES("a"));
	assert_true(t_err_until(&p, "notification 'STATUS=1 action (USR' not "
		"sent: Resource temporarily unavailable", T_TIMEOUT));
	for (int i = 0; i < junk; i++) {
		assert_true(t_notify(&p, msg, sizeof(msg), T_TIMEOUT));
		assert_string_equal(msg, "junk");
	}
	expect_notify(&p, "STATUS=1 action (USR1: 1); last: USR1 ok");
	expect_clean_stop(&p);
}

/* ---- the journal ---- */

// JOURNAL_STREAM naming some other stream: plain lines on stderr.
static void test_log_plain_when_not_journal(void **state)
{
	static const char *const argv[] = { "flagman", "--no-config",
		"--usr2", "print_once", "x", NULL };
	static const char *const env[] = { "JOURNAL_STREAM=1:1", NULL };
	struct t_proc p;
	char line[512];

	(void)state;
	t_start(&p, argv, env, false);
	t_expect_out(&p, LINES("init"));
	t_kill(&p, SIGUSR2);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 1);
	assert_true(t_err_line(&p, line, sizeof(line), T_TIMEOUT));
	assert_string_equal(line, "flagman: warning: [cli-1]: action closed: "
		"Only print once");
	assert_true(t_err_line(&p, line, sizeof(line), T_TIMEOUT));
	assert_string_equal(line, "flagman: warning: every action has closed; "
		"exiting");
	t_finish(&p);
}

/*
 * The native protocol's two forms: FIELD=value, and for a value with a
 * newline FIELD, newline, the length as 64-bit little endian, the value.
 * An entry that does not fit is refused whole (the line goes to stderr).
 */
static void test_journal_entry_framing(void **state)
{
	static const char want[] = "MESSAGE\n\x0a\0\0\0\0\0\0\0"
		"two\nlines.\n" "PRIORITY=3\n" "SYSLOG_IDENTIFIER=flagman\n"
		"FLAGMAN_ACTION=dns check\n" "FLAGMAN_SIGNAL=RTMIN+2\n";
	char buf[256];
	size_t len;

	(void)state;
	len = fm_journal_entry(buf, sizeof(buf), FM_LOG_ERROR, "dns check",
		"RTMIN+2", "two\nlines.");
	assert_int_equal(len, sizeof(want) - 1);
	assert_memory_equal(buf, want, len);
	len = fm_journal_entry(buf, sizeof(buf), FM_LOG_DEBUG, NULL, NULL, "=x");
	assert_int_equal(len, 48);
	assert_memory_equal(buf, "MESSAGE==x\nPRIORITY=7\n"
		"SYSLOG_IDENTIFIER=flagman\n", len);
	for (size_t size = 0; size < 48; size++) {
		assert_int_equal(fm_journal_entry(buf, size, FM_LOG_DEBUG, NULL,
			NULL, "=x"), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ready_status_stopping),
		cmocka_unit_test(test_status_after_failure),
		cmocka_unit_test(test_watchdog),
		cmocka_unit_test(test_watchdog_other_pid),
		cmocka_unit_test(test_no_systemd),
		cmocka_unit_test(test_unread_socket_never_blocks),
		cmocka_unit_test(test_status_unchanged_not_resent),
		cmocka_unit_test(test_status_before_stopping),
		cmocka_unit_test(test_status_storm_bounded),
		cmocka_unit_test(test_status_retried_when_queue_full),
		cmocka_unit_test(test_log_plain_when_not_journal),
		cmocka_unit_test(test_journal_entry_framing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
