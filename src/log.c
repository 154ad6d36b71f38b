/*
 * The daemon's log.  Plain "flagman: warning: ..." lines on stderr, or, when
 * stderr is the journal (JOURNAL_STREAM names it), structured entries with a
 * priority and the FLAGMAN_ACTION and FLAGMAN_SIGNAL fields.
 *
 * Entries go to journald in its native protocol, on our own non-blocking
 * socket, rather than through libsystemd's sd_journal_sendv(): linking
 * libsystemd maps it and the six libraries it needs (libgcrypt, liblzma,
 * libzstd, ...) into the daemon, 0.8 MiB of its 2.6 MiB at rest, for one
 * sendmsg per entry.  journald documents the protocol as stable.
 *
 * Neither output may stall the loop: an entry journald has no room for
 * goes to stderr instead, and a line stderr has no room for is dropped and
 * counted, and the count is reported once lines go through again.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static int threshold = FM_LOG_WARNING;
static int journal = -1; /* a socket to journald when stderr is its stream */
static unsigned long dropped; /* lines stderr had no room for */

const char *const fm_log_level_names[] = { "error", "warning", "info",
	"debug", NULL };
static const int levels[] = { FM_LOG_ERROR, FM_LOG_WARNING, FM_LOG_INFO,
	FM_LOG_DEBUG };

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
	if (journal < 0 && stderr_is_journal()) {
		journal = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			0);
	}
}

void fm_log_set_level(int level)
{
	threshold = level;
}

const char *fm_log_level_name(int level)
{
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (levels[i] == level) {
			return fm_log_level_names[i];
		}
	}
	return "error";
}

int fm_log_level_at(size_t i)
{
	return levels[i < sizeof(levels) / sizeof(levels[0]) ? i : 1];
}

size_t fm_escape(char *dst, size_t size, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t in = 0, out = 0;

	while (in < len) {
		unsigned char c = (unsigned char)src[in];
		// U+0080..U+009F, the C1 controls, as UTF-8: both bytes escaped.
		bool c1 = c == 0xc2 && in + 1 < len &&
			(unsigned char)src[in + 1] >= 0x80 &&
			(unsigned char)src[in + 1] <= 0x9f;
		size_t take = c1 ? 2 : 1;
		char esc[8];
		size_t n = 0;

		for (size_t i = 0; i < take; i++) {
			unsigned char b = (unsigned char)src[in + i];
			if (b == '\n' || b == '\r') {
				esc[n++] = '\\';
				esc[n++] = b == '\n' ? 'n' : 'r';
			} else if ((b < 0x20 && b != '\t') || b == 0x7f || c1) {
				esc[n++] = '\\';
				esc[n++] = 'x';
				esc[n++] = hex[b >> 4];
				esc[n++] = hex[b & 0xf];
			} else {
				esc[n++] = (char)b;
			}
		}
		if (size - out <= n) {
			break; // an escape is never cut
		}
		memcpy(dst + out, esc, n);
		out += n;
		in += take;
	}
	dst[out] = '\0';
	return in;
}

// One FIELD=value, or FIELD, newline, 64-bit little-endian length, value
// for a value with a newline in it; false if it does not fit.
static bool put_field(char *buf, size_t size, size_t *at, const char *name,
	const char *value)
{
	size_t name_len = strlen(name), len = strlen(value);
	bool binary = memchr(value, '\n', len) != NULL;
	size_t need = name_len + 1 + (binary ? 8 : 0) + len + 1;

	if (size - *at < need) {
		return false;
	}
	memcpy(buf + *at, name, name_len);
	*at += name_len;
	if (binary) {
		buf[(*at)++] = '\n';
		for (int i = 0; i < 8; i++) {
			buf[(*at)++] = (char)((uint64_t)len >> (8 * i) & 0xff);
		}
	} else {
		buf[(*at)++] = '=';
	}
	memcpy(buf + *at, value, len);
	*at += len;
	buf[(*at)++] = '\n';
	return true;
}

size_t fm_journal_entry(char *buf, size_t size, int level, const char *action,
	const char *signame, const char *msg)
{
	char prio[2] = { (char)('0' + (level & 7)), '\0' };
	size_t at = 0;

	if (!put_field(buf, size, &at, "MESSAGE", msg) ||
			!put_field(buf, size, &at, "PRIORITY", prio) ||
			!put_field(buf, size, &at, "SYSLOG_IDENTIFIER", FM_PROGRAM) ||
			(action && !put_field(buf, size, &at, "FLAGMAN_ACTION", action)) ||
			(signame &&
				!put_field(buf, size, &at, "FLAGMAN_SIGNAL", signame))) {
		return 0;
	}
	return at;
}

// Sends one entry to journald; false if it could not, now.
static bool journal_send(int level, const char *action, const char *signame,
	const char *msg)
{
	static const struct sockaddr_un sa = { .sun_family = AF_UNIX,
		.sun_path = JOURNAL_SOCKET };
	char entry[4096];
	size_t len = fm_journal_entry(entry, sizeof(entry), level, action,
		signame, msg);

	return len > 0 && sendto(journal, entry, len, MSG_NOSIGNAL,
		(const struct sockaddr *)&sa, sizeof(sa)) == (ssize_t)len;
}

// A whole line or nothing: stderr may be a pipe nobody reads any more.
static bool put_line(const char *line, size_t len)
{
	struct pollfd pfd = { .fd = STDERR_FILENO, .events = POLLOUT };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLOUT) &&
		write(STDERR_FILENO, line, len) == (ssize_t)len;
}

static void put_stderr(int level, const char *action, const char *msg)
{
	char line[3400]; // below PIPE_BUF: a line is written whole
	int n;

	if (dropped) {
		n = snprintf(line, sizeof(line), FM_PROGRAM ": warning: %lu log "
			"line%s dropped: stderr was full\n", dropped,
			dropped == 1 ? "" : "s");
		if (!put_line(line, (size_t)n)) {
			dropped++;
			return;
		}
		dropped = 0;
	}
	if (action) {
		n = snprintf(line, sizeof(line), FM_PROGRAM ": %s: [%s]: %s\n",
			fm_log_level_name(level), action, msg);
	} else {
		n = snprintf(line, sizeof(line), FM_PROGRAM ": %s: %s\n",
			fm_log_level_name(level), msg);
	}
	if (n < 0) {
		return;
	}
	if ((size_t)n >= sizeof(line)) { // cut, but still one line
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (!put_line(line, (size_t)n)) {
		dropped++;
	}
}

void fm_vlog(int level, const char *action, const char *signame,
	const char *fmt, va_list ap)
{
	char text[1024], msg[3 * 1024], name[256];
	int n;

	if (level > threshold) {
		return;
	}
	n = vsnprintf(text, sizeof(text), fmt, ap);
	if (n < 0) {
		return;
	}
	// Configuration text and a child's output may hold control characters.
	fm_escape(msg, sizeof(msg), text,
		(size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1);
	if (action) {
		fm_escape(name, sizeof(name), action, strlen(action));
		action = name;
	}
	// What the journal cannot take now still goes out as a line.
	if (journal >= 0 && journal_send(level, action, signame, msg)) {
		return;
	}
	put_stderr(level, action, msg);
}

void fm_log(int level, const char *action, const char *signame,
	const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fm_vlog(level, action, signame, fmt, ap);
	va_end(ap);
}
