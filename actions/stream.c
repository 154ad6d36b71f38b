/*
 * A child's stdout or stderr, read from a pipe line by line into flagman's
 * log, tagged with the action; see stream.h.  The route of a line: poll(2)
 * in loop.c finds the pipe readable, on_readable() reads, flush_lines()
 * cuts, emit() hands each line to fm_action_log().
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
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

enum pumped { MORE, WAIT, END };

static enum pumped pump(struct fm_stream *s)
{
	ssize_t n = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);

	if (n > 0) {
		s->len += (size_t)n;
		flush_lines(s, false);
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
	fm_source_free(s->src);
	s->src = NULL;
	close(s->fd);
	s->fd = -1;
	s->len = 0;
}
