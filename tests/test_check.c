/*
 * The configuration as the command line sees it, through the real binary:
 * --check and --dump, drop-ins, command-line precedence, --no-config and -c,
 * paths that are not files, the checks made as root, and the shipped
 * example and demo configurations.
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

#include "confdata.h"
#include "rootonly.h"

#define NOBODY 65534

// BOM, CR LF, comments, the longest line, several signals, a disabled
// action: --dump shows what flagman made of them.
static void test_features_dump(void **state)
{
	char *expected;

	(void)state;
	td_enter("good");
	expected = td_slurp("features.dump");
	assert_int_equal(TD_RUN("--dump", "-c", "features.conf"), 0);
	assert_string_equal(td_err, "");
	assert_string_equal(td_out, expected);
	assert_int_equal(TD_RUN("--check", "-c", "features.conf"), 0);
	assert_string_equal(td_out, "");
	assert_string_equal(td_err, "");
	free(expected);
}

/* ---- drop-ins ---- */

static void test_dropins(void **state)
{
	char *expected;

	(void)state;
	td_enter("dropin");
	expected = td_expected_dump("expected.dump");
	assert_int_equal(TD_RUN("--dump", "-c", "flagman.conf"), 0);
	assert_string_equal(td_err, "");
	assert_string_equal(td_out, expected);
	free(expected);
}

// Problems in several files: the main file's first, then each drop-in's.
static void test_dropins_bad(void **state)
{
	char *expected;

	(void)state;
	td_enter("dropin-bad");
	expected = td_slurp("expected");
	assert_int_equal(TD_RUN("--check", "-c", "flagman.conf"), 2);
	assert_string_equal(td_err, expected);
	free(expected);
}

static void test_dropin_dir_not_dir(void **state)
{
	(void)state;
	td_enter(NULL);
	free(t_write(td_work, "f.conf", "[a]\naction = print\nsignal = usr1\n"
		"message = a\n"));
	free(t_write(td_work, "f.d", "not a directory\n"));
	assert_int_equal(TD_RUN("--check", "-c", "f.conf"), 2);
	assert_string_equal(td_err, "f.d: error: not a directory\n");
}

/* ---- command line and files ---- */

static const char base_conf[] =
	"[flagman]\n"
	"successful_empty = no\n"
	"overlap = queue\n"
	"log_level = warning\n"
	"\n"
	"[from-file]\n"
	"action = print\n"
	"signal = usr1\n"
	"message = from the file\n";

static void test_cli_precedence(void **state)
{
	(void)state;
	td_enter(NULL);
	free(t_write(td_work, "f.conf", base_conf));
	assert_int_equal(TD_RUN("--dump", "-c", "f.conf", "--successful-empty",
		"--overlap", "drop", "-v", "--usr1", "print", "from the cli"), 0);
	assert_string_equal(td_dump_line("successful_empty"),
		"successful_empty = yes");
	assert_string_equal(td_dump_line("overlap"), "overlap = drop");
	assert_string_equal(td_dump_line("log_level"), "log_level = info");
	// Configured actions first, then the command line's.
	assert_non_null(strstr(td_out, "\n[from-file]\naction = print\n"
		"signal = USR1\nenabled = yes\nmessage = from the file\n\n"
		"[cli-1]\naction = print\nsignal = USR1\nenabled = yes\n"
		"message = from the cli\n"));
	// -q wins over -v.
	assert_int_equal(TD_RUN("--dump", "-c", "f.conf", "-v", "-q"), 0);
	assert_string_equal(td_dump_line("log_level"), "log_level = error");
	// Without options the file's settings hold.
	assert_int_equal(TD_RUN("--dump", "-c", "f.conf", "-vv"), 0);
	assert_string_equal(td_dump_line("successful_empty"),
		"successful_empty = no");
	assert_string_equal(td_dump_line("overlap"), "overlap = queue");
	assert_string_equal(td_dump_line("log_level"), "log_level = debug");
}

// A file may use the names command-line actions get: those move aside.
static void test_cli_names_taken(void **state)
{
	(void)state;
	td_enter(NULL);
	free(t_write(td_work, "f.conf", "[cli-1]\naction = print\n"
		"signal = usr2\nmessage = from the file\n"));
	assert_int_equal(TD_RUN("--dump", "-c", "f.conf", "--usr1", "print",
		"from the cli"), 0);
	assert_non_null(strstr(td_out, "\n[cli-1]\naction = print\n"
		"signal = USR2\nenabled = yes\nmessage = from the file\n\n"
		"[cli-2]\naction = print\nsignal = USR1\nenabled = yes\n"
		"message = from the cli\n"));
}

