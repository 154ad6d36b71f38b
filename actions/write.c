/*
 * write: writes a fixed content to a file or a FIFO, truncating or
 * appending.  Never blocks: the open and the writes are non-blocking, so a
 * FIFO without a reader, or one whose reader stalls, is a logged failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flagman/action.h"

struct writer {
	char *path;
	char *content; /* as written, with \n, \t and \\ escapes */
	bool append;
	char *data;    /* content with the escapes resolved, from set_up */
	size_t len;
};

/*
 * Resolves the escapes of text into out (which may be NULL to only check);
 * returns the length, or -1 with err set.
 */
static long unescape(const char *text, char *out, char *err, size_t errlen)
{
	long len = 0;

	for (const char *p = text; *p; p++) {
		char c = *p;

		if (c == '\\') {
			switch (*++p) {
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case '\\':
				c = '\\';
				break;
			case '\0':
				snprintf(err, errlen, "'content' ends with a lone "
					"backslash (write \\\\ for one)");
				return -1;
			default:
				snprintf(err, errlen, "unknown escape '\\%c' in 'content' "
					"(use \\n, \\t or \\\\)", *p);
				return -1;
			}
		}
		if (out) {
			out[len] = c;
		}
		len++;
	}
	return len;
}

static void write_validate(const void *state, struct fm_check *check)
{
	const struct writer *w = state;
	char err[128];

	if (w->content && unescape(w->content, NULL, err, sizeof(err)) < 0) {
		fm_check_error(check, "content", "%s", err);
	}
}

static int write_set_up(struct fm_action *action, void *state)
{
	struct writer *w = state;
	char err[128];
	long len = unescape(w->content, NULL, err, sizeof(err));

	if (len < 0) {
		fm_action_log(action, FM_LOG_ERROR, "%s", err);
		return -EINVAL;
	}
	if (!(w->data = malloc((size_t)len + 1))) {
		fm_action_log(action, FM_LOG_ERROR, "out of memory");
		return -ENOMEM;
	}
	unescape(w->content, w->data, err, sizeof(err));
	w->len = (size_t)len;
	return 0;
}

static int write_run(struct fm_action *action, void *state,
	const struct fm_run *run)
{
	struct writer *w = state;
	int flags = O_WRONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC | O_NOCTTY |
		(w->append ? O_APPEND : O_TRUNC);
	size_t done = 0;
	int fd;

	(void)run;
	fd = open(w->path, flags, 0644);
	if (fd < 0) {
		fm_action_log(action, FM_LOG_WARNING, "cannot open %s: %s%s",
			w->path, strerror(errno), errno == ENXIO ?
			" (a FIFO that nobody reads?)" : "");
		return FM_RESULT_FAILED;
	}
	while (done < w->len) {
		ssize_t n = write(fd, w->data + done, w->len - done);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			fm_action_log(action, FM_LOG_WARNING, "cannot write to %s "
				"(%zu of %zu bytes written): %s%s", w->path, done, w->len,
				strerror(errno), errno == EAGAIN ?
				" (its reader is not keeping up)" : "");
			close(fd);
			return FM_RESULT_FAILED;
		}
		done += (size_t)n;
	}
	if (close(fd) < 0 && errno != EINTR) {
		fm_action_log(action, FM_LOG_WARNING, "cannot write to %s: %s",
			w->path, strerror(errno));
		return FM_RESULT_FAILED;
	}
	return FM_RESULT_OK;
}

static void write_tear_down(struct fm_action *action, void *state)
{
	struct writer *w = state;

	(void)action;
	free(w->data);
	w->data = NULL;
}

static const struct fm_arg_spec write_args[] = {
	{ "path", FM_ARG_PATH, .required = true,
		.offset = offsetof(struct writer, path),
		.help = "the file or FIFO to write to" },
	{ "content", FM_ARG_STRING, .required = true,
		.offset = offsetof(struct writer, content),
		.help = "what to write; \\n, \\t and \\\\ are escapes" },
	{ "append", FM_ARG_BOOL, .default_value = "no",
		.offset = offsetof(struct writer, append),
		.help = "append instead of truncating" },
	{ 0 },
};

const struct fm_action_type fm_action_write = {
	.abi = FM_ACTION_ABI,
	.name = "write",
	.description = "Writes content to a file or a FIFO without blocking; "
		"a FIFO nobody reads is a failure.",
	.args = write_args,
	.state_size = sizeof(struct writer),
	.validate = write_validate,
	.set_up = write_set_up,
	.run = write_run,
	.tear_down = write_tear_down,
};
