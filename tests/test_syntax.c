/*
 * The file format and the command line without dead ends, through the real
 * binary: continuation lines and quoted values reach the actions intact,
 * --dump reads back to the same configuration and the same behaviour for
 * every value the command line takes, --check refuses what start-up would,
 * the reader stays small on a huge line, and --list is coloured on a
 * terminal only.
 */
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "confdata.h"
#include "procinfo.h"

#define ARGS(...) ((const char *const[]){ "flagman", __VA_ARGS__, NULL })

// text (freed) with every "@NAME@" of pairs (NAME, value, ..., NULL)
// replaced.
static char *fill(char *text, ...)
{
	char *out = text;
	const char *name;
	va_list ap;

	va_start(ap, text);
	while ((name = va_arg(ap, const char *))) {
		const char *value = va_arg(ap, const char *);
		char *at, *grown;
		while ((at = strstr(out, name))) {
			assert_true(asprintf(&grown, "%.*s%s%s", (int)(at - out), out,
				value, at + strlen(name)) > 0);
			free(out);
			out = grown;
		}
	}
	va_end(ap);
	return out;
}

static void ready(struct t_proc *p, const char *const *argv)
{
	t_start(p, argv, NULL, true);
	assert_true(t_notify_until(p, "READY=1", T_TIMEOUT));
}

// Reads the lines of text (one a line) from p's stdout, in order.
static void expect_lines(struct t_proc *p, const char *text)
{
	char line[8192];

	while (*text) {
		size_t len = strcspn(text, "\n");
		if (!t_out_line(p, line, sizeof(line), T_TIMEOUT)) {
			fail_msg("expected '%.*s', got nothing", (int)len, text);
		}
		if (strlen(line) != len || strncmp(line, text, len) != 0) {
			fail_msg("expected '%.*s', got '%s'", (int)len, text, line);
		}
		text += len + (text[len] == '\n');
	}
}

static void stop(struct t_proc *p)
{
	t_kill(p, SIGTERM);
	assert_int_equal(t_wait(p, T_TIMEOUT), 0);
	t_finish(p);
}

/* ---- continuation lines ---- */

// A 500-character command on six lines runs with every word, and every
// argument of exec set, some on continuation lines too.
static void test_continuation_runs(void **state)
{
	char uid[16], gid[16], *conf, *out;
	struct t_proc p;

	(void)state;
	td_enter("syntax");
	snprintf(uid, sizeof(uid), "%u", (unsigned)geteuid());
	snprintf(gid, sizeof(gid), "%u", (unsigned)getegid());
	conf = fill(td_slurp("continuation.conf"), "@UID@", uid, "@GID@", gid,
		"@DIR@", td_work, NULL);
	out = fill(td_slurp("continuation.out"), "@DIR@", td_work, NULL);
	free(t_write(td_work, "c.conf", conf));
	ready(&p, ARGS("-c", "c.conf"));
	expect_lines(&p, "init\n"); // [after]'s set-up
	t_kill(&p, SIGUSR1);
	expect_lines(&p, out);
	stop(&p);
	free(conf);
	free(out);
}

/* ---- quoted values ---- */

// Each quoting case reaches print as written; --dump writes them so that
// they read back the same.
static void test_quoting_runs(void **state)
{
	char *out = NULL, *dump;
	struct t_proc p;

	(void)state;
	td_enter("syntax");
	ready(&p, ARGS("-c", "quoting.conf"));
	for (int i = 0; i < 9; i++) {
		expect_lines(&p, "init\n");
	}
	t_kill(&p, SIGUSR1);
	out = td_slurp("quoting.out");
	expect_lines(&p, out);
	stop(&p);

	dump = td_expected_dump("quoting.dump");
	assert_int_equal(TD_RUN("--dump", "-c", "quoting.conf"), 0);
	assert_string_equal(td_err, "");
	assert_string_equal(td_out, dump);
	free(t_write(td_work, "again.conf", dump));
	assert_int_equal(TD_RUN("--dump", "-c", "again.conf"), 0);
	assert_string_equal(td_out, dump);
	free(dump);
	free(out);
}

