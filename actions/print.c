/*
 * print, delay_print and print_once: the original flagman's demonstration
 * actions, with its exact stdout text.  Useful to try a configuration out.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "flagman/action.h"

struct print {
	char *message;
	uint64_t delay_ms;
};

/*
 * Where the lines go.  A pipe nobody reads any more must not stall the
 * daemon, so a line that finds no room is dropped and the run fails.  For
 * a pipe, a descriptor of our own, opened anew through /proc with
 * O_NONBLOCK, makes a write to a full pipe fail at once: one system call
 * per line where poll-then-write took two (O_NONBLOCK on descriptor 1
 * itself would change it for every process sharing it).  A pipe takes up
 * to PIPE_BUF bytes whole or not at all, so a longer line (a message from
 * the command line) is polled for and written to descriptor 1 instead, as
 * is everything to what is neither a pipe nor a regular file (which never
 * makes a writer wait).
 */
static int pipe_fd = -1;
static bool checked, must_poll;

static void check_stdout(void)
{
	struct stat st;

	checked = true;
	must_poll = true;
	if (fstat(STDOUT_FILENO, &st) < 0) {
		return;
	}
	if (S_ISREG(st.st_mode)) {
		must_poll = false;
	} else if (S_ISFIFO(st.st_mode)) {
		pipe_fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		must_poll = pipe_fd < 0;
	}
}

// One line, whole or not at all.
static int put_line(struct fm_action *action, const char *line)
{
	struct pollfd pfd = { .fd = STDOUT_FILENO, .events = POLLOUT };
	struct iovec iov[2] = { { (char *)line, strlen(line) }, { "\n", 1 } };
	size_t len = iov[0].iov_len + 1;
	int fd = STDOUT_FILENO;
	bool poll_first;
	ssize_t n = -1;

	if (!checked) {
		check_stdout();
	}
	poll_first = must_poll || (pipe_fd >= 0 && len > PIPE_BUF);
	if (!poll_first && pipe_fd >= 0) {
		fd = pipe_fd;
	}
	errno = EAGAIN;
	if (!poll_first || poll(&pfd, 1, 0) == 1) {
		n = writev(fd, iov, 2);
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		fm_action_log(action, FM_LOG_ERROR, "stdout is full (is anyone "
			"reading it?); line dropped");
		return -EAGAIN;
	}
	if (n < 0) {
		int err = errno;
		fm_action_log(action, FM_LOG_ERROR, "cannot write to stdout: %s",
			strerror(err));
		return -err;
	}
	if ((size_t)n < len) {
		fm_action_log(action, FM_LOG_ERROR, "cannot write to stdout: "
			"%zd of %zu bytes written", n, len);
		return -EIO;
	}
	return 0;
}

static int print_set_up(struct fm_action *action, void *state)
{
	(void)state;
	// A closed stdout must not stop the daemon from serving other actions.
	put_line(action, "init");
	return 0;
}

static int print_run(struct fm_action *action, void *state,
	const struct fm_run *run)
{
	struct print *p = state;

	(void)run;
	return put_line(action, p->message) < 0 ? FM_RESULT_FAILED : FM_RESULT_OK;
}

static void print_tear_down(struct fm_action *action, void *state)
{
	(void)state;
	put_line(action, "cleanup");
}

static int delay_print_run(struct fm_action *action, void *state,
	const struct fm_run *run)
{
	struct print *p = state;

	(void)run;
	if (put_line(action, p->message) < 0) {
		return FM_RESULT_FAILED;
	}
	fm_action_set_timer(action, p->delay_ms ? p->delay_ms : 1);
	return FM_RUN_PENDING;
}

static void delay_print_on_timer(struct fm_action *action, void *state)
{
	(void)state;
	fm_action_done(action, put_line(action, "finished delaying") < 0 ?
		FM_RESULT_FAILED : FM_RESULT_OK);
}

static void delay_print_stop(struct fm_action *action, void *state, bool force)
{
	(void)state;
	(void)force;
	// Nothing to wind down: the wait simply ends, without its last line.
	fm_action_set_timer(action, 0);
	fm_action_done(action, FM_RESULT_OK);
}

static int print_once_run(struct fm_action *action, void *state,
	const struct fm_run *run)
{
	int result = print_run(action, state, run);

	fm_action_close(action, "Only print once");
	return result;
}

static const struct fm_arg_spec print_args[] = {
	{ "message", FM_ARG_STRING, .required = true,
		.offset = offsetof(struct print, message),
		.help = "the line to print" },
	{ 0 },
};

static const struct fm_arg_spec delay_print_args[] = {
	{ "message", FM_ARG_STRING, .required = true,
		.offset = offsetof(struct print, message),
		.help = "the line to print" },
	{ "delay", FM_ARG_DURATION, .required = true,
		.offset = offsetof(struct print, delay_ms),
		.help = "how long to wait before 'finished delaying'" },
	{ 0 },
};

const struct fm_action_type fm_action_print = {
	.abi = FM_ACTION_ABI,
	.name = "print",
	.description = "A simple action that prints messages at the various "
		"stages of execution: 'init' at set-up, the message at each "
		"run, 'cleanup' at tear-down.",
	.args = print_args,
	.state_size = sizeof(struct print),
	.set_up = print_set_up,
	.run = print_run,
	.tear_down = print_tear_down,
};

const struct fm_action_type fm_action_delay_print = {
	.abi = FM_ACTION_ABI,
	.name = "delay_print",
	.description = "Like print, but after printing the message waits for "
		"the delay without blocking other signals, then prints "
		"'finished delaying'.",
	.args = delay_print_args,
	.state_size = sizeof(struct print),
	.set_up = print_set_up,
	.run = delay_print_run,
	.stop = delay_print_stop,
	.on_timer = delay_print_on_timer,
	.tear_down = print_tear_down,
};

const struct fm_action_type fm_action_print_once = {
	.abi = FM_ACTION_ABI,
	.name = "print_once",
	.description = "Like print, but closes itself after the first run.",
	.args = print_args,
	.state_size = sizeof(struct print),
	.set_up = print_set_up,
	.run = print_once_run,
	.tear_down = print_tear_down,
};
