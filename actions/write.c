/*
 * write: writes a fixed content to a file or a FIFO, truncating or
 * appending.  Never blocks: the open and the writes are non-blocking, so a
 * FIFO without a reader, or one whose reader stalls, is a logged failure.
 * The path is walked with the safe-path rules (src/safepath.c): the final
 * component is never followed if it is a symlink, and a file that another
 * user could have put in place (a hard link, or a file of someone other
 * than the directory's owner) is refused before anything is written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flagman/action.h"
#include "safepath.h"

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

// Why the file with status st, just opened in s's directory, must not be
// written; NULL if it may be.
static const char *refusal(const struct fm_safe *s, const struct stat *st,
	char *buf, size_t size)
{
	uid_t dir_who = s->dir.st_mode & (S_IWGRP | S_IWOTH) ? FM_SAFE_ANYONE :
		fm_safe_owner(&s->dir);
	uid_t ctl = fm_safe_slot(s, st);
	char who[32];

	// A hard link made by whoever can write the directory could be
	// another name of any file on the file system.
	if (dir_who != 0 && st->st_nlink > 1 && !S_ISDIR(st->st_mode)) {
		snprintf(buf, size, "it has %lu hard links, in a directory that %s "
			"can write", (unsigned long)st->st_nlink,
			fm_safe_who(dir_who, who, sizeof(who)));
		return buf;
	}
	// The user's own file, or the one this daemon made there.
	if (ctl == 0 || fm_safe_owner(st) == ctl || (s->link_uid == 0 &&
			fm_safe_owner(st) == 0)) {
		return NULL;
	}
	snprintf(buf, size, "it is owned by uid %u, in a directory that %s "
		"controls (unsafe path transition)", (unsigned)st->st_uid,
		fm_safe_who(ctl, who, sizeof(who)));
	return buf;
}

/*
 * Opens the target for writing without truncating it: a descriptor, or -1
 * after logging why not.  The final component is opened relative to the
 * directory the walk checked, never through a symlink, and checked on the
 * descriptor before anything is written.
 */
static int open_target(struct fm_action *action, const struct writer *w)
{
	int flags = O_WRONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC | O_NOCTTY |
		O_NOFOLLOW | (w->append ? O_APPEND : 0);
	char err[2 * PATH_MAX + 128];
	const char *why;
	struct fm_safe s;
	struct stat st;
	int fd, r;

	if ((r = fm_safe_walk(w->path, false, &s, err, sizeof(err))) < 0) {
		fm_action_log(action, FM_LOG_WARNING, "%s %s: %s", r == -EPERM ?
			"refusing to write" : "cannot open", w->path, r == -EPERM ?
			err : strerror(-r));
		return -1;
	}
	fd = openat(s.dirfd, s.name, flags, 0644);
	if (fd < 0 && errno == ELOOP) {
		fm_action_log(action, FM_LOG_WARNING, "refusing to write %s: it is "
			"a symbolic link, and write never follows one", w->path);
	} else if (fd < 0) {
		fm_action_log(action, FM_LOG_WARNING, "cannot open %s: %s%s",
			w->path, strerror(errno), errno == ENXIO ?
			" (a FIFO that nobody reads?)" : "");
	} else if (fstat(fd, &st) < 0) {
		fm_action_log(action, FM_LOG_WARNING, "cannot open %s: %s",
			w->path, strerror(errno));
	} else if ((why = refusal(&s, &st, err, sizeof(err)))) {
		fm_action_log(action, FM_LOG_WARNING, "refusing to write %s: %s",
			w->path, why);
	} else if (!w->append && S_ISREG(st.st_mode) && ftruncate(fd, 0) < 0) {
		fm_action_log(action, FM_LOG_WARNING, "cannot truncate %s: %s",
			w->path, strerror(errno));
	} else {
		fm_safe_finish(&s);
		return fd;
	}
	if (fd >= 0) {
		close(fd);
	}
	fm_safe_finish(&s);
	return -1;
}

static int write_run(struct fm_action *action, void *state,
	const struct fm_run *run)
{
	struct writer *w = state;
	size_t done = 0;
	int fd;

	(void)run;
	if ((fd = open_target(action, w)) < 0) {
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
