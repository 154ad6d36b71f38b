/*
 * Plug-ins: the example plug-in loaded from a directory, listed, configured,
 * run, closed and torn down; every refusal with its message; the binary
 * exporting exactly the functions of the public header; and that header
 * plus flagman.pc being enough to build one.
 */
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
#include "harness.h"
#include "rootonly.h"

struct fixture {
	char *dir;     /* temporary directory */
	char *plugins; /* dir/plugins */
	char *conf;    /* dir/flagman.conf */
};

static const char *plugin_path(const char *name)
{
	char var[64];
	const char *path;

	snprintf(var, sizeof(var), "FLAGMAN_PLUGIN_%s", name);
	path = getenv(var);
	if (!path) {
		fail_msg("%s is not set: run the tests through meson", var);
	}
	return path;
}

// Copies a built plug-in into the fixture's plug-in directory.
static char *install_plugin(struct fixture *f, const char *name,
	const char *as)
{
	char *dst, *cmd;

	assert_true(asprintf(&dst, "%s/%s", f->plugins, as) > 0);
	assert_true(asprintf(&cmd, "cp '%s' '%s' && chmod 644 '%s'",
		plugin_path(name), dst, dst) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return dst;
}

// Writes flagman.conf: [flagman] plugin_dir, then the given sections.
static void write_conf(struct fixture *f, const char *sections)
{
	char *text;

	assert_true(asprintf(&text, "[flagman]\nplugin_dir = %s\n\n%s",
		f->plugins, sections) > 0);
	free(f->conf);
	f->conf = t_write(f->dir, "flagman.conf", text);
	free(text);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = t_tmpdir();
	assert_true(asprintf(&f->plugins, "%s/plugins", f->dir) > 0);
	assert_int_equal(mkdir(f->plugins, 0755), 0);
	// As root, flagman refuses a group-writable plug-in directory.
	assert_int_equal(chmod(f->dir, 0755), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	t_rmtree(f->dir);
	free(f->dir);
	free(f->plugins);
	free(f->conf);
	free(f);
	return 0;
}

static void test_listed(void **state)
{
	struct fixture *f = *state;
	char out[16384], err[4096], *countdown, *delay;

	free(install_plugin(f, "COUNTDOWN", "countdown.so"));
	write_conf(f, "");
	assert_int_equal(t_run((const char *const[]){ "flagman", "-c", f->conf,
		"--list", NULL }, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(err, "");
	countdown = strstr(out, "\n"
"countdown   - Example plug-in: prints the runs left, takes 'interval' per run,\n"
"              and closes itself after the last. ([from: int], [interval:\n"
"              duration], [message: string])\n");
	delay = strstr(out, "\ndelay_print - ");
	assert_non_null(countdown);
	assert_non_null(delay);
	assert_true(countdown < delay); // sorted by name among the built-ins
}

static void test_configured_run_closed(void **state)
{
	struct fixture *f = *state;
	struct t_proc p;

	free(install_plugin(f, "COUNTDOWN", "countdown.so"));
	write_conf(f, "[count]\naction = countdown\nsignal = usr1\nfrom = 2\n"
		"message = done\n\n[other]\naction = print\nsignal = usr2\n"
		"message = still here\n");
	t_start(&p, (const char *const[]){ "flagman", "-c", f->conf, NULL },
		NULL, false);
	t_expect_out(&p, (const char *const[]){ "init", NULL });
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, (const char *const[]){ "USR1: 2", NULL });
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, (const char *const[]){ "USR1: 1", "done", NULL });
	assert_true(t_err_until(&p, "flagman: warning: [count]: action closed: "
		"countdown finished", T_TIMEOUT));
	t_kill(&p, SIGUSR2);
	t_expect_out(&p, (const char *const[]){ "still here", NULL });
	t_kill(&p, SIGTERM);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 0);
	assert_string_equal(t_rest(&p), "cleanup\n");
	t_finish(&p);
}

static void test_bad_value(void **state)
{
	struct fixture *f = *state;
	char out[4096], err[4096], *want;

	free(install_plugin(f, "COUNTDOWN", "countdown.so"));
	write_conf(f, "[count]\naction = countdown\nsignal = usr1\nfrom = 0\n"
		"frm = 2\n");
	assert_int_equal(t_run((const char *const[]){ "flagman", "--check", "-c",
		f->conf, NULL }, out, sizeof(out), err, sizeof(err)), 2);
	// Every problem, in line order.
	assert_true(asprintf(&want, "%s:7: error: [count]: 0 for 'from' is out "
		"of range (1 to 1000)\n%s:8: error: [count]: unknown key 'frm' "
		"(did you mean 'from'?)\n", f->conf, f->conf) > 0);
	assert_string_equal(err, want);
	free(want);
}

// A pending run does not stop flagman from recording other signals or
// from honouring TERM promptly.
static void test_async_run_does_not_block(void **state)
{
	struct fixture *f = *state;
	struct t_proc p;

	free(install_plugin(f, "COUNTDOWN", "countdown.so"));
	write_conf(f, "[count]\naction = countdown\nsignal = usr1\n"
		"interval = 1s\n\n[other]\naction = print\nsignal = usr2\n"
		"message = after the tick\n");
	t_start(&p, (const char *const[]){ "flagman", "-c", f->conf, NULL },
		NULL, false);
	t_expect_out(&p, (const char *const[]){ "init", NULL });
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, (const char *const[]){ "USR1: 3", NULL });
	t_kill(&p, SIGUSR2); // arrives while the countdown's run is pending
	t_expect_out(&p, (const char *const[]){ "tick", "after the tick",
		NULL });
	write_conf(f, "[count]\naction = countdown\nsignal = usr1\n"
		"interval = 1h\n\n[other]\naction = print\nsignal = usr2\n"
		"message = after the tick\n");
	t_kill(&p, SIGHUP); // reload: the changed countdown is set up again
	t_kill(&p, SIGUSR1);
	t_expect_out(&p, (const char *const[]){ "USR1: 3", NULL });
	t_kill(&p, SIGTERM); // during an hour-long run
	assert_int_equal(t_wait(&p, 5000), 0);
	assert_string_equal(t_rest(&p), "cleanup\n");
	t_finish(&p);
}

