/*
 * The event loop, its chains and reload, in process: a pipe stands in for
 * the signalfd and the test writes signal records (struct signalfd_siginfo)
 * into it.  A small action type of the test's own ("rec") writes every
 * set-up, run, timer, descriptor event and tear-down into a journal, and
 * sends further records when told to, so each test sees the exact order in
 * which the loop drove its actions.
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
#include <sys/signalfd.h>
#include <unistd.h>
#include <cmocka.h>

#include "conffile.h"
#include "config.h"
#include "daemon.h"
#include "diag.h"
#include "log.h"
#include "notify.h"
#include "registry.h"

/* Seconds a loop may take before the test fails: each takes milliseconds. */
#define T_LOOP_LIMIT 20

/* ---- the journal and the stand-in signalfd ---- */

static char journal[8192];
static int sig_in = -1; /* the write end of the stand-in signalfd */

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void note(const char *fmt, ...)
{
	size_t used = strlen(journal);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(journal + used, sizeof(journal) - used, fmt, ap);
	va_end(ap);
	used = strlen(journal);
	snprintf(journal + used, sizeof(journal) - used, "\n");
}

// Writes one record as the kernel would for kill(2) from this process.
static void send_sig(int signo)
{
	struct signalfd_siginfo si = {
		.ssi_signo = (uint32_t)signo, .ssi_code = SI_USER,
		.ssi_pid = (uint32_t)getpid(), .ssi_uid = (uint32_t)getuid(),
	};

	assert_int_equal(write(sig_in, &si, sizeof(si)), (ssize_t)sizeof(si));
}

/* ---- rec: the test's action type ---- */

struct rec {
	char *label;
	int emit;            /* a signal to send... */
	long long emit_count; /* ...this many times... */
	long long emit_on;   /* ...at this run (or at the tick, with tick) */
	uint64_t delay_ms;   /* the run pends on a timer */
	uint64_t tick_ms;    /* set_up arms a timer: "tick LABEL" */
	bool fd;             /* the run pends on a pipe of its own */
	bool fail;           /* set_up fails */
	bool close;          /* the action closes itself at its run */
	bool close_early;    /* ...or at its set-up */
	unsigned runs;
	int pipe[2];
};

static void emit(const struct rec *r)
{
	for (long long i = 0; r->emit && i < r->emit_count; i++) {
		send_sig(r->emit);
	}
}

static int rec_set_up(struct fm_action *action, void *state)
{
	struct rec *r = state;

	note("set up %s%s", r->label, r->fail ? ": failing" : "");
	r->pipe[0] = r->pipe[1] = -1;
	if (r->fail) {
		return -EIO;
	}
	if (r->close_early) {
		fm_action_close(action, "closing at set-up");
	}
	if (r->tick_ms) {
		fm_action_set_timer(action, r->tick_ms);
	}
	if (r->fd) {
		assert_int_equal(pipe2(r->pipe, O_CLOEXEC | O_NONBLOCK), 0);
		assert_int_equal(fm_action_watch_fd(action, r->pipe[0], POLLIN),
			0);
	}
	return 0;
}

static int rec_run(struct fm_action *action, void *state,
	const struct fm_run *run)
{
	struct rec *r = state;

	note("run %s %u %s %u", r->label, ++r->runs, run->signame, run->merged);
	if (!r->tick_ms && r->runs == (unsigned)r->emit_on) {
		emit(r);
	}
	if (r->close) {
		fm_action_close(action, "closing as asked");
	}
	if (r->delay_ms) {
		fm_action_set_timer(action, r->delay_ms);
		return FM_RUN_PENDING;
	}
	if (r->fd) {
		assert_int_equal(write(r->pipe[1], "x", 1), 1);
		return FM_RUN_PENDING;
	}
	return FM_RESULT_OK;
}

static void rec_on_timer(struct fm_action *action, void *state)
{
	struct rec *r = state;

	if (r->tick_ms) {
		note("tick %s", r->label);
		emit(r);
		return;
	}
	note("timer %s", r->label);
	fm_action_done(action, FM_RESULT_OK);
}

static void rec_on_fd(struct fm_action *action, void *state, int fd,
	short revents)
{
	struct rec *r = state;
	char c;

	note("fd %s%s", r->label, fd == r->pipe[0] && (revents & POLLIN) &&
		read(fd, &c, 1) == 1 ? "" : ": wrong descriptor");
	fm_action_done(action, FM_RESULT_OK);
}

static void rec_stop(struct fm_action *action, void *state, bool force)
{
	struct rec *r = state;

	note("stop %s%s", r->label, force ? " (forced)" : "");
	fm_action_set_timer(action, 0);
	fm_action_done(action, FM_RESULT_OK);
}

