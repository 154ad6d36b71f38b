/*
 * Configuration scale: `flagman --check -c FILE` on generated files with
 * 1k, 10k and 100k print actions, against inih alone over the same file.
 * CPU time of the whole process (start-up included), median of a few runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define RUN_LIMIT_S 600 /* a run slower than this is reported, not waited */

static char *generate(const struct b_opts *o, int sections)
{
	char *path;
	FILE *f;

	if (asprintf(&path, "%s/scale-%d.conf", o->tmpdir, sections) < 0) {
		b_die("out of memory");
	}
	if (!(f = fopen(path, "we"))) {
		b_die("%s: %s", path, strerror(errno));
	}
	fprintf(f, "[flagman]\nlog_level = warning\n");
	for (int i = 0; i < sections; i++) {
		fprintf(f, "\n[action-%06d]\naction = print\nsignal = %s\n"
			"message = action %d ran\n", i, i % 2 ? "usr1" : "usr2", i);
	}
	if (fclose(f) != 0) {
		b_die("%s: %s", path, strerror(errno));
	}
	chmod(path, 0644); // as root, flagman refuses a file others may write
	return path;
}

/*
 * CPU seconds (user + system, from wait4) for argv to run to exit status 0,
 * or -1 if it took too long.  CPU time, not wall-clock: other builds on the
 * machine stretch the wall-clock time of both programs unevenly.
 */
static double timed_run(char *const argv[])
{
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC), st;
	int64_t t0 = b_now_ns(), limit = (int64_t)RUN_LIMIT_S * 1000000000;
	struct rusage ru;
	struct b_proc p;
	pid_t r;

	b_start(&p, argv, NULL, null);
	close(null);
	while ((r = wait4(p.pid, &st, WNOHANG, &ru)) == 0) {
		if (b_now_ns() - t0 > limit) {
			kill(p.pid, SIGKILL);
			waitpid(p.pid, &st, 0);
			b_reaped(&p);
			return -1;
		}
		usleep(200);
	}
	b_reaped(&p);
	if (r < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		b_die("%s %s failed (status %d)", argv[0], argv[1], st);
	}
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		(double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void add_scale(int sections, double f, double b, double target)
{
	struct b_row row = { .unit = "ms", .flagman = f * 1e3,
		.baseline = b * 1e3, .kind = target > 0 ? B_RATIO_MAX : B_INFO,
		.target = target };

	snprintf(row.name, sizeof(row.name), "--check, %dk sections",
		sections / 1000);
	if (f < 0 || b < 0) {
		row.kind = B_SKIPPED;
		snprintf(row.note, sizeof(row.note), "not measured: a run took "
			"over %d s", RUN_LIMIT_S);
	} else {
		snprintf(row.note, sizeof(row.note), "CPU time; vs inih alone, "
			"empty handler");
	}
	b_row_add(&row);
}

#define REPS 7
#define NSIZES 3

/*
 * Every round runs each size with each program, so that a change of load
 * on the machine (other builds) touches all the medians alike.  A run
 * over RUN_LIMIT_S marks its size as not measured and is not repeated.
 */
void bench_config(const struct b_opts *o)
{
	static const int sizes[NSIZES] = { 1000, 10000, 100000 };
	char *bl = b_prog(o, "bl_inih"), *file[NSIZES] = { NULL };
	double t[NSIZES][2][REPS], med[2][NSIZES];
	bool slow[NSIZES] = { false };
	int n = 0;

	while (n < NSIZES && sizes[n] <= o->max_sections) {
		file[n] = generate(o, sizes[n]);
		n++;
	}
	b_say("--check: up to %dk sections, %d rounds", sizes[n - 1] / 1000,
		REPS);
	for (int i = 0; i < REPS; i++) {
		for (int s = 0; s < n; s++) {
			char *argv[2][5] = { { (char *)o->flagman, "--check", "-c",
				file[s], NULL }, { bl, file[s], NULL } };
			for (int k = 0; k < 2 && !slow[s]; k++) {
				t[s][k][i] = timed_run(argv[k]);
				slow[s] = t[s][k][i] < 0;
			}
		}
	}
	for (int s = 0; s < n; s++) {
		for (int k = 0; k < 2; k++) {
			med[k][s] = slow[s] ? -1 : b_median(t[s][k], REPS);
		}
		add_scale(sizes[s], med[0][s], med[1][s], sizes[s] >= 100000 ? 3 : 0);
		unlink(file[s]);
		free(file[s]);
	}
	if (n == NSIZES && !slow[1] && !slow[2]) {
		struct b_row row = { .name = "--check growth 100k/10k",
			.unit = "x", .kind = B_ABS_MAX, .target = 12,
			.flagman = med[0][2] / med[0][1],
			.baseline = med[1][2] / med[1][1],
			.note = "linear is 10; instructions (callgrind) grow 10.0x" };
		b_row_add(&row);
	}
	free(bl);
}
