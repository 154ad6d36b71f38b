/*
 * signal: forwards a signal (by default the one that started the chain) to
 * a process named by pid, or by a pidfile read again at every run, or to
 * that process's group; a real-time signal takes the trigger's sigqueue()
 * value with it.  A pidfile that a non-root user could change (see
 * src/safepath.c) is honoured only for that user's own processes, never
 * for PID 1 or a process group.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flagman/action.h"
#include "safepath.h"
#include "signals.h"

struct sigfwd {
	int send;       /* 0: the signal that started the run */
	long long pid;  /* 0: unset */
	char *pidfile;
	bool process_group;
};

// Writes text to out with control characters shown as '?', for messages;
// the newline that ends a pidfile is left out.
static void printable(const char *text, size_t len, char *out, size_t size)
{
	size_t i;

	while (len > 0 && strchr(" \t\r\n", text[len - 1])) {
		len--;
	}
	for (i = 0; i < len && i + 1 < size; i++) {
		unsigned char c = (unsigned char)text[i];
		out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	out[i] = '\0';
}

// "123\n" with optional blanks around it; the whole content must be a PID.
static pid_t parse_pid(const char *text)
{
	char *end;
	long v;

	while (*text == ' ' || *text == '\t') {
		text++;
	}
	if (*text < '0' || *text > '9') {
		return 0;
	}
	errno = 0;
	v = strtol(text, &end, 10);
	end += strspn(end, " \t\r\n");
	if (errno || *end != '\0' || v < 1 || v > INT_MAX) {
		return 0;
	}
	return (pid_t)v;
}

// Opens the pidfile through the safe-path walk; *writer is who can change
// what it says (see fm_safe_writer).  -1 after logging why not.
static int open_pidfile(struct fm_action *action, const char *path,
	uid_t *writer)
{
	char err[2 * PATH_MAX + 128];
	struct fm_safe s;
	struct stat st;
	int fd, r;

	if ((r = fm_safe_walk(path, true, &s, err, sizeof(err))) < 0) {
		if (r == -EPERM) {
			fm_action_log(action, FM_LOG_WARNING, "refusing pidfile %s: %s",
				path, err);
		} else {
			fm_action_log(action, FM_LOG_WARNING, "cannot open pidfile %s: "
				"%s", path, strerror(-r));
		}
		return -1;
	}
	// O_NONBLOCK: a FIFO planted at the path must not hang the loop.
	fd = openat(s.dirfd, s.name, O_RDONLY | O_CLOEXEC | O_NOCTTY |
		O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0) {
		fm_action_log(action, FM_LOG_WARNING, "cannot open pidfile %s: %s",
			path, strerror(errno));
	} else if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fm_action_log(action, FM_LOG_WARNING, "pidfile %s is not a regular "
			"file", path);
		close(fd);
		fd = -1;
	} else {
		*writer = fm_safe_writer(&s, &st);
	}
	fm_safe_finish(&s);
	return fd;
}

// Reads the PID in the pidfile; 0 after logging why there is none.
static pid_t read_pidfile(struct fm_action *action, const char *path,
	uid_t *writer)
{
	char buf[32], shown[sizeof(buf)];
	ssize_t n;
	pid_t pid;
	int fd;

	if ((fd = open_pidfile(action, path, writer)) < 0) {
		return 0;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		fm_action_log(action, FM_LOG_WARNING, "cannot read pidfile %s: %s",
			path, strerror(errno));
		return 0;
	}
	buf[n] = '\0';
	pid = (size_t)n == strlen(buf) ? parse_pid(buf) : 0;
	if (!pid) {
		printable(buf, (size_t)n, shown, sizeof(shown));
		fm_action_log(action, FM_LOG_WARNING, "pidfile %s does not hold a "
			"PID (it holds '%s'%s)", path, shown,
			(size_t)n == sizeof(buf) - 1 ? "..." : "");
	}
	return pid;
}

// The real and saved uids of a process, from /proc/PID/status.
static bool proc_uids(pid_t pid, unsigned *real, unsigned *saved)
{
	char path[64], line[256];
	unsigned eff;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "re"))) {
		return false;
	}
	while (!found && fgets(line, sizeof(line), f)) {
		found = sscanf(line, "Uid: %u %u %u", real, &eff, saved) == 3;
	}
	fclose(f);
	return found;
}

/*
 * May a PID from a pidfile that writer can change be signalled?  Only what
 * writer could signal itself (kill(2)'s rule: the target's real or saved
 * uid is theirs); never PID 1; and with process_group, only a pidfile that
 * root alone can change, since a group may hold anyone's processes.  For a
 * writer other than root, the process is pinned with a pidfd (*pidfd)
 * before its uids are read, so a reused PID cannot take its place.
 */
