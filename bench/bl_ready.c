/*
 * The baseline for exec -> READY=1: a program that tells the service
 * manager it is ready, then waits for SIGTERM.  Built twice: with
 * sd_notify(3), as flagman does, and (BL_RAW) with one sendto(2) and no
 * libsystemd at all.
 */
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifdef BL_RAW
static int notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (!path || strlen(path) >= sizeof(sa.sun_path)) {
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path));
	if (sa.sun_path[0] == '@') {
		sa.sun_path[0] = '\0'; // an abstract socket
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		return -1;
	}
	r = (int)sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sa,
		(socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path)));
	close(fd);
	return r;
}
#else
#include <systemd/sd-daemon.h>

static int notify(const char *msg)
{
	return sd_notify(0, msg);
}
#endif

int main(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (notify("READY=1") < 0) {
		return 1;
	}
	sigwait(&set, &sig);
	return 0;
}