// On the command line, '' leaves an optional argument unset: a pidfile
// can be given without a pid.
static void test_cli_skipped_argument(void **state)
{
	(void)state;
	td_enter(NULL);
	assert_int_equal(TD_RUN("--dump", "--no-config", "--usr1", "signal",
		"hup", "", "/run/x.pid"), 0);
	assert_non_null(strstr(td_out, "\n[cli-1]\naction = signal\n"
		"signal = USR1\nenabled = yes\nsend = HUP\npidfile = /run/x.pid\n"
		"process_group = no\n"));
}

// The running daemon runs the file's actions, then the command line's.
static void test_cli_actions_after_file(void **state)
{
	static const char *const argv[] = { "flagman", "-c", "f.conf",
		"--usr1", "print", "from the cli", NULL };
	struct t_proc p;

	(void)state;
	td_enter(NULL);
	free(t_write(td_work, "f.conf", base_conf));
	t_start(&p, argv, NULL, true);
	assert_true(t_notify_until(&p, "READY=1", T_TIMEOUT));
	t_expect_out(&p, (const char *const[]){ "init", "init", NULL });
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, (const char *const[]){ "from the file", "from the cli",
		NULL });
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	t_finish(&p);
}

// What --dump prints loads back to the same configuration.
static void test_dump_round_trip(void **state)
{
	char *first;

	(void)state;
	td_enter("dropin");
	assert_int_equal(TD_RUN("--dump", "-c", "flagman.conf",
		"--successful-empty", "--hup", "delay_print", "slow", "1m30s",
		"--on", "rtmin+2", "print", "it's \"quoted\"", "-v"), 0);
	assert_string_equal(td_err, "");
	first = strdup(td_out);
	free(t_write(td_work, "dumped.conf", first));
	assert_int_equal(TD_RUN("--dump", "-c", "dumped.conf"), 0);
	assert_string_equal(td_err, "");
	assert_string_equal(td_out, first);
	// HUP runs an action, so reload is off, and the dump says so.
	assert_string_equal(td_dump_line("reload_signal"), "reload_signal = none");
	free(first);
}

// A value inih would cut is dumped quoted, and reads back the same.
static void test_dump_quoted(void **state)
{
	(void)state;
	td_enter(NULL);
	assert_int_equal(TD_RUN("--dump", "--no-config", "--usr1", "print",
		"a ; b"), 0);
	assert_string_equal(td_err, "");
	assert_string_equal(td_dump_line("message"), "message = $'a ; b'");
	free(t_write(td_work, "q.conf", td_out));
	assert_int_equal(TD_RUN("--usr1", "print", "a ; b", "--dump",
		"--no-config"), 0);
	assert_int_equal(TD_RUN("--check", "-c", "q.conf"), 0);
}

static void test_no_config(void **state)
{
	(void)state;
	td_enter("bad");
	// --no-config after -c: the broken file is not read.
	assert_int_equal(TD_RUN("--check", "-c", "several.conf", "--no-config",
		"--usr1", "print", "x"), 0);
	assert_string_equal(td_err, "");
	assert_int_equal(TD_RUN("--check", "--no-config"), 2);
	assert_string_equal(td_err, "flagman: error: no actions are configured "
		"(none is enabled in the configuration or given on the command "
		"line)\n");
}

static void test_default_config_missing(void **state)
{
	(void)state;
	if (access(FM_DEFAULT_CONFIG, F_OK) == 0) {
		skip(); // this machine has one: its content is not ours to test
	}
	assert_int_equal(TD_RUN("--check", "--usr1", "print", "x"), 0);
	assert_string_equal(td_err, "");
}

static void test_explicit_missing(void **state)
{
	(void)state;
	td_enter(NULL);
	assert_int_equal(TD_RUN("--check", "-c", "missing.conf", "--usr1", "print",
		"x"), 2);
	assert_string_equal(td_err, "missing.conf: error: cannot open: "
		"No such file or directory\n");
	assert_int_equal(TD_RUN("--usr1", "print", "x",
		"--config=missing.conf"), 2);
	assert_string_equal(td_err, "missing.conf: error: cannot open: "
		"No such file or directory\n");
	assert_string_equal(td_out, "");
}

