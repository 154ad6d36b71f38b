/*
 * A set of actions: set-up, swap-in and tear-down, one way for start-up
 * (swapping into an empty set) and reload alike.  Validate-then-swap: every
 * new instance is set up before anything of the old set is torn down, and
 * an unchanged action keeps its instance and state.
 */
#include <stdlib.h>
#include <string.h>

#include "actionset.h"

// The unclaimed instance of the old set that def leaves unchanged, or NULL.
static struct fm_action *claim(const struct fm_actionset *set, bool *kept,
	const struct fm_def *def)
{
	for (size_t i = 0; i < set->n; i++) {
		struct fm_action *a = set->v[i];
		if (!kept[i] && strcmp(a->name, def->name) == 0 &&
				strcmp(a->canon, def->canon) == 0) {
			kept[i] = true;
			return a;
		}
	}
	return NULL;
}

// Instances for cfg's enabled actions, claimed or new; fresh[i] says which.
// The count, or -1 (the new ones freed) on no memory.
static long build(const struct fm_actionset *set, bool *kept,
	struct fm_loop *loop, struct fm_config *cfg, struct fm_action **list,
	bool *fresh)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->ndefs; i++) {
		struct fm_def *d = &cfg->defs[i];
		if (!d->type || !d->enabled) {
			continue;
		}
		if (!fm_def_canon(d)) {
			goto fail;
		}
		fresh[n] = !(list[n] = claim(set, kept, d));
		if (fresh[n] && !(list[n] = fm_action_create(loop, d))) {
			goto fail;
		}
		if (fresh[n]) { // the kept ones: once the swap is sure
			list[n]->cfg = cfg;
		}
		n++;
	}
	return (long)n;
fail:
	for (size_t i = 0; i < n; i++) {
		if (fresh[i]) {
			fm_action_destroy(list[i]);
		}
	}
	return -1;
}

bool fm_actionset_swap_in(struct fm_actionset *set, struct fm_loop *loop,
	struct fm_config *cfg)
{
	struct fm_action **list = calloc(cfg->ndefs + 1, sizeof(*list));
	bool *fresh = calloc(cfg->ndefs + 1, sizeof(*fresh));
	bool *kept = calloc(set->n + 1, sizeof(*kept));
	long n = list && fresh && kept ?
		build(set, kept, loop, cfg, list, fresh) : -1;
	long i = 0;

	while (i < n && (!fresh[i] || fm_action_set_up(list[i]))) {
		i++;
	}
	if (i < n) {
		// A set-up failed (logged): undo the new ones, keep the old set.
		for (i = 0; i < n; i++) {
			if (fresh[i]) {
				fm_action_tear_down(list[i]);
				fm_action_destroy(list[i]);
			}
		}
		n = -1;
	}
	for (size_t k = 0; n >= 0 && k < set->n; k++) {
		if (!kept[k]) {
			fm_action_tear_down(set->v[k]);
			fm_action_destroy(set->v[k]);
		}
	}
	if (n >= 0) {
		for (i = 0; i < n; i++) {
			list[i]->cfg = cfg;
		}
		free(set->v);
		set->v = list;
		set->n = (size_t)n;
		list = NULL;
	}
	free(list);
	free(fresh);
	free(kept);
	return n >= 0;
}

void fm_actionset_tear_down(struct fm_actionset *set)
{
	for (size_t i = 0; i < set->n; i++) {
		fm_action_tear_down(set->v[i]);
	}
}

void fm_actionset_clear(struct fm_actionset *set)
{
	fm_actionset_tear_down(set);
	for (size_t i = 0; i < set->n; i++) {
		fm_action_destroy(set->v[i]);
	}
	free(set->v);
	*set = (struct fm_actionset){ 0 };
}
