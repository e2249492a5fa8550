/* Unit tests: the syscall image on synthetic record streams -- exact audit
 * counts and errnos, the not-auditable verdict, sampled blocked time and
 * episodes, the --syscalls filter, the sequence ring, folded output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/syscall_names.h"
#include "procimage/image.h"
#include "unit_records.h"
#include "unit_report.h"

#define MS 1000000ull

static const struct image_ops *ops(void)
{
	const struct image_ops *o = image_find("syscall");
	assert_non_null(o);
	return o;
}

static void *mk(const char *mode, const char *list, int seq)
{
	struct image_params p = {.interval_ns = 10 * MS,
				 .sequence = seq,
				 .source_mode = mode,
				 .syscalls = list,
				 .ticks_per_s = 100};
	void *img = ops()->create(&p);
	assert_non_null(img);
	return img;
}

static char *report(void *img, enum out_format f)
{
	return unit_report(ops(), img, f);
}

static void capture_on(void *img, int32_t tgid, uint64_t t)
{
	struct record r = {.kind = REC_CAPTURE, .source = SRC_AUDIT, .t_ns = t};
	r.key.tgid = r.key.tid = tgid;
	r.u.capture.on = 1;
	r.u.capture.ok = 1;
	r.u.capture.arch = SC_ARCH_X86_64;
	ops()->consume(img, &r);
}

static void sc(void *img, int32_t tgid, int nr, int64_t ret, uint64_t t)
{
	struct record r = {.kind = REC_SYSCALL, .source = SRC_AUDIT, .t_ns = t};
	r.key.tgid = tgid;
	strcpy(r.comm, "work");
	r.u.sc.nr = nr;
	r.u.sc.arch = SC_ARCH_X86_64;
	r.u.sc.ret = ret;
	r.u.sc.success = ret >= 0;
	r.u.sc.wall_ms = t / MS;
	ops()->consume(img, &r);
}

static void sample(void *img, int32_t tgid, int32_t tid, int nr, uint64_t arg0, uint64_t io,
		   uint64_t vol, uint64_t t)
{
	struct record r = unit_sample(SCOPE_THREAD, t, (struct task_key){tgid, tid, 77}, "work",
				      PF_STAT | PF_SYSCALL | PF_IO | PF_SCHED);
	r.u.sample.s.state = nr >= 0 ? 'S' : 'R';
	r.u.sample.s.syscall_nr = nr;
	r.u.sample.s.syscall_arg0 = arg0;
	r.u.sample.s.syscr = io;
	r.u.sample.s.nr_vol_switches = vol;
	ops()->consume(img, &r);
}

static void test_audit_exact(void **state)
{
	void *img = mk("auto", NULL, 4);
	(void)state;
	capture_on(img, 100, 1 * MS);
	for (int i = 0; i < 1000; i++)
		sc(img, 100, 110, 1, 2 * MS + (uint64_t)i); /* getppid */
	for (int i = 0; i < 30; i++)
		sc(img, 100, 257, i < 10 ? -2 : (i < 12 ? -13 : 3), 3 * MS); /* openat */
	sc(img, 100, 9999, 0, 4 * MS); /* out of table: counted apart */
	char *j = report(img, OUT_JSON);
	assert_non_null(strstr(j, "\"source\":\"audit\""));
	assert_non_null(strstr(j, "\"counts_exact\":true"));
	assert_non_null(strstr(
	    j, "\"name\":\"getppid\",\"nr\":110,\"arch\":\"x86_64\",\"count\":1000,\"errors\":0"));
	assert_non_null(strstr(
	    j, "\"name\":\"openat\",\"nr\":257,\"arch\":\"x86_64\",\"count\":30,\"errors\":12"));
	assert_non_null(strstr(j, "\"errnos\":{\"ENOENT\":10,\"EACCES\":2}"));
	/* Sequence: the last 4 of the caller, oldest first; tid unknown (null). */
	assert_non_null(strstr(j, "\"tid\":null"));
	assert_non_null(strstr(j, "\"not_auditable\":false"));
	free(j);
	ops()->destroy(img);
}

