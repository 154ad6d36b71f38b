/*
 * Typed values (src/schema.c) and signal names (src/signals.c): what is
 * accepted, what it becomes, and the exact words of every refusal.
 */
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "schema.h"
#include "signals.h"

static void test_duration_accepts(void **state)
{
	static const struct {
		const char *text;
		uint64_t ms;
	} ok[] = {
		{ "250ms", 250 }, { "30s", 30000 }, { "5m", 300000 },
		{ "1h30m", 5400000 }, { "10", 10000 }, { "0", 0 }, { "0s", 0 },
		{ "1h", 3600000 }, { "2d", 172800000 }, { "1m30s", 90000 },
		{ "1s500ms", 1500 }, { "007", 7000 },
	};
	uint64_t ms;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ms = 12345;
		if (!fm_parse_duration(ok[i].text, &ms)) {
			fail_msg("'%s' refused", ok[i].text);
		}
		assert_int_equal(ms, ok[i].ms);
	}
}

static void test_duration_rejects(void **state)
{
	static const char *const bad[] = {
		"", "abc", "5x", "1.5s", "-1", "+5", " 5", "5 ", "5 s", "s", "ms",
		"5min", "5S", "1h30", "5sms", "10e3",
		// overflow: more digits than fit, and a sum beyond the limit
		"99999999999999999999999", "18446744073709551616",
		"213503982335d", "106751991167d106751991167d",
	};
	uint64_t ms = 42;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (fm_parse_duration(bad[i], &ms)) {
			fail_msg("'%s' accepted as %llu ms", bad[i],
				(unsigned long long)ms);
		}
		assert_int_equal(ms, 42); // untouched on failure
	}
}

// The text of a duration reads back the same, up to the parser's limit.
static void test_duration_text(void **state)
{
	static const struct {
		uint64_t ms;
		const char *text;
	} cases[] = {
		{ 0, "0s" }, { 1, "1ms" }, { 1500, "1s500ms" }, { 90000, "1m30s" },
		{ 5400250, "1h30m250ms" }, { 86400000, "1d" },
		{ UINT64_MAX / 2, "106751991167d7h12m55s807ms" },
	};
	char buf[FM_DURATION_TEXT];
	uint64_t ms;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_string_equal(fm_duration_text(cases[i].ms, buf),
			cases[i].text);
		assert_true(fm_parse_duration(buf, &ms));
		assert_int_equal(ms, cases[i].ms);
	}
}

static void test_bool(void **state)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "YES",
		"True", "On" };
	static const char *const no[] = { "no", "false", "off", "0", "NO",
		"False", "oFF" };
	static const char *const bad[] = { "", "y", "n", "2", "yess", "enabled",
		" yes", "no " };
	bool b;

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		b = false;
		assert_true(fm_parse_bool(yes[i], &b));
		assert_true(b);
		assert_true(fm_parse_bool(no[i], &b));
		assert_false(b);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (fm_parse_bool(bad[i], &b)) {
			fail_msg("'%s' accepted as a boolean", bad[i]);
		}
	}
}

// Splits text and compares with the expected words (NULL-ended).
static void expect_split(const char *text, const char *const *want)
{
	char err[128] = "";
	char **words = fm_argv_split(text, err, sizeof(err));
	size_t i;

	if (!words) {
		fail_msg("'%s' refused: %s", text, err);
	}
	for (i = 0; want[i]; i++) {
		if (!words[i]) {
			fail_msg("'%s': word %zu missing", text, i);
		}
		assert_string_equal(words[i], want[i]);
	}
	assert_null(words[i]);
	free(words);
}

#define WORDS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void test_argv_split(void **state)
{
	(void)state;
	expect_split("/usr/bin/logger -t x", WORDS("/usr/bin/logger", "-t", "x"));
	expect_split("  a \t b  ", WORDS("a", "b"));
	expect_split("logger \"hello world\"", WORDS("logger", "hello world"));
	expect_split("a 'single \"quoted\" $HOME'",
		WORDS("a", "single \"quoted\" $HOME"));
	expect_split("a \"x \\\"y\\\" \\\\ \\$ \\` \\n\"",
		WORDS("a", "x \"y\" \\ $ ` \\n"));
	expect_split("'it'\\''s'", WORDS("it's"));
	expect_split("a\\ b c\\\\d \\'", WORDS("a b", "c\\d", "'"));
	expect_split("'' \"\" x", WORDS("", "", "x"));
	expect_split("pre'mid'\"post\"", WORDS("premidpost"));
	expect_split("'\\'", WORDS("\\"));
	expect_split("*.conf $HOME ~", WORDS("*.conf", "$HOME", "~"));
	expect_split("", (const char *const[]){ NULL });
	expect_split("   ", (const char *const[]){ NULL });
}

