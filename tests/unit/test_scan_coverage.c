/* Unit tests: what the host-wide scan says it achieved, on synthetic
 * coverage (sources/procfs_coverage.c) and triage's verdict over it
 * (cli/triage_out.c). The 10,000-process case of issue 14: one tick in the
 * whole scan (the first read of the host outlasted it), no offender, and
 * triage must not say "nothing to chase". Also the ticks due from the
 * budget's clock and the late ticks told apart by procimage's own wait for
 * a CPU (sources/procfs_budget.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli/triage.h"
#include "sources/procfs_budget.h"
#include "sources/procfs_coverage.h"

#define MS 1000000ULL

/* A scan that saw the host: 10 ms ticks for 2 s, idle tier at 250 ms. */
static struct procfs_coverage good(void)
{
	struct procfs_coverage c;

	memset(&c, 0, sizeof(c));
	c.tiered = 1;
	c.interval_ns = 10 * MS;
	c.ticks = 200;
	c.periods = 199;
	c.ticks_due = 201;
	c.tick_median_ns = 10 * MS;
	c.tick_p99_ns = 14 * MS;
	c.idle_period_min_ns = c.idle_period_ns = c.idle_period_max_ns = c.idle_period_need_ns =
	    250 * MS;
	c.budget_pct = 10;
	c.procs = 3000;
	c.cpu_wait_ns = 5 * (int64_t)MS;
	return c;
}

static void test_saw_the_host(void **state)
{
	struct procfs_coverage c = good();
	char v[1024];
	(void)state;
	procfs_coverage_judge(&c);
	assert_false(c.behind);
	assert_string_equal(c.behind_why, "");
	triage_verdict(v, sizeof(v), 0, &c);
	assert_non_null(strstr(v, "nothing to chase"));
	triage_verdict(v, sizeof(v), 2, &c);
	assert_string_equal(v, "offenders found");
}

/* issue 14 at 10,000 processes: 1 tick in 2 s, every process read once */
static void test_one_tick_in_the_scan(void **state)
{
	struct procfs_coverage c = good();
	char v[1024];
	(void)state;
	c.ticks = 1;
	c.periods = 0;
	c.tick_median_ns = c.tick_p99_ns = 0;
	c.ticks_due = 215;
	c.first_tick_ns = 2140 * MS;
	c.procs = 10092;
	procfs_coverage_judge(&c);
	assert_true(c.behind);
	assert_non_null(strstr(c.behind_why, "ticks behind: 1 done where 215 were due"));
	assert_true(c.blind);
	assert_non_null(strstr(c.behind_why, "took 2140 ms"));
	/* its own wait is said; too short to be the cause: not blamed */
	assert_non_null(strstr(c.behind_why, "procimage waited 5 ms for a CPU"));
	assert_null(strstr(c.behind_why, "the host's load"));
	triage_verdict(v, sizeof(v), 0, &c);
	assert_null(strstr(v, "nothing to chase"));
	assert_non_null(strstr(v, "no conclusion: the scan did not see the whole host"));
	assert_non_null(strstr(v, "ticks behind"));
	/* starved: its wait covers half the ticks missed or more */
	c.cpu_wait_ns = 1800 * (int64_t)MS;
	procfs_coverage_judge(&c);
	assert_non_null(strstr(c.behind_why, "procimage waited 1800 ms for a CPU that other tasks "
					     "held: the host's load, not the scan's cost)"));
	/* unknown (another pid namespace's /proc): nothing said of it */
	c.cpu_wait_ns = -1;
	procfs_coverage_judge(&c);
	assert_non_null(strstr(c.behind_why, "took 2140 ms)"));
	assert_null(strstr(c.behind_why, "waited"));
}

