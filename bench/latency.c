/*
 * Signal -> action latency, ping-pong: the driver timestamps kill(2), then
 * the arrival of the line the action writes, and sends the next signal only
 * after that, so the kernel never coalesces two signals.  flagman, flagman
 * with NOTIFY_SOCKET set (a socket the driver binds and empties: the cost
 * of keeping STATUS= up to date) and the baseline take turns in blocks, so
 * that all see the same background load.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench.h"

#define BLOCKS 8 /* turns per program */

// One round trip, in microseconds.
static double ping(struct b_proc *sig, struct b_proc *out, char *line,
	size_t size)
{
	int64_t t0 = b_now_ns();

	b_kill(sig, SIGUSR1);
	if (!b_line(out, line, size, B_TIMEOUT_MS)) {
		b_die("no line within %d ms of SIGUSR1 to %s (pid %ld)",
			B_TIMEOUT_MS, sig->name, (long)sig->pid);
	}
	return (double)(b_now_ns() - t0) / 1000.0;
}

static void wait_init(struct b_proc *p, const char *who)
{
	char line[64];

	if (!b_line(p, line, sizeof(line), B_TIMEOUT_MS) ||
			strcmp(line, "init") != 0) {
		b_die("%s did not start (expected 'init' on stdout)", who);
	}
}

static void add_pair(const char *name, double f, double b, double target,
	const char *note)
{
	struct b_row row = { .flagman = f, .baseline = b, .unit = "us",
		.kind = target > 0 ? B_RATIO_MAX : B_INFO, .target = target };

	snprintf(row.name, sizeof(row.name), "%s", name);
	snprintf(row.note, sizeof(row.note), "%s", note);
	b_row_add(&row);
}

// A datagram socket in the scratch directory; env gets NOTIFY_SOCKET=it.
static int bind_notify(const struct b_opts *o, char *env, size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/latency.sock",
		o->tmpdir);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		b_die("notify socket %s: %s", sa.sun_path, strerror(errno));
	}
	snprintf(env, size, "NOTIFY_SOCKET=%s", sa.sun_path);
	return fd;
}

// Reads what the manager would (untimed), so the queue never fills.
static void drain(int fd)
{
	char msg[1024];

	while (recv(fd, msg, sizeof(msg), MSG_DONTWAIT) >= 0) {
	}
}

// One block of n pings to p, into v; dies on a wrong line.
static void block(struct b_proc *p, double *v, int n)
{
	char line[64];

	for (int i = 0; i < n; i++) {
		v[i] = ping(p, p, line, sizeof(line));
		if (strcmp(line, "x") != 0) {
			b_die("unexpected line '%s'", line);
		}
	}
}

void bench_latency(const struct b_opts *o)
{
	char *bl = b_prog(o, "bl_loop"), line[64], note[96], env[160];
	char *bl_argv[] = { bl, "line", "x", NULL }, *fm_env[] = { env, NULL };
	struct b_proc p[3];
	double *v[3];
	int n = o->pings / BLOCKS * BLOCKS, nfd = bind_notify(o, env,
		sizeof(env));

	b_say("signal -> line: %d ping-pongs per program", n);
	b_start_flagman(o, &p[0], o->print_conf, NULL, -1);
	b_start(&p[1], bl_argv, NULL, -1);
	b_start_flagman(o, &p[2], o->print_conf, fm_env, -1);
	wait_init(&p[0], "flagman");
	wait_init(&p[1], "bl_loop");
	wait_init(&p[2], "flagman (NOTIFY_SOCKET)");
	for (int k = 0; k < 3; k++) {
		if (!(v[k] = calloc((size_t)n, sizeof(double)))) {
			b_die("out of memory");
		}
		for (int i = 0; i < 200; i++) { // warm caches and page tables
			ping(&p[k], &p[k], line, sizeof(line));
		}
	}
	for (int b = 0; b < BLOCKS; b++) {
		for (int k = 0; k < 3; k++) {
			block(&p[k], v[k] + b * (n / BLOCKS), n / BLOCKS);
			drain(nfd);
		}
	}
	for (int k = 0; k < 3; k++) {
		b_stop(&p[k]);
	}
	close(nfd);
	snprintf(note, sizeof(note), "%d signals each, print action", n);
	add_pair("signal -> line, p50", b_pct(v[0], (size_t)n, 50),
		b_pct(v[1], (size_t)n, 50), 1.3, note);
	add_pair("signal -> line, p99", b_pct(v[0], (size_t)n, 99),
		b_pct(v[1], (size_t)n, 99), 2, note);
	snprintf(note, sizeof(note), "%d signals each, print action, "
		"the driver reading the socket", n);
	add_pair("signal -> line, NOTIFY_SOCKET set, p50",
		b_pct(v[2], (size_t)n, 50), b_pct(v[1], (size_t)n, 50), 1.3, note);
	for (int k = 0; k < 3; k++) {
		free(v[k]);
	}
	free(bl);
}