/* ---- --dump reads back: every value the command line takes ---- */

// Values plain text cannot hold, or only just.
static char long_words[600], long_word[320];

static const char *const tricky[] = {
	"  lead ; semi # hash trail  ", "-dash", "$'not quoted'", "a=b",
	"tab\there", "two\nlines", "\x01" "ctl\x7f", "; first", "# first",
	"back\\slash 'single' \"double\"", long_words, long_word,
	"\xc3\xa9t\xc3\xa9",
};

/*
 * Runs args twice: from the command line, and from its dump; both print
 * the same when USR1 arrives, up to the "END" that a USR2 action prints
 * after it.  (USR2's action comes first: args may end with "--".)  The
 * dump read back dumps the same.
 */
static void round_trip(const char *const *args, size_t n)
{
	const char *argv[64] = { "flagman", "--no-config", "--usr2", "print",
		"END", "--dump" };
	const char *from_dump[] = { "flagman", "-c", "d.conf", NULL };
	char *dump, line[2][8192];
	struct t_proc p[2];
	int r;

	assert_true(n + 7 < sizeof(argv) / sizeof(argv[0]));
	memcpy(argv + 6, args, n * sizeof(*args));
	r = t_run(argv, td_out, sizeof(td_out), td_err, sizeof(td_err));
	assert_string_equal(td_err, "");
	assert_int_equal(r, 0);
	dump = strdup(td_out);
	free(t_write(td_work, "d.conf", dump));
	assert_int_equal(TD_RUN("--dump", "-c", "d.conf"), 0);
	assert_string_equal(td_err, "");
	assert_string_equal(td_out, dump);
	free(dump);

	memmove(argv + 5, argv + 6, (n + 1) * sizeof(*argv)); // no --dump
	ready(&p[0], argv);
	ready(&p[1], from_dump);
	for (int i = 0; i < 2; i++) {
		t_send(&p[i], SIGUSR1);
		t_kill(&p[i], SIGUSR2);
	}
	do {
		for (int i = 0; i < 2; i++) {
			assert_true(t_out_line(&p[i], line[i], sizeof(line[i]),
				T_TIMEOUT));
		}
		assert_string_equal(line[1], line[0]);
	} while (strcmp(line[0], "END") != 0);
	stop(&p[0]);
	stop(&p[1]);
}

#define ROUND_TRIP(...) round_trip((const char *const[]){ __VA_ARGS__ }, \
	sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

static void test_round_trip_print(void **state)
{
	(void)state;
	td_enter(NULL);
	for (size_t i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++) {
		ROUND_TRIP("--usr1", "print", "--", tricky[i]);
		ROUND_TRIP("--usr1", "print_once", "-a", tp_fmt("message=%s",
			tricky[i]));
		ROUND_TRIP("--usr1", "delay_print", "--arg", tp_fmt("message=%s",
			tricky[i]), "-a", "delay=10ms");
	}
	ROUND_TRIP("--usr1", "print", "--arg", "message=");
}

// Every argument of exec; the program prints its words, the environment
// and its directory.
static void test_round_trip_exec(void **state)
{
	const char *shell = "/bin/sh -c 'printf \"[%s]\\n\" \"$@\"; printf "
		"\"%s\\n\" \"$A\" \"$B\" \"$PWD\"' sh";

	(void)state;
	td_enter(NULL);
	for (size_t i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++) {
		char *quoted = NULL, *q;
		// The word in single quotes, each ' as '\''.
		assert_true(asprintf(&quoted, "'") > 0);
		for (const char *c = tricky[i]; *c; c++) {
			q = quoted;
			assert_true(asprintf(&quoted, *c == '\'' ? "%s'\\''" : "%s%c",
				q, *c) > 0);
			free(q);
		}
		ROUND_TRIP("--usr1", "exec", tp_fmt("%s %s' 'plain ; word'", shell,
			quoted), "5s", "usr2", "1s", "", "", td_work,
			tp_fmt("A=%s' B=x\\ ;y", quoted), "yes", "inherit", "stop");
		free(quoted);
	}
	ROUND_TRIP("--usr1", "exec", "/bin/echo", "--arg", tp_fmt("user=%u",
		(unsigned)geteuid()), "-a", tp_fmt("group=%u", (unsigned)getegid()),
		"--arg", "timeout=1h30m250ms", "-a", "kill_grace=0");
}

