/* Unit tests: watch's per-process metrics and rule stepping on synthetic
 * procfs/connector records (cli/watch_metrics.c), and its option parsers. */
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli/watch.h"
#include "core/clock.h"
#include "procimage/sample.h"
#include "unit_records.h"

#define HZ 100
#define DT (500 * NS_PER_MS)

static void proc_sample(struct wmetrics *w, int32_t pid, uint64_t start, uint64_t t,
			uint64_t cpu_ticks, int64_t rss_pages, const char *comm)
{
	struct record r =
	    unit_sample(SCOPE_PROCESS, t, (struct task_key){pid, pid, start}, comm, PF_STAT);
	r.u.sample.s.utime = cpu_ticks;
	r.u.sample.s.rss_pages = rss_pages;
	r.u.sample.s.num_threads = 1;
	wmetrics_consume(w, &r);
}

static void nan_host(double *h)
{
	for (int i = 0; i < M_COUNT; i++)
		h[i] = NAN;
}

/* Two processes, one at 80% CPU: cpu>50%for1s fires for it after 1 s. */
static void test_cpu_rate_and_pick(void **state)
{
	struct ruleset rs = {0};
	char err[200];
	double host[M_COUNT];
	struct wfire f;
	int fired_at = -1;
	(void)state;

	assert_int_equal(ruleset_add(&rs, "cpu>50%for1s", err, sizeof(err)), 0);
	struct wmetrics *w = wmetrics_new(&rs, HZ, 4096);
	assert_non_null(w);
	nan_host(host);
	for (int i = 0; i < 6; i++) {
		uint64_t t = (uint64_t)(i + 1) * DT;
		proc_sample(w, 10, 5, t, (uint64_t)i * 40, 100,
			    "busy");					/* 40 ticks / 0.5 s = 80% */
		proc_sample(w, 11, 6, t, (uint64_t)i * 5, 100, "calm"); /* 10% */
		if (wmetrics_tick(w, t, host, &f) && fired_at < 0) {
			fired_at = i;
			assert_int_equal(f.pid, 10);
			assert_string_equal(f.comm, "busy");
			assert_true(fabs(f.m[M_CPU] - 80.0) < 0.01);
			assert_true(fabs(f.m[M_RSS] - 100 * 4096.0) < 0.5);
			assert_int_equal(f.nfiring, 1);
		}
	}
	assert_int_equal(fired_at, 2); /* rates from sample 2 on: 1 s held at sample 3 */
	assert_int_equal(wmetrics_count(w), 2);
	wmetrics_free(w);
}

/* Run-queue wait from the threads' schedstat: a wait of 0 at the first
 * sample is a reading (a task that never waited yet), so the next tick has
 * a rate; a process with no thread sample has none (unknown, not 0). */
static void test_runq_from_zero(void **state)
{
	struct ruleset rs = {0};
	char err[200];
	double host[M_COUNT];
	struct wfire f;
	(void)state;

	assert_int_equal(ruleset_add(&rs, "runq>1000000%", err, sizeof(err)), 0);
	struct wmetrics *w = wmetrics_new(&rs, HZ, 4096);
	assert_non_null(w);
	nan_host(host);
	for (int i = 0; i < 2; i++) {
		uint64_t t = (uint64_t)(i + 1) * DT;
		proc_sample(w, 20, 7, t, (uint64_t)i * 10, 100, "waiter");
		struct record th = unit_sample(SCOPE_THREAD, t, (struct task_key){20, 20, 7},
					       "waiter", PF_SCHEDSTAT);
		th.u.sample.s.wait_ns = (uint64_t)i * 250 * NS_PER_MS; /* 0, then 250 ms */
		wmetrics_consume(w, &th);
		proc_sample(w, 21, 8, t, 0, 100, "nothreads");
		wmetrics_tick(w, t, host, &f);
	}
	struct wtop top[4];
	assert_int_equal(wmetrics_topn(w, M_RUNQ, top, 4), 1); /* nothreads: unknown */
	assert_int_equal(top[0].pid, 20);
	assert_true(fabs(top[0].v - 50.0) < 0.01); /* 250 ms in 0.5 s */
	wmetrics_free(w);
}

/* A reused pid (new start time) starts over; REC_GONE forgets the process;
 * forks are counted from the connector only once they are known. */
static void test_reuse_gone_forks(void **state)
{
	struct ruleset rs = {0};
	char err[200];
	double host[M_COUNT];
	struct wfire f;
	(void)state;

	assert_int_equal(ruleset_add(&rs, "forks>1", err, sizeof(err)), 0);
	struct wmetrics *w = wmetrics_new(&rs, HZ, 4096);
	nan_host(host);
	proc_sample(w, 20, 7, DT, 0, 1, "a");
	wmetrics_tick(w, DT, host, &f);
	for (int k = 0; k < 5; k++) {
		struct record fk = {.kind = REC_FORK, .source = SRC_CONNECTOR, .t_ns = DT + 1};
		fk.u.fork.parent_tgid = 20;
		fk.u.fork.child_tgid = 100 + k;
		wmetrics_consume(w, &fk);
	}
	proc_sample(w, 20, 7, 2 * DT, 0, 1, "a");
	assert_int_equal(wmetrics_tick(w, 2 * DT, host, &f), 0); /* forks not known yet */
	wmetrics_set_forks_known(w, 1);
	for (int k = 0; k < 5; k++) {
		struct record fk = {.kind = REC_FORK, .source = SRC_CONNECTOR, .t_ns = 2 * DT + 1};
		fk.u.fork.parent_tgid = 20;
		fk.u.fork.child_tgid = 200 + k;
		wmetrics_consume(w, &fk);
	}
	proc_sample(w, 20, 7, 3 * DT, 0, 1, "a");
	assert_int_equal(wmetrics_tick(w, 3 * DT, host, &f), 1);
	assert_true(fabs(f.m[M_FORKS] - 10.0) < 0.01); /* 5 forks in 0.5 s */
	/* pid 20 reused: no rate on its first sample */
	proc_sample(w, 20, 99, 4 * DT, 1000, 1, "b");
	assert_int_equal(wmetrics_tick(w, 4 * DT, host, &f), 0);
	struct record g = unit_gone(SCOPE_PROCESS, 5 * DT, (struct task_key){20, 20, 99}, NULL);
	wmetrics_consume(w, &g);
	assert_int_equal(wmetrics_count(w), 0);
	wmetrics_free(w);
}

static void test_option_parsers(void **state)
{
	uint64_t b;
	(void)state;

	assert_int_equal(watch_parse_signal("USR2"), SIGUSR2);
	assert_int_equal(watch_parse_signal("SIGQUIT"), SIGQUIT);
	assert_int_equal(watch_parse_signal("quit"), SIGQUIT);
	assert_int_equal(watch_parse_signal("12"), 12);
	assert_int_equal(watch_parse_signal("FOO"), -1);
	assert_int_equal(watch_parse_signal("0"), -1);
	assert_int_equal(watch_parse_size("1GiB", &b), 0);
	assert_true(b == 1024ULL * 1024 * 1024);
	assert_int_equal(watch_parse_size("500M", &b), 0);
	assert_true(b == 500ULL * 1024 * 1024);
	assert_int_equal(watch_parse_size("2048", &b), 0);
	assert_true(b == 2048);
	assert_true(watch_parse_size("5 parsecs", &b) < 0);
	assert_true(watch_parse_size("-1G", &b) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cpu_rate_and_pick),
	    cmocka_unit_test(test_reuse_gone_forks),
	    cmocka_unit_test(test_runq_from_zero),
	    cmocka_unit_test(test_option_parsers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
