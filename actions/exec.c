/*
 * exec: runs a program (no shell) and waits for it without blocking the
 * loop.  The child is started by spawn.c in its own process group; a timeout
 * sends kill_signal to that group and SIGKILL after kill_grace.  With
 * output = log, each line the child writes goes to flagman's log.  With
 * on_unchanged = stop, its standard output is always read by flagman and
 * hashed on the way (then logged, relayed or discarded as output says),
 * and a run that exits as the last did, with the same output, ends the
 * chain (src/memory.c remembers it).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "flagman/action.h"
#include "env.h"
#include "memory.h"
#include "schema.h"
#include "signals.h"
#include "spawn.h"
#include "stream.h"

enum output { OUT_INHERIT, OUT_LOG, OUT_NULL };
enum on_failure { FAIL_CONTINUE, FAIL_STOP };
enum on_unchanged { SAME_CONTINUE, SAME_STOP };
enum phase { IDLE, RUNNING, TERMINATING, KILLING };

// The environment of a user= that is a number without a passwd entry:
// USER and LOGNAME are the number.
#define NO_PASSWD_HOME "/"
#define NO_PASSWD_SHELL "/usr/sbin/nologin"

// Process groups of earlier runs that still hold processes, remembered so
// that none outlives flagman.
#define MAX_GROUPS 16

struct exec {
	/* arguments */
	char **argv;
	uint64_t timeout_ms;
	int kill_signal;
	uint64_t kill_grace_ms;
	uid_t user;
	gid_t group;
	char *working_directory;
	char **environment;
	bool clear_environment;
	int output;
	int on_failure;
	int on_unchanged;

	/* resolved by set_up: the child's identity and its environment */
	bool set_ids;
	bool in_passwd;   /* user_name names a passwd entry (initgroups) */
	char *user_name, *home, *shell; /* NULL when user is not set */
	gid_t gid;

	/* the run under way */
	enum phase phase;
	pid_t pid;        /* 0: none */
	pid_t groups[MAX_GROUPS]; /* of past runs, which may have stragglers */
	size_t ngroups;
	int report_fd;
	bool timed_out, stopping;
	struct fm_stream out, err;

	/* on_unchanged = stop: the last run that exited, and this one's */
	struct fm_memory memory;
	struct fm_sha256 digest;
};

static enum fm_result failure(const struct exec *e)
{
	return e->on_failure == FAIL_STOP ? FM_RESULT_FAILED_STOP :
		FM_RESULT_FAILED;
}

/* ---- the process group ---- */

// Does process group pg still hold a living child of flagman?  Reaps the
// dead ones on the way.
static bool group_alive(pid_t pg)
{
	pid_t r;
	int st;

	if (pg <= 0) {
		return false; // -0 would name flagman's own group
	}
	while ((r = waitpid(-pg, &st, WNOHANG)) > 0) {
		continue;
	}
	return r == 0;
}

// Ends what is left of process group pg among flagman's children.  With
// a deadline (not 0), reaps them before returning, or, when the deadline
// passes first, says so and leaves them behind: false.
static bool end_group(struct fm_action *action, pid_t pg, uint64_t deadline)
{
	pid_t r;

	if (!group_alive(pg)) {
		return true;
	}
	kill(-pg, SIGKILL);
	while (deadline && (r = fm_wait_until(-pg, NULL, deadline)) > 0) {
		continue;
	}
	if (deadline && r == 0) {
		fm_action_log(action, FM_LOG_WARNING, "process group %ld did not "
			"end within %d ms of SIGKILL (uninterruptible sleep?); leaving "
			"it behind", (long)pg, FM_KILL_WAIT_MS);
		return false;
	}
	return true;
}

// Sends kill_signal to the group, then SIGKILL after kill_grace.
static void terminate(struct fm_action *action, struct exec *e)
{
	kill(-e->pid, e->kill_signal);
	if (e->kill_signal == SIGKILL) {
		e->phase = KILLING;
		fm_action_set_timer(action, 0);
		return;
	}
	// A stopped process would never see the signal.
	kill(-e->pid, SIGCONT);
	e->phase = TERMINATING;
	fm_action_set_timer(action, e->kill_grace_ms ? e->kill_grace_ms : 1);
}

static void describe(int wstatus, char *buf, size_t size)
{
	char num[FM_SIGNAME_MAX];
	int sig;

	if (WIFEXITED(wstatus)) {
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(wstatus));
		return;
	}
	sig = WTERMSIG(wstatus);
	snprintf(buf, size, "killed by signal %s (status %d)%s",
		fm_signal_name(sig, num), 128 + sig,
		WCOREDUMP(wstatus) ? ", core dumped" : "");
}

