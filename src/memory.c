/*
 * on_unchanged's memory on disk: the state directory, checked and opened
 * once per configuration, and one record per action in it, read at
 * set-up and replaced atomically after a run that changed it.  See
 * memory.h.  Every file is opened relative to the directory's descriptor
 * and never through a symlink.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actionset.h"
#include "config.h"
#include "diag.h"
#include "memory.h"
#include "safepath.h"

// Longer escaped names become "%%" and the SHA-256 of the name.
#define NAME_KEEP 200
#define RECORD_MAX 512

/* ---- the directory ---- */

bool fm_memory_open_dir(struct fm_config *cfg, bool create,
	struct fm_diag *diag)
{
	const struct fm_setting *set = fm_config_get(cfg, NULL,
		"state_directory");
	char err[3 * PATH_MAX];
	int r;

	if (!cfg->state_directory || cfg->state_dirfd >= 0) {
		return true;
	}
	r = fm_safe_own_dir(cfg->state_directory, create, err, sizeof(err));
	if (r == -ENOENT && !err[0]) {
		return true; // created when flagman starts
	}
	if (r < 0) {
		fm_config_error(cfg, diag, set ? set->file : NULL,
			set ? set->line : 0, "[flagman]: state_directory: %s", err);
		return false;
	}
	cfg->state_dirfd = r;
	return true;
}

/* ---- records ---- */

// The record's file name for an action name: letters, digits, '_', '-'
// and a '.' that does not lead are kept, every other byte is %XX.
static void record_name(const char *action, char *out, size_t size)
{
	static const char keep[] = "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
	unsigned char d[FM_SHA256_SIZE];
	char hex[FM_SHA256_HEX];
	size_t len = 0;

	for (const char *p = action; *p && len <= NAME_KEEP; p++) {
		if (strchr(keep, *p) || (*p == '.' && p != action)) {
			out[len++] = *p;
		} else {
			len += (size_t)snprintf(out + len, 4, "%%%02X",
				(unsigned char)*p);
		}
	}
	out[len] = '\0';
	if (len > NAME_KEEP) {
		fm_sha256(action, strlen(action), d);
		fm_sha256_hex(d, hex);
		snprintf(out, size, "%%%%%s", hex);
	}
}

// The fingerprint of a's definition, in hexadecimal.
static void fingerprint(const struct fm_action *a, char hex[FM_SHA256_HEX])
{
	unsigned char d[FM_SHA256_SIZE];

	fm_sha256(a->canon, strlen(a->canon), d);
	fm_sha256_hex(d, hex);
}

static int format(const struct fm_action *a, const struct fm_memory *m,
	char *buf, size_t size)
{
	char def[FM_SHA256_HEX], out[FM_SHA256_HEX];

	fingerprint(a, def);
	fm_sha256_hex(m->digest, out);
	return snprintf(buf, size, FM_MEMORY_MAGIC "\ndefinition %s\n"
		"status %d\noutput %s\n", def, m->status, out);
}

// Reads the record file, at most size - 1 bytes; false with why.
static bool read_record(int dir_fd, const char *name, char *buf,
	size_t size, const char **why)
{
	int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
		O_NONBLOCK | O_NOCTTY);
	struct stat st;
	ssize_t n = -1;

	*why = NULL;
	if (fd < 0) {
		*why = errno == ENOENT ? NULL : strerror(errno);
		return false;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*why = "not a regular file";
	} else if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP |
			S_IWOTH))) {
		*why = "not owned by flagman's user alone";
	} else if ((n = read(fd, buf, size - 1)) < 0) {
		*why = strerror(errno);
	}
	close(fd);
	if (*why) {
		return false;
	}
	buf[n] = '\0';
	return true;
}

void fm_memory_load(const struct fm_action *a, struct fm_memory *m)
{
	char name[NAME_MAX + 1], buf[RECORD_MAX], want[RECORD_MAX];
	char def[FM_SHA256_HEX], out[FM_SHA256_HEX], tail;
	const char *why;
	unsigned byte;
	int status;

	const char *dir_path = a->cfg->state_directory;

	*m = (struct fm_memory){ 0 };
	if (a->cfg->state_dirfd < 0) {
		return;
	}
	record_name(a->name, name, sizeof(name));
	if (!read_record(a->cfg->state_dirfd, name, buf, sizeof(buf), &why)) {
		if (why) {
			fm_log(FM_LOG_WARNING, a->name, NULL, "ignoring the record "
				"%s/%s: %s; the first run counts as a change", dir_path,
				name, why);
		}
		return;
	}
	// Parsed loosely, then written back: only the exact text is a record.
	if (sscanf(buf, FM_MEMORY_MAGIC "\ndefinition %64s\nstatus %d\n"
			"output %64s%c", def, &status, out, &tail) != 4 ||
			status < 0 || status > 255 || strlen(out) != 64) {
		goto corrupt;
	}
	for (int i = 0; i < FM_SHA256_SIZE; i++) {
		if (sscanf(out + 2 * i, "%2x", &byte) != 1) {
			goto corrupt;
		}
		m->digest[i] = (unsigned char)byte;
	}
	m->status = status;
	format(a, m, want, sizeof(want));
	fingerprint(a, out);
	if (strcmp(def, out) != 0) {
		fm_log(FM_LOG_INFO, a->name, NULL, "the record %s/%s is of another "
			"definition of the action; the first run counts as a change",
			dir_path, name);
		*m = (struct fm_memory){ 0 };
		return;
	}
	if (strcmp(buf, want) != 0) {
		goto corrupt;
	}
	m->known = true;
	return;
corrupt:
	*m = (struct fm_memory){ 0 };
	fm_log(FM_LOG_WARNING, a->name, NULL, "ignoring the record %s/%s: not "
		"a record flagman wrote; the first run counts as a change",
		dir_path, name);
}

// Creates the temporary file, replacing a leftover of an earlier crash.
static int create_temp(int dir_fd, const char *tmp)
{
	int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(dir_fd, tmp, flags, 0644);

	if (fd < 0 && errno == EEXIST && unlinkat(dir_fd, tmp, 0) == 0) {
		fd = openat(dir_fd, tmp, flags, 0644);
	}
	return fd;
}

void fm_memory_save(const struct fm_action *a, const struct fm_memory *m)
{
	char name[NAME_MAX + 1], tmp[NAME_MAX + 8], buf[RECORD_MAX];
	const char *dir_path = a->cfg->state_directory;
	int dir_fd = a->cfg->state_dirfd, len, fd, err = 0;

	if (dir_fd < 0 || !m->known) {
		return;
	}
	record_name(a->name, name, sizeof(name));
	// A record's name never starts with '.': the two cannot meet.
	snprintf(tmp, sizeof(tmp), ".tmp-%s", name);
	len = format(a, m, buf, sizeof(buf));
	if ((fd = create_temp(dir_fd, tmp)) < 0) {
		err = errno;
	} else {
		errno = 0;
		if (write(fd, buf, (size_t)len) != len) {
			err = errno ? errno : EIO;
		}
		if (close(fd) < 0 && !err) {
			err = errno;
		}
		if (!err && renameat(dir_fd, tmp, dir_fd, name) < 0) {
			err = errno;
		}
		if (err) {
			unlinkat(dir_fd, tmp, 0);
		}
	}
	if (err) {
		fm_action_log(a, FM_LOG_WARNING, "cannot write "
			"the record %s/%s: %s; the memory is kept until flagman stops",
			dir_path, name, strerror(err));
	}
}
