/*
 * What exec's on_unchanged = stop remembers of an action's last run (its
 * exit status and the SHA-256 of its standard output), and its record in
 * [flagman] state_directory, which carries it across a restart.  The
 * daemon opens and checks the directory when it loads a configuration;
 * actions/exec.c loads a record at set-up and saves one after a run that
 * changed it.  Private to the daemon (not part of flagman/action.h).
 */
#ifndef FM_MEMORY_H
#define FM_MEMORY_H

#include <stdbool.h>

#include "sha256.h"

struct fm_action;
struct fm_config;
struct fm_diag;

struct fm_memory {
	bool known;  /* false: nothing remembered, the next run is a change */
	int status;  /* exit status, 0..255 */
	unsigned char digest[FM_SHA256_SIZE]; /* of the standard output */
};

/* The first line of a record; the number is its format's version. */
#define FM_MEMORY_MAGIC "flagman on_unchanged record 1"

/*
 * Opens cfg->state_directory (when set) into cfg->state_dirfd, checking
 * that it is a directory owned by flagman's user, not writable by group
 * or others, and that no other user can replace it (src/safepath.c).  A
 * missing directory is created (mode 0755) when create is set; else only
 * the directories above it are checked.  false, with the problem at the
 * key's place in diag.
 */
bool fm_memory_open_dir(struct fm_config *cfg, bool create,
	struct fm_diag *diag);

/* The record of action a, if the state directory of its configuration
 * (a->cfg) holds one that belongs
 * to its current definition; else m is left unknown (and a foreign or
 * corrupt record is logged). */
void fm_memory_load(const struct fm_action *a, struct fm_memory *m);

/* Writes m as a's record, atomically; a failure is logged, nothing more. */
void fm_memory_save(const struct fm_action *a, const struct fm_memory *m);

#endif
