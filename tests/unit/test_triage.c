/* Unit tests: triage facts from synthetic records and the plain-words
 * diagnosis built from them (CPU and kernel share, where threads were,
 * migrations, exit, PID reuse resets a process's facts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "images/triage.h"
#include "unit_records.h"

#define MS 1000000ULL

static void proc_sample(struct triage_facts *f, int32_t pid, uint64_t start, uint64_t t,
			uint64_t ut, uint64_t st)
{
	struct record r =
	    unit_sample(SCOPE_PROCESS, t, (struct task_key){pid, pid, start}, "worker", PF_STAT);
	r.u.sample.s.utime = ut;
	r.u.sample.s.stime = st;
	triage_facts_consume(f, &r);
}

static void thread_sample(struct triage_facts *f, int32_t pid, int32_t tid, char state,
			  const char *wchan, uint64_t mig)
{
	struct record r =
	    unit_sample(SCOPE_THREAD, 1, (struct task_key){pid, tid, 5}, NULL, PF_STAT | PF_WCHAN);
	r.u.sample.s.state = state;
	snprintf(r.u.sample.s.wchan, sizeof(r.u.sample.s.wchan), "%s", wchan);
	r.u.sample.s.sched_have = SCHED_HAVE_MIGRATIONS;
	r.u.sample.s.nr_migrations = mig;
	triage_facts_consume(f, &r);
}

static void test_diagnosis(void **state)
{
	struct triage_facts *scan = triage_facts_new(100), *deep = triage_facts_new(100);
	struct sched_offender o = {.tgid = 42,
				   .tid = 43,
				   .comm = "hot",
				   .cpu = 1,
				   .longest_run_ns = 1800 * MS,
				   .runs_over = 2,
				   .victims = 3,
				   .victim_max_wait_ns = 240 * MS,
				   .top_victim_comm = "nginx",
				   .top_victim_tgid = 7};
	char buf[1024];

	(void)state;
	/* 2 s of wall time, 1.6 s of CPU (160 ticks), 1 s of it in the kernel */
	proc_sample(scan, 42, 9, 0, 1000, 500);
	proc_sample(scan, 42, 9, 2000 * MS, 1060, 600);
	proc_sample(deep, 42, 9, 0, 0, 0);
	for (int i = 0; i < 10; i++)
		thread_sample(deep, 42, 43, i < 7 ? 'D' : 'R', "io_schedule", 10 + (uint64_t)i);
	triage_diagnose(buf, sizeof(buf), &o, scan, deep, 50 * MS);
	assert_non_null(strstr(buf, "pid 42 (worker), thread 43 (hot), held CPU 1 for runs up to "
				    "1.80 s (2 runs >= 50 ms)"));
	assert_non_null(
	    strstr(buf, "3 threads waited up to 240.0 ms behind it (most: nginx of pid 7)"));
	assert_non_null(strstr(buf, "used 80% of one CPU, 62% of it in the kernel"));
	assert_non_null(strstr(buf, "mostly blocked in io_schedule (70% of samples)"));
	assert_non_null(strstr(buf, "9 CPU migrations"));
	assert_null(strstr(buf, "exited"));

	/* PID reuse: a new start time starts the process's facts afresh */
	proc_sample(scan, 42, 77, 3000 * MS, 5, 5);
	const struct triage_proc *p = triage_facts_get(scan, 42);
	assert_int_equal(p->start_ticks, 77);
	assert_int_equal(p->utime1 - p->utime0, 0);

	/* a busy non-hog that exited */
	struct record g = unit_gone(SCOPE_PROCESS, 4000 * MS, (struct task_key){42, 42, 77}, NULL);
	triage_facts_consume(scan, &g);
	o.longest_run_ns = 20 * MS;
	o.victims = 0;
	triage_diagnose(buf, sizeof(buf), &o, scan, NULL, 50 * MS);
	assert_non_null(strstr(buf, "was the busiest"));
	assert_non_null(strstr(buf, "it has exited."));
	triage_facts_free(scan);
	triage_facts_free(deep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_diagnosis),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
