/*
 * The configuration file: every diagnostic with its exact text and line, good
 * files, drop-ins, command-line precedence, --check, --dump and the checks
 * made as root.  Data files live in tests/data; each test copies the tree it
 * needs into a fresh directory (owned by whoever runs the tests, mode 0644) and
 * works there, so file names in messages are short and the source tree's
 * ownership does not matter.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "flagman.h"
#include "harness.h"

#define NOBODY 65534

/* ---- a test type with one argument of each type ---- */

struct every {
	char *text;
	long long number;
	bool flag;
	uint64_t wait;
	char *file;
	char **command;
	int sig;
	uid_t user;
	gid_t group;
	int mode;
};

static const char *const modes[] = { "fast", "slow", NULL };

static const struct fm_arg_spec every_args[] = {
	{ "text", FM_ARG_STRING, .required = true,
		.offset = offsetof(struct every, text) },
	{ "number", FM_ARG_INT, .default_value = "5", .min = 1, .max = 10,
		.offset = offsetof(struct every, number) },
	{ "flag", FM_ARG_BOOL, .default_value = "no",
		.offset = offsetof(struct every, flag) },
	{ "wait", FM_ARG_DURATION, .default_value = "30s",
		.offset = offsetof(struct every, wait) },
	{ "file", FM_ARG_PATH, .offset = offsetof(struct every, file) },
	{ "command", FM_ARG_ARGV, .offset = offsetof(struct every, command) },
	{ "sig", FM_ARG_SIGNAL, .default_value = "term",
		.offset = offsetof(struct every, sig) },
	{ "user", FM_ARG_USER, .offset = offsetof(struct every, user) },
	{ "group", FM_ARG_GROUP, .offset = offsetof(struct every, group) },
	{ "mode", FM_ARG_ENUM, .choices = modes,
		.offset = offsetof(struct every, mode) },
	{ 0 },
};

static bool every_validate(const void *state, char *err, size_t errlen)
{
	const struct every *e = state;

	if (e->flag && !e->command) {
		snprintf(err, errlen, "flag = yes needs a command");
		return false;
	}
	return true;
}

static int every_run(struct fm_action *action, void *state,
	const struct fm_run *run)
{
	(void)action;
	(void)state;
	(void)run;
	return FM_RESULT_OK;
}

static const struct fm_action_type every_type = {
	.abi = FM_ACTION_ABI, .name = "every", .description = "Tests.",
	.args = every_args, .state_size = sizeof(struct every),
	.validate = every_validate, .run = every_run,
};

/* ---- helpers ---- */

static char *work; /* the test's directory, also its working directory */

static char *slurp_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&text, &size);
	char buf[4096];
	size_t n;

	assert_non_null(m);
	if (!f) {
		fail_msg("cannot open %s: %s", path, strerror(errno));
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		fwrite(buf, 1, n, m);
	}
	fclose(f);
	fclose(m);
	return text;
}

static const char *copy_root;

static int copy_entry(const char *path, const struct stat *st, int flag,
	struct FTW *ftw)
{
	const char *rel = path + strlen(copy_root);
	char *dst, target[4096];
	ssize_t n;

	(void)st;
	(void)ftw;
	assert_true(asprintf(&dst, "%s%s", work, rel) > 0);
	if (flag == FTW_D) {
		assert_true(mkdir(dst, 0755) == 0 || errno == EEXIST);
	} else if (flag == FTW_SL) {
		n = readlink(path, target, sizeof(target) - 1);
		assert_true(n > 0);
		target[n] = '\0';
		assert_int_equal(symlink(target, dst), 0);
	} else {
		FILE *in = fopen(path, "re"), *out = fopen(dst, "we");
		char buf[4096];
		size_t len;

		assert_non_null(in);
		assert_non_null(out);
		while ((len = fread(buf, 1, sizeof(buf), in)) > 0) {
			assert_int_equal(fwrite(buf, 1, len, out), len);
		}
		fclose(in);
		assert_int_equal(fclose(out), 0);
		assert_int_equal(chmod(dst, 0644), 0);
	}
	free(dst);
	return 0;
}

