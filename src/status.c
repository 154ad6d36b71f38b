/*
 * What the status file's writer (statuspub.c) and reader (statusshow.c)
 * share: one rule for the runtime directory, one name for a configuration
 * file, one escaping of values, and the start time of a process.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "status.h"

bool fm_status_dir(char *dir, const char **why)
{
	const char *rt = getenv("RUNTIME_DIRECTORY");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (rt && rt[0]) {
		// systemd joins several directories with ':': the first is ours.
		n = snprintf(dir, PATH_MAX, "%.*s", (int)strcspn(rt, ":"), rt);
	} else if (geteuid() == 0) {
		n = snprintf(dir, PATH_MAX, "/run/flagman");
	} else if (xdg && xdg[0]) {
		n = snprintf(dir, PATH_MAX, "%s/flagman", xdg);
	} else {
		*why = "neither RUNTIME_DIRECTORY nor XDG_RUNTIME_DIR is set, "
			"and flagman does not run as root";
		return false;
	}
	if (n < 0 || n >= PATH_MAX) {
		*why = "the runtime directory's path is too long";
		return false;
	}
	if (dir[0] != '/') {
		*why = "the runtime directory is not an absolute path";
		return false;
	}
	return true;
}

// Appends path's components to abs (which holds an absolute path, maybe
// "/"), "." dropped and ".." taking the last one back.  false if too long.
static bool normalise(char *abs, const char *path)
{
	size_t len = strlen(abs);

	while (*path) {
		size_t n = strcspn(path, "/");

		if (n == 2 && strncmp(path, "..", 2) == 0) {
			while (len > 0 && abs[len - 1] != '/') {
				len--;
			}
			len = len > 1 ? len - 1 : 1;
			abs[len] = '\0';
		} else if (n && !(n == 1 && path[0] == '.')) {
			if (len + 1 + n + 1 > PATH_MAX) {
				return false;
			}
			if (abs[len - 1] != '/') {
				abs[len++] = '/';
			}
			memcpy(abs + len, path, n);
			len += n;
			abs[len] = '\0';
		}
		path += n + strspn(path + n, "/");
	}
	return true;
}

// The escape of systemd-escape --path: slashes become '-', and every
// byte but [A-Za-z0-9:_.] (a leading '.' too) is \xHH.
static bool escape_path(const char *abs, char *out, size_t size)
{
	size_t at = 0;

	if (strcmp(abs, "/") == 0) {
		return snprintf(out, size, "-") > 0;
	}
	for (const char *p = abs + 1; *p; p++) {
		unsigned char c = (unsigned char)*p;
		int n;

		if (c == '/') {
			n = snprintf(out + at, size - at, "-");
		} else if (isalnum(c) || c == ':' || c == '_' ||
				(c == '.' && p != abs + 1)) {
			n = snprintf(out + at, size - at, "%c", c);
		} else {
			n = snprintf(out + at, size - at, "\\x%02x", c);
		}
		if (n < 0 || (size_t)n >= size - at) {
			return false;
		}
		at += (size_t)n;
	}
	return true;
}

bool fm_status_name(const char *config, char *abs, char *name)
{
	char esc[NAME_MAX + 1];
	int n;

	abs[0] = '\0';
	if (config) {
		if (config[0] != '/' && !getcwd(abs, PATH_MAX)) {
			return false;
		}
		if (!abs[0]) {
			strcpy(abs, "/");
		}
		if (!normalise(abs, config)) {
			return false;
		}
	}
	if (!escape_path(config ? abs : "/", esc, sizeof(esc))) {
		return false;
	}
	n = snprintf(name, NAME_MAX + 1, "%s.status", esc);
	return n > 0 && n <= NAME_MAX;
}

const char *fm_result_word(enum fm_result result)
{
	switch (result) {
	case FM_RESULT_OK:
		return "ok";
	case FM_RESULT_FAILED:
	case FM_RESULT_FAILED_STOP:
		return "failed";
	case FM_RESULT_UNCHANGED:
		return "unchanged";
	}
	return "unknown";
}

bool fm_status_start_ticks(pid_t pid, unsigned long long *ticks)
{
	char path[64], buf[1024], *p, *end;
	ssize_t n;
	int fd;

	if (pid) {
		snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	} else {
		snprintf(path, sizeof(path), "/proc/self/stat");
	}
	// open and read, not stdio: the daemon calls this once, and stdio's
	// scanning would stay in its memory for nothing.
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		return false;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		return false;
	}
	buf[n] = '\0';
	// The name, field 2, may hold anything up to its last ')'.
	if (!(p = strrchr(buf, ')'))) {
		return false;
	}
	// Field 3 follows ") "; field 22 is 19 fields further.
	for (int field = 2; field < 22; field++) {
		if (!(p = strchr(p + 1, ' '))) {
			return false;
		}
	}
	errno = 0;
	*ticks = strtoull(p + 1, &end, 10);
	return !errno && end > p + 1;
}

int64_t fm_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fm_status_escape(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\\') {
			fputs("\\\\", out);
		} else if (*p == '\n') {
			fputs("\\n", out);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(out, "\\x%02x", *p);
		} else {
			fputc(*p, out);
		}
	}
}

void fm_status_unescape(char *s)
{
	char *to = s;

	for (const char *p = s; *p; p++) {
		unsigned hex;

		if (*p != '\\') {
			*to++ = *p;
		} else if (p[1] == '\\' || p[1] == 'n') {
			*to++ = p[1] == 'n' ? '\n' : '\\';
			p++;
		} else if (p[1] == 'x' && isxdigit((unsigned char)p[2]) &&
				isxdigit((unsigned char)p[3]) &&
				sscanf(p + 2, "%2x", &hex) == 1) {
			*to++ = (char)hex;
			p += 3;
		} else {
			*to++ = *p;
		}
	}
	*to = '\0';
}
