/*
 * exec's on_unchanged = stop end to end: the real daemon runs a probe
 * whose output and exit status the test changes between USR1 rounds, and
 * the tests assert exactly which rounds ran the rest of the chain (a print
 * "next"), across timeouts, reloads and restarts with state_directory;
 * the DNS example of conf/examples with stand-in dig and curl; and the
 * SHA-256 behind it, against the test vectors of FIPS 180-4.
 */
#include <errno.h>
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
#include "rootonly.h"
#include "sha256.h"

/* ---- SHA-256 ---- */

static void expect_digest(const char *data, size_t len, size_t repeat,
	const char *hex)
{
	struct fm_sha256 c;
	unsigned char d[FM_SHA256_SIZE];
	char got[FM_SHA256_HEX];

	fm_sha256_init(&c);
	for (size_t i = 0; i < repeat; i++) {
		fm_sha256_update(&c, data, len);
	}
	fm_sha256_final(&c, d);
	fm_sha256_hex(d, got);
	assert_string_equal(got, hex);
}

static void test_sha256_vectors(void **state)
{
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomn"
		"opnopq";
	char a[1000];

	(void)state;
	memset(a, 'a', sizeof(a));
	expect_digest("abc", 3, 1, "ba7816bf8f01cfea414140de5dae2223"
		"b00361a396177a9cb410ff61f20015ad");
	expect_digest(two, strlen(two), 1, "248d6a61d20638b8e5c026930c3e6039"
		"a33ce45964ff2167f6ecedd419db06c1");
	expect_digest(a, sizeof(a), 1000, "cdc76e5c9914fb9281a1c7e284d73e67"
		"f1809a48a497200e046d39ccc7112cd0");
	expect_digest("", 0, 1, "e3b0c44298fc1c149afbf4c8996fb924"
		"27ae41e4649b934ca495991b7852b855");
	// Fed a byte at a time: the block boundaries of update do not matter.
	expect_digest("a", 1, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67"
		"f1809a48a497200e046d39ccc7112cd0");
}

/* ---- the daemon ---- */

// The probe, run by shell, prints $DIR/answer and exits with $DIR/status;
// with $DIR/slow present it first sleeps (for the timeout case).
static const char *shell_probe_conf(const char *shell,
	const char *extra_globals, const char *probe)
{
	const char *script = tp_fmt("%s/probe.sh", tp_dir);

	free(t_write(tp_dir, "probe.sh", tp_fmt("[ -e %s/slow ] && sleep 10\n"
		"cat %s/answer\nexit $(cat %s/status)\n", tp_dir, tp_dir, tp_dir)));
	return tp_fmt("[flagman]\nlog_level = info\n%s\n"
		"[probe]\naction = exec\nsignal = usr1\n"
		"command = %s %s\non_unchanged = stop\n%s\n"
		"[next]\naction = print\nsignal = usr1\nmessage = next\n"
		"[end]\naction = print\nsignal = usr2\nmessage = end\n",
		extra_globals, shell, script, probe);
}

static const char *probe_conf(const char *extra_globals, const char *probe)
{
	return shell_probe_conf("/bin/sh", extra_globals, probe);
}

static void set_probe(const char *answer, int status)
{
	free(t_write(tp_dir, "answer", answer));
	free(t_write(tp_dir, "status", tp_fmt("%d\n", status)));
}

static void start(struct t_proc *p, const char *conf)
{
	char *path = t_write(tp_dir, "flagman.conf", conf);

	t_start(p, (const char *const[]){ "flagman", "-c", path, NULL }, NULL,
		true);
	free(path);
	if (!t_notify_until(p, "READY=1", T_TIMEOUT)) {
		fail_msg("flagman did not report READY=1");
	}
	t_expect_out(p, (const char *const[]){ "init", "init", NULL });
}

