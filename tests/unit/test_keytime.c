/* Unit tests: the keytime image on synthetic record streams: wait-status
 * decoding, which events belong to the target tree (children, pid reuse,
 * late targets), on/off-CPU and blocked periods from samples, taskstats exit
 * records attached to exits, losses, and the JSON it writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "images/keytime.h"
#include "unit_records.h"
#include "unit_report.h"

#define MS 1000000ULL

static struct kt_img *mk(int children)
{
	struct image_params p = {.interval_ns = 10 * MS,
				 .threshold_ns = 50 * MS,
				 .children = children,
				 .ticks_per_s = 100};
	return image_find("keytime")->create(&p);
}

static void put(struct kt_img *k, const struct record *r)
{
	image_find("keytime")->consume(k, r);
}

static void sample(struct kt_img *k, int32_t tgid, int32_t tid, uint64_t t, uint64_t run,
		   char state, const char *wchan)
{
	struct record r =
	    unit_sample(SCOPE_THREAD, t, (struct task_key){tgid, tid, 1000 + (uint64_t)tid}, NULL,
			PF_STAT | PF_SCHEDSTAT | PF_WCHAN | PF_SYSCALL);

	r.u.sample.s.state = state;
	r.u.sample.s.run_ns = run;
	r.u.sample.s.syscall_nr = state == 'R' ? SAMPLE_SYSCALL_RUNNING : 7;
	snprintf(r.u.sample.s.wchan, sizeof(r.u.sample.s.wchan), "%s", wchan ? wchan : "0");
	snprintf(r.comm, sizeof(r.comm), "task%d", tid);
	put(k, &r);
}

static void fork_ev(struct kt_img *k, uint64_t t, int32_t parent, int32_t child)
{
	struct record r = {.kind = REC_FORK, .source = SRC_CONNECTOR, .cpu = 1, .t_ns = t};
	r.key = (struct task_key){parent, parent, 0};
	r.u.fork = (struct rec_fork){parent, parent, child, child};
	put(k, &r);
}

static void exec_ev(struct kt_img *k, uint64_t t, int32_t pid, const char *text, size_t len)
{
	struct record r = {.kind = REC_EXEC, .source = SRC_CONNECTOR, .cpu = 0, .t_ns = t};
	r.key = (struct task_key){pid, pid, 0};
	r.text = text;
	r.text_len = (uint32_t)len;
	put(k, &r);
}

static void exit_ev(struct kt_img *k, uint64_t t, int32_t tgid, int32_t tid, uint32_t status)
{
	struct record r = {.kind = REC_EXIT, .source = SRC_CONNECTOR, .cpu = 0, .t_ns = t};
	r.key = (struct task_key){tgid, tid, 0};
	r.u.exit.status = status;
	r.u.exit.is_thread = tgid != tid;
	r.u.exit.exit_signal = tgid != tid ? -1 : 17;
	put(k, &r);
}

static int count(const struct kt_img *k, int type, int32_t pid)
{
	int n = 0;
	for (size_t i = 0; i < k->nev; i++)
		if (k->ev[i].type == type && (pid < 0 || k->ev[i].pid == pid))
			n++;
	return n;
}

static char *report_json(struct kt_img *k)
{
	return unit_report_json(image_find("keytime"), k);
}

static void test_wait_decode(void **state)
{
	struct kt_wait w;
	(void)state;

	keytime_wait_decode(0, &w);
	assert_true(w.exited);
	assert_int_equal(w.code, 0);
	keytime_wait_decode(3 << 8, &w);
	assert_true(w.exited);
	assert_int_equal(w.code, 3);
	keytime_wait_decode(9, &w); /* SIGKILL */
	assert_false(w.exited);
	assert_int_equal(w.signal, 9);
	assert_false(w.core);
	keytime_wait_decode(11 | 0x80, &w); /* SIGSEGV, core dumped */
	assert_int_equal(w.signal, 11);
	assert_true(w.core);
	keytime_wait_decode(255 << 8, &w);
	assert_int_equal(w.code, 255);
}

