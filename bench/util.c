/*
 * fmbench helpers: starting and stopping the programs under test, reading
 * their lines with a timeout, /proc figures, percentiles.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

// Programs started and not yet stopped, killed if the driver dies.
static pid_t live[16];
static const char *scratch;

static void track(pid_t pid, pid_t was)
{
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
		if (live[i] == was) {
			live[i] = pid;
			return;
		}
	}
}

void b_cleanup_at_death(const char *tmpdir)
{
	scratch = tmpdir;
}

void b_remove_tmpdir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			unlinkat(dirfd(d), e->d_name, 0);
		}
	}
	if (d) {
		closedir(d);
	}
	rmdir(dir);
}

int64_t b_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void b_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fmbench: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
		if (live[i] > 0) {
			kill(live[i], SIGKILL);
			waitpid(live[i], NULL, 0);
		}
	}
	if (scratch) {
		b_remove_tmpdir(scratch);
	}
	exit(1);
}

void b_say(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fmbench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

// The environment of the child: ours plus env_extra, which wins.
static char **child_env(char *const env_extra[])
{
	size_t n = 0, m = 0, k = 0;
	char **env;

	while (environ[n]) {
		n++;
	}
	while (env_extra && env_extra[m]) {
		m++;
	}
	if (!(env = calloc(n + m + 1, sizeof(*env)))) {
		b_die("out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		bool replaced = false;
		for (size_t j = 0; j < m; j++) {
			size_t len = strcspn(env_extra[j], "=") + 1;
			replaced = replaced || strncmp(environ[i], env_extra[j], len) == 0;
		}
		if (!replaced) {
			env[k++] = environ[i];
		}
	}
	for (size_t j = 0; j < m; j++) {
		env[k++] = env_extra[j];
	}
	return env;
}

void b_start(struct b_proc *p, char *const argv[], char *const env_extra[],
	int out_fd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int pipefd[2] = { -1, -1 }, r;
	char **env = child_env(env_extra);
	sigset_t none;

	if (out_fd < 0 && pipe2(pipefd, O_CLOEXEC) < 0) {
		b_die("pipe: %s", strerror(errno));
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd < 0 ? pipefd[1] : out_fd, 1);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	r = posix_spawn(&p->pid, argv[0], &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free(env);
	if (r != 0) {
		b_die("cannot start %s: %s", argv[0], strerror(r));
	}
	track(p->pid, 0);
	p->name = argv[0];
	if (pipefd[1] >= 0) {
		close(pipefd[1]);
	}
	p->out = pipefd[0];
	p->len = 0;
}

bool b_line(struct b_proc *p, char *line, size_t size, int timeout_ms)
{
	int64_t end = b_now_ns() + (int64_t)timeout_ms * 1000000;

	for (;;) {
		char *nl = memchr(p->buf, '\n', p->len);
		struct pollfd pfd = { .fd = p->out, .events = POLLIN };
		int64_t left = end - b_now_ns();
		ssize_t n;

		if (nl) {
			size_t len = (size_t)(nl - p->buf);
			size_t copy = len < size - 1 ? len : size - 1;
			memcpy(line, p->buf, copy);
			line[copy] = '\0';
			p->len -= len + 1;
			memmove(p->buf, nl + 1, p->len);
			return true;
		}
		if (left <= 0 || poll(&pfd, 1, (int)(left / 1000000) + 1) <= 0) {
			return false;
		}
		n = read(p->out, p->buf + p->len, sizeof(p->buf) - p->len);
		if (n <= 0) {
			return false;
		}
		p->len += (size_t)n;
	}
}

void b_reaped(struct b_proc *p)
{
	track(0, p->pid);
	p->pid = 0;
}

void b_kill(struct b_proc *p, int sig)
{
	if (kill(p->pid, sig) < 0) {
		b_die("kill %ld: %s", (long)p->pid, strerror(errno));
	}
}

void b_stop(struct b_proc *p)
{
	int st;

	if (p->pid > 0) {
		track(0, p->pid);
		kill(p->pid, SIGTERM);
		for (int i = 0; i < 5000; i++) {
			if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
				p->pid = 0;
				break;
			}
			usleep(1000);
		}
		if (p->pid > 0) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &st, 0);
			p->pid = 0;
		}
	}
	if (p->out >= 0) {
		close(p->out);
		p->out = -1;
	}
}

// The number after "key:" in /proc/PID/status, or -1.
static long status_field(pid_t pid, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long value = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if (!(f = fopen(path, "re"))) {
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			value = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return value;
}

long b_rss_kb(pid_t pid)
{
	return status_field(pid, "VmRSS");
}

long b_pss_kb(pid_t pid)
{
	char path[64], line[256];
	long value = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/smaps_rollup", (long)pid);
	if (!(f = fopen(path, "re"))) {
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Pss:", 4) == 0) {
			value = strtol(line + 4, NULL, 10);
			break;
		}
	}
	fclose(f);
	return value;
}

long b_ctxsw(pid_t pid)
{
	long v = status_field(pid, "voluntary_ctxt_switches");
	long n = status_field(pid, "nonvoluntary_ctxt_switches");

	return v < 0 || n < 0 ? -1 : v + n;
}

double b_cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (!(f = fopen(path, "re"))) {
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	// The command name may hold spaces: fields count from its ')'.
	if (!(p = strrchr(buf, ')')) ||
			sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
				"%llu %llu", &ut, &st) != 2) {
		return -1;
	}
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

char *b_write(const struct b_opts *o, const char *name, const char *text)
{
	char *path;
	FILE *f;

	if (asprintf(&path, "%s/%s", o->tmpdir, name) < 0) {
		b_die("out of memory");
	}
	if (!(f = fopen(path, "we")) || fputs(text, f) == EOF || fclose(f)) {
		b_die("cannot write %s: %s", path, strerror(errno));
	}
	chmod(path, 0644);
	return path;
}

char *b_prog(const struct b_opts *o, const char *name)
{
	char *path;

	if (asprintf(&path, "%s/%s", o->bindir, name) < 0) {
		b_die("out of memory");
	}
	return path;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double b_pct(double *v, size_t n, double p)
{
	size_t rank;

	if (n == 0) {
		return 0;
	}
	qsort(v, n, sizeof(*v), cmp_double);
	rank = (size_t)(p / 100.0 * (double)n + 0.999999);
	rank = rank < 1 ? 1 : rank > n ? n : rank;
	return v[rank - 1];
}

double b_median(double *v, size_t n)
{
	return b_pct(v, n, 50);
}

void b_start_flagman(const struct b_opts *o, struct b_proc *p,
	const char *conf, char *const env_extra[], int out_fd)
{
	char *argv[] = { (char *)o->flagman, "-c", (char *)conf, NULL };

	b_start(p, argv, env_extra, out_fd);
}