static void test_not_regular(void **state)
{
	(void)state;
	td_enter(NULL);
	assert_int_equal(mkdir("dir.conf", 0755), 0);
	assert_int_equal(TD_RUN("--check", "-c", "dir.conf"), 2);
	assert_string_equal(td_err, "dir.conf: error: not a regular file "
		"(a directory)\n");
	// A FIFO without a writer must not hang flagman.
	assert_int_equal(mkfifo("fifo.conf", 0644), 0);
	assert_int_equal(TD_RUN("--check", "-c", "fifo.conf"), 2);
	assert_string_equal(td_err, "fifo.conf: error: not a regular file\n");
}

/* ---- as root: files others could write are refused ---- */

static void refused(const char *path, const char *conf, const char *what,
	unsigned uid, unsigned mode)
{
	char expected[1024], hint[512];

	if (uid == 0) {
		snprintf(hint, sizeof(hint), "chmod go-w %s", path);
	} else if (mode & 022) {
		snprintf(hint, sizeof(hint), "chown root %s and chmod go-w %s, or "
			"run flagman as uid %u", path, path, uid);
	} else {
		snprintf(hint, sizeof(hint), "chown root %s, or run flagman as uid "
			"%u", path, uid);
	}
	snprintf(expected, sizeof(expected), "%s: error: refusing %s: owned by "
		"uid %u with mode %04o (must be owned by root and not writable by "
		"group or others: %s)\n", path, what, uid, mode, hint);
	assert_int_equal(TD_RUN("--check", "-c", conf), 2);
	assert_string_equal(td_err, expected);
}

static void test_insecure(void **state)
{
	(void)state;
	td_enter("dropin");
	assert_int_equal(TD_RUN("--check", "-c", "flagman.conf"), 0);

	assert_int_equal(chmod("flagman.conf", 0664), 0);
	refused("flagman.conf", "flagman.conf", "file", 0, 0664);
	assert_int_equal(chmod("flagman.conf", 0646), 0);
	refused("flagman.conf", "flagman.conf", "file", 0, 0646);
	assert_int_equal(chmod("flagman.conf", 0644), 0);
	assert_int_equal(chown("flagman.conf", NOBODY, NOBODY), 0);
	refused("flagman.conf", "flagman.conf", "file", NOBODY, 0644);
	assert_int_equal(chown("flagman.conf", 0, 0), 0);

	assert_int_equal(chmod("flagman.d", 0775), 0);
	refused("flagman.d", "flagman.conf", "directory", 0, 0775);
	assert_int_equal(chmod("flagman.d", 0755), 0);
	assert_int_equal(chown("flagman.d", NOBODY, 0), 0);
	refused("flagman.d", "flagman.conf", "directory", NOBODY, 0755);
	assert_int_equal(chown("flagman.d", 0, 0), 0);

	assert_int_equal(chown("flagman.d/10-amend.conf", NOBODY, 0), 0);
	refused("flagman.d/10-amend.conf", "flagman.conf", "file", NOBODY, 0644);
	assert_int_equal(chown("flagman.d/10-amend.conf", 0, 0), 0);
	assert_int_equal(TD_RUN("--check", "-c", "flagman.conf"), 0);
}

/* ---- the shipped examples ---- */

static void test_example(void **state)
{
	int status;

	(void)state;
	td_enter(NULL);
	td_copy_conf("flagman.conf");
	// As shipped it binds nothing, so flagman refuses to run on it alone...
	assert_int_equal(TD_RUN("--check", "-c", "flagman.conf"), 2);
	assert_string_equal(td_err, "flagman: error: no actions are configured "
		"(none is enabled in the configuration or given on the command "
		"line)\n");
	// ...but every section in it is valid.
	status = TD_RUN("--check", "-c", "flagman.conf", "--usr1", "print", "x");
	assert_string_equal(td_err, "");
	assert_int_equal(status, 0);
	assert_int_equal(TD_RUN("--dump", "-c", "flagman.conf", "--usr1", "print",
		"x"), 0);
	assert_null(strstr(td_out, "enabled = yes\nmessage = the hourly"));
	// The command on two lines is one value.
	assert_non_null(strstr(td_out, "\ncommand = /usr/local/bin/dnscheck "
		"--notify \"hourly run\" --zone example.org --zone example.net\n"));
}

/*
 * The example with its "#key = value" defaults uncommented and a drop-in
 * enabling every section: all of it together must still be valid.
 */
