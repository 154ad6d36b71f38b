/*
 * Test harness for flagman's integration tests; see harness.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"

extern char **environ;

const char *t_flagman(void)
{
	const char *bin = getenv("FLAGMAN_BIN");

	return bin ? bin : "flagman";
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void bind_notify(struct t_proc *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static unsigned counter;

	snprintf(p->notify_path, sizeof(p->notify_path), "/tmp/fm-notify-%d-%u",
		(int)getpid(), counter++);
	unlink(p->notify_path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p->notify_path);
	p->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(p->notify_fd >= 0);
	assert_int_equal(bind(p->notify_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

void t_start(struct t_proc *p, const char *const *argv,
	const char *const *env, bool notify)
{
	sigset_t none;

	sigemptyset(&none);
	t_start_masked(p, argv, env, notify, &none);
}

/*
 * What t_start, t_start_masked and t_start_journal share.  With journal,
 * JOURNAL_STREAM names the child's stderr pipe, as systemd sets it.
 */
static void start(struct t_proc *p, const char *const *argv,
	const char *const *env, bool notify, const sigset_t *mask, bool journal)
{
	int out[2], err[2];
	size_t argc = 0, envc = 0, n = 0;
	char **args, **envp, *notify_env = NULL, journal_env[64];
	sigset_t parent_mask;
	pid_t parent;
	struct stat st;

	memset(p, 0, sizeof(*p));
	p->notify_fd = -1;
	if (notify) {
		bind_notify(p);
		assert_true(asprintf(&notify_env, "NOTIFY_SOCKET=%s",
			p->notify_path) > 0);
	}
	while (argv[argc]) {
		argc++;
	}
	while (env && env[envc]) {
		envc++;
	}
	args = calloc(argc + 1, sizeof(char *));
	for (size_t i = 0; environ[i]; i++) {
		n++;
	}
	envp = calloc(n + envc + 3, sizeof(char *));
	assert_non_null(args);
	assert_non_null(envp);
	args[0] = (char *)t_flagman();
	for (size_t i = 1; i < argc; i++) {
		args[i] = (char *)argv[i];
	}
	n = 0;
	for (size_t i = 0; environ[i]; i++) {
		if (strncmp(environ[i], "NOTIFY_SOCKET=", 14) != 0 &&
				strncmp(environ[i], "JOURNAL_STREAM=", 15) != 0) {
			envp[n++] = environ[i];
		}
	}
	for (size_t i = 0; i < envc; i++) {
		envp[n++] = (char *)env[i];
	}
	if (notify_env) {
		envp[n++] = notify_env;
	}
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	if (journal) {
		assert_int_equal(fstat(err[1], &st), 0);
		snprintf(journal_env, sizeof(journal_env), "JOURNAL_STREAM=%llu:%llu",
			(unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
		envp[n++] = journal_env;
	}
	// The child must hold mask from its first instant: signals sent as
	// soon as fork returns would otherwise find it unprotected.
	sigprocmask(SIG_BLOCK, mask, &parent_mask);
	parent = getpid();
	p->pid = fork();
	if (p->pid != 0) {
		sigprocmask(SIG_SETMASK, &parent_mask, NULL);
	}
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		// A test that fails (cmocka longjmps past its clean-up) or dies
		// must not leave a daemon behind: TERM when this process ends.
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent) {
			_exit(127);
		}
		sigprocmask(SIG_SETMASK, mask, NULL);
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		execve(args[0], args, envp);
		fprintf(stderr, "exec %s: %s\n", args[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	p->out.fd = out[0];
	p->err.fd = err[0];
	free(args);
	free(envp);
	free(notify_env);
}

void t_start_masked(struct t_proc *p, const char *const *argv,
	const char *const *env, bool notify, const sigset_t *mask)
{
	start(p, argv, env, notify, mask, false);
}

void t_start_journal(struct t_proc *p, const char *const *argv,
	const char *const *env)
{
	sigset_t none;

	sigemptyset(&none);
	start(p, argv, env, false, &none, true);
}

// Fills s until it holds a whole line; false on timeout or EOF.
static bool stream_line(struct t_stream *s, char *line, size_t size,
	int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		char *nl = memchr(s->buf, '\n', s->len);
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		long long left;
		ssize_t n;

		if (nl) {
			size_t len = (size_t)(nl - s->buf);
			snprintf(line, size, "%.*s", (int)len, s->buf);
			memmove(s->buf, nl + 1, s->len - len - 1);
			s->len -= len + 1;
			return true;
		}
		if (s->eof || s->len == sizeof(s->buf)) {
			return false;
		}
		// Past the deadline (or with none) one last look, without waiting.
		left = deadline - now_ms();
		if (poll(&pfd, 1, left > 0 ? (int)left : 0) <= 0) {
			return false;
		}
		n = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);
		if (n <= 0) {
			s->eof = true;
		} else {
			s->len += (size_t)n;
		}
	}
}

bool t_out_line(struct t_proc *p, char *line, size_t size, int timeout_ms)
{
	return stream_line(&p->out, line, size, timeout_ms);
}

bool t_err_line(struct t_proc *p, char *line, size_t size, int timeout_ms)
{
	return stream_line(&p->err, line, size, timeout_ms);
}

bool t_err_until(struct t_proc *p, const char *needle, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	char line[4096];

	while (now_ms() < deadline) {
		if (!t_err_line(p, line, sizeof(line), (int)(deadline - now_ms()))) {
			return false;
		}
		if (strstr(line, needle)) {
			return true;
		}
	}
	return false;
}

void t_expect_out(struct t_proc *p, const char *const *lines)
{
	char line[4096];

	for (size_t i = 0; lines[i]; i++) {
		if (!t_out_line(p, line, sizeof(line), T_TIMEOUT)) {
			fail_msg("expected stdout line %zu '%s', got nothing", i,
				lines[i]);
		}
		assert_string_equal(line, lines[i]);
	}
}

bool t_notify(struct t_proc *p, char *msg, size_t size, int timeout_ms)
{
	struct pollfd pfd = { .fd = p->notify_fd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, timeout_ms) <= 0) {
		return false;
	}
	n = recv(p->notify_fd, msg, size - 1, 0);
	if (n < 0) {
		return false;
	}
	msg[n] = '\0';
	return true;
}

