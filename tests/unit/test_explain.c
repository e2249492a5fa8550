/* Unit tests: what the registers at a ptrace stop mean (user code, a
 * syscall, a sleeper our interrupt woke), the syscall image's on-CPU shares
 * and exact counters from synthetic ptrace samples, and the offender's
 * verdict built from the syscall and keytime images (names, exactness,
 * children's programs, unknown parts left out). No privileges needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/syscall_names.h"
#include "images/explain.h"
#include "images/keytime.h"
#include "images/syscall_img.h"
#include "procimage/image.h"
#include "sources/ptrace_syscall.h"
#include "unit_records.h"
#include "unit_report.h"

#define MS 1000000ull

static void test_decode(void **state)
{
	(void)state;
	/* interrupt entry: not in a syscall */
	assert_int_equal(ptrace_syscall_decode(-1, 0x1234), PTRACE_SC_NR_USER);
	/* in mmap (9) or just leaving it with its result */
	assert_int_equal(ptrace_syscall_decode(9, 0x7f0000000000), 9);
	assert_int_equal(ptrace_syscall_decode(11, 0), 11);
	/* a failing syscall is still that syscall */
	assert_int_equal(ptrace_syscall_decode(257, -2), 257);
	/* -ERESTARTSYS .. -ERESTART_RESTARTBLOCK: woken by us, restarted */
	for (int e = 512; e <= 516; e++)
		assert_int_equal(ptrace_syscall_decode(230, -e), PTRACE_SC_NR_WOKEN);
	assert_int_equal(ptrace_syscall_decode(230, -517), 230);
}

static const struct image_ops *sc_ops(void)
{
	const struct image_ops *o = image_find("syscall");
	assert_non_null(o);
	return o;
}

static void oncpu(void *img, int32_t pid, int32_t tid, const char *comm, int nr, uint64_t t)
{
	struct record r =
	    unit_record(REC_SYSCALL, SRC_PTRACE, t, (struct task_key){pid, tid, 5}, comm);
	r.u.sc.nr = nr;
	r.u.sc.arch = SC_ARCH_X86_64;
	r.u.sc.success = 1;
	sc_ops()->consume(img, &r);
}

static void counters(void *img, int32_t pid, int32_t tid, uint64_t syscw, uint64_t minflt,
		     uint64_t t)
{
	struct record r = unit_sample(SCOPE_THREAD, t, (struct task_key){pid, tid, 5}, "work",
				      PF_STAT | PF_IO | PF_SCHED);
	r.u.sample.s.state = 'R';
	r.u.sample.s.syscw = syscw;
	r.u.sample.s.minflt = minflt;
	r.u.sample.s.nr_vol_switches = syscw;
	sc_ops()->consume(img, &r);
}

static void *mk_sc(void)
{
	struct image_params p = {.interval_ns = 10 * MS, .sequence = 4, .ticks_per_s = 100};
	void *img = sc_ops()->create(&p);
	assert_non_null(img);
	return img;
}

/* 100 samples of thread 11: mmap 50, munmap 40, user 8, woken 2; thread 12
 * writes: 1,000 write calls between its first and last sample. */
static void *feed(void)
{
	void *img = mk_sc();

	counters(img, 10, 12, 5000, 100, 1 * MS);
	for (int i = 0; i < 100; i++)
		oncpu(img, 10, 11, "mapspin",
		      i < 50   ? 9
		      : i < 90 ? 11
		      : i < 98 ? PTRACE_SC_NR_USER
			       : PTRACE_SC_NR_WOKEN,
		      (uint64_t)(i + 2) * MS);
	oncpu(img, 10, 12, "writer", 1, 150 * MS);
	counters(img, 10, 12, 6000, 130, 200 * MS);
	return img;
}

static void test_oncpu_shares(void **state)
{
	void *img = feed();
	char *j = unit_report(sc_ops(), img, OUT_JSON);
	char *t = unit_report(sc_ops(), img, OUT_TEXT);

	(void)state;
	/* woken samples are not on-CPU time: 98 + 1 on CPU */
	assert_non_null(
	    strstr(j, "\"oncpu\":{\"source\":\"ptrace\",\"exact\":false,\"samples\":99"));
	assert_non_null(strstr(j, "\"woken_samples\":2"));
	assert_non_null(strstr(j, "{\"name\":\"mmap\",\"nr\":9,\"samples\":50"));
	/* exact counters: the writer's syscw and minflt deltas */
	assert_non_null(strstr(j, "\"syscw\":1000"));
	assert_non_null(strstr(j, "\"minflt\":30"));
	assert_non_null(strstr(j, "\"counters\":{"));
	assert_non_null(strstr(t, "mapspin"));
	assert_non_null(strstr(t, "mmap 50.5% (50), munmap 40.4% (40)"));
	assert_non_null(
	    strstr(t, "exact: syscr 0, syscw 1000, minflt 30, majflt 0, vcsw 1000, ivcsw 0"));
	free(j);
	free(t);
	sc_ops()->destroy(img);
}

