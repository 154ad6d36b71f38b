/*
 * fuzz_replay DIR...: feeds every regular file of each DIR (but README*) to
 * the fuzz target, tests/fuzz_config.c, linked in unchanged, so that the
 * inputs libFuzzer once crashed on stay regression tests in every build,
 * with gcc, the sanitizers or valgrind, without clang; the fuzzer's seeds
 * (the tests' and examples' configuration files) get its checks too.  A
 * crash, a sanitizer report or the target's own abort() fails the test;
 * otherwise it prints how many inputs it replayed and exits 0.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// Reads path whole; NULL if it cannot.
static uint8_t *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rbe");
	uint8_t *data = NULL;
	size_t cap = 0, n;

	*size = 0;
	if (!f) {
		return NULL;
	}
	do {
		uint8_t *grown;

		if (*size == cap) {
			cap = cap ? cap * 2 : 4096;
			if (!(grown = realloc(data, cap))) {
				free(data);
				fclose(f);
				return NULL;
			}
			data = grown;
		}
		n = fread(data + *size, 1, cap - *size, f);
		*size += n;
	} while (n > 0);
	if (ferror(f)) {
		free(data);
		data = NULL;
	}
	fclose(f);
	return data;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int wanted(const struct dirent *e)
{
	return e->d_name[0] != '.' && strncmp(e->d_name, "README", 6) != 0;
}

int main(int argc, char **argv)
{
	unsigned replayed = 0;

	for (int i = 1; i < argc; i++) {
		struct dirent **list;
		int n = scandir(argv[i], &list, wanted, by_name);

		if (n < 0) {
			perror(argv[i]);
			return 1;
		}
		for (int j = 0; j < n; j++) {
			char *path;
			uint8_t *data;
			size_t size;
			struct stat st;

			if (asprintf(&path, "%s/%s", argv[i], list[j]->d_name) < 0) {
				return 1;
			}
			if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
				free(path);
				free(list[j]);
				continue;
			}
			if (!(data = slurp(path, &size))) {
				fprintf(stderr, "cannot read %s/%s\n", argv[i],
					list[j]->d_name);
				return 1;
			}
			printf("%s\n", path);
			fflush(stdout); // so a crash names its input
			LLVMFuzzerTestOneInput(data, size);
			replayed++;
			free(data);
			free(path);
			free(list[j]);
		}
		free(list);
	}
	printf("%u inputs replayed\n", replayed);
	return 0;
}
