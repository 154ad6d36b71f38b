/*
 * The program the signal->child benchmark starts: it writes its PID and a
 * newline to the FIFO named by its argument and exits.  The driver times
 * the line's arrival, then waits until the PID is reaped.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char line[32];
	int fd, len;

	if (argc != 2 || (fd = open(argv[1], O_WRONLY | O_CLOEXEC)) < 0) {
		return 1;
	}
	len = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	return write(fd, line, (size_t)len) == len ? 0 : 1;
}