// One round: USR1, then USR2 whose "end" marks the end of USR1's chain;
// then the stdout lines the round must have printed before it.
static void round_expect(struct t_proc *p, const char *const *lines)
{
	t_send(p, SIGUSR1);
	t_send(p, SIGUSR2);
	t_expect_out(p, lines);
}

#define CHANGED (const char *const[]){ "next", "end", NULL }
#define SAME (const char *const[]){ "end", NULL }

static void stop(struct t_proc *p)
{
	t_kill(p, SIGTERM);
	assert_int_equal(t_wait(p, T_TIMEOUT), 0);
	t_finish(p);
}

static void test_runs(void **state)
{
	struct t_proc p;

	(void)state;
	set_probe("a\n", 0);
	start(&p, probe_conf("", "output = null"));
	round_expect(&p, CHANGED); // the first run is a change
	round_expect(&p, SAME);
	assert_true(t_err_until(&p, "[probe]: output and exit status "
		"unchanged; skipping the rest of the chain (on_unchanged = stop)",
		T_TIMEOUT));
	round_expect(&p, SAME);
	set_probe("b\n", 0);
	round_expect(&p, CHANGED);
	// The same output with another status is a change (and a failure,
	// which on_failure = continue lets the chain go on after).
	set_probe("b\n", 3);
	round_expect(&p, CHANGED);
	// A failure repeated exactly is unchanged: the chain counts as a
	// success and the rest is skipped.
	round_expect(&p, SAME);
	set_probe("b\n", 0);
	round_expect(&p, CHANGED);
	set_probe("", 0);
	round_expect(&p, CHANGED);
	round_expect(&p, SAME);
	stop(&p);
}

// output = inherit: flagman reads the output for the digest and passes it
// on, byte for byte, unchanged runs included.
static void test_inherit_relays(void **state)
{
	struct t_proc p;

	(void)state;
	set_probe("hello\nworld\n", 0);
	start(&p, probe_conf("", "output = inherit"));
	round_expect(&p, (const char *const[]){ "hello", "world", "next", "end",
		NULL });
	round_expect(&p, (const char *const[]){ "hello", "world", "end", NULL });
	set_probe("hello\n", 0);
	round_expect(&p, (const char *const[]){ "hello", "next", "end", NULL });
	stop(&p);
}

// output = log: the lines are logged as without on_unchanged.
static void test_log_compares(void **state)
{
	struct t_proc p;

	(void)state;
	set_probe("logged line\n", 0);
	start(&p, probe_conf("", "output = log"));
	round_expect(&p, CHANGED);
	assert_true(t_err_until(&p, "[probe]: logged line", T_TIMEOUT));
	round_expect(&p, SAME);
	assert_true(t_err_until(&p, "[probe]: logged line", T_TIMEOUT));
	stop(&p);
}

// The STATUS= line says that the last chain ended unchanged.
static void test_status_text(void **state)
{
	struct t_proc p;

	(void)state;
	set_probe("a\n", 0);
	start(&p, probe_conf("", "output = null"));
	t_send(&p, SIGUSR1);
	t_expect_out(&p, (const char *const[]){ "next", NULL });
	assert_true(t_notify_until(&p, "; last: USR1 ok", T_TIMEOUT));
	t_send(&p, SIGUSR1);
	assert_true(t_notify_until(&p, "; last: USR1 ok, unchanged",
		T_TIMEOUT));
	stop(&p);
}

// A run that timed out is a failure and leaves the memory as it was.
static void test_timeout_keeps_memory(void **state)
{
	char *slow;
	struct t_proc p;

	(void)state;
	set_probe("a\n", 0);
	start(&p, probe_conf("", "output = null\ntimeout = 200ms\n"
		"kill_grace = 100ms"));
	round_expect(&p, CHANGED);
	slow = t_write(tp_dir, "slow", "");
	round_expect(&p, CHANGED); // a failure: on_failure = continue
	assert_true(t_err_until(&p, "timed out", T_TIMEOUT));
	unlink(slow);
	free(slow);
	round_expect(&p, SAME);
	stop(&p);
}