/* Target 100 forks 101 (exec, exit 3); an outsider 200 forks 201. */
static void test_tree(void **state)
{
	struct kt_img *k = mk(1);
	static const char text[] = "/usr/bin/true\0true\0x";
	(void)state;

	sample(k, 100, 100, 10 * MS, 0, 'S', "do_wait");
	fork_ev(k, 11 * MS, 100, 101);
	fork_ev(k, 11 * MS, 200, 201);
	exec_ev(k, 12 * MS, 101, text, sizeof(text));
	exec_ev(k, 12 * MS, 201, text, sizeof(text));
	exit_ev(k, 13 * MS, 101, 101, 3 << 8);
	exit_ev(k, 13 * MS, 201, 201, 0);
	fork_ev(k, 14 * MS, 101, 102); /* cannot happen after its exit, but must not crash */
	assert_int_equal(count(k, KT_FORK, -1), 2);
	assert_int_equal(count(k, KT_EXEC, 101), 1);
	assert_int_equal(count(k, KT_EXIT, 101), 1);
	assert_int_equal(count(k, KT_EXEC, 201) + count(k, KT_EXIT, 201), 0);
	char *js = report_json(k);
	assert_non_null(strstr(js, "\"type\":\"exec\""));
	assert_non_null(strstr(js, "\"filename\":\"/usr/bin/true\",\"argv\":[\"true\",\"x\"]"));
	assert_non_null(strstr(js, "\"exit_code\":3"));
	assert_non_null(strstr(js, "\"cause\":\"exit\""));
	assert_non_null(strstr(js, "\"exit_codes\":{\"3\":1}"));
	assert_non_null(strstr(js, "\"exact\":true"));
	free(js);
	image_find("keytime")->destroy(k);
}

static void test_no_children(void **state)
{
	struct kt_img *k = mk(0);
	(void)state;

	sample(k, 100, 100, 10 * MS, 0, 'S', NULL);
	fork_ev(k, 11 * MS, 100, 101);
	exec_ev(k, 12 * MS, 101, NULL, 0);
	exit_ev(k, 13 * MS, 101, 101, 0);
	assert_int_equal(count(k, KT_FORK, 100), 1); /* the target's own event */
	assert_int_equal(count(k, KT_EXEC, -1) + count(k, KT_EXIT, -1), 0);
	image_find("keytime")->destroy(k);
}

/* A pid freed by a tree member and reused by an outsider's child is not ours. */
static void test_pid_reuse(void **state)
{
	struct kt_img *k = mk(1);
	(void)state;

	sample(k, 100, 100, 10 * MS, 0, 'S', NULL);
	fork_ev(k, 11 * MS, 100, 101);
	exit_ev(k, 12 * MS, 101, 101, 0);
	fork_ev(k, 20 * MS, 300, 101);
	exec_ev(k, 21 * MS, 101, NULL, 0);
	assert_int_equal(count(k, KT_EXEC, 101), 0);
	assert_int_equal(count(k, KT_FORK, 300), 0);
	image_find("keytime")->destroy(k);
}

/* Events that came before the task became a target (its first sample). */
static void test_late_target(void **state)
{
	struct kt_img *k = mk(0);
	static const char text[] = "/bin/app\0app";
	(void)state;

	fork_ev(k, 1 * MS, 1, 300);
	exec_ev(k, 2 * MS, 300, text, sizeof(text));
	exec_ev(k, 2 * MS, 301, text, sizeof(text));
	sample(k, 300, 300, 10 * MS, 0, 'S', NULL);
	assert_int_equal(count(k, KT_FORK, 1), 1); /* its birth */
	assert_int_equal(count(k, KT_EXEC, 300), 1);
	assert_int_equal(count(k, KT_EXEC, 301), 0);
	const struct kt_event *e = &k->ev[1];
	assert_int_equal(e->type, KT_EXEC);
	assert_string_equal(k->text + e->text_off, "/bin/app");
	image_find("keytime")->destroy(k);
}

/* 100 ms running, then 100 ms in D: an oncpu and a blocked period, each
 * with the sampled resolution; a short 20 ms blip is under the threshold. */