static void rec_tear_down(struct fm_action *action, void *state)
{
	struct rec *r = state;

	note("tear down %s", r->label);
	if (r->pipe[0] >= 0) {
		fm_action_unwatch_fd(action, r->pipe[0]);
		close(r->pipe[0]);
		close(r->pipe[1]);
		r->pipe[0] = r->pipe[1] = -1;
	}
}

static const struct fm_arg_spec rec_args[] = {
	{ "label", FM_ARG_STRING, .required = true,
		.offset = offsetof(struct rec, label) },
	{ "emit", FM_ARG_SIGNAL, .offset = offsetof(struct rec, emit) },
	{ "emit_count", FM_ARG_INT, .default_value = "1",
		.offset = offsetof(struct rec, emit_count) },
	{ "emit_on", FM_ARG_INT, .default_value = "1",
		.offset = offsetof(struct rec, emit_on) },
	{ "delay", FM_ARG_DURATION, .default_value = "0",
		.offset = offsetof(struct rec, delay_ms) },
	{ "tick", FM_ARG_DURATION, .default_value = "0",
		.offset = offsetof(struct rec, tick_ms) },
	{ "fd", FM_ARG_BOOL, .default_value = "no",
		.offset = offsetof(struct rec, fd) },
	{ "fail", FM_ARG_BOOL, .default_value = "no",
		.offset = offsetof(struct rec, fail) },
	{ "close", FM_ARG_BOOL, .default_value = "no",
		.offset = offsetof(struct rec, close) },
	{ "close_early", FM_ARG_BOOL, .default_value = "no",
		.offset = offsetof(struct rec, close_early) },
	{ 0 },
};

static const struct fm_action_type rec_type = {
	.abi = FM_ACTION_ABI,
	.name = "rec",
	.description = "Test action: journals every stage.",
	.args = rec_args,
	.state_size = sizeof(struct rec),
	.set_up = rec_set_up,
	.run = rec_run,
	.stop = rec_stop,
	.on_timer = rec_on_timer,
	.on_fd = rec_on_fd,
	.tear_down = rec_tear_down,
};

/* ---- configurations and the loop ---- */

static struct fm_registry *reg;

static struct fm_config *parse(const char *text, struct fm_diag *diag)
{
	struct fm_config *cfg = fm_config_create();
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	assert_non_null(cfg);
	assert_non_null(f);
	fm_config_read_file(cfg, "test.conf", f, diag);
	fclose(f);
	if (!fm_config_resolve(cfg, reg, diag)) {
		fm_config_destroy(cfg);
		return NULL;
	}
	return cfg;
}

/* What each reload reads, and the signals it sends as it does. */
struct script {
	const char *const *texts; /* NULL-ended */
	const int *const *sends;  /* per reload, 0-ended */
	size_t next;
};

static struct fm_config *reload(void *ctx, struct fm_diag *diag)
{
	struct script *s = ctx;
	size_t k = s->next++;

	assert_non_null(s->texts[k]);
	for (const int *sig = s->sends[k]; *sig; sig++) {
		send_sig(*sig);
	}
	note("reload %zu", k);
	return parse(s->texts[k], diag);
}

// Runs a loop on text with the records of sigs (0-ended) waiting; returns
// its exit status.
static int run_loop(const char *text, const int *sigs, struct script *s)
{
	struct fm_diag diag = { .out = stderr };
	struct fm_config *cfg = parse(text, &diag);
	struct fm_loop *loop;
	int p[2], status;

	fm_diag_print(&diag);
	assert_non_null(cfg);
	journal[0] = '\0';
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	sig_in = p[1];
	for (; *sigs; sigs++) {
		send_sig(*sigs);
	}
	loop = fm_loop_create(cfg, p[0], s ? reload : NULL, s);
	assert_non_null(loop);
	// A loop that never ends fails the test (SIGALRM) rather than hang.
	alarm(T_LOOP_LIMIT);
	status = fm_loop_run(loop);
	alarm(0);
	fm_loop_destroy(loop);
	close(p[0]);
	close(p[1]);
	sig_in = -1;
	return status;
}

/* An action section of type rec whose label is its name. */
#define REC(name, sig) "[" name "]\naction = rec\nsignal = " sig \
	"\nlabel = " name "\n"
/* The action that ends the test: it sends SIGTERM when sig comes. */
#define STOP(sig) REC("stop", sig) "emit = term\n"

#define SIGS(...) ((const int[]){ __VA_ARGS__, 0 })

/* ---- the tests ---- */