bool t_notify_until(struct t_proc *p, const char *needle, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	char msg[4096];

	while (now_ms() < deadline) {
		if (!t_notify(p, msg, sizeof(msg), (int)(deadline - now_ms()))) {
			return false;
		}
		if (strstr(msg, needle)) {
			return true;
		}
	}
	return false;
}

void t_kill(struct t_proc *p, int sig)
{
	assert_int_equal(kill(p->pid, sig), 0);
}

int t_wait(struct t_proc *p, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	int st;

	for (;;) {
		pid_t r = waitpid(p->pid, &st, WNOHANG);
		if (r == p->pid) {
			p->pid = 0;
			p->status = WIFEXITED(st) ? WEXITSTATUS(st) :
				128 + WTERMSIG(st);
			return p->status;
		}
		if (now_ms() >= deadline) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &st, 0);
			p->pid = 0;
			return -1;
		}
		// Polling waitpid keeps this free of SIGCHLD handling.
		poll(NULL, 0, 5);
	}
}

const char *t_rest(struct t_proc *p)
{
	while (!p->out.eof && p->out.len < sizeof(p->out.buf) - 1) {
		ssize_t n = read(p->out.fd, p->out.buf + p->out.len,
			sizeof(p->out.buf) - 1 - p->out.len);
		if (n <= 0) {
			break;
		}
		p->out.len += (size_t)n;
	}
	p->out.buf[p->out.len] = '\0';
	return p->out.buf;
}

void t_finish(struct t_proc *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		p->pid = 0;
	}
	close(p->out.fd);
	close(p->err.fd);
	if (p->notify_fd >= 0) {
		close(p->notify_fd);
		unlink(p->notify_path);
		p->notify_fd = -1;
	}
}

// Reads a whole stream into buf (NUL-terminated), with a deadline.
static void slurp(struct t_stream *s, char *buf, size_t size, long long deadline)
{
	size_t len = s->len < size - 1 ? s->len : size - 1;

	memcpy(buf, s->buf, len);
	while (len < size - 1 && now_ms() < deadline) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, (int)(deadline - now_ms())) <= 0) {
			break;
		}
		n = read(s->fd, buf + len, size - 1 - len);
		if (n <= 0) {
			break;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
}

int t_run(const char *const *argv, char *out, size_t outsize, char *err,
	size_t errsize)
{
	struct t_proc p;
	long long deadline;
	int status;

	t_start(&p, argv, NULL, false);
	deadline = now_ms() + T_TIMEOUT;
	slurp(&p.out, out, outsize, deadline);
	slurp(&p.err, err, errsize, deadline);
	status = t_wait(&p, (int)(deadline - now_ms() > 0 ? deadline - now_ms() : 1));
	t_finish(&p);
	return status;
}

char *t_tmpdir(void)
{
	char *dir = strdup("/tmp/fm-test-XXXXXX");

	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	return dir;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
	struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void t_rmtree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *t_write(const char *dir, const char *name, const char *text)
{
	char *path;
	FILE *f;

	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	return path;
}

long long t_now_ms(void)
{
	return now_ms();
}

// One "Name:\tvalue" line of /proc/PID/status, as text; false if absent.
static bool proc_status(pid_t pid, const char *name, char *value, size_t size)
{
	char path[64], line[256];
	size_t len = strlen(name);
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "re"))) {
		return false;
	}
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, len) == 0 && line[len] == ':') {
			snprintf(value, size, "%s", line + len + 1 +
				strspn(line + len + 1, " \t"));
			found = true;
		}
	}
	fclose(f);
	return found;
}

long t_rss_kb(const struct t_proc *p)
{
	char value[64];

	if (!proc_status(p->pid, "VmRSS", value, sizeof(value))) {
		return -1;
	}
	return strtol(value, NULL, 10);
}

static bool sig_pending(pid_t pid, int sig)
{
	static const char *const fields[] = { "SigPnd", "ShdPnd" };
	char value[64];

	for (size_t i = 0; i < 2; i++) {
		if (!proc_status(pid, fields[i], value, sizeof(value))) {
			return false;
		}
		if (strtoull(value, NULL, 16) & (1ULL << (sig - 1))) {
			return true;
		}
	}
	return false;
}

bool t_wait_received(const struct t_proc *p, int sig, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;

	while (sig_pending(p->pid, sig)) {
		if (now_ms() >= deadline) {
			return false;
		}
		poll(NULL, 0, 1);
	}
	return true;
}

void t_send(struct t_proc *p, int sig)
{
	t_kill(p, sig);
	if (!t_wait_received(p, sig, T_TIMEOUT)) {
		fail_msg("signal %d stayed pending for %d ms", sig, T_TIMEOUT);
	}
}