static void test_each_shortfall_is_named(void **state)
{
	struct procfs_coverage c = good();
	char v[1024];
	(void)state;
	/* late ticks at p99 */
	c.tick_p99_ns = 62 * MS;
	c.ticks_late = 9;
	procfs_coverage_judge(&c);
	assert_true(c.behind);
	assert_non_null(strstr(c.behind_why, "ticks late: p99 62.0 ms for 10 ms"));
	/* the budget could not pay for the idle tier's 1 s target */
	c = good();
	c.idle_period_max_ns = c.idle_period_need_ns = 2000 * MS;
	procfs_coverage_judge(&c);
	assert_true(c.behind);
	assert_non_null(strstr(
	    c.behind_why,
	    "paid for reading idle processes only every 2.00 s on average, beyond the 1 s target"));
	assert_true(c.blind); /* a hog may go unseen for that long */
	/* at 1 s exactly: within the target */
	c.idle_period_max_ns = c.idle_period_need_ns = 1000 * MS;
	procfs_coverage_judge(&c);
	assert_false(c.behind);
	/* stretched to 2 s only while the first read was repaid: the
	 * budget's choice, not a host too big for it */
	c.idle_period_max_ns = 2000 * MS;
	c.idle_period_need_ns = 250 * MS;
	c.repay = 1;
	c.owed_max_ns = 150 * MS;
	procfs_coverage_judge(&c);
	assert_false(c.behind);
	/* processes never read a second time */
	c = good();
	c.procs_read_once = 1234;
	procfs_coverage_judge(&c);
	assert_true(c.behind);
	assert_non_null(strstr(c.behind_why, "1234 of 3000 processes read only once"));
	/* with offenders, the verdict still says the scan fell behind */
	triage_verdict(v, sizeof(v), 1, &c);
	assert_non_null(strstr(v, "offenders found, but the scan fell behind (1234 of 3000"));
	/* reads skipped for want of descriptors, alone: a hog may be unseen */
	c = good();
	c.emfile = 3;
	procfs_coverage_judge(&c);
	assert_true(c.behind);
	assert_true(c.blind);
	c = good();
	c.procs_read_once = 1234;
	/* descriptors, and every reason at once, separated */
	c.emfile = 7;
	c.idle_period_max_ns = c.idle_period_need_ns = 2000 * MS;
	c.ticks = 20;
	procfs_coverage_judge(&c);
	assert_non_null(strstr(c.behind_why, "ticks behind: 20 done where 201"));
	assert_non_null(strstr(
	    c.behind_why,
	    "; the budget of 10% of a CPU paid for reading idle processes only every 2.00 s"));
	assert_non_null(strstr(c.behind_why, "; 1234 of 3000"));
	assert_non_null(strstr(c.behind_why, "; 7 reads skipped for want of file descriptors"));
	triage_verdict(v, sizeof(v), 0, &c);
	assert_null(strstr(v, "nothing to chase"));
	/* not a host-wide scan: nothing to judge */
	c.tiered = 0;
	procfs_coverage_judge(&c);
	assert_false(c.behind);
}

static void test_ticks_due(void **state)
{
	struct procfs_budget b;
	(void)state;
	pb_init(&b, 10 * MS, 10, 25, 200);
	assert_int_equal(pb_ticks_due(&b), 0);
	/* a first read of the host that lasted 2 s: the run's set-up, not
	 * counted in the ticks due, nor in the tick periods */
	pb_tick_start(&b, 1000 * MS);
	pb_tick_done(&b, 3000 * MS);
	assert_int_equal(pb_ticks_due(&b), 1);
	assert_int_equal(b.first_end - b.first_now, 2000 * MS);
	pb_tick_start(&b, 3010 * MS);
	pb_tick_done(&b, 3011 * MS);
	assert_int_equal(pb_ticks_due(&b), 2);
	assert_int_equal(b.max_period_ns, 10 * MS);
	assert_int_equal(b.late, 0);
	/* then starved for a second: 101 due, 3 done */
	pb_tick_start(&b, 4000 * MS);
	pb_tick_done(&b, 4001 * MS);
	assert_int_equal(pb_ticks_due(&b), 101);
	assert_int_equal(b.late, 1);
	assert_int_equal(b.first_end, 3000 * MS);
}