// Copies tests/data/SUB into a fresh directory and goes there.
static void enter_copy(const char *sub)
{
	const char *srcdir = getenv("FLAGMAN_SRCDIR");
	char *src;

	assert_non_null(srcdir);
	work = t_tmpdir();
	assert_int_equal(chmod(work, 0755), 0);
	if (sub) {
		assert_true(asprintf(&src, "%s/tests/data/%s", srcdir, sub) > 0);
		copy_root = src;
		assert_int_equal(nftw(src, copy_entry, 16, FTW_PHYS), 0);
		free(src);
	}
	assert_int_equal(chdir(work), 0);
}

static int leave(void **state)
{
	(void)state;
	if (work) {
		assert_int_equal(chdir("/"), 0);
		t_rmtree(work);
		free(work);
		work = NULL;
	}
	return 0;
}

static struct fm_registry *test_registry(void)
{
	struct fm_registry *reg = fm_registry_create();

	assert_non_null(reg);
	assert_int_equal(fm_registry_add(reg, &every_type, "test"), 0);
	return reg;
}

/*
 * Reads path (and its drop-ins) through the library with the test registry;
 * returns the diagnostics and, if cfg_out, the configuration (else freed).
 */
static char *load_lib(const char *path, bool *ok, struct fm_config **cfg_out)
{
	struct fm_registry *reg = test_registry();
	struct fm_config *cfg = fm_config_create();
	char *text = NULL;
	size_t size = 0;
	struct fm_diag diag = { .out = open_memstream(&text, &size) };

	assert_non_null(cfg);
	assert_non_null(diag.out);
	fm_config_read(cfg, path, true, &diag);
	*ok = fm_config_finish(cfg, reg, &diag);
	fclose(diag.out);
	if (cfg_out) {
		*cfg_out = cfg;
	} else {
		fm_config_destroy(cfg);
	}
	fm_registry_destroy(reg);
	return text;
}

static char out[65536], err[65536];

#define RUN(...) t_run((const char *const[]){ "flagman", __VA_ARGS__, NULL }, \
	out, sizeof(out), err, sizeof(err))

// The expected text with @PLUGIN_DIR@ standing for this build's default.
static char *expected_dump(const char *path)
{
	char *text = slurp_file(path), *at = strstr(text, "@PLUGIN_DIR@"), *full;

	if (!at) {
		return text;
	}
	assert_true(asprintf(&full, "%.*s%s%s", (int)(at - text), text,
		FM_PLUGIN_DIR, at + strlen("@PLUGIN_DIR@")) > 0);
	free(text);
	return full;
}

/* ---- bad files: tests/data/bad/NAME.conf and NAME.expected ---- */

static void check_bad(const char *dir, const char *name, bool binary)
{
	char conf[256], expected_path[256], *expected, *got;
	bool ok;

	enter_copy(dir);
	snprintf(conf, sizeof(conf), "%s.conf", name);
	snprintf(expected_path, sizeof(expected_path), "%s.expected", name);
	expected = slurp_file(expected_path);
	got = load_lib(conf, &ok, NULL);
	assert_false(ok);
	assert_string_equal(got, expected);
	if (binary) {
		assert_int_equal(RUN("--check", "-c", conf), 2);
		assert_string_equal(err, expected);
		assert_string_equal(out, "");
	}
	free(got);
	free(expected);
}

static void test_bad(void **state)
{
	check_bad("bad", *state, true);
}

static void test_value(void **state)
{
	check_bad("values", *state, false);
}

/* ---- good files ---- */

