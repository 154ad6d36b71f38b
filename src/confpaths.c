/*
 * Finding and opening the configuration's files: the main file, then the
 * *.conf files of its drop-in directory in name order (a symlink to
 * /dev/null masks one), each opened through the safe-path walk and, as
 * root, read only if only root can change it.  conffile.c reads each.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conffile.h"
#include "config.h"
#include "diag.h"
#include "log.h"
#include "safepath.h"

/*
 * Checks what was opened, fd (s->name in the directory the walk checked):
 * a regular file, and as root one that only root can change or replace.
 */
static FILE *check_file(struct fm_config *cfg, struct fm_diag *diag,
	const char *file, int fd, const struct fm_safe *s)
{
	char err[2 * PATH_MAX + 128];
	struct stat st;
	FILE *f;

	if (fstat(fd, &st) < 0) {
		fm_config_error(cfg, diag, file, 0, "cannot read: %s",
			strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		fm_config_error(cfg, diag, file, 0, "not a regular file%s",
			S_ISDIR(st.st_mode) ? " (a directory)" : "");
	} else if (!fm_safe_trusted(s, &st, file, err, sizeof(err))) {
		fm_config_error(cfg, diag, file, 0, "%s", err);
	} else if (!(f = fdopen(fd, "r"))) {
		fm_diag_oom(diag);
	} else {
		return f;
	}
	close(fd);
	return NULL;
}

/*
 * Opens path through the safe-path walk (src/safepath.c), with flags, the
 * final component relative to the directory that was checked: a
 * descriptor, or a negative errno (-EPERM: a refusal described in err).
 */
static int open_walked(const char *path, int flags, struct fm_safe *s,
	char *err, size_t errlen)
{
	int r = fm_safe_walk(path, true, s, err, errlen), fd;

	if (r < 0) {
		return r;
	}
	// O_NONBLOCK: a FIFO or a device must not hang the daemon here.
	fd = openat(s->dirfd, s->name, flags | O_CLOEXEC | O_NOCTTY |
		O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0) {
		r = -errno;
		fm_safe_finish(s);
		return r;
	}
	return fd;
}

// The message for a failed open_walked.
static void open_failed(struct fm_config *cfg, struct fm_diag *diag,
	const char *file, int r, const char *err, const char *kind)
{
	if (r == -EPERM && *err) {
		fm_config_error(cfg, diag, file, 0, "refusing %s: %s", kind, err);
	} else {
		fm_config_error(cfg, diag, file, 0, "cannot open: %s",
			strerror(-r));
	}
	cfg->incomplete = true;
}

static bool read_path(struct fm_config *cfg, const char *path, bool required,
	struct fm_diag *diag)
{
	char err[2 * PATH_MAX + 128] = "";
	struct fm_safe s;
	int fd = open_walked(path, O_RDONLY, &s, err, sizeof(err));
	const char *file;
	FILE *f;
	bool ok;

	if (fd == -ENOENT && !required) {
		return true;
	}
	if (!(file = fm_config_file(cfg, path))) {
		fm_diag_oom(diag);
		if (fd >= 0) {
			close(fd);
			fm_safe_finish(&s);
		}
		return false;
	}
	if (fd < 0) {
		open_failed(cfg, diag, file, fd, err, "file");
		return false;
	}
	f = check_file(cfg, diag, file, fd, &s);
	fm_safe_finish(&s);
	if (!f) {
		cfg->incomplete = true;
		return false;
	}
	ok = fm_config_read_file(cfg, file, f, diag);
	fclose(f);
	return ok;
}

static int visible(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int fm_dir_list(int fd, const char *suffix, struct dirent ***list)
{
	int n = scandirat(fd, ".", list, visible, by_name), kept = 0;
	size_t slen = strlen(suffix);

	for (int i = 0; i < n; i++) {
		struct dirent *e = (*list)[i];
		size_t len = strlen(e->d_name);

		if (len > slen && strcmp(e->d_name + len - slen, suffix) == 0) {
			(*list)[kept++] = e;
		} else {
			free(e);
		}
	}
	return n < 0 ? -1 : kept;
}

// A drop-in that is a symlink to /dev/null is masked.
static bool masked(int dirfd, const char *name)
{
	char target[16];
	ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);

	if (n < 0) {
		return false;
	}
	target[n] = '\0';
	return strcmp(target, "/dev/null") == 0;
}

/*
 * The directory itself: a descriptor of it, -ENOENT if there is none (that
 * is fine), or -1 after reporting why it cannot be used: as root, only a
 * directory that root alone can change or replace is read.
 */
static int dropin_dir_open(struct fm_config *cfg, struct fm_diag *diag,
	const char *dir)
{
	char err[2 * PATH_MAX + 128] = "";
	struct fm_safe s;
	int fd = open_walked(dir, O_RDONLY | O_DIRECTORY, &s, err, sizeof(err));
	const char *file;
	struct stat st;

	if (fd == -ENOENT || (fd < 0 && stat(dir, &st) < 0 && errno == ENOENT)) {
		return -ENOENT; // most systems have none: that needs no descriptor
	}
	if (!(file = fm_config_file(cfg, dir))) {
		fm_diag_oom(diag);
	} else if (fd == -ENOTDIR) {
		fm_config_error(cfg, diag, file, 0, "not a directory");
		cfg->incomplete = true;
	} else if (fd < 0) {
		open_failed(cfg, diag, file, fd, err, "directory");
	} else if (fstat(fd, &st) < 0) {
		open_failed(cfg, diag, file, -errno, err, "directory");
	} else if (!fm_safe_trusted(&s, &st, file, err, sizeof(err))) {
		fm_config_error(cfg, diag, file, 0, "%s", err);
		cfg->incomplete = true;
	} else {
		fm_safe_finish(&s);
		return fd;
	}
	if (fd >= 0) {
		close(fd);
		fm_safe_finish(&s);
	}
	return -1;
}

static bool read_dropins(struct fm_config *cfg, const char *dir,
	struct fm_diag *diag)
{
	struct dirent **list = NULL;
	int n, fd = dropin_dir_open(cfg, diag, dir);
	bool ok = true;

	if (fd < 0) {
		return fd == -ENOENT;
	}
	if ((n = fm_dir_list(fd, ".conf", &list)) < 0) {
		fm_config_error(cfg, diag, fm_config_file(cfg, dir), 0,
			"cannot read: %s", strerror(errno));
		cfg->incomplete = true;
		close(fd);
		return false;
	}
	for (int i = 0; i < n; i++) {
		char *path;
		if (asprintf(&path, "%s/%s", dir, list[i]->d_name) < 0) {
			fm_diag_oom(diag);
			ok = false;
		} else {
			if (masked(fd, list[i]->d_name)) {
				fm_log(FM_LOG_DEBUG, NULL, NULL, "%s is masked", path);
			} else {
				ok = read_path(cfg, path, true, diag) && ok;
			}
			free(path);
		}
		free(list[i]);
	}
	free(list);
	close(fd);
	return ok;
}

bool fm_config_read(struct fm_config *cfg, const char *path, bool required,
	struct fm_diag *diag)
{
	size_t len = strlen(path);
	char *dir;
	bool ok;

	ok = read_path(cfg, path, required, diag);
	if (len > 5 && strcmp(path + len - 5, ".conf") == 0) {
		len -= 5;
	}
	if (asprintf(&dir, "%.*s.d", (int)len, path) < 0) {
		fm_diag_oom(diag);
		return false;
	}
	ok = read_dropins(cfg, dir, diag) && ok;
	free(dir);
	return ok;
}