// After the line: wait until the child is reaped, outside the timed part,
// so that the next signal does not find the last run still going.
static void wait_reaped(const char *line)
{
	pid_t pid = (pid_t)strtol(line, NULL, 10);
	int64_t end = b_now_ns() + (int64_t)B_TIMEOUT_MS * 1000000;

	if (pid <= 0) {
		b_die("bad line '%s' from bl_poke", line);
	}
	while (kill(pid, 0) == 0 || errno != ESRCH) {
		if (b_now_ns() > end) {
			b_die("child %ld was not reaped", (long)pid);
		}
		usleep(50);
	}
}

static char *exec_conf(const struct b_opts *o, const char *poke,
	const char *fifo)
{
	char *text, *path;

	// The print action only says "init" once flagman has blocked its
	// signals: a SIGUSR1 before that would kill it.
	if (asprintf(&text, "[spawn]\naction = exec\nsignal = usr1\n"
			"command = %s %s\n\n[ready]\naction = print\nsignal = usr2\n"
			"message = unused\n", poke, fifo) < 0) {
		b_die("out of memory");
	}
	path = b_write(o, "exec.conf", text);
	free(text);
	return path;
}

void bench_spawn(const struct b_opts *o)
{
	char *bl = b_prog(o, "bl_loop"), *poke = b_prog(o, "bl_poke");
	char fifo[128], line[64], note[96], *conf;
	char *bl_argv[] = { bl, "spawn", poke, fifo, NULL };
	struct b_proc p[2], in = { .out = -1 };
	int n = o->spawns / BLOCKS * BLOCKS;
	double *v[2];

	if (!o->have_exec) {
		struct b_row row = { .name = "signal -> child running, p50",
			.kind = B_SKIPPED, .note = "not measured: flagman has no "
			"exec action (flagman --list)" };
		b_row_add(&row);
		free(bl);
		free(poke);
		return;
	}
	b_say("signal -> child running: %d spawns per program", n);
	snprintf(fifo, sizeof(fifo), "%s/fifo", o->tmpdir);
	// O_RDWR: the driver holds both ends, so a child's open never blocks
	// and the FIFO never reports end-of-file between children.
	if (mkfifo(fifo, 0600) < 0 || (in.out = open(fifo, O_RDWR)) < 0) {
		b_die("fifo %s: %s", fifo, strerror(errno));
	}
	conf = exec_conf(o, poke, fifo);
	b_start_flagman(o, &p[0], conf, NULL, -1);
	b_start(&p[1], bl_argv, NULL, -1);
	wait_init(&p[0], "flagman");
	wait_init(&p[1], "bl_loop");
	for (int k = 0; k < 2; k++) {
		if (!(v[k] = calloc((size_t)n, sizeof(double)))) {
			b_die("out of memory");
		}
		for (int i = 0; i < 20; i++) {
			ping(&p[k], &in, line, sizeof(line));
			wait_reaped(line);
		}
	}
	for (int b = 0; b < BLOCKS; b++) {
		for (int k = 0; k < 2; k++) {
			for (int i = b * (n / BLOCKS); i < (b + 1) * (n / BLOCKS); i++) {
				v[k][i] = ping(&p[k], &in, line, sizeof(line));
				wait_reaped(line);
			}
		}
	}
	b_stop(&p[0]);
	b_stop(&p[1]);
	close(in.out);
	snprintf(note, sizeof(note), "%d spawns each, exec vs posix_spawn", n);
	add_pair("signal -> child running, p50", b_pct(v[0], (size_t)n, 50),
		b_pct(v[1], (size_t)n, 50), 1.2, note);
	add_pair("signal -> child running, p99", b_pct(v[0], (size_t)n, 99),
		b_pct(v[1], (size_t)n, 99), 0, note);
	free(v[0]);
	free(v[1]);
	free(conf);
	free(bl);
	free(poke);
}
