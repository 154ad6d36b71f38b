/*
 * A string-keyed hash table of size_t values: open addressing with linear
 * probing, the capacity a power of two, at most half full.  It turns the
 * configuration's name lookups (sections by name, one per header) from a
 * walk over every earlier section into constant time, so that reading N
 * sections takes time linear in N.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flagman.h"

struct fm_table_slot {
	char *key; /* owned; NULL: empty */
	uint64_t hash;
	size_t value;
};

// FNV-1a: short keys, no adversary to defend against at load time.
static uint64_t hash_key(const char *key)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		h = (h ^ *p) * 0x100000001b3u;
	}
	return h;
}

// The slot holding key, or the empty slot where it would go.
static struct fm_table_slot *probe(const struct fm_table *t, const char *key,
	uint64_t hash)
{
	size_t mask = t->cap - 1;

	for (size_t i = (size_t)hash & mask;; i = (i + 1) & mask) {
		struct fm_table_slot *s = &t->slots[i];
		if (!s->key || (s->hash == hash && strcmp(s->key, key) == 0)) {
			return s;
		}
	}
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
	for (size_t i = 0; i < old_cap; i++) {
		if (old[i].key) {
			*probe(t, old[i].key, old[i].hash) = old[i];
		}
	}
	free(old);
	return 0;
}

bool fm_table_get(const struct fm_table *t, const char *key, size_t *value)
{
	const struct fm_table_slot *s;

	if (t->n == 0) {
		return false;
	}
	s = probe(t, key, hash_key(key));
	if (s->key && value) {
		*value = s->value;
	}
	return s->key != NULL;
}

int fm_table_put(struct fm_table *t, const char *key, size_t value)
{
	uint64_t hash = hash_key(key);
	struct fm_table_slot *s;

	if ((t->n + 1) * 2 > t->cap && grow(t) < 0) {
		return -ENOMEM;
	}
	s = probe(t, key, hash);
	if (!s->key) {
		if (!(s->key = strdup(key))) {
			return -ENOMEM;
		}
		s->hash = hash;
		t->n++;
	}
	s->value = value;
	return 0;
}

void fm_table_finish(struct fm_table *t)
{
	for (size_t i = 0; i < t->cap; i++) {
		free(t->slots[i].key);
	}
	free(t->slots);
	*t = (struct fm_table){ 0 };
}
