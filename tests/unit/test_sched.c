/* Unit tests: the sched image on synthetic schedstat sequences (run
 * boundaries, tick-granular accounting, counter wrap, exit mid-run, PID
 * reuse, victims). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/taskmap.h"
#include "images/sched.h"
#include "unit_records.h"
#include "unit_report.h"

#define MS 1000000ULL

struct thr {
	int32_t tgid, tid;
	uint64_t start, run, wait, slices;
	int32_t cpu;
	const char *comm;
};

static const struct image_ops *ops(void)
{
	return image_find("sched");
}

static void *mk(void)
{
	struct image_params p = {
	    .interval_ns = 10 * MS, .threshold_ns = 50 * MS, .ticks_per_s = 100};
	void *img = ops()->create(&p);
	assert_non_null(img);
	return img;
}

static void sample(void *img, const struct thr *t, uint64_t now)
{
	struct record r =
	    unit_sample(SCOPE_THREAD, now, (struct task_key){t->tgid, t->tid, t->start},
			t->comm ? t->comm : "t", PF_STAT | PF_SCHEDSTAT);

	r.u.sample.s.run_ns = t->run;
	r.u.sample.s.wait_ns = t->wait;
	r.u.sample.s.slices = t->slices;
	r.u.sample.s.processor = t->cpu;
	r.u.sample.s.state = 'R';
	ops()->consume(img, &r);
}

static void tick(void *img, uint64_t now)
{
	unit_tick(ops(), img, now);
}

static void gone(void *img, const struct thr *t, uint64_t now)
{
	struct record r =
	    unit_gone(SCOPE_THREAD, now, (struct task_key){t->tgid, t->tid, t->start}, NULL);
	ops()->consume(img, &r);
}

static struct sched_thread *get(void *img, const struct thr *t)
{
	return taskmap_get(((struct sched_img *)img)->threads, t->tid, t->start);
}

static char *render(void *img)
{
	return unit_report_json(ops(), img);
}

/* Idle 100 ms, on CPU 1 s with scheduler-tick lumps (8/12 ms per 10 ms
 * sample) and one 3 ms preemption, then idle: one run of ~1 s. */
static void test_run_boundaries(void **state)
{
	void *img = mk();
	struct thr t = {10, 11, 500, 0, 0, 1, 1, "spin"};
	uint64_t now = 1000 * MS;

	(void)state;
	for (int i = 0; i <= 150; i++, now += 10 * MS) {
		if (i > 10 && i <= 110) {
			t.run += (i % 2) ? 8 * MS : 12 * MS;
			if (i == 50) {
				t.run -= 3 * MS;
				t.slices++;
			}
		}
		sample(img, &t, now);
		tick(img, now);
	}
	struct sched_thread *th = get(img, &t);
	sched_finish(img);
	assert_int_equal(th->runs_over, 1);
	assert_int_equal(th->nruns, 1);
	uint64_t len = th->runs[0].end_ns - th->runs[0].start_ns;
	assert_true(len >= 990 * MS && len <= 1010 * MS);
	assert_true(th->runs[0].start_ns == 1000 * MS + 100 * MS);
	assert_int_equal(th->runs[0].slices, 1);
	/* the strict figure: the longest stretch without a new timeslice */
	assert_true(th->longest_slice_ns >= 590 * MS && th->longest_slice_ns <= 610 * MS);
	ops()->destroy(img);
}

/* 1 ms samples: the counter advances only every 4th sample by 4 ms. */
static void test_fine_interval(void **state)
{
	struct image_params p = {.interval_ns = MS, .threshold_ns = 50 * MS};
	void *img = ops()->create(&p);
	struct thr t = {20, 20, 1, 0, 0, 1, 0, "spin"};
	uint64_t now = 0;

	(void)state;
	for (int i = 0; i < 400; i++, now += MS) {
		if (i >= 100 && i < 300 && i % 4 == 3)
			t.run += 4 * MS;
		sample(img, &t, now);
		tick(img, now);
	}
	sched_finish(img);
	struct sched_thread *th = get(img, &t);
	assert_int_equal(th->runs_over, 1);
	assert_true(th->longest_run_ns >= 190 * MS && th->longest_run_ns <= 205 * MS);
	ops()->destroy(img);
}

/* A SCHED_FIFO spinner: 950 ms on CPU, then 50 ms off (RT throttling or the
 * fair server), for 3 s: one run, the gaps inside it; while a thread on CPU
 * 85 % of the time makes no long run. */
static void test_throttled_hog(void **state)
{
	void *img = mk();
	struct thr t = {25, 25, 1, 0, 0, 1, 0, "fifo"}, u = {26, 26, 1, 0, 0, 1, 1, "cfs"};
	uint64_t now = 0;

	(void)state;
	for (int i = 0; i <= 300; i++, now += 10 * MS) {
		if (i && i % 100 >= 5)
			t.run += 10 * MS;
		if (i % 100 == 5)
			t.slices++;
		u.run += i ? (i % 20 < 17 ? 10 * MS : 0) : 0;
		sample(img, &t, now);
		sample(img, &u, now);
		tick(img, now);
	}
	sched_finish(img);
	assert_true(get(img, &t)->longest_run_ns >= 2900 * MS);
	assert_int_equal(get(img, &t)->runs_over, 1);
	/* only its first 370 ms were >= 90 % on CPU as a whole */
	assert_true(get(img, &u)->longest_run_ns < 500 * MS);
	ops()->destroy(img);
}

