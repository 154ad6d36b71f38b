/*
 * The configuration as the files and the command line describe it: its
 * sections and settings as written, kept in a few large chunks that are
 * freed with it, the names of the files read, and where in them a problem
 * is placed.  resolve.c turns it into typed definitions, canon.c into text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "schema.h"
#include "table.h"

/*
 * Section names, keys, values and the lists of settings live in chunks that
 * are freed with the configuration: a file of many sections costs a few
 * large allocations instead of several small ones per line.
 */
struct fm_chunk {
	struct fm_chunk *next;
	size_t used, size;
	max_align_t data[];
};

enum { CHUNK_SIZE = 64 * 1024 - 64 };

static void *chunk_alloc(struct fm_config *cfg, size_t n, size_t align)
{
	struct fm_chunk *c = cfg->chunks;
	size_t at = c ? (c->used + align - 1) & ~(align - 1) : 0;

	if (!c || at > c->size || c->size - at < n) {
		size_t size = n > CHUNK_SIZE / 4 ? n : CHUNK_SIZE;
		if (!(c = malloc(sizeof(*c) + size))) {
			return NULL;
		}
		*c = (struct fm_chunk){ .size = size };
		// Something too big for a shared chunk gets its own, behind the
		// current one, which goes on taking the small ones.
		if (size == n && cfg->chunks) {
			c->next = cfg->chunks->next;
			cfg->chunks->next = c;
		} else {
			c->next = cfg->chunks;
			cfg->chunks = c;
		}
		at = 0;
	}
	c->used = at + n;
	return (char *)c->data + at;
}

static char *config_strdup(struct fm_config *cfg, const char *s)
{
	size_t n = strlen(s) + 1;
	char *copy = chunk_alloc(cfg, n, 1);

	return copy ? memcpy(copy, s, n) : NULL;
}

/*
 * Room for one more element in an array of n that grows by doubling from
 * first: its capacity is implied by n (first, 2 first, 4 first...), so no
 * field holds it.
 */
static bool array_full(size_t n, size_t first)
{
	return n == 0 || (n >= first && n % first == 0 &&
		((n / first) & (n / first - 1)) == 0);
}

static void *array_room(void *array, size_t n, size_t size)
{
	if (!array_full(n, 4)) {
		return array;
	}
	return reallocarray(array, n ? 2 * n : 4, size);
}

// The same for a list of settings, kept in the chunks.  A section has
// three keys or a few more: room for three first.
static struct fm_setting *settings_room(struct fm_config *cfg,
	struct fm_setting *list, size_t n)
{
	struct fm_setting *grown;

	if (!array_full(n, 3)) {
		return list;
	}
	if (n > SIZE_MAX / 2 / sizeof(*list) ||
			!(grown = chunk_alloc(cfg, (n ? 2 * n : 3) * sizeof(*list),
				_Alignof(struct fm_setting)))) {
		return NULL;
	}
	return n ? memcpy(grown, list, n * sizeof(*list)) : grown;
}

static const char *def_name(const void *cfg, size_t i)
{
	return ((const struct fm_config *)cfg)->defs[i].name;
}

struct fm_config *fm_config_create(void)
{
	struct fm_config *cfg = calloc(1, sizeof(*cfg));

	if (cfg) {
		cfg->def_index.name_of = def_name;
		cfg->def_index.ctx = cfg;
		cfg->state_dirfd = -1;
	}
	return cfg;
}

static void state_destroy(const struct fm_action_type *type, void *state)
{
	for (const struct fm_arg_spec *a = type ? type->args : NULL;
			state && a && a->name; a++) {
		fm_value_free(a, (char *)state + a->offset);
	}
	free(state);
}

void fm_def_reset(struct fm_def *def)
{
	state_destroy(def->type, def->state);
	def->state = NULL;
	free(def->canon);
	def->canon = NULL;
}


void fm_config_destroy(struct fm_config *cfg)
{
	if (!cfg) {
		return;
	}
	for (size_t i = 0; i < cfg->ndefs; i++) {
		fm_def_reset(&cfg->defs[i]);
		free(cfg->defs[i].label);
	}
	free(cfg->defs);
	fm_table_finish(&cfg->def_index);
	while (cfg->chunks) {
		struct fm_chunk *next = cfg->chunks->next;
		free(cfg->chunks);
		cfg->chunks = next;
	}
	free(cfg->plugin_dir);
	free(cfg->pace);
	free(cfg->state_directory);
	if (cfg->state_dirfd >= 0) {
		close(cfg->state_dirfd);
	}
	for (size_t i = 0; i < cfg->nfiles; i++) {
		free(cfg->files[i]);
	}
	free(cfg->files);
	free(cfg);
}