// write's content has its own escapes.  Both daemons append to one file:
// it holds the content twice exactly.
static void test_round_trip_write(void **state)
{
	(void)state;
	td_enter(NULL);
	for (size_t i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++) {
		if (strchr(tricky[i], '\\')) {
			continue; // not one of write's escapes: refused, as it should
		}
		unlink("out");
		ROUND_TRIP("--usr1", "write", tp_fmt("%s/out", td_work), "-a",
			tp_fmt("content=%s\\n\\t\\\\", tricky[i]), "-a",
			"append=yes");
		assert_string_equal(tp_file("out"), tp_fmt("%s\n\t\\%s\n\t\\",
			tricky[i], tricky[i]));
	}
}

// signal: the dump alone (what it signals is test_signal.c's business).
static void test_round_trip_signal(void **state)
{
	(void)state;
	td_enter(NULL);
	assert_int_equal(TD_RUN("--dump", "--no-config", "--on", "rtmin+3",
		"signal", "rtmax-1", "--arg", "pidfile=/run/a ;b.pid", "-a",
		"process_group=on"), 0);
	assert_string_equal(td_err, "");
	assert_non_null(strstr(td_out, "\nsend = RTMAX-1\npidfile = $'/run/a "
		";b.pid'\nprocess_group = on\n"));
	free(t_write(td_work, "d.conf", td_out));
	assert_int_equal(TD_RUN("--check", "-c", "d.conf"), 0);
}

/* ---- --check refuses what start-up would ---- */

// --check and a start both exit 2 with exactly this (conf's lines).
static void expect_parity(const char *conf, const char *expected)
{
	free(t_write(td_work, "p.conf", conf));
	assert_int_equal(TD_RUN("--check", "-c", "p.conf"), 2);
	assert_string_equal(td_err, expected);
	assert_string_equal(td_out, "");
	assert_int_equal(TD_RUN("-c", "p.conf", "--no-systemd"), 2);
	assert_string_equal(td_err, expected);
	assert_string_equal(td_out, "");
}

static unsigned free_uid(void)
{
	unsigned uid = 54321;

	while (getpwuid(uid)) {
		uid++;
	}
	return uid;
}

/*
 * Every refusal of the built-in set_ups: exec's user and group (EPERM
 * unless root, ENOENT for a bare uid), write's content (EINVAL).  print's
 * set-up and signal's have none; out of memory is not a configuration's.
 */
