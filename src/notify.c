/*
 * systemd notification: READY/RELOADING/STOPPING, STATUS and the watchdog.
 * Silent without NOTIFY_SOCKET or with --no-systemd.
 *
 * We send on our own non-blocking socket rather than with sd_notify(): a
 * datagram socket queues only a few messages, and a manager that stops
 * reading must never freeze the daemon.  State changes wait up to a second
 * for room; WATCHDOG=1 is dropped when there is none.
 *
 * STATUS= goes through fm_notify_status(): a text equal to the last one
 * sent is not sent again, and texts come at most one per
 * FM_NOTIFY_STATUS_MS; one that comes sooner waits as the pending text,
 * replaced by any later one, until the caller's timer calls
 * fm_notify_status_flush().  A state change sends the pending text first;
 * after fm_notify_status_forget() the next text is sent even if it is the
 * last one.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"
#include "log.h"

static int fd = -1;

static struct {
	char sent[512];    /* the text of the last STATUS= sent */
	char pending[512]; /* the newest one waiting; "" for none */
	uint64_t sent_ms;  /* when the last was sent; 0 before the first */
} status;

// NOTIFY_SOCKET is a path, or an abstract name written with a leading '@'.
static bool notify_address(struct sockaddr_un *sa, socklen_t *len)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t n;

	if (!path || (path[0] != '/' && path[0] != '@')) {
		return false;
	}
	n = strlen(path);
	if (n >= sizeof(sa->sun_path)) {
		return false;
	}
	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	memcpy(sa->sun_path, path, n);
	if (path[0] == '@') {
		sa->sun_path[0] = '\0';
	}
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
		(path[0] == '/'));
	return true;
}

void fm_notify_init(bool want)
{
	struct sockaddr_un sa;
	socklen_t len;

	if (fd >= 0) {
		close(fd);
		fd = -1;
	}
	status.sent[0] = status.pending[0] = '\0';
	status.sent_ms = 0;
	if (!want || !notify_address(&sa, &len)) {
		return;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		fm_log(FM_LOG_WARNING, NULL, NULL, "cannot notify systemd: %s",
			strerror(errno));
		return;
	}
	// Connected, poll(2) can tell when the manager's queue has room.
	if (connect(fd, (struct sockaddr *)&sa, len) < 0) {
		fm_log(FM_LOG_WARNING, NULL, NULL, "cannot notify systemd: %s",
			strerror(errno));
		close(fd);
		fd = -1;
	}
}

bool fm_notify_enabled(void)
{
	return fd >= 0;
}

// Sends msg; a state change (wait) waits up to a second for room.  0 or
// a negative errno.
static int send_msg(const char *msg, bool wait)
{
	int err;

	for (int tries = 0; tries < 2; tries++) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };

		if (send(fd, msg, strlen(msg), MSG_NOSIGNAL) >= 0) {
			return 0;
		}
		if (errno != EAGAIN || !wait || poll(&pfd, 1, 1000) <= 0) {
			break;
		}
	}
	err = errno;
	fm_log(FM_LOG_DEBUG, NULL, NULL, "notification '%.20s' not sent: %s",
		msg, strerror(err));
	return -err;
}

// Sends the pending STATUS= now, waiting for room as a state change does
// with wait.  false when the queue had no room (it stays pending).
static bool send_pending(bool wait)
{
	char msg[sizeof(status.pending) + 7];

	snprintf(msg, sizeof(msg), "STATUS=%s", status.pending);
	if (send_msg(msg, wait) == -EAGAIN) {
		return false;
	}
	memcpy(status.sent, status.pending, sizeof(status.sent));
	status.pending[0] = '\0';
	status.sent_ms = fm_now_ms();
	return true;
}

void fm_notify(const char *fmt, ...)
{
	bool state = strncmp(fmt, "WATCHDOG=", 9) != 0;
	char msg[512];
	va_list ap;
	int n;

	if (fd < 0) {
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0) {
		return;
	}
	// Whatever the manager shows before a state change is the latest.
	if (state && status.pending[0]) {
		send_pending(true);
	}
	send_msg(msg, state);
}

void fm_notify_status_forget(void)
{
	status.sent[0] = '\0';
}

uint64_t fm_notify_status(const char *text)
{
	uint64_t wait;

	if (fd < 0) {
		return 0;
	}
	// The common case, a chain like the last: no copy, no clock.
	if (strcmp(text, status.sent) == 0 && status.sent_ms) {
		status.pending[0] = '\0'; // back to what the manager shows
		return 0;
	}
	snprintf(status.pending, sizeof(status.pending), "%s", text);
	if ((wait = fm_pace(status.sent_ms, FM_NOTIFY_STATUS_MS, fm_now_ms()))) {
		return wait;
	}
	return fm_notify_status_flush();
}

uint64_t fm_notify_status_flush(void)
{
	if (fd < 0 || !status.pending[0] || send_pending(false)) {
		return 0;
	}
	return fm_now_ms() + FM_NOTIFY_STATUS_MS;
}

// A decimal number and nothing else; 0 if it is not one.
static unsigned long long env_number(const char *name)
{
	const char *text = getenv(name);
	unsigned long long n;
	char *end;

	if (!text || *text < '0' || *text > '9') {
		return 0;
	}
	errno = 0;
	n = strtoull(text, &end, 10);
	return errno || *end ? 0 : n;
}

/*
 * The watchdog as sd_watchdog_enabled(3) reads it: WATCHDOG_USEC, for this
 * process unless WATCHDOG_PID names another.  Pinged at half the interval.
 */
uint64_t fm_notify_watchdog_ms(void)
{
	unsigned long long usec = env_number("WATCHDOG_USEC");

	if (fd < 0 || usec == 0 || (getenv("WATCHDOG_PID") &&
			env_number("WATCHDOG_PID") != (unsigned long long)getpid())) {
		return 0;
	}
	return usec / 2000 ? usec / 2000 : 1;
}

uint64_t fm_pace(uint64_t last, uint64_t interval, uint64_t now)
{
	return last && now < last + interval ? last + interval : 0;
}

uint64_t fm_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
