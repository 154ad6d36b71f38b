/*
 * The configuration loader through the library: every diagnostic with its
 * exact text and line (tests/data/bad, also through "flagman --check"), a bad
 * value of every argument type (tests/data/values, with a test-only type),
 * parsed values and defaults, and the reader's edge cases.  The golden cases
 * of those two directories are found when the program runs: one cmocka test
 * per NAME.conf, named DIR/NAME.  test_check.c covers the command line:
 * --check, --dump, drop-ins, precedence, root.
 */
#include <dirent.h>
#include <errno.h>
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

#include "conffile.h"
#include "config.h"
#include "diag.h"
#include "registry.h"
#include "signals.h"
#include "confdata.h"

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

static void every_validate(const void *state, struct fm_check *check)
{
	const struct every *e = state;

	if (e->flag && !fm_check_given(check, "command")) {
		fm_check_error(check, "flag", "flag = yes needs a command");
	}
	if (e->number == 9) {
		fm_check_error(check, "number", "9 is not allowed");
	}
	if (e->mode == 1 && !e->file) {
		fm_check_error(check, NULL, "mode = slow needs a file");
	}
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
	*ok = fm_config_resolve(cfg, reg, &diag);
	fm_diag_print(&diag);
	fclose(diag.out);
	if (cfg_out) {
		*cfg_out = cfg;
	} else {
		fm_config_destroy(cfg);
	}
	fm_registry_destroy(reg);
	return text;
}

/*
 * ---- golden cases: tests/data/DIR/NAME.conf and NAME.expected ----
 *
 * Every NAME.conf in these directories is a case, found when the tests run:
 * adding a file and its .expected is enough.  NAME.expected holds the exact
 * diagnostics; the file must be refused if they hold an error, and accepted
 * otherwise (an empty .expected: accepted without a word).  A .conf without
 * its .expected, or the reverse, is a failing case.
 */
static const struct golden_dir {
	const char *dir;
	bool binary; /* also through "flagman --check" */
} golden_dirs[] = {
	{ "bad", true },
	{ "values", false }, /* they use the test-only type 'every' */
};

struct golden_case {
	const struct golden_dir *dir;
	char name[128]; /* DIR/NAME */
};

// NAME, from DIR/NAME.
static const char *golden_stem(const struct golden_case *c)
{
	return c->name + strlen(c->dir->dir) + 1;
}

static void test_golden(void **state)
{
	const struct golden_case *c = *state;
	const char *stem = golden_stem(c);
	char conf[160], expected_path[160], *expected, *got;
	bool ok, refused;

	td_enter(c->dir->dir);
	snprintf(conf, sizeof(conf), "%s.conf", stem);
	snprintf(expected_path, sizeof(expected_path), "%s.expected", stem);
	expected = td_slurp(expected_path);
	if (access(conf, F_OK) < 0) {
		fail_msg("%s has no %s", expected_path, conf);
	}
	refused = strstr(expected, ": error: ") != NULL;
	got = load_lib(conf, &ok, NULL);
	assert_string_equal(got, expected);
	assert_int_equal(ok, !refused);
	if (c->dir->binary) {
		assert_int_equal(TD_RUN("--check", "-c", conf), refused ? 2 : 0);
		assert_string_equal(td_err, expected);
		assert_string_equal(td_out, "");
	}
	free(got);
	free(expected);
}

// By name without the extension, so that a case's two files are neighbours.
static int by_stem(const struct dirent **a, const struct dirent **b)
{
	const char *x = (*a)->d_name, *y = (*b)->d_name;
	size_t xlen = (size_t)(strrchr(x, '.') - x);
	size_t ylen = (size_t)(strrchr(y, '.') - y);
	int r = strncmp(x, y, xlen < ylen ? xlen : ylen);

	if (r == 0 && xlen != ylen) {
		r = xlen < ylen ? -1 : 1;
	}
	return r ? r : strcmp(x + xlen, y + ylen);
}

static int golden_entry(const struct dirent *e)
{
	const char *dot = strrchr(e->d_name, '.');

	return e->d_name[0] != '.' && dot && dot > e->d_name &&
		(strcmp(dot, ".conf") == 0 || strcmp(dot, ".expected") == 0);
}

/*
 * Appends a case for every name in tests/data/DIR that has a .conf or an
 * .expected (sorted, so each name once); returns the new count.
 */
