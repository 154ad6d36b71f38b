/*
 * An index from names to positions in the caller's array: open addressing
 * with linear probing, the capacity a power of two, at most half full.  A
 * slot is 8 bytes, a 32-bit hash and the position; names are read back
 * from the caller's array only when the hashes match.  It turns the
 * configuration's name lookups (sections by name, one per header) from a
 * walk over every earlier section into constant time, and small slots keep
 * 100k sections' index in the cache.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

struct fm_table_slot {
	uint32_t hash;
	uint32_t pos; /* position + 1; 0: empty */
};

// FNV-1a: short keys, no adversary to defend against at load time.
static uint32_t hash_key(const char *key)
{
	uint32_t h = 0x811c9dc5u;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		h = (h ^ *p) * 0x01000193u;
	}
	return h;
}

// The slot holding key, or the empty slot where it would go.
static struct fm_table_slot *probe(const struct fm_table *t, const char *key,
	uint32_t hash)
{
	size_t mask = t->cap - 1;

	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		struct fm_table_slot *s = &t->slots[i];
		if (!s->pos || (s->hash == hash &&
				strcmp(t->name_of(t->ctx, s->pos - 1), key) == 0)) {
			return s;
		}
	}
}

// The empty slot for a hash known not to be in the table.
static struct fm_table_slot *free_slot(const struct fm_table *t,
	uint32_t hash)
{
	size_t mask = t->cap - 1, i = hash & mask;

	while (t->slots[i].pos) {
		i = (i + 1) & mask;
	}
	return &t->slots[i];
}

static int grow(struct fm_table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 16;
	struct fm_table_slot *old = t->slots;
	size_t old_cap = t->cap;

	if (cap < t->cap || !(t->slots = calloc(cap, sizeof(*t->slots)))) {
		t->slots = old;
		return -ENOMEM;
	}
	t->cap = cap;
	// Keys are distinct already: no names need comparing.
	for (size_t i = 0; i < old_cap; i++) {
		if (old[i].pos) {
			*free_slot(t, old[i].hash) = old[i];
		}
	}
	free(old);
	return 0;
}

bool fm_table_get(const struct fm_table *t, const char *key, size_t *pos)
{
	const struct fm_table_slot *s;

	if (t->n == 0) {
		return false;
	}
	s = probe(t, key, hash_key(key));
	if (s->pos && pos) {
		*pos = s->pos - 1;
	}
	return s->pos != 0;
}

int fm_table_put(struct fm_table *t, const char *key, size_t pos)
{
	uint32_t hash = hash_key(key);
	struct fm_table_slot *s;

	if (pos >= UINT32_MAX) {
		return -ENOMEM;
	}
	if ((t->n + 1) * 2 > t->cap && grow(t) < 0) {
		return -ENOMEM;
	}
	s = probe(t, key, hash);
	if (!s->pos) {
		s->hash = hash;
		t->n++;
	}
	s->pos = (uint32_t)pos + 1;
	return 0;
}

void fm_table_finish(struct fm_table *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = t->n = 0;
}
