/* Unit tests: the resource image fed with synthetic record streams (no
 * privileges, no /proc): rates over wall time, per-thread sums, threads born
 * during the run, delays shown as null when not accounted, the hotspots, the
 * bounded series, and exit records without a start time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "procimage/image.h"
#include "unit_records.h"
#include "unit_report.h"

#define MS  1000000ULL
#define MIB (1ULL << 20)

struct fx {
	const struct image_ops *ops;
	void *img;
};

static struct fx make(int threads)
{
	struct image_params p = {
	    .interval_ns = 100 * MS, .ticks_per_s = 100, .page_size = 4096, .threads = threads};
	struct fx f = {image_find("resource"), NULL};

	assert_non_null(f.ops);
	f.img = f.ops->create(&p);
	assert_non_null(f.img);
	return f;
}

static void feed(struct fx *f, const struct record *r)
{
	f->ops->consume(f->img, r);
}

static void proc_sample(struct fx *f, int32_t pid, uint64_t start, uint64_t t, uint64_t utime,
			uint64_t rss_kb, int32_t nthreads)
{
	struct record r = unit_sample(SCOPE_PROCESS, t, (struct task_key){pid, pid, start},
				      "worker", PF_STAT | PF_FDS);
	struct proc_sample *s = &r.u.sample.s;

	s->utime = utime;
	s->rss_pages = (int64_t)rss_kb / 4;
	s->minflt = utime * 10;
	s->num_threads = nthreads;
	s->starttime = start;
	s->nr_fds = 4;
	feed(f, &r);
}

static void thread_sample(struct fx *f, int32_t pid, int32_t tid, uint64_t start, uint64_t t,
			  uint64_t run_ns, uint64_t rchar, uint64_t write_bytes)
{
	struct record r = unit_sample(SCOPE_THREAD, t, (struct task_key){pid, tid, start}, "worker",
				      PF_STAT | PF_SCHEDSTAT | PF_IO | PF_STATUS);
	struct proc_sample *s = &r.u.sample.s;

	s->rss_anon_kb = 1234;
	s->status_have = STATUS_HAVE_RSS_SPLIT;
	s->vol_ctxt = run_ns / MS / 2;
	s->run_ns = run_ns;
	s->wait_ns = run_ns / 5;
	s->slices = run_ns / MS;
	s->rchar = rchar;
	s->write_bytes = write_bytes;
	s->wchar = write_bytes;
	feed(f, &r);
}

/* blk: whether the task has delay accounting (block I/O counted) at all. */
static void taskstats(struct fx *f, int32_t pid, uint64_t start, uint64_t t, uint64_t k, int exit,
		      int blk)
{
	struct record r = {.kind = REC_TASKSTATS,
			   .source = SRC_TASKSTATS,
			   .t_ns = t,
			   .key = {pid, pid, exit ? 0 : start}};

	r.u.ts.version = 16;
	r.u.ts.is_tgid = !exit;
	r.u.ts.is_exit = (uint8_t)exit;
	r.u.ts.have =
	    TS_HAVE_THRASHING | TS_HAVE_COMPACT | TS_HAVE_WPCOPY | TS_HAVE_IRQ | TS_HAVE_MAX;
	r.u.ts.cpu_count = k;
	r.u.ts.cpu_delay_ns = k * 10 * MS;
	r.u.ts.cpu_delay_max_ns = 3 * MS;
	r.u.ts.blkio_count = blk ? k * 2 : 0;
	r.u.ts.blkio_delay_ns = blk ? k * 7 * MS : 0;
	r.u.ts.nvcsw = k * 100;
	r.u.ts.nivcsw = k;
	feed(f, &r);
}

static void host(struct fx *f, int delayacct, uint64_t since)
{
	struct record r = {.kind = REC_HOST, .t_ns = 1};

	r.u.host.have = HOST_HAVE_DELAYACCT | HOST_HAVE_MEM;
	r.u.host.delayacct = (int8_t)delayacct;
	r.u.host.delayacct_by_run = since != 0;
	r.u.host.delayacct_since_ticks = since;
	r.u.host.mem_total_kb = 1024 * 1024;
	feed(f, &r);
}

static void tick(struct fx *f, uint64_t t)
{
	unit_tick(f->ops, f->img, t);
}