static void expect_refusal(struct fixture *f, const char *name,
	const char *as, mode_t mode, const char *message)
{
	char out[4096], err[4096], *path, *want;

	path = install_plugin(f, name, as);
	assert_int_equal(chmod(path, mode), 0);
	write_conf(f, "[p]\naction = print\nsignal = usr1\nmessage = m\n");
	assert_int_equal(t_run((const char *const[]){ "flagman", "--check", "-c",
		f->conf, NULL }, out, sizeof(out), err, sizeof(err)), 2);
	assert_true(asprintf(&want, "%s: error: %s\n", path, message) > 0);
	assert_string_equal(err, want);
	// The daemon refuses to start the same way.
	assert_int_equal(t_run((const char *const[]){ "flagman", "-c", f->conf,
		NULL }, out, sizeof(out), err, sizeof(err)), 2);
	assert_string_equal(err, want);
	assert_string_equal(out, "");
	unlink(path);
	free(path);
	free(want);
}

static void test_refused_abi(void **state)
{
	expect_refusal(*state, "BAD_ABI", "bad_abi.so", 0644, "built for plug-in ABI 3, "
		"this flagman has ABI 2 (rebuild it against flagman.pc)");
}

static void test_refused_no_symbol(void **state)
{
	expect_refusal(*state, "BAD_NO_SYMBOL", "none.so", 0644, "not a flagman "
		"plug-in (no 'fm_plugin' symbol)");
}

static void test_refused_duplicate_builtin(void **state)
{
	expect_refusal(*state, "BAD_DUPLICATE", "dup.so", 0644, "action type 'print' "
		"is already defined (built-in)");
}

static void test_refused_duplicate_plugin(void **state)
{
	struct fixture *f = *state;
	char *first = install_plugin(f, "COUNTDOWN", "a.so"), *msg;

	assert_true(asprintf(&msg, "action type 'countdown' is already defined "
		"(%s)", first) > 0);
	expect_refusal(f, "COUNTDOWN", "b.so", 0644, msg);
	free(msg);
	free(first);
}

static void test_refused_insecure(void **state)
{
	struct fixture *f = *state;
	char *msg;

	assert_true(asprintf(&msg, "refusing file: owned by uid 0 with mode 0664 "
		"(must be owned by root and not writable by group or others: chmod "
		"go-w %s/countdown.so)", f->plugins) > 0);
	expect_refusal(f, "COUNTDOWN", "countdown.so", 0664, msg);
	free(msg);
}

// A plug-in may call only the functions of <flagman/action.h>: flagman's
// own (here fm_log) are not exported, and the refusal names the symbol.
static void test_refused_internal(void **state)
{
	expect_refusal(*state, "BAD_INTERNAL", "internal.so", 0644, "cannot load "
		"plug-in: undefined symbol 'fm_log' (plug-ins may call only the "
		"functions declared in <flagman/action.h>)");
}

// Any other unresolved symbol is dlopen's to explain.
static void test_refused_undefined(void **state)
{
	expect_refusal(*state, "BAD_UNDEFINED", "undefined.so", 0644, "cannot "
		"load plug-in: undefined symbol: widget_frobnicate");
}

// Reads the names of a dynamic list ("{ name; ... };") into names[].
static size_t read_list(const char *path, char names[][64], size_t max)
{
	FILE *f = fopen(path, "re");
	char line[256], name[64];
	size_t n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %63[a-z0-9_];", name) == 1) {
			assert_true(n < max);
			strcpy(names[n++], name);
		}
	}
	fclose(f);
	return n;
}

