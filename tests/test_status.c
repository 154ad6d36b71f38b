/*
 * flagman --status end to end: the real daemon publishes its actions in a
 * status file of RUNTIME_DIRECTORY (a test directory, so that no test
 * touches /run/flagman), and `flagman --status [--json]` prints it after
 * runs, failures and a close; no instance (no file, a stale file); the file
 * removed at exit; its mode; an unsafe directory refused; and the rate of
 * rewrites in a storm of signals.  Built twice (tests/rootonly.h): the
 * root-only cases check the adm group and a directory owned by another
 * user.
 */
#include <errno.h>
#include <grp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"
#include "procinfo.h"
#include "rootonly.h"

#define ARGS(...) ((const char *const[]){ "flagman", __VA_ARGS__, NULL })

static const char conf_text[] =
	"[hello]\naction = print\nsignal = usr1\nmessage = hello\n\n"
	"[fails]\naction = exec\nsignal = usr1 usr2\n"
	"command = /bin/sh -c \"exit 3\"\n\n"
	"[once]\naction = print_once\nsignal = usr1\nmessage = once\n";

static char *rt, *conf, *file;

// The status file's name as systemd-escape --path spells the directory
// (/tmp/fm-test-XXXXXX: only '-' needs an escape).
static char *status_path(const char *dir, const char *config)
{
	char name[4096] = "";
	size_t at = 0;

	for (const char *p = config + 1; *p; p++) {
		at += (size_t)snprintf(name + at, sizeof(name) - at, *p == '/' ?
			"-" : *p == '-' ? "\\x2d" : "%c", *p);
	}
	return tp_fmt("%s/%s.status", dir, name);
}

static int set_up(void **state)
{
	tp_dir_set_up(state);
	assert_int_equal(chmod(tp_dir, 0755), 0);
	rt = tp_fmt("%s/rt", tp_dir);
	conf = tp_fmt("%s/f.conf", tp_dir);
	file = status_path(rt, conf);
	tp_strings_keep(t_write(tp_dir, "f.conf", conf_text));
	assert_int_equal(chmod(conf, 0644), 0);
	setenv("RUNTIME_DIRECTORY", rt, 1);
	unsetenv("XDG_RUNTIME_DIR");
	return 0;
}

// Waits until the status file holds needle; fails on timeout.
static void expect_in_file(const char *needle)
{
	long long end = tp_clock_ms() + T_TIMEOUT;

	while (!strstr(tp_file(file), needle)) {
		if (tp_clock_ms() > end) {
			fail_msg("%s never held:\n%s\nit holds:\n%s", file, needle,
				tp_file(file));
		}
		nanosleep(&(struct timespec){ .tv_nsec = 5000000 }, NULL);
	}
}

static void start(struct t_proc *p)
{
	t_start(p, ARGS("-c", conf), NULL, false);
	expect_in_file("\naction=");
}

// The three actions after two USR1 and one USR2: hello ran twice, fails
// three times (failing), once ran once and closed.
static void run_three(struct t_proc *p)
{
	t_send(p, SIGUSR1);
	assert_true(t_err_until(p, "[fails]: exited with status 3", T_TIMEOUT));
	t_send(p, SIGUSR1);
	assert_true(t_err_until(p, "[fails]: exited with status 3", T_TIMEOUT));
	t_send(p, SIGUSR2);
	assert_true(t_err_until(p, "[fails]: exited with status 3", T_TIMEOUT));
	expect_in_file("action=fails\ntype=exec\nsignals=USR1 USR2\nruns=3\n"
		"failures=3\n");
}

// Is text a local time "YYYY-MM-DD HH:MM:SS" between from and now?
static void expect_recent(const char *text, time_t from)
{
	struct tm tm = { .tm_isdst = -1 };
	const char *end = strptime(text, "%Y-%m-%d %H:%M:%S", &tm);
	time_t t = mktime(&tm);

	assert_non_null(end);
	assert_string_equal(end, "");
	if (t < from - 1 || t > time(NULL) + 1) {
		fail_msg("time %s is not between the test's start and now", text);
	}
}

