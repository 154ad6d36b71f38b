/*
 * The daemon's side of flagman --status: the state of every action written
 * to RUNTIME_DIR/NAME.status (status.h), rewritten atomically (a temporary
 * file renamed over it) after a change, at most once per FM_STATUS_MS; a
 * change within the interval arms a loop timer, so an idle daemon makes no
 * system call for it.  The directory is opened once, checked, and every
 * file is reached relative to its descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actionset.h"
#include "safepath.h"
#include "status.h"

struct fm_status_pub {
	const struct fm_actionset *set;
	int dirfd;
	char dir[PATH_MAX];
	char name[NAME_MAX + 1];
	char tmp[NAME_MAX + 1];
	char config[PATH_MAX];   /* "" for --no-config */
	gid_t group;             /* of the file; (gid_t)-1 to leave it */
	unsigned long long ticks; /* our start time, /proc/self/stat */
	int64_t started;         /* wall clock ms */
	unsigned long reloads;
	struct fm_source *timer; /* armed while a change waits */
	uint64_t written;        /* fm_now_ms() of the last write; 0: none */
	struct stat mine;        /* the file last written, to remove at exit */
	bool failing;            /* the last write failed (and said so) */
};

// The gid of a line of /etc/group naming adm, or -1.
static gid_t adm_line(const char *line)
{
	const char *p = strncmp(line, "adm:", 4) == 0 ? strchr(line + 4, ':') :
		NULL;
	char *end;
	unsigned long gid;

	if (!p || p[1] < '0' || p[1] > '9') {
		return (gid_t)-1;
	}
	errno = 0;
	gid = strtoul(p + 1, &end, 10);
	return errno || *end != ':' || gid >= (gid_t)-1 ? (gid_t)-1 : (gid_t)gid;
}

/*
 * The group of the file: adm when root and /etc/group has it, so that
 * adm's members may read it; else -1, the default.  /etc/group is read
 * directly: adm is a static group of the base system, and asking NSS
 * for it would load and initialise its machinery (some 60 kB of memory
 * for as long as flagman runs) for one line.
 */
static gid_t file_group(void)
{
	char buf[512], *line, *nl;
	size_t len = 0;
	bool skip = false; // the rest of a line too long for buf
	gid_t gid = (gid_t)-1;
	ssize_t n = 1;
	int fd = geteuid() == 0 ? open("/etc/group", O_RDONLY | O_CLOEXEC) : -1;

	while (fd >= 0 && gid == (gid_t)-1 && n > 0) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		len += n > 0 ? (size_t)n : 0;
		buf[len] = '\0';
		for (line = buf; (nl = strchr(line, '\n')) ||
				(n <= 0 && *line); line = nl ? nl + 1 : line + strlen(line)) {
			if (nl) {
				*nl = '\0';
			}
			if (!skip && gid == (gid_t)-1) {
				gid = adm_line(line);
			}
			skip = false;
		}
		len -= (size_t)(line - buf);
		memmove(buf, line, len);
		if (len == sizeof(buf) - 1) {
			skip = true;
			len = 0;
		}
	}
	if (fd >= 0) {
		close(fd);
	}
	return gid;
}

static void on_timer(void *owner);

struct fm_status_pub *fm_status_pub_create(struct fm_loop *loop,
	const struct fm_actionset *set, const char *config)
{
	struct fm_status_pub *pub = calloc(1, sizeof(*pub));
	const char *why = NULL;
	char err[3 * PATH_MAX];

	if (!pub || !(pub->timer = fm_loop_add_time(loop, on_timer, pub))) {
		fm_log(FM_LOG_ERROR, NULL, NULL, "out of memory");
		free(pub);
		return NULL;
	}
	pub->set = set;
	pub->dirfd = -1;
	if (!fm_status_dir(pub->dir, &why) ||
			!fm_status_name(config, pub->config, pub->name) ||
			snprintf(pub->tmp, sizeof(pub->tmp), ".%s.tmp", pub->name) >=
			(int)sizeof(pub->tmp)) {
		fm_log(FM_LOG_DEBUG, NULL, NULL, "no status file: %s",
			why ? why : "the configuration file's path is too long");
		goto fail;
	}
	pub->dirfd = fm_safe_own_dir(pub->dir, true, err, sizeof(err));
	if (pub->dirfd < 0) {
		fm_log(FM_LOG_WARNING, NULL, NULL, "no status file: %s", err);
		goto fail;
	}
	pub->group = file_group();
	pub->started = fm_wall_ms();
	fm_status_start_ticks(0, &pub->ticks);
	return pub;
fail:
	fm_source_free(pub->timer);
	free(pub);
	return NULL;
}

