/*
 * Plug-ins flagman must refuse, one per BAD_* macro: built by the tests.
 */
#include <stddef.h>

#include <flagman/action.h>

#if defined(BAD_NO_SYMBOL)
// A shared object that is not a plug-in at all.
int not_a_plugin = 1;
#else
#if defined(BAD_INTERNAL)
// One of flagman's own functions, which <flagman/action.h> does not offer.
void fm_log(int level, const char *action, const char *signame,
	const char *fmt, ...);
#elif defined(BAD_UNDEFINED)
// A function that no library defines.
void widget_frobnicate(void);
#endif

static int noop_run(struct fm_action *action, void *state,
	const struct fm_run *run)
{
	(void)action;
	(void)state;
	(void)run;
#if defined(BAD_INTERNAL)
	fm_log(3, NULL, NULL, "a plug-in calling flagman's internals");
#elif defined(BAD_UNDEFINED)
	widget_frobnicate();
#endif
	return FM_RESULT_OK;
}

static const struct fm_action_type noop = {
	.abi = FM_ACTION_ABI,
#if defined(BAD_DUPLICATE)
	.name = "print", // a built-in's name
#else
	.name = "noop",
#endif
	.description = "Does nothing.",
	.run = noop_run,
};

static const struct fm_action_type *const types[] = { &noop, NULL };

#if defined(BAD_ABI)
const struct fm_plugin fm_plugin = { FM_ACTION_ABI + 1, types };
#else
const struct fm_plugin fm_plugin = { FM_ACTION_ABI, types };
#endif
#endif
