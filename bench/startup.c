/*
 * Start-up and idle: exec -> READY=1 on a notify socket the driver binds;
 * resident memory after start-up; wake-ups and system calls while idle.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static int notify_socket(const struct b_opts *o, const char *name, char *env,
	size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", o->tmpdir, name);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		b_die("notify socket: %s", strerror(errno));
	}
	snprintf(env, size, "NOTIFY_SOCKET=%s", sa.sun_path);
	return fd;
}

static bool wait_ready(int fd)
{
	int64_t end = b_now_ns() + (int64_t)B_TIMEOUT_MS * 1000000;
	char msg[1024];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = end - b_now_ns();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)(left / 1000000) + 1) <= 0) {
			return false;
		}
		if ((n = recv(fd, msg, sizeof(msg) - 1, 0)) <= 0) {
			return false;
		}
		msg[n] = '\0';
		if (strstr(msg, "READY=1")) {
			return true;
		}
	}
}

static void drain(int fd)
{
	char msg[1024];

	while (recv(fd, msg, sizeof(msg), MSG_DONTWAIT) > 0) {
		continue;
	}
}

void bench_ready(const struct b_opts *o)
{
	char env[160], *sd = b_prog(o, "bl_ready");
	char *raw = b_prog(o, "bl_ready_raw");
	char *envv[] = { env, NULL };
	char *argv[3][4] = { { (char *)o->flagman, "-c", (char *)o->print_conf,
		NULL }, { sd, NULL }, { raw, NULL } };
	int fd = notify_socket(o, "notify", env, sizeof(env)), null, n = o->starts;
	double *v[3];
	struct b_row row = { .name = "exec -> READY=1, median", .unit = "ms",
		.kind = B_RATIO_MAX, .target = 2 };

	if ((null = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0) {
		b_die("/dev/null: %s", strerror(errno));
	}
	b_say("exec -> READY=1: %d starts per program", n);
	for (int k = 0; k < 3; k++) {
		if (!(v[k] = calloc((size_t)n, sizeof(double)))) {
			b_die("out of memory");
		}
	}
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < 3; k++) {
			struct b_proc p;
			int64_t t0 = b_now_ns();
			b_start(&p, argv[k], envv, null);
			if (!wait_ready(fd)) {
				b_die("%s sent no READY=1", argv[k][0]);
			}
			v[k][i] = (double)(b_now_ns() - t0) / 1e6;
			b_stop(&p);
			drain(fd);
		}
	}
	row.flagman = b_median(v[0], (size_t)n);
	row.baseline = b_median(v[1], (size_t)n);
	snprintf(row.note, sizeof(row.note), "%d starts; baseline uses "
		"sd_notify(3)", n);
	b_row_add(&row);
	row = (struct b_row){ .name = "exec -> READY=1 (raw sendto)",
		.unit = "ms", .kind = B_INFO, .flagman = row.flagman,
		.baseline = b_median(v[2], (size_t)n) };
	snprintf(row.note, sizeof(row.note), "baseline without libsystemd");
	b_row_add(&row);
	for (int k = 0; k < 3; k++) {
		free(v[k]);
	}
	close(null);
	close(fd);
	free(sd);
	free(raw);
}

// TracerPid in /proc/PID/status: strace has attached when it is not 0.
static bool traced(pid_t pid)
{
	char path[64], line[128];
	bool yes = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if (!(f = fopen(path, "re"))) {
		return false;
	}
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "TracerPid:", 10) == 0) {
			yes = strtol(line + 10, NULL, 10) != 0;
		}
	}
	fclose(f);
	return yes;
}

static bool have_strace(void)
{
	return access("/usr/bin/strace", X_OK) == 0 ||
		access("/bin/strace", X_OK) == 0;
}

// strace -c writes nothing at all when it saw no call; else a "total" line.
static long strace_total(const char *path)
{
	char line[256], word[32];
	long calls = 0, n;
	FILE *f = fopen(path, "re");

	if (!f) {
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %*s %ld %*s %31s", &n, word) == 2 &&
				strcmp(word, "total") == 0) {
			calls = n;
		} else if (sscanf(line, "%*s %*s %*s %ld %31s", &n, word) == 2 &&
				strcmp(word, "total") == 0) {
			calls = n;
		}
	}
	fclose(f);
	return calls;
}

// System calls of both programs, traced at the same time for idle_s.
static void count_syscalls(const struct b_opts *o, const pid_t pid[2],
	long calls[2])
{
	struct b_proc tr[2];
	char out[2][128], pidtext[2][16];

	for (int k = 0; k < 2; k++) {
		char *argv[] = { "/usr/bin/strace", "-q", "-c", "-f", "-o", out[k],
			"-p", pidtext[k], NULL };
		snprintf(out[k], sizeof(out[k]), "%s/strace.%d", o->tmpdir, k);
		snprintf(pidtext[k], sizeof(pidtext[k]), "%ld", (long)pid[k]);
		if (access(argv[0], X_OK) < 0) {
			argv[0] = "/bin/strace";
		}
		b_start(&tr[k], argv, NULL, -1);
	}
	for (int k = 0; k < 2; k++) {
		for (int i = 0; !traced(pid[k]); i++) {
			if (i > 5000) {
				b_die("strace did not attach to %ld", (long)pid[k]);
			}
			usleep(1000);
		}
	}
	sleep((unsigned)o->idle_s);
	for (int k = 0; k < 2; k++) {
		int st;
		kill(tr[k].pid, SIGINT);
		waitpid(tr[k].pid, &st, 0);
		b_reaped(&tr[k]);
		close(tr[k].out);
		calls[k] = strace_total(out[k]);
	}
}

// The row of both programs' system calls while idle; note says how.
static void syscalls_row(const struct b_opts *o, const pid_t pid[2],
	const char *name, const char *note)
{
	struct b_row row = { .unit = "", .kind = B_ABS_MAX, .target = 0 };
	long calls[2];

	snprintf(row.name, sizeof(row.name), "%s", name);

	if (!have_strace()) {
		row.kind = B_SKIPPED;
		snprintf(row.note, sizeof(row.note), "not measured: no strace");
	} else {
		count_syscalls(o, pid, calls);
		row.flagman = (double)calls[0];
		row.baseline = (double)calls[1];
		snprintf(row.note, sizeof(row.note), "%s", note);
	}
	b_row_add(&row);
}

// Resident memory of flagman and of two baselines, after start-up.
static void idle_memory(const struct b_opts *o, pid_t flagman, pid_t loop)
{
	char env[160], *sd = b_prog(o, "bl_ready");
	char *envv[] = { env, NULL }, *argv[] = { sd, NULL };
	int fd = notify_socket(o, "notify-idle", env, sizeof(env));
	struct b_proc ready;
	struct b_row row;

	b_start(&ready, argv, envv, -1);
	if (!wait_ready(fd)) {
		b_die("bl_ready sent no READY=1");
	}
	row = (struct b_row){ .name = "idle RSS (VmRSS)", .unit = "MiB",
		.kind = B_ABS_MAX, .target = 2,
		.flagman = b_rss_kb(flagman) / 1024.0,
		.baseline = b_rss_kb(loop) / 1024.0,
		.note = "after start-up, one print action; baseline bl_loop" };
	b_row_add(&row);
	row = (struct b_row){ .name = "idle RSS vs sd_notify program",
		.unit = "MiB", .kind = B_INFO,
		.flagman = b_rss_kb(flagman) / 1024.0,
		.baseline = b_rss_kb(ready.pid) / 1024.0,
		.note = "baseline bl_ready: libc + libsystemd, nothing else" };
	b_row_add(&row);
	row = (struct b_row){ .name = "idle PSS", .unit = "MiB", .kind = B_INFO,
		.flagman = b_pss_kb(flagman) / 1024.0,
		.baseline = b_pss_kb(loop) / 1024.0,
		.note = "shared pages divided among their users; vs bl_loop" };
	b_row_add(&row);
	b_stop(&ready);
	close(fd);
	free(sd);
}

void bench_idle(const struct b_opts *o)
{
	char *bl = b_prog(o, "bl_loop"), line[64];
	char *bl_argv[] = { bl, "line", "x", NULL };
	struct b_proc p[2];
	pid_t pid[2];
	long sw0[2], sw1[2];
	char note[96];
	struct b_row row;

	b_say("idle: memory, then wake-ups and system calls over 2 x %d s",
		o->idle_s);
	b_start_flagman(o, &p[0], o->print_conf, NULL, -1);
	b_start(&p[1], bl_argv, NULL, -1);
	for (int k = 0; k < 2; k++) {
		if (!b_line(&p[k], line, sizeof(line), B_TIMEOUT_MS)) {
			b_die("%s did not start", k ? "bl_loop" : "flagman");
		}
		pid[k] = p[k].pid;
	}
	usleep(200000); // past set-up, into the loop's wait
	idle_memory(o, pid[0], pid[1]);

	for (int k = 0; k < 2; k++) {
		sw0[k] = b_ctxsw(pid[k]);
	}
	sleep((unsigned)o->idle_s);
	for (int k = 0; k < 2; k++) {
		sw1[k] = b_ctxsw(pid[k]);
	}
	row = (struct b_row){ .name = "idle wake-ups", .unit = "",
		.kind = B_ABS_MAX, .target = 0,
		.flagman = (double)(sw1[0] - sw0[0]),
		.baseline = (double)(sw1[1] - sw0[1]) };
	snprintf(row.note, sizeof(row.note), "context switches in %d s, "
		"/proc/PID/status", o->idle_s);
	b_row_add(&row);

	snprintf(note, sizeof(note), "strace -c -f -p, %d s, no watchdog",
		o->idle_s);
	syscalls_row(o, pid, "idle system calls", note);
	b_stop(&p[0]);
	b_stop(&p[1]);
	free(bl);
}

// Sends n USR1 to p, 2 ms apart.
static void burst(struct b_proc *p, int n)
{
	for (int i = 0; i < n; i++) {
		b_kill(p, SIGUSR1);
		usleep(2000);
	}
}

// Reads p's lines until none comes for quiet_ms; how many came.
static int drain_lines(struct b_proc *p, int quiet_ms)
{
	char line[64];
	int n = 0;

	while (b_line(p, line, sizeof(line), quiet_ms)) {
		n++;
	}
	return n;
}

/*
 * The idle system calls again, with debounce and min_interval on the
 * signal, after bursts that used both: once the paced triggers have run,
 * no timer may be left armed, so flagman must make no system call.
 */