static void test_not_auditable(void **state)
{
	void *img = mk("auto", NULL, 8);
	(void)state;
	capture_on(img, 200, 1 * MS);
	/* syscr and voluntary switches move, audit says nothing. */
	for (int i = 0; i < 20; i++)
		sample(img, 200, 200, 230, 0, 10 + (uint64_t)i * 5, (uint64_t)i,
		       (2 + (uint64_t)i * 10) * MS);
	char *j = report(img, OUT_JSON);
	assert_non_null(strstr(j, "\"source\":\"sampled\""));
	assert_non_null(strstr(j, "\"not_auditable\":true"));
	assert_non_null(strstr(j, "procimage-audit-boot.service"));
	free(j);
	/* The same, with one record: auditable after all. */
	sc(img, 200, 0, 1, 300 * MS);
	j = report(img, OUT_JSON);
	assert_non_null(strstr(j, "\"not_auditable\":false"));
	free(j);
	ops()->destroy(img);
}

static void test_idle_target_is_not_a_verdict(void **state)
{
	void *img = mk("auto", NULL, 8);
	(void)state;
	capture_on(img, 300, 1 * MS);
	for (int i = 0; i < 20; i++) /* blocked in one long read: no counter moves */
		sample(img, 300, 300, 0, 3, 7, 4, (2 + (uint64_t)i * 10) * MS);
	char *j = report(img, OUT_JSON);
	assert_non_null(strstr(j, "\"not_auditable\":false"));
	free(j);
	ops()->destroy(img);
}

static void test_sampled_time(void **state)
{
	void *img = mk("sample", NULL, 8);
	(void)state;
	/* Thread 11 in one read for 100 ms; thread 12 in nanosleep, a new call
	 * (voluntary switch) every 5 samples; thread 13 running. */
	for (int i = 0; i < 10; i++) {
		uint64_t t = (10 + (uint64_t)i * 10) * MS;
		sample(img, 10, 11, 0, 3, 0, 1, t);
		sample(img, 10, 12, 35, 0x1000, 0, 1 + (uint64_t)i / 5, t);
		sample(img, 10, 13, SAMPLE_SYSCALL_RUNNING, 0, 0, 0, t);
	}
	sc(img, 10, 0, 1, 50 * MS); /* ignored in sample mode */
	char *j = report(img, OUT_JSON);
	assert_non_null(strstr(j, "\"source\":\"sampled\""));
	assert_non_null(strstr(j, "\"name\":\"read\",\"nr\":0,\"arch\":\"x86_64\",\"count\":1,"
				  "\"errors\":0,\"time_ns\":100000000"));
	assert_non_null(
	    strstr(j, "\"name\":\"nanosleep\",\"nr\":35,\"arch\":\"x86_64\",\"count\":2,"));
	assert_non_null(strstr(j, "\"running_sampled_ns\":100000000"));
	assert_null(strstr(j, "\"exact\":true"));
	free(j);
	char *f = report(img, OUT_FOLDED);
	assert_non_null(strstr(f, "work;read 10\n"));
	assert_non_null(strstr(f, "work;nanosleep 10\n"));
	free(f);
	ops()->destroy(img);
}

static void test_filter_and_sequence(void **state)
{
	void *img = mk("audit", "getppid,close", 3);
	(void)state;
	capture_on(img, 5, MS);
	for (int i = 0; i < 10; i++) {
		sc(img, 5, 110, 4, (2 + (uint64_t)i) * MS);
		sc(img, 5, 3, i == 9 ? -9 : 0, (2 + (uint64_t)i) * MS);
		sc(img, 5, 1, 1, (2 + (uint64_t)i) * MS); /* write: filtered out */
	}
	char *j = report(img, OUT_JSON);
	assert_null(strstr(j, "\"name\":\"write\""));
	assert_non_null(
	    strstr(j, "\"name\":\"close\",\"nr\":3,\"arch\":\"x86_64\",\"count\":10,\"errors\":1"));
	/* Ring of 3: close(ret 0), getppid, close -EBADF. */
	char *seq = strstr(j, "\"sequence\"");
	assert_non_null(seq);
	assert_non_null(strstr(seq, "\"name\":\"close\",\"nr\":3,\"ret\":-9,\"error\":\"EBADF\""));
	int n = 0;
	for (char *p = seq; (p = strstr(p, "\"ret\":")); p++)
		n++;
	assert_int_equal(n, 3);
	free(j);
	ops()->destroy(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_audit_exact),
	    cmocka_unit_test(test_not_auditable),
	    cmocka_unit_test(test_idle_target_is_not_a_verdict),
	    cmocka_unit_test(test_sampled_time),
	    cmocka_unit_test(test_filter_and_sequence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
