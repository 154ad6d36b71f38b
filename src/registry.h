/*
 * The registry of action types: the built-in ones and those plug-ins
 * bring (registry.c, plugin.c).
 */
#ifndef FM_REGISTRY_H
#define FM_REGISTRY_H

#include <stdbool.h>
#include <stdio.h>

#include "flagman/action.h"

struct fm_diag;

struct fm_registry;

/* Returns a registry holding the built-in types, or NULL on no memory. */
struct fm_registry *fm_registry_create(void);
void fm_registry_destroy(struct fm_registry *reg);
/* Adds a type; -EEXIST if the name is taken, -EINVAL for a bad ABI. */
int fm_registry_add(struct fm_registry *reg, const struct fm_action_type *type,
	const char *origin);
const struct fm_action_type *fm_registry_find(const struct fm_registry *reg,
	const char *name);
/* The closest type name to a near miss, or NULL. */
const char *fm_registry_suggest(const struct fm_registry *reg,
	const char *name);
/* Plug-ins loaded so far; keep_plugin takes a dlopen handle (and copies
 * path) to close when the registry is destroyed. */
bool fm_registry_has_plugin(const struct fm_registry *reg, const char *path);
/* The registry's own copy of a loaded plug-in's path, or NULL. */
const char *fm_registry_origin_path(const struct fm_registry *reg,
	const char *path);
int fm_registry_keep_plugin(struct fm_registry *reg, const char *path,
	void *handle);
/* Where a type came from: "built-in" or a plug-in's path; NULL if unknown. */
const char *fm_registry_origin(const struct fm_registry *reg,
	const char *name);
/* Loads every *.so in dir (skipping paths loaded before); a plug-in with a
 * problem is refused whole and reported to diag.  A missing dir is fine. */
void fm_registry_load_plugins(struct fm_registry *reg, const char *dir,
	struct fm_diag *diag);
/* Prints the --list table; colour adds SGR escapes, the text is the same. */
void fm_registry_list(const struct fm_registry *reg, FILE *out, bool colour);

extern const struct fm_action_type fm_action_print;
extern const struct fm_action_type fm_action_delay_print;
extern const struct fm_action_type fm_action_print_once;
extern const struct fm_action_type fm_action_exec;
extern const struct fm_action_type fm_action_signal;
extern const struct fm_action_type fm_action_write;

#endif
