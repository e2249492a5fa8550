/* Unit tests: the host-wide scan's budget (sources/procfs_budget.c) on
 * synthetic ticks: the idle period grows when idle reads do not fit in the
 * budget, never past its ceiling, shrinks back to its floor when they fit;
 * the quota spreads the idle tier evenly; tick-period quantiles; the quiet
 * rate's stride keeps quiet processes near 1 s whatever the idle period;
 * the repayment of procimage's CPU beyond the budget (the first read of a
 * big host) slows the idle tier down to its 1 s target, no further, and
 * only in the baseline mode. */
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

/* 10 ms ticks, 10%, idle period 25-200 ticks; 10,000 idle tasks at 3 us a
 * read, 0.3 ms of fixed cost: without a debt 0.7 ms buys 233 reads a tick,
 * a 43-tick period. Runs `n` ticks starting at `*t` with procimage's own
 * CPU growing from `*own` by what each tick spends plus `extra` once. */
static void run_ticks(struct procfs_budget *b, uint64_t *t, uint64_t *own, int n, uint64_t extra)
{
	for (int i = 0; i < n; i++) {
		pb_tick_start(b, *t);
		uint32_t q = pb_quota(b, 10000);
		*own += q * 3000ULL + 300000 + (i == 0 ? extra : 0);
		*t += i == 0 ? extra + 10 * MS : 10 * MS; /* a long first read is a long tick */
		pb_tick_owed(b, *own, *t);
		pb_tick_end(b, q * 3000ULL, q, 300000, 10000, 1, 1, 10000, 0);
		pb_tick_done(b, *t);
	}
}

/* The host is judged too big for the budget by the mean period it called
 * for, not one tick's: a full listing every 250 ms (10 ms of CPU at 10,000
 * processes, in the fixed cost's moving average) calls for the ceiling at
 * that tick, while on average the budget pays for a period well under it. */
static void test_need_is_a_mean(void **state)
{
	struct procfs_budget b;
	uint32_t worst = 0;
	(void)state;
	pb_init(&b, 10 * MS, 10, 25, 200);
	for (int i = 0; i < 400; i++) {
		uint32_t q = pb_quota(&b, 10000);
		uint64_t other = i % 25 == 24 ? 10 * MS : 100000;
		pb_tick_end(&b, q * 3000ULL, q, other, 10000, 1, 1, 10000, 0);
		if (b.period > worst)
			worst = b.period;
	}
	assert_true(worst >= 100);
	assert_true(pb_need_period(&b) < 100.0); /* the 1 s target: 100 ticks */
}

static void test_repay_first_read(void **state)
{
	struct procfs_budget b;
	uint64_t t = 1 * MS, own = 0;
	(void)state;

	/* no debt but the first ticks' (the period starts at its floor): the
	 * period the budget pays for */
	pb_init(&b, 10 * MS, 10, 25, 200);
	b.repay = 1;
	run_ticks(&b, &t, &own, 300, 0);
	assert_in_range(b.period, 42, 46);
	assert_true(b.owed_max_ns < 5.0 * MS);
	assert_true(b.owed_ns < 1.0 * MS);

	/* a first read of 150 ms: owed, and the idle tier slows down, to
	 * period_max (200 ticks) at worst, until the debt is paid; the
	 * period the budget itself called for stays what it pays for (not a
	 * host too big for it) */
	pb_init(&b, 10 * MS, 10, 25, 200);
	b.repay = 1;
	t = 1 * MS, own = 0;
	run_ticks(&b, &t, &own, 1, 150 * MS);
	assert_true(b.owed_ns > 100.0 * MS);
	uint32_t worst = 0;
	for (int i = 0; i < 150; i++) {
		run_ticks(&b, &t, &own, 1, 0);
		if (b.period > worst)
			worst = b.period;
	}
	assert_int_equal(worst, 200);
	assert_in_range((uint32_t)pb_need_period(&b), 25, 50);
	/* paid back within the run: procimage's CPU is the budget's share of
	 * the wall time again, and the period returns to what the budget pays */
	run_ticks(&b, &t, &own, 600, 0);
	assert_true(b.owed_ns < 1.0 * MS);
	assert_true((double)own <= 0.101 * (double)(t - 1 * MS));
	assert_in_range(b.period, 42, 46);
	assert_true(b.owed_max_ns > 100.0 * MS);

	/* at 100 ms and above (repay off) the debt is neither kept nor paid */
	pb_init(&b, 10 * MS, 10, 25, 200);
	t = 1 * MS, own = 0;
	run_ticks(&b, &t, &own, 300, 150 * MS);
	assert_true(b.owed_max_ns == 0);
	assert_in_range(b.period, 42, 46);
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
	    cmocka_unit_test(test_period_follows_cost), cmocka_unit_test(test_tick_quantiles),
	    cmocka_unit_test(test_need_is_a_mean),	cmocka_unit_test(test_repay_first_read),
	    cmocka_unit_test(test_quiet_stride),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