static char *report(struct fx *f)
{
	char *j = unit_report_json(f->ops, f->img);

	f->ops->destroy(f->img);
	return j;
}

/* 11 ticks of 100 ms: 50% CPU, 1 MiB/s of cached reads, delays counted. */
static void run_basic(struct fx *f, int32_t pid, uint64_t start, int blk)
{
	for (uint64_t k = 0; k <= 10; k++) {
		uint64_t t = 1000 * MS + k * 100 * MS;
		proc_sample(f, pid, start, t, k * 5, 10240, 1);
		thread_sample(f, pid, pid, start, t, k * 50 * MS, k * (MIB / 10) * 11, k * 4096);
		taskstats(f, pid, start, t, k, 0, blk);
		tick(f, t);
	}
}

static void test_rates_and_delays_off(void **state)
{
	struct fx f = make(0);
	(void)state;

	host(&f, 0, 0);
	run_basic(&f, 100, 5000, 0);
	char *s = report(&f);
	assert_non_null(strstr(s, "\"pid\":100"));
	assert_non_null(strstr(s, "\"cpu_pct\":50,"));
	assert_non_null(strstr(s, "\"user_pct\":50,"));
	assert_non_null(strstr(s, "\"cpu_source\":\"schedstat_ns\""));
	assert_non_null(strstr(s, "\"minflt\":500,"));
	assert_non_null(strstr(s, "\"write_bytes\":40960,"));
	assert_non_null(strstr(s, "\"vol_cs\":1000,"));
	assert_non_null(strstr(s, "\"cs_source\":\"taskstats\""));
	/* CPU delay always; block I/O not accounted with delayacct=0: null, not 0. */
	assert_non_null(strstr(s, "\"cpu_ns\":100000000,\"cpu_count\":10,\"cpu_max_ns\":3000000"));
	assert_non_null(strstr(s, "\"blkio_ns\":null"));
	assert_non_null(strstr(s, "\"sysctl\":0"));
	assert_non_null(strstr(s, "\"resource\":\"io_cache\""));
	assert_non_null(strstr(s, "\"mem_pct\":0.976562"));
	assert_non_null(strstr(s, "\"rss_anon_bytes\":1263616"));
	assert_non_null(strstr(s, "\"fds\":4"));
	free(s);
}

static void test_delays_enabled_by_run(void **state)
{
	struct fx f = make(0);
	(void)state;

	host(&f, 1, 4000);	     /* switched on at boot tick 4000 */
	run_basic(&f, 200, 3000, 0); /* started before: not accounted */
	char *s = report(&f);
	assert_non_null(strstr(s, "\"blkio_ns\":null"));
	assert_non_null(strstr(s, "\"enabled_by_run\":true"));
	free(s);

	f = make(0);
	host(&f, 1, 4000);
	run_basic(&f, 201, 6000, 1); /* started after: counted */
	s = report(&f);
	assert_non_null(strstr(s, "\"blkio_ns\":70000000,\"blkio_count\":20"));
	free(s);
}

static void test_threads_and_newborn(void **state)
{
	struct fx f = make(1);
	(void)state;

	for (uint64_t k = 0; k <= 4; k++) {
		uint64_t t = 1000 * MS + k * 100 * MS;
		proc_sample(&f, 300, 7000, t, 0, 1000, k >= 2 ? 2 : 1);
		thread_sample(&f, 300, 300, 7000, t, k * 10 * MS, 0, k * 1000);
		/* a thread born between the 1st and 2nd tick: all it did counts */
		if (k >= 2)
			thread_sample(&f, 300, 301, 7100, t, k * 20 * MS, 0, k * 500);
		tick(&f, t);
	}
	char *s = report(&f);
	/* process: 4000 (leader) + 2000 (the newborn, from zero) */
	assert_non_null(strstr(s, "\"pid\":300,\"comm\""));
	assert_non_null(strstr(s, "\"write_bytes\":6000,"));
	assert_non_null(strstr(s, "\"tid\":301"));
	assert_non_null(strstr(s, "\"cpu_ns\":120000000")); /* 40 ms + 80 ms */
	/* switches summed over the threads' status without taskstats: 20 + 40 */
	assert_non_null(strstr(s, "\"vol_cs\":60,"));
	assert_non_null(strstr(s, "\"cs_source\":\"status_threads\""));
	free(s);
}