// Cuts line into cells at runs of two or more spaces; the count.
static size_t cells(char *line, char **cell, size_t *col, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (*p && n < max) {
		cell[n] = p;
		col[n++] = (size_t)(p - line);
		p = strstr(p, "  ");
		if (!p) {
			break;
		}
		*p = '\0';
		p += 2 + strspn(p + 2, " ");
	}
	return n;
}

// A table row: the cells expected, "*" for the time and the duration.
static void expect_row(char *line, const char *const *want, const size_t *hcol,
	time_t from)
{
	char *cell[8];
	size_t col[8], n = cells(line, cell, col, 8);

	assert_int_equal(n, 8);
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(col[i], hcol[i]); // aligned under its heading
		if (i == 5) {
			expect_recent(cell[i], from);
		} else if (i == 6) {
			assert_int_equal(strspn(cell[i], "0123456789ms"),
				strlen(cell[i]));
		} else {
			assert_string_equal(cell[i], want[i]);
		}
	}
}

static void test_text(void **state)
{
	time_t from = time(NULL);
	char out[4096], err[4096], *line, *next, *hcell[8];
	size_t hcol[8];
	struct t_proc p;
	const char *head;

	(void)state;
	start(&p);
	run_three(&p);
	assert_int_equal(t_run(ARGS("--status", "-c", conf), out, sizeof(out),
		err, sizeof(err)), 0);
	assert_string_equal(err, "");
	line = out;
	next = strchr(line, '\n');
	*next++ = '\0';
	head = tp_fmt("flagman %ld: %s, up since ", (long)p.pid, conf);
	assert_memory_equal(line, head, strlen(head));
	assert_string_equal(line + strlen(head) + 19, ", 0 reloads");
	line[strlen(head) + 19] = '\0';
	expect_recent(line + strlen(head), from);
	line = next;
	next = strchr(line, '\n');
	*next++ = '\0';
	assert_string_equal(line, "ACTION  TYPE        SIGNAL     RUNS  FAILED  "
		"LAST-RUN             TOOK  RESULT");
	assert_int_equal(cells(line, hcell, hcol, 8), 8);
	line = next;
	next = strchr(line, '\n');
	*next++ = '\0';
	expect_row(line, (const char *const[]){ "hello", "print", "USR1", "2",
		"0", "*", "*", "ok" }, hcol, from);
	line = next;
	next = strchr(line, '\n');
	*next++ = '\0';
	expect_row(line, (const char *const[]){ "fails", "exec", "USR1,USR2",
		"3", "3", "*", "*", "failed" }, hcol, from);
	line = next;
	next = strchr(line, '\n');
	*next++ = '\0';
	expect_row(line, (const char *const[]){ "once", "print_once", "USR1",
		"1", "0", "*", "*", "ok; closed: Only print once" }, hcol, from);
	assert_string_equal(next, "");
	tp_stop(&p);
}

// Masks the number after each "key": of the timed fields with N.
static void mask_times(char *json)
{
	static const char *const keys[] = { "\"started_ms\":",
		"\"written_ms\":", "\"last_start_ms\":", "\"last_duration_ms\":" };

	for (size_t k = 0; k < 4; k++) {
		for (char *p = json; (p = strstr(p, keys[k])); ) {
			size_t digits;

			p += strlen(keys[k]);
			digits = strspn(p, "0123456789");
			assert_true(digits > 0);
			*p = 'N';
			memmove(p + 1, p + digits, strlen(p + digits) + 1);
		}
	}
}

static void test_json(void **state)
{
	char out[4096], err[4096];
	struct t_proc p;

	(void)state;
	start(&p);
	run_three(&p);
	// The same file, spelled relative to another working directory and
	// through "." and "..": normalised lexically, it names the same file.
	assert_int_equal(chdir(tp_dir), 0);
	assert_int_equal(t_run(ARGS("--status", "--json", "-c",
		"./nowhere/../f.conf"), out, sizeof(out), err, sizeof(err)), 0);
	assert_int_equal(chdir("/"), 0);
	assert_string_equal(err, "");
	mask_times(out);
	assert_string_equal(out, tp_fmt("{\"format\":1,\"pid\":%ld,"
		"\"config\":\"%s\",\"started_ms\":N,\"reloads\":0,\"written_ms\":N,"
		"\"actions\":["
		"{\"name\":\"hello\",\"type\":\"print\",\"signals\":[\"USR1\"],"
		"\"runs\":2,\"failures\":0,\"last_start_ms\":N,"
		"\"last_duration_ms\":N,\"result\":\"ok\",\"closed\":false,"
		"\"close_reason\":null},"
		"{\"name\":\"fails\",\"type\":\"exec\",\"signals\":[\"USR1\","
		"\"USR2\"],\"runs\":3,\"failures\":3,\"last_start_ms\":N,"
		"\"last_duration_ms\":N,\"result\":\"failed\",\"closed\":false,"
		"\"close_reason\":null},"
		"{\"name\":\"once\",\"type\":\"print_once\",\"signals\":[\"USR1\"],"
		"\"runs\":1,\"failures\":0,\"last_start_ms\":N,"
		"\"last_duration_ms\":N,\"result\":\"ok\",\"closed\":true,"
		"\"close_reason\":\"Only print once\"}]}\n", (long)p.pid, conf));
	tp_stop(&p);
}

