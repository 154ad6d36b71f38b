/*
 * flagman internals shared between the modules of the daemon.  The public
 * action interface is in include/flagman/action.h.
 */
#ifndef FM_FLAGMAN_H
#define FM_FLAGMAN_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "flagman/action.h"

#include "log.h"
#include "diag.h"

/* ---- signals.c: names and the set flagman handles ---- */

/* Parses usr1, SIGUSR1, Hup, rtmin+2, RTMAX-1, 10... Returns 0 if unknown. */
int fm_signal_parse(const char *name);
/* "USR1", "RTMIN+2"; buf needs FM_SIGNAME_MAX bytes. */
#define FM_SIGNAME_MAX 12
const char *fm_signal_name(int signo, char *buf);
/* May signo start a chain (HUP, USR1, USR2, WINCH, RTMIN..RTMAX)? */
bool fm_signal_is_trigger(int signo);
/* Every signal flagman blocks: the triggers, TERM, INT and CHLD. */
void fm_signal_handled_set(sigset_t *set);

/* Signal sets of actions: bit signo-1; every trigger fits in 64 bits. */
typedef uint64_t fm_sigmask;
#define FM_SIGBIT(signo) ((fm_sigmask)1 << ((signo) - 1))

/* ---- schema.c: typed argument values ---- */

/* Parses text as spec's type into dst (a state block field).  On failure
 * writes what was expected to err and returns false; dst is untouched. */
bool fm_value_parse(const struct fm_arg_spec *spec, const char *text,
	void *dst, char *err, size_t errlen);
/* Frees what fm_value_parse stored at dst, if anything. */
void fm_value_free(const struct fm_arg_spec *spec, void *dst);
/* Stores the "unset" value (NULL, 0, -1 ids). */
void fm_value_init(const struct fm_arg_spec *spec, void *dst);
const char *fm_arg_type_name(enum fm_arg_type type);

bool fm_parse_bool(const char *text, bool *out);
bool fm_parse_duration(const char *text, uint64_t *ms);
/* Splits with shell-like quoting ('...', "...", \); NULL + err on failure.
 * The result is one allocation: free() it. */
char **fm_argv_split(const char *text, char *err, size_t errlen);

/* Edit distance, for "did you mean" hints. */
unsigned fm_edit_distance(const char *a, const char *b);

/* ---- registry.c: action types ---- */

struct fm_registry;

/* Returns a registry holding the built-in types, or NULL on no memory. */
struct fm_registry *fm_registry_create(void);
void fm_registry_destroy(struct fm_registry *reg);
/* Adds a type; -EEXIST if the name is taken, -EINVAL for a bad ABI. */
int fm_registry_add(struct fm_registry *reg, const struct fm_action_type *type,
	const char *origin);
const struct fm_action_type *fm_registry_find(const struct fm_registry *reg,
	const char *name);
/* The closest type name to a near miss, or NULL. */
const char *fm_registry_suggest(const struct fm_registry *reg,
	const char *name);
/* Plug-ins loaded so far; keep_plugin takes a dlopen handle (and copies
 * path) to close when the registry is destroyed. */
bool fm_registry_has_plugin(const struct fm_registry *reg, const char *path);
/* The registry's own copy of a loaded plug-in's path, or NULL. */
const char *fm_registry_origin_path(const struct fm_registry *reg,
	const char *path);
int fm_registry_keep_plugin(struct fm_registry *reg, const char *path,
	void *handle);
/* Where a type came from: "built-in" or a plug-in's path; NULL if unknown. */
const char *fm_registry_origin(const struct fm_registry *reg,
	const char *name);
/* Loads every *.so in dir (skipping paths loaded before); a plug-in with a
 * problem is refused whole and reported to diag.  A missing dir is fine. */
void fm_registry_load_plugins(struct fm_registry *reg, const char *dir,
	struct fm_diag *diag);
/* Prints the --list table; colour adds SGR escapes, the text is the same. */
void fm_registry_list(const struct fm_registry *reg, FILE *out, bool colour);

extern const struct fm_action_type fm_action_print;
extern const struct fm_action_type fm_action_delay_print;
extern const struct fm_action_type fm_action_print_once;
extern const struct fm_action_type fm_action_exec;
extern const struct fm_action_type fm_action_signal;
extern const struct fm_action_type fm_action_write;

/* ---- table.c: an index from names to positions in an array ---- */

/*
 * The names stay in the caller's array: name_of(ctx, pos) reads one back.
 * Zero-initialised but for name_of and ctx it is empty and ready to use;
 * fm_table_finish() frees it (and keeps name_of and ctx).
 */
struct fm_table {
	struct fm_table_slot *slots;
	size_t cap, n;
	const char *(*name_of)(const void *ctx, size_t pos);
	const void *ctx;
};

