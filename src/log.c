/*
 * The daemon's log.  Plain "flagman: warning: ..." lines on stderr, or, when
 * stderr is the journal (JOURNAL_STREAM names it), structured entries with a
 * priority and the FLAGMAN_ACTION and FLAGMAN_SIGNAL fields.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
// CODE_FILE=../src/log.c on every entry would say nothing useful.
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "flagman.h"

static int threshold = FM_LOG_WARNING;
static bool to_journal;

static const char *const level_names[] = {
	[FM_LOG_ERROR] = "error",
	[FM_LOG_WARNING] = "warning",
	[FM_LOG_INFO] = "info",
	[FM_LOG_DEBUG] = "debug",
};

static bool stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!env || sscanf(env, "%llu:%llu", &dev, &ino) != 2) {
		return false;
	}
	if (fstat(STDERR_FILENO, &st) < 0) {
		return false;
	}
	return st.st_dev == dev && st.st_ino == ino;
}

void fm_std_fds_open(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int null = open("/dev/null", O_RDWR);
			// open() returns the lowest free number: fd itself.
			if (null >= 0 && null != fd) {
				close(null);
			}
		}
	}
}

void fm_log_init(int level)
{
	threshold = level;
	to_journal = stderr_is_journal();
}

void fm_log_set_level(int level)
{
	threshold = level;
}

int fm_log_level(void)
{
	return threshold;
}

const char *fm_log_level_name(int level)
{
	if (level < FM_LOG_ERROR || level > FM_LOG_DEBUG || !level_names[level]) {
		return "error";
	}
	return level_names[level];
}

int fm_log_level_parse(const char *name)
{
	for (int i = FM_LOG_ERROR; i <= FM_LOG_DEBUG; i++) {
		if (level_names[i] && strcasecmp(name, level_names[i]) == 0) {
			return i;
		}
	}
	return -1;
}

// Sends one entry to the journal; false if it could not.
static bool journal_send(int level, const char *action, const char *signame,
	const char *msg)
{
	char prio[16], fields[2][256], *text;
	struct iovec iov[6];
	int n = 0, r;

	if (asprintf(&text, "MESSAGE=%s", msg) < 0) {
		return false;
	}
	snprintf(prio, sizeof(prio), "PRIORITY=%d", level);
	iov[n++] = (struct iovec){ text, strlen(text) };
	iov[n++] = (struct iovec){ prio, strlen(prio) };
	iov[n++] = (struct iovec){ "SYSLOG_IDENTIFIER=" FM_PROGRAM,
		sizeof("SYSLOG_IDENTIFIER=" FM_PROGRAM) - 1 };
	if (action) {
		snprintf(fields[0], sizeof(fields[0]), "FLAGMAN_ACTION=%s", action);
		iov[n++] = (struct iovec){ fields[0], strlen(fields[0]) };
	}
	if (signame) {
		snprintf(fields[1], sizeof(fields[1]), "FLAGMAN_SIGNAL=%s", signame);
		iov[n++] = (struct iovec){ fields[1], strlen(fields[1]) };
	}
	r = sd_journal_sendv(iov, n);
	free(text);
	return r >= 0;
}

void fm_vlog(int level, const char *action, const char *signame,
	const char *fmt, va_list ap)
{
	char msg[1024];

	if (level > threshold) {
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	// If the journal refuses an entry, the line still goes out.
	if (to_journal && journal_send(level, action, signame, msg)) {
		return;
	}
	if (action) {
		fprintf(stderr, FM_PROGRAM ": %s: [%s]: %s\n",
			fm_log_level_name(level), action, msg);
	} else {
		fprintf(stderr, FM_PROGRAM ": %s: %s\n",
			fm_log_level_name(level), msg);
	}
}

void fm_log(int level, const char *action, const char *signame,
	const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fm_vlog(level, action, signame, fmt, ap);
	va_end(ap);
}

void fm_diag_error(struct fm_diag *diag, const char *file, unsigned line,
	const char *fmt, ...)
{
	va_list ap;

	if (file && line) {
		fprintf(diag->out, "%s:%u: error: ", file, line);
	} else if (file) {
		fprintf(diag->out, "%s: error: ", file);
	} else {
		fprintf(diag->out, FM_PROGRAM ": error: ");
	}
	va_start(ap, fmt);
	vfprintf(diag->out, fmt, ap);
	va_end(ap);
	fputc('\n', diag->out);
	diag->errors++;
}
