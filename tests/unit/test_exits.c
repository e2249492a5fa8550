/* Unit tests: the exits image on synthetic record streams, and its kernel
 * log parser (images/exits*.c). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/clock.h"
#include "images/exits.h"
#include "images/exits_int.h"
#include "procimage/image.h"
#include "unit_records.h"
#include "unit_report.h"

#define HZ 100
#define T0 (1000 * NS_PER_S)

struct ctx {
	const struct image_ops *ops;
	void *img;
};

static void setup_img(struct ctx *c, uint32_t have, int all)
{
	struct image_params p = {
	    .interval_ns = 100 * NS_PER_MS, .ticks_per_s = HZ, .page_size = 4096};
	c->ops = image_find("exits");
	assert_non_null(c->ops);
	c->img = c->ops->create(&p);
	assert_non_null(c->img);
	exits_set_context(c->img, all, have, 0);
}

static void feed(struct ctx *c, struct record *r)
{
	c->ops->consume(c->img, r);
}

static void sample(struct ctx *c, int32_t pid, uint64_t t, int64_t rss_pages, int score, int adj)
{
	struct record r = unit_sample(SCOPE_PROCESS, t, (struct task_key){pid, pid, 900 * HZ},
				      "victim", PF_STAT | PF_OOM_SCORE | PF_OOM_ADJ);
	r.u.sample.s.rss_pages = rss_pages;
	r.u.sample.s.oom_score = score;
	r.u.sample.s.oom_score_adj = adj;
	feed(c, &r);
}

static void connector_exit(struct ctx *c, int32_t pid, uint64_t t, uint32_t status)
{
	struct record r = {.kind = REC_EXIT, .source = SRC_CONNECTOR, .t_ns = t};
	r.key = (struct task_key){pid, pid, 0};
	r.u.exit.status = status;
	feed(c, &r);
}

static void gone(struct ctx *c, int32_t pid, uint64_t t)
{
	struct record r =
	    unit_gone(SCOPE_PROCESS, t, (struct task_key){pid, pid, 900 * HZ}, "victim");
	feed(c, &r);
}

static void kmsg(struct ctx *c, uint64_t t, const char *line)
{
	struct record r = {.kind = REC_KMSG, .source = SRC_KMSG, .t_ns = t, .text = line};
	r.text_len = (uint32_t)strlen(line);
	feed(c, &r);
}

static void vmstat(struct ctx *c, uint64_t t, uint64_t v)
{
	struct record r = {.kind = REC_HOST, .source = SRC_KMSG, .t_ns = t};
	r.u.host.have = HOST_HAVE_OOM_KILL;
	r.u.host.oom_kill = v;
	feed(c, &r);
}

static void tick(struct ctx *c, uint64_t t)
{
	unit_tick(c->ops, c->img, t);
}

/* The report as JSON text, for substring checks. */
static char *report(struct ctx *c)
{
	return unit_report_json(c->ops, c->img);
}

static void done(struct ctx *c, char *json)
{
	free(json);
	c->ops->destroy(c->img);
}

static void test_parse_oom_lines(void **state)
{
	int32_t pid = 0;
	char comm[16];
	(void)state;

	assert_true(exits_parse_oom_line(
	    "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
	    "oom_memcg=/x,task_memcg=/x,task=memhog,pid=30437,uid=0",
	    &pid, comm, sizeof(comm)));
	assert_int_equal(pid, 30437);
	assert_string_equal(comm, "memhog");
	assert_true(
	    exits_parse_oom_line("Memory cgroup out of memory: Killed process 30437 (memhog) "
				 "total-vm:53876kB, anon-rss:50944kB",
				 &pid, comm, sizeof(comm)));
	assert_int_equal(pid, 30437);
	assert_string_equal(comm, "memhog");
	assert_true(
	    exits_parse_oom_line("Out of memory: Killed process 77 (a very long comm name here) x",
				 &pid, comm, sizeof(comm)));
	assert_int_equal(pid, 77);
	assert_int_equal(strlen(comm), 15);
	assert_false(exits_parse_oom_line("memhog invoked oom-killer: gfp_mask=0xcc0", &pid, comm,
					  sizeof(comm)));
	assert_false(exits_parse_oom_line("Killed process abc", &pid, comm, sizeof(comm)));
	assert_false(
	    exits_parse_oom_line("oom-kill:constraint=X,task=y", &pid, comm, sizeof(comm)));
}