static void test_good_values(void **state)
{
	struct fm_config *cfg;
	struct every *e;
	char *diag;
	bool ok;

	(void)state;
	enter_copy("values");
	diag = load_lib("good.conf", &ok, &cfg);
	assert_string_equal(diag, "");
	assert_true(ok);
	assert_int_equal(cfg->ndefs, 1);
	assert_ptr_equal(cfg->defs[0].type, &every_type);
	assert_true(cfg->defs[0].signals == FM_SIGBIT(SIGUSR2));
	e = cfg->defs[0].state;
	assert_string_equal(e->text, "a");
	assert_int_equal(e->number, 7);
	assert_true(e->flag);
	assert_int_equal(e->wait, 5400250);
	assert_string_equal(e->file, "/run/flagman.pid");
	assert_string_equal(e->command[0], "/usr/bin/logger");
	assert_string_equal(e->command[1], "-t");
	assert_string_equal(e->command[2], "flag man");
	assert_string_equal(e->command[3], "say \"hi\"");
	assert_string_equal(e->command[4], "back slash");
	assert_null(e->command[5]);
	assert_int_equal(e->sig, SIGUSR2);
	assert_int_equal(e->user, 0);
	assert_int_equal(e->group, 0);
	assert_int_equal(e->mode, 1);
	fm_config_destroy(cfg);
	free(diag);
}

// Defaults fill what the file leaves out; optional ones without stay unset.
static void test_defaults(void **state)
{
	struct fm_config *cfg;
	struct every *e;
	char *diag;
	bool ok;

	(void)state;
	enter_copy(NULL);
	free(t_write(work, "d.conf", "[d]\naction = every\nsignal = usr1\n"
		"text = t\n"));
	diag = load_lib("d.conf", &ok, &cfg);
	assert_string_equal(diag, "");
	assert_true(ok);
	e = cfg->defs[0].state;
	assert_int_equal(e->number, 5);
	assert_false(e->flag);
	assert_int_equal(e->wait, 30000);
	assert_null(e->file);
	assert_null(e->command);
	assert_int_equal(e->sig, SIGTERM);
	assert_int_equal(e->user, (uid_t)-1);
	assert_int_equal(e->group, (gid_t)-1);
	assert_int_equal(e->mode, 0);
	assert_false(cfg->successful_empty);
	assert_int_equal(cfg->overlap, FM_OVERLAP_QUEUE);
	assert_int_equal(cfg->reload_signal, SIGHUP);
	assert_false(cfg->reload_signal_set);
	assert_int_equal(cfg->stop_timeout_ms, 10000);
	assert_int_equal(cfg->log_level, FM_LOG_WARNING);
	assert_string_equal(cfg->plugin_dir, FM_PLUGIN_DIR);
	fm_config_destroy(cfg);
	free(diag);
}

// BOM, CR LF, comments, the longest line, several signals, a disabled
// action: --dump shows what flagman made of them.
static void test_features_dump(void **state)
{
	char *expected;

	(void)state;
	enter_copy("good");
	expected = slurp_file("features.dump");
	assert_int_equal(RUN("--dump", "-c", "features.conf"), 0);
	assert_string_equal(err, "");
	assert_string_equal(out, expected);
	assert_int_equal(RUN("--check", "-c", "features.conf"), 0);
	assert_string_equal(out, "");
	assert_string_equal(err, "");
	free(expected);
}

/* ---- drop-ins ---- */

static void test_dropins(void **state)
{
	char *expected;

	(void)state;
	enter_copy("dropin");
	expected = expected_dump("expected.dump");
	assert_int_equal(RUN("--dump", "-c", "flagman.conf"), 0);
	assert_string_equal(err, "");
	assert_string_equal(out, expected);
	free(expected);
}

// A missing main file does not hide its drop-ins.
static void test_dropins_without_main(void **state)
{
	(void)state;
	enter_copy("dropin");
	assert_int_equal(unlink("flagman.conf"), 0);
	assert_int_equal(RUN("--dump", "-c", "flagman.conf"), 2);
	assert_string_equal(err, "flagman.conf: error: cannot open: "
		"No such file or directory\n");
	// Not required (the default file): the drop-ins alone are read.
	{
		struct fm_config *cfg = fm_config_create();
		struct fm_diag diag = { .out = stderr };

		assert_true(fm_config_read(cfg, "flagman.conf", false, &diag));
		assert_int_equal(cfg->nnotes, 0);
		assert_int_equal(cfg->ndefs, 4);
		assert_string_equal(cfg->defs[0].name, "early");
		assert_string_equal(cfg->defs[1].name, "second");
		assert_string_equal(cfg->defs[2].name, "added");
		assert_string_equal(cfg->defs[3].name, "packaged");
		fm_config_destroy(cfg);
	}
}

