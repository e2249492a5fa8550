/* Unit tests: the task map (core/taskmap.c): identity is (tid, start time),
 * growth keeps every value, tombstones keep probe chains intact, iteration
 * tolerates deleting the entry just returned, churn does not grow the table
 * without bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/taskmap.h"

struct val {
	int32_t tid;
	uint64_t start;
	uint64_t payload[3];
};

static void test_identity_is_tid_and_start(void **state)
{
	struct taskmap *m = taskmap_new(sizeof(struct val));
	int created;
	(void)state;

	struct val *a = taskmap_put(m, 100, 5000, &created);
	assert_non_null(a);
	assert_true(created);
	assert_int_equal(a->payload[0], 0); /* zeroed */
	a->payload[0] = 1;
	/* same tid, new start time: a different task (pid reuse) */
	struct val *b = taskmap_put(m, 100, 9000, &created);
	assert_true(created);
	b->payload[0] = 2;
	assert_int_equal(taskmap_count(m), 2);
	assert_int_equal(((struct val *)taskmap_get(m, 100, 5000))->payload[0], 1);
	assert_int_equal(((struct val *)taskmap_get(m, 100, 9000))->payload[0], 2);
	assert_null(taskmap_get(m, 100, 0));
	assert_null(taskmap_get(m, 101, 5000));
	/* put of an existing key returns it unchanged */
	a = taskmap_put(m, 100, 5000, &created);
	assert_false(created);
	assert_int_equal(a->payload[0], 1);
	taskmap_del(m, 100, 5000);
	assert_null(taskmap_get(m, 100, 5000));
	assert_non_null(taskmap_get(m, 100, 9000));
	taskmap_del(m, 100, 5000); /* absent: no effect */
	assert_int_equal(taskmap_count(m), 1);
	/* negative and extreme keys are just keys */
	assert_non_null(taskmap_put(m, -1, UINT64_MAX, NULL));
	assert_non_null(taskmap_get(m, -1, UINT64_MAX));
	taskmap_free(m);
	taskmap_free(NULL);
}

static void test_growth_keeps_values(void **state)
{
	struct taskmap *m = taskmap_new(sizeof(struct val));
	(void)state;

	for (int32_t i = 1; i <= 20000; i++) {
		struct val *v = taskmap_put(m, i, (uint64_t)i * 7, NULL);
		assert_non_null(v);
		v->tid = i;
		v->start = (uint64_t)i * 7;
		v->payload[2] = (uint64_t)i ^ 0xabcdef;
	}
	assert_int_equal(taskmap_count(m), 20000);
	assert_true(taskmap_capacity(m) * 7 >= 20000 * 10); /* load stays under 70% */
	for (int32_t i = 1; i <= 20000; i++) {
		struct val *v = taskmap_get(m, i, (uint64_t)i * 7);
		if (!v || v->tid != i || v->payload[2] != ((uint64_t)i ^ 0xabcdef))
			fail_msg("value of %d lost in growth", i);
	}
	taskmap_free(m);
}

/* Entries that collide form a probe chain; deleting the middle must not
 * hide the entries behind it, and the freed slot is reused. */
static void test_tombstones(void **state)
{
	struct taskmap *m = taskmap_new(sizeof(struct val));
	(void)state;

	for (int32_t i = 0; i < 40; i++)
		((struct val *)taskmap_put(m, i, 1, NULL))->tid = i;
	for (int32_t i = 0; i < 40; i += 2)
		taskmap_del(m, i, 1);
	assert_int_equal(taskmap_count(m), 20);
	for (int32_t i = 1; i < 40; i += 2) {
		struct val *v = taskmap_get(m, i, 1);
		assert_non_null(v);
		assert_int_equal(v->tid, i);
	}
	for (int32_t i = 0; i < 40; i += 2)
		assert_null(taskmap_get(m, i, 1));
	/* re-inserting a deleted key is a fresh, zeroed value */
	int created;
	struct val *v = taskmap_put(m, 4, 1, &created);
	assert_true(created);
	assert_int_equal(v->tid, 0);
	assert_int_equal(taskmap_count(m), 21);
	taskmap_free(m);
}

/* Churn: tasks come and go forever, at most 100 alive: the map must reuse
 * tombstones (rehash in place) instead of growing without bound, and keep
 * finding what is alive. */