static void test_parse_crash_lines(void **state)
{
	int32_t pid = 0;
	int sig = -1;
	char comm[16];
	(void)state;

	assert_true(exits_parse_crash_line(
	    "my prog[4242]: segfault at 0 ip 00005588051b51d1 sp 00007ffc3af84ad0 error 6 in "
	    "crash[11d1,5588051b5000+1000] likely on CPU 0 (core 0, socket 0)",
	    &pid, comm, sizeof(comm), &sig));
	assert_int_equal(pid, 4242);
	assert_string_equal(comm, "prog"); /* a comm with a space keeps its last word */
	assert_int_equal(sig, SIGSEGV);
	assert_true(
	    exits_parse_crash_line("traps: crash[31071] trap int3 ip:564b31a0c1f9 "
				   "sp:7fff14935f90 error:0 in crash[11f9,564b31a0c000+1000]",
				   &pid, comm, sizeof(comm), &sig));
	assert_int_equal(pid, 31071);
	assert_string_equal(comm, "crash");
	assert_int_equal(sig, SIGTRAP);
	assert_true(exits_parse_crash_line("traps: x[9] general protection fault ip:1 sp:2 error:0",
					   &pid, comm, sizeof(comm), &sig));
	assert_int_equal(pid, 9);
	assert_int_equal(sig, SIGSEGV);
	assert_true(exits_parse_crash_line("traps: x[9] trap stack segment ip:1 sp:2 error:0", &pid,
					   comm, sizeof(comm), &sig));
	assert_int_equal(sig, 0); /* a trap not known: the signal is not guessed */
	assert_true(exits_parse_crash_line(
	    "audit: type=1701 audit(1796462392.746:5116241): auid=4294967295 uid=0 gid=0 "
	    "ses=4294967295 pid=31059 comm=\"crash\" exe=\"/tmp/crash\" sig=11 res=1",
	    &pid, comm, sizeof(comm), &sig));
	assert_int_equal(pid, 31059);
	assert_string_equal(comm, "crash");
	assert_int_equal(sig, 11);
	assert_false(exits_parse_crash_line("segfault at 0 ip 1", &pid, comm, sizeof(comm), &sig));
	assert_false(
	    exits_parse_crash_line("x[abc]: segfault at 0", &pid, comm, sizeof(comm), &sig));
	assert_false(exits_parse_crash_line("audit: type=1300 pid=5 sig=11", &pid, comm,
					    sizeof(comm), &sig));
}

static void test_normal_exit_code(void **state)
{
	struct ctx c;
	(void)state;

	setup_img(&c, EXITS_HAVE_KMSG | EXITS_HAVE_STATUS | EXITS_HAVE_VMSTAT, 0);
	sample(&c, 42, T0, 256, 700, -100);
	connector_exit(&c, 42, T0 + NS_PER_S, 3 << 8);
	gone(&c, 42, T0 + NS_PER_S + 50 * NS_PER_MS);
	tick(&c, T0 + 5 * NS_PER_S);
	char *j = report(&c);
	assert_non_null(strstr(j, "\"cause\":\"exit\""));
	assert_non_null(strstr(j, "\"exit_code\":3"));
	assert_non_null(strstr(j, "\"signal\":null"));
	assert_non_null(strstr(j, "\"last_rss_bytes\":1048576"));
	assert_non_null(strstr(j, "\"oom_score\":700"));
	assert_non_null(strstr(j, "\"oom_score_adj\":-100"));
	assert_non_null(strstr(j, "\"status_source\":\"connector\""));
	assert_null(
	    strstr(j, "\"pid\":42,\"comm\":\"victim\",\"cause\":\"exit\"},{")); /* one exit */
	done(&c, j);
}