void bench_idle_paced(const struct b_opts *o)
{
	char *bl = b_prog(o, "bl_loop"), line[64];
	char *bl_argv[] = { bl, "line", "x", NULL };
	char *conf = b_write(o, "paced.conf", "[signal:usr1]\n"
		"debounce = 30ms\nmin_interval = 200ms\n\n"
		"[ping]\naction = print\nsignal = usr1\nmessage = x\n");
	struct b_proc p[2];
	char note[96];
	pid_t pid[2];
	int runs = 0;

	b_say("idle, pacing configured: two bursts, then system calls over "
		"%d s", o->idle_s);
	b_start_flagman(o, &p[0], conf, NULL, -1);
	b_start(&p[1], bl_argv, NULL, -1);
	for (int k = 0; k < 2; k++) {
		if (!b_line(&p[k], line, sizeof(line), B_TIMEOUT_MS)) {
			b_die("%s did not start", k ? "bl_loop" : "flagman");
		}
		pid[k] = p[k].pid;
	}
	// The first burst runs once after the quiet window; the second, sent
	// during min_interval, waits for it and runs once more.
	for (int b = 0; b < 2; b++) {
		burst(&p[0], 25);
		burst(&p[1], 25);
		if (!b_line(&p[0], line, sizeof(line), B_TIMEOUT_MS)) {
			b_die("flagman did not run the paced chain");
		}
		runs++;
	}
	runs += drain_lines(&p[0], 500);
	drain_lines(&p[1], 100);
	snprintf(note, sizeof(note), "debounce 30ms, min_interval 200ms; "
		"after 2 bursts of 25 (%d runs); strace -c -f -p, %d s", runs,
		o->idle_s);
	syscalls_row(o, pid, "idle system calls, pacing configured", note);
	b_stop(&p[0]);
	b_stop(&p[1]);
	free(conf);
	free(bl);
}