static void test_churn_does_not_leak(void **state)
{
	struct taskmap *m = taskmap_new(sizeof(struct val));
	(void)state;

	for (int32_t i = 0; i < 200000; i++) {
		assert_non_null(taskmap_put(m, i, (uint64_t)i, NULL));
		if (i >= 100)
			taskmap_del(m, i - 100, (uint64_t)(i - 100));
	}
	assert_int_equal(taskmap_count(m), 100);
	assert_true(taskmap_capacity(m) <= 1024); /* tombstones were recycled */
	for (int32_t i = 200000 - 100; i < 200000; i++)
		assert_non_null(taskmap_get(m, i, (uint64_t)i));
	assert_null(taskmap_get(m, 5, 5));
	taskmap_free(m);
}

/* A burst: 10,000 tasks, then all but 10 gone. The next insertion gives the
 * memory back (a long watch must not keep its busiest minute's size) and
 * every survivor keeps its value. */
static void test_shrinks_after_burst(void **state)
{
	struct taskmap *m = taskmap_new(sizeof(struct val));
	(void)state;

	for (int32_t i = 0; i < 10000; i++) {
		struct val *v = taskmap_put(m, i, 7, NULL);
		assert_non_null(v);
		v->tid = i;
	}
	size_t big = taskmap_capacity(m);
	assert_true(big >= 10000 * 10 / 7);
	for (int32_t i = 10; i < 10000; i++)
		taskmap_del(m, i, 7);
	assert_int_equal(taskmap_capacity(m), big); /* deleting never moves values */
	assert_non_null(taskmap_put(m, 20000, 7, NULL));
	assert_true(taskmap_capacity(m) <= 64);
	assert_int_equal(taskmap_count(m), 11);
	for (int32_t i = 0; i < 10; i++) {
		struct val *v = taskmap_get(m, i, 7);
		assert_non_null(v);
		assert_int_equal(v->tid, i);
	}
	assert_null(taskmap_get(m, 500, 7));
	/* and grows again with the next burst */
	for (int32_t i = 30000; i < 31000; i++)
		assert_non_null(taskmap_put(m, i, 7, NULL));
	assert_int_equal(taskmap_count(m), 1011);
	assert_true(taskmap_capacity(m) >= 1011 * 10 / 7);
	taskmap_free(m);
}

static void test_iterate_with_deletion(void **state)
{
	struct taskmap *m = taskmap_new(sizeof(struct val));
	size_t it = 0;
	int32_t tid;
	uint64_t start;
	struct val *v;
	int seen = 0, kept = 0;
	unsigned char mark[1001] = {0};
	(void)state;

	for (int32_t i = 1; i <= 1000; i++)
		((struct val *)taskmap_put(m, i, 42, NULL))->tid = i;
	/* delete every odd entry as it is returned: each entry is still seen once */
	while ((v = taskmap_next(m, &it, &tid, &start))) {
		assert_int_equal(v->tid, tid);
		assert_int_equal(start, 42);
		assert_false(mark[tid]);
		mark[tid] = 1;
		seen++;
		if (tid % 2)
			taskmap_del(m, tid, start);
	}
	assert_int_equal(seen, 1000);
	assert_int_equal(taskmap_count(m), 500);
	it = 0;
	while ((v = taskmap_next(m, &it, &tid, NULL))) {
		assert_int_equal(tid % 2, 0);
		kept++;
	}
	assert_int_equal(kept, 500);
	/* a finished iterator stays finished */
	assert_null(taskmap_next(m, &it, NULL, NULL));
	/* delete everything while iterating, then the map is empty and reusable */
	it = 0;
	while ((v = taskmap_next(m, &it, &tid, &start)))
		taskmap_del(m, tid, start);
	assert_int_equal(taskmap_count(m), 0);
	it = 0;
	assert_null(taskmap_next(m, &it, NULL, NULL));
	assert_non_null(taskmap_put(m, 7, 7, NULL));
	assert_int_equal(taskmap_count(m), 1);
	taskmap_clear(m);
	assert_int_equal(taskmap_count(m), 0);
	assert_null(taskmap_get(m, 7, 7));
	taskmap_free(m);
}

static void test_tiny_values(void **state)
{
	struct taskmap *m = taskmap_new(0); /* a set: values of one byte */
	(void)state;
	for (int32_t i = 0; i < 500; i++)
		assert_non_null(taskmap_put(m, i, 0, NULL));
	assert_int_equal(taskmap_count(m), 500);
	taskmap_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_identity_is_tid_and_start),
	    cmocka_unit_test(test_growth_keeps_values),
	    cmocka_unit_test(test_shrinks_after_burst),
	    cmocka_unit_test(test_tombstones),
	    cmocka_unit_test(test_churn_does_not_leak),
	    cmocka_unit_test(test_iterate_with_deletion),
	    cmocka_unit_test(test_tiny_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
