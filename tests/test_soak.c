/*
 * Soak: the real daemon through N iterations (FLAGMAN_SOAK_ITERATIONS, from
 * meson's soak_iterations option) of mixed signals.  Each iteration holds a
 * chain open on a FIFO "gate" while USR1 (several times: they merge), USR2
 * (twice: merged), a queued real-time signal with a value, sometimes an exec
 * that times out and is killed, sometimes a reload (good and bad
 * configurations alternate) and WINCH arrive; then it opens the gate and
 * checks the exact output of every run, in FIFO order.  Afterwards
 * flagman's descriptors, children and RSS must be what they were.
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

#define LINES(...) ((const char *const[]){ __VA_ARGS__, NULL })

struct soak {
	struct t_proc p;
	bool started;        /* p is to be finished */
	const char *dir;     /* tp_dir */
	char *conf, *gate, *count;
	int variant;         /* of the running configuration: 0 or 1 */
	unsigned timeouts;   /* exec runs seen timed out and killed */
	unsigned bad_reloads; /* reloads seen refused */
};

/*
 * The configuration, in variant 0 or 1 (they differ in [hello]'s message
 * and [slow]'s timeout), or bad: variant 0 with an unknown key.
 */
static void write_conf(struct soak *s, int variant, bool bad)
{
	char *text;

	assert_true(asprintf(&text,
		"[gate]\naction = exec\nsignal = rtmin+1\n"
		"command = sh -c 'read line < %s; echo \"gate $FLAGMAN_MERGED\"'\n\n"
		"[hello]\naction = print\nsignal = usr1\nmessage = hello %d\n%s\n"
		"[merged]\naction = exec\nsignal = usr1\n"
		"command = sh -c 'echo \"usr1 merged $FLAGMAN_MERGED\"'\n\n"
		"[count]\naction = write\nsignal = usr2\npath = %s\n"
		"content = x\\n\nappend = yes\n\n"
		"[slow]\naction = exec\nsignal = rtmin+2\ncommand = sleep 60\n"
		"timeout = %dms\nkill_grace = 10s\n\n"
		"[slow-done]\naction = print\nsignal = rtmin+2\n"
		"message = slow done\n\n"
		"[value]\naction = exec\nsignal = rtmin+3\n"
		"command = sh -c 'echo \"rt $FLAGMAN_VALUE\"'\n\n"
		"[mark]\naction = print\nsignal = winch\nmessage = mark\n",
		s->gate, variant, bad ? "bogus = 1\n" : "", s->count,
		variant ? 150 : 100) > 0);
	free(t_write(s->dir, "soak.conf", text));
	free(text);
}

