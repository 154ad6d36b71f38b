/*
 * fdredir FD PATH PROGRAM [ARG...]: opens PATH for writing as descriptor FD
 * (or, with PATH "-", closes FD) and executes PROGRAM.  The fault tests start
 * flagman through it with stdout on /dev/full or closed; a program of our own
 * rather than sh keeps valgrind following flagman.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fd, opened;

	if (argc < 4 || (fd = atoi(argv[1])) < 0) {
		fprintf(stderr, "usage: fdredir FD PATH|- PROGRAM [ARG...]\n");
		return 127;
	}
	if (strcmp(argv[2], "-") == 0) {
		close(fd);
	} else {
		opened = open(argv[2], O_WRONLY | O_CLOEXEC);
		if (opened < 0 || (opened != fd && dup2(opened, fd) < 0)) {
			fprintf(stderr, "fdredir: %s: %s\n", argv[2], strerror(errno));
			return 127;
		}
		if (opened == fd) {
			fcntl(fd, F_SETFD, 0);
		} else {
			close(opened);
		}
	}
	execv(argv[3], argv + 3);
	fprintf(stderr, "fdredir: %s: %s\n", argv[3], strerror(errno));
	return 127;
}
