/*
 * Safe paths: flagman runs as root, and the paths it is given (a write
 * target, a pidfile, a plug-in, a configuration file) may lead through
 * directories other users own.  Nothing those users can change may decide
 * which file root writes, which code it loads or which process it signals.
 *
 * The walker resolves a path itself, one component at a time with
 * openat(O_PATH|O_NOFOLLOW), reading symlinks and splicing their targets in,
 * and keeps a descriptor of the directory it stands in, so the caller opens
 * the final component relative to exactly the directory that was checked.
 * At each step it asks who could have put the entry there (the directory's
 * owner; anyone if the directory is writable by group or others without the
 * sticky bit; in a sticky directory only the directory's and the entry's
 * owners; and the owner of a symlink that led here) and refuses the step
 * when that is a non-root user and the entry belongs to someone else: the
 * "unsafe path transition" of systemd-tmpfiles.  flagman's own user counts
 * as root does (when not root, it cannot be tricked by itself).  A step
 * from root's directory to a user's is fine (it only gives control away),
 * so control, once given to a user, stays with that user or the walk is
 * refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "safepath.h"

#define MAX_LINKS 32

uid_t fm_safe_owner(const struct stat *st)
{
	return st->st_uid == geteuid() ? 0 : st->st_uid;
}

// Two users' control together: root adds nothing; two different users make
// "anyone".
static uid_t combine(uid_t a, uid_t b)
{
	if (a == 0 || a == b) {
		return b;
	}
	return b == 0 ? a : FM_SAFE_ANYONE;
}

// Who can replace entry e of directory d.
static uid_t slot_owner(const struct stat *d, const struct stat *e)
{
	if (!(d->st_mode & (S_IWGRP | S_IWOTH))) {
		return fm_safe_owner(d);
	}
	if (!(d->st_mode & S_ISVTX)) {
		return FM_SAFE_ANYONE;
	}
	// Sticky: only the directory's and the entry's owners may rename it.
	return combine(fm_safe_owner(d), fm_safe_owner(e));
}

uid_t fm_safe_slot(const struct fm_safe *s, const struct stat *st)
{
	return combine(slot_owner(&s->dir, st), s->link_uid);
}

uid_t fm_safe_writer(const struct fm_safe *s, const struct stat *st)
{
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		return FM_SAFE_ANYONE;
	}
	return combine(fm_safe_slot(s, st), fm_safe_owner(st));
}

const char *fm_safe_who(uid_t uid, char *buf, size_t size)
{
	if (uid == FM_SAFE_ANYONE) {
		return "group or others";
	}
	snprintf(buf, size, "uid %u", (unsigned)uid);
	return buf;
}

// "DIR/NAME" into out, "/NAME" at the root; false if it does not fit.
static bool join(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);

	return n >= 0 && (size_t)n < size;
}

// The refusal of a step to what (with status st).
static int unsafe(const struct fm_safe *s, const char *what,
	const struct stat *st, uid_t ctl, char *err, size_t errlen)
{
	char who[32];

	if (s->link_uid != 0) {
		snprintf(err, errlen, "unsafe path transition from %s (a symlink "
			"owned by uid %u) to %s (owned by uid %u)", s->link,
			(unsigned)s->link_uid, what, (unsigned)st->st_uid);
	} else {
		snprintf(err, errlen, "unsafe path transition from %s (which %s "
			"can change) to %s (owned by uid %u)", *s->path ? s->path : "/",
			fm_safe_who(ctl, who, sizeof(who)), what,
			(unsigned)st->st_uid);
	}
	return -EPERM;
}

static int failed(const char *what, int err, char *buf, size_t size)
{
	snprintf(buf, size, "%s: %s", *what ? what : "/", strerror(err));
	return -err;
}

// Stands in directory fd (taken over) with status st.
static void enter(struct fm_safe *s, int fd, const struct stat *st)
{
	if (s->dirfd >= 0) {
		close(s->dirfd);
	}
	s->dirfd = fd;
	s->dir = *st;
	s->link_uid = 0;
}

// Goes to "/": where the walk starts and an absolute symlink leads.
static int enter_root(struct fm_safe *s, char *err, size_t errlen)
{
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0) {
			close(fd);
		}
		return failed("/", errno, err, errlen);
	}
	if (s->link_uid != 0 && fm_safe_owner(&st) != s->link_uid) {
		close(fd);
		return unsafe(s, "/", &st, s->link_uid, err, errlen);
	}
	enter(s, fd, &st);
	s->path[0] = '\0';
	return 0;
}

// "..": whoever controls where we stand, or the symlink that said "..",
// must own the parent too.
static int enter_parent(struct fm_safe *s, char *err, size_t errlen)
{
	int fd = openat(s->dirfd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	uid_t ctl = combine(fm_safe_owner(&s->dir), s->link_uid);
	char parent[PATH_MAX], *slash;
	struct stat st;

	snprintf(parent, sizeof(parent), "%s", s->path);
	if ((slash = strrchr(parent, '/'))) {
		*slash = '\0';
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0) {
			close(fd);
		}
		return failed(s->path, errno, err, errlen);
	}
	if (ctl != 0 && fm_safe_owner(&st) != ctl) {
		close(fd);
		return unsafe(s, *parent ? parent : "/", &st, ctl, err, errlen);
	}
	enter(s, fd, &st);
	memcpy(s->path, parent, sizeof(parent));
	return 0;
}

/*
 * Takes the first component of rest into comp (rest keeps what follows);
 * *last when none follows.  0 when rest has no component left, 1 when one
 * was taken, -ENAMETOOLONG.
 */