/* true, and *pos (if pos is not NULL), when key is in the table. */
bool fm_table_get(const struct fm_table *t, const char *key, size_t *pos);
/* Records that key, equal to name_of(ctx, pos), is at pos (a key already
 * there moves); -ENOMEM on failure (table unchanged). */
int fm_table_put(struct fm_table *t, const char *key, size_t pos);
void fm_table_finish(struct fm_table *t);

/* ---- config.c: what the file and the command line describe ---- */

enum fm_overlap { FM_OVERLAP_QUEUE, FM_OVERLAP_DROP };

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
	void *state;  /* type->state_size bytes, values owned */
	char *canon;  /* canonical text, see fm_def_canon() */
	bool enabled;
};

struct fm_chunk;

struct fm_config {
	/* [flagman]; each *_set says whether the file or CLI gave it */
	bool successful_empty;
	enum fm_overlap overlap;
	int reload_signal; /* 0: none */
	bool reload_signal_set;
	uint64_t stop_timeout_ms;
	int log_level;
	char *plugin_dir;
	struct fm_setting *globals; /* [flagman] keys as written */
	size_t nglobals;

	struct fm_def *defs;
	size_t ndefs;
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
/* Counts enabled actions bound to signo. */
size_t fm_config_count(const struct fm_config *cfg, int signo);

/* ---- conffile.c: reading the INI files ---- */

/* inih's line buffer as Debian builds it: longer lines are refused. */
#define FM_MAX_LINE 200
/* The longest value, continuation lines joined (before $'...' decoding). */
#define FM_MAX_VALUE 131072

/* Reads path and then every path.d/ *.conf (path "X.conf" gives "X.d").
 * A missing file is an error only when required.  Problems go to diag;
 * returns true when none were found. */
bool fm_config_read(struct fm_config *cfg, const char *path, bool required,
	struct fm_diag *diag);
/* Reads one file (no drop-ins) from f; path names it in diagnostics. */
bool fm_config_read_file(struct fm_config *cfg, const char *path, FILE *f,
	struct fm_diag *diag);

/* ---- cli.c ---- */

enum fm_mode { FM_MODE_RUN, FM_MODE_LIST, FM_MODE_CHECK, FM_MODE_DUMP,
	FM_MODE_HELP, FM_MODE_VERSION };

struct fm_cli {
	enum fm_mode mode;
	const char *config_path; /* NULL with --no-config */
	bool config_explicit;    /* -c given: a missing file is an error */
	bool no_config;
	bool successful_empty;
	bool no_systemd;
	bool quiet;
	int verbose;
	int overlap; /* -1: not given */
	/* actions in command-line order */
	struct fm_cli_action {
		int signo;
		int first;          /* argv index of the action name */
		int count;          /* the name and its positional arguments... */
		const char **words; /* ...which are these (after "--" too) */
		const char **named; /* "NAME=VALUE" of each --arg */
		size_t nnamed;
	} *actions;
	size_t nactions;
	bool action_open; /* while parsing: --arg and "--" add to the last */
	char **argv;
};

/* Parses argv; on a usage error prints it and returns false. */
bool fm_cli_parse(struct fm_cli *cli, int argc, char **argv, FILE *err);
void fm_cli_finish(struct fm_cli *cli);
/* Appends the command line's actions and settings to cfg as sections named
 * cli-1, cli-2...  Problems go to diag, without a file. */
void fm_cli_apply(const struct fm_cli *cli, struct fm_config *cfg,
	const struct fm_registry *reg, struct fm_diag *diag);
void fm_cli_usage(FILE *out);

/* ---- loop.c: the event loop ---- */

struct fm_loop;

/* Reads the configuration again: a resolved config, or NULL with every
 * problem collected in diag. */
typedef struct fm_config *(*fm_reload_fn)(void *ctx, struct fm_diag *diag);

/* Takes cfg (the loop owns it, even on failure) and sets every action up.
 * NULL when a set-up fails (logged; the others are torn down). */
struct fm_loop *fm_loop_create(struct fm_config *cfg, int signal_fd,
	fm_reload_fn reload, void *ctx);
/* Runs until shutdown or until every action closed; returns the exit
 * status (0 or 1).  */
int fm_loop_run(struct fm_loop *loop);
void fm_loop_destroy(struct fm_loop *loop);

/* ---- notify.c: systemd ---- */

void fm_notify_init(bool enabled);
bool fm_notify_enabled(void);
void fm_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Watchdog interval in ms (half of WATCHDOG_USEC), 0 when disabled. */
uint64_t fm_notify_watchdog_ms(void);

/* ---- actions/spawn.c: what exec actions leave behind ---- */

/* Kills the orphans that came to flagman, the subreaper, and reaps them;
 * one that does not end within a bound after SIGKILL is left behind. */
void fm_end_orphans(void);

/* ---- time ---- */
uint64_t fm_now_ms(void);

#endif
