/* Unit tests: the migrate image on synthetic samples: kernel count deltas
 * (with a counter reset), observed moves and their state, the matrix, NUMA
 * crossings from the cpu->node map, PID reuse. */
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

static const int16_t nodes[4] = {0, 0, 1, 1};

static void feed(void *img, int32_t tid, uint64_t start, uint64_t t, int32_t cpu, uint64_t mig)
{
	struct record r = unit_sample(SCOPE_THREAD, t, (struct task_key){100, tid, start}, NULL,
				      PF_STAT | PF_SCHED | PF_STATUS | PF_IO);
	struct proc_sample *s = &r.u.sample.s;

	snprintf(r.comm, sizeof(r.comm), "m%d", tid);
	s->processor = cpu;
	s->nr_migrations = mig;
	s->sched_have = SCHED_HAVE_MIGRATIONS | SCHED_HAVE_SWITCHES | SCHED_HAVE_AVG;
	s->sched_prio = 120;
	s->load_avg = 7;
	s->nr_switches = 1000 + t / 1000000;
	s->vm_size_kb = 4096;
	s->read_bytes = 512;
	s->status_have = STATUS_HAVE_CPUS;
	s->cpus_allowed[0] = 0xf;
	image_find("migrate")->consume(img, &r);
}

static char *render(void *img)
{
	return unit_report_json(image_find("migrate"), img);
}

static void test_moves(void **state)
{
	const struct image_ops *ops = image_find("migrate");
	struct image_params p = {.interval_ns = 5000000, .cpu_node = nodes, .ncpu_node = 4};
	void *img = ops->create(&p);
	/* cpu: 0 0 1 1 2 2 0; kernel count 10,10,11,13(+1 unseen),14,14,15, then
	 * a reset to 0 and +2 more: 5 + 2 = 7 in all. */
	const int32_t cpus[] = {0, 0, 1, 1, 2, 2, 0, 0, 0};
	const uint64_t mig[] = {10, 10, 11, 13, 14, 14, 15, 0, 2};

	(void)state;
	for (int i = 0; i < 9; i++)
		feed(img, 7, 1, (uint64_t)i * 5000000, cpus[i], mig[i]);
	/* the tid reused by another task: counted apart */
	feed(img, 7, 99, 50000000, 3, 500);
	feed(img, 7, 99, 55000000, 3, 500);
	char *j = render(img);
	assert_non_null(strstr(j, "\"tid\":7,\"pid\":100,\"comm\":\"m7\",\"migrations\":7,"));
	assert_non_null(strstr(j, "\"observed_count\":3"));
	assert_non_null(strstr(j, "\"cross_numa_count\":2"));
	assert_non_null(strstr(j, "\"allowed_cpus\":\"0-3\""));
	assert_non_null(strstr(j, "{\"from\":1,\"to\":2,\"count\":1}"));
	assert_non_null(
	    strstr(j, "\"from\":1,\"to\":2,\"cross_numa\":true,\"prio\":120,\"load_avg\":7"));
	assert_non_null(strstr(j, "\"numa_nodes\":2"));
	/* the reused tid made no move: it is summarised, not listed */
	assert_non_null(strstr(j, "\"threads_without_migrations\":1"));
	free(j);
	ops->destroy(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_moves),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
