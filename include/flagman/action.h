/*
 * flagman action interface: the contract between the daemon and every action
 * type, built-in or loaded from a plug-in.
 *
 * An action type is a static struct fm_action_type: a name, a description, a
 * table of typed arguments and a few callbacks.  flagman parses and validates
 * the arguments (from the configuration file or the command line) into a
 * zeroed state block of state_size bytes, at the offsets the table gives, and
 * hands that block to every callback.  The argument values stored there are
 * owned by flagman and freed after tear_down; anything else the action puts
 * in its state is the action's to free in tear_down.
 *
 * Callbacks run on flagman's single thread, from its event loop.  They must
 * never block: a run that takes time returns FM_RUN_PENDING, asks for a
 * timer, a descriptor or a child watch, and calls fm_action_done() later.
 *
 * A plug-in is a shared object that exports
 *
 *	const struct fm_plugin fm_plugin = { FM_ACTION_ABI, types };
 *
 * where types is a NULL-terminated array of pointers to action types, each
 * with .abi = FM_ACTION_ABI.  See flagman-plugin(3).
 */
#ifndef FLAGMAN_ACTION_H
#define FLAGMAN_ACTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a structure below or a callback's meaning changes. */
#define FM_ACTION_ABI 2

/*
 * Argument types, and the C type each one is stored as in the state block.
 * An optional argument without a default holds the zero value shown.
 */
enum fm_arg_type {
	FM_ARG_STRING,   /* char *, NULL */
	FM_ARG_INT,      /* long long, 0; checked against min..max */
	FM_ARG_BOOL,     /* bool: yes/no, true/false, on/off, 1/0 */
	FM_ARG_DURATION, /* uint64_t milliseconds: 250ms, 30s, 5m, 1h30m, 10 */
	FM_ARG_PATH,     /* char *, an absolute path, NULL */
	FM_ARG_ARGV,     /* char **, NULL-terminated; shell-like quoting */
	FM_ARG_SIGNAL,   /* int signal number, 0 */
	FM_ARG_USER,     /* uid_t, resolved at load; (uid_t)-1 when unset */
	FM_ARG_GROUP,    /* gid_t, resolved at load; (gid_t)-1 when unset */
	FM_ARG_ENUM,     /* int index into choices, 0 */
};

struct fm_arg_spec {
	const char *name;          /* key in the configuration file */
	enum fm_arg_type type;
	bool required;
	const char *default_value; /* written as in the configuration file */
	size_t offset;             /* where the value lives in the state */
	long long min, max;        /* FM_ARG_INT: inclusive range (0, 0: any) */
	const char *const *choices; /* FM_ARG_ENUM: NULL-terminated */
	const char *help;          /* one line, for --list and the man page */
};

/* The signal that started a run, as the chain's actions see it. */
struct fm_run {
	int signo;          /* e.g. SIGUSR1 */
	const char *signame; /* e.g. "USR1", "RTMIN+3" */
	pid_t sender_pid;   /* of the latest arrival merged into this run */
	uid_t sender_uid;
	unsigned merged;    /* arrivals merged into this run, at least 1 */
	bool has_value;     /* a real-time signal's sigqueue() value */
	int value;
};

/* What a finished run reports. */
enum fm_result {
	FM_RESULT_OK = 0,
	FM_RESULT_FAILED,      /* logged; the chain goes on */
	FM_RESULT_FAILED_STOP, /* logged; the rest of this chain is skipped */
	/* The run found nothing new: the rest of this chain is skipped, and
	 * the chain counts as successful. */
	FM_RESULT_UNCHANGED,
};

/* run() returns a result, or this when it will call fm_action_done(). */
#define FM_RUN_PENDING (-1)

struct fm_action; /* opaque: one configured instance of a type */
struct fm_check;  /* opaque: where validate reports problems */

struct fm_action_type {
	unsigned abi;            /* FM_ACTION_ABI */
	const char *name;        /* [a-z0-9_]+, unique among all types */
	const char *description; /* one sentence or a few; wrapped by --list */
	const struct fm_arg_spec *args; /* terminated by { 0 } */
	size_t state_size;

	/*
	 * Optional.  Checks that the arguments fit together, and everything
	 * set_up would refuse, without side effects: it runs at load, for
	 * --check too, so that a configuration --check accepts starts.  Each
	 * problem goes to fm_check_error(), which names the key it is about.
	 * Runs even when some argument had an invalid value (already reported):
	 * such an argument holds its unset value, and fm_check_given() tells
	 * it from one left out.
	 */
	void (*validate)(const void *state, struct fm_check *check);
	/* Optional.  Returns 0, or a negative errno after logging why. */
	int (*set_up)(struct fm_action *action, void *state);
	/* Required.  Returns an enum fm_result or FM_RUN_PENDING. */
	int (*run)(struct fm_action *action, void *state,
		const struct fm_run *run);
	/*
	 * Optional; required for types that return FM_RUN_PENDING.  Asks a
	 * pending run to end early because flagman is stopping.  With force
	 * false, begin a graceful stop (e.g. send kill_signal); with force
	 * true, end now and call fm_action_done() before returning.
	 */
	void (*stop)(struct fm_action *action, void *state, bool force);
	/* Optional.  Timer set with fm_action_set_timer() expired. */
	void (*on_timer)(struct fm_action *action, void *state);
	/* Optional.  A descriptor from fm_action_watch_fd() is ready. */
	void (*on_fd)(struct fm_action *action, void *state, int fd,
		short revents);
	/* Optional.  A child from fm_action_watch_child() ended (reaped). */
	void (*on_child)(struct fm_action *action, void *state, pid_t pid,
		int wstatus);
	/* Optional.  Frees what set_up and run acquired. */
	void (*tear_down)(struct fm_action *action, void *state);
};

struct fm_plugin {
	unsigned abi; /* FM_ACTION_ABI */
	const struct fm_action_type *const *types; /* NULL-terminated */
};

/*
 * For validate: reports a problem with the value of key, at the line that
 * sets it (with NULL, or a key that was not given, at the section).  A
 * problem with a key whose value was invalid is not reported twice.
 */
void fm_check_error(struct fm_check *check, const char *key,
	const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* For validate: was key given (in a file or on the command line), even
 * with an invalid value? */
bool fm_check_given(const struct fm_check *check, const char *key);

/* Services flagman offers to actions.  All take the action they act for. */

/* The section name (the action's name in logs). */
const char *fm_action_name(const struct fm_action *action);

/* Completes a pending run. */
void fm_action_done(struct fm_action *action, enum fm_result result);

/*
 * Closes the action for good: once its current run completes it is torn down,
 * removed, and the reason is logged at warning.
 */
void fm_action_close(struct fm_action *action, const char *reason);

/* Arms the action's one timer, replacing any earlier; 0 disarms it. */
void fm_action_set_timer(struct fm_action *action, uint64_t delay_ms);

/* Watches fd for poll(2) events (POLLIN...); on_fd is called. -errno. */
int fm_action_watch_fd(struct fm_action *action, int fd, short events);
void fm_action_unwatch_fd(struct fm_action *action, int fd);

/* Routes the exit of child pid to on_child.  -errno. */
int fm_action_watch_child(struct fm_action *action, pid_t pid);

/* Log levels, as syslog priorities. */
enum fm_log_level {
	FM_LOG_ERROR = 3,
	FM_LOG_WARNING = 4,
	FM_LOG_INFO = 6,
	FM_LOG_DEBUG = 7,
};

/* Logs a line tagged with the action and the signal of its current run. */
void fm_action_log(const struct fm_action *action, enum fm_log_level level,
	const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif

#endif