static void expect_split_error(const char *text, const char *message)
{
	char err[128] = "";

	assert_null(fm_argv_split(text, err, sizeof(err)));
	assert_string_equal(err, message);
}

static void test_argv_split_errors(void **state)
{
	(void)state;
	expect_split_error("echo 'hello", "unterminated single quote");
	expect_split_error("echo \"hello", "unterminated double quote");
	expect_split_error("echo \"it's", "unterminated double quote");
	expect_split_error("a \"b\\\"", "unterminated double quote");
	expect_split_error("echo \\", "trailing backslash");
}

static void test_signal_parse(void **state)
{
	static const struct {
		const char *name;
		int signo;
	} ok[] = {
		{ "usr1", SIGUSR1 }, { "SIGUSR1", SIGUSR1 }, { "Hup", SIGHUP },
		{ "sighup", SIGHUP }, { "SigUsr2", SIGUSR2 }, { "winch", SIGWINCH },
		{ "TERM", SIGTERM }, { "10", 10 }, { "1", 1 }, { "64", 64 },
		{ "SIG10", 10 }, { "kill", SIGKILL }, { "chld", SIGCHLD },
	};
	static const char *const bad[] = {
		"", "SIG", "usr3", "sigusr", "USR1 ", " USR1", "0", "65", "-1", "+1",
		"10x", "1e1", "rtmin+", "rtmin-1", "rtmax+1", "rtmin+31",
		"rtmax-31", "RTMIN+ 1", "rtmin+-1", "rtmin+1x", "SIGSIGUSR1", "RT",
		"rtmid",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(fm_signal_parse(ok[i].name), ok[i].signo);
	}
	assert_int_equal(fm_signal_parse("rtmin"), SIGRTMIN);
	assert_int_equal(fm_signal_parse("rtmin+2"), SIGRTMIN + 2);
	assert_int_equal(fm_signal_parse("SIGRTMIN+2"), SIGRTMIN + 2);
	assert_int_equal(fm_signal_parse("RTMAX-1"), SIGRTMAX - 1);
	assert_int_equal(fm_signal_parse("sigrtmax"), SIGRTMAX);
	assert_int_equal(fm_signal_parse("RtMax-0"), SIGRTMAX);
	assert_int_equal(fm_signal_parse("rtmin+30"), SIGRTMAX);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (fm_signal_parse(bad[i])) {
			fail_msg("'%s' accepted as signal %d", bad[i],
				fm_signal_parse(bad[i]));
		}
	}
}

static void test_signal_name(void **state)
{
	char buf[FM_SIGNAME_MAX];

	(void)state;
	assert_string_equal(fm_signal_name(SIGUSR1, buf), "USR1");
	assert_string_equal(fm_signal_name(SIGHUP, buf), "HUP");
	assert_string_equal(fm_signal_name(SIGWINCH, buf), "WINCH");
	assert_string_equal(fm_signal_name(SIGTERM, buf), "TERM");
	assert_string_equal(fm_signal_name(SIGRTMIN, buf), "RTMIN");
	assert_string_equal(fm_signal_name(SIGRTMIN + 2, buf), "RTMIN+2");
	assert_string_equal(fm_signal_name(SIGRTMAX - 1, buf), "RTMAX-1");
	assert_string_equal(fm_signal_name(SIGRTMAX, buf), "RTMAX");
	// The nearer end names it, as kill -l does: 49 and 50 on Linux.
	assert_string_equal(fm_signal_name(SIGRTMIN + 15, buf), "RTMIN+15");
	assert_string_equal(fm_signal_name(SIGRTMIN + 16, buf), "RTMAX-14");
	assert_string_equal(fm_signal_name(0, buf), "0");
	assert_string_equal(fm_signal_name(65, buf), "65");
	// Every number flagman can meet reads back as itself.
	for (int s = 1; s <= SIGRTMAX; s++) {
		assert_int_equal(fm_signal_parse(fm_signal_name(s, buf)), s);
	}
}