// Lets the gate's reader go: it opened the FIFO, or will soon.
static void open_gate(struct soak *s)
{
	long long deadline = tp_clock_ms() + T_TIMEOUT;
	int fd;

	while ((fd = open(s->gate, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		assert_int_equal(errno, ENXIO); // no reader yet
		if (tp_clock_ms() > deadline) {
			fail_msg("the gate's reader never came");
		}
		poll(NULL, 0, 2);
	}
	assert_int_equal(write(fd, "go\n", 3), 3);
	close(fd);
}

// Reads what flagman logged, waiting at most wait_ms for each line; counts
// the lines each fault leaves, and fails on any other line.
static void read_log(struct soak *s, int wait_ms)
{
	char line[4096];

	while (t_err_line(&s->p, line, sizeof(line), wait_ms)) {
		if (strncmp(line, "==", 2) == 0) {
			continue; // valgrind's
		}
		if (strstr(line, "flagman: warning: [slow]: timed out after ") ==
				line && strstr(line, "ms; sending SIGTERM to process group ")) {
			continue;
		}
		if (strcmp(line, "flagman: warning: [slow]: timed out; killed by "
				"signal TERM (status 143)") == 0) {
			s->timeouts++;
		} else if (strstr(line, "soak.conf:") &&
				strstr(line, ": [hello]: unknown key 'bogus'")) {
			continue;
		} else if (strcmp(line, "flagman: error: reload failed: 1 error; "
				"keeping the running configuration") == 0) {
			s->bad_reloads++;
		} else {
			fail_msg("unexpected log line: %s", line);
		}
	}
}

// One iteration; returns the reload kind it did: 0 none, 1 good, 2 bad.
static int iterate(struct soak *s, unsigned i, unsigned *reloads)
{
	const char *expect[12];
	unsigned usr1 = 1 + i % 3, n = 0;
	int reload = 0;

	t_send(&s->p, SIGRTMIN + 1); // the gate: the chain below waits for it
	for (unsigned k = 0; k < usr1; k++) {
		t_send(&s->p, SIGUSR1);
	}
	t_send(&s->p, SIGUSR2);
	t_send(&s->p, SIGUSR2);
	assert_int_equal(sigqueue(s->p.pid, SIGRTMIN + 3,
		(union sigval){ .sival_int = (int)i }), 0);
	assert_true(t_wait_received(&s->p, SIGRTMIN + 3, T_TIMEOUT));
	if (i % 2 == 0) {
		t_send(&s->p, SIGRTMIN + 2);
	} else {
		reload = (*reloads)++ % 2 ? 2 : 1;
		write_conf(s, reload == 1 ? !s->variant : 0, reload == 2);
		t_send(&s->p, SIGHUP);
	}
	t_send(&s->p, SIGWINCH);
	open_gate(s);

	// The FIFO order of first arrivals; USR1 and USR2 merged.
	expect[n++] = "gate 1";
	expect[n++] = tp_fmt("hello %d", s->variant);
	expect[n++] = tp_fmt("usr1 merged %u", usr1);
	expect[n++] = tp_fmt("rt %u", i);
	if (i % 2 == 0) {
		expect[n++] = "slow done";
	}
	if (reload == 1) {
		// The new [hello] is set up before the old one is torn down.
		expect[n++] = "init";
		expect[n++] = "cleanup";
		s->variant = !s->variant;
	}
	expect[n++] = "mark";
	expect[n] = NULL;
	t_expect_out(&s->p, expect);
	// Keeps the pipe from filling up; the rest is read at the end.
	read_log(s, 1);
	return reload;
}

// The lines of path, each "x".
static unsigned count_lines(const char *path)
{
	FILE *f = fopen(path, "re");
	char line[16];
	unsigned n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		assert_string_equal(line, "x\n");
		n++;
	}
	fclose(f);
	return n;
}

// Is pid built with AddressSanitizer (whose RSS is not comparable)?
static bool sanitized(pid_t pid)
{
	const char *maps = tp_fmt("/proc/%d/maps", (int)pid);
	char line[512];
	bool found = false;
	FILE *f = fopen(maps, "re");

	while (f && !found && fgets(line, sizeof(line), f)) {
		found = strstr(line, "libasan") != NULL;
	}
	if (f) {
		fclose(f);
	}
	return found;
}

// Static, so that the tear-down cleans up after a failed test too.
static struct soak soak;

static int tear_down(void **state)
{
	if (soak.started) {
		t_finish(&soak.p); // kills flagman if it still runs
	}
	free(soak.conf);
	free(soak.gate);
	free(soak.count);
	soak = (struct soak){ 0 };
	return tp_dir_tear_down(state);
}

static void test_soak(void **state)
{
	const char *env = getenv("FLAGMAN_SOAK_ITERATIONS");
	unsigned iterations = env ? (unsigned)strtoul(env, NULL, 10) : 200;
	unsigned warm = iterations / 4 < 50 ? iterations / 4 : 50;
	unsigned reloads = 0, kinds[3] = { 0 };
	struct soak *s = &soak;
	long fds, rss = 0;
	bool rss_fair;

	(void)state;
	assert_true(iterations > 0);
	s->dir = tp_dir;
	assert_true(asprintf(&s->conf, "%s/soak.conf", s->dir) > 0);
	assert_true(asprintf(&s->gate, "%s/gate", s->dir) > 0);
	assert_true(asprintf(&s->count, "%s/count", s->dir) > 0);
	assert_int_equal(mkfifo(s->gate, 0600), 0);
	write_conf(s, 0, false);
	tp_asan_quarantine_off();
	t_start(&s->p, LINES("flagman", "-c", s->conf), NULL, false);
	s->started = true;
	t_expect_out(&s->p, LINES("init", "init", "init"));
	fds = tp_fd_count(s->p.pid);
	rss_fair = !tp_under_valgrind(s->p.pid) && !sanitized(s->p.pid);

	for (unsigned i = 0; i < iterations; i++) {
		if (i == warm) {
			rss = tp_rss(s->p.pid);
		}
		kinds[iterate(s, i, &reloads)]++;
		assert_int_equal(tp_children(s->p.pid), 0);
		tp_strings_free();
	}

	// Every run that should have happened did, and left nothing behind.
	assert_int_equal(count_lines(s->count), iterations); // USR2s merged
	assert_int_equal(kinds[1] + kinds[2], iterations / 2);
	assert_int_equal(tp_fd_count(s->p.pid), fds);
	assert_int_equal(tp_children(s->p.pid), 0);
	if (rss_fair && iterations > warm) {
		assert_in_range(tp_rss(s->p.pid), 0, rss + 512);
	}
	print_message("soak: %u iterations, %u reloads (%u refused), %u exec "
		"timeouts, RSS %ld kB after warm-up, %ld kB at the end\n",
		iterations, kinds[1] + kinds[2], kinds[2], s->timeouts, rss,
		tp_rss(s->p.pid));
	t_kill(&s->p, SIGTERM);
	assert_int_equal(t_wait(&s->p, T_TIMEOUT), 0);
	assert_string_equal(t_rest(&s->p), "cleanup\ncleanup\ncleanup\n");
	read_log(s, T_TIMEOUT); // to the end of the log
	assert_int_equal(s->timeouts, (iterations + 1) / 2);
	assert_int_equal(s->bad_reloads, kinds[2]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_soak, tp_dir_set_up,
			tear_down),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
