/*
 * Loading action types from plug-ins: every *.so in the plug-in directory,
 * each exporting `const struct fm_plugin fm_plugin`.  A plug-in with any
 * problem is refused whole, with a message naming it; none is ever unloaded
 * before exit, since running actions point into it.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "flagman.h"

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

// Checks every type before any is added, so a refusal leaves no trace.
static bool check_types(const struct fm_registry *reg, const char *path,
	const struct fm_plugin *plugin, struct fm_diag *diag)
{
	const struct fm_action_type *const *types = plugin->types;
	unsigned before = diag->errors;

	if (!types || !types[0]) {
		fm_diag_error(diag, path, 0, "plug-in defines no action types");
		return false;
	}
	for (size_t i = 0; types[i]; i++) {
		const struct fm_action_type *t = types[i];
		const char *origin;

		if (t->abi != FM_ACTION_ABI) {
			fm_diag_error(diag, path, 0, "action type '%s' was built for "
				"plug-in ABI %u, this flagman has ABI %u",
				t->name ? t->name : "?", t->abi, FM_ACTION_ABI);
		} else if (!valid_name(t->name)) {
			fm_diag_error(diag, path, 0, "invalid action type name '%s' "
				"(lower-case letters, digits and '_')",
				t->name ? t->name : "");
		} else if (!t->run) {
			fm_diag_error(diag, path, 0, "action type '%s' has no run "
				"callback", t->name);
		} else if ((origin = fm_registry_origin(reg, t->name))) {
			fm_diag_error(diag, path, 0, "action type '%s' is already "
				"defined (%s)", t->name, origin);
		}
		for (size_t j = 0; j < i && t->name; j++) {
			if (types[j]->name && strcmp(types[j]->name, t->name) == 0) {
				fm_diag_error(diag, path, 0, "action type '%s' is defined "
					"twice", t->name);
			}
		}
	}
	return diag->errors == before;
}

static void load_one(struct fm_registry *reg, const char *path,
	struct fm_diag *diag)
{
	const struct fm_plugin *plugin;
	struct stat st;
	void *handle;

	if (stat(path, &st) < 0) {
		fm_diag_error(diag, path, 0, "cannot open: %s", strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		fm_diag_error(diag, path, 0, "not a regular file");
		return;
	}
	if (!fm_secure(path, &st, diag)) {
		return;
	}
	if (!(handle = dlopen(path, RTLD_NOW | RTLD_LOCAL))) {
		fm_diag_error(diag, path, 0, "cannot load plug-in: %s", dlerror());
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
			return;
		}
	}
	dlclose(handle);
}

static int so_entry(const struct dirent *e)
{
	size_t len = strlen(e->d_name);

	return e->d_name[0] != '.' && len > 3 &&
		strcmp(e->d_name + len - 3, ".so") == 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

bool fm_registry_load_plugins(struct fm_registry *reg, const char *dir,
	struct fm_diag *diag)
{
	unsigned before = diag->errors;
	struct dirent **list = NULL;
	struct stat st;
	int n;

	if (stat(dir, &st) < 0) {
		if (errno == ENOENT) {
			return true;
		}
		fm_diag_error(diag, dir, 0, "cannot open: %s", strerror(errno));
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		fm_diag_error(diag, dir, 0, "plug-in directory is not a directory");
		return false;
	}
	if (!fm_secure(dir, &st, diag)) {
		return false;
	}
	if ((n = scandir(dir, &list, so_entry, by_name)) < 0) {
		fm_diag_error(diag, dir, 0, "cannot read: %s", strerror(errno));
		return false;
	}
	for (int i = 0; i < n; i++) {
		char *path;
		if (asprintf(&path, "%s/%s", dir, list[i]->d_name) < 0) {
			fm_diag_error(diag, dir, 0, "out of memory");
		} else {
			if (!fm_registry_has_plugin(reg, path)) {
				load_one(reg, path, diag);
			}
			free(path);
		}
		free(list[i]);
	}
	free(list);
	return diag->errors == before;
}