static int pop(char *rest, char *comp, bool *last)
{
	char *p = rest + strspn(rest, "/");
	size_t len = strcspn(p, "/");

	if (len == 0) {
		return 0;
	}
	if (len > NAME_MAX) {
		return -ENAMETOOLONG;
	}
	memcpy(comp, p, len);
	comp[len] = '\0';
	p += len;
	memmove(rest, p, strlen(p) + 1);
	*last = rest[strspn(rest, "/")] == '\0';
	return 1;
}

// Puts the target of the symlink fd (owned by st) in front of rest.
static int follow_link(struct fm_safe *s, int fd, const struct stat *st,
	const char *shown, char *rest, size_t size, char *err, size_t errlen)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
	size_t tlen, rlen = strlen(rest);

	if (n <= 0) {
		return failed(shown, n < 0 ? errno : ENOENT, err, errlen);
	}
	target[n] = '\0';
	tlen = (size_t)n;
	if (tlen + 1 + rlen + 1 > size) {
		return failed(shown, ENAMETOOLONG, err, errlen);
	}
	memmove(rest + tlen + 1, rest, rlen + 1);
	memcpy(rest, target, tlen);
	rest[tlen] = '/';
	s->link_uid = fm_safe_owner(st);
	snprintf(s->link, sizeof(s->link), "%s", shown);
	return target[0] == '/' ? enter_root(s, err, errlen) : 0;
}

/*
 * One step to comp: 1 when the walk goes on (into a directory, or along a
 * symlink), 0 when comp is the final component to leave to the caller.
 */