/*
 * on_unchanged = stop, a run whose program exited (whatever its status):
 * true when it exited as the remembered run did, with the same output;
 * else it is remembered (and its record saved) instead.
 */
static bool unchanged(struct fm_action *action, struct exec *e, int status)
{
	struct fm_memory now = { .known = true, .status = status };

	fm_sha256_final(&e->digest, now.digest);
	if (e->memory.known && e->memory.status == status &&
			memcmp(e->memory.digest, now.digest, sizeof(now.digest)) == 0) {
		return true;
	}
	fm_action_log(action, FM_LOG_DEBUG, "%s", e->memory.known ?
		"output or exit status changed" : "first run: nothing to compare");
	e->memory = now;
	fm_memory_save(action, &e->memory);
	return false;
}

// The child has been reaped (wstatus), or left behind (NULL): log how it
// ended and complete the run.
static void finish(struct fm_action *action, struct exec *e,
	const int *wstatus)
{
	enum fm_result result = FM_RESULT_OK;
	char why[600], how[64] = "left behind";
	bool started = true;

	fm_stream_drain(&e->out);
	fm_stream_drain(&e->err);
	if (e->report_fd >= 0) {
		if (fm_spawn_report(e->report_fd, e->argv[0], e->working_directory,
				why, sizeof(why))) {
			fm_action_log(action, FM_LOG_ERROR, "%s", why);
			started = false;
		}
		close(e->report_fd);
		e->report_fd = -1;
	}
	fm_action_set_timer(action, 0);
	if (e->timed_out || e->stopping) {
		end_group(action, e->pid, 0);
	}
	if (wstatus) {
		describe(*wstatus, how, sizeof(how));
	}
	if (e->on_unchanged == SAME_STOP && started && wstatus &&
			WIFEXITED(*wstatus) && !e->timed_out && !e->stopping &&
			unchanged(action, e, WEXITSTATUS(*wstatus))) {
		fm_action_log(action, FM_LOG_INFO, "%s", how);
		result = FM_RESULT_UNCHANGED;
	} else if (wstatus && WIFEXITED(*wstatus) && WEXITSTATUS(*wstatus) == 0 &&
			!e->timed_out) {
		fm_action_log(action, FM_LOG_INFO, "%s", how);
	} else if (e->stopping) {
		fm_action_log(action, FM_LOG_INFO, "stopped: %s", how);
		result = failure(e);
	} else {
		fm_action_log(action, FM_LOG_WARNING, "%s%s",
			e->timed_out ? "timed out; " : "", how);
		result = failure(e);
	}
	e->pid = 0;
	e->phase = IDLE;
	fm_action_done(action, result);
}

/* ---- the callbacks ---- */

static bool build_env(const struct exec *e, const struct fm_action *action,
	const struct fm_run *run, struct fm_env *env)
{
	bool ok;

	if (!fm_env_init(env, !e->clear_environment)) {
		return false;
	}
	ok = !e->home || (fm_env_set(env, "HOME", "%s", e->home) &&
		fm_env_set(env, "USER", "%s", e->user_name) &&
		fm_env_set(env, "LOGNAME", "%s", e->user_name) &&
		fm_env_set(env, "SHELL", "%s", e->shell));
	for (char **p = e->environment; ok && p && *p; p++) {
		ok = fm_env_put(env, *p);
	}
	ok = ok && fm_env_set(env, "FLAGMAN_SIGNAL", "%s", run->signame) &&
		fm_env_set(env, "FLAGMAN_ACTION", "%s", fm_action_name(action)) &&
		fm_env_set(env, "FLAGMAN_SENDER_PID", "%ld", (long)run->sender_pid) &&
		fm_env_set(env, "FLAGMAN_SENDER_UID", "%lu",
			(unsigned long)run->sender_uid) &&
		fm_env_set(env, "FLAGMAN_MERGED", "%u", run->merged);
	if (ok && run->has_value) {
		ok = fm_env_set(env, "FLAGMAN_VALUE", "%d", run->value);
	}
	if (!ok) {
		fm_env_finish(env);
	}
	return ok;
}

