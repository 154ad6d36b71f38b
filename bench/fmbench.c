/*
 * fmbench: runs the benchmarks of bench/README.md and prints one table:
 * benchmark, flagman, baseline, ratio, target, PASS/MISS.
 *
 *   fmbench [--quick] [--idle SECONDS] [--only NAME,...] [--flagman PATH]
 *
 * NAME: latency, spawn, ready, idle, pacing, config, storm.  The baseline
 * programs are looked up next to fmbench; flagman defaults to ../flagman
 * from there.
 * Exit status 0 when every measured row passes, 1 otherwise.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define MAX_ROWS 32

static struct b_row rows[MAX_ROWS];
static size_t nrows;

void b_row_add(const struct b_row *row)
{
	if (nrows < MAX_ROWS) {
		rows[nrows++] = *row;
	}
}

static const struct {
	const char *name;
	void (*run)(const struct b_opts *o);
} benches[] = {
	{ "latency", bench_latency },
	{ "spawn", bench_spawn },
	{ "ready", bench_ready },
	{ "idle", bench_idle },
	{ "pacing", bench_idle_paced },
	{ "config", bench_config },
	{ "storm", bench_storm },
};

#define NBENCHES (sizeof(benches) / sizeof(benches[0]))

static bool passes(const struct b_row *r)
{
	if (r->kind == B_RATIO_MAX) {
		return r->baseline > 0 && r->flagman / r->baseline <= r->target;
	}
	return r->kind != B_ABS_MAX || r->flagman <= r->target;
}

static void value(char *buf, size_t size, double v, const char *unit)
{
	if (v == (long)v && v < 1e6) {
		snprintf(buf, size, "%ld %s", (long)v, unit);
	} else {
		snprintf(buf, size, "%.*f %s", v < 10 ? 2 : v < 100 ? 1 : 0, v,
			unit);
	}
}

static bool print_table(void)
{
	bool all = true;

	printf("\n%-38s %12s %12s %7s %10s  %s\n", "benchmark", "flagman",
		"baseline", "ratio", "target", "result");
	for (int i = 0; i < 91; i++) {
		putchar('-');
	}
	putchar('\n');
	for (size_t i = 0; i < nrows; i++) {
		const struct b_row *r = &rows[i];
		char f[24], b[24], ratio[16] = "-", target[24] = "-";
		const char *result = "info";

		if (r->kind == B_SKIPPED) {
			printf("%-38s %12s %12s %7s %10s  %s\n", r->name, "-", "-", "-",
				"-", "n/a");
			continue;
		}
		value(f, sizeof(f), r->flagman, r->unit);
		value(b, sizeof(b), r->baseline, r->unit);
		if (r->baseline > 0) {
			snprintf(ratio, sizeof(ratio), "%.2f", r->flagman / r->baseline);
		}
		if (r->kind == B_RATIO_MAX) {
			snprintf(target, sizeof(target), "ratio<=%g", r->target);
		} else if (r->kind == B_ABS_MAX) {
			snprintf(target, sizeof(target), "<=%g %s", r->target, r->unit);
		}
		if (r->kind != B_INFO) {
			result = passes(r) ? "PASS" : "MISS";
			all = all && passes(r);
		}
		printf("%-38s %12s %12s %7s %10s  %s\n", r->name, f, b, ratio,
			target, result);
	}
	printf("\nnotes:\n");
	for (size_t i = 0; i < nrows; i++) {
		if (rows[i].note[0]) {
			printf("  %-38s %s\n", rows[i].name, rows[i].note);
		}
	}
	return all;
}

// Does `flagman --list` show an exec action type?
static bool has_exec(const char *flagman)
{
	char *argv[] = { (char *)flagman, "--list", NULL }, line[256];
	struct b_proc p;
	bool found = false;

	b_start(&p, argv, NULL, -1);
	while (b_line(&p, line, sizeof(line), B_TIMEOUT_MS)) {
		found = found || strncmp(line, "exec ", 5) == 0;
	}
	b_stop(&p);
	return found;
}

static void find_programs(struct b_opts *o, char *self, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", self, size - 1);
	char *slash;

	if (n < 0) {
		b_die("/proc/self/exe: %s", strerror(errno));
	}
	self[n] = '\0';
	if ((slash = strrchr(self, '/'))) {
		*slash = '\0';
	}
	o->bindir = self;
}

static bool wanted(const char *only, const char *name)
{
	size_t len = strlen(name);

	if (!only) {
		return true;
	}
	for (const char *p = only; *p; p++) {
		if ((p == only || p[-1] == ',') && strncmp(p, name, len) == 0 &&
				(p[len] == ',' || p[len] == '\0')) {
			return true;
		}
	}
	return false;
}

/*
 * Runs the driver, and so every program it starts, on one CPU.  On a VM a
 * wake-up across vCPUs costs tens of microseconds, and whether a program
 * lands on the driver's CPU is the scheduler's whim: unpinned, the same
 * binary measured 10 us or 60 us per signal from one run to the next.
 */
