/*
 * The baseline for the signal benchmarks: the least a signalfd daemon can do.
 *
 *   bl_loop line MESSAGE        one write(2) of MESSAGE per SIGUSR1
 *   bl_loop spawn PROG [ARG...] posix_spawn PROG per SIGUSR1, reap on SIGCHLD
 *
 * It prints "init" once it is ready, as flagman's print action does at
 * set-up, and exits 0 on SIGTERM or SIGINT.  Blocking read(2) on the
 * signalfd: no poll, no timers, no bookkeeping.
 */
#include <signal.h>
#include <stdbool.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void spawn(char *const argv[], posix_spawnattr_t *attr)
{
	pid_t pid;
	int r = posix_spawn(&pid, argv[0], NULL, attr, argv, environ);

	if (r != 0) {
		fprintf(stderr, "bl_loop: cannot start %s: %s\n", argv[0],
			strerror(r));
	}
}

int main(int argc, char **argv)
{
	struct signalfd_siginfo si;
	posix_spawnattr_t attr;
	sigset_t set, none;
	char *line;
	size_t len;
	bool spawning;
	int sfd;

	if (argc < 3 || (strcmp(argv[1], "line") && strcmp(argv[1], "spawn"))) {
		fprintf(stderr, "usage: bl_loop line MESSAGE | "
			"bl_loop spawn PROG [ARG...]\n");
		return 2;
	}
	spawning = strcmp(argv[1], "spawn") == 0;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	// The child needs its signals back, as any daemon's child would.
	sigemptyset(&none);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	if (asprintf(&line, "%s\n", argv[2]) < 0 || sfd < 0) {
		return 1;
	}
	len = strlen(line);
	if (write(1, "init\n", 5) != 5) {
		return 1;
	}
	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			break;
		}
		if (si.ssi_signo == SIGCHLD) {
			while (waitpid(-1, NULL, WNOHANG) > 0) {
				continue;
			}
		} else if (spawning) {
			spawn(argv + 2, &attr);
		} else if (write(1, line, len) != (ssize_t)len) {
			return 1;
		}
	}
	posix_spawnattr_destroy(&attr);
	free(line);
	return 0;
}