// Starts the child; false after logging why it could not be.
static bool start(struct fm_action *action, struct exec *e,
	const struct fm_env *env)
{
	struct fm_spawn sp = {
		.argv = e->argv, .envp = env->vars, .cwd = e->working_directory,
		.user = e->in_passwd ? e->user_name : NULL, .uid = e->user,
		.gid = e->gid,
		.set_ids = e->set_ids, .out_fd = -1, .err_fd = -1,
		.null_output = e->output == OUT_NULL,
	};
	bool capture = e->on_unchanged == SAME_STOP;
	pid_t pid;

	if ((e->output == OUT_LOG || capture) &&
			(!fm_stream_open(action, &e->out, FM_LOG_INFO, &sp.out_fd) ||
			(e->output == OUT_LOG && !fm_stream_open(action, &e->err,
				FM_LOG_WARNING, &sp.err_fd)))) {
		int err = errno;

		fm_action_log(action, FM_LOG_ERROR, "cannot create a pipe for the "
			"output: %s", strerror(err));
		if (sp.out_fd >= 0) {
			close(sp.out_fd);
		}
		fm_stream_close(&e->out);
		return false;
	}
	if (capture) {
		// Every byte is hashed as it is read: nothing piles up.
		fm_sha256_init(&e->digest);
		e->out.digest = &e->digest;
		e->out.route = e->output == OUT_LOG ? FM_STREAM_LOG :
			e->output == OUT_NULL ? FM_STREAM_DISCARD : FM_STREAM_RELAY;
	}
	pid = fm_spawn(&sp, &e->report_fd);
	if (sp.out_fd >= 0) {
		close(sp.out_fd);
	}
	if (sp.err_fd >= 0) {
		close(sp.err_fd);
	}
	if (pid < 0) {
		fm_action_log(action, FM_LOG_ERROR, "cannot start '%s': %s",
			e->argv[0], strerror((int)-pid));
		fm_stream_close(&e->out);
		fm_stream_close(&e->err);
		return false;
	}
	e->pid = pid;
	return true;
}

// Remembers the new run's group, forgetting those that have emptied.
static void remember_group(struct fm_action *action, struct exec *e,
	pid_t pg)
{
	size_t kept = 0;

	for (size_t i = 0; i < e->ngroups; i++) {
		if (group_alive(e->groups[i])) {
			e->groups[kept++] = e->groups[i];
		}
	}
	e->ngroups = kept;
	if (e->ngroups == MAX_GROUPS) {
		fm_action_log(action, FM_LOG_WARNING, "killing what is left of an "
			"earlier run (process group %ld)", (long)e->groups[0]);
		end_group(action, e->groups[0], 0);
		memmove(e->groups, e->groups + 1, --e->ngroups * sizeof(pid_t));
	}
	e->groups[e->ngroups++] = pg;
}

// Kills the run's process group and reaps it within FM_KILL_WAIT_MS; what
// does not end by then is logged and left behind (and forgotten).
static void kill_run(struct fm_action *action, struct exec *e)
{
	uint64_t deadline = fm_kill_deadline();
	pid_t r;
	int st = 0;

	kill(-e->pid, SIGKILL);
	r = fm_wait_until(e->pid, &st, deadline);
	if (end_group(action, e->pid, deadline) && r == e->pid) {
		finish(action, e, &st);
		return;
	}
	for (size_t i = 0; i < e->ngroups; i++) {
		if (e->groups[i] == e->pid) {
			e->groups[i] = e->groups[--e->ngroups];
			break;
		}
	}
	finish(action, e, r == e->pid ? &st : NULL);
}

static int exec_run(struct fm_action *action, void *state,
	const struct fm_run *run)
{
	struct exec *e = state;
	struct fm_env env;

	if (!build_env(e, action, run, &env)) {
		fm_action_log(action, FM_LOG_ERROR, "out of memory");
		return failure(e);
	}
	e->timed_out = e->stopping = false;
	if (!start(action, e, &env)) {
		fm_env_finish(&env);
		return failure(e);
	}
	fm_env_finish(&env);
	remember_group(action, e, e->pid);
	e->phase = RUNNING;
	if (fm_action_watch_child(action, e->pid) < 0) {
		fm_action_log(action, FM_LOG_ERROR, "cannot watch PID %ld; "
			"killing it", (long)e->pid);
		e->stopping = true;
		kill_run(action, e);
		return failure(e);
	}
	fm_action_log(action, FM_LOG_DEBUG, "started '%s' as PID %ld",
		e->argv[0], (long)e->pid);
	if (e->timeout_ms) {
		fm_action_set_timer(action, e->timeout_ms);
	}
	return FM_RUN_PENDING;
}

