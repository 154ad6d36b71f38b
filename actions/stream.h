/*
 * A child's stdout or stderr, read line by line into flagman's log.
 * Private to actions/.
 */
#ifndef FM_ACTIONS_STREAM_H
#define FM_ACTIONS_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "flagman/action.h"

/* Longer lines are logged in pieces (never inside a UTF-8 sequence). */
#define FM_STREAM_CHUNK 900

struct fm_stream {
	int fd; /* flagman's end; -1: closed */
	enum fm_log_level level;
	size_t len;
	char buf[FM_STREAM_CHUNK];
};

/*
 * Creates a pipe, watches its non-blocking read end for action and stores
 * the (blocking) write end, for the child, in *write_end.  false with errno.
 */
bool fm_stream_open(struct fm_action *action, struct fm_stream *s,
	enum fm_log_level level, int *write_end);
/* For on_fd: reads what is there and logs complete lines; closes at EOF. */
void fm_stream_read(struct fm_action *action, struct fm_stream *s);
/* After the child ended: reads what it left (bounded), then closes. */
void fm_stream_drain(struct fm_action *action, struct fm_stream *s);
/* Logs a partial last line, stops watching and closes; no-op if closed. */
void fm_stream_close(struct fm_action *action, struct fm_stream *s);

#endif