/* SIGKILL + a kernel log line naming the pid: an OOM kill, with the line. */
static void test_oom_from_kernel_log(void **state)
{
	struct ctx c;
	(void)state;

	setup_img(&c, EXITS_HAVE_KMSG | EXITS_HAVE_STATUS | EXITS_HAVE_VMSTAT, 0);
	sample(&c, 43, T0, 16000, 1500, 0);
	kmsg(&c, T0 + NS_PER_S,
	     "Memory cgroup out of memory: Killed process 43 (victim) total-vm:1kB");
	connector_exit(&c, 43, T0 + NS_PER_S + 1000, SIGKILL);
	tick(&c, T0 + 5 * NS_PER_S);
	char *j = report(&c);
	assert_non_null(strstr(j, "\"cause\":\"oom_kill\""));
	assert_non_null(strstr(j, "kernel log: Memory cgroup out of memory: Killed process 43"));
	assert_non_null(strstr(j, "\"signal\":9"));
	done(&c, j);
}

/* SIGKILL with the kernel log read and no line: a signal, not an OOM kill,
 * even though another process's OOM kill moved /proc/vmstat. */
static void test_kill9_is_signal(void **state)
{
	struct ctx c;
	(void)state;

	setup_img(&c, EXITS_HAVE_KMSG | EXITS_HAVE_STATUS | EXITS_HAVE_VMSTAT, 0);
	vmstat(&c, T0, 5);
	sample(&c, 44, T0, 100, 10, 0);
	kmsg(&c, T0 + NS_PER_S, "Out of memory: Killed process 999 (other) total-vm:1kB");
	vmstat(&c, T0 + NS_PER_S, 6);
	connector_exit(&c, 44, T0 + NS_PER_S, SIGKILL);
	tick(&c, T0 + 5 * NS_PER_S);
	char *j = report(&c);
	assert_non_null(strstr(j, "\"cause\":\"signal\""));
	assert_non_null(strstr(j, "names no OOM kill of this pid"));
	assert_non_null(strstr(j, "sender of the signal"));
	done(&c, j);
}

/* Without the kernel log: a vmstat rise makes it a probable OOM kill, and
 * the report says the kernel log was lacking. */
static void test_no_kmsg_probable(void **state)
{
	struct ctx c;
	(void)state;

	setup_img(&c, EXITS_HAVE_STATUS | EXITS_HAVE_VMSTAT, 0);
	vmstat(&c, T0, 5);
	sample(&c, 45, T0, 100, 10, 0);
	vmstat(&c, T0 + NS_PER_S, 6);
	connector_exit(&c, 45, T0 + NS_PER_S, SIGKILL);
	tick(&c, T0 + 5 * NS_PER_S);
	char *j = report(&c);
	assert_non_null(strstr(j, "\"cause\":\"oom_kill\",\"confidence\":\"probable\""));
	assert_non_null(strstr(j, "/proc/vmstat oom_kill rose by 1"));
	assert_non_null(strstr(j, "needs CAP_SYSLOG"));
	done(&c, j);
}

/* Only polling saw it go: the cause is unknown and the report says why. */
static void test_gone_only_unknown(void **state)
{
	struct ctx c;
	(void)state;

	setup_img(&c, EXITS_HAVE_KMSG | EXITS_HAVE_VMSTAT, 0);
	sample(&c, 46, T0, 100, 10, 0);
	gone(&c, 46, T0 + NS_PER_S);
	tick(&c, T0 + 5 * NS_PER_S);
	char *j = report(&c);
	assert_non_null(strstr(j, "\"cause\":\"unknown\""));
	assert_non_null(strstr(j, "neither the proc connector nor taskstats"));
	done(&c, j);
}

/* Targets only: exits of processes never sampled are not reported; with
 * all, they are; a crash is a crash. */
