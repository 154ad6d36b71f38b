/*
 * Helpers for the configuration tests; see confdata.h.
 */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "confdata.h"

char *td_work;
char td_out[65536], td_err[65536];

char *td_slurp(const char *path)
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

void td_copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "re"), *out = fopen(to, "we");
	char buf[4096];
	size_t len;

	assert_non_null(in);
	assert_non_null(out);
	while ((len = fread(buf, 1, sizeof(buf), in)) > 0) {
		assert_int_equal(fwrite(buf, 1, len, out), len);
	}
	fclose(in);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(chmod(to, 0644), 0);
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
	assert_true(asprintf(&dst, "%s%s", td_work, rel) > 0);
	if (flag == FTW_D) {
		assert_true(mkdir(dst, 0755) == 0 || errno == EEXIST);
	} else if (flag == FTW_SL) {
		n = readlink(path, target, sizeof(target) - 1);
		assert_true(n > 0);
		target[n] = '\0';
		assert_int_equal(symlink(target, dst), 0);
	} else {
		td_copy_file(path, dst);
	}
	free(dst);
	return 0;
}

// Copies tests/data/SUB into a fresh directory and goes there.
void td_enter(const char *sub)
{
	const char *srcdir = getenv("FLAGMAN_SRCDIR");
	char *src;

	assert_non_null(srcdir);
	td_work = t_tmpdir();
	assert_int_equal(chmod(td_work, 0755), 0);
	if (sub) {
		assert_true(asprintf(&src, "%s/tests/data/%s", srcdir, sub) > 0);
		copy_root = src;
		assert_int_equal(nftw(src, copy_entry, 16, FTW_PHYS), 0);
		free(src);
	}
	assert_int_equal(chdir(td_work), 0);
}

int td_leave(void **state)
{
	(void)state;
	if (td_work) {
		assert_int_equal(chdir("/"), 0);
		t_rmtree(td_work);
		free(td_work);
		td_work = NULL;
	}
	return 0;
}

// The expected text with @PLUGIN_DIR@ standing for this build's default.
char *td_expected_dump(const char *path)
{
	char *text = td_slurp(path), *at = strstr(text, "@PLUGIN_DIR@"), *full;

	if (!at) {
		return text;
	}
	assert_true(asprintf(&full, "%.*s%s%s", (int)(at - text), text,
		FM_PLUGIN_DIR, at + strlen("@PLUGIN_DIR@")) > 0);
	free(text);
	return full;
}

const char *td_dump_line(const char *key)
{
	static char line[256];
	const char *at;
	size_t len;

	snprintf(line, sizeof(line), "\n%s = ", key);
	at = strstr(td_out, line);
	assert_non_null(at);
	at++;
	len = strcspn(at, "\n");
	snprintf(line, sizeof(line), "%.*s", (int)len, at);
	return line;
}

// Copies conf/NAME from the source tree into the test's directory.
void td_copy_conf(const char *name)
{
	char *path, *text;

	assert_true(asprintf(&path, "%s/conf/%s", getenv("FLAGMAN_SRCDIR"),
		name) > 0);
	text = td_slurp(path);
	free(t_write(td_work, name, text));
	free(text);
	free(path);
}