static void test_check_parity(void **state)
{
	const char *exec = "[who]\naction = exec\nsignal = usr1\n"
		"command = /bin/true\n";
	unsigned uid = free_uid(), me = (unsigned)geteuid();
	char err[1024];

	(void)state;
	td_enter(NULL);
	expect_parity(tp_fmt("%suser =\n", exec), "p.conf:5: error: [who]: "
		"unknown user '' for 'user'\n");
	expect_parity("[w]\naction = write\nsignal = usr1\npath = /tmp/x\n"
		"content = \\\\\\\n", "p.conf:5: error: [w]: 'content' ends with "
		"a lone backslash (write \\\\ for one)\n");
	if (me == 0) {
		expect_parity(tp_fmt("%suser = %u\n", exec, uid), tp_fmt("p.conf:5: "
			"error: [who]: user %u has no passwd entry; set 'group' as "
			"well\n", uid));
		// A bare uid with a group is fine: no passwd entry needed.
		free(t_write(td_work, "p.conf", tp_fmt("%suser = %u\ngroup = %u\n",
			exec, uid, uid)));
		assert_int_equal(TD_RUN("--check", "-c", "p.conf"), 0);
		// Not root: as nobody, through setpriv.
		free(t_write(td_work, "p.conf", tp_fmt("%s\ngroup = 0\n", exec)));
		assert_int_equal(tp_run_as(65534, 65534, ARGS("--check", "-c",
			tp_fmt("%s/p.conf", td_work)), err, sizeof(err)), 2);
		assert_string_equal(err, tp_fmt("%s/p.conf:6: error: [who]: 'user' "
			"and 'group' need flagman to run as root (it runs as uid "
			"65534)\n", td_work));
		assert_int_equal(tp_run_as(65534, 65534, ARGS("-c", tp_fmt(
			"%s/p.conf", td_work), "--no-systemd"), err, sizeof(err)), 2);
		assert_string_equal(err, tp_fmt("%s/p.conf:6: error: [who]: 'user' "
			"and 'group' need flagman to run as root (it runs as uid "
			"65534)\n", td_work));
		return;
	}
	expect_parity(tp_fmt("%suser = 0\n", exec), tp_fmt("p.conf:5: error: "
		"[who]: 'user' and 'group' need flagman to run as root (it runs as "
		"uid %u)\n", me));
	expect_parity(tp_fmt("%suser = %u\ngroup = 0\n", exec, me), tp_fmt(
		"p.conf:6: error: [who]: 'user' and 'group' need flagman to run as "
		"root (it runs as uid %u)\n", me));
}

// A plug-in's own check names its key's line too, all in one pass.
static void test_plugin_check(void **state)
{
	const char *so = getenv("FLAGMAN_PLUGIN_COUNTDOWN");

	(void)state;
	assert_non_null(so);
	td_enter(NULL);
	assert_int_equal(mkdir("plugins", 0755), 0);
	td_copy_file(so, "plugins/c.so");
	free(t_write(td_work, "c.conf", tp_fmt("[flagman]\nplugin_dir = "
		"%s/plugins\n\n[count]\naction = countdown\nsignal = usr1\n"
		"from = 0\ninterval = 5ms\nmessage =\n", td_work)));
	assert_int_equal(TD_RUN("--check", "-c", "c.conf"), 2);
	assert_string_equal(td_err, "c.conf:7: error: [count]: 0 for 'from' is "
		"out of range (1 to 1000)\n"
		"c.conf:8: error: [count]: 'interval' is 0 or at least 10ms\n"
		"c.conf:9: error: [count]: an empty 'message' would print an empty "
		"line\n");
}

/* ---- the reader on a huge line ---- */

// Runs flagman to its end; its peak RSS in kB.
static long peak_rss_kb(const char *const *argv)
{
	struct rusage ru;
	int st, null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execv(t_flagman(), (char *const *)argv);
		_exit(127);
	}
	close(null);
	assert_int_equal(wait4(pid, &st, 0, &ru), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 2);
	return ru.ru_maxrss;
}

// A 10 MB line and a 1 GiB sparse file: refused, quickly, in no more
// memory than a small file takes.
static void test_huge_line(void **state)
{
	long small, big, sparse;
	long long start;
	char *line;
	int fd;

	(void)state;
	td_enter(NULL);
	free(t_write(td_work, "small.conf", "[a]\n"));
	line = malloc(10 * 1024 * 1024 + 1);
	assert_non_null(line);
	memset(line, 'x', 10 * 1024 * 1024);
	line[10 * 1024 * 1024] = '\0';
	free(t_write(td_work, "big.conf", line));
	free(line);
	fd = open("sparse.conf", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1LL << 30), 0);
	close(fd);

	assert_int_equal(TD_RUN("--check", "-c", "big.conf"), 2);
	assert_string_equal(td_err, "big.conf:1: error: line is longer than "
		"65536 characters (at most 198 are allowed); the rest of the file "
		"is not read\n");
	start = t_now_ms();
	assert_int_equal(TD_RUN("--check", "-c", "sparse.conf"), 2);
	assert_true(t_now_ms() - start < 5000 + tp_slack_ms());
	assert_string_equal(td_err, "sparse.conf:1: error: NUL byte in the "
		"line\nsparse.conf:1: error: line is longer than 65536 characters "
		"(at most 198 are allowed); the rest of the file is not read\n");
	small = peak_rss_kb(ARGS("--check", "-c", "small.conf"));
	big = peak_rss_kb(ARGS("--check", "-c", "big.conf"));
	sparse = peak_rss_kb(ARGS("--check", "-c", "sparse.conf"));
	assert_true(big < small + 1024);
	assert_true(sparse < small + 1024);
}

