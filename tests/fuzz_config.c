/*
 * libFuzzer target for the configuration loader: our line reader, inih, the
 * validation of every section, and --dump.  Besides the sanitizers' findings
 * it checks one property: a configuration that loads dumps to text that
 * loads back and dumps to the same text.
 *
 *	CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=false
 *	meson compile -C build-fuzz
 *	./build-fuzz/fuzz_config -max_total_time=60 CORPUS_DIR
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conffile.h"
#include "config.h"
#include "diag.h"
#include "log.h"
#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fm_registry *reg;

// Loads text; returns the dump (malloc'd) if it loaded, else NULL.
static char *load_and_dump(const void *text, size_t size, bool *exact)
{
	struct fm_diag diag = { 0 };
	struct fm_config *cfg = fm_config_create();
	FILE *f = fmemopen((void *)text, size, "r");
	char *dump = NULL;
	size_t dump_size = 0;
	FILE *out;
	bool ok;

	if (!cfg || !f) {
		abort();
	}
	fm_config_read_file(cfg, "fuzz.conf", f, &diag);
	fclose(f);
	ok = fm_config_resolve(cfg, reg, &diag);
	fm_diag_finish(&diag);
	if (ok) {
		if (!(out = open_memstream(&dump, &dump_size))) {
			abort();
		}
		*exact = fm_config_dump(cfg, out);
		fclose(out);
	}
	fm_config_destroy(cfg);
	return dump;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *first, *second;
	bool exact = false, again = false;

	if (!reg) {
		fm_log_init(FM_LOG_ERROR);
		reg = fm_registry_create();
		if (!reg) {
			abort();
		}
	}
	if (size == 0) {
		return 0; // fmemopen refuses an empty buffer
	}
	first = load_and_dump(data, size, &exact);
	if (first && exact) {
		second = load_and_dump(first, strlen(first), &again);
		if (!second || strcmp(first, second) != 0) {
			fprintf(stderr, "--dump did not load back the same:\n%s\n"
				"--- then:\n%s\n", first, second ? second : "(errors)");
			abort();
		}
		free(second);
	}
	free(first);
	return 0;
}