static void test_example_enabled(void **state)
{
	char *text, *line, *save = NULL;
	FILE *conf, *dropin;
	unsigned sections = 0;
	const char *at;
	int status;

	(void)state;
	td_enter(NULL);
	td_copy_conf("flagman.conf");
	text = td_slurp("flagman.conf");
	assert_int_equal(mkdir("flagman.d", 0755), 0);
	assert_non_null(conf = fopen("flagman.conf", "we"));
	assert_non_null(dropin = fopen("flagman.d/enable.conf", "we"));
	for (line = strtok_r(text, "\n", &save); line;
			line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' && strchr("abcdefghijklmnopqrstuvwxyz", line[1]) &&
				line[1] && strstr(line, " = ")) {
			line++;
			// Only root may run a program as another user: --check says
			// so, as start-up would.
			if (geteuid() != 0 && (strncmp(line, "user = ", 7) == 0 ||
					strncmp(line, "group = ", 8) == 0)) {
				line--;
			}
			// The build's default, not Debian's, so this runs anywhere.
			if (strncmp(line, "plugin_dir = ", 13) == 0) {
				line = "plugin_dir = " FM_PLUGIN_DIR;
			}
		}
		fprintf(conf, "%s\n", line);
		if (line[0] == '[' && strcmp(line, "[flagman]") != 0) {
			fprintf(dropin, "%s\nenabled = yes\n", line);
			sections++;
		}
	}
	assert_int_equal(fclose(conf), 0);
	assert_int_equal(fclose(dropin), 0);
	free(text);
	assert_true(sections >= 4);
	status = TD_RUN("--check", "-c", "flagman.conf");
	assert_string_equal(td_err, "");
	assert_int_equal(status, 0);
	assert_int_equal(TD_RUN("--dump", "-c", "flagman.conf"), 0);
	for (at = td_out; (at = strstr(at, "\nenabled = yes\n")); at++) {
		sections--;
	}
	assert_int_equal(sections, 0);
	assert_null(strstr(td_out, "enabled = no"));
}

static void test_demo(void **state)
{
	(void)state;
	td_enter(NULL);
	td_copy_conf("demo.conf");
	assert_int_equal(TD_RUN("--check", "-c", "demo.conf"), 0);
	assert_string_equal(td_err, "");
}

/* ---- reload_signal and HUP ---- */

static void test_reload_signal(void **state)
{
	(void)state;
	td_enter(NULL);
	assert_int_equal(TD_RUN("--dump", "--no-config", "--usr1", "print",
		"x"), 0);
	assert_string_equal(td_dump_line("reload_signal"), "reload_signal = HUP");
	// HUP bound on the command line: HUP runs actions, reload is off.
	assert_int_equal(TD_RUN("--dump", "--no-config", "--hup", "print", "x"), 0);
	assert_string_equal(td_dump_line("reload_signal"), "reload_signal = none");
	// ...unless reload_signal says which signal reloads.
	free(t_write(td_work, "usr2.conf", "[flagman]\nreload_signal = usr2\n"));
	assert_int_equal(TD_RUN("--dump", "-c", "usr2.conf", "--hup", "print",
		"x"), 0);
	assert_string_equal(td_dump_line("reload_signal"), "reload_signal = USR2");
	// Naming the bound signal explicitly is an error, wherever it is bound.
	free(t_write(td_work, "hup.conf", "[flagman]\nlog_level = info\n"
		"reload_signal = SIGHUP\n"));
	assert_int_equal(TD_RUN("--check", "-c", "hup.conf", "--hup", "print",
		"x"), 2);
	assert_string_equal(td_err, "hup.conf:3: error: [flagman]: signal HUP is "
		"both the reload signal and bound to actions (set reload_signal to "
		"another signal or none)\n");
	free(t_write(td_work, "none.conf", "[flagman]\nreload_signal = none\n"));
	assert_int_equal(TD_RUN("--dump", "-c", "none.conf", "--usr1", "print",
		"x"), 0);
	assert_string_equal(td_dump_line("reload_signal"), "reload_signal = none");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define TEST(fn) cmocka_unit_test_teardown(fn, td_leave)
		TEST(test_features_dump),
		TEST(test_dropins),
		TEST(test_dropins_bad),
		TEST(test_dropin_dir_not_dir),
		TEST(test_cli_precedence),
		TEST(test_cli_names_taken),
		TEST(test_cli_skipped_argument),
		TEST(test_cli_actions_after_file),
		TEST(test_dump_round_trip),
		TEST(test_dump_quoted),
		TEST(test_no_config),
		TEST(test_default_config_missing),
		TEST(test_explicit_missing),
		TEST(test_not_regular),
		TEST(test_example),
		TEST(test_example_enabled),
		TEST(test_demo),
		TEST(test_reload_signal),
	};
	const struct CMUnitTest root_tests[] = {
		TEST(test_insecure),
	};

	umask(022);
	return T_RUN_GROUPS(tests, root_tests);
}