const char *fm_config_file(struct fm_config *cfg, const char *path)
{
	char **grown;

	for (size_t i = 0; i < cfg->nfiles; i++) {
		if (strcmp(cfg->files[i], path) == 0) {
			return cfg->files[i];
		}
	}
	if (!(grown = array_room(cfg->files, cfg->nfiles, sizeof(*grown)))) {
		return NULL;
	}
	cfg->files = grown;
	if (!(grown[cfg->nfiles] = strdup(path))) {
		return NULL;
	}
	return grown[cfg->nfiles++];
}

struct fm_def *fm_config_find(const struct fm_config *cfg, const char *name)
{
	size_t i;

	// An index, not a pointer: the array moves as it grows.
	return fm_table_get(&cfg->def_index, name, &i) ? &cfg->defs[i] : NULL;
}

struct fm_def *fm_config_def(struct fm_config *cfg, const char *name,
	const char *file, unsigned line)
{
	struct fm_def *def = fm_config_find(cfg, name), *grown;

	if (def) {
		return def;
	}
	if (!(grown = array_room(cfg->defs, cfg->ndefs, sizeof(*grown)))) {
		return NULL;
	}
	cfg->defs = grown;
	def = &grown[cfg->ndefs];
	*def = (struct fm_def){ .file = file, .line = line, .enabled = true };
	if (!(def->name = config_strdup(cfg, name)) ||
			fm_table_put(&cfg->def_index, def->name, cfg->ndefs) < 0) {
		return NULL;
	}
	cfg->ndefs++;
	return def;
}

struct fm_setting *fm_config_get(struct fm_config *cfg, struct fm_def *def,
	const char *key)
{
	struct fm_setting *s = def ? def->settings : cfg->globals;
	size_t n = def ? def->nsettings : cfg->nglobals;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(s[i].key, key) == 0) {
			return &s[i];
		}
	}
	return NULL;
}

bool fm_config_set(struct fm_config *cfg, struct fm_def *def, const char *key,
	const char *value, const char *file, unsigned line)
{
	return fm_config_put(cfg, def, fm_config_get(cfg, def, key), key, value,
		file, line);
}

bool fm_config_put(struct fm_config *cfg, struct fm_def *def,
	struct fm_setting *s, const char *key, const char *value,
	const char *file, unsigned line)
{
	struct fm_setting **list = def ? &def->settings : &cfg->globals;
	size_t *n = def ? &def->nsettings : &cfg->nglobals;
	char *copy = config_strdup(cfg, value);

	if (!copy) {
		return false;
	}
	if (!s) {
		struct fm_setting *grown = settings_room(cfg, *list, *n);
		if (!grown) {
			return false;
		}
		*list = grown;
		s = &grown[*n];
		*s = (struct fm_setting){ .key = config_strdup(cfg, key) };
		if (!s->key) {
			return false;
		}
		(*n)++;
	}
	// A value replaced by a later file stays in its chunk until the end.
	s->value = copy;
	s->file = file;
	s->line = line;
	return true;
}

// Files in reading order, then the command line.
static size_t file_rank(const struct fm_config *cfg, const char *file)
{
	for (size_t i = 0; file && i < cfg->nfiles; i++) {
		if (cfg->files[i] == file || strcmp(cfg->files[i], file) == 0) {
			return i;
		}
	}
	return cfg->nfiles;
}

// A file is interned when it is first read: its rank never changes.
#define PLACE(cfg, file) ((file) ? file_rank((cfg), (file)) + 1 : SIZE_MAX)

void fm_config_error(struct fm_config *cfg, struct fm_diag *diag,
	const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fm_diag_verror_at(diag, PLACE(cfg, file), file, line, fmt, ap);
	va_end(ap);
}

void fm_config_warning(struct fm_config *cfg, struct fm_diag *diag,
	const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fm_diag_vwarn_at(diag, PLACE(cfg, file), file, line, fmt, ap);
	va_end(ap);
}