static void test_signal_triggers(void **state)
{
	sigset_t set;

	(void)state;
	assert_true(fm_signal_is_trigger(SIGHUP));
	assert_true(fm_signal_is_trigger(SIGUSR1));
	assert_true(fm_signal_is_trigger(SIGUSR2));
	assert_true(fm_signal_is_trigger(SIGWINCH));
	assert_true(fm_signal_is_trigger(SIGRTMIN));
	assert_true(fm_signal_is_trigger(SIGRTMAX));
	assert_false(fm_signal_is_trigger(SIGTERM));
	assert_false(fm_signal_is_trigger(SIGINT));
	assert_false(fm_signal_is_trigger(SIGQUIT));
	assert_false(fm_signal_is_trigger(SIGCHLD));
	assert_false(fm_signal_is_trigger(SIGPIPE));
	assert_false(fm_signal_is_trigger(SIGSEGV));
	assert_false(fm_signal_is_trigger(SIGKILL));
	assert_false(fm_signal_is_trigger(0));
	fm_signal_handled_set(&set);
	for (int s = 1; s <= SIGRTMAX; s++) {
		bool want = fm_signal_is_trigger(s) || s == SIGTERM || s == SIGINT ||
			s == SIGCHLD;
		if (sigismember(&set, s) != want) {
			fail_msg("signal %d %s the handled set", s,
				want ? "missing from" : "wrongly in");
		}
	}
}

static void test_edit_distance(void **state)
{
	char long_name[80];

	(void)state;
	assert_int_equal(fm_edit_distance("", ""), 0);
	assert_int_equal(fm_edit_distance("abc", ""), 3);
	assert_int_equal(fm_edit_distance("", "abc"), 3);
	assert_int_equal(fm_edit_distance("print", "print"), 0);
	assert_int_equal(fm_edit_distance("prnt", "print"), 1);
	assert_int_equal(fm_edit_distance("comand", "command"), 1);
	assert_int_equal(fm_edit_distance("kitten", "sitting"), 3);
	assert_int_equal(fm_edit_distance("sitting", "kitten"), 3);
	assert_int_equal(fm_edit_distance("exce", "exec"), 2);
	assert_int_equal(fm_edit_distance("delay_prnt", "delay_print"), 1);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(fm_edit_distance(long_name, "a"), UINT_MAX);
}

// Parses text for spec into a fresh field; returns the error text, or "".
static const char *parse(const struct fm_arg_spec *spec, const char *text,
	void *dst)
{
	static char err[256];

	err[0] = '\0';
	if (fm_value_parse(spec, text, dst, err, sizeof(err))) {
		assert_string_equal(err, "");
	} else {
		assert_string_not_equal(err, "");
	}
	return err;
}