static void test_targets_and_crash(void **state)
{
	struct ctx c;
	(void)state;

	setup_img(&c, EXITS_HAVE_KMSG | EXITS_HAVE_STATUS, 0);
	connector_exit(&c, 47, T0, 0);
	tick(&c, T0 + 5 * NS_PER_S);
	char *j = report(&c);
	assert_non_null(strstr(j, "\"exits\":[]"));
	done(&c, j);

	setup_img(&c, EXITS_HAVE_KMSG | EXITS_HAVE_STATUS, 1);
	connector_exit(&c, 48, T0, SIGSEGV | 0x80);
	tick(&c, T0 + 5 * NS_PER_S);
	j = report(&c);
	assert_non_null(strstr(j, "\"cause\":\"crash\""));
	assert_non_null(strstr(j, "\"core_dumped\":true"));
	done(&c, j);
}

/* A target that exits just as a tick begins: polling finds it gone before
 * the loop has read the connector and taskstats sockets, so its REC_GONE
 * comes first (stamped with the tick's start, which may even precede the
 * kernel's exit time). The exit events that follow are still this target's
 * exit: they give the status, and the connector's exact time. */
static void test_gone_then_exit(void **state)
{
	struct ctx c;
	(void)state;

	setup_img(&c, EXITS_HAVE_KMSG | EXITS_HAVE_STATUS | EXITS_HAVE_VMSTAT, 0);
	sample(&c, 49, T0, 100, 10, 0);
	gone(&c, 49, T0 + NS_PER_S);
	struct record ts = {.kind = REC_TASKSTATS, .source = SRC_TASKSTATS};
	ts.t_ns = T0 + NS_PER_S + 2 * NS_PER_MS;
	ts.key = (struct task_key){49, 49, 0};
	ts.u.ts.is_exit = 1;
	ts.u.ts.ac_flag = 0x20 | 0x08; /* AGROUP | ACORE */
	ts.u.ts.exitcode = SIGABRT | 0x80;
	ts.u.ts.ac_etime_us = 1500000;
	feed(&c, &ts);
	connector_exit(&c, 49, T0 + NS_PER_S + 300 * 1000, SIGABRT | 0x80);
	tick(&c, T0 + 5 * NS_PER_S);
	char *j = report(&c);
	assert_non_null(strstr(j, "\"cause\":\"crash\""));
	assert_non_null(strstr(j, "\"signal_name\":\"ABRT\""));
	assert_non_null(strstr(j, "\"core_dumped\":true"));
	assert_non_null(strstr(j, "\"lifetime_s\":1.5"));
	assert_non_null(strstr(j, "\"t_ns\":1001000300000"));
	assert_null(strstr(j, "neither the proc connector nor taskstats"));
	assert_null(strstr(j, "},{")); /* one exit */
	done(&c, j);
}

/* A zombie its parent reaps long after the exit was decided: polling's
 * REC_GONE then is not a second exit (it was reported as one, "unknown"). */
static void test_zombie_reaped_late(void **state)
{
	struct ctx c;
	(void)state;

	setup_img(&c, EXITS_HAVE_KMSG | EXITS_HAVE_STATUS | EXITS_HAVE_VMSTAT, 0);
	sample(&c, 50, T0, 100, 10, 0);
	connector_exit(&c, 50, T0 + NS_PER_S, 3 << 8);
	tick(&c, T0 + 5 * NS_PER_S);
	gone(&c, 50, T0 + 8 * NS_PER_S);
	tick(&c, T0 + 12 * NS_PER_S);
	char *j = report(&c);
	assert_non_null(strstr(j, "\"cause\":\"exit\""));
	assert_null(strstr(j, "\"cause\":\"unknown\""));
	assert_null(strstr(j, "},{")); /* one exit */
	done(&c, j);
}