static bool honoured(struct fm_action *action, const struct sigfwd *s,
	pid_t pid, uid_t writer, int *pidfd)
{
	unsigned real, saved;
	char who[32];

	if (pid == 1) {
		fm_action_log(action, FM_LOG_WARNING, "refusing PID 1 from pidfile "
			"%s: a pidfile may never name PID 1", s->pidfile);
		return false;
	}
	if (writer == 0) { // root, or the user flagman runs as
		return true;
	}
	fm_safe_who(writer, who, sizeof(who));
	if (writer == FM_SAFE_ANYONE) {
		fm_action_log(action, FM_LOG_WARNING, "refusing PID %d from pidfile "
			"%s: group or others can change the pidfile", (int)pid,
			s->pidfile);
	} else if (s->process_group) {
		fm_action_log(action, FM_LOG_WARNING, "refusing process group %d from "
			"pidfile %s: %s can change the pidfile (process_group needs one "
			"that only root can change)", (int)pid, s->pidfile, who);
	} else if (((*pidfd = pidfd_open(pid, 0)) < 0 && errno != ENOSYS) ||
			!proc_uids(pid, &real, &saved)) {
		fm_action_log(action, FM_LOG_WARNING, "cannot check PID %d from "
			"pidfile %s: %s", (int)pid, s->pidfile, strerror(errno));
	} else if (real != writer && saved != writer) {
		fm_action_log(action, FM_LOG_WARNING, "refusing PID %d from pidfile "
			"%s: %s can change the pidfile, and the process is not theirs "
			"(real uid %u, saved uid %u)", (int)pid, s->pidfile, who, real,
			saved);
	} else {
		return true;
	}
	return false;
}

/*
 * Sends signo to pid (or its group), through pidfd if there is one; -1 with
 * errno set.  With value, as sigqueue(3) would: si_code SI_QUEUE, which the
 * kernel accepts from one process signalling another (it refuses codes that
 * claim to come from kill(2) or the kernel), and flagman's own PID and UID.
 * A process group gets no value: sigqueue(3) cannot name a group.
 */
static int send_to(const struct sigfwd *s, pid_t pid, int pidfd, int signo,
	const int *value)
{
	siginfo_t info;

	if (s->process_group) {
		return kill(-pid, signo);
	}
	if (!value) {
		return pidfd >= 0 ? pidfd_send_signal(pidfd, signo, NULL, 0) :
			kill(pid, signo);
	}
	if (pidfd < 0) {
		return sigqueue(pid, signo,
			(union sigval){ .sival_int = *value });
	}
	memset(&info, 0, sizeof(info));
	info.si_signo = signo;
	info.si_code = SI_QUEUE;
	info.si_pid = getpid();
	info.si_uid = getuid();
	info.si_value.sival_int = *value;
	return pidfd_send_signal(pidfd, signo, &info, 0);
}

static int signal_run(struct fm_action *action, void *state,
	const struct fm_run *run)
{
	struct sigfwd *s = state;
	int signo = s->send ? s->send : run->signo;
	uid_t writer = 0;
	pid_t pid = s->pid ? (pid_t)s->pid :
		read_pidfile(action, s->pidfile, &writer);
	int pidfd = -1, r = -1;
	char name[FM_SIGNAME_MAX];
	// Only a real-time signal carries the trigger's value on, and not to
	// a group (see send_to).
	const int *value = run->has_value && signo >= SIGRTMIN &&
		signo <= SIGRTMAX && !s->process_group ? &run->value : NULL;
	char with[32] = "";

	if (!pid) {
		return FM_RESULT_FAILED;
	}
	// kill(-1) would signal every process there is.
	if (s->process_group && pid == 1) {
		fm_action_log(action, FM_LOG_WARNING, "refusing to signal process "
			"group 1");
	} else if (!s->pidfile || honoured(action, s, pid, writer, &pidfd)) {
		if ((r = send_to(s, pid, pidfd, signo, value)) < 0) {
			fm_action_log(action, FM_LOG_WARNING, "cannot send SIG%s to %s "
				"%ld%s%s: %s", fm_signal_name(signo, name),
				s->process_group ? "process group" : "PID", (long)pid,
				s->pidfile ? " from " : "", s->pidfile ? s->pidfile : "",
				strerror(errno));
		}
	}
	if (pidfd >= 0) {
		close(pidfd);
	}
	if (r < 0) {
		return FM_RESULT_FAILED;
	}
	if (value) {
		snprintf(with, sizeof(with), " with value %d", *value);
	}
	fm_action_log(action, FM_LOG_INFO, "sent SIG%s%s to %s %ld",
		fm_signal_name(signo, name), with,
		s->process_group ? "process group" : "PID", (long)pid);
	return FM_RESULT_OK;
}

static void signal_validate(const void *state, struct fm_check *check)
{
	const struct sigfwd *s = state;
	bool pid = fm_check_given(check, "pid");

	// Both given: at the second key; neither: at the section.
	if (pid == fm_check_given(check, "pidfile")) {
		fm_check_error(check, pid ? "pidfile" : NULL, "exactly one of "
			"'pid' and 'pidfile' is required");
	}
	if (s->pid == 1 && s->process_group) {
		fm_check_error(check, "process_group", "'process_group' with "
			"'pid = 1' would signal every process");
	}
}

static const struct fm_arg_spec signal_args[] = {
	{ "send", FM_ARG_SIGNAL, .offset = offsetof(struct sigfwd, send),
		.help = "the signal to send; default: the one that arrived" },
	{ "pid", FM_ARG_INT, .offset = offsetof(struct sigfwd, pid),
		.min = 1, .max = INT_MAX,
		.help = "the process to signal" },
	{ "pidfile", FM_ARG_PATH, .offset = offsetof(struct sigfwd, pidfile),
		.help = "a file holding the PID, read at every run" },
	{ "process_group", FM_ARG_BOOL, .default_value = "no",
		.offset = offsetof(struct sigfwd, process_group),
		.help = "signal the process's whole group" },
	{ 0 },
};

const struct fm_action_type fm_action_signal = {
	.abi = FM_ACTION_ABI,
	.name = "signal",
	.description = "Forwards a signal to another process, named by 'pid' or "
		"by a 'pidfile' read at every run.",
	.args = signal_args,
	.state_size = sizeof(struct sigfwd),
	.validate = signal_validate,
	.run = signal_run,
};