static void pin_to_one_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		fprintf(stderr, "fmbench: cannot pin to CPU %d: %s; running "
			"unpinned\n", cpu, strerror(errno));
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: fmbench [--quick] [--idle SECONDS] "
		"[--only latency,spawn,ready,idle,pacing,config,storm] "
		"[--flagman PATH] [--no-pin]\n");
	exit(2);
}

static const char *parse(struct b_opts *o, int argc, char **argv)
{
	const char *only = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			o->idle_s = 2;
			o->pings = 800;
			o->spawns = 160;
			o->starts = 20;
			o->storms = 2;
			o->storm_ms = 1000;
			o->max_sections = 10000;
		} else if (strcmp(argv[i], "--idle") == 0 && i + 1 < argc) {
			o->idle_s = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
			only = argv[++i];
		} else if (strcmp(argv[i], "--flagman") == 0 && i + 1 < argc) {
			o->flagman = argv[++i];
		} else if (strcmp(argv[i], "--no-pin") == 0) {
			o->no_pin = true;
		} else {
			usage();
		}
	}
	if (o->idle_s < 1) {
		usage();
	}
	return only;
}

int main(int argc, char **argv)
{
	static char self[PATH_MAX], flagman[PATH_MAX + 16], rundir[PATH_MAX];
	struct b_opts o = { .idle_s = 10, .pings = 4000, .spawns = 800,
		.starts = 60, .storms = 5, .storm_ms = 2000,
		.max_sections = 100000 };
	const char *only = parse(&o, argc, argv);
	bool ok;

	signal(SIGPIPE, SIG_IGN);
	if (!o.no_pin) {
		pin_to_one_cpu();
	}
	// flagman must not talk to a service manager the driver runs under.
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	find_programs(&o, self, sizeof(self));
	if (!o.flagman) {
		snprintf(flagman, sizeof(flagman), "%s/../flagman", self);
		o.flagman = flagman;
	}
	snprintf(o.tmpdir, sizeof(o.tmpdir), "/tmp/fmbench.XXXXXX");
	if (!mkdtemp(o.tmpdir)) {
		b_die("mkdtemp: %s", strerror(errno));
	}
	b_cleanup_at_death(o.tmpdir);
	// The daemons publish their status files as in production, but in
	// the benchmark's directory, not in /run/flagman.
	snprintf(rundir, sizeof(rundir), "%s/run", o.tmpdir);
	setenv("RUNTIME_DIRECTORY", rundir, 1);
	o.print_conf = b_write(&o, "print.conf", "[ping]\naction = print\n"
		"signal = usr1\nmessage = x\n");
	o.have_exec = has_exec(o.flagman);
	for (size_t i = 0; i < NBENCHES; i++) {
		if (wanted(only, benches[i].name)) {
			benches[i].run(&o);
		}
	}
	ok = print_table();
	b_remove_tmpdir(o.tmpdir);
	free((char *)o.print_conf);
	return ok ? 0 : 1;
}
