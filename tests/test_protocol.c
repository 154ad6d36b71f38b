/*
 * The systemd protocols flagman speaks without libsystemd, checked byte for
 * byte against libsystemd itself (the reference implementation; only this
 * test links it, never the daemon):
 *
 *   notify   every datagram the real daemon sends (READY, STATUS, WATCHDOG,
 *            RELOADING with MONOTONIC_USEC, STOPPING) equals what
 *            sd_notify(3) sends for the same state text, on a socket path
 *            and on an abstract socket;
 *   journal  flagman's journal entries, in journald's native protocol,
 *            equal what sd_journal_sendv(3) sends for the same fields,
 *            including a value with a newline (the binary, length-prefixed
 *            form), and so are the real daemon's.  sd_journal_sendv always
 *            sends to /run/systemd/journal/socket, so this part gives itself
 *            a private /run first (a mount namespace: as root, or as any
 *            user in a user namespace where the kernel allows one); where
 *            there is none, it exits 77 and meson reports it skipped.
 *
 * Run as "test_protocol notify" or "test_protocol journal".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
// Else sd-journal.h makes sd_journal_sendv() add CODE_FILE, CODE_LINE and
// CODE_FUNC, the caller's place in its source, which flagman does not send.
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "notify.h"
#include "harness.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

struct datagram {
	char data[4096];
	size_t len;
};

// The next datagram on fd; fails the test on timeout.
static void receive(int fd, struct datagram *d)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, T_TIMEOUT) != 1) {
		fail_msg("no datagram");
	}
	n = recv(fd, d->data, sizeof(d->data), 0);
	assert_true(n >= 0);
	d->len = (size_t)n;
}

// A datagram socket bound to address (len bytes of sa).
static int bind_socket(const struct sockaddr_un *sa, socklen_t len)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (const struct sockaddr *)sa, len), 0);
	return fd;
}

/* ---- sd_notify ---- */

/*
 * What sd_notify(3) sends to ref (whose address NOTIFY_SOCKET names) for
 * the state text of got: asserts it is got, byte for byte.
 */
static void expect_as_libsystemd(const struct datagram *got, int ref,
	const char *ref_env)
{
	struct datagram want;
	char text[sizeof(got->data) + 1];

	assert_true(got->len < sizeof(text));
	memcpy(text, got->data, got->len);
	text[got->len] = '\0';
	// A NUL inside the datagram would be cut off here: a difference too.
	assert_int_equal(strlen(text), got->len);
	setenv("NOTIFY_SOCKET", ref_env, 1);
	assert_true(sd_notify(0, text) > 0);
	unsetenv("NOTIFY_SOCKET");
	receive(ref, &want);
	assert_int_equal(got->len, want.len);
	assert_memory_equal(got->data, want.data, want.len);
}

static int bind_path(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	return bind_socket(&sa, sizeof(sa));
}

static uint64_t monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

// Reads the daemon's datagrams until one starts with prefix, checking
// each against libsystemd's; got holds that one.
static void next_of(struct t_proc *p, const char *prefix, int ref,
	const char *ref_env, struct datagram *got)
{
	for (int i = 0; i < 100; i++) {
		receive(p->notify_fd, got);
		expect_as_libsystemd(got, ref, ref_env);
		if (got->len >= strlen(prefix) &&
				memcmp(got->data, prefix, strlen(prefix)) == 0) {
			return;
		}
	}
	fail_msg("no '%s' datagram", prefix);
}

/*
 * The real daemon, its life from READY to STOPPING with a chain, a reload
 * and the watchdog on: every datagram is exactly sd_notify's for its text.
 * RELOADING=1 carries MONOTONIC_USEC, CLOCK_MONOTONIC in microseconds
 * (what systemd's Type=notify-reload requires).
 */
static void test_notify_datagrams(void **state)
{
	static const char *const argv[] = { "flagman", "--no-config",
		"--usr1", "print", "x", NULL };
	static const char *const env[] = { "WATCHDOG_USEC=200000", NULL };
	char path[64], num[32];
	struct datagram got;
	struct t_proc p;
	uint64_t before, after, usec;
	int ref;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/fm-protocol-%ld", (long)getpid());
	ref = bind_path(path);
	t_start(&p, argv, env, true);
	next_of(&p, "READY=1", ref, path, &got);
	assert_int_equal(got.len, 7);
	next_of(&p, "STATUS=", ref, path, &got);
	next_of(&p, "WATCHDOG=1", ref, path, &got);
	assert_int_equal(got.len, 10);
	t_kill(&p, SIGUSR1);
	next_of(&p, "STATUS=1 action (USR1: 1); last: USR1 ok", ref, path,
		&got);
	before = monotonic_usec();
	t_kill(&p, SIGHUP);
	next_of(&p, "RELOADING=1\nMONOTONIC_USEC=", ref, path, &got);
	after = monotonic_usec();
	snprintf(num, sizeof(num), "%.*s", (int)(got.len - 27), got.data + 27);
	usec = strtoull(num, NULL, 10);
	// flagman's clock has millisecond steps.
	assert_true(usec + 1000 >= before && usec <= after);
	next_of(&p, "READY=1", ref, path, &got);
	t_kill(&p, SIGTERM);
	next_of(&p, "STOPPING=1", ref, path, &got);
	assert_int_equal(got.len, 10);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	t_finish(&p);
	close(ref);
	unlink(path);
}

