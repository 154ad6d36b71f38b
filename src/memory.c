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

// Is something wrong with the directory st (at path)?  Then true, with
// the message in err.
static bool dir_problem(const struct fm_safe *s, const struct stat *st,
	const char *path, char *err, size_t errlen)
{
	char who[32];
	uid_t ctl;

	if (!S_ISDIR(st->st_mode)) {
		snprintf(err, errlen, "%s is not a directory", path);
	} else if (st->st_uid != geteuid() || (st->st_mode & (S_IWGRP |
			S_IWOTH))) {
		snprintf(err, errlen, "refusing %s: owned by uid %u with mode %04o "
			"(must be owned by uid %u, flagman's user, and not writable "
			"by group or others: chown %u %s and chmod go-w %s)", path,
			(unsigned)st->st_uid, (unsigned)(st->st_mode & 07777),
			(unsigned)geteuid(), (unsigned)geteuid(), path, path);
	} else if ((ctl = fm_safe_slot(s, st)) != 0) {
		snprintf(err, errlen, "refusing %s: %s can replace it; every "
			"directory on its path must be owned by root (or flagman's "
			"user) and not writable by group or others", path,
			fm_safe_who(ctl, who, sizeof(who)));
	} else {
		return false;
	}
	return true;
}

// Opens the directory s names, creating it if asked: a descriptor, or
// -errno with err set (-ENOENT unset: missing and not created).
static int open_dir(struct fm_safe *s, const char *path, bool create,
	char *err, size_t errlen)
{
	int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	bool made = false;
	struct stat st;
	int fd = openat(s->dirfd, s->name, flags);

	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(s->dirfd, s->name, 0755) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", path,
				strerror(errno));
			return -EPERM;
		}
		made = true;
		fd = openat(s->dirfd, s->name, flags);
	}
	if (fd < 0 && errno == ENOENT && !create) {
		// What flagman would create: is the directory above fit for it?
		st = (struct stat){ .st_mode = S_IFDIR | 0755, .st_uid = geteuid(),
			.st_gid = getegid() };
		return dir_problem(s, &st, path, err, errlen) ? -EPERM : -ENOENT;
	}
	if (fd < 0) {
		int r = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return r == -ENOTDIR || r == -ELOOP ? -EPERM : r;
	}
	if (fstat(fd, &st) < 0 || dir_problem(s, &st, path, err, errlen)) {
		close(fd);
		if (made) {
			unlinkat(s->dirfd, s->name, AT_REMOVEDIR);
		}
		return -EPERM;
	}
	return fd;
}

bool fm_memory_open_dir(struct fm_config *cfg, bool create,
	struct fm_diag *diag)
{
	const struct fm_setting *set = fm_config_get(cfg, NULL,
		"state_directory");
	const char *path = cfg->state_directory;
	struct fm_safe s;
	char err[3 * PATH_MAX];
	int r;

	if (!path || cfg->state_dirfd >= 0) {
		return true;
	}
	r = fm_safe_walk(path, true, &s, err, sizeof(err));
	if (r >= 0) {
		r = open_dir(&s, path, create, err, sizeof(err));
		fm_safe_finish(&s);
	}
	if (r == -ENOENT && !create) {
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