// A reload keeps an unchanged action's counters; a changed one starts at 0.
static void test_reload(void **state)
{
	struct t_proc p;

	(void)state;
	start(&p);
	run_three(&p);
	// fails changes: another command.
	tp_strings_keep(t_write(tp_dir, "f.conf", tp_fmt("%.*s%s%s",
		(int)(strstr(conf_text, "command") - conf_text), conf_text,
		"command = /bin/sh -c \"exit 4\"\n\n",
		strstr(conf_text, "[once]"))));
	t_send(&p, SIGHUP);
	expect_in_file("reloads=1\n");
	assert_non_null(strstr(tp_file(file), "action=hello\ntype=print\n"
		"signals=USR1\nruns=2\nfailures=0\n"));
	assert_non_null(strstr(tp_file(file), "action=fails\ntype=exec\n"
		"signals=USR1 USR2\nruns=0\nfailures=0\nlast_start=\n"
		"last_duration=\nresult=\nclosed=no\n"));
	tp_stop(&p);
}

// An exec probe that finds its output as last time: result unchanged, a
// success (failures stay 0), and the rest of its chain not run.
static void test_unchanged(void **state)
{
	char out[4096], err[4096];
	struct t_proc p;

	(void)state;
	tp_strings_keep(t_write(tp_dir, "f.conf", "[probe]\naction = exec\n"
		"signal = usr1\ncommand = /bin/echo same\noutput = null\n"
		"on_unchanged = stop\n\n"
		"[after]\naction = print\nsignal = usr1\nmessage = after\n"));
	start(&p);
	t_send(&p, SIGUSR1);
	expect_in_file("action=after\ntype=print\nsignals=USR1\nruns=1\n");
	t_send(&p, SIGUSR1);
	expect_in_file("action=probe\ntype=exec\nsignals=USR1\nruns=2\n"
		"failures=0\n");
	expect_in_file("\nresult=unchanged\nclosed=no\n");
	assert_non_null(strstr(tp_file(file), "action=after\ntype=print\n"
		"signals=USR1\nruns=1\nfailures=0\n"));
	assert_int_equal(t_run(ARGS("--status", "-c", conf), out, sizeof(out),
		err, sizeof(err)), 0);
	assert_non_null(strstr(out, "\nprobe   exec   USR1    2     0       "));
	assert_non_null(strstr(out, "  unchanged\nafter   print  USR1    1     0       "));
	assert_int_equal(t_run(ARGS("--status", "--json", "-c", conf), out,
		sizeof(out), err, sizeof(err)), 0);
	assert_non_null(strstr(out, "\"runs\":2,\"failures\":0,"));
	assert_non_null(strstr(out, "\"result\":\"unchanged\""));
	tp_stop(&p);
}

// A run under way: result running, no duration yet; then its end.
static void test_running(void **state)
{
	const char *gate = tp_fmt("%s/gate", tp_dir);
	char out[4096], err[4096];
	struct t_proc p;
	FILE *g;

	(void)state;
	assert_int_equal(mkfifo(gate, 0600), 0);
	tp_strings_keep(t_write(tp_dir, "f.conf", tp_fmt("[slow]\n"
		"action = exec\nsignal = usr1\n"
		"command = /bin/sh -c \"read line < %s\"\n", gate)));
	start(&p);
	t_send(&p, SIGUSR1);
	expect_in_file("runs=1\nfailures=0\n");
	expect_in_file("\nlast_duration=\nresult=running\nclosed=no\n");
	assert_int_equal(t_run(ARGS("--status", "-c", conf), out, sizeof(out),
		err, sizeof(err)), 0);
	assert_non_null(strstr(out, "  1     0       "));
	assert_non_null(strstr(out, "  -     running\n"));
	assert_non_null(g = fopen(gate, "w"));
	fputs("go\n", g);
	fclose(g);
	expect_in_file("\nresult=ok\nclosed=no\n");
	tp_stop(&p);
}