/*
 * NOTIFY_SOCKET naming an abstract socket ("@name"): flagman's notify
 * writer, in this process, reaches the same address as sd_notify, with
 * the same bytes.
 */
static void test_notify_abstract(void **state)
{
	static const char *const texts[] = { "READY=1",
		"STATUS=2 actions; waiting for signals",
		"RELOADING=1\nMONOTONIC_USEC=12345000", "WATCHDOG=1", "STOPPING=1" };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char name[64];
	struct datagram got;
	socklen_t len;
	int fd;

	(void)state;
	snprintf(name, sizeof(name), "@fm-protocol-%ld", (long)getpid());
	memcpy(sa.sun_path, name, strlen(name));
	sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name));
	fd = bind_socket(&sa, len);
	setenv("NOTIFY_SOCKET", name, 1);
	fm_notify_init(true);
	unsetenv("NOTIFY_SOCKET");
	assert_true(fm_notify_enabled());
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		fm_notify("%s", texts[i]);
		receive(fd, &got);
		expect_as_libsystemd(&got, fd, name);
	}
	fm_notify_init(false);
	close(fd);
}

/* ---- the journal ---- */

/*
 * Gives the calling process a private /run: a mount namespace, as root or
 * inside a new user namespace.  false when the kernel allows neither.
 */
static bool write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool ok = fd >= 0 && write(fd, text, strlen(text)) ==
		(ssize_t)strlen(text);

	if (fd >= 0) {
		close(fd);
	}
	return ok;
}

static bool private_run(void)
{
	char uid_map[32], gid_map[32];

	// Ourselves as root of a new user namespace, to mount there.
	snprintf(uid_map, sizeof(uid_map), "0 %lu 1", (unsigned long)geteuid());
	snprintf(gid_map, sizeof(gid_map), "0 %lu 1", (unsigned long)getegid());
	if (unshare(CLONE_NEWNS) < 0 &&
			(unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0 ||
			!write_file("/proc/self/setgroups", "deny") ||
			!write_file("/proc/self/uid_map", uid_map) ||
			!write_file("/proc/self/gid_map", gid_map))) {
		return false;
	}
	return mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0 &&
		mount("flagman-test", "/run", "tmpfs", 0, "mode=0755") == 0 &&
		mkdir("/run/systemd", 0755) == 0 &&
		mkdir("/run/systemd/journal", 0755) == 0;
}

/* One entry's fields, as both sides get them. */
struct entry {
	int level;
	const char *action, *signame, *msg;
};

// sd_journal_sendv with the fields flagman sends for e, in its order.
static void libsystemd_send(const struct entry *e)
{
	char *f[5];
	struct iovec iov[5];
	int n = 0;

	assert_true(asprintf(&f[n++], "MESSAGE=%s", e->msg) > 0);
	assert_true(asprintf(&f[n++], "PRIORITY=%d", e->level) > 0);
	assert_true(asprintf(&f[n++], "SYSLOG_IDENTIFIER=%s", FM_PROGRAM) > 0);
	if (e->action) {
		assert_true(asprintf(&f[n++], "FLAGMAN_ACTION=%s", e->action) > 0);
	}
	if (e->signame) {
		assert_true(asprintf(&f[n++], "FLAGMAN_SIGNAL=%s", e->signame) > 0);
	}
	for (int i = 0; i < n; i++) {
		iov[i] = (struct iovec){ f[i], strlen(f[i]) };
	}
	assert_int_equal(sd_journal_sendv(iov, n), 0);
	for (int i = 0; i < n; i++) {
		free(f[i]);
	}
}

static int journal_fd = -1; /* the test's journal socket */

// Asserts that got is exactly what sd_journal_sendv() sends for e.
static void expect_entry(const struct datagram *got, const struct entry *e)
{
	struct datagram want;

	libsystemd_send(e);
	receive(journal_fd, &want);
	assert_int_equal(got->len, want.len);
	assert_memory_equal(got->data, want.data, want.len);
}

/*
 * Each entry as fm_journal_entry() writes it is what sd_journal_sendv()
 * sends.  sd_journal_sendv adds SYSLOG_IDENTIFIER only when it is not
 * given; flagman always gives it, so nothing differs, not even the order
 * of the fields.
 */
