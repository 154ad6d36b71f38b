/*
 * The [signal:NAME] sections: telling them from action sections by name,
 * resolving their keys (overlap, debounce, min_interval) into one struct
 * fm_pace per signal, and writing them out for --dump.  Their settings are
 * kept as written in an fm_def whose signo is set, under the one name
 * "signal:USR1" whatever the spelling, so that a second spelling in one file
 * is a duplicate section and one in a drop-in amends it.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "pacing.h"
#include "schema.h"

static const struct fm_arg_spec pace_args[] = {
	{ "overlap", FM_ARG_ENUM, .choices = fm_overlap_names,
		.offset = offsetof(struct fm_pace, overlap) },
	{ "debounce", FM_ARG_DURATION,
		.offset = offsetof(struct fm_pace, debounce_ms) },
	{ "min_interval", FM_ARG_DURATION,
		.offset = offsetof(struct fm_pace, min_interval_ms) },
	{ 0 },
};

static const size_t prefix_len = sizeof(FM_PACE_PREFIX) - 1;

int fm_pace_section(const char *name, int *signo, char *canon, char *err,
	size_t errsize)
{
	const char *sig = name + prefix_len;
	char buf[FM_SIGNAME_MAX];

	if (strncasecmp(name, FM_PACE_PREFIX, prefix_len) != 0) {
		return 0;
	}
	*signo = strlen(sig) < 32 ? fm_signal_parse(sig) : 0;
	if (!*signo) {
		snprintf(err, errsize, "unknown signal '%s'", sig);
		return -1;
	}
	if (!fm_signal_is_trigger(*signo)) {
		snprintf(err, errsize, "signal %s cannot trigger actions (HUP, "
			"USR1, USR2, WINCH, RTMIN..RTMAX)", fm_signal_name(*signo, buf));
		return -1;
	}
	snprintf(canon, FM_PACE_NAME_MAX, FM_PACE_PREFIX "%s",
		fm_signal_name(*signo, buf));
	return 1;
}

const char *fm_pace_hint(const char *name, char *buf)
{
	const char *colon = strchr(name, ':');
	char prefix[16], lower[16];
	struct fm_suggest hint;
	size_t len = colon ? (size_t)(colon - name) : 0;

	if (!colon || len >= sizeof(prefix) ||
			strlen(colon + 1) >= FM_SIGNAME_MAX ||
			!fm_signal_parse(colon + 1)) {
		return NULL;
	}
	for (size_t i = 0; i <= len; i++) {
		prefix[i] = i < len ? name[i] : '\0';
		lower[i] = (char)(prefix[i] >= 'A' && prefix[i] <= 'Z' ?
			prefix[i] - 'A' + 'a' : prefix[i]);
	}
	hint = (struct fm_suggest){ .word = lower };
	fm_suggest_offer(&hint, "signal");
	if (!hint.best) {
		return NULL;
	}
	snprintf(buf, FM_PACE_NAME_MAX, FM_PACE_PREFIX "%s", colon + 1);
	return buf;
}

const struct fm_pace *fm_pace_of(const struct fm_config *cfg, int signo)
{
	static const struct fm_pace none = { FM_OVERLAP_QUEUE, 0, 0 };

	if (cfg->pace && signo > 0 && signo <= 64) {
		return &cfg->pace[signo];
	}
	return &none;
}

enum fm_overlap fm_pace_overlap(const struct fm_config *cfg, int signo)
{
	return cfg->pace ? fm_pace_of(cfg, signo)->overlap : cfg->overlap;
}

// One key of a signal's section into its struct fm_pace.
static void resolve_key(struct fm_config *cfg, struct fm_diag *diag,
	const struct fm_def *def, const struct fm_setting *s)
{
	const struct fm_arg_spec *a = pace_args;
	struct fm_suggest hint = { .word = s->key };
	char err[512];

	while (a->name && strcmp(a->name, s->key) != 0) {
		fm_suggest_offer(&hint, a->name);
		a++;
	}
	if (!a->name) {
		if (hint.best) {
			fm_config_error(cfg, diag, s->file, s->line, "[%s]: unknown "
				"key '%s' (did you mean '%s'?)", def->name, s->key,
				hint.best);
		} else {
			fm_config_error(cfg, diag, s->file, s->line, "[%s]: unknown "
				"key '%s' (expected overlap, debounce or min_interval)",
				def->name, s->key);
		}
		return;
	}
	if (!s->bad && !fm_value_parse(a, s->value,
			(char *)&cfg->pace[def->signo] + a->offset, err, sizeof(err))) {
		fm_config_error(cfg, diag, s->file, s->line, "[%s]: %s", def->name,
			err);
	}
}

// Signals bound to an enabled action.
static fm_sigmask bound_signals(const struct fm_config *cfg)
{
	fm_sigmask bound = 0;

	for (size_t i = 0; i < cfg->ndefs; i++) {
		if (cfg->defs[i].type && cfg->defs[i].enabled) {
			bound |= cfg->defs[i].signals;
		}
	}
	return bound;
}

static void resolve_section(struct fm_config *cfg, struct fm_diag *diag,
	const struct fm_def *def, fm_sigmask bound)
{
	char buf[FM_SIGNAME_MAX];
	const char *sig = fm_signal_name(def->signo, buf);

	for (size_t i = 0; i < def->nsettings; i++) {
		resolve_key(cfg, diag, def, &def->settings[i]);
	}
	if (def->signo == cfg->reload_signal) {
		fm_config_error(cfg, diag, def->file, def->line, "[%s]: %s is the "
			"reload signal, which runs no chain (set reload_signal to "
			"another signal or none)", def->name, sig);
	} else if (!(bound & FM_SIGBIT(def->signo))) {
		fm_config_warning(cfg, diag, def->file, def->line, "[%s]: no "
			"enabled action is bound to %s: these settings have no effect",
			def->name, sig);
	}
}

void fm_pace_resolve(struct fm_config *cfg, struct fm_diag *diag)
{
	fm_sigmask bound = bound_signals(cfg);

	free(cfg->pace);
	if (!(cfg->pace = calloc(65, sizeof(*cfg->pace)))) {
		fm_diag_oom(diag);
		return;
	}
	for (int s = 1; s <= 64; s++) {
		cfg->pace[s].overlap = cfg->overlap;
	}
	for (size_t i = 0; i < cfg->ndefs && !cfg->incomplete; i++) {
		if (cfg->defs[i].signo) {
			resolve_section(cfg, diag, &cfg->defs[i], bound);
		}
	}
}

void fm_pace_dump(const struct fm_config *cfg, FILE *out)
{
	char a[FM_DURATION_TEXT], b[FM_DURATION_TEXT];

	for (size_t i = 0; i < cfg->ndefs; i++) {
		const struct fm_def *d = &cfg->defs[i];
		const struct fm_pace *p = fm_pace_of(cfg, d->signo);

		if (d->signo) {
			fprintf(out, "\n[%s]\noverlap = %s\ndebounce = %s\n"
				"min_interval = %s\n", d->name,
				fm_overlap_names[p->overlap],
				fm_duration_text(p->debounce_ms, a),
				fm_duration_text(p->min_interval_ms, b));
		}
	}
}