// Problems in several files: the main file's first, then each drop-in's.
static void test_dropins_bad(void **state)
{
	char *expected;

	(void)state;
	enter_copy("dropin-bad");
	expected = slurp_file("expected");
	assert_int_equal(RUN("--check", "-c", "flagman.conf"), 2);
	assert_string_equal(err, expected);
	free(expected);
}

static void test_dropin_dir_not_dir(void **state)
{
	(void)state;
	enter_copy(NULL);
	free(t_write(work, "f.conf", "[a]\naction = print\nsignal = usr1\n"
		"message = a\n"));
	free(t_write(work, "f.d", "not a directory\n"));
	assert_int_equal(RUN("--check", "-c", "f.conf"), 2);
	assert_string_equal(err, "f.d: error: not a directory\n");
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

static const char *dump_line(const char *key)
{
	static char line[256];
	const char *at;
	size_t len;

	snprintf(line, sizeof(line), "\n%s = ", key);
	at = strstr(out, line);
	assert_non_null(at);
	at++;
	len = strcspn(at, "\n");
	snprintf(line, sizeof(line), "%.*s", (int)len, at);
	return line;
}

static void test_cli_precedence(void **state)
{
	(void)state;
	enter_copy(NULL);
	free(t_write(work, "f.conf", base_conf));
	assert_int_equal(RUN("--dump", "-c", "f.conf", "--successful-empty",
		"--overlap", "drop", "-v", "--usr1", "print", "from the cli"), 0);
	assert_string_equal(dump_line("successful_empty"),
		"successful_empty = yes");
	assert_string_equal(dump_line("overlap"), "overlap = drop");
	assert_string_equal(dump_line("log_level"), "log_level = info");
	// Configured actions first, then the command line's.
	assert_non_null(strstr(out, "\n[from-file]\naction = print\n"
		"signal = USR1\nenabled = yes\nmessage = from the file\n\n"
		"[cli-1]\naction = print\nsignal = USR1\nenabled = yes\n"
		"message = from the cli\n"));
	// -q wins over -v.
	assert_int_equal(RUN("--dump", "-c", "f.conf", "-v", "-q"), 0);
	assert_string_equal(dump_line("log_level"), "log_level = error");
	// Without options the file's settings hold.
	assert_int_equal(RUN("--dump", "-c", "f.conf", "-vv"), 0);
	assert_string_equal(dump_line("successful_empty"),
		"successful_empty = no");
	assert_string_equal(dump_line("overlap"), "overlap = queue");
	assert_string_equal(dump_line("log_level"), "log_level = debug");
}

// The running daemon runs the file's actions, then the command line's.
static void test_cli_actions_after_file(void **state)
{
	static const char *const argv[] = { "flagman", "-c", "f.conf",
		"--usr1", "print", "from the cli", NULL };
	struct t_proc p;

	(void)state;
	enter_copy(NULL);
	free(t_write(work, "f.conf", base_conf));
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
	enter_copy("dropin");
	assert_int_equal(RUN("--dump", "-c", "flagman.conf", "--successful-empty",
		"--hup", "delay_print", "slow", "1m30s", "--on", "rtmin+2", "print",
		"it's \"quoted\"", "-v"), 0);
	assert_string_equal(err, "");
	first = strdup(out);
	free(t_write(work, "dumped.conf", first));
	assert_int_equal(RUN("--dump", "-c", "dumped.conf"), 0);
	assert_string_equal(err, "");
	assert_string_equal(out, first);
	// HUP runs an action, so reload is off, and the dump says so.
	assert_string_equal(dump_line("reload_signal"), "reload_signal = none");
	free(first);
}

// A value the file format cannot hold is dumped with a warning.
static void test_dump_unrepresentable(void **state)
{
	(void)state;
	assert_int_equal(RUN("--dump", "--no-config", "--usr1", "print",
		"a ; b"), 0);
	assert_string_equal(err, "flagman: warning: [cli-1]: the value of "
		"'message' cannot be written as it is in the file format; the "
		"dump will not read back the same\n");
}

static void test_no_config(void **state)
{
	(void)state;
	enter_copy("bad");
	// --no-config after -c: the broken file is not read.
	assert_int_equal(RUN("--check", "-c", "several.conf", "--no-config",
		"--usr1", "print", "x"), 0);
	assert_string_equal(err, "");
	assert_int_equal(RUN("--check", "--no-config"), 2);
	assert_string_equal(err, "flagman: error: no actions are configured "
		"(none is enabled in the configuration or given on the command "
		"line)\n");
}

static void test_default_config_missing(void **state)
{
	(void)state;
	if (access(FM_DEFAULT_CONFIG, F_OK) == 0) {
		skip(); // this machine has one: its content is not ours to test
	}
	assert_int_equal(RUN("--check", "--usr1", "print", "x"), 0);
	assert_string_equal(err, "");
}

static void test_explicit_missing(void **state)
{
	(void)state;
	enter_copy(NULL);
	assert_int_equal(RUN("--check", "-c", "missing.conf", "--usr1", "print",
		"x"), 2);
	assert_string_equal(err, "missing.conf: error: cannot open: "
		"No such file or directory\n");
	assert_int_equal(RUN("--usr1", "print", "x", "--config=missing.conf"), 2);
	assert_string_equal(err, "missing.conf: error: cannot open: "
		"No such file or directory\n");
	assert_string_equal(out, "");
}

static void test_not_regular(void **state)
{
	(void)state;
	enter_copy(NULL);
	assert_int_equal(mkdir("dir.conf", 0755), 0);
	assert_int_equal(RUN("--check", "-c", "dir.conf"), 2);
	assert_string_equal(err, "dir.conf: error: not a regular file "
		"(a directory)\n");
	// A FIFO without a writer must not hang flagman.
	assert_int_equal(mkfifo("fifo.conf", 0644), 0);
	assert_int_equal(RUN("--check", "-c", "fifo.conf"), 2);
	assert_string_equal(err, "fifo.conf: error: not a regular file\n");
}

// Reads path as uid NOBODY in a child; returns its diagnostics.
static char *read_as_nobody(const char *path)
{
	static char text[1024];
	int fds[2];
	pid_t pid;
	ssize_t n;
	int st;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct fm_config *cfg = fm_config_create();
		struct fm_registry *reg = fm_registry_create();
		struct fm_diag diag = { .out = fdopen(fds[1], "w") };

		if ((geteuid() == 0 && (setgid(NOBODY) < 0 || setuid(NOBODY) < 0)) ||
				!cfg || !reg || !diag.out) {
			_exit(99);
		}
		fm_config_read(cfg, path, true, &diag);
		fm_config_finish(cfg, reg, &diag);
		fclose(diag.out);
		fm_config_destroy(cfg);
		fm_registry_destroy(reg);
		_exit(0);
	}
	close(fds[1]);
	n = read(fds[0], text, sizeof(text) - 1);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	text[n > 0 ? n : 0] = '\0';
	return text;
}