/* On CPU 50 % of every interval: never a hog; and a sleeper never is. */
static void test_half_duty_and_sleeper(void **state)
{
	void *img = mk();
	struct thr h = {30, 30, 1, 0, 0, 1, 0, "half"}, z = {31, 31, 1, 0, 0, 1, 0, "zzz"};
	uint64_t now = 0;

	(void)state;
	for (int i = 0; i < 300; i++, now += 10 * MS) {
		h.run += 5 * MS;
		h.slices += 2;
		sample(img, &h, now);
		sample(img, &z, now);
		tick(img, now);
	}
	sched_finish(img);
	assert_true(get(img, &h)->longest_run_ns < 50 * MS);
	assert_int_equal(get(img, &h)->runs_over, 0);
	assert_int_equal(get(img, &z)->longest_run_ns, 0);
	struct sched_offender off[4];
	int n = sched_offenders(img, off, 4, NULL, 0);
	for (int i = 0; i < n; i++)
		assert_int_not_equal(off[i].tid, 31);
	ops()->destroy(img);
}

/* A counter that goes back (wrap, reset) gives no delta and ends the run. */
static void test_counter_wrap(void **state)
{
	void *img = mk();
	struct thr t = {40, 40, 1, UINT64_MAX - 100 * MS, 0, 5, 0, "wrap"};
	uint64_t now = 0;

	(void)state;
	for (int i = 0; i < 40; i++, now += 10 * MS) {
		t.run += 10 * MS; /* wraps past UINT64_MAX at i = 10 */
		sample(img, &t, now);
		tick(img, now);
	}
	sched_finish(img);
	struct sched_thread *th = get(img, &t);
	assert_int_equal(((struct sched_img *)img)->wraps, 1);
	assert_true(th->cpu_ns <= 400 * MS);
	assert_true(th->longest_run_ns >= 280 * MS);
	ops()->destroy(img);
}

/* A thread that exits in the middle of a run: the run is kept, up to the
 * last sample, and the thread is marked exited. */
static void test_exit_mid_run(void **state)
{
	void *img = mk();
	struct thr t = {50, 51, 7, 0, 0, 1, 0, "quitter"};
	uint64_t now = 0;

	(void)state;
	for (int i = 0; i <= 30; i++, now += 10 * MS) {
		t.run += i ? 10 * MS : 0;
		sample(img, &t, now);
		tick(img, now);
	}
	gone(img, &t, now);
	struct sched_thread *th = get(img, &t);
	assert_true(th->gone);
	assert_int_equal(th->in_run, 0);
	assert_int_equal(th->runs_over, 1);
	assert_true(th->longest_run_ns == 300 * MS);
	char *j = render(img);
	assert_non_null(strstr(j, "\"exited\":true"));
	assert_non_null(strstr(j, "\"longest_run_ms\":300"));
	free(j);
	ops()->destroy(img);
}

/* The same tid reused by a new task (new start time): two tasks, and the new
 * one's counters (starting near 0) never produce a delta for the old one. */
static void test_pid_reuse(void **state)
{
	void *img = mk();
	struct thr a = {60, 60, 100, 5000 * MS, 0, 9, 0, "old"};
	struct thr b = {60, 60, 900, 0, 0, 0, 0, "new"};
	uint64_t now = 0;

	(void)state;
	for (int i = 0; i < 20; i++, now += 10 * MS) {
		a.run += 10 * MS;
		sample(img, &a, now);
		tick(img, now);
	}
	gone(img, &a, now);
	for (int i = 0; i < 20; i++, now += 10 * MS) {
		sample(img, &b, now);
		tick(img, now);
	}
	sched_finish(img);
	assert_int_equal(taskmap_count(((struct sched_img *)img)->threads), 2);
	assert_true(get(img, &a)->longest_run_ns >= 180 * MS);
	assert_int_equal(get(img, &b)->cpu_ns, 0);
	assert_int_equal(get(img, &b)->longest_run_ns, 0);
	assert_string_equal(get(img, &b)->comm, "new");
	ops()->destroy(img);
}

/* A waker on the hog's CPU whose run-queue wait grows is its victim; one on
 * another CPU is not. */
