/*
 * Loading action types from plug-ins: every *.so in the plug-in directory,
 * each exporting `const struct fm_plugin fm_plugin`.  A plug-in with any
 * problem is refused whole, with a message naming it; none is ever unloaded
 * before exit, since running actions point into it.  Each is opened once,
 * checked on that descriptor (owner, mode, and the directories it really
 * lies in: src/safepath.c) and loaded from it, /proc/self/fd/N, so that
 * nothing can be swapped in between.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conffile.h"
#include "diag.h"
#include "log.h"
#include "registry.h"
#include "safepath.h"

static bool valid_name(const char *name)
{
	if (!name || !*name) {
		return false;
	}
	for (const char *p = name; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
				*p == '_')) {
			return false;
		}
	}
	return true;
}

// One type of a plug-in: true, or false after saying what is wrong.
static bool type_ok(const struct fm_registry *reg, const char *path,
	const struct fm_action_type *t, struct fm_diag *diag)
{
	const char *origin;

	if (t->abi != FM_ACTION_ABI) {
		fm_diag_error(diag, path, 0, "action type '%s' was built for "
			"plug-in ABI %u, this flagman has ABI %u",
			t->name ? t->name : "?", t->abi, FM_ACTION_ABI);
	} else if (!valid_name(t->name)) {
		fm_diag_error(diag, path, 0, "invalid action type name '%s' "
			"(lower-case letters, digits and '_')", t->name ? t->name : "");
	} else if (!t->run) {
		fm_diag_error(diag, path, 0, "action type '%s' has no run "
			"callback", t->name);
	} else if ((origin = fm_registry_origin(reg, t->name))) {
		fm_diag_error(diag, path, 0, "action type '%s' is already "
			"defined (%s)", t->name, origin);
	} else {
		return true;
	}
	return false;
}

// Checks every type before any is added, so a refusal leaves no trace.
static bool check_types(const struct fm_registry *reg, const char *path,
	const struct fm_plugin *plugin, struct fm_diag *diag)
{
	const struct fm_action_type *const *types = plugin->types;
	bool ok = true;

	if (!types || !types[0]) {
		fm_diag_error(diag, path, 0, "plug-in defines no action types");
		return false;
	}
	for (size_t i = 0; types[i]; i++) {
		const struct fm_action_type *t = types[i];

		ok = type_ok(reg, path, t, diag) && ok;
		for (size_t j = 0; j < i && t->name; j++) {
			if (types[j]->name && strcmp(types[j]->name, t->name) == 0) {
				fm_diag_error(diag, path, 0, "action type '%s' is defined "
					"twice", t->name);
				ok = false;
			}
		}
	}
	return ok;
}

// dlerror()'s text with the /proc name of the descriptor taken out.
static const char *load_error(const char *proc)
{
	const char *msg = dlerror();
	size_t len = strlen(proc);

	if (!msg) {
		return "unknown error";
	}
	if (strncmp(msg, proc, len) == 0 && strncmp(msg + len, ": ", 2) == 0) {
		msg += len + 2;
	}
	return msg;
}

/*
 * Reports why dlopen() failed.  flagman exports only the functions of
 * <flagman/action.h>, so a plug-in calling any other of its functions finds
 * that symbol missing: say so, naming it.
 */
static void refuse_load(const char *path, const char *proc,
	struct fm_diag *diag)
{
	static const char undefined[] = "undefined symbol: ";
	const char *msg = load_error(proc), *name = "";

	if (strncmp(msg, undefined, strlen(undefined)) == 0) {
		name = msg + strlen(undefined); // then "SYMBOL[, version V]"
	}
	if (strncmp(name, "fm_", 3) == 0) {
		fm_diag_error(diag, path, 0, "cannot load plug-in: undefined symbol "
			"'%.*s' (plug-ins may call only the functions declared in "
			"<flagman/action.h>)", (int)strcspn(name, ", "), name);
	} else {
		fm_diag_error(diag, path, 0, "cannot load plug-in: %s", msg);
	}
}

/*
 * Opens name in the plug-in directory once and checks that descriptor (its
 * owner and mode, and every directory on the path it resolves to); -1
 * after reporting why not.
 */
static int open_checked(int dirfd, const char *name, const char *path,
	struct fm_diag *diag)
{
	char err[2 * PATH_MAX + 128];
	struct stat st;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY |
		O_NONBLOCK);

	if (fd < 0 || fstat(fd, &st) < 0) {
		fm_diag_error(diag, path, 0, "cannot open: %s", strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		fm_diag_error(diag, path, 0, "not a regular file");
	} else if (!fm_safe_trusted(NULL, &st, path, err, sizeof(err))) {
		// As root, a file anyone else can change would hand them root.
		fm_diag_error(diag, path, 0, "%s", err);
	} else if (geteuid() == 0 && !fm_safe_fd_chain(fd, err, sizeof(err))) {
		fm_diag_error(diag, path, 0, "%s", err);
	} else {
		return fd;
	}
	if (fd >= 0) {
		close(fd);
	}
	return -1;
}

