/*
 * src/table.c: the string -> size_t hash table behind the configuration's
 * section lookups.  Exact values back, keys copied, growth without loss,
 * replacement in place, and a zero-initialised table that is empty.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "flagman.h"

static void empty_table_finds_nothing(void **unused)
{
	struct fm_table t = { 0 };
	size_t v = 7;

	(void)unused;
	assert_false(fm_table_get(&t, "", &v));
	assert_false(fm_table_get(&t, "flagman", &v));
	assert_int_equal(v, 7); // untouched on a miss
	fm_table_finish(&t);
	fm_table_finish(&t); // a finished table is empty again
	assert_int_equal(t.n, 0);
}

static void put_then_get(void **unused)
{
	struct fm_table t = { 0 };
	size_t v = 0;

	(void)unused;
	assert_int_equal(fm_table_put(&t, "dnscheck", 3), 0);
	assert_int_equal(fm_table_put(&t, "nginx-reopen", 0), 0);
	assert_int_equal(fm_table_put(&t, "", 9), 0);
	assert_true(fm_table_get(&t, "dnscheck", &v));
	assert_int_equal(v, 3);
	assert_true(fm_table_get(&t, "nginx-reopen", &v));
	assert_int_equal(v, 0);
	assert_true(fm_table_get(&t, "", &v));
	assert_int_equal(v, 9);
	assert_true(fm_table_get(&t, "dnscheck", NULL));
	assert_false(fm_table_get(&t, "dnschec", &v));
	assert_false(fm_table_get(&t, "dnscheck ", &v));
	assert_false(fm_table_get(&t, "DNSCHECK", &v)); // names are exact
	assert_int_equal(t.n, 3);
	fm_table_finish(&t);
}

static void put_replaces_the_value(void **unused)
{
	struct fm_table t = { 0 };
	size_t v = 0;

	(void)unused;
	assert_int_equal(fm_table_put(&t, "a", 1), 0);
	assert_int_equal(fm_table_put(&t, "a", 2), 0);
	assert_int_equal(t.n, 1);
	assert_true(fm_table_get(&t, "a", &v));
	assert_int_equal(v, 2);
	fm_table_finish(&t);
}

static void keys_are_copied(void **unused)
{
	struct fm_table t = { 0 };
	char key[16] = "section";
	size_t v = 0;

	(void)unused;
	assert_int_equal(fm_table_put(&t, key, 5), 0);
	strcpy(key, "changed");
	assert_false(fm_table_get(&t, "changed", &v));
	assert_true(fm_table_get(&t, "section", &v));
	assert_int_equal(v, 5);
	fm_table_finish(&t);
}

// Many keys that differ only in their last characters, as generated
// configurations have: every one survives each growth with its value.
static void grows_without_losing_keys(void **unused)
{
	struct fm_table t = { 0 };
	enum { N = 100000 };
	char key[32];
	size_t v;

	(void)unused;
	for (size_t i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "action-%06zu", i);
		assert_int_equal(fm_table_put(&t, key, i * 3), 0);
	}
	assert_int_equal(t.n, N);
	assert_true(t.cap >= 2 * t.n); // at most half full
	for (size_t i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "action-%06zu", i);
		assert_true(fm_table_get(&t, key, &v));
		assert_int_equal(v, i * 3);
	}
	for (size_t i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "action-%06zu", N + i);
		assert_false(fm_table_get(&t, key, &v));
	}
	fm_table_finish(&t);
	assert_int_equal(t.n, 0);
	assert_int_equal(t.cap, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_table_finds_nothing),
		cmocka_unit_test(put_then_get),
		cmocka_unit_test(put_replaces_the_value),
		cmocka_unit_test(keys_are_copied),
		cmocka_unit_test(grows_without_losing_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