/* Late ticks: the ones whose lateness was mostly procimage's own wait for
 * a CPU (run_delay) are counted apart, and the shortfall says so. */
static void test_late_waiting(void **state)
{
	struct procfs_budget b;
	struct procfs_coverage c = good();
	(void)state;
	pb_init(&b, 10 * MS, 10, 25, 200);
	pb_tick_start(&b, 1000 * MS);
	pb_tick_wait(&b, 100 * MS);
	pb_tick_done(&b, 1001 * MS);
	/* late after the first read, whose own wait was read before it: not
	 * judged (the read's wait would be put on this period) */
	pb_tick_start(&b, 1030 * MS);
	pb_tick_wait(&b, 125 * MS);
	pb_tick_start(&b, 1040 * MS); /* on time */
	pb_tick_wait(&b, 125 * MS);
	pb_tick_start(&b, 1065 * MS); /* 15 ms late, 12 of them waiting */
	pb_tick_wait(&b, 137 * MS);
	pb_tick_start(&b, 1090 * MS); /* 15 ms late, 2 ms waiting: the tick's own */
	pb_tick_wait(&b, 139 * MS);
	pb_tick_start(&b, 1100 * MS);
	pb_tick_wait(&b, -1); /* unreadable now */
	/* late, but no reading at its start: its wait spans two periods, not
	 * judged */
	pb_tick_start(&b, 1129 * MS);
	pb_tick_wait(&b, 165 * MS);
	assert_int_equal(b.late, 4);
	assert_int_equal(b.late_waiting, 1);
	assert_int_equal(b.late_wait_ns, 14 * MS);
	assert_int_equal(b.wait_last_ns - b.wait_first_ns, 65 * MS);

	/* most late ticks waited: said as the host's load */
	c.tick_p99_ns = 25 * MS;
	c.ticks_late = 6;
	c.ticks_late_waiting = 5;
	c.cpu_wait_ns = 420 * (int64_t)MS;
	procfs_coverage_judge(&c);
	assert_true(c.behind);
	assert_non_null(strstr(c.behind_why, "ticks late: p99 25.0 ms"));
	assert_non_null(strstr(c.behind_why, "5 of them mostly waiting for a CPU"));
	assert_non_null(strstr(c.behind_why, "waited 420 ms"));
	/* late ticks hide no run (the counters are exact across them): triage
	 * says its finding and the coarser ticks, not "no conclusion" */
	assert_false(c.blind);
	char v[1024];
	triage_verdict(v, sizeof(v), 0, &c);
	assert_non_null(strstr(v, "nothing to chase: no thread held a CPU that long"));
	assert_non_null(strstr(v, "; the ticks were coarser than asked (ticks late: p99 25.0 ms"));
	triage_verdict(v, sizeof(v), 2, &c);
	assert_non_null(strstr(v, "offenders found; the ticks were coarser than asked"));
	assert_null(strstr(v, "unseen"));
	/* with a shortfall that may hide a hog as well: the doubt is said */
	c.procs_read_once = 10;
	procfs_coverage_judge(&c);
	assert_true(c.blind);
	triage_verdict(v, sizeof(v), 0, &c);
	assert_non_null(strstr(v, "no conclusion"));
	c.procs_read_once = 0;
	/* most did not: the scan's own lateness, no excuse */
	c.ticks_late_waiting = 2;
	procfs_coverage_judge(&c);
	assert_true(c.behind);
	assert_null(strstr(c.behind_why, "waiting for a CPU"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_saw_the_host),
	    cmocka_unit_test(test_one_tick_in_the_scan),
	    cmocka_unit_test(test_each_shortfall_is_named),
	    cmocka_unit_test(test_ticks_due),
	    cmocka_unit_test(test_late_waiting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