static int step(struct fm_safe *s, const char *comp, bool last, char *rest,
	size_t size, unsigned *links, char *err, size_t errlen)
{
	int fd = openat(s->dirfd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	char shown[PATH_MAX];
	struct stat st;
	uid_t ctl;
	int r;

	if (!join(shown, sizeof(shown), s->path, comp)) {
		r = failed(s->path, ENAMETOOLONG, err, errlen);
		goto out;
	}
	if (fd < 0 && errno == ENOENT && last) {
		return 0;
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = failed(shown, errno, err, errlen);
		goto out;
	}
	if (last && !S_ISLNK(st.st_mode)) {
		r = 0;
		goto out;
	}
	ctl = fm_safe_slot(s, &st);
	if (ctl != 0 && fm_safe_owner(&st) != ctl) {
		r = unsafe(s, shown, &st, ctl, err, errlen);
	} else if (S_ISLNK(st.st_mode)) {
		r = ++*links > MAX_LINKS ? failed(shown, ELOOP, err, errlen) :
			follow_link(s, fd, &st, shown, rest, size, err, errlen);
		r = r < 0 ? r : 1;
	} else if (!S_ISDIR(st.st_mode)) {
		r = failed(shown, ENOTDIR, err, errlen);
	} else {
		enter(s, fd, &st);
		snprintf(s->path, sizeof(s->path), "%s", shown);
		return 1;
	}
out:
	if (fd >= 0) {
		close(fd);
	}
	return r;
}

static int walk(const char *path, bool follow, struct fm_safe *s,
	char *rest, size_t size, char *err, size_t errlen)
{
	unsigned links = 0;
	bool last = true;
	int r;

	if ((r = enter_root(s, err, errlen)) < 0) {
		return r;
	}
	snprintf(s->name, sizeof(s->name), ".");
	while ((r = pop(rest, s->name, &last)) > 0) {
		if (strcmp(s->name, ".") == 0) {
			r = 1;
		} else if (strcmp(s->name, "..") == 0) {
			r = enter_parent(s, err, errlen);
			r = r < 0 ? r : 1;
		} else if (last && !follow) {
			r = 0;
		} else {
			r = step(s, s->name, last, rest, size, &links, err, errlen);
		}
		if (r <= 0) {
			break;
		}
		snprintf(s->name, sizeof(s->name), ".");
	}
	if (r == -ENAMETOOLONG) {
		return failed(path, ENAMETOOLONG, err, errlen);
	}
	return r;
}

int fm_safe_walk(const char *path, bool follow, struct fm_safe *s,
	char *err, size_t errlen)
{
	char rest[2 * PATH_MAX + 2];
	int r;

	memset(s, 0, sizeof(*s));
	s->dirfd = -1;
	if (path[0] == '/') {
		r = snprintf(rest, sizeof(rest), "%s", path);
	} else if (getcwd(rest, PATH_MAX)) {
		r = snprintf(rest + strlen(rest), sizeof(rest) - strlen(rest),
			"/%s", path);
	} else {
		return failed(".", errno, err, errlen);
	}
	if (r < 0 || (size_t)r >= sizeof(rest) - PATH_MAX) {
		return failed(path, ENAMETOOLONG, err, errlen);
	}
	r = walk(path, follow, s, rest, sizeof(rest), err, errlen);
	if (r < 0) {
		fm_safe_finish(s);
		return r;
	}
	if (!join(s->shown, sizeof(s->shown), s->path, s->name)) {
		fm_safe_finish(s);
		return failed(s->path, ENAMETOOLONG, err, errlen);
	}
	return 0;
}

void fm_safe_finish(struct fm_safe *s)
{
	if (s->dirfd >= 0) {
		close(s->dirfd);
		s->dirfd = -1;
	}
}

// What to do about a file only root should own and write.
static void hint(const struct stat *st, const char *path, char *buf,
	size_t size)
{
	if (st->st_uid == 0) {
		snprintf(buf, size, "chmod go-w %s", path);
	} else if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(buf, size, "chown root %s and chmod go-w %s, or run "
			"flagman as uid %u", path, path, (unsigned)st->st_uid);
	} else {
		snprintf(buf, size, "chown root %s, or run flagman as uid %u", path,
			(unsigned)st->st_uid);
	}
}