static void test_journal_entries(void **state)
{
	static const struct entry entries[] = {
		{ FM_LOG_WARNING, "dnscheck", "USR1", "exited with status 3" },
		{ FM_LOG_ERROR, NULL, NULL, "reload failed: 2 errors" },
		{ FM_LOG_INFO, "cli-1", "RTMIN+2", "=starts with =, ends with =" },
		// The binary form: FIELD, newline, 64-bit little-endian length.
		{ FM_LOG_DEBUG, "two\nlines", "HUP", "first line\nsecond line\n" },
		{ FM_LOG_ERROR, NULL, NULL, "" },
	};
	struct datagram got;

	(void)state;
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		const struct entry *e = &entries[i];

		got.len = fm_journal_entry(got.data, sizeof(got.data), e->level,
			e->action, e->signame, e->msg);
		expect_entry(&got, e);
	}
	// The binary form is really what both sent.
	got.len = fm_journal_entry(got.data, sizeof(got.data), FM_LOG_DEBUG,
		NULL, NULL, "first line\nsecond line\n");
	assert_memory_equal(got.data, "MESSAGE\n\x17\0\0\0\0\0\0\0"
		"first line\n", 27);
}

/*
 * flagman's log, in this process, with stderr taken for the journal's
 * stream: the entry on the socket is sd_journal_sendv()'s for the same
 * fields, the control characters of the message and of the action's name
 * escaped.
 */
static void test_journal_log(void **state)
{
	static const struct entry escaped = { FM_LOG_WARNING, "a\\x1bb", "USR2",
		"bell\\x07 and\\rreturn" };
	struct datagram got;
	char stream[64];
	struct stat st;

	(void)state;
	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(stream, sizeof(stream), "%llu:%llu",
		(unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", stream, 1);
	fm_log_init(FM_LOG_DEBUG);
	fm_log(FM_LOG_WARNING, "a\033b", "USR2", "bell\a and\rreturn");
	receive(journal_fd, &got);
	expect_entry(&got, &escaped);
}

/*
 * The real daemon with stderr as the journal's stream: its entries, with
 * their priority and the FLAGMAN_ACTION and FLAGMAN_SIGNAL fields, are
 * sd_journal_sendv()'s, and nothing goes to stderr.
 */
static void test_journal_daemon(void **state)
{
	static const char *const argv[] = { "flagman", "-v", "--no-config",
		"--usr2", "print_once", "x", NULL };
	struct entry want[] = {
		{ FM_LOG_INFO, NULL, NULL, NULL },
		{ FM_LOG_INFO, NULL, NULL, "ready: 1 action" },
		{ FM_LOG_WARNING, "cli-1", "USR2", "action closed: Only print once" },
		{ FM_LOG_WARNING, NULL, NULL, "every action has closed; exiting" },
	};
	struct datagram got[4];
	struct t_proc p;
	char line[512], pid[32];

	(void)state;
	t_start_journal(&p, argv, NULL);
	snprintf(pid, sizeof(pid), "PID: %d", (int)p.pid);
	want[0].msg = pid;
	t_expect_out(&p, (const char *const[]){ "init", NULL });
	t_kill(&p, SIGUSR2);
	t_expect_out(&p, (const char *const[]){ "x", "cleanup", NULL });
	assert_int_equal(t_wait(&p, T_TIMEOUT), 1);
	assert_false(t_err_line(&p, line, sizeof(line), T_TIMEOUT));
	t_finish(&p);
	// All of the daemon's first: libsystemd's go to the same socket.
	for (size_t i = 0; i < 4; i++) {
		receive(journal_fd, &got[i]);
	}
	for (size_t i = 0; i < 4; i++) {
		expect_entry(&got[i], &want[i]);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest notify[] = {
		cmocka_unit_test(test_notify_datagrams),
		cmocka_unit_test(test_notify_abstract),
	};
	const struct CMUnitTest journal[] = {
		cmocka_unit_test(test_journal_entries),
		cmocka_unit_test(test_journal_log),
		cmocka_unit_test(test_journal_daemon),
	};
	struct sockaddr_un sa = { .sun_family = AF_UNIX,
		.sun_path = JOURNAL_SOCKET };

	if (argc == 2 && strcmp(argv[1], "notify") == 0) {
		return cmocka_run_group_tests(notify, NULL, NULL);
	}
	if (argc != 2 || strcmp(argv[1], "journal") != 0) {
		fprintf(stderr, "usage: test_protocol notify|journal\n");
		return 2;
	}
	if (!private_run()) {
		printf("no private /run (neither a mount nor a user namespace: "
			"%s): skipped\n", strerror(errno));
		return 77;
	}
	journal_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (journal_fd < 0 || bind(journal_fd, (struct sockaddr *)&sa,
			sizeof(sa)) < 0) {
		perror("test_protocol: " JOURNAL_SOCKET);
		return 1;
	}
	return cmocka_run_group_tests(journal, NULL, NULL);
}