static size_t find_golden(const struct golden_dir *dir,
	struct golden_case **cases, size_t n)
{
	struct dirent **list;
	char *path;
	int count;

	if (asprintf(&path, "%s/tests/data/%s", getenv("FLAGMAN_SRCDIR"),
			dir->dir) < 0 || (count = scandir(path, &list, golden_entry,
			by_stem)) < 0) {
		fprintf(stderr, "cannot read tests/data/%s: %s (run the tests "
			"through meson)\n", dir->dir, strerror(errno));
		exit(1);
	}
	free(path);
	for (int i = 0; i < count; i++) {
		const char *name = list[i]->d_name;
		int len = (int)(strrchr(name, '.') - name);
		const char *last = n ? golden_stem(&(*cases)[n - 1]) : NULL;
		struct golden_case *c;

		if (!last || (*cases)[n - 1].dir != dir ||
				strncmp(last, name, (size_t)len) != 0 || last[len] != '\0') {
			if (!(*cases = realloc(*cases, (n + 1) * sizeof(**cases)))) {
				exit(1);
			}
			c = &(*cases)[n++];
			c->dir = dir;
			snprintf(c->name, sizeof(c->name), "%s/%.*s", dir->dir, len,
				name);
		}
		free(list[i]);
	}
	free(list);
	return n;
}

/* ---- good files ---- */

