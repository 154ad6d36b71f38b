/*
 * A child's stdout or stderr, read line by line into flagman's log.  The
 * stream is the loop's source for its pipe, so a line goes from the pipe
 * through stream.c's on_readable() straight to fm_action_log().  Private
 * to actions/.
 */
#ifndef FM_ACTIONS_STREAM_H
#define FM_ACTIONS_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "flagman/action.h"

/* Longer lines are logged in pieces (never inside a UTF-8 sequence). */
#define FM_STREAM_CHUNK 900

struct fm_source;
struct fm_sha256;

/* Where the bytes go. */
enum fm_stream_route {
	FM_STREAM_LOG,     /* line by line to the log (the default) */
	FM_STREAM_RELAY,   /* as they are to flagman's stdout, never blocking */
	FM_STREAM_DISCARD, /* nowhere */
};

struct fm_stream {
	struct fm_action *action; /* whose log lines these are */
	struct fm_source *src;    /* the loop's watch of fd */
	int fd; /* flagman's end; -1: closed */
	enum fm_log_level level;
	/* Set after fm_stream_open, before the child writes: */
	enum fm_stream_route route;
	struct fm_sha256 *digest; /* when set, every byte read is hashed */
	size_t dropped; /* relayed bytes that found no room, this run */
	int drop_errno;
	size_t len;
	char buf[FM_STREAM_CHUNK];
};

/*
 * Creates a pipe, has the loop watch its non-blocking read end, and stores
 * the (blocking) write end, for the child, in *write_end.  Lines are logged
 * as action's at level, unless route says otherwise.  s must not move
 * while open.  false with errno.
 */
bool fm_stream_open(struct fm_action *action, struct fm_stream *s,
	enum fm_log_level level, int *write_end);
/* After the child ended: reads what it left (bounded), then closes. */
void fm_stream_drain(struct fm_stream *s);
/* Logs a partial last line (and, once, what a relay dropped), stops
 * watching and closes; no-op if closed. */
void fm_stream_close(struct fm_stream *s);

#endif