static void zombie(struct ctx *c, int32_t pid, uint64_t t, int32_t nthreads)
{
	struct record z =
	    unit_sample(SCOPE_PROCESS, t, (struct task_key){pid, pid, 900 * HZ}, "victim", PF_STAT);
	z.u.sample.s.state = 'Z';
	z.u.sample.s.num_threads = nthreads;
	feed(c, &z);
}

static void thread_exit(struct ctx *c, int32_t pid, int32_t tid, uint64_t t, uint32_t status)
{
	struct record r = {.kind = REC_EXIT, .source = SRC_CONNECTOR, .t_ns = t};
	r.key = (struct task_key){pid, tid, 0};
	r.u.exit.status = status;
	r.u.exit.is_thread = 1;
	feed(c, &r);
}

/* A taskstats exit record of tid in tgid: ac_flag 0x20 (AGROUP) marks the
 * group's last thread; have says whether the version carries ac_tgid. */
static void ts_exit(struct ctx *c, int32_t tgid, int32_t tid, uint64_t t, uint32_t status,
		    uint8_t ac_flag, uint32_t have)
{
	struct record r =
	    unit_record(REC_TASKSTATS, SRC_TASKSTATS, t, (struct task_key){tgid, tid, 0}, NULL);
	r.u.ts.is_exit = 1;
	r.u.ts.ac_flag = ac_flag;
	r.u.ts.exitcode = status;
	r.u.ts.have = have;
	feed(c, &r);
}

static void agroup(struct ctx *c, int32_t pid, int32_t tid, uint64_t t, uint32_t status)
{
	ts_exit(c, pid, tid, t, status, 0x20, TS_HAVE_TGID);
}

/* pid was sampled at T0; at T0+1 s its leader called pthread_exit() (the
 * connector's exit: 0) and the zombie leader's stat says nthreads: the
 * opening of every thread-group case below. */
static void leader_left(struct ctx *c, int32_t pid, int32_t nthreads)
{
	setup_img(c, EXITS_HAVE_KMSG | EXITS_HAVE_STATUS | EXITS_HAVE_VMSTAT, 0);
	sample(c, pid, T0, 100, 10, 0);
	connector_exit(c, pid, T0 + NS_PER_S, 0);
	zombie(c, pid, T0 + NS_PER_S + 100 * NS_PER_MS, nthreads);
}

/* main() called pthread_exit() (the connector's leader exit: 0) while two
 * threads ran on (the zombie leader's stat says 3); 4 s later a thread
 * called exit(5): its exit event carries the group's status. The process
 * ended then, with 5, and the evidence window waited for it. */
static void test_leader_left_first(void **state)
{
	struct ctx c;
	(void)state;

	leader_left(&c, 60, 3);
	tick(&c, T0 + 4 * NS_PER_S); /* past the leader's evidence window */
	thread_exit(&c, 60, 61, T0 + 5 * NS_PER_S, 5 << 8);
	gone(&c, 60, T0 + 5 * NS_PER_S + 50 * NS_PER_MS);
	tick(&c, T0 + 9 * NS_PER_S);
	char *j = report(&c);
	assert_non_null(strstr(j, "\"exit_code\":5"));
	assert_non_null(strstr(j, "\"cause\":\"exit\""));
	assert_null(strstr(j, "},{")); /* one exit */
	done(&c, j);
}

/* A single-thread process's leader exit is the process's: a thread event
 * of the same tgid after it changes nothing. */
static void test_thread_exit_after_process(void **state)
{
	struct ctx c;
	(void)state;

	setup_img(&c, EXITS_HAVE_KMSG | EXITS_HAVE_STATUS | EXITS_HAVE_VMSTAT, 0);
	sample(&c, 70, T0, 100, 10, 0);
	connector_exit(&c, 70, T0 + NS_PER_S, 3 << 8);
	thread_exit(&c, 70, 71, T0 + NS_PER_S + NS_PER_MS, 9);
	tick(&c, T0 + 5 * NS_PER_S);
	char *j = report(&c);
	assert_non_null(strstr(j, "\"exit_code\":3"));
	done(&c, j);
}

