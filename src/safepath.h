/*
 * Path walking for a daemon that runs as root among files that other users
 * own: which user could decide what a path names.  See safepath.c.
 */
#ifndef FM_SAFEPATH_H
#define FM_SAFEPATH_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* "More than one user": a directory writable by group or others. */
#define FM_SAFE_ANYONE ((uid_t)-1)

struct fm_safe {
	int dirfd;               /* O_PATH descriptor of the final directory */
	struct stat dir;         /* its status */
	uid_t link_uid;          /* owner of the symlink that named the final
	                          * component (fm_safe_owner), 0 if none did */
	char name[NAME_MAX + 1]; /* the final component, "." for "/" */
	char path[PATH_MAX];     /* the directory as resolved, for messages */
	char shown[PATH_MAX];    /* path/name */
	char link[PATH_MAX];     /* the symlink behind link_uid */
};

/*
 * Walks path (a relative one from the working directory) one component at a
 * time with O_PATH|O_NOFOLLOW, resolving symlinks itself (at most 32), and
 * refuses an unsafe transition: a step from something a non-root user
 * controls (a directory, or a symlink it owns) to an entry owned by anyone
 * else.  The final component is looked up only when follow is set and it is
 * a symlink (which is then resolved); otherwise it is left for the caller to
 * open relative to s->dirfd, so nothing can be swapped between the checks
 * and the open.  Returns 0 (then fm_safe_finish(s) closes the descriptor),
 * or a negative errno with a message naming the path in err; -EPERM is a
 * refusal by the rules above.
 */
int fm_safe_walk(const char *path, bool follow, struct fm_safe *s,
	char *err, size_t errlen);
void fm_safe_finish(struct fm_safe *s);

/* The owner of st, with flagman's own user (when not root) counted as
 * root: 0 for both. */
uid_t fm_safe_owner(const struct stat *st);
/* Who can replace the entry with status st in s's directory, or make the
 * path name something else: 0 (root alone), a uid, or FM_SAFE_ANYONE. */
uid_t fm_safe_slot(const struct fm_safe *s, const struct stat *st);
/* Who can change what that entry holds: as fm_safe_slot, and its owner,
 * and anyone if it is writable by group or others. */
uid_t fm_safe_writer(const struct fm_safe *s, const struct stat *st);
/* Describes uid as "uid N", or "group or others" for FM_SAFE_ANYONE. */
const char *fm_safe_who(uid_t uid, char *buf, size_t size);

/*
 * As root: true if the file with status st, opened as s->name (s may be
 * NULL: the file alone), is owned by root, not writable by group or others,
 * and no one else can replace it.  Else false with a message that says what
 * to do.  Not root: true.
 */
bool fm_safe_trusted(const struct fm_safe *s, const struct stat *st,
	const char *path, char *err, size_t errlen);

/*
 * Checks that a descriptor (a plug-in being loaded) is root's alone: its
 * resolved path (/proc/self/fd/N) is walked again and every directory on it
 * must be root's alone, ending at the same file.  false with a message.
 */
bool fm_safe_fd_chain(int fd, char *err, size_t errlen);

/*
 * Opens the directory at path that flagman writes into (its state or its
 * runtime directory), created with mode 0755 when create is set and it is
 * missing.  It must be owned by flagman's user and not writable by group
 * or others, and no other user may be able to replace it (every directory
 * on its path is walked as by fm_safe_walk).  A descriptor, or a negative
 * errno with a message in err that says what to do; -ENOENT with err
 * empty when it is missing, create is not set, and the directories above
 * would do for it.
 */
int fm_safe_own_dir(const char *path, bool create, char *err, size_t errlen);

#endif
