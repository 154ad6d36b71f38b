/*
 * A child's stdout or stderr, read from a pipe line by line into flagman's
 * log, tagged with the action; see stream.h.  The route of a line: poll(2)
 * in loop.c finds the pipe readable, on_readable() reads, flush_lines()
 * cuts, emit() hands each line to fm_action_log().
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loop.h"
#include "sha256.h"
#include "stream.h"

// What is read at most after the child ended, per stream: a grandchild may
// keep writing, and the run must end.
#define DRAIN_MAX (1024 * 1024)

static void emit(struct fm_action *action, enum fm_log_level level,
	const char *p, size_t len)
{
	if (len > 0 && p[len - 1] == '\r') {
		len--;
	}
	// The log escapes control characters: none can forge or garble a line.
	fm_action_log(action, level, "%.*s", (int)len, p);
}

// Where to cut a full buffer so that no UTF-8 sequence is split.
static size_t cut_point(const char *buf, size_t len)
{
	size_t i = len, back = 0, need;
	unsigned char lead;

	while (i > 0 && back < 3 && ((unsigned char)buf[i - 1] & 0xc0) == 0x80) {
		i--;
		back++;
	}
	if (i <= 1) {
		return len;
	}
	lead = (unsigned char)buf[i - 1];
	need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
	return need > back + 1 ? i - 1 : len;
}

// Logs the complete lines held; a full buffer, or with all anything left,
// goes out as a line of its own.
static void flush_lines(struct fm_stream *s, bool all)
{
	size_t start = 0, cut;
	char *nl;

	while ((nl = memchr(s->buf + start, '\n', s->len - start))) {
		emit(s->action, s->level, s->buf + start,
			(size_t)(nl - s->buf) - start);
		start = (size_t)(nl - s->buf) + 1;
	}
	memmove(s->buf, s->buf + start, s->len - start);
	s->len -= start;
	if (s->len == sizeof(s->buf) || (all && s->len > 0)) {
		cut = all ? s->len : cut_point(s->buf, s->len);
		emit(s->action, s->level, s->buf, cut);
		memmove(s->buf, s->buf + cut, s->len - cut);
		s->len -= cut;
	}
}

/*
 * Relaying to flagman's stdout must never make the loop wait.  A socket
 * (journald's, under systemd) takes send(MSG_DONTWAIT); a regular file
 * never makes a writer wait; a pipe or a terminal gets a descriptor of our
 * own, opened anew through /proc with O_NONBLOCK (setting it on descriptor
 * 1 would change it for every process sharing it), or, failing that, is
 * polled before each write of at most PIPE_BUF bytes.  What finds no room
 * is dropped, and counted for one warning per run.
 */
enum relay_how { HOW_UNKNOWN, HOW_SEND, HOW_WRITE, HOW_POLL };
static enum relay_how how;
static int relay_fd = STDOUT_FILENO;

static void relay_check(void)
{
	struct stat st;
	int fd;

	how = HOW_POLL;
	if (fstat(STDOUT_FILENO, &st) < 0) {
		return;
	}
	if (S_ISSOCK(st.st_mode)) {
		how = HOW_SEND;
	} else if (S_ISREG(st.st_mode)) {
		how = HOW_WRITE;
	} else if ((fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK |
			O_CLOEXEC | O_NOCTTY)) >= 0) {
		relay_fd = fd;
		how = HOW_WRITE;
	}
}

static ssize_t relay_some(const char *p, size_t n)
{
	struct pollfd pfd = { .fd = STDOUT_FILENO, .events = POLLOUT };

	switch (how) {
	case HOW_SEND:
		return send(STDOUT_FILENO, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	case HOW_WRITE:
		return write(relay_fd, p, n);
	default:
		if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLOUT)) {
			errno = EAGAIN;
			return -1;
		}
		return write(STDOUT_FILENO, p, n < PIPE_BUF ? n : PIPE_BUF);
	}
}

static void relay(struct fm_stream *s, const char *p, size_t n)
{
	ssize_t w;

	if (how == HOW_UNKNOWN) {
		relay_check();
	}
	while (n > 0) {
		w = relay_some(p, n);
		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			s->drop_errno = w < 0 ? errno : EIO;
			s->dropped += n;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

enum pumped { MORE, WAIT, END };

static enum pumped pump(struct fm_stream *s)
{
	ssize_t n = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);

	if (n > 0) {
		if (s->digest) {
			fm_sha256_update(s->digest, s->buf + s->len, (size_t)n);
		}
		if (s->route == FM_STREAM_LOG) {
			s->len += (size_t)n;
			flush_lines(s, false);
		} else if (s->route == FM_STREAM_RELAY) {
			relay(s, s->buf, (size_t)n);
		}
		return MORE;
	}
	if (n < 0 && errno == EINTR) {
		return MORE;
	}
	return n < 0 && errno == EAGAIN ? WAIT : END;
}

// Reads what is there and logs complete lines; closes at EOF.
static void on_readable(void *owner, int fd, short revents)
{
	struct fm_stream *s = owner;
	enum pumped r = MORE;

	(void)fd;
	(void)revents;
	// A few reads per wake-up: a chatty child must not starve the loop.
	for (int i = 0; s->fd >= 0 && i < 8 && r == MORE; i++) {
		r = pump(s);
	}
	if (r == END) {
		fm_stream_close(s);
	}
}

bool fm_stream_open(struct fm_action *action, struct fm_stream *s,
	enum fm_log_level level, int *write_end)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0) {
		return false;
	}
	// Only flagman's end is non-blocking; the child writes as usual.
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	*s = (struct fm_stream){ .action = action, .fd = p[0], .level = level };
	s->src = fm_loop_add_io(fm_action_loop(action), p[0], POLLIN,
		on_readable, s);
	if (!s->src) {
		close(p[0]);
		close(p[1]);
		s->fd = -1;
		errno = ENOMEM;
		return false;
	}
	*write_end = p[1];
	return true;
}

void fm_stream_drain(struct fm_stream *s)
{
	size_t total = 0;

	while (s->fd >= 0 && total < DRAIN_MAX && pump(s) == MORE) {
		total += sizeof(s->buf);
	}
	fm_stream_close(s);
}

void fm_stream_close(struct fm_stream *s)
{
	if (s->fd < 0) {
		return;
	}
	flush_lines(s, true);
	if (s->dropped) {
		fm_action_log(s->action, FM_LOG_WARNING, "%zu bytes of the "
			"program's output could not go to flagman's standard output "
			"(%s) and were dropped", s->dropped, s->drop_errno == EAGAIN ||
			s->drop_errno == EWOULDBLOCK ? "it would block" :
			strerror(s->drop_errno));
		s->dropped = 0;
	}
	fm_source_free(s->src);
	s->src = NULL;
	close(s->fd);
	s->fd = -1;
	s->len = 0;
}
