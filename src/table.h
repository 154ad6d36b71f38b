/*
 * An index from names to positions in an array (table.c).
 */
#ifndef FM_TABLE_H
#define FM_TABLE_H

#include <stdbool.h>
#include <stddef.h>

struct fm_table_slot;

/*
 * The names stay in the caller's array: name_of(ctx, pos) reads one back.
 * Zero-initialised but for name_of and ctx it is empty and ready to use;
 * fm_table_finish() frees it (and keeps name_of and ctx).
 */
struct fm_table {
	struct fm_table_slot *slots;
	size_t cap, n;
	const char *(*name_of)(const void *ctx, size_t pos);
	const void *ctx;
};

/* true, and *pos (if pos is not NULL), when key is in the table. */
bool fm_table_get(const struct fm_table *t, const char *key, size_t *pos);
/* Records that key, equal to name_of(ctx, pos), is at pos (a key already
 * there moves); -ENOMEM on failure (table unchanged). */
int fm_table_put(struct fm_table *t, const char *key, size_t pos);
void fm_table_finish(struct fm_table *t);

#endif