// Actions run in configuration order; the FIFO keeps arrival order, one
// entry per signal, and merges repeats into it.
static void test_chain_order_fifo(void **state)
{
	(void)state;
	assert_int_equal(run_loop(
		REC("a", "usr1")
		REC("b", "usr2")
		REC("c", "usr1")
		STOP("hup"),
		SIGS(SIGUSR2, SIGUSR1, SIGUSR1, SIGHUP), NULL), 0);
	assert_string_equal(journal,
		"set up a\nset up b\nset up c\nset up stop\n"
		"run b 1 USR2 1\nrun a 1 USR1 2\nrun c 1 USR1 2\n"
		"run stop 1 HUP 1\n"
		"tear down a\ntear down b\ntear down c\ntear down stop\n");
}

// A paced signal: arrivals merge while they wait (debounce), and the ones
// that come during its chain wait for min_interval, then run once.
static void test_paced(void **state)
{
	uint64_t t0 = fm_now_ms();

	(void)state;
	assert_int_equal(run_loop(
		"[signal:usr1]\ndebounce = 20ms\nmin_interval = 60ms\n"
		REC("a", "usr1") "emit = usr1\nemit_count = 2\n"
		REC("b", "usr1") "emit = usr2\nemit_on = 2\n"
		STOP("usr2"),
		SIGS(SIGUSR1, SIGUSR1, SIGUSR1), NULL), 0);
	assert_string_equal(journal,
		"set up a\nset up b\nset up stop\n"
		"run a 1 USR1 3\nrun b 1 USR1 3\n"
		"run a 2 USR1 2\nrun b 2 USR1 2\n"
		"run stop 1 USR2 1\n"
		"tear down a\ntear down b\ntear down stop\n");
	assert_true(fm_now_ms() >= t0 + 20 + 60);
}

static const char overlap_conf[] =
	REC("slow", "usr1") "delay = 10ms\n"
	"emit = usr1\nemit_count = 2\n"
	REC("fin", "usr1") "emit = usr2\n"
	STOP("usr2");

// overlap = queue: arrivals during their own chain merge into one more run.
static void test_overlap_queue(void **state)
{
	char text[1024];

	(void)state;
	snprintf(text, sizeof(text), "[flagman]\noverlap = queue\n%s",
		overlap_conf);
	assert_int_equal(run_loop(text, SIGS(SIGUSR1), NULL), 0);
	assert_string_equal(journal,
		"set up slow\nset up fin\nset up stop\n"
		"run slow 1 USR1 1\ntimer slow\nrun fin 1 USR1 1\n"
		"run slow 2 USR1 2\ntimer slow\nrun fin 2 USR1 2\n"
		"run stop 1 USR2 1\n"
		"tear down slow\ntear down fin\ntear down stop\n");
}

// overlap = drop: they are dropped.
static void test_overlap_drop(void **state)
{
	char text[1024];

	(void)state;
	snprintf(text, sizeof(text), "[flagman]\noverlap = drop\n%s",
		overlap_conf);
	assert_int_equal(run_loop(text, SIGS(SIGUSR1), NULL), 0);
	assert_string_equal(journal,
		"set up slow\nset up fin\nset up stop\n"
		"run slow 1 USR1 1\ntimer slow\nrun fin 1 USR1 1\n"
		"run stop 1 USR2 1\n"
		"tear down slow\ntear down fin\ntear down stop\n");
}

// Validate, then swap: an unchanged action keeps its instance (its run
// counter goes on), a changed one is replaced, a new one set up before
// anything old is torn down; a configuration with errors, or one whose
// set-up fails, leaves the running set as it was.
static void test_reload(void **state)
{
	static const char first[] =
		"[flagman]\nreload_signal = hup\n"
		REC("a", "usr1")
		REC("b", "usr1")
		STOP("usr2");
	static const char second[] =
		"[flagman]\nreload_signal = hup\n"
		REC("a", "usr1")
		"[b]\naction = rec\nsignal = usr1\nlabel = b2\n"
		REC("c", "usr1")
		STOP("usr2");
	static const char bad[] =
		"[flagman]\nreload_signal = hup\n"
		"[a]\naction = nosuchtype\nsignal = usr1\n";
	char failing[1024];
	const char *texts[] = { second, bad, failing, NULL };
	const int *sends[] = { SIGS(SIGUSR1, SIGHUP), SIGS(SIGUSR1, SIGHUP),
		SIGS(SIGUSR1, SIGUSR2) };
	struct script s = { texts, sends, 0 };

	(void)state;
	snprintf(failing, sizeof(failing), "%s"
		REC("e", "usr1")
		REC("d", "usr1") "fail = yes\n",
		second);
	assert_int_equal(run_loop(first, SIGS(SIGUSR1, SIGHUP), &s), 0);
	assert_int_equal(s.next, 3);
	assert_string_equal(journal,
		"set up a\nset up b\nset up stop\n"
		"run a 1 USR1 1\nrun b 1 USR1 1\n"
		"reload 0\nset up b2\nset up c\ntear down b\n"
		"run a 2 USR1 1\nrun b2 1 USR1 1\nrun c 1 USR1 1\n"
		"reload 1\n"
		"run a 3 USR1 1\nrun b2 2 USR1 1\nrun c 2 USR1 1\n"
		"reload 2\nset up e\nset up d: failing\ntear down e\n"
		"run a 4 USR1 1\nrun b2 3 USR1 1\nrun c 3 USR1 1\n"
		"run stop 1 USR2 1\n"
		"tear down a\ntear down b2\ntear down c\ntear down stop\n");
}

