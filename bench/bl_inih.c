/*
 * The baseline for the configuration benchmark: inih alone over the file,
 * with a handler that does nothing.  Exits 0 when inih reports no error.
 */
#include <ini.h>
#include <stdio.h>

static int ignore(void *user, const char *section, const char *key,
	const char *value)
{
	(void)user;
	(void)section;
	(void)key;
	(void)value;
	return 1;
}

int main(int argc, char **argv)
{
	FILE *f;
	int r;

	if (argc != 2 || !(f = fopen(argv[1], "re"))) {
		fprintf(stderr, "usage: bl_inih FILE (readable)\n");
		return 2;
	}
	r = ini_parse_file(f, ignore, NULL);
	fclose(f);
	return r == 0 ? 0 : 1;
}
