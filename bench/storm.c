/*
 * Signal throughput: a sender process sends SIGUSR1 back to back for a
 * while; the kernel coalesces what arrives faster than the target reads, so
 * what counts is the runs the target actually made (the lines it wrote) and
 * the CPU time it spent (utime + stime from /proc/PID/stat).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static off_t file_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) < 0 ? -1 : st.st_size;
}

// Waits until the file stops growing for 200 ms (the target is idle).
static void wait_quiet(int fd)
{
	off_t last = -1, now;

	while ((now = file_size(fd)) != last) {
		last = now;
		usleep(200000);
	}
}

static size_t count_lines(const char *path, const char *want)
{
	char line[64];
	size_t n = 0;
	FILE *f = fopen(path, "re");

	if (!f) {
		b_die("cannot read %s: %s", path, strerror(errno));
	}
	while (fgets(line, sizeof(line), f)) {
		n += strcmp(line, want) == 0;
	}
	fclose(f);
	return n;
}

static void storm(pid_t target, int ms)
{
	int64_t end = b_now_ns() + (int64_t)ms * 1000000;
	pid_t sender = fork();
	int st;

	if (sender < 0) {
		b_die("fork: %s", strerror(errno));
	}
	if (sender == 0) {
		while (b_now_ns() < end) {
			for (int i = 0; i < 64; i++) {
				kill(target, SIGUSR1);
			}
		}
		_exit(0);
	}
	waitpid(sender, &st, 0);
}

/*
 * One storm against a fresh instance: microseconds of the target's CPU per
 * handled signal; *runs gets the handled count.
 */
static double one_storm(const struct b_opts *o, bool flagman, size_t *runs)
{
	char path[128], *bl = b_prog(o, "bl_loop");
	char *bl_argv[] = { bl, "line", "x", NULL };
	struct b_proc p;
	double cpu0, cpu1;
	int fd;

	snprintf(path, sizeof(path), "%s/storm.out", o->tmpdir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			0644)) < 0) {
		b_die("%s: %s", path, strerror(errno));
	}
	if (flagman) {
		b_start_flagman(o, &p, o->print_conf, NULL, fd);
	} else {
		b_start(&p, bl_argv, NULL, fd);
	}
	while (file_size(fd) < 5) { // "init\n": set up, signals blocked
		usleep(1000);
	}
	wait_quiet(fd);
	cpu0 = b_cpu_s(p.pid);
	storm(p.pid, o->storm_ms);
	wait_quiet(fd);
	cpu1 = b_cpu_s(p.pid);
	b_stop(&p);
	close(fd);
	*runs = count_lines(path, "x\n");
	free(bl);
	if (cpu0 < 0 || cpu1 < 0 || *runs == 0) {
		b_die("storm: no CPU figures or no runs");
	}
	return (cpu1 - cpu0) * 1e6 / (double)*runs;
}

void bench_storm(const struct b_opts *o)
{
	double per[2][16];
	size_t runs[2][16];
	int n = o->storms < 16 ? o->storms : 16;
	double rate[2];
	struct b_row row = { .name = "storm: CPU per handled signal",
		.unit = "us", .kind = B_RATIO_MAX, .target = 2 };

	b_say("signal storm: %d x %d ms per program", n, o->storm_ms);
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < 2; k++) {
			per[k][i] = one_storm(o, k == 0, &runs[k][i]);
		}
	}
	for (int k = 0; k < 2; k++) {
		double r[16];
		for (int i = 0; i < n; i++) {
			r[i] = (double)runs[k][i] / (o->storm_ms / 1000.0);
		}
		rate[k] = b_median(r, (size_t)n);
	}
	row.flagman = b_median(per[0], (size_t)n);
	row.baseline = b_median(per[1], (size_t)n);
	snprintf(row.note, sizeof(row.note), "median of %d storms of %d ms; "
		"handled/s %.0f vs %.0f", n, o->storm_ms, rate[0], rate[1]);
	b_row_add(&row);
}