static void test_leak_and_series_bound(void **state)
{
	struct fx f = make(0);
	(void)state;

	host(&f, 0, 0);
	for (uint64_t k = 0; k <= 600; k++) {
		uint64_t t = 1000 * MS + k * 100 * MS;
		proc_sample(&f, 400, 9000, t, k, 10000 + k * 100, 1);
		thread_sample(&f, 400, 400, 9000, t, k * MS, 0, k * 8192);
		tick(&f, t);
	}
	char *s = report(&f);
	assert_non_null(strstr(s, "RSS grows steadily"));
	/* 600 intervals kept in at most 240 buckets, covering the whole run */
	int n = 0;
	for (const char *p = s; (p = strstr(p, "\"t_ns\":")); p++)
		n++;
	assert_true(n > 100 && n <= 240);
	free(s);
}

/* A single-threaded process's exit record has no start time: it is matched. */
static void test_exit_record(void **state)
{
	struct fx f = make(0);
	(void)state;

	host(&f, 1, 0);
	proc_sample(&f, 500, 8000, 1000 * MS, 0, 100, 1);
	taskstats(&f, 500, 8000, 1000 * MS, 1, 0, 1);
	tick(&f, 1000 * MS);
	proc_sample(&f, 500, 8000, 1100 * MS, 0, 100, 1);
	tick(&f, 1100 * MS);
	taskstats(&f, 500, 8000, 1150 * MS, 5, 1, 1); /* the exit */
	struct record g = {.kind = REC_GONE, .t_ns = 1200 * MS, .key = {500, 500, 8000}};
	g.u.sample.scope = SCOPE_PROCESS;
	feed(&f, &g);
	tick(&f, 1200 * MS);
	char *s = report(&f);
	assert_non_null(strstr(s, "\"exited\":true"));
	assert_non_null(strstr(s, "\"blkio_ns\":28000000,\"blkio_count\":8"));
	free(s);
}

/* A wait longer than the wall time since the last reply is the kernel's
 * artefact of a sysctl flip mid-wait: dropped and counted, not reported. */
static void test_bogus_delay_jump(void **state)
{
	struct fx f = make(0);
	(void)state;

	host(&f, 1, 0);
	for (uint64_t k = 0; k <= 3; k++) {
		uint64_t t = 1000 * MS + k * 100 * MS;
		proc_sample(&f, 600, 9500, t, 0, 100, 1);
		struct record r = {.kind = REC_TASKSTATS, .t_ns = t, .key = {600, 600, 9500}};
		r.u.ts.version = 16;
		r.u.ts.is_tgid = 1;
		r.u.ts.blkio_count = k;
		r.u.ts.blkio_delay_ns = k * MS + (k >= 2 ? 5000ULL * 1000 * MS : 0); /* +5000 s */
		feed(&f, &r);
		tick(&f, t);
	}
	char *s = report(&f);
	assert_non_null(strstr(s, "\"blkio_ns\":2000000,"));
	assert_non_null(strstr(s, "\"dropped_jumps\":1"));
	free(s);
}

/* Host-wide scans find a new process up to a tick late: one born after the
 * run's first tick counts everything since its birth (from its start time),
 * one that was there at the first tick only what came after. The leader's
 * schedstat that procfs's cheap tier attaches to a process sample does not
 * make its CPU "schedstat_ns" (that is the sum over sampled threads). */
static void test_born_during_run_found_late(void **state)
{
	struct fx f = make(0);
	(void)state;

	for (uint64_t k = 0; k <= 5; k++) {
		uint64_t t = 1000 * MS + k * 100 * MS;
		proc_sample(&f, 700, 50, t, 20 + k, 100, 1); /* started at 0.5 s */
		if (k >= 4) {				     /* started at 1.15 s, found at 1.4 s */
			struct record r =
			    unit_sample(SCOPE_PROCESS, t, (struct task_key){701, 701, 115}, "late",
					PF_STAT | PF_SCHEDSTAT);
			r.u.sample.s.utime = k == 4 ? 20 : 30;
			r.u.sample.s.num_threads = 1;
			r.u.sample.s.run_ns = r.u.sample.s.utime * 10 * MS;
			feed(&f, &r);
		}
		tick(&f, t);
	}
	char *s = report(&f);
	char *late = strstr(s, "\"pid\":701,");
	assert_non_null(late);
	assert_non_null(strstr(late, "\"seen_s\":0.35,"));
	assert_non_null(strstr(late, "\"cpu_source\":\"stat_ticks\""));
	assert_non_null(strstr(late, "\"cpu_ns\":300000000,"));
	char *early = strstr(s, "\"pid\":700,");
	assert_non_null(early);
	assert_non_null(strstr(early, "\"cpu_ns\":50000000,")); /* 5 ticks, not 25 */
	free(s);
}