static void test_periods(void **state)
{
	struct kt_img *k = mk(0);
	uint64_t t = 0, run = 0;
	(void)state;

	sample(k, 50, 51, t, run, 'R', NULL);
	for (int i = 0; i < 10; i++)
		sample(k, 50, 51, t += 10 * MS, run += 9 * MS, 'R', NULL);
	for (int i = 0; i < 10; i++)
		sample(k, 50, 51, t += 10 * MS, run, 'D', "io_schedule");
	for (int i = 0; i < 2; i++)
		sample(k, 50, 51, t += 10 * MS, run += 10 * MS, 'R', NULL);
	for (int i = 0; i < 8; i++)
		sample(k, 50, 51, t += 10 * MS, run, 'S', "do_epoll_wait");
	assert_int_equal(count(k, KT_ONCPU, 50), 1);
	assert_int_equal(count(k, KT_BLOCKED, 50), 1);
	const struct kt_event *on = &k->ev[0], *bl = &k->ev[1];
	assert_int_equal(on->type, KT_ONCPU);
	assert_int_equal(on->dur_ns, 100 * MS);
	assert_int_equal(on->cpu_ns, 90 * MS);
	assert_int_equal(on->tid, 51);
	assert_int_equal(bl->type, KT_BLOCKED);
	assert_int_equal(bl->state, 'D');
	assert_string_equal(k->text + bl->text_off, "io_schedule");
	assert_int_equal(bl->syscall, 7);
	/* The open 80 ms sleep shows as ongoing in the report, and stays open. */
	char *js = report_json(k);
	assert_non_null(strstr(js, "\"wchan\":\"do_epoll_wait\""));
	assert_non_null(strstr(js, "\"ongoing\":true"));
	assert_non_null(strstr(js, "\"state\":\"D\",\"wchan\":\"io_schedule\",\"syscall\":7"));
	assert_non_null(strstr(js, "\"resolution_ms\":10"));
	free(js);
	assert_int_equal(k->nev, 2);
	image_find("keytime")->destroy(k);
}

static void test_taskstats_and_loss(void **state)
{
	struct kt_img *k = mk(1);
	struct record r = {.kind = REC_TASKSTATS, .source = SRC_TASKSTATS, .cpu = -1};
	(void)state;

	sample(k, 100, 100, 10 * MS, 0, 'S', NULL);
	fork_ev(k, 11 * MS, 100, 101);
	exit_ev(k, 13 * MS, 101, 101, 9);
	r.t_ns = 14 * MS;
	r.key = (struct task_key){101, 101, 0};
	r.u.ts.is_exit = 1;
	r.u.ts.cpu_run_real_ns = 5 * MS;
	r.u.ts.hiwater_rss_kb = 2048;
	put(k, &r);
	struct record l = {.kind = REC_LOST, .source = SRC_CONNECTOR, .cpu = -1, .t_ns = 30 * MS};
	l.u.lost.count = 42;
	l.u.lost.since_ns = 20 * MS;
	put(k, &l);
	char *js = report_json(k);
	assert_non_null(strstr(js, "\"signal\":9,\"cause\":\"signal\""));
	assert_non_null(strstr(js, "\"taskstats\":{\"cpu_ms\":5,"));
	assert_non_null(strstr(js, "\"rss_hwm_bytes\":2097152"));
	assert_non_null(strstr(js, "\"type\":\"lost\""));
	assert_non_null(strstr(js, "\"count\":42,\"window_ms\":10"));
	assert_non_null(strstr(js, "\"lost\":42"));
	assert_non_null(strstr(js, "\"signals\":{\"9\":1}"));
	free(js);
	image_find("keytime")->destroy(k);
}

/* No connector: the exit listener alone shows a child that lived and died
 * between two polls, with its exact exit code. */
static void test_between_polls(void **state)
{
	struct kt_img *k = mk(1);
	struct record r = {.kind = REC_TASKSTATS, .source = SRC_TASKSTATS, .cpu = -1};
	(void)state;

	sample(k, 100, 100, 10 * MS, 0, 'S', NULL);
	r.t_ns = 50 * MS;
	r.key = (struct task_key){150, 150, 0};
	r.u.ts.is_exit = 1;
	r.u.ts.ac_ppid = 100;
	r.u.ts.ac_etime_us = 3000;
	r.u.ts.exitcode = 3 << 8;
	put(k, &r);
	assert_int_equal(count(k, KT_FORK, 100), 1);
	assert_int_equal(count(k, KT_EXIT, 150), 1);
	assert_int_equal(k->ev[0].t_ns, 47 * MS);
	char *js = report_json(k);
	assert_non_null(strstr(js, "\"exit_code\":3"));
	free(js);
	image_find("keytime")->destroy(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wait_decode),	       cmocka_unit_test(test_tree),
	    cmocka_unit_test(test_no_children),	       cmocka_unit_test(test_pid_reuse),
	    cmocka_unit_test(test_late_target),	       cmocka_unit_test(test_periods),
	    cmocka_unit_test(test_taskstats_and_loss), cmocka_unit_test(test_between_polls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