/* ---- --list in colour on a terminal ---- */

// flagman --list on a pseudo-terminal, NO_COLOR set to no_color (or
// unset); its output without the CRs the terminal adds.
static char *list_on_tty(const char *no_color)
{
	char *text = NULL, buf[4096];
	size_t size = 0;
	FILE *m = open_memstream(&text, &size);
	int master, st;
	ssize_t n;
	pid_t pid = forkpty(&master, NULL, NULL, NULL);

	assert_true(pid >= 0);
	if (pid == 0) {
		if (no_color) {
			setenv("NO_COLOR", no_color, 1);
		} else {
			unsetenv("NO_COLOR");
		}
		setenv("TERM", "xterm", 1);
		execl(t_flagman(), "flagman", "--list", "--no-config", (char *)NULL);
		_exit(127);
	}
	// The end of the output is EIO once the child has closed the terminal.
	while ((n = read(master, buf, sizeof(buf))) > 0 || (n < 0 &&
			errno == EINTR)) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\r') {
				fputc(buf[i], m);
			}
		}
	}
	close(master);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	fclose(m);
	return text;
}

// text without its SGR escapes (ESC [ ... m).
static char *plain(const char *text)
{
	char *out = strdup(text), *o = out;

	assert_non_null(out);
	for (const char *p = text; *p; p++) {
		if (p[0] == '\033' && p[1] == '[') {
			p += strspn(p + 2, "0123456789;") + 2;
			assert_int_equal(*p, 'm');
			continue;
		}
		*o++ = *p;
	}
	*o = '\0';
	return out;
}

static void test_list_colour(void **state)
{
	char *piped, *coloured, *stripped, *no_color, *empty;

	(void)state;
	td_enter(NULL);
	assert_int_equal(TD_RUN("--list", "--no-config"), 0);
	piped = strdup(td_out);
	assert_null(strchr(piped, '\033'));
	coloured = list_on_tty(NULL);
	stripped = plain(coloured);
	// The same table, with the names in bold and signatures in cyan.
	assert_string_equal(stripped, piped);
	assert_non_null(strstr(coloured, "\033[1mexec\033[0m        - Runs"));
	assert_non_null(strstr(coloured, "\033[36m(message:\033[0m "
		"\033[36mstring)\033[0m\n"));
	no_color = list_on_tty("1");
	assert_string_equal(no_color, piped);
	// An empty NO_COLOR does not count (no-color.org).
	empty = list_on_tty("");
	assert_string_equal(empty, coloured);
	free(piped);
	free(coloured);
	free(stripped);
	free(no_color);
	free(empty);
}

static int leave(void **state)
{
	td_leave(state);
	tp_strings_free();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define TEST(fn) cmocka_unit_test_teardown(fn, leave)
		TEST(test_continuation_runs),
		TEST(test_quoting_runs),
		TEST(test_round_trip_print),
		TEST(test_round_trip_exec),
		TEST(test_round_trip_write),
		TEST(test_round_trip_signal),
		TEST(test_check_parity),
		TEST(test_plugin_check),
		TEST(test_huge_line),
		TEST(test_list_colour),
#undef TEST
	};

	umask(022);
	for (size_t i = 0; i < sizeof(long_words) - 1; i++) {
		long_words[i] = i % 7 == 6 ? ' ' : (char)('a' + i % 26);
	}
	memset(long_word, 'w', sizeof(long_word) - 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