// Names with '=', a backslash and a control character: one line each in
// the file, escaped for the terminal in the table and for JSON.
static void test_names(void **state)
{
	char out[4096], err[4096];
	struct t_proc p;

	(void)state;
	tp_strings_keep(t_write(tp_dir, "f.conf", "[a=b\\x]\naction = print\n"
		"signal = usr1\nmessage = one\n\n[c\001d]\naction = print\n"
		"signal = usr1\nmessage = two\n"));
	start(&p);
	expect_in_file("action=a=b\\\\x\ntype=print\n");
	expect_in_file("action=c\\x01d\ntype=print\n");
	assert_int_equal(t_run(ARGS("--status", "-c", conf), out, sizeof(out),
		err, sizeof(err)), 0);
	assert_non_null(strstr(out, "\na=b\\x   print  USR1    0     0       -"
		"         -     -\n"));
	assert_non_null(strstr(out, "\nc\\x01d  print  USR1    0     0       -"
		"         -     -\n"));
	assert_int_equal(t_run(ARGS("--status", "--json", "-c", conf), out,
		sizeof(out), err, sizeof(err)), 0);
	assert_non_null(strstr(out, "\"actions\":[{\"name\":\"a=b\\\\x\","));
	assert_non_null(strstr(out, "},{\"name\":\"c\\u0001d\","));
	tp_stop(&p);
}

static void expect_status(int want, const char *err_want)
{
	char out[4096], err[4096];

	assert_int_equal(t_run(ARGS("--status", "-c", conf), out, sizeof(out),
		err, sizeof(err)), want);
	assert_string_equal(out, "");
	assert_string_equal(err, err_want);
}

static void test_no_instance(void **state)
{
	pid_t dead;

	(void)state;
	expect_status(1, tp_fmt("flagman: no running instance for %s (no "
		"status file %s)\n", conf, file));
	// Several directories (systemd joins them with ':'): the first.
	setenv("RUNTIME_DIRECTORY", tp_fmt("%s:/elsewhere", rt), 1);
	expect_status(1, tp_fmt("flagman: no running instance for %s (no "
		"status file %s)\n", conf, file));
	setenv("RUNTIME_DIRECTORY", "relative", 1);
	expect_status(1, tp_fmt("flagman: no running instance for %s (no "
		"runtime directory: the runtime directory is not an absolute "
		"path)\n", conf));
	// Without RUNTIME_DIRECTORY: /run/flagman for root; a user looks in
	// $XDG_RUNTIME_DIR/flagman (the user's own flagman), then in
	// /run/flagman (the service's, which adm's members may read).
	unsetenv("RUNTIME_DIRECTORY");
	setenv("XDG_RUNTIME_DIR", tp_dir, 1);
	expect_status(1, geteuid() == 0 ? tp_fmt("flagman: no running instance "
		"for %s (no status file %s)\n", conf, status_path("/run/flagman",
		conf)) : tp_fmt("flagman: no running instance for %s (no status "
		"file %s or %s)\n", conf, status_path(tp_fmt("%s/flagman", tp_dir),
		conf), status_path("/run/flagman", conf)));
	unsetenv("XDG_RUNTIME_DIR");
	expect_status(1, tp_fmt("flagman: no running instance for %s (no "
		"status file %s)\n", conf, status_path("/run/flagman", conf)));
	setenv("RUNTIME_DIRECTORY", rt, 1);
	// A file left by a process that has ended.
	if ((dead = fork()) == 0) {
		_exit(0);
	}
	assert_int_equal(waitpid(dead, NULL, 0), dead);
	assert_int_equal(mkdir(rt, 0755), 0);
	tp_strings_keep(t_write(rt, strrchr(file, '/') + 1, tp_fmt("format=1\n"
		"pid=%ld\nstart_ticks=1\nstarted=1\nconfig=%s\n", (long)dead,
		conf)));
	expect_status(1, tp_fmt("flagman: no running instance for %s (%s is "
		"stale: process %ld has ended)\n", conf, file, (long)dead));
	// A live pid that another process had: its start time differs.
	tp_strings_keep(t_write(rt, strrchr(file, '/') + 1, tp_fmt("format=1\n"
		"pid=%ld\nstart_ticks=1\nstarted=1\nconfig=%s\n", (long)getpid(),
		conf)));
	expect_status(1, tp_fmt("flagman: no running instance for %s (%s is "
		"stale: process %ld has ended)\n", conf, file, (long)getpid()));
}