// Each timer and each descriptor goes to the action that asked for it;
// timers fire soonest first, whatever the order they were armed in.
static void test_timers_and_fds(void **state)
{
	(void)state;
	assert_int_equal(run_loop(
		REC("fast", "usr2") "tick = 5ms\n"
		REC("slow", "usr2") "tick = 40ms\n"
		"emit = usr1\n"
		REC("mid", "usr2") "tick = 20ms\n"
		REC("p", "usr1") "fd = yes\n"
		REC("q", "usr1") "fd = yes\n"
		"emit = hup\n"
		STOP("hup"),
		SIGS(SIGWINCH), NULL), 0);
	assert_string_equal(journal,
		"set up fast\nset up slow\nset up mid\nset up p\nset up q\n"
		"set up stop\n"
		"tick fast\ntick mid\ntick slow\n"
		"run p 1 USR1 1\nfd p\nrun q 1 USR1 1\nfd q\n"
		"run stop 1 HUP 1\n"
		"tear down fast\ntear down slow\ntear down mid\ntear down p\n"
		"tear down q\ntear down stop\n");
}

// An action that closes itself is torn down once its run completes (even
// a pending one), and no chain runs it again.
static void test_close(void **state)
{
	(void)state;
	assert_int_equal(run_loop(
		REC("once", "usr1") "close = yes\n"
		"delay = 5ms\nemit = usr1\n"
		REC("other", "usr1")
		"emit = usr2\nemit_on = 2\n"
		STOP("usr2"),
		SIGS(SIGUSR1), NULL), 0);
	assert_string_equal(journal,
		"set up once\nset up other\nset up stop\n"
		"run once 1 USR1 1\ntimer once\ntear down once\n"
		"run other 1 USR1 1\nrun other 2 USR1 1\nrun stop 1 USR2 1\n"
		"tear down other\ntear down stop\n");
}

// An action that closes itself at set-up is set up, then retired before
// any chain runs; the others serve on.
static void test_close_at_set_up(void **state)
{
	(void)state;
	assert_int_equal(run_loop(
		REC("early", "usr1") "close_early = yes\n"
		REC("other", "usr1") "emit = usr2\n"
		STOP("usr2"),
		SIGS(SIGUSR1), NULL), 0);
	assert_string_equal(journal,
		"set up early\nset up other\nset up stop\ntear down early\n"
		"run other 1 USR1 1\nrun stop 1 USR2 1\n"
		"tear down other\ntear down stop\n");
}

// When the last action closes, the loop ends with status 1 (no
// successful_empty).
static void test_all_closed(void **state)
{
	(void)state;
	assert_int_equal(run_loop(
		REC("once", "usr1") "close = yes\n",
		SIGS(SIGUSR1), NULL), 1);
	assert_string_equal(journal,
		"set up once\nrun once 1 USR1 1\ntear down once\n");
}

// A stop request interrupts a pending run: stop() is asked, the queued
// signals are forgotten.
static void test_stop_pending(void **state)
{
	(void)state;
	assert_int_equal(run_loop(
		REC("slow", "usr1") "delay = 1h\n"
		"emit = term\n"
		REC("after", "usr2"),
		SIGS(SIGUSR1, SIGUSR2), NULL), 0);
	assert_string_equal(journal,
		"set up slow\nset up after\n"
		"run slow 1 USR1 1\nstop slow\n"
		"tear down slow\ntear down after\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_order_fifo),
		cmocka_unit_test(test_paced),
		cmocka_unit_test(test_overlap_queue),
		cmocka_unit_test(test_overlap_drop),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_timers_and_fds),
		cmocka_unit_test(test_close),
		cmocka_unit_test(test_close_at_set_up),
		cmocka_unit_test(test_all_closed),
		cmocka_unit_test(test_stop_pending),
	};
	int failed;

	fm_log_init(FM_LOG_ERROR);
	reg = fm_registry_create();
	if (!reg || fm_registry_add(reg, &rec_type, "test") < 0) {
		return 1;
	}
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	fm_registry_destroy(reg);
	return failed;
}
