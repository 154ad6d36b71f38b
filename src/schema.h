/*
 * Typed argument values: parsing, defaults and freeing of the values an
 * action type's argument table describes (schema.c).
 */
#ifndef FM_SCHEMA_H
#define FM_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flagman/action.h"

/* Parses text as spec's type into dst (a state block field).  On failure
 * writes what was expected to err and returns false; dst is untouched. */
bool fm_value_parse(const struct fm_arg_spec *spec, const char *text,
	void *dst, char *err, size_t errlen);
/* Frees what fm_value_parse stored at dst, if anything. */
void fm_value_free(const struct fm_arg_spec *spec, void *dst);
/* Stores the "unset" value (NULL, 0, -1 ids). */
void fm_value_init(const struct fm_arg_spec *spec, void *dst);
const char *fm_arg_type_name(enum fm_arg_type type);
/* The argument of type named by the len bytes at name, or NULL. */
const struct fm_arg_spec *fm_arg_find(const struct fm_action_type *type,
	const char *name, size_t len);

bool fm_parse_bool(const char *text, bool *out);
bool fm_parse_duration(const char *text, uint64_t *ms);
/* ms as 1h30m250ms ("0s" for 0), which fm_parse_duration() reads back;
 * buf needs FM_DURATION_TEXT bytes. */
#define FM_DURATION_TEXT 40
const char *fm_duration_text(uint64_t ms, char *buf);
/* Splits with shell-like quoting ('...', "...", \); NULL + err on failure.
 * The result is one allocation: free() it. */
char **fm_argv_split(const char *text, char *err, size_t errlen);

/* Edit distance, for "did you mean" hints. */
unsigned fm_edit_distance(const char *a, const char *b);
/*
 * The nearest of the names offered for a word, for "did you mean" hints:
 * start from { .word = word } and offer each name with fm_suggest_offer();
 * best stays NULL unless one is within two edits (the first of the nearest
 * wins).
 */
struct fm_suggest {
	const char *word;
	const char *best;
	unsigned distance;
};
void fm_suggest_offer(struct fm_suggest *s, const char *name);

#endif