/* A single-thread process's exit record carries its lifetime on-CPU ns: the
 * CPU after its last sample counts, and its row lasts until the exit. */
static void test_exit_cpu_tail(void **state)
{
	struct fx f = make(0);
	(void)state;

	for (uint64_t k = 0; k <= 2; k++) {
		uint64_t t = 1000 * MS + k * 100 * MS;
		proc_sample(&f, 800, 50, t, k, 100, 1);
		thread_sample(&f, 800, 800, 50, t, 500 * MS + k * 50 * MS, 0, 0);
		tick(&f, t);
	}
	/* it ran 30 ms more after the last sample (at 1.2 s), exited at 1.25 s */
	struct record x = {.kind = REC_TASKSTATS, .t_ns = 1250 * MS, .key = {800, 800, 0}};
	x.u.ts.version = 16;
	x.u.ts.is_exit = 1;
	x.u.ts.cpu_run_virtual_ns = 630 * MS; /* sum_exec_runtime */
	x.u.ts.cpu_run_real_ns = 640 * MS;    /* utime + stime, tick-sampled */
	feed(&f, &x);
	struct record g =
	    unit_gone(SCOPE_PROCESS, 1300 * MS, (struct task_key){800, 800, 50}, NULL);
	feed(&f, &g);
	tick(&f, 1300 * MS);
	char *s = report(&f);
	char *row = strstr(s, "\"pid\":800,");
	assert_non_null(row);
	assert_non_null(strstr(row, "\"cpu_ns\":130000000,")); /* 2 x 50 ms + 30 ms */
	assert_non_null(strstr(row, "\"seen_s\":0.25,"));
	free(s);
}

/* A process born during the run, read once just after its birth and never
 * again (the idle tier: it did not run), then found gone: its rates are over
 * its life, not over the few ms between its birth and its first read (a
 * `sleep` showed 53% CPU, its exec's 5 ms over 9.7 ms). */
static void test_born_then_idle(void **state)
{
	struct fx f = make(0);
	(void)state;

	for (uint64_t k = 0; k <= 5; k++) {
		uint64_t t = 1000 * MS + k * 100 * MS;
		proc_sample(&f, 700, 50, t, 20 + k, 100, 1);
		if (k == 1) { /* started at 1.01 s, read at 1.1 s: 10 ms of CPU */
			struct record r = unit_sample(
			    SCOPE_PROCESS, t, (struct task_key){702, 702, 101}, "sleep", PF_STAT);
			r.u.sample.s.utime = 1;
			r.u.sample.s.num_threads = 1;
			feed(&f, &r);
		}
		if (k == 4) { /* found gone at 1.4 s */
			struct record g =
			    unit_gone(SCOPE_PROCESS, t, (struct task_key){702, 702, 101}, NULL);
			feed(&f, &g);
		}
		tick(&f, t);
	}
	char *s = report(&f);
	char *row = strstr(s, "\"pid\":702,");
	assert_non_null(row);
	assert_non_null(strstr(row, "\"seen_s\":0.39,"));
	assert_non_null(strstr(row, "\"cpu_source\":\"stat_ticks\""));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rates_and_delays_off),
	    cmocka_unit_test(test_delays_enabled_by_run),
	    cmocka_unit_test(test_threads_and_newborn),
	    cmocka_unit_test(test_leak_and_series_bound),
	    cmocka_unit_test(test_exit_record),
	    cmocka_unit_test(test_bogus_delay_jump),
	    cmocka_unit_test(test_born_during_run_found_late),
	    cmocka_unit_test(test_exit_cpu_tail),
	    cmocka_unit_test(test_born_then_idle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
