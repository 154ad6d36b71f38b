/*
 * Process helpers for the exec, signal and write tests; see procinfo.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"
#include "procinfo.h"

char *tp_dir;

int tp_dir_set_up(void **state)
{
	(void)state;
	tp_dir = t_tmpdir();
	return 0;
}

int tp_dir_tear_down(void **state)
{
	(void)state;
	t_rmtree(tp_dir);
	free(tp_dir);
	tp_dir = NULL;
	tp_strings_free();
	return 0;
}

static char **strings;
static size_t nstrings;

void tp_strings_keep(char *s)
{
	char **grown = realloc(strings, (nstrings + 1) * sizeof(*grown));

	assert_non_null(grown);
	strings = grown;
	strings[nstrings++] = s;
}

char *tp_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	assert_true(r >= 0);
	tp_strings_keep(s);
	return s;
}

void tp_strings_free(void)
{
	for (size_t i = 0; i < nstrings; i++) {
		free(strings[i]);
	}
	free(strings);
	strings = NULL;
	nstrings = 0;
}

long long tp_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// The file's content, NUL-terminated, in buf; "" if it cannot be read.
static void slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	while (fd >= 0 && len < size - 1 &&
			(n = read(fd, buf + len, size - 1 - len)) > 0) {
		len += (size_t)n;
	}
	if (fd >= 0) {
		close(fd);
	}
	buf[len] = '\0';
}

char *tp_file(const char *path)
{
	char buf[4096];

	slurp(path, buf, sizeof(buf));
	return tp_fmt("%s", buf);
}

void tp_expect_file(const char *path, const char *text)
{
	long long deadline = tp_clock_ms() + T_TIMEOUT;
	char buf[4096];

	do {
		slurp(path, buf, sizeof(buf));
		if (strcmp(buf, text) == 0) {
			return;
		}
		poll(NULL, 0, 10);
	} while (tp_clock_ms() < deadline);
	assert_string_equal(buf, text);
}

pid_t tp_pid_file(const char *path)
{
	long long deadline = tp_clock_ms() + T_TIMEOUT;
	char buf[64], *end;
	long pid;

	do {
		slurp(path, buf, sizeof(buf));
		pid = strtol(buf, &end, 10);
		if (end != buf && *end == '\n') {
			return (pid_t)pid;
		}
		poll(NULL, 0, 10);
	} while (tp_clock_ms() < deadline);
	fail_msg("no PID appeared in %s", path);
	return 0;
}

bool tp_gone(pid_t pid, int timeout_ms)
{
	long long deadline = tp_clock_ms() + timeout_ms;

	while (kill(pid, 0) == 0 || errno != ESRCH) {
		if (tp_clock_ms() >= deadline) {
			return false;
		}
		poll(NULL, 0, 10);
	}
	return true;
}

bool tp_proc_status(pid_t pid, const char *name, char *value, size_t size)
{
	char path[64], line[512];
	size_t len = strlen(name);
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "re"))) {
		return false;
	}
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, len) == 0 && line[len] == ':') {
			char *v = line + len + 1 + strspn(line + len + 1, " \t");
			v[strcspn(v, "\n")] = '\0';
			snprintf(value, size, "%s", v);
			found = true;
		}
	}
	fclose(f);
	return found;
}

static bool pending(pid_t pid, int sig)
{
	static const char *const fields[] = { "SigPnd", "ShdPnd" };
	char value[64];

	for (size_t i = 0; i < 2; i++) {
		if (tp_proc_status(pid, fields[i], value, sizeof(value)) &&
				(strtoull(value, NULL, 16) & (1ULL << (sig - 1)))) {
			return true;
		}
	}
	return false;
}

bool tp_signal_taken(pid_t pid, int sig, int timeout_ms)
{
	long long deadline = tp_clock_ms() + timeout_ms;

	while (pending(pid, sig)) {
		if (tp_clock_ms() >= deadline) {
			return false;
		}
		poll(NULL, 0, 1);
	}
	return true;
}

long tp_fd_count(pid_t pid)
{
	char path[64];
	struct dirent *de;
	long n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	assert_non_null(d = opendir(path));
	while ((de = readdir(d))) {
		n += de->d_name[0] != '.';
	}
	closedir(d);
	return n;
}

long tp_children(pid_t pid)
{
	struct dirent *de;
	long n = 0;
	DIR *d;

	assert_non_null(d = opendir("/proc"));
	while ((de = readdir(d))) {
		char path[300], value[32];
		if (de->d_name[0] < '0' || de->d_name[0] > '9') {
			continue;
		}
		snprintf(path, sizeof(path), "%s", de->d_name);
		if (tp_proc_status((pid_t)atoi(path), "PPid", value,
				sizeof(value)) && atol(value) == (long)pid) {
			n++;
		}
	}
	closedir(d);
	return n;
}

long tp_rss(pid_t pid)
{
	char value[64];

	assert_true(tp_proc_status(pid, "VmRSS", value, sizeof(value)));
	return atol(value);
}

bool tp_under_valgrind(pid_t pid)
{
	char path[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid ? (int)pid :
		(int)getpid());
	if (!(f = fopen(path, "re"))) {
		return false;
	}
	while (!found && fgets(line, sizeof(line), f)) {
		found = strstr(line, "vgpreload") != NULL;
	}
	fclose(f);
	return found;
}

long long tp_slack_ms(void)
{
	return tp_under_valgrind(0) ? 5000 : 0;
}

void tp_asan_quarantine_off(void)
{
	const char *old = getenv("ASAN_OPTIONS");
	char *opts;

	assert_true(asprintf(&opts, "%s%squarantine_size_mb=0", old ? old : "",
		old && *old ? ":" : "") > 0);
	setenv("ASAN_OPTIONS", opts, 1);
	free(opts);
}

int tp_run_as(uid_t uid, gid_t gid, const char *const *argv, char *err,
	size_t errsize)
{
	int p[2], st;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		char u[32], g[32];
		const char *args[64] = { "setpriv", u, g, "--clear-groups",
			t_flagman() };

		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		// setpriv rather than setuid here: valgrind, when it runs this
		// test, cannot follow a process that changed its uid.
		snprintf(u, sizeof(u), "--reuid=%u", (unsigned)uid);
		snprintf(g, sizeof(g), "--regid=%u", (unsigned)gid);
		for (size_t i = 1; argv[i] && i < 58; i++) {
			args[i + 4] = argv[i];
		}
		execvp(args[0], (char *const *)args);
		_exit(127);
	}
	close(p[1]);
	while (len < errsize - 1 &&
			(n = read(p[0], err + len, errsize - 1 - len)) > 0) {
		len += (size_t)n;
	}
	err[len] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void tp_write_start(struct t_proc *p, const char *path, const char *content,
	const char *append)
{
	t_start(p, (const char *const[]){ "flagman", "--no-config", "--usr1",
		"write", path, content, append, "--usr1", "print", "done", NULL },
		NULL, false);
	t_expect_out(p, (const char *const[]){ "init", NULL });
}

void tp_write_run(struct t_proc *p)
{
	t_kill(p, SIGUSR1);
	t_expect_out(p, (const char *const[]){ "done", NULL });
}

void tp_stop(struct t_proc *p)
{
	t_kill(p, SIGTERM);
	assert_int_equal(t_wait(p, T_TIMEOUT), 0);
	t_finish(p);
}

int tp_probe_set_up(void **state)
{
	struct tp_probe *f = calloc(1, sizeof(*f));
	const char *probe = getenv("FLAGMAN_PLUGIN_PROBE");
	char *cmd;

	assert_non_null(f);
	if (!probe) {
		fail_msg("FLAGMAN_PLUGIN_PROBE is not set: run the tests with meson");
	}
	umask(022);
	f->dir = t_tmpdir();
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_true(asprintf(&f->conf, "%s/f.conf", f->dir) > 0);
	assert_true(asprintf(&f->plugins, "%s/plugins", f->dir) > 0);
	assert_int_equal(mkdir(f->plugins, 0755), 0);
	assert_true(asprintf(&cmd, "cp '%s' '%s/probe.so' && chmod 644 "
		"'%s/probe.so'", probe, f->plugins, f->plugins) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	*state = f;
	return 0;
}

int tp_probe_tear_down(void **state)
{
	struct tp_probe *f = *state;

	if (f->started) {
		t_finish(&f->p);
	}
	t_rmtree(f->dir);
	free(f->dir);
	free(f->conf);
	free(f->plugins);
	free(f);
	tp_strings_free();
	return 0;
}

void tp_probe_conf(struct tp_probe *f, const char *globals,
	const char *sections)
{
	char *text;

	assert_true(asprintf(&text, "[flagman]\nplugin_dir = %s\n%s\n%s",
		f->plugins, globals ? globals : "", sections) > 0);
	free(t_write(f->dir, "f.conf", text));
	free(text);
}