static void test_value_parse(void **state)
{
	static const char *const modes[] = { "inherit", "log", "null", NULL };
	const struct fm_arg_spec s_int = { .name = "count", .type = FM_ARG_INT,
		.min = 1, .max = 10 };
	const struct fm_arg_spec s_any = { .name = "n", .type = FM_ARG_INT };
	const struct fm_arg_spec s_path = {
		.name = "path", .type = FM_ARG_PATH };
	const struct fm_arg_spec s_enum = { .name = "output",
		.type = FM_ARG_ENUM, .choices = modes };
	const struct fm_arg_spec s_sig = {
		.name = "send", .type = FM_ARG_SIGNAL };
	const struct fm_arg_spec s_dur = {
		.name = "timeout", .type = FM_ARG_DURATION };
	const struct fm_arg_spec s_bool = {
		.name = "append", .type = FM_ARG_BOOL };
	const struct fm_arg_spec s_argv = {
		.name = "command", .type = FM_ARG_ARGV };
	long long n = 0;
	char *path = NULL, **argv = NULL;
	int e = 0, sig = 0;
	uint64_t ms = 0;
	bool b = false;

	(void)state;
	assert_string_equal(parse(&s_int, "7", &n), "");
	assert_int_equal(n, 7);
	assert_string_equal(parse(&s_int, "11", &n),
		"11 for 'count' is out of range (1 to 10)");
	assert_string_equal(parse(&s_int, "0x3", &n),
		"invalid integer '0x3' for 'count'");
	assert_string_equal(parse(&s_any, "-5", &n), "");
	assert_int_equal(n, -5);
	assert_string_equal(parse(&s_any, "99999999999999999999", &n),
		"invalid integer '99999999999999999999' for 'n'");
	assert_string_equal(parse(&s_any, "", &n), "invalid integer '' for 'n'");
	assert_string_equal(parse(&s_path, "relative/x", &path),
		"'relative/x' for 'path' is not an absolute path");
	assert_null(path);
	assert_string_equal(parse(&s_path, "/run/x.pid", &path), "");
	assert_string_equal(path, "/run/x.pid");
	fm_value_free(&s_path, &path);
	assert_null(path);
	assert_string_equal(parse(&s_enum, "LOG", &e), "");
	assert_int_equal(e, 1);
	assert_string_equal(parse(&s_enum, "file", &e), "invalid value 'file' "
		"for 'output' (expected inherit | log | null)");
	assert_string_equal(parse(&s_sig, "sigusr2", &sig), "");
	assert_int_equal(sig, SIGUSR2);
	assert_string_equal(parse(&s_sig, "usr3", &sig),
		"unknown signal 'usr3' for 'send'");
	assert_string_equal(parse(&s_dur, "1h30m", &ms), "");
	assert_int_equal(ms, 5400000);
	assert_string_equal(parse(&s_dur, "3 minutes", &ms), "invalid duration "
		"'3 minutes' for 'timeout' (e.g. 30s, 5m, 1h30m)");
	assert_string_equal(parse(&s_bool, "on", &b), "");
	assert_true(b);
	assert_string_equal(parse(&s_bool, "maybe", &b), "invalid boolean "
		"'maybe' for 'append' (yes/no, true/false, on/off, 1/0)");
	assert_string_equal(parse(&s_argv, "   ", &argv),
		"empty value for 'command'");
	assert_string_equal(parse(&s_argv, "'' -x", &argv),
		"empty first word in 'command'");
	assert_string_equal(parse(&s_argv, "sh -c 'x", &argv), "invalid command "
		"line for 'command': unterminated single quote");
	assert_null(argv);
	assert_string_equal(parse(&s_argv, "/bin/echo 'a b'", &argv), "");
	assert_string_equal(argv[1], "a b");
	fm_value_free(&s_argv, &argv);
	assert_null(argv);
}

static void test_value_ids(void **state)
{
	const struct fm_arg_spec s_user = {
		.name = "user", .type = FM_ARG_USER };
	const struct fm_arg_spec s_group = {
		.name = "group", .type = FM_ARG_GROUP };
	uid_t uid;
	gid_t gid;

	(void)state;
	fm_value_init(&s_user, &uid);
	fm_value_init(&s_group, &gid);
	assert_int_equal(uid, (uid_t)-1);
	assert_int_equal(gid, (gid_t)-1);
	assert_string_equal(parse(&s_user, "root", &uid), "");
	assert_int_equal(uid, 0);
	assert_string_equal(parse(&s_user, "1234", &uid), "");
	assert_int_equal(uid, 1234);
	assert_string_equal(parse(&s_group, "root", &gid), "");
	assert_int_equal(gid, 0);
	assert_string_equal(parse(&s_user, "no-such-user-here", &uid),
		"unknown user 'no-such-user-here' for 'user'");
	assert_string_equal(parse(&s_group, "no-such-group-here", &gid),
		"unknown group 'no-such-group-here' for 'group'");
	assert_string_equal(parse(&s_user, "4294967295", &uid),
		"unknown user '4294967295' for 'user'");
}

static void test_type_names(void **state)
{
	(void)state;
	assert_string_equal(fm_arg_type_name(FM_ARG_STRING), "string");
	assert_string_equal(fm_arg_type_name(FM_ARG_DURATION), "duration");
	assert_string_equal(fm_arg_type_name(FM_ARG_ARGV), "argv");
	assert_string_equal(fm_arg_type_name(FM_ARG_ENUM), "enum");
	assert_string_equal(fm_arg_type_name((enum fm_arg_type)99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_accepts),
		cmocka_unit_test(test_duration_rejects),
		cmocka_unit_test(test_duration_text),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_argv_split),
		cmocka_unit_test(test_argv_split_errors),
		cmocka_unit_test(test_signal_parse),
		cmocka_unit_test(test_signal_name),
		cmocka_unit_test(test_signal_triggers),
		cmocka_unit_test(test_edit_distance),
		cmocka_unit_test(test_value_parse),
		cmocka_unit_test(test_value_ids),
		cmocka_unit_test(test_type_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