static void write_action(FILE *f, const struct fm_action *a)
{
	char buf[FM_SIGNAME_MAX];
	bool closed = a->phase >= FM_ACTION_LAST_RUN;

	fputs("action=", f);
	fm_status_escape(f, a->name);
	fprintf(f, "\ntype=%s\nsignals=", a->type->name);
	for (int s = 1, n = 0; s <= 64; s++) {
		if (a->signals & FM_SIGBIT(s)) {
			fprintf(f, "%s%s", n++ ? " " : "", fm_signal_name(s, buf));
		}
	}
	fprintf(f, "\nruns=%lu\nfailures=%lu\n", a->runs, a->failures);
	if (a->runs) {
		fprintf(f, "last_start=%lld\n", (long long)a->last_start_wall);
	} else {
		fputs("last_start=\n", f);
	}
	if (a->runs && !fm_action_busy(a)) {
		fprintf(f, "last_duration=%llu\nresult=%s\n",
			(unsigned long long)a->last_duration, fm_result_word(a->result));
	} else {
		fprintf(f, "last_duration=\nresult=%s\n",
			a->runs ? "running" : "");
	}
	fprintf(f, "closed=%s\nclose_reason=", closed ? "yes" : "no");
	fm_status_escape(f, closed && a->close_reason ? a->close_reason : "");
	fputc('\n', f);
}

// The file's text into a buffer (*len bytes, the caller frees), or NULL.
static char *content(const struct fm_status_pub *pub, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f) {
		return NULL;
	}
	fprintf(f, "format=%d\npid=%ld\nstart_ticks=%llu\nstarted=%lld\n"
		"config=", FM_STATUS_FORMAT, (long)getpid(), pub->ticks,
		(long long)pub->started);
	fm_status_escape(f, pub->config);
	fprintf(f, "\nreloads=%lu\nwritten=%lld\n", pub->reloads,
		(long long)fm_wall_ms());
	for (size_t i = 0; i < pub->set->n; i++) {
		write_action(f, pub->set->v[i]);
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

// Writes the temporary file and renames it over the status file.
static void write_file(struct fm_status_pub *pub)
{
	size_t len = 0, done = 0;
	char *text = content(pub, &len);
	int fd, r;

	pub->written = fm_now_ms();
	if (!text) {
		fm_log(FM_LOG_ERROR, NULL, NULL, "status file: out of memory");
		return;
	}
	unlinkat(pub->dirfd, pub->tmp, 0); // a stale one, from a crash
	fd = openat(pub->dirfd, pub->tmp, O_CREAT | O_EXCL | O_WRONLY |
		O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0 || fchmod(fd, 0640) < 0 || (pub->group != (gid_t)-1 &&
			fchown(fd, (uid_t)-1, pub->group) < 0) ||
			fstat(fd, &pub->mine) < 0) {
		goto fail;
	}
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno != EINTR) {
			goto fail;
		}
		done += n > 0 ? (size_t)n : 0;
	}
	r = close(fd);
	fd = -1;
	if (r < 0 || renameat(pub->dirfd, pub->tmp, pub->dirfd, pub->name) < 0) {
		goto fail;
	}
	pub->failing = false;
	free(text);
	return;
fail:
	// Once until a write succeeds again, not four times a second.
	if (!pub->failing) {
		fm_log(FM_LOG_WARNING, NULL, NULL, "cannot write the status file "
			"%s/%s: %s", pub->dir, pub->name, strerror(errno));
	}
	pub->failing = true;
	if (fd >= 0) {
		close(fd);
	}
	unlinkat(pub->dirfd, pub->tmp, 0);
	free(text);
}

static void on_timer(void *owner)
{
	write_file(owner);
}

void fm_status_pub_changed(struct fm_status_pub *pub)
{
	uint64_t wait;

	if (!pub) {
		return;
	}
	// The pacing of STATUS= (notify.c), with a timer of our own.
	wait = fm_pace(pub->written, FM_STATUS_MS, fm_now_ms());
	fm_source_set_time(pub->timer, wait);
	if (!wait) {
		write_file(pub);
	}
}

void fm_status_pub_reloaded(struct fm_status_pub *pub)
{
	if (pub) {
		pub->reloads++;
		fm_status_pub_changed(pub);
	}
}

void fm_status_pub_destroy(struct fm_status_pub *pub)
{
	struct stat st;

	if (!pub) {
		return;
	}
	// Only our own: a later instance for the same file may have replaced it.
	if (pub->written && fstatat(pub->dirfd, pub->name, &st,
			AT_SYMLINK_NOFOLLOW) == 0 && st.st_ino == pub->mine.st_ino &&
			st.st_dev == pub->mine.st_dev) {
		unlinkat(pub->dirfd, pub->name, 0);
	}
	close(pub->dirfd);
	fm_source_free(pub->timer);
	free(pub);
}