/* Polling finds the process gone before the loop reads the last thread's
 * exit event (same batch): the event still decides the status, and the
 * evidence window runs from the close, not from the leader's exit. */
static void test_group_gone_before_last_event(void **state)
{
	struct ctx c;
	(void)state;

	leader_left(&c, 80, 3);
	tick(&c, T0 + 30 * NS_PER_S);
	gone(&c, 80, T0 + 40 * NS_PER_S);
	tick(&c, T0 + 40 * NS_PER_S); /* the same tick: not decided yet */
	thread_exit(&c, 80, 81, T0 + 40 * NS_PER_S - NS_PER_MS, 5 << 8);
	tick(&c, T0 + 45 * NS_PER_S);
	char *j = report(&c);
	assert_non_null(strstr(j, "\"exit_code\":5"));
	assert_non_null(strstr(j, "\"t_ns\":1039999000000"));
	done(&c, j);
}

/* A pool whose workers come and go after main() left: the exit is at the
 * last thread's end (AGROUP, read at T0+10 s), not a worker's earlier one. */
static void test_group_agroup_time(void **state)
{
	struct ctx c;
	(void)state;

	leader_left(&c, 90, 3);
	thread_exit(&c, 90, 91, T0 + 2 * NS_PER_S, 0);
	tick(&c, T0 + 9 * NS_PER_S);
	agroup(&c, 90, 92, T0 + 10 * NS_PER_S, 6 << 8);
	tick(&c, T0 + 11 * NS_PER_S); /* inside the window from T0+10 s */
	char *j = report(&c);
	assert_non_null(strstr(j, "\"exit_code\":6"));
	assert_non_null(strstr(j, "\"t_ns\":1010000000000"));
	done(&c, j);
}

/* A thread's execve() replaced the leader (an exit event for pid == tgid,
 * the process lives on); the second leader exit is the process's end. */
static void test_group_exec_from_thread(void **state)
{
	struct ctx c;
	(void)state;

	setup_img(&c, EXITS_HAVE_KMSG | EXITS_HAVE_STATUS | EXITS_HAVE_VMSTAT, 0);
	sample(&c, 100, T0, 100, 10, 0);
	zombie(&c, 100, T0 + 500 * NS_PER_MS, 2);
	connector_exit(&c, 100, T0 + NS_PER_S, 0);
	tick(&c, T0 + 10 * NS_PER_S);
	connector_exit(&c, 100, T0 + 20 * NS_PER_S, 3 << 8);
	gone(&c, 100, T0 + 20 * NS_PER_S + 50 * NS_PER_MS);
	tick(&c, T0 + 25 * NS_PER_S);
	char *j = report(&c);
	assert_non_null(strstr(j, "\"exit_code\":3"));
	assert_non_null(strstr(j, "\"t_ns\":1020000000000"));
	assert_null(strstr(j, "},{")); /* one exit */
	done(&c, j);
}

/* The run ends while the threads still run without their leader: no exit
 * is reported for a process that has not ended. */
static void test_group_open_at_end(void **state)
{
	struct ctx c;
	(void)state;

	leader_left(&c, 110, 4);
	tick(&c, T0 + 9 * NS_PER_S);
	char *j = report(&c);
	assert_non_null(strstr(j, "\"exits\":[]"));
	assert_non_null(strstr(j, "\"exit\":0"));
	done(&c, j);
}

/* Before taskstats v12 a record has no ac_tgid: a worker thread's exit
 * reads as tgid = tid. With -a, such a record alone is not listed as a
 * process; one that polling saw, or whose leader exit the connector sent,
 * is; from v12 on the record's own tgid is trusted. */
