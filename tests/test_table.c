/*
 * src/table.c: the index from names to positions behind the configuration's
 * section lookups.  Exact positions back, names read from the caller's
 * array, growth without loss, moving a name, and a zero-initialised table
 * that is empty.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "table.h"

static const char *name_at(const void *ctx, size_t pos)
{
	return ((const char *const *)ctx)[pos];
}

static void empty_table_finds_nothing(void **unused)
{
	struct fm_table t = { .name_of = name_at };
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
	const char *names[] = { "nginx-reopen", "", "x", "dnscheck" };
	struct fm_table t = { .name_of = name_at, .ctx = names };
	size_t v = 99;

	(void)unused;
	assert_int_equal(fm_table_put(&t, names[3], 3), 0);
	assert_int_equal(fm_table_put(&t, names[0], 0), 0);
	assert_int_equal(fm_table_put(&t, names[1], 1), 0);
	assert_true(fm_table_get(&t, "dnscheck", &v));
	assert_int_equal(v, 3);
	assert_true(fm_table_get(&t, "nginx-reopen", &v));
	assert_int_equal(v, 0);
	assert_true(fm_table_get(&t, "", &v));
	assert_int_equal(v, 1);
	assert_true(fm_table_get(&t, "dnscheck", NULL));
	assert_false(fm_table_get(&t, "x", &v)); // in the array, not the table
	assert_false(fm_table_get(&t, "dnschec", &v));
	assert_false(fm_table_get(&t, "dnscheck ", &v));
	assert_false(fm_table_get(&t, "DNSCHECK", &v)); // names are exact
	assert_int_equal(t.n, 3);
	fm_table_finish(&t);
}

// A name put again moves to its new position; the array is what is read.
static void put_moves_a_name(void **unused)
{
	const char *names[] = { "a", "a" };
	struct fm_table t = { .name_of = name_at, .ctx = names };
	size_t v = 0;

	(void)unused;
	assert_int_equal(fm_table_put(&t, "a", 0), 0);
	assert_int_equal(fm_table_put(&t, "a", 1), 0);
	assert_int_equal(t.n, 1);
	assert_true(fm_table_get(&t, "a", &v));
	assert_int_equal(v, 1);
	names[1] = "b"; // the table holds no copy of the name
	assert_false(fm_table_get(&t, "a", &v));
	fm_table_finish(&t);
}

// Many names that differ only in their last characters, as generated
// configurations have: every one survives each growth with its position.
static void grows_without_losing_keys(void **unused)
{
	enum { N = 100000, LEN = 24 };
	static char keys[N][LEN];
	static const char *names[N];
	struct fm_table t = { .name_of = name_at, .ctx = names };
	char key[LEN];
	size_t v;

	(void)unused;
	for (size_t i = 0; i < N; i++) {
		snprintf(keys[i], LEN, "action-%06zu", i);
		names[i] = keys[i];
		assert_int_equal(fm_table_put(&t, keys[i], i), 0);
	}
	assert_int_equal(t.n, N);
	assert_true(t.cap >= 2 * t.n); // at most half full
	for (size_t i = 0; i < N; i++) {
		snprintf(key, LEN, "action-%06zu", i);
		assert_true(fm_table_get(&t, key, &v));
		assert_int_equal(v, i);
	}
	for (size_t i = 0; i < 1000; i++) {
		snprintf(key, LEN, "action-%06zu", N + i);
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
		cmocka_unit_test(put_moves_a_name),
		cmocka_unit_test(grows_without_losing_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