static void exec_on_child(struct fm_action *action, void *state, pid_t pid,
	int wstatus)
{
	struct exec *e = state;

	if (pid == e->pid) {
		finish(action, e, &wstatus);
	}
}

static void exec_on_timer(struct fm_action *action, void *state)
{
	struct exec *e = state;
	char sig[FM_SIGNAME_MAX], t[FM_DURATION_TEXT];

	if (e->phase == RUNNING) {
		e->timed_out = true;
		fm_action_log(action, FM_LOG_WARNING, "timed out after %s; sending "
			"SIG%s to process group %ld",
			fm_duration_text(e->timeout_ms, t),
			fm_signal_name(e->kill_signal, sig), (long)e->pid);
		terminate(action, e);
	} else if (e->phase == TERMINATING) {
		fm_action_log(action, FM_LOG_WARNING, "still running %s after "
			"SIG%s; sending SIGKILL to process group %ld",
			fm_duration_text(e->kill_grace_ms, t),
			fm_signal_name(e->kill_signal, sig), (long)e->pid);
		kill(-e->pid, SIGKILL);
		e->phase = KILLING;
	}
}

static void exec_stop(struct fm_action *action, void *state, bool force)
{
	struct exec *e = state;
	char sig[FM_SIGNAME_MAX];

	if (!e->pid) {
		fm_action_done(action, FM_RESULT_OK);
		return;
	}
	e->stopping = true;
	if (!force) {
		if (e->phase == RUNNING) {
			fm_action_log(action, FM_LOG_INFO, "stopping: sending SIG%s to "
				"process group %ld",
				fm_signal_name(e->kill_signal, sig), (long)e->pid);
			terminate(action, e);
		}
		return;
	}
	// flagman is about to exit: end the group and reap it right here.
	kill_run(action, e);
}

/*
 * What set_up would refuse about user and group: 0, or a negative errno
 * with the message in err and the key it is about in *key.  validate asks
 * too, so that --check refuses what start-up would.
 */
static int ids_problem(const struct exec *e, const char **key, char *err,
	size_t errlen)
{
	bool user = e->user != (uid_t)-1, group = e->group != (gid_t)-1;

	if (geteuid() != 0 && ((user && e->user != geteuid()) ||
			(group && e->group != getegid()))) {
		*key = user && e->user != geteuid() ? "user" : "group";
		snprintf(err, errlen, "'user' and 'group' need flagman to run as "
			"root (it runs as uid %lu)", (unsigned long)geteuid());
		return -EPERM;
	}
	if (user && !group && !getpwuid(e->user)) {
		*key = "user";
		snprintf(err, errlen, "user %lu has no passwd entry; set 'group' "
			"as well", (unsigned long)e->user);
		return -ENOENT;
	}
	return 0;
}

static int exec_set_up(struct fm_action *action, void *state)
{
	struct exec *e = state;
	struct passwd *pw;
	const char *key;
	char err[128];
	int r;

	e->report_fd = e->out.fd = e->err.fd = -1;
	e->gid = e->group;
	if (e->on_unchanged == SAME_STOP) {
		fm_memory_load(action, &e->memory);
	}
	if (e->user == (uid_t)-1 && e->group == (gid_t)-1) {
		return 0;
	}
	if ((r = ids_problem(e, &key, err, sizeof(err))) < 0) {
		fm_action_log(action, FM_LOG_ERROR, "%s", err);
		return r;
	}
	e->set_ids = geteuid() == 0;
	if (e->user == (uid_t)-1) {
		return 0;
	}
	pw = getpwuid(e->user); // ids_problem: no entry means a group is set
	e->in_passwd = pw != NULL;
	if (pw) {
		e->user_name = strdup(pw->pw_name);
		e->home = strdup(pw->pw_dir);
		e->shell = strdup(pw->pw_shell[0] ? pw->pw_shell : "/bin/sh");
	} else {
		// A bare uid and gid: no supplementary groups, and nothing of
		// root's HOME, USER, LOGNAME and SHELL, but neutral values.
		if (asprintf(&e->user_name, "%lu", (unsigned long)e->user) < 0) {
			e->user_name = NULL;
		}
		e->home = strdup(NO_PASSWD_HOME);
		e->shell = strdup(NO_PASSWD_SHELL);
	}
	if (!e->user_name || !e->home || !e->shell) {
		fm_action_log(action, FM_LOG_ERROR, "out of memory");
		return -ENOMEM;
	}
	if (pw && e->group == (gid_t)-1) {
		e->gid = pw->pw_gid;
	}
	return 0;
}

