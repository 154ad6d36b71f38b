/*
 * The write action end to end: files truncated and appended to, FIFOs with
 * and without a reader, a FIFO whose reader does not keep up, a symlink it
 * refuses to follow (the root-only path rules are in test_security.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

static void test_truncate(void **state)
{
	const char *f = tp_fmt("%s/file", tp_dir);
	mode_t mask = umask(0);
	struct stat st;
	struct t_proc p;

	(void)state;
	umask(mask); // flagman inherits it
	tp_strings_keep(t_write(tp_dir, "file", "old content that is longer\n"));
	tp_write_start(&p, f, "tab\\there\\n", "no");
	tp_write_run(&p);
	tp_expect_file(f, "tab\there\n");
	tp_write_run(&p);
	tp_expect_file(f, "tab\there\n");
	tp_stop(&p);
	unlink(f);
	tp_write_start(&p, f, "x", "no");
	tp_write_run(&p);
	tp_expect_file(f, "x");
	assert_int_equal(stat(f, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644 & ~mask);
	tp_stop(&p);
}

static void test_append(void **state)
{
	const char *f = tp_fmt("%s/log", tp_dir);
	struct t_proc p;

	(void)state;
	tp_strings_keep(t_write(tp_dir, "log", "first\n"));
	tp_write_start(&p, f, "back\\\\slash\\n", "yes");
	tp_write_run(&p);
	tp_write_run(&p);
	tp_expect_file(f, "first\nback\\slash\nback\\slash\n");
	tp_stop(&p);
}

static void test_fifo(void **state)
{
	const char *f = tp_fmt("%s/fifo", tp_dir);
	struct pollfd pfd = { .events = POLLIN };
	char buf[64], line[1024];
	struct t_proc p;
	ssize_t n;

	(void)state;
	assert_int_equal(mkfifo(f, 0600), 0);
	tp_write_start(&p, f, "ping\\n", "no");
	// Nobody reads yet: the open fails at once and the chain goes on.
	tp_write_run(&p);
	assert_true(t_err_line(&p, line, sizeof(line), T_TIMEOUT));
	assert_string_equal(line, tp_fmt("flagman: warning: [cli-1]: cannot "
		"open %s: No such device or address (a FIFO that nobody reads?)",
		f));
	pfd.fd = open(f, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(pfd.fd >= 0);
	tp_write_run(&p);
	tp_write_run(&p);
	assert_int_equal(poll(&pfd, 1, T_TIMEOUT), 1);
	n = read(pfd.fd, buf, sizeof(buf));
	assert_int_equal(n, 10);
	assert_memory_equal(buf, "ping\nping\n", 10);
	close(pfd.fd);
	tp_stop(&p);
}

// A reader that never reads: the write stops at a full pipe, never blocks.
static void test_fifo_full(void **state)
{
	const char *f = tp_fmt("%s/fifo", tp_dir);
	char *content, line[1024];
	struct t_proc p;
	int fd, size;

	(void)state;
	assert_int_equal(mkfifo(f, 0600), 0);
	fd = open(f, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(fd >= 0);
	size = fcntl(fd, F_GETPIPE_SZ);
	assert_true(size > 0);
	content = calloc((size_t)size + 1001, 1);
	assert_non_null(content);
	memset(content, 'x', (size_t)size + 1000);
	tp_write_start(&p, f, content, "no");
	tp_write_run(&p);
	assert_true(t_err_line(&p, line, sizeof(line), T_TIMEOUT));
	assert_string_equal(line, tp_fmt("flagman: warning: [cli-1]: cannot "
		"write to %s (%d of %d bytes written): Resource temporarily "
		"unavailable (its reader is not keeping up)", f, size, size + 1000));
	// Still serving.
	tp_write_run(&p);
	tp_stop(&p);
	free(content);
	close(fd);
}

// Whoever runs it, write never follows a symlink at the target: the run
// fails, the file it points to is untouched, the daemon serves on.
static void test_symlink_refused(void **state)
{
	const char *link = tp_fmt("%s/link", tp_dir);
	const char *real = tp_fmt("%s/real", tp_dir);
	char line[1024];
	struct t_proc p;

	(void)state;
	tp_strings_keep(t_write(tp_dir, "real", "kept\n"));
	assert_int_equal(symlink(real, link), 0);
	tp_write_start(&p, link, "x", "no");
	tp_write_run(&p);
	assert_true(t_err_line(&p, line, sizeof(line), T_TIMEOUT));
	assert_string_equal(line, tp_fmt("flagman: warning: [cli-1]: refusing "
		"to write %s: it is a symbolic link, and write never follows one",
		link));
	tp_write_run(&p);
	tp_stop(&p);
	assert_string_equal(tp_file(real), "kept\n");
}

static void test_bad_content(void **state)
{
	char out[256], err[1024];

	(void)state;
	assert_int_equal(t_run((const char *const[]){ "flagman", "--check",
		"--no-config", "--usr1", "write", "/tmp/x", "a\\qb", NULL }, out,
		sizeof(out), err, sizeof(err)), 2);
	assert_string_equal(err, "flagman: error: --usr1 write: unknown escape "
		"'\\q' in 'content' (use \\n, \\t or \\\\)\n");
	assert_int_equal(t_run((const char *const[]){ "flagman", "--check",
		"--no-config", "--usr1", "write", "/tmp/x", "a\\", NULL }, out,
		sizeof(out), err, sizeof(err)), 2);
	assert_string_equal(err, "flagman: error: --usr1 write: 'content' ends "
		"with a lone backslash (write \\\\ for one)\n");
	assert_int_equal(t_run((const char *const[]){ "flagman", "--check",
		"--no-config", "--usr1", "write", "relative", "a", NULL }, out,
		sizeof(out), err, sizeof(err)), 2);
	assert_string_equal(err, "flagman: error: --usr1 write: 'relative' for "
		"'path' is not an absolute path\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, tp_dir_set_up, \
	tp_dir_tear_down)
		T(test_truncate),
		T(test_append),
		T(test_fifo),
		T(test_fifo_full),
		T(test_symlink_refused),
		T(test_bad_content),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