static void test_usage(void **state)
{
	char out[4096], err[4096];

	(void)state;
	assert_int_equal(t_run(ARGS("--json", "-c", conf), out, sizeof(out),
		err, sizeof(err)), 2);
	assert_string_equal(err, "flagman: error: --json needs --status\n"
		"Try 'flagman --help' for more information.\n");
	assert_int_equal(t_run(ARGS("--status", "--dump"), out, sizeof(out),
		err, sizeof(err)), 2);
	assert_string_equal(err, "flagman: error: --dump cannot be combined "
		"with another of --list, --check, --dump, --status\n"
		"Try 'flagman --help' for more information.\n");
}

// Starts flagman; its status file has mode 0640: its status.
static struct stat start_0640(struct t_proc *p)
{
	struct stat st;

	start(p);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	return st;
}

// The file: mode 0640, gone after SIGTERM and after every action closed.
static void test_file_life(void **state)
{
	struct t_proc p;
	struct stat st = start_0640(&p);

	(void)state;
	assert_int_equal(stat(rt, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	tp_stop(&p);
	assert_int_equal(access(file, F_OK), -1);
	tp_strings_keep(t_write(tp_dir, "f.conf", "[once]\naction = print_once\n"
		"signal = usr1\nmessage = once\n"));
	start(&p);
	t_kill(&p, SIGUSR1);
	assert_int_equal(t_wait(&p, T_TIMEOUT), 1);
	t_finish(&p);
	assert_int_equal(access(file, F_OK), -1);
	assert_int_equal(errno, ENOENT);
}

// A directory others can write to: refused, nothing published, and the
// daemon runs on.
static void expect_refused(const char *why)
{
	struct t_proc p;

	t_start(&p, ARGS("-c", conf), NULL, false);
	assert_true(t_err_until(&p, tp_fmt("flagman: warning: no status file: "
		"%s", why), T_TIMEOUT));
	t_send(&p, SIGUSR1);
	assert_true(t_err_until(&p, "[fails]: exited with status 3", T_TIMEOUT));
	assert_int_equal(access(file, F_OK), -1);
	tp_stop(&p);
}

static void test_unsafe_dir(void **state)
{
	(void)state;
	assert_int_equal(mkdir(rt, 0755), 0);
	assert_int_equal(chmod(rt, 0777), 0);
	expect_refused(tp_fmt("refusing %s: owned by uid %u with mode 0777 "
		"(must be owned by uid %u, flagman's user, and not writable by "
		"group or others: chown %u %s and chmod go-w %s)", rt,
		(unsigned)geteuid(), (unsigned)geteuid(), (unsigned)geteuid(), rt,
		rt));
}

// A storm of 2000 signals: at most one rewrite per 250 ms (+2), and the
// last one shows the last state (the runs counted on stdout).
static void test_rate(void **state)
{
	char line[256], buf[65536];
	long long t0, elapsed;
	long runs = 0, renames = 0;
	struct t_proc p;
	ssize_t n;
	int fd;

	(void)state;
	tp_strings_keep(t_write(tp_dir, "f.conf", "[hello]\naction = print\n"
		"signal = usr1\nmessage = hello\n\n[end]\naction = print\n"
		"signal = usr2\nmessage = end\n"));
	start(&p);
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	assert_true(fd >= 0);
	// The temporary file's IN_CREATE between two renames keeps inotify
	// from merging them into one event.
	assert_true(inotify_add_watch(fd, rt, IN_MOVED_TO | IN_CREATE) >= 0);
	t0 = tp_clock_ms();
	// Every tenth waits until flagman has read it, so that the storm lasts
	// and runs many chains rather than one.
	for (int i = 1; i <= 2000; i++) {
		if (i % 10) {
			t_kill(&p, SIGUSR1);
		} else {
			t_send(&p, SIGUSR1);
		}
	}
	t_send(&p, SIGUSR2);
	while (t_out_line(&p, line, sizeof(line), T_TIMEOUT) &&
			strcmp(line, "end") != 0) {
		runs += strcmp(line, "hello") == 0;
	}
	assert_string_equal(line, "end");
	expect_in_file(tp_fmt("action=hello\ntype=print\nsignals=USR1\n"
		"runs=%ld\n", runs));
	expect_in_file("action=end\ntype=print\nsignals=USR2\nruns=1\n");
	elapsed = tp_clock_ms() - t0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *e = buf; e < buf + n; ) {
			struct inotify_event *ev = (struct inotify_event *)e;
			renames += (ev->mask & IN_MOVED_TO) && ev->len &&
				strcmp(ev->name, strrchr(file, '/') + 1) == 0;
			e += sizeof(*ev) + ev->len;
		}
	}
	close(fd);
	print_message("%ld runs, %ld rewrites in %lld ms\n", runs, renames,
		elapsed);
	assert_true(runs >= 1);
	assert_true(renames >= 1);
	assert_true(renames <= elapsed / 250 + 2);
	tp_stop(&p);
}