static void test_pre_v12_thread_not_a_process(void **state)
{
	struct ctx c;
	(void)state;

	setup_img(&c, EXITS_HAVE_STATUS, 1);
	ts_exit(&c, 121, 121, T0, 0, 0, 0);		    /* v8: a worker thread? */
	ts_exit(&c, 122, 122, T0, 3 << 8, 0, 0);	    /* v8: another one */
	ts_exit(&c, 123, 123, T0, 4 << 8, 0, 0);	    /* v8, then the connector */
	ts_exit(&c, 124, 124, T0, 5 << 8, 0, TS_HAVE_TGID); /* v16: a process */
	connector_exit(&c, 123, T0 + NS_PER_MS, 4 << 8);
	sample(&c, 125, T0 - NS_PER_S, 100, 10, 0);
	ts_exit(&c, 125, 125, T0, 6 << 8, 0, 0);
	tick(&c, T0 + 10 * NS_PER_S);
	char *j = report(&c);
	assert_null(strstr(j, "\"pid\":121"));
	assert_null(strstr(j, "\"pid\":122"));
	assert_non_null(strstr(j, "\"pid\":123"));
	assert_non_null(strstr(j, "\"pid\":124"));
	assert_non_null(strstr(j, "\"pid\":125"));
	assert_non_null(strstr(j, "\"exit\":3"));
	done(&c, j);
}

/* A long -a run keeps EX_KEEP_FINAL decided exits at most: the oldest
 * exit-0 ones go first and stay counted; a SIGKILL among the oldest and the
 * non-zero codes are still listed. */
static void test_long_run_bounded(void **state)
{
	struct ctx c;
	const int n = EX_KEEP_FINAL + 2000;
	(void)state;

	setup_img(&c, EXITS_HAVE_STATUS | EXITS_HAVE_KMSG | EXITS_HAVE_VMSTAT, 1);
	connector_exit(&c, 2, T0, SIGKILL);
	for (int i = 0; i < n; i++) {
		uint64_t t = T0 + (uint64_t)(i + 1) * NS_PER_MS;
		connector_exit(&c, 1000 + i, t, i % 1000 == 0 ? 3 << 8 : 0);
		if (i % 500 == 499)
			tick(&c, t + 10 * NS_PER_S);
	}
	tick(&c, T0 + 100 * NS_PER_S);
	struct ex_img *x = c.img;
	assert_true(x->nexits <= EX_KEEP_FINAL);
	assert_true(x->unlisted > 0);
	assert_int_equal(x->unlisted, x->unlisted_plain);
	char *j = report(&c);
	char want[64];
	snprintf(want, sizeof(want), "\"exit\":%d", n);
	assert_non_null(strstr(j, want));	     /* by_cause counts them all */
	assert_non_null(strstr(j, "\"signal\":1"));  /* the kill -9, no OOM evidence */
	assert_non_null(strstr(j, "\"pid\":2,"));    /* the oldest, not plain: kept */
	assert_non_null(strstr(j, "\"pid\":1000,")); /* exit 3: kept */
	assert_null(strstr(j, "\"pid\":1001,"));     /* exit 0, among the oldest: dropped */
	assert_non_null(strstr(j, "\"unlisted\":"));
	done(&c, j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_oom_lines),
	    cmocka_unit_test(test_parse_crash_lines),
	    cmocka_unit_test(test_normal_exit_code),
	    cmocka_unit_test(test_oom_from_kernel_log),
	    cmocka_unit_test(test_kill9_is_signal),
	    cmocka_unit_test(test_no_kmsg_probable),
	    cmocka_unit_test(test_gone_only_unknown),
	    cmocka_unit_test(test_targets_and_crash),
	    cmocka_unit_test(test_gone_then_exit),
	    cmocka_unit_test(test_zombie_reaped_late),
	    cmocka_unit_test(test_leader_left_first),
	    cmocka_unit_test(test_thread_exit_after_process),
	    cmocka_unit_test(test_group_gone_before_last_event),
	    cmocka_unit_test(test_group_agroup_time),
	    cmocka_unit_test(test_group_exec_from_thread),
	    cmocka_unit_test(test_group_open_at_end),
	    cmocka_unit_test(test_pre_v12_thread_not_a_process),
	    cmocka_unit_test(test_long_run_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