/*
 * The functions the header declares, read another way than the script that
 * writes the list does: a line that starts with the return type and has
 * fm_NAME before its first parenthesis.
 */
static size_t read_declared(const char *header, char names[][64],
	size_t max)
{
	size_t n = 0;

	for (const char *line = header; *line; line += strcspn(line, "\n"),
			line += *line == '\n') {
		const char *paren = strchr(line, '('), *start;

		if (*line < 'a' || *line > 'z' || !paren ||
				paren > line + strcspn(line, "\n")) {
			continue;
		}
		for (start = paren; start > line && (start[-1] == '_' ||
				(start[-1] >= 'a' && start[-1] <= 'z') ||
				(start[-1] >= '0' && start[-1] <= '9')); start--) {
		}
		if (strncmp(start, "fm_", 3) == 0 && paren - start < 64) {
			assert_true(n < max);
			snprintf(names[n++], 64, "%.*s", (int)(paren - start), start);
		}
	}
	return n;
}

static bool listed_in(char names[][64], size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], name) == 0) {
			return true;
		}
	}
	return false;
}

/*
 * The binary's dynamic symbol table holds the plug-in interface and no
 * other fm_ name (every name flagman shares between files has the prefix);
 * each of them is declared in the public header.  The rest are libraries'
 * (copies of stdout@GLIBC_2.2.5; a static sanitizer runtime's interceptors).
 */
static void test_exports_only_the_api(void **state)
{
	char listed[64][64], declared[64][64], line[512], name[256];
	const char *list = getenv("FLAGMAN_DYNLIST");
	size_t nlisted, ndeclared, seen = 0;
	char *cmd, *path, *header;
	FILE *nm;

	(void)state;
	assert_non_null(list);
	nlisted = read_list(list, listed, 64);
	assert_true(asprintf(&path, "%s/include/flagman/action.h",
		getenv("FLAGMAN_SRCDIR")) > 0);
	header = td_slurp(path);
	ndeclared = read_declared(header, declared, 64);
	assert_true(ndeclared >= 10); // ABI 2: fm_action_* and fm_check_*
	assert_int_equal(nlisted, ndeclared);
	for (size_t i = 0; i < ndeclared; i++) {
		if (!listed_in(listed, nlisted, declared[i])) {
			fail_msg("%s declares %s, %s does not list it", path,
				declared[i], list);
		}
	}
	assert_true(asprintf(&cmd, "nm -D --defined-only '%s'",
		getenv("FLAGMAN_BIN")) > 0);
	assert_non_null(nm = popen(cmd, "r"));
	while (fgets(line, sizeof(line), nm)) {
		assert_int_equal(sscanf(line, "%*s %*c %255s", name), 1);
		if (strncmp(name, "fm_", 3) != 0) {
			continue;
		}
		if (!listed_in(listed, nlisted, name)) {
			fail_msg("flagman exports %s, which is not in %s", name, list);
		}
		seen++;
	}
	assert_int_equal(pclose(nm), 0);
	assert_int_equal(seen, nlisted); // and every listed one is exported
	free(header);
	free(path);
	free(cmd);
}

// The installed header and flagman.pc are all a plug-in author needs.
static void test_builds_from_installed_pc(void **state)
{
	struct fixture *f = *state;
	char out[16384], err[4096], *cmd;
	const char *build = getenv("FLAGMAN_BUILDDIR");
	const char *src = getenv("FLAGMAN_SRCDIR");

	assert_non_null(build);
	assert_non_null(src);
	assert_true(asprintf(&cmd, "set -e; d='%s'; "
		"meson install -C '%s' --no-rebuild --quiet --destdir \"$d/root\" "
		">/dev/null; pc=$(find \"$d/root\" -name flagman.pc); "
		"export PKG_CONFIG_SYSROOT_DIR=\"$d/root\" "
		"PKG_CONFIG_PATH=$(dirname \"$pc\"); "
		"cc $(pkg-config --cflags flagman) -std=c11 -Wall -Wextra -Werror "
		"-shared -fPIC -o '%s/countdown.so' '%s/actions/plugins/countdown.c'; "
		"chmod 644 '%s/countdown.so'",
		f->dir, build, f->plugins, src, f->plugins) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	write_conf(f, "");
	assert_int_equal(t_run((const char *const[]){ "flagman", "-c", f->conf,
		"--list", NULL }, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_non_null(strstr(out, "\ncountdown   - Example plug-in"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_listed),
		T(test_configured_run_closed),
		T(test_bad_value),
		T(test_async_run_does_not_block),
		T(test_refused_abi),
		T(test_refused_no_symbol),
		T(test_refused_duplicate_builtin),
		T(test_refused_duplicate_plugin),
		T(test_refused_internal),
		T(test_refused_undefined),
		T(test_exports_only_the_api),
		T(test_builds_from_installed_pc),
	};
	const struct CMUnitTest root_tests[] = {
		T(test_refused_insecure),
#undef T
	};

	return T_RUN_GROUPS(tests, root_tests);
}