static void test_good_values(void **state)
{
	struct fm_config *cfg;
	struct every *e;
	char *diag;
	bool ok;

	(void)state;
	td_enter("values");
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
	td_enter(NULL);
	free(t_write(td_work, "d.conf", "[d]\naction = every\nsignal = usr1\n"
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

// A missing main file does not hide its drop-ins.
static void test_dropins_without_main(void **state)
{
	struct fm_config *cfg = fm_config_create();
	struct fm_diag diag = { .out = stderr };

	(void)state;
	td_enter("dropin");
	assert_int_equal(unlink("flagman.conf"), 0);
	assert_int_equal(TD_RUN("--dump", "-c", "flagman.conf"), 2);
	assert_string_equal(td_err, "flagman.conf: error: cannot open: "
		"No such file or directory\n");
	// Not required (the default file): the drop-ins alone are read.
	assert_true(fm_config_read(cfg, "flagman.conf", false, &diag));
	assert_int_equal(diag.n, 0);
	assert_int_equal(cfg->ndefs, 4);
	assert_string_equal(cfg->defs[0].name, "early");
	assert_string_equal(cfg->defs[1].name, "second");
	assert_string_equal(cfg->defs[2].name, "added");
	assert_string_equal(cfg->defs[3].name, "packaged");
	fm_config_destroy(cfg);
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
		fm_config_resolve(cfg, reg, &diag);
		fm_diag_print(&diag);
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
	td_enter(NULL);
	free(t_write(td_work, "secret.conf", "[a]\naction = print\n"
		"signal = usr1\nmessage = a\n"));
	assert_int_equal(chmod("secret.conf", 0), 0);
	assert_string_equal(read_as_nobody("secret.conf"),
		"secret.conf: error: cannot open: Permission denied\n");
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
	fm_config_resolve(cfg, reg, &diag);
	fm_diag_print(&diag);
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

// A value may continue over many lines, up to FM_MAX_VALUE characters.
static void test_value_limit(void **state)
{
	size_t n = FM_MAX_VALUE / 100 + 1, size = n * 104 + 128;
	char *text = malloc(size), *at = text, *got;

	(void)state;
	assert_non_null(text);
	at += sprintf(at, "[a]\naction = print\nsignal = usr1\nmessage =\n");
	for (size_t i = 0; i < n; i++) {
		at += sprintf(at, "\t%0100zu\n", i);
	}
	// 1311 pieces of 100 and the spaces between, 132410: over the limit.
	got = read_text(text, (size_t)(at - text));
	assert_string_equal(got, "mem:4: error: [a]: more than 131072 "
		"characters in the value of 'message'\n");
	free(got);
	// Without the last 14 lines, 1297 * 101 - 1 = 130996: it fits.
	at = text + strlen("[a]\naction = print\nsignal = usr1\nmessage =\n") +
		(n - 14) * 102;
	got = read_text(text, (size_t)(at - text));
	assert_string_equal(got, "");
	free(got);
	free(text);
}

/*
 * A stream that is one line of size bytes without a newline: of it the
 * reader may read what it skips (SKIP_MAX, 64 KiB) and stdio's buffer.
 */
struct endless {
	size_t size, read;
};

static ssize_t endless_read(void *cookie, char *buf, size_t size)
{
	struct endless *e = cookie;
	size_t n = e->size - e->read < size ? e->size - e->read : size;

	memset(buf, 'x', n);
	e->read += n;
	return (ssize_t)n;
}

static void test_bounded_line(void **state)
{
	struct endless e = { .size = 10 * 1024 * 1024 };
	FILE *f = fopencookie(&e, "r", (cookie_io_functions_t){
		.read = endless_read });
	struct fm_config *cfg = fm_config_create();
	char *text = NULL;
	size_t size = 0;
	struct fm_diag diag = { .out = open_memstream(&text, &size) };

	(void)state;
	assert_non_null(f);
	assert_false(fm_config_read_file(cfg, "big", f, &diag));
	fm_diag_print(&diag);
	fclose(diag.out);
	assert_string_equal(text, "big:1: error: line is longer than 65536 "
		"characters (at most 198 are allowed); the rest of the file is not "
		"read\n");
	assert_true(e.read <= 65536 + 2 * BUFSIZ);
	fclose(f);
	free(text);
	fm_config_destroy(cfg);
}

static void place(struct fm_diag *diag, size_t order, const char *file,
	unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fm_diag_verror_at(diag, order, file, line, fmt, ap);
	va_end(ap);
}

// The sink itself: problems outside the files first, in the order found,
// then by file and line, "out of memory" last; each line escaped.
static void test_diag_order(void **state)
{
	char *text = NULL;
	size_t size = 0;
	struct fm_diag diag = { .out = open_memstream(&text, &size) };

	(void)state;
	assert_non_null(diag.out);
	assert_true(fm_diag_ok(&diag));
	place(&diag, 2, "b.conf", 3, "b3");
	fm_diag_error(&diag, "plugin.so", 0, "first");
	place(&diag, 1, "a.conf", 7, "a7");
	place(&diag, SIZE_MAX, NULL, 0, "from the command line");
	place(&diag, 1, "a.conf", 2, "a2 %s", "two\nlines");
	place(&diag, 1, "a.conf", 7, "a7 again");
	fm_diag_error(&diag, NULL, 0, "second");
	fm_diag_oom(&diag);
	assert_false(fm_diag_ok(&diag));
	fm_diag_print(&diag);
	fclose(diag.out);
	assert_string_equal(text,
		"plugin.so: error: first\n"
		"flagman: error: second\n"
		"a.conf:2: error: a2 two\\nlines\n"
		"a.conf:7: error: a7\n"
		"a.conf:7: error: a7 again\n"
		"b.conf:3: error: b3\n"
		"flagman: error: from the command line\n"
		"flagman: error: out of memory\n");
	// Printed once: emptied, but still not a success.
	assert_int_equal(diag.n, 0);
	assert_int_equal(diag.errors, 8);
	assert_false(fm_diag_ok(&diag));
	free(text);
}

int main(void)
{
#define TEST(fn) cmocka_unit_test_teardown(fn, td_leave)
	static const struct CMUnitTest fixed[] = {
		TEST(test_good_values),
		TEST(test_defaults),
		TEST(test_dropins_without_main),
		TEST(test_unreadable),
		TEST(test_reader_edges),
		TEST(test_value_limit),
		TEST(test_bounded_line),
		cmocka_unit_test(test_diag_order),
	};
	struct golden_case *cases = NULL;
	struct CMUnitTest *tests;
	size_t n = 0, nfixed = sizeof(fixed) / sizeof(fixed[0]);
	int failed;

	for (size_t i = 0; i < sizeof(golden_dirs) / sizeof(golden_dirs[0]);
			i++) {
		n = find_golden(&golden_dirs[i], &cases, n);
	}
	if (!(tests = calloc(n + nfixed, sizeof(*tests)))) {
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		tests[i] = (struct CMUnitTest){ cases[i].name, test_golden, NULL,
			td_leave, &cases[i] };
	}
	memcpy(tests + n, fixed, sizeof(fixed));
	umask(022);
	failed = _cmocka_run_group_tests("test_config", tests, n + nfixed, NULL,
		NULL);
	free(tests);
	free(cases);
	return failed;
}