static const struct image_ops *kt_ops(void)
{
	const struct image_ops *o = image_find("keytime");
	assert_non_null(o);
	return o;
}

static void kt_feed(void *k, enum rec_kind kind, int32_t pid, int32_t child, const char *text,
		    size_t tlen, uint32_t status, uint64_t t)
{
	struct record r = unit_record(kind, SRC_CONNECTOR, t, (struct task_key){pid, pid, 0}, "sh");

	if (kind == REC_FORK) {
		r.u.fork.parent_tgid = r.u.fork.parent_tid = pid;
		r.u.fork.child_tgid = r.u.fork.child_tid = child;
	}
	r.text = text;
	r.text_len = (uint32_t)tlen;
	r.u.exit.status = status;
	kt_ops()->consume(k, &r);
}

static void test_verdict(void **state)
{
	struct image_params p = {.interval_ns = 10 * MS, .children = 1, .ticks_per_s = 100};
	void *k = kt_ops()->create(&p), *sc = feed();
	struct triage_facts *scan = triage_facts_new(100);
	struct sched_offender o = {.tgid = 10,
				   .tid = 11,
				   .comm = "mapspin",
				   .victims = 2,
				   .victim_max_wait_ns = 30 * MS,
				   .top_victim_comm = "nginx",
				   .top_victim_tgid = 7};
	static const char prog[] = "/usr/bin/true\0/bin/true\0marker";
	struct explain e;
	char buf[2048];

	(void)state;
	assert_non_null(k);
	/* the target is known from its sample; children join by fork */
	struct record s =
	    unit_sample(SCOPE_PROCESS, 1 * MS, (struct task_key){10, 10, 5}, "work", PF_STAT);
	kt_ops()->consume(k, &s);
	for (int i = 0; i < 4; i++) {
		kt_feed(k, REC_FORK, 10, 100 + i, NULL, 0, 0, (uint64_t)(10 + i * 10) * MS);
		kt_feed(k, REC_EXEC, 100 + i, 0, prog, sizeof(prog), 0,
			(uint64_t)(11 + i * 10) * MS);
		kt_feed(k, REC_EXIT, 100 + i, 0, NULL, 0, i == 3 ? 9 : 0,
			(uint64_t)(12 + i * 10) * MS);
	}
	/* an outsider's fork is none of its business */
	kt_feed(k, REC_FORK, 55, 500, NULL, 0, 0, 60 * MS);
	explain_build(&e, &o, scan, NULL, NULL, k, sc);
	explain_text(&e, buf, sizeof(buf));
	assert_non_null(strstr(buf, "It made 2 threads wait for a CPU, up to 30.0 ms (most: nginx, "
				    "pid 7) [exact]"));
	assert_non_null(strstr(buf, "mmap 51%, munmap 40%, "));
	assert_non_null(strstr(buf, "(99 samples) [sampled]"));
	assert_non_null(strstr(buf, "It started 4 child processes"));
	assert_non_null(strstr(buf, "/usr/bin/true as: /bin/true marker (4x)"));
	assert_non_null(strstr(buf, "3 exited 0, 0 with an error code, 1 killed by a signal"));
	/* unknown parts are left out, never 0 */
	assert_null(strstr(buf, "CPU migrations"));
	assert_null(strstr(buf, "faults/s"));
	assert_null(strstr(buf, "of one CPU"));
	assert_non_null(strstr(buf, "procimage syscall -p 10 --source audit -d 2s"));
	assert_int_equal(e.forks, 4);
	assert_int_equal(e.killed, 1);

	char *j = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&j, &len);
	struct out out;
	out_init(&out, fp, OUT_JSON);
	out_obj_open(&out, NULL);
	explain_out(&e, &out);
	out_obj_close(&out);
	fclose(fp);
	assert_non_null(strstr(j, "\"cpu\":null"));
	assert_non_null(strstr(j, "\"memory_io\":null"));
	assert_non_null(strstr(j, "\"migrations\":null"));
	assert_non_null(strstr(j, "\"programs\":[{\"filename\":\"/usr/bin/true\",\"argv\":\"/bin/"
				  "true marker\",\"count\":4}]"));
	assert_non_null(strstr(j, "\"oncpu\":{\"samples\":99"));
	free(j);
	triage_facts_free(scan);
	kt_ops()->destroy(k);
	sc_ops()->destroy(sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode),
	    cmocka_unit_test(test_oncpu_shares),
	    cmocka_unit_test(test_verdict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