/* ---- root only ---- */

static void test_root_group(void **state)
{
	struct group *adm = getgrnam("adm");
	struct t_proc p;
	struct stat st = start_0640(&p);

	(void)state;
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_gid, adm ? adm->gr_gid : 0);
	tp_stop(&p);
}

// A user outside the adm group cannot read root's file: told what grants
// access.
static void test_root_unreadable(void **state)
{
	char err[4096];
	struct t_proc p;

	(void)state;
	start(&p);
	assert_int_equal(tp_run_as(65534, 65534, ARGS("--status", "-c", conf),
		err, sizeof(err)), 1);
	assert_string_equal(err, tp_fmt("flagman: cannot read %s: Permission "
		"denied (root and the members of the adm group may read it)\n",
		file));
	tp_stop(&p);
}

static void test_root_foreign_dir(void **state)
{
	(void)state;
	assert_int_equal(mkdir(rt, 0755), 0);
	assert_int_equal(chown(rt, 65534, 65534), 0);
	expect_refused(tp_fmt("refusing %s: owned by uid 65534 with mode 0755 "
		"(must be owned by uid 0, flagman's user, and not writable by group "
		"or others: chown 0 %s and chmod go-w %s)", rt, rt, rt));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_text, set_up, tp_dir_tear_down),
		cmocka_unit_test_setup_teardown(test_json, set_up, tp_dir_tear_down),
		cmocka_unit_test_setup_teardown(test_reload, set_up,
			tp_dir_tear_down),
		cmocka_unit_test_setup_teardown(test_names, set_up, tp_dir_tear_down),
		cmocka_unit_test_setup_teardown(test_unchanged, set_up,
			tp_dir_tear_down),
		cmocka_unit_test_setup_teardown(test_running, set_up,
			tp_dir_tear_down),
		cmocka_unit_test_setup_teardown(test_no_instance, set_up,
			tp_dir_tear_down),
		cmocka_unit_test_setup_teardown(test_usage, set_up, tp_dir_tear_down),
		cmocka_unit_test_setup_teardown(test_file_life, set_up,
			tp_dir_tear_down),
		cmocka_unit_test_setup_teardown(test_unsafe_dir, set_up,
			tp_dir_tear_down),
		cmocka_unit_test_setup_teardown(test_rate, set_up, tp_dir_tear_down),
	};
	const struct CMUnitTest root_tests[] = {
		cmocka_unit_test_setup_teardown(test_root_group, set_up,
			tp_dir_tear_down),
		cmocka_unit_test_setup_teardown(test_root_unreadable, set_up,
			tp_dir_tear_down),
		cmocka_unit_test_setup_teardown(test_root_foreign_dir, set_up,
			tp_dir_tear_down),
	};

	return T_RUN_GROUPS(tests, root_tests);
}