static void test_unreadable(void **state)
{
	(void)state;
	enter_copy(NULL);
	free(t_write(work, "secret.conf", base_conf));
	assert_int_equal(chmod("secret.conf", 0), 0);
	assert_string_equal(read_as_nobody("secret.conf"),
		"secret.conf: error: cannot open: Permission denied\n");
}

/* ---- as root: files others could write are refused ---- */

static void refused(const char *path, const char *conf, const char *what,
	unsigned uid, unsigned mode)
{
	char expected[512];

	snprintf(expected, sizeof(expected), "%s: error: refusing %s: owned by "
		"uid %u with mode %04o (must be owned by root and not writable by "
		"group or others)\n", path, what, uid, mode);
	assert_int_equal(RUN("--check", "-c", conf), 2);
	assert_string_equal(err, expected);
}

static void test_insecure(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		skip();
	}
	enter_copy("dropin");
	assert_int_equal(RUN("--check", "-c", "flagman.conf"), 0);

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
	assert_int_equal(RUN("--check", "-c", "flagman.conf"), 0);
}

/* ---- the shipped examples ---- */

// Copies conf/NAME from the source tree into the test's directory.
static void copy_conf(const char *name)
{
	char *path, *text;

	assert_true(asprintf(&path, "%s/conf/%s", getenv("FLAGMAN_SRCDIR"),
		name) > 0);
	text = slurp_file(path);
	free(t_write(work, name, text));
	free(text);
	free(path);
}