static void test_victims(void **state)
{
	void *img = mk();
	struct thr hog = {70, 71, 1, 0, 0, 1, 1, "hog"};
	struct thr v = {80, 81, 1, 0, 0, 0, 1, "victim"};
	struct thr o = {90, 91, 1, 0, 0, 0, 0, "other"};
	uint64_t now = 0;

	(void)state;
	for (int i = 0; i < 100; i++, now += 10 * MS) {
		hog.run += 10 * MS;
		if (i > 5 && i % 5 == 0) {
			v.wait += 3 * MS;
			v.slices++;
			v.run += MS / 2;
			o.wait += 2 * MS;
			o.slices++;
		}
		sample(img, &v, now); /* before the hog in the same tick */
		sample(img, &hog, now);
		sample(img, &o, now);
		tick(img, now);
	}
	sched_finish(img);
	assert_int_equal(get(img, &v)->victim_wait_ns, 18 * 3 * MS);
	assert_int_equal(get(img, &v)->victim_max_wait_ns, 3 * MS);
	assert_int_equal(get(img, &o)->victim_wait_ns, 0);
	struct sched_offender off[2];
	assert_int_equal(sched_offenders(img, off, 2, NULL, 0), 2);
	assert_int_equal(off[0].tid, 71);
	assert_int_equal(off[0].victims, 1);
	assert_string_equal(off[0].top_victim_comm, "victim");
	int32_t skip = 70;
	assert_int_equal(sched_offenders(img, off, 2, &skip, 1), 1);
	assert_int_not_equal(off[0].tid, 71);
	char *j = render(img);
	assert_non_null(strstr(j, "\"victims\":[{\"tid\":81"));
	assert_non_null(strstr(j, "\"threshold_ms\":50"));
	free(j);
	ops()->destroy(img);
}

/* A hog's comm is the task's to choose: in folded stacks a ';' in it would
 * forge a frame, a newline a line. */
static void test_folded_comm_sanitized(void **state)
{
	void *img = mk();
	struct thr t = {20, 21, 500, 0, 0, 1, 1, "ev;il\nx"};
	uint64_t now = 1000 * MS;

	(void)state;
	for (int i = 0; i <= 40; i++, now += 10 * MS) {
		if (i > 5 && i <= 30)
			t.run += 10 * MS;
		struct record r = unit_sample(SCOPE_THREAD, now, (struct task_key){20, 21, 500},
					      t.comm, PF_STAT | PF_SCHEDSTAT | PF_STACK);
		r.u.sample.s.run_ns = t.run;
		r.u.sample.s.slices = t.slices;
		r.u.sample.s.processor = 1;
		r.u.sample.s.state = 'R';
		r.text = "[<0>] do_spin+0x1/0x2\n";
		r.text_len = (uint32_t)strlen(r.text);
		ops()->consume(img, &r);
		tick(img, now);
	}
	char *j = render(img);
	assert_non_null(strstr(j, "ev:il\\\\x0ax;do_spin"));
	assert_null(strstr(j, "ev;il\\nx;do_spin")); /* the raw line, as JSON escapes it */
	free(j);
	ops()->destroy(img);
}

/* The idle tier of a host-wide scan: a thread read 250 ms after its last
 * read, then every 10 ms. Switched in once in that gap and on CPU 100 ms
 * since: its run began 100 ms before the promotion read and goes on (one
 * run of 100 + 200 ms). Switched in 5 times: where those 100 ms lay is
 * unknown, the run starts at the promotion read (200 ms). Not switched in
 * and 40 ms on CPU: one stretch from the previous read, already over. */
static void test_idle_tier_gap(void **state)
{
	struct thr one = {1, 1, 100, 0, 0, 0, 0, "one"};
	struct thr many = {2, 2, 100, 0, 0, 0, 1, "many"};
	struct thr none = {3, 3, 100, 0, 0, 0, 0, "none"};
	void *img = mk();
	uint64_t t = 1000 * MS;

	(void)state;
	sample(img, &one, t);
	sample(img, &many, t);
	sample(img, &none, t);
	t += 250 * MS;
	one.run += 100 * MS, one.slices += 1;
	many.run += 100 * MS, many.slices += 5;
	none.run += 40 * MS;
	sample(img, &one, t);
	sample(img, &many, t);
	sample(img, &none, t);
	for (int i = 0; i < 20; i++) {
		t += 10 * MS;
		one.run += 10 * MS;
		many.run += 10 * MS;
		sample(img, &one, t);
		sample(img, &many, t);
		sample(img, &none, t);
	}
	sched_finish(img);
	assert_int_equal(get(img, &one)->longest_run_ns, 300 * MS);
	assert_int_equal(get(img, &many)->longest_run_ns, 200 * MS);
	assert_int_equal(get(img, &none)->longest_run_ns, 40 * MS);
	assert_int_equal(((struct sched_img *)img)->runs_recovered, 2);
	assert_int_equal(((struct sched_img *)img)->runs_cut, 1);
	ops()->destroy(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_run_boundaries),
	    cmocka_unit_test(test_fine_interval),
	    cmocka_unit_test(test_half_duty_and_sleeper),
	    cmocka_unit_test(test_throttled_hog),
	    cmocka_unit_test(test_counter_wrap),
	    cmocka_unit_test(test_exit_mid_run),
	    cmocka_unit_test(test_pid_reuse),
	    cmocka_unit_test(test_victims),
	    cmocka_unit_test(test_folded_comm_sanitized),
	    cmocka_unit_test(test_idle_tier_gap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
