/* Unit tests: the host-wide scan's budget (sources/procfs_budget.c) on
 * synthetic ticks: the idle period grows when idle reads do not fit in the
 * budget, never past its ceiling, shrinks back to its floor when they fit;
 * the quota spreads the idle tier evenly; tick-period quantiles; the quiet
 * rate's stride keeps quiet processes near 1 s whatever the idle period. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sources/procfs_budget.h"

#define MS 1000000ULL

static void test_period_follows_cost(void **state)
{
	struct procfs_budget b;
	(void)state;
	/* 10 ms ticks, 10%: 1 ms a tick. 10,000 idle tasks, 2 us a read. */
	pb_init(&b, 10 * MS, 10, 25, 200);
	assert_int_equal(b.budget_ns, 1 * MS);
	for (int i = 0; i < 200; i++) {
		uint32_t q = pb_quota(&b, 10000);
		pb_tick_end(&b, q * 2000ULL, q, 200000, 10000, 1, 1, 10000, 0);
	}
	/* 0.8 ms left buys 400 reads: 25 ticks for 10,000 */
	assert_in_range(b.period, 25, 27);
	assert_in_range(pb_quota(&b, 10000), 370, 400);
	/* reads ten times dearer: the period stretches, capped at 200 */
	for (int i = 0; i < 400; i++) {
		uint32_t q = pb_quota(&b, 10000);
		pb_tick_end(&b, q * 20000ULL, q, 200000, 10000, 1, 1, 10000, 0);
	}
	assert_int_equal(b.period, 200); /* 10,000 / 40 reads = 250 ticks */
	/* the active tier alone over budget: the ceiling, never beyond */
	for (int i = 0; i < 100; i++)
		pb_tick_end(&b, 2000, 1, 5 * MS, 10000, 50, 50, 10000, 0);
	assert_int_equal(b.period, 200);
	assert_true(b.over_budget >= 100);
	/* cheap again: back to the floor */
	for (int i = 0; i < 400; i++) {
		uint32_t q = pb_quota(&b, 100);
		pb_tick_end(&b, q * 1000ULL, q, 1000, 100, 0, 0, 100, 0);
	}
	assert_int_equal(b.period, 25);
	assert_int_equal(pb_quota(&b, 100), 4);
	assert_int_equal(b.max_idle_period, 200);
}

static void test_tick_quantiles(void **state)
{
	struct procfs_budget b;
	uint64_t t = 1 * MS; /* 0 is "no tick yet" */
	(void)state;
	pb_init(&b, 10 * MS, 0, 1, 1);
	assert_int_equal(b.pct, 10);
	assert_int_equal(pb_period_quantile(&b, 0.5), 0);
	for (int i = 0; i <= 100; i++) {
		pb_tick_start(&b, t);
		t += i == 50 ? 35 * MS : 10 * MS; /* one late tick of 100 */
	}
	assert_int_equal(b.periods, 100);
	assert_int_equal(b.late, 1);
	/* upper bounds in 1/32 of the interval */
	assert_in_range(pb_period_quantile(&b, 0.5), 10 * MS, 10 * MS + 10 * MS / 32);
	assert_in_range(pb_period_quantile(&b, 0.99), 35 * MS, 35 * MS + 10 * MS / 32);
	assert_int_equal(b.max_period_ns, 35 * MS);
}

static void test_quiet_stride(void **state)
{
	struct procfs_budget b;
	(void)state;
	/* sched at 10 ms: idle period 250 ms, quiet ones every 4th visit (1 s) */
	pb_init(&b, 10 * MS, 10, 25, 200);
	assert_int_equal(pb_quiet_stride(&b), 4);
	/* the budget stretched the idle period to 500 ms: every 2nd (1 s) */
	b.period = 50;
	assert_int_equal(pb_quiet_stride(&b), 2);
	/* 1 s or more: every visit, never slower than the idle period */
	b.period = 100;
	assert_int_equal(pb_quiet_stride(&b), 1);
	b.period = 200;
	assert_int_equal(pb_quiet_stride(&b), 1);
	/* a 1 ms interval: capped at one read in PB_QUIET_STRIDE_MAX visits */
	pb_init(&b, 1 * MS, 10, 25, 2000);
	assert_int_equal(pb_quiet_stride(&b), PB_QUIET_STRIDE_MAX);
	/* the coverage's means: 1,500 quiet at stride 4 over a 25-tick period,
	 * then 500 at stride 2 over 50 ticks */
	pb_init(&b, 10 * MS, 10, 25, 200);
	pb_tick_quiet(&b, 1500, 4);
	pb_tick_end(&b, 0, 0, 0, 2000, 0, 0, 2000, 0);
	b.period = 50;
	pb_tick_quiet(&b, 500, 2);
	pb_tick_end(&b, 0, 0, 0, 2000, 0, 0, 2000, 0);
	assert_true(b.sum_quiet_procs > 1999.0 && b.sum_quiet_procs < 2001.0);
	assert_int_equal(b.sum_quiet_period, 100 + 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_period_follows_cost),
	    cmocka_unit_test(test_tick_quantiles),
	    cmocka_unit_test(test_quiet_stride),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