// Takes back a refused plug-in.  The loader knows it by the name of its
// descriptor: while the loader keeps it, that descriptor stays open, so
// that no later plug-in can be mistaken for it.
static void unload(void *handle, int fd, const char *proc)
{
	dlclose(handle);
	if ((handle = dlopen(proc, RTLD_NOW | RTLD_NOLOAD))) {
		dlclose(handle);
	} else {
		close(fd);
	}
}

static void load_one(struct fm_registry *reg, int dirfd, const char *name,
	const char *path, struct fm_diag *diag)
{
	const struct fm_plugin *plugin;
	char proc[64];
	void *handle;
	int fd;

	if ((fd = open_checked(dirfd, name, path, diag)) < 0) {
		return;
	}
	// The descriptor that was checked is what gets loaded.
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (!(handle = dlopen(proc, RTLD_NOW | RTLD_LOCAL))) {
		refuse_load(path, proc, diag);
		close(fd);
		return;
	}
	plugin = dlsym(handle, "fm_plugin");
	if (!plugin) {
		fm_diag_error(diag, path, 0, "not a flagman plug-in (no 'fm_plugin' "
			"symbol)");
	} else if (plugin->abi != FM_ACTION_ABI) {
		fm_diag_error(diag, path, 0, "built for plug-in ABI %u, this "
			"flagman has ABI %u (rebuild it against flagman.pc)",
			plugin->abi, FM_ACTION_ABI);
	} else if (check_types(reg, path, plugin, diag)) {
		if (fm_registry_keep_plugin(reg, path, handle) < 0) {
			fm_diag_error(diag, path, 0, "out of memory");
		} else {
			const char *origin = fm_registry_origin_path(reg, path);
			for (size_t i = 0; plugin->types[i]; i++) {
				fm_registry_add(reg, plugin->types[i], origin);
			}
			fm_log(FM_LOG_DEBUG, NULL, NULL, "loaded plug-in %s", path);
			return; // fd stays open as long as the plug-in is loaded
		}
	}
	unload(handle, fd, proc);
}

// Opens the plug-in directory through the safe-path walk: a descriptor,
// -1 after reporting why not, or -ENOENT when there is none.
static int open_dir(const char *dir, struct fm_diag *diag)
{
	char err[2 * PATH_MAX + 128];
	struct fm_safe s;
	struct stat st;
	int fd, r;

	// Most systems have no plug-ins: that costs no descriptor.
	if (stat(dir, &st) < 0 && errno == ENOENT) {
		return -ENOENT;
	}
	if ((r = fm_safe_walk(dir, true, &s, err, sizeof(err))) < 0) {
		if (r != -ENOENT) {
			fm_diag_error(diag, dir, 0, "%s", r == -EPERM ? err :
				strerror(-r));
		}
		return r == -ENOENT ? r : -1;
	}
	fd = openat(s.dirfd, s.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		O_CLOEXEC);
	r = fd < 0 ? errno : 0;
	if (r == ENOENT) {
		fd = -ENOENT;
	} else if (r == ENOTDIR) {
		fm_diag_error(diag, dir, 0, "plug-in directory is not a directory");
	} else if (r) {
		fm_diag_error(diag, dir, 0, "cannot open: %s", strerror(r));
	} else if (fstat(fd, &st) < 0) {
		fm_diag_error(diag, dir, 0, "cannot open: %s", strerror(errno));
		r = -1;
	} else if (!fm_safe_trusted(&s, &st, dir, err, sizeof(err))) {
		fm_diag_error(diag, dir, 0, "%s", err);
		r = -1;
	}
	if (r && fd >= 0) {
		close(fd);
		fd = -1;
	}
	fm_safe_finish(&s);
	return fd;
}

void fm_registry_load_plugins(struct fm_registry *reg, const char *dir,
	struct fm_diag *diag)
{
	struct dirent **list = NULL;
	int n, fd = open_dir(dir, diag);

	if (fd < 0) {
		return;
	}
	if ((n = fm_dir_list(fd, ".so", &list)) < 0) {
		fm_diag_error(diag, dir, 0, "cannot read: %s", strerror(errno));
		close(fd);
		return;
	}
	for (int i = 0; i < n; i++) {
		char *path;
		if (asprintf(&path, "%s/%s", dir, list[i]->d_name) < 0) {
			fm_diag_error(diag, dir, 0, "out of memory");
		} else {
			if (!fm_registry_has_plugin(reg, path)) {
				load_one(reg, fd, list[i]->d_name, path, diag);
			}
			free(path);
		}
		free(list[i]);
	}
	free(list);
	close(fd);
}