static void exec_tear_down(struct fm_action *action, void *state)
{
	struct exec *e = state;
	uint64_t deadline;

	if (e->pid) {
		exec_stop(action, e, true);
	}
	// What earlier runs left behind in their groups must not outlive us;
	// all of them get SIGKILL at once, and one bound for their ends.
	for (size_t i = 0; i < e->ngroups; i++) {
		end_group(action, e->groups[i], 0);
	}
	deadline = fm_kill_deadline();
	for (size_t i = 0; i < e->ngroups; i++) {
		end_group(action, e->groups[i], deadline);
	}
	e->ngroups = 0;
	free(e->user_name);
	free(e->home);
	free(e->shell);
	e->user_name = e->home = e->shell = NULL;
	e->in_passwd = false;
}

static void exec_validate(const void *state, struct fm_check *check)
{
	const struct exec *e = state;
	const char *key;
	char err[128];

	for (char **p = e->environment; p && *p; p++) {
		if (!fm_env_valid(*p)) {
			fm_check_error(check, "environment", "invalid entry '%s' in "
				"'environment' (expected NAME=VALUE)", *p);
		}
	}
	if (ids_problem(e, &key, err, sizeof(err)) < 0) {
		fm_check_error(check, key, "%s", err);
	}
}

static const char *const output_choices[] = { "inherit", "log", "null", NULL };
static const char *const failure_choices[] = { "continue", "stop", NULL };

static const struct fm_arg_spec exec_args[] = {
	{ "command", FM_ARG_ARGV, .required = true,
		.offset = offsetof(struct exec, argv),
		.help = "the program and its arguments (no shell)" },
	{ "timeout", FM_ARG_DURATION, .default_value = "0",
		.offset = offsetof(struct exec, timeout_ms),
		.help = "end the program after this long; 0: never" },
	{ "kill_signal", FM_ARG_SIGNAL, .default_value = "TERM",
		.offset = offsetof(struct exec, kill_signal),
		.help = "sent to the process group on timeout and at shutdown" },
	{ "kill_grace", FM_ARG_DURATION, .default_value = "5s",
		.offset = offsetof(struct exec, kill_grace_ms),
		.help = "wait this long after kill_signal before SIGKILL" },
	{ "user", FM_ARG_USER, .offset = offsetof(struct exec, user),
		.help = "run as this user (flagman must be root)" },
	{ "group", FM_ARG_GROUP, .offset = offsetof(struct exec, group),
		.help = "run with this group (flagman must be root)" },
	{ "working_directory", FM_ARG_PATH,
		.offset = offsetof(struct exec, working_directory),
		.help = "run in this directory" },
	{ "environment", FM_ARG_ARGV,
		.offset = offsetof(struct exec, environment),
		.help = "NAME=VALUE words added to the environment" },
	{ "clear_environment", FM_ARG_BOOL, .default_value = "no",
		.offset = offsetof(struct exec, clear_environment),
		.help = "start from an empty environment" },
	{ "output", FM_ARG_ENUM, .default_value = "inherit",
		.offset = offsetof(struct exec, output), .choices = output_choices,
		.help = "stdout and stderr: flagman's, its log, or /dev/null" },
	{ "on_failure", FM_ARG_ENUM, .default_value = "continue",
		.offset = offsetof(struct exec, on_failure),
		.choices = failure_choices,
		.help = "stop: skip the rest of the chain when the program fails" },
	{ "on_unchanged", FM_ARG_ENUM, .default_value = "continue",
		.offset = offsetof(struct exec, on_unchanged),
		.choices = failure_choices,
		.help = "stop: skip the rest of the chain (a success) when the "
			"program exits with the same status and output as last time" },
	{ 0 },
};

const struct fm_action_type fm_action_exec = {
	.abi = FM_ACTION_ABI,
	.name = "exec",
	.description = "Runs a program without a shell and waits for it without "
		"blocking other signals; a non-zero exit status, a signal or a "
		"timeout is a failure.",
	.args = exec_args,
	.state_size = sizeof(struct exec),
	.validate = exec_validate,
	.set_up = exec_set_up,
	.run = exec_run,
	.stop = exec_stop,
	.on_timer = exec_on_timer,
	.on_child = exec_on_child,
	.tear_down = exec_tear_down,
};
