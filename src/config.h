/*
 * The configuration: what the files and the command line describe, and
 * its resolution into typed, validated action definitions (config.c
 * holds it, resolve.c resolves it, canon.c writes it out as text).
 */
#ifndef FM_CONFIG_H
#define FM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "flagman/action.h"
#include "signals.h"
#include "table.h"

struct fm_diag;
struct fm_registry;

enum fm_overlap { FM_OVERLAP_QUEUE, FM_OVERLAP_DROP };
/* "queue", "drop", NULL: the names of enum fm_overlap, in its order. */
extern const char *const fm_overlap_names[];

/* One key = value as written, with where it was written. */
struct fm_setting {
	char *key;
	char *value;
	const char *file; /* interned in the config's file list */
	unsigned line;
	bool bad; /* the value could not be read: reported, not to be parsed */
};

/* An action section: settings as written until fm_config_resolve() resolves
 * them into type, signals and a parsed state block. */
struct fm_def {
	char *name;
	char *label; /* for command-line actions: "--usr1 print", else NULL */
	const char *file; /* where the section was first opened */
	const char *last_file; /* where it was last opened: a second [name] */
	unsigned line;
	unsigned last_line;    /* in last_file is a duplicate */
	struct fm_setting *settings;
	size_t nsettings;

	/* Resolved by fm_config_resolve(): */
	const struct fm_action_type *type;
	fm_sigmask signals;
	int signo; /* a [signal:NAME] section (pacing.c): its signal; else 0 */
	void *state;  /* type->state_size bytes, values owned */
	char *canon;  /* canonical text, see fm_def_canon() */
	bool enabled;
};

struct fm_chunk;
struct fm_pace;

struct fm_config {
	/* [flagman]; each *_set says whether the file or CLI gave it */
	bool successful_empty;
	enum fm_overlap overlap;
	int reload_signal; /* 0: none */
	bool reload_signal_set;
	uint64_t stop_timeout_ms;
	int log_level;
	char *plugin_dir;
	char *state_directory; /* NULL: on_unchanged remembers in memory only */
	int state_dirfd; /* opened by fm_memory_open_dir(); -1: none */
	struct fm_setting *globals; /* [flagman] keys as written */
	size_t nglobals;

	struct fm_def *defs;
	size_t ndefs;
	/* The [signal:NAME] sections resolved, indexed by signal (pacing.h);
	 * NULL before fm_config_resolve(). */
	struct fm_pace *pace;

	/* The configuration modules' own (config.c and its readers): */
	struct fm_table def_index; /* name -> index in defs */
	struct fm_chunk *chunks; /* names, keys, values, settings: freed together */
	char **files; /* every file name read, for diagnostics */
	size_t nfiles;
	bool incomplete; /* a file could not be read: sections are not checked */
};

struct fm_config *fm_config_create(void);
void fm_config_destroy(struct fm_config *cfg);
/* Interns a file name; the pointer lives as long as cfg. */
const char *fm_config_file(struct fm_config *cfg, const char *path);
/* Opens (or, for an existing name, returns) an action section. */
struct fm_def *fm_config_def(struct fm_config *cfg, const char *name,
	const char *file, unsigned line);
struct fm_def *fm_config_find(const struct fm_config *cfg, const char *name);
/* The setting of key in a section (NULL for [flagman]), or NULL. */
struct fm_setting *fm_config_get(struct fm_config *cfg, struct fm_def *def,
	const char *key);
/* Records key = value in a section (NULL for [flagman]), replacing an
 * earlier value of the key.  false on no memory. */
bool fm_config_set(struct fm_config *cfg, struct fm_def *def, const char *key,
	const char *value, const char *file, unsigned line);
/* The same for a caller that has looked key up: s is what fm_config_get()
 * returned for it. */
bool fm_config_put(struct fm_config *cfg, struct fm_def *def,
	struct fm_setting *s, const char *key, const char *value,
	const char *file, unsigned line);
/* Collects a problem found at file:line (file interned, or NULL for the
 * command line; line 0 for the whole file) in diag, placed in reading
 * order of the files, then line order; command-line problems last. */
void fm_config_error(struct fm_config *cfg, struct fm_diag *diag,
	const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* The same for a warning, which does not make the configuration fail. */
void fm_config_warning(struct fm_config *cfg, struct fm_diag *diag,
	const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Resolves and validates everything, every problem collected in diag.
 * Returns true when diag holds no error. */
bool fm_config_resolve(struct fm_config *cfg, const struct fm_registry *reg,
	struct fm_diag *diag);
/* Prints the effective configuration in the file format, each value so
 * that it reads back the same (quoted, on continuation lines, as needed).
 * false (and an error logged) if a value cannot be written so. */
bool fm_config_dump(struct fm_config *cfg, FILE *out);
/*
 * A resolved definition as text in one order and one spelling (type,
 * signals, enabled, every argument with its default filled in): equal texts
 * are equal definitions, which is how a reload tells what changed.  Made on
 * first use and kept in def; NULL if there is no memory.
 */
const char *fm_def_canon(struct fm_def *def);
/* Drops what resolving made of def: its state block (with the values in
 * it) and its canonical text. */
void fm_def_reset(struct fm_def *def);

#endif