static void test_example(void **state)
{
	int status;

	(void)state;
	enter_copy(NULL);
	copy_conf("flagman.conf");
	// As shipped it binds nothing, so flagman refuses to run on it alone...
	assert_int_equal(RUN("--check", "-c", "flagman.conf"), 2);
	assert_string_equal(err, "flagman: error: no actions are configured "
		"(none is enabled in the configuration or given on the command "
		"line)\n");
	// ...but every section in it is valid.
	status = RUN("--check", "-c", "flagman.conf", "--usr1", "print", "x");
	assert_string_equal(err, "");
	assert_int_equal(status, 0);
	assert_int_equal(RUN("--dump", "-c", "flagman.conf", "--usr1", "print",
		"x"), 0);
	assert_null(strstr(out, "enabled = yes\nmessage = the hourly"));
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
	enter_copy(NULL);
	copy_conf("flagman.conf");
	text = slurp_file("flagman.conf");
	assert_int_equal(mkdir("flagman.d", 0755), 0);
	assert_non_null(conf = fopen("flagman.conf", "we"));
	assert_non_null(dropin = fopen("flagman.d/enable.conf", "we"));
	for (line = strtok_r(text, "\n", &save); line;
			line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' && strchr("abcdefghijklmnopqrstuvwxyz", line[1]) &&
				line[1] && strstr(line, " = ")) {
			line++;
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
	status = RUN("--check", "-c", "flagman.conf");
	assert_string_equal(err, "");
	assert_int_equal(status, 0);
	assert_int_equal(RUN("--dump", "-c", "flagman.conf"), 0);
	for (at = out; (at = strstr(at, "\nenabled = yes\n")); at++) {
		sections--;
	}
	assert_int_equal(sections, 0);
	assert_null(strstr(out, "enabled = no"));
}

static void test_demo(void **state)
{
	(void)state;
	enter_copy(NULL);
	copy_conf("demo.conf");
	assert_int_equal(RUN("--check", "-c", "demo.conf"), 0);
	assert_string_equal(err, "");
}

/* ---- reload_signal and HUP ---- */

static void test_reload_signal(void **state)
{
	(void)state;
	enter_copy(NULL);
	assert_int_equal(RUN("--dump", "--no-config", "--usr1", "print", "x"), 0);
	assert_string_equal(dump_line("reload_signal"), "reload_signal = HUP");
	// HUP bound on the command line: HUP runs actions, reload is off.
	assert_int_equal(RUN("--dump", "--no-config", "--hup", "print", "x"), 0);
	assert_string_equal(dump_line("reload_signal"), "reload_signal = none");
	// ...unless reload_signal says which signal reloads.
	free(t_write(work, "usr2.conf", "[flagman]\nreload_signal = usr2\n"));
	assert_int_equal(RUN("--dump", "-c", "usr2.conf", "--hup", "print",
		"x"), 0);
	assert_string_equal(dump_line("reload_signal"), "reload_signal = USR2");
	// Naming the bound signal explicitly is an error, wherever it is bound.
	free(t_write(work, "hup.conf", "[flagman]\nlog_level = info\n"
		"reload_signal = SIGHUP\n"));
	assert_int_equal(RUN("--check", "-c", "hup.conf", "--hup", "print",
		"x"), 2);
	assert_string_equal(err, "hup.conf:3: error: [flagman]: signal HUP is "
		"both the reload signal and bound to actions (set reload_signal to "
		"another signal or none)\n");
	free(t_write(work, "none.conf", "[flagman]\nreload_signal = none\n"));
	assert_int_equal(RUN("--dump", "-c", "none.conf", "--usr1", "print",
		"x"), 0);
	assert_string_equal(dump_line("reload_signal"), "reload_signal = none");
}

/* ---- the reader directly, for what a file cannot easily say ---- */

static char *read_text(const char *text, size_t len)
{
	struct fm_registry *reg = fm_registry_create();
	struct fm_config *cfg = fm_config_create();
	FILE *f = fmemopen((void *)text, len, "r");
	char *diag_text = NULL;
	size_t size = 0;
	struct fm_diag diag = { .out = open_memstream(&diag_text, &size) };

	assert_non_null(f);
	fm_config_read_file(cfg, "mem", f, &diag);
	fm_config_finish(cfg, reg, &diag);
	fclose(diag.out);
	fclose(f);
	fm_config_destroy(cfg);
	fm_registry_destroy(reg);
	return diag_text;
}

// The last line needs no newline; a line of exactly the limit is fine.
static void test_reader_edges(void **state)
{
	static const char no_newline[] = "[a]\naction = print\nsignal = usr1\n"
		"message = end";
	char *got, big[FM_MAX_LINE * 3];

	(void)state;
	got = read_text(no_newline, strlen(no_newline));
	assert_string_equal(got, "");
	free(got);

	// 198 characters without the newline, then 199.
	snprintf(big, sizeof(big), "[a]\naction = print\nsignal = usr1\n"
		"message = %0188d\n", 0);
	got = read_text(big, strlen(big));
	assert_string_equal(got, "");
	free(got);
	snprintf(big, sizeof(big), "[a]\naction = print\nsignal = usr1\n"
		"message = %0189d\nbogus = 1\n", 0);
	got = read_text(big, strlen(big));
	assert_string_equal(got, "mem:1: error: [a]: missing required key "
		"'message'\n"
		"mem:4: error: line is 199 characters long; at most 198 are allowed\n"
		"mem:5: error: [a]: unknown key 'bogus'\n");
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define BAD(name) { "bad/" name, test_bad, NULL, leave, (void *)name }
		BAD("unknown-key"), BAD("unknown-key-global"), BAD("unknown-type"),
		BAD("unknown-signal"), BAD("not-trigger"), BAD("empty-signal"),
		BAD("duplicate-key"), BAD("duplicate-section"),
		BAD("missing-action"), BAD("missing-signal"),
		BAD("missing-argument"), BAD("bad-enabled"), BAD("globals"),
		BAD("long-line"), BAD("indented"), BAD("outside"),
		BAD("header-junk"), BAD("bad-header"), BAD("colon"),
		BAD("no-equals"), BAD("empty-key"), BAD("nul"), BAD("empty-set"),
		BAD("reload-bound"), BAD("reload-not-trigger"), BAD("several"),
#define VALUE(name) { "values/" name, test_value, NULL, leave, (void *)name }
		VALUE("int"), VALUE("bool"), VALUE("duration"), VALUE("path"),
		VALUE("argv"), VALUE("signal"), VALUE("user"), VALUE("group"),
		VALUE("enum"), VALUE("validate"),
#define TEST(fn) cmocka_unit_test_teardown(fn, leave)
		TEST(test_good_values),
		TEST(test_defaults),
		TEST(test_features_dump),
		TEST(test_dropins),
		TEST(test_dropins_without_main),
		TEST(test_dropins_bad),
		TEST(test_dropin_dir_not_dir),
		TEST(test_cli_precedence),
		TEST(test_cli_actions_after_file),
		TEST(test_dump_round_trip),
		TEST(test_dump_unrepresentable),
		TEST(test_no_config),
		TEST(test_default_config_missing),
		TEST(test_explicit_missing),
		TEST(test_not_regular),
		TEST(test_unreadable),
		TEST(test_insecure),
		TEST(test_example),
		TEST(test_example_enabled),
		TEST(test_demo),
		TEST(test_reload_signal),
		TEST(test_reader_edges),
	};

	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
