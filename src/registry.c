/*
 * The action types flagman knows: the built-in ones and those plug-ins add.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "schema.h"

struct entry {
	const struct fm_action_type *type;
	const char *origin; /* "built-in" or the plug-in's path */
};

struct plugin {
	char *path;
	void *handle; /* from dlopen; closed when the registry goes */
};

struct fm_registry {
	struct entry *entries; /* sorted by name */
	size_t n;
	struct plugin *plugins;
	size_t nplugins;
};

static const struct fm_action_type *const builtins[] = {
	&fm_action_print, &fm_action_delay_print, &fm_action_print_once,
	&fm_action_exec, &fm_action_signal, &fm_action_write,
};

struct fm_registry *fm_registry_create(void)
{
	struct fm_registry *reg = calloc(1, sizeof(*reg));

	if (!reg) {
		return NULL;
	}
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		if (fm_registry_add(reg, builtins[i], "built-in") < 0) {
			fm_registry_destroy(reg);
			return NULL;
		}
	}
	return reg;
}

void fm_registry_destroy(struct fm_registry *reg)
{
	if (!reg) {
		return;
	}
	for (size_t i = 0; i < reg->nplugins; i++) {
		dlclose(reg->plugins[i].handle);
		free(reg->plugins[i].path);
	}
	free(reg->plugins);
	free(reg->entries);
	free(reg);
}

const char *fm_registry_origin_path(const struct fm_registry *reg,
	const char *path)
{
	for (size_t i = 0; i < reg->nplugins; i++) {
		if (strcmp(reg->plugins[i].path, path) == 0) {
			return reg->plugins[i].path;
		}
	}
	return NULL;
}

bool fm_registry_has_plugin(const struct fm_registry *reg, const char *path)
{
	return fm_registry_origin_path(reg, path) != NULL;
}

int fm_registry_keep_plugin(struct fm_registry *reg, const char *path,
	void *handle)
{
	struct plugin *grown = realloc(reg->plugins,
		(reg->nplugins + 1) * sizeof(*grown));
	char *copy = strdup(path);

	if (!grown || !copy) {
		free(copy);
		if (grown) {
			reg->plugins = grown;
		}
		return -ENOMEM;
	}
	reg->plugins = grown;
	grown[reg->nplugins++] = (struct plugin){ copy, handle };
	return 0;
}

const char *fm_registry_origin(const struct fm_registry *reg,
	const char *name)
{
	for (size_t i = 0; i < reg->n; i++) {
		if (strcmp(reg->entries[i].type->name, name) == 0) {
			return reg->entries[i].origin;
		}
	}
	return NULL;
}

int fm_registry_add(struct fm_registry *reg, const struct fm_action_type *type,
	const char *origin)
{
	struct entry *grown;
	size_t at = 0;

	if (type->abi != FM_ACTION_ABI || !type->name || !type->run) {
		return -EINVAL;
	}
	while (at < reg->n && strcmp(reg->entries[at].type->name, type->name) < 0) {
		at++;
	}
	if (at < reg->n && strcmp(reg->entries[at].type->name, type->name) == 0) {
		return -EEXIST;
	}
	grown = realloc(reg->entries, (reg->n + 1) * sizeof(*grown));
	if (!grown) {
		return -ENOMEM;
	}
	reg->entries = grown;
	memmove(&grown[at + 1], &grown[at], (reg->n - at) * sizeof(*grown));
	grown[at] = (struct entry){ type, origin };
	reg->n++;
	return 0;
}

const struct fm_action_type *fm_registry_find(const struct fm_registry *reg,
	const char *name)
{
	for (size_t i = 0; i < reg->n; i++) {
		if (strcmp(reg->entries[i].type->name, name) == 0) {
			return reg->entries[i].type;
		}
	}
	return NULL;
}

const char *fm_registry_suggest(const struct fm_registry *reg,
	const char *name)
{
	struct fm_suggest hint = { .word = name };

	for (size_t i = 0; i < reg->n; i++) {
		fm_suggest_offer(&hint, reg->entries[i].type->name);
	}
	return hint.best;
}

// Colours of --list on a terminal (SGR): names bold, signatures cyan.
#define SGR_NAME "\033[1m"
#define SGR_ARGS "\033[36m"
#define SGR_OFF "\033[0m"

// Appends "word" to the line being wrapped, or starts a new line with it;
// sgr (or NULL) colours it, and takes no column.
static void wrap_word(FILE *out, const char *word, size_t len, size_t width,
	size_t indent, size_t *col, const char *sgr)
{
	if (*col > 0 && *col + 1 + len > width) {
		fprintf(out, "\n%*s", (int)indent, "");
		*col = 0;
	} else if (*col > 0) {
		fputc(' ', out);
		(*col)++;
	}
	fprintf(out, "%s%.*s%s", sgr ? sgr : "", (int)len, word,
		sgr ? SGR_OFF : "");
	*col += len;
}

static void wrap_text(FILE *out, const char *text, size_t width, size_t indent,
	size_t *col, const char *sgr)
{
	while (*text) {
		size_t len;

		text += strspn(text, " \t\n");
		len = strcspn(text, " \t\n");
		if (len > 0) {
			wrap_word(out, text, len, width, indent, col, sgr);
		}
		text += len;
	}
}

// "(message: string, [delay: duration])": optional arguments in brackets.
static char *signature(const struct fm_action_type *type)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f) {
		return NULL;
	}
	for (const struct fm_arg_spec *a = type->args; a && a->name; a++) {
		fprintf(f, "%s%s%s: %s%s", a == type->args ? "(" : ", ",
			a->required ? "" : "[", a->name, fm_arg_type_name(a->type),
			a->required ? "" : "]");
		if (!a[1].name) {
			fputc(')', f);
		}
	}
	fclose(f);
	return buf;
}

void fm_registry_list(const struct fm_registry *reg, FILE *out, bool colour)
{
	const char *name_on = colour ? SGR_NAME : "";
	const char *off = colour ? SGR_OFF : "";
	size_t w = strlen("name");

	for (size_t i = 0; i < reg->n; i++) {
		size_t len = strlen(reg->entries[i].type->name);
		w = len > w ? len : w;
	}
	fprintf(out, "%s%-*s - %s%s\n", name_on, (int)w, "name",
		"description [(argument: type, ...)]", off);
	for (int i = 0; i < 80; i++) {
		fputc('-', out);
	}
	fputc('\n', out);
	for (size_t i = 0; i < reg->n; i++) {
		const struct fm_action_type *t = reg->entries[i].type;
		char *sig = signature(t);
		size_t col = 0;

		fprintf(out, "%s%s%s%*s - ", name_on, t->name, off,
			(int)(w - strlen(t->name)), "");
		wrap_text(out, t->description ? t->description : "", 80 - w - 3,
			w + 3, &col, NULL);
		if (sig) {
			wrap_text(out, sig, 80 - w - 3, w + 3, &col,
				colour ? SGR_ARGS : NULL);
		}
		fputc('\n', out);
		free(sig);
	}
}