bool fm_safe_trusted(const struct fm_safe *s, const struct stat *st,
	const char *path, char *err, size_t errlen)
{
	const char *kind = S_ISDIR(st->st_mode) ? "directory" : "file";
	char what[2 * PATH_MAX + 64], who[32];
	uid_t ctl;

	if (geteuid() != 0) {
		return true;
	}
	if (st->st_uid != 0 || (st->st_mode & (S_IWGRP | S_IWOTH))) {
		hint(st, path, what, sizeof(what));
		snprintf(err, errlen, "refusing %s: owned by uid %u with mode %04o "
			"(must be owned by root and not writable by group or others: "
			"%s)", kind, (unsigned)st->st_uid,
			(unsigned)(st->st_mode & 07777), what);
		return false;
	}
	if (!s || (ctl = fm_safe_slot(s, st)) == 0) {
		return true;
	}
	if (s->link_uid != 0) {
		snprintf(what, sizeof(what), "it is reached through the symlink "
			"%s, owned by uid %u", s->link, (unsigned)s->link_uid);
	} else {
		snprintf(what, sizeof(what), "%s is owned by uid %u with mode %04o",
			*s->path ? s->path : "/", (unsigned)s->dir.st_uid,
			(unsigned)(s->dir.st_mode & 07777));
	}
	snprintf(err, errlen, "refusing %s: %s can replace it (%s); every "
		"directory on its path must be owned by root and not writable by "
		"group or others", kind, fm_safe_who(ctl, who, sizeof(who)), what);
	return false;
}

bool fm_safe_fd_chain(int fd, char *err, size_t errlen)
{
	char proc[64], real[PATH_MAX];
	struct stat want, got;
	struct fm_safe s;
	bool ok = false;
	ssize_t n;
	int entry;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if ((n = readlink(proc, real, sizeof(real) - 1)) < 0 ||
			fstat(fd, &want) < 0) {
		failed(proc, errno, err, errlen);
		return false;
	}
	real[n] = '\0';
	if (fm_safe_walk(real, false, &s, err, errlen) < 0) {
		return false;
	}
	entry = openat(s.dirfd, s.name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (entry < 0 || fstat(entry, &got) < 0) {
		failed(real, errno, err, errlen);
	} else if (got.st_dev != want.st_dev || got.st_ino != want.st_ino) {
		snprintf(err, errlen, "%s was replaced while it was checked", real);
	} else {
		ok = fm_safe_trusted(&s, &got, real, err, errlen);
	}
	if (entry >= 0) {
		close(entry);
	}
	fm_safe_finish(&s);
	return ok;
}

/* ---- directories flagman writes into ---- */

// Is something wrong with the directory st (at path)?  Then true, with
// the message in err.
static bool own_dir_problem(const struct fm_safe *s, const struct stat *st,
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

// Opens the directory s names, creating it if asked (see fm_safe_own_dir).
static int open_own_dir(struct fm_safe *s, const char *path, bool create,
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
		// What would be created: is the directory above fit for it?
		st = (struct stat){ .st_mode = S_IFDIR | 0755, .st_uid = geteuid(),
			.st_gid = getegid() };
		return own_dir_problem(s, &st, path, err, errlen) ? -EPERM :
			-ENOENT;
	}
	if (fd < 0) {
		int r = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return r == -ENOTDIR || r == -ELOOP ? -EPERM : r;
	}
	// 0755 whatever the umask: the runtime directory is read by adm.
	if ((made && fchmod(fd, 0755) < 0) || fstat(fd, &st) < 0 ||
			own_dir_problem(s, &st, path, err, errlen)) {
		if (err[0] == '\0') {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		}
		close(fd);
		if (made) {
			unlinkat(s->dirfd, s->name, AT_REMOVEDIR);
		}
		return -EPERM;
	}
	return fd;
}

int fm_safe_own_dir(const char *path, bool create, char *err, size_t errlen)
{
	struct fm_safe s;
	int r;

	err[0] = '\0';
	r = fm_safe_walk(path, true, &s, err, errlen);
	if (r >= 0) {
		r = open_own_dir(&s, path, create, err, errlen);
		fm_safe_finish(&s);
	}
	return r;
}