// An unchanged action keeps its memory across a reload; a changed one
// starts afresh.
static void test_reload(void **state)
{
	struct t_proc p;
	char *path;

	(void)state;
	set_probe("a\n", 0);
	start(&p, probe_conf("", "output = null"));
	round_expect(&p, CHANGED);
	round_expect(&p, SAME);
	path = t_write(tp_dir, "flagman.conf", probe_conf("overlap = queue",
		"output = null"));
	t_kill(&p, SIGHUP);
	assert_true(t_err_until(&p, "configuration reloaded", T_TIMEOUT));
	round_expect(&p, SAME);
	free(t_write(tp_dir, "flagman.conf", probe_conf("", "output = null\n"
		"timeout = 1h")));
	t_kill(&p, SIGHUP);
	assert_true(t_err_until(&p, "configuration reloaded", T_TIMEOUT));
	round_expect(&p, CHANGED);
	round_expect(&p, SAME);
	free(path);
	stop(&p);
}

// With state_directory the memory survives a restart, for the same
// definition only.
static void test_restart(void **state)
{
	const char *globals = tp_fmt("state_directory = %s/state", tp_dir);
	const char *record = tp_fmt("%s/state/probe", tp_dir);
	struct stat st;
	struct t_proc p;

	(void)state;
	set_probe("a\n", 0);
	start(&p, probe_conf(globals, "output = null"));
	assert_int_equal(stat(tp_fmt("%s/state", tp_dir), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	round_expect(&p, CHANGED);
	stop(&p);
	assert_true(strncmp(tp_file(record), "flagman on_unchanged record 1\n"
		"definition ", 41) == 0);

	start(&p, probe_conf(globals, "output = null"));
	round_expect(&p, SAME);
	set_probe("b\n", 0);
	round_expect(&p, CHANGED);
	stop(&p);

	start(&p, probe_conf(globals, "output = null"));
	round_expect(&p, SAME);
	stop(&p);

	// Another command: the record is of another definition.
	start(&p, probe_conf(globals, "output = null\ntimeout = 1h"));
	assert_true(t_err_until(&p, "is of another definition", T_TIMEOUT));
	round_expect(&p, CHANGED);
	round_expect(&p, SAME);
	stop(&p);
}

static void test_corrupt_record(void **state)
{
	const char *globals = tp_fmt("state_directory = %s/state", tp_dir);
	struct t_proc p;

	(void)state;
	assert_int_equal(mkdir(tp_fmt("%s/state", tp_dir), 0700), 0);
	free(t_write(tp_dir, "state/probe", "flagman on_unchanged record 1\n"
		"definition nonsense\n"));
	set_probe("a\n", 0);
	start(&p, probe_conf(globals, "output = null"));
	assert_true(t_err_until(&p, tp_fmt("warning: [probe]: ignoring the "
		"record %s/state/probe: not a record flagman wrote; the first run "
		"counts as a change", tp_dir), T_TIMEOUT));
	round_expect(&p, CHANGED);
	round_expect(&p, SAME);
	stop(&p);
	assert_true(strncmp(tp_file(tp_fmt("%s/state/probe", tp_dir)),
		"flagman on_unchanged record 1\ndefinition ", 41) == 0);
}

// Refused at start-up and by --check (exit 2), with what to do.
static void expect_refused(const char *dir, const char *why)
{
	char *path = t_write(tp_dir, "flagman.conf",
		probe_conf(tp_fmt("state_directory = %s", dir), "output = null"));
	char out[4096], err[4096];

	assert_int_equal(t_run((const char *const[]){ "flagman", "--check",
		"-c", path, NULL }, out, sizeof(out), err, sizeof(err)), 2);
	assert_non_null(strstr(err, why));
	assert_int_equal(t_run((const char *const[]){ "flagman", "-c", path,
		NULL }, out, sizeof(out), err, sizeof(err)), 2);
	assert_non_null(strstr(err, why));
	free(path);
}

static void test_unsafe_mode(void **state)
{
	const char *dir = tp_fmt("%s/state", tp_dir);

	(void)state;
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	expect_refused(dir, tp_fmt("flagman.conf:3: error: [flagman]: "
		"state_directory: refusing %s: owned by uid %u with mode 0777 "
		"(must be owned by uid %u, flagman's user, and not writable by "
		"group or others: chown %u %s and chmod go-w %s)", dir,
		(unsigned)geteuid(), (unsigned)geteuid(), (unsigned)geteuid(), dir,
		dir));
	// Through a directory others can write in: refused too.
	assert_int_equal(mkdir(tp_fmt("%s/state/sub", tp_dir), 0755), 0);
	expect_refused(tp_fmt("%s/sub", dir), "can replace it");
	// Missing there: --check refuses it too, and start-up creates nothing.
	expect_refused(tp_fmt("%s/missing", dir), "can replace it");
	assert_int_equal(access(tp_fmt("%s/missing", dir), F_OK), -1);
}

// --check creates nothing; a symlink is not followed to a record.
static void test_check_creates_nothing(void **state)
{
	char *path;
	char out[4096], err[4096];
	struct stat st;

	(void)state;
	path = t_write(tp_dir, "flagman.conf", probe_conf(tp_fmt(
		"state_directory = %s/state", tp_dir), "output = null"));
	assert_int_equal(t_run((const char *const[]){ "flagman", "--check",
		"-c", path, NULL }, out, sizeof(out), err, sizeof(err)), 0);
	assert_int_equal(stat(tp_fmt("%s/state", tp_dir), &st), -1);
	free(path);
}

static void test_record_symlink(void **state)
{
	const char *globals = tp_fmt("state_directory = %s/state", tp_dir);
	struct t_proc p;

	(void)state;
	assert_int_equal(mkdir(tp_fmt("%s/state", tp_dir), 0700), 0);
	free(t_write(tp_dir, "target", "kept\n"));
	assert_int_equal(symlink(tp_fmt("%s/target", tp_dir),
		tp_fmt("%s/state/probe", tp_dir)), 0);
	set_probe("a\n", 0);
	start(&p, probe_conf(globals, "output = null"));
	assert_true(t_err_until(&p, "ignoring the record", T_TIMEOUT));
	round_expect(&p, CHANGED);
	stop(&p);
	// The link was replaced, never written through.
	assert_string_equal(tp_file(tp_fmt("%s/target", tp_dir)), "kept\n");
}

// A run whose program could not start is a failure and leaves the memory
// as it was.  (The program is found through PATH, which makes flagman
// fork and exec, and report the failure, under valgrind too.)
static void test_not_started_keeps_memory(void **state)
{
	const char *bin = tp_fmt("%s/bin", tp_dir);
	const char *sh = tp_fmt("%s/probe-sh", bin);
	struct t_proc p;

	(void)state;
	assert_int_equal(mkdir(bin, 0755), 0);
	assert_int_equal(symlink("/bin/sh", sh), 0);
	set_probe("a\n", 0);
	start(&p, shell_probe_conf("probe-sh", "", tp_fmt("output = null\n"
		"environment = PATH=%s", bin)));
	round_expect(&p, CHANGED);
	assert_int_equal(unlink(sh), 0);
	round_expect(&p, CHANGED); // a failure: on_failure = continue
	assert_true(t_err_until(&p, "cannot execute 'probe-sh'", T_TIMEOUT));
	assert_int_equal(symlink("/bin/sh", sh), 0);
	round_expect(&p, SAME);
	stop(&p);
}

// output = inherit when nobody reads flagman's stdout: what does not fit
// is dropped with one warning, the loop goes on, and the comparison still
// covers every byte.
static void test_relay_full(void **state)
{
	const char *mark = tp_fmt("%s/mark", tp_dir);
	const char *dropped = "bytes of the program's output could not go to "
		"flagman's standard output (it would block) and were dropped";
	char *path = t_write(tp_dir, "flagman.conf", tp_fmt("[flagman]\n"
		"log_level = info\n[probe]\naction = exec\nsignal = usr1\n"
		"command = head -c 300000 /dev/zero\non_unchanged = stop\n"
		"[mark]\naction = write\nsignal = usr1\npath = %s\n"
		"content = ran\\n\nappend = yes\n", mark));
	struct t_proc p;

	(void)state;
	t_start(&p, (const char *const[]){ "flagman", "-c", path, NULL }, NULL,
		true);
	assert_true(t_notify_until(&p, "READY=1", T_TIMEOUT));
	t_send(&p, SIGUSR1);
	assert_true(t_err_until(&p, dropped, T_TIMEOUT));
	tp_expect_file(mark, "ran\n");
	t_send(&p, SIGUSR1);
	assert_true(t_err_until(&p, dropped, T_TIMEOUT));
	assert_true(t_err_until(&p, "[probe]: output and exit status unchanged",
		T_TIMEOUT));
	assert_string_equal(tp_file(mark), "ran\n");
	free(path);
	stop(&p);
}

// --dump shows on_unchanged (default included) and state_directory.
static void test_dump(void **state)
{
	char *path = t_write(tp_dir, "flagman.conf", tp_fmt("[flagman]\n"
		"state_directory = %s/state\n[a]\naction = exec\nsignal = usr1\n"
		"command = true\n", tp_dir));
	char out[8192], err[4096];

	(void)state;
	assert_int_equal(t_run((const char *const[]){ "flagman", "--dump",
		"-c", path, NULL }, out, sizeof(out), err, sizeof(err)), 0);
	assert_non_null(strstr(out, tp_fmt("\nstate_directory = %s/state\n",
		tp_dir)));
	assert_non_null(strstr(out, "\non_unchanged = continue\n"));
	free(path);
}

// A reload to an unsafe state directory is refused: the running
// configuration, and its memory, stay.
static void test_reload_unsafe(void **state)
{
	const char *dir = tp_fmt("%s/open", tp_dir);
	struct t_proc p;

	(void)state;
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	set_probe("a\n", 0);
	start(&p, probe_conf("", "output = null"));
	round_expect(&p, CHANGED);
	free(t_write(tp_dir, "flagman.conf", probe_conf(tp_fmt(
		"state_directory = %s", dir), "output = null")));
	t_kill(&p, SIGHUP);
	assert_true(t_err_until(&p, tp_fmt("state_directory: refusing %s: "
		"owned by uid", dir), T_TIMEOUT));
	assert_true(t_err_until(&p, "reload failed: 1 error; keeping the "
		"running configuration", T_TIMEOUT));
	round_expect(&p, SAME);
	stop(&p);
}

/* ---- the DNS example ---- */

// conf/examples/dns-notify.conf with stand-in dig and curl first in PATH:
// curl must run exactly when dig's answer changed.
static void test_dns_example(void **state)
{
	const char *src = getenv("FLAGMAN_SRCDIR");
	const char *bin = tp_fmt("%s/bin", tp_dir);
	const char *calls = tp_fmt("%s/calls", tp_dir);
	const char *conf;
	char out[4096], err[4096];
	struct t_proc p;
	char *path;

	(void)state;
	assert_non_null(src);
	conf = tp_file(tp_fmt("%s/conf/examples/dns-notify.conf", src));
	assert_true(strlen(conf) > 0);
	path = t_write(tp_dir, "flagman.conf", tp_fmt("%s\n[end]\naction = "
		"print\nsignal = usr2\nmessage = end\n", conf));
	assert_int_equal(mkdir(bin, 0755), 0);
	free(t_write(bin, "dig", tp_fmt("#!/bin/sh\ncat %s/answer\n", tp_dir)));
	free(t_write(bin, "curl", tp_fmt("#!/bin/sh\necho \"$*\" >> %s\n",
		calls)));
	assert_int_equal(chmod(tp_fmt("%s/dig", bin), 0755), 0);
	assert_int_equal(chmod(tp_fmt("%s/curl", bin), 0755), 0);
	assert_int_equal(t_run((const char *const[]){ "flagman", "--check",
		"-c", path, NULL }, out, sizeof(out), err, sizeof(err)), 0);

	set_probe("2026120201 7200 900 1209600 300\n", 0);
	t_start(&p, (const char *const[]){ "flagman", "-c", path, NULL },
		(const char *const[]){ tp_fmt("PATH=%s:/usr/bin:/bin", bin), NULL },
		true);
	assert_true(t_notify_until(&p, "READY=1", T_TIMEOUT));
	t_expect_out(&p, (const char *const[]){ "init", NULL });
	t_send(&p, SIGUSR1);
	t_send(&p, SIGUSR2);
	t_expect_out(&p, (const char *const[]){ "end", NULL });
	assert_int_equal(strlen(tp_file(calls)) > 0, 1);
	const char *first = tp_file(calls);
	t_send(&p, SIGUSR1);
	t_send(&p, SIGUSR2);
	t_expect_out(&p, (const char *const[]){ "end", NULL });
	assert_string_equal(tp_file(calls), first);
	set_probe("2026120202 7200 900 1209600 300\n", 0);
	t_send(&p, SIGUSR1);
	t_send(&p, SIGUSR2);
	t_expect_out(&p, (const char *const[]){ "end", NULL });
	assert_string_equal(tp_file(calls), tp_fmt("%s%s", first, first));
	t_send(&p, SIGUSR1);
	t_send(&p, SIGUSR2);
	t_expect_out(&p, (const char *const[]){ "end", NULL });
	assert_string_equal(tp_file(calls), tp_fmt("%s%s", first, first));
	free(path);
	stop(&p);
}

/* ---- as root ---- */

// A directory below one that another user owns: refused, by --check too
// before it exists (flagman would create it there).
static void test_foreign_parent(void **state)
{
	const char *user = tp_fmt("%s/user", tp_dir);
	const char *dir = tp_fmt("%s/state", user);
	const char *why = tp_fmt("refusing %s: uid 65534 can replace it", dir);
	struct stat st;

	(void)state;
	assert_int_equal(mkdir(user, 0755), 0);
	assert_int_equal(chown(user, 65534, 65534), 0);
	expect_refused(dir, why);
	// Neither --check nor start-up left a directory behind.
	assert_int_equal(stat(dir, &st), -1);
	assert_int_equal(mkdir(dir, 0755), 0);
	expect_refused(dir, why);
}

// A directory that another user owns is refused.
static void test_foreign_owner(void **state)
{
	const char *dir = tp_fmt("%s/state", tp_dir);

	(void)state;
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(chown(dir, 65534, 65534), 0);
	expect_refused(dir, tp_fmt("refusing %s: owned by uid 65534 with mode "
		"0755", dir));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, tp_dir_set_up, \
	tp_dir_tear_down)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		T(test_runs),
		T(test_inherit_relays),
		T(test_log_compares),
		T(test_status_text),
		T(test_timeout_keeps_memory),
		T(test_reload),
		T(test_restart),
		T(test_corrupt_record),
		T(test_unsafe_mode),
		T(test_check_creates_nothing),
		T(test_record_symlink),
		T(test_not_started_keeps_memory),
		T(test_relay_full),
		T(test_dump),
		T(test_reload_unsafe),
		T(test_dns_example),
	};
	const struct CMUnitTest root_tests[] = {
		T(test_foreign_owner),
		T(test_foreign_parent),
	};

	return T_RUN_GROUPS(tests, root_tests);
}
