/* Unit tests: the procfs source (sources/procfs.c) run on fixture trees
 * copied into a temp dir, with a collecting record sink: every generation,
 * PID reuse, thread churn, a task vanishing between readdir and open, a
 * missing io file, -p TID of a non-leader thread, and hostile trees.
 * A real dead task's kept fds read ESRCH; a rewritten fixture file would
 * still read its old content, so "the task died" is simulated the way the
 * source sees it: its stat reads empty before its directory is replaced. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "sources/procfs.h"

#define MAXREC 512

struct rec {
	int kind, scope;
	struct task_key key;
	uint32_t have;
	char comm[16];
};

struct sinkbuf {
	int n;
	struct rec r[MAXREC];
};

static void collect(void *ctx, const struct record *r)
{
	struct sinkbuf *b = ctx;

	assert_true(b->n < MAXREC);
	b->r[b->n++] = (struct rec){r->kind, r->u.sample.scope, r->key, r->u.sample.s.have, {0}};
	memcpy(b->r[b->n - 1].comm, r->comm, sizeof(r->comm));
}

struct env {
	char dir[256];
	struct targets t;
	struct procfs *p;
	struct sinkbuf got;
	struct record_sink sink;
};

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

/* Copy fixtures/<gen> into a fresh temp dir. */
static void env_init(struct env *e, const char *gen)
{
	const char *base = getenv("PROCIMAGE_TEST_TMP");

	memset(e, 0, sizeof(*e));
	snprintf(e->dir, sizeof(e->dir), "%s/procfs-tree.XXXXXX", base ? base : "/tmp");
	assert_non_null(mkdtemp(e->dir));
	sh("cp -a fixtures/%s/. '%s'/", gen, e->dir);
	e->sink = (struct record_sink){collect, &e->got};
}

static void env_start(struct env *e, uint32_t pfiles, uint32_t dfiles)
{
	struct procfs_config c = {0};
	char err[256];

	c.root = e->dir;
	c.targets = &e->t;
	c.process_files = pfiles;
	c.deep_files = dfiles;
	c.interval_ns = 100000000;
	c.thread_refresh_ticks = 1;
	e->p = procfs_new(&c, err, sizeof(err));
	if (!e->p)
		fail_msg("procfs_new: %s", err);
}

static int tick(struct env *e)
{
	e->got.n = 0;
	return procfs_tick(e->p, 1000, &e->sink);
}

static void env_done(struct env *e)
{
	procfs_free(e->p);
	targets_free(&e->t);
	sh("rm -rf '%s'", e->dir);
}

/* The record of this kind for (tid, scope), or NULL. */
static const struct rec *find(const struct env *e, int kind, int32_t tid, int scope)
{
	for (int i = 0; i < e->got.n; i++)
		if (e->got.r[i].kind == kind && e->got.r[i].key.tid == tid &&
		    e->got.r[i].scope == scope)
			return &e->got.r[i];
	return NULL;
}

static int count(const struct env *e, int kind, int scope)
{
	int n = 0;
	for (int i = 0; i < e->got.n; i++)
		n += e->got.r[i].kind == kind && e->got.r[i].scope == scope;
	return n;
}

static void put(const struct env *e, const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", e->dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

#define DEEP                                                                                       \
	(PF_SCHEDSTAT | PF_SCHED | PF_STATUS | PF_IO | PF_SYSCALL | PF_WCHAN | PF_STATM | PF_STACK)

static void test_every_generation(void **state)
{
	static const struct {
		const char *gen;
		int32_t tgid, tid;
		uint64_t start;
		uint32_t has, lacks;
		int procs, threads;
	} g[] = {
	    {"2.6.32", 2310, 2311, 88013, PF_SCHEDSTAT | PF_IO, PF_SCHED, 3, 5},
	    {"3.10", 2310, 2311, 88013, PF_SCHED | PF_IO, PF_SCHEDSTAT, 3, 5},
	    {"4.19", 2310, 2311, 88013, PF_SCHED | PF_SCHEDSTAT, PF_IO, 3, 5},
	    {"5.10", 2310, 2311, 88013, PF_SCHED | PF_SCHEDSTAT | PF_IO, 0, 3, 5},
	    {"6.18", 13275, 13318, 73720, PF_SCHED | PF_SCHEDSTAT | PF_IO | PF_STACK, 0, 5, 9},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		struct env e;
		env_init(&e, g[i].gen);
		e.t.all = 1;
		env_start(&e, PF_STATUS | PF_IO, DEEP);
		int alive = tick(&e);
		assert_int_equal(alive, g[i].procs);
		assert_int_equal(count(&e, REC_SAMPLE, SCOPE_PROCESS), g[i].procs);
		assert_int_equal(count(&e, REC_SAMPLE, SCOPE_THREAD), g[i].threads);
		assert_int_equal(
		    count(&e, REC_GONE, SCOPE_THREAD) + count(&e, REC_GONE, SCOPE_PROCESS), 0);
		const struct rec *r = find(&e, REC_SAMPLE, g[i].tid, SCOPE_THREAD);
		if (!r)
			fail_msg("%s: no sample for thread %d", g[i].gen, g[i].tid);
		assert_int_equal(r->key.tgid, g[i].tgid);
		if (r->key.start_ticks != g[i].start)
			fail_msg("%s: start %llu", g[i].gen,
				 (unsigned long long)r->key.start_ticks);
		if ((r->have & g[i].has) != g[i].has || (r->have & g[i].lacks))
			fail_msg("%s: have 0x%x", g[i].gen, r->have);
		/* second tick: same keys, nothing gone */
		tick(&e);
		assert_int_equal(count(&e, REC_SAMPLE, SCOPE_THREAD), g[i].threads);
		assert_int_equal(
		    count(&e, REC_GONE, SCOPE_THREAD) + count(&e, REC_GONE, SCOPE_PROCESS), 0);
		env_done(&e);
	}
}

/* The pid's task dies (its stat reads empty, as a reaped task's kept fd
 * reads ESRCH) and a new task with the same pid and a later start appears. */
static void replace_task(struct env *e, const char *pid, const char *from, uint64_t start)
{
	char stat[600];
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/stat", pid);
	put(e, path, ""); /* the old fds now read nothing */
	sh("mv '%s/%s' '%s/dead-%s' && cp -a '%s/%s' '%s/%s' && "
	   "sed -i 's/^\\(Tgid\\|Pid\\):.*/\\1:\\t%s/' '%s/%s/status'",
	   e->dir, pid, e->dir, pid, e->dir, from, e->dir, pid, pid, e->dir, pid);
	snprintf(path, sizeof(path), "%s/%s/stat", e->dir, pid);
	f = fopen(path, "w");
	assert_non_null(f);
	snprintf(stat, sizeof(stat),
		 "%s (newproc) S 1 %s %s 0 -1 4202496 1 0 0 0 1 1 0 0 20 0 1 0 %llu 1000 10 "
		 "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
		 pid, pid, pid, (unsigned long long)start);
	fputs(stat, f);
	fclose(f);
}

static void test_pid_reuse_listing(void **state)
{
	struct env e;
	(void)state;
	env_init(&e, "5.10");
	e.t.all = 1;
	env_start(&e, PF_STATUS, PF_SCHEDSTAT);
	tick(&e);
	const struct rec *r = find(&e, REC_SAMPLE, 1021, SCOPE_PROCESS);
	assert_non_null(r);
	assert_int_equal(r->key.start_ticks, 1534);
	replace_task(&e, "1021", "3050", 99999);
	tick(&e);
	r = find(&e, REC_GONE, 1021, SCOPE_PROCESS);
	assert_non_null(r);
	assert_int_equal(r->key.start_ticks, 1534); /* the old task ended */
	r = find(&e, REC_GONE, 1021, SCOPE_THREAD);
	assert_non_null(r);
	assert_int_equal(r->key.start_ticks, 1534);
	r = find(&e, REC_SAMPLE, 1021, SCOPE_PROCESS); /* the new one, same tick */
	assert_non_null(r);
	assert_int_equal(r->key.start_ticks, 99999);
	assert_string_equal(r->comm, "newproc");
	tick(&e);
	r = find(&e, REC_SAMPLE, 1021, SCOPE_PROCESS);
	assert_non_null(r);
	assert_int_equal(r->key.start_ticks, 99999);
	assert_null(find(&e, REC_GONE, 1021, SCOPE_PROCESS));
	env_done(&e);
}

/* A tree rewritten in place (same inode, new start time) is a new task too. */
static void test_pid_reuse_in_place(void **state)
{
	struct env e;
	(void)state;
	env_init(&e, "5.10");
	e.t.all = 1;
	env_start(&e, 0, 0);
	tick(&e);
	put(&e, "1021/stat",
	    "1021 (sshd) S 1 1021 1021 0 -1 0 1 0 0 0 1 1 0 0 20 0 1 0 77777 1000 10 0 "
	    "0 0 0 0 0 0 0 0 0 0 0 0 17 2 0 0 0\n");
	tick(&e);
	assert_non_null(find(&e, REC_GONE, 1021, SCOPE_PROCESS));
	assert_int_equal(find(&e, REC_GONE, 1021, SCOPE_PROCESS)->key.start_ticks, 1534);
	assert_int_equal(find(&e, REC_SAMPLE, 1021, SCOPE_PROCESS)->key.start_ticks, 77777);
	env_done(&e);
}

/* -p PID: the pid is opened on the first tick only; once its task is gone the
 * number is never reopened (it may name a stranger). */
static void test_pid_reuse_pid_mode(void **state)
{
	struct env e;
	char err[128];
	(void)state;
	env_init(&e, "5.10");
	assert_int_equal(targets_add_pids(&e.t, "1021", err, sizeof(err)), 0);
	env_start(&e, PF_STATUS, PF_SCHEDSTAT);
	assert_int_equal(tick(&e), 1);
	replace_task(&e, "1021", "3050", 99999);
	assert_int_equal(tick(&e), 0);
	assert_non_null(find(&e, REC_GONE, 1021, SCOPE_PROCESS));
	assert_null(find(&e, REC_SAMPLE, 1021, SCOPE_PROCESS));
	assert_int_equal(tick(&e), 0);
	assert_int_equal(e.got.n, 0);
	env_done(&e);
}

static void test_thread_churn(void **state)
{
	struct env e;
	char err[128];
	(void)state;
	env_init(&e, "6.18");
	assert_int_equal(targets_add_pids(&e.t, "13275", err, sizeof(err)), 0);
	env_start(&e, PF_STATUS, PF_SCHEDSTAT | PF_IO);
	assert_int_equal(tick(&e), 1);
	assert_int_equal(count(&e, REC_SAMPLE, SCOPE_THREAD), 5);
	uint64_t start = find(&e, REC_SAMPLE, 13320, SCOPE_THREAD)->key.start_ticks;

	/* 13320 exits, 13999 is created */
	sh("rm -rf '%s/13275/task/13320' && cp -a '%s/13275/task/13318' '%s/13275/task/13999'",
	   e.dir, e.dir, e.dir);
	put(&e, "13275/task/13999/stat",
	    "13999 (fx-new) S 13272 13267 6296 0 -1 4194368 0 0 0 0 0 0 0 0 20 0 5 0 80000 "
	    "319033344 3656 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 -1 1 0 0 0\n");
	tick(&e);
	const struct rec *g = find(&e, REC_GONE, 13320, SCOPE_THREAD);
	assert_non_null(g);
	assert_int_equal(g->key.start_ticks, start);
	assert_int_equal(g->key.tgid, 13275);
	const struct rec *n = find(&e, REC_SAMPLE, 13999, SCOPE_THREAD);
	assert_non_null(n);
	assert_int_equal(n->key.start_ticks, 80000);
	assert_string_equal(n->comm, "fx-new");
	assert_null(find(&e, REC_SAMPLE, 13320, SCOPE_THREAD));
	assert_int_equal(count(&e, REC_SAMPLE, SCOPE_THREAD), 5);

	/* every thread but the leader goes: 4 REC_GONE, the process lives */
	sh("cd '%s/13275/task' && rm -rf 13317 13318 13319 13999", e.dir);
	assert_int_equal(tick(&e), 1);
	assert_int_equal(count(&e, REC_GONE, SCOPE_THREAD), 4);
	assert_int_equal(count(&e, REC_SAMPLE, SCOPE_THREAD), 1);
	env_done(&e);
}

/* Listed by readdir, gone by the time it is opened: no sample, no GONE. */
static void test_vanish_between_readdir_and_open(void **state)
{
	struct env e;
	char err[128];
	(void)state;
	env_init(&e, "6.18");
	sh("mkdir '%s/4242' '%s/13275/task/13998'", e.dir, e.dir); /* empty: files gone */
	sh("ln -s 4243 '%s/4244'", e.dir);			   /* dangling */
	e.t.all = 1;
	env_start(&e, PF_STATUS, PF_SCHEDSTAT);
	assert_int_equal(tick(&e), 5);
	assert_null(find(&e, REC_SAMPLE, 4242, SCOPE_PROCESS));
	assert_null(find(&e, REC_SAMPLE, 13998, SCOPE_THREAD));
	assert_int_equal(count(&e, REC_GONE, SCOPE_THREAD) + count(&e, REC_GONE, SCOPE_PROCESS), 0);
	assert_int_equal(count(&e, REC_SAMPLE, SCOPE_THREAD), 9);
	env_done(&e);

	/* the same with -p: the named pid's dir is empty */
	env_init(&e, "6.18");
	sh("mkdir '%s/4242'", e.dir);
	assert_int_equal(targets_add_pids(&e.t, "4242", err, sizeof(err)), 0);
	env_start(&e, PF_STATUS, PF_SCHEDSTAT);
	assert_int_equal(tick(&e), 0);
	assert_int_equal(e.got.n, 0);
	env_done(&e);
}

/* One thread's io is missing (unreadable): the others keep theirs, the thread
 * is still sampled without PF_IO, nothing is reported gone. */
static void test_io_missing(void **state)
{
	struct env e;
	char err[128];
	struct source_status st = {0};
	(void)state;
	env_init(&e, "6.18");
	sh("rm '%s/13275/task/13318/io'", e.dir);
	assert_int_equal(targets_add_pids(&e.t, "13275", err, sizeof(err)), 0);
	env_start(&e, PF_IO, PF_SCHEDSTAT | PF_IO);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(tick(&e), 1);
		const struct rec *r = find(&e, REC_SAMPLE, 13318, SCOPE_THREAD);
		assert_non_null(r);
		assert_false(r->have & PF_IO);
		assert_true(r->have & PF_SCHEDSTAT);
		assert_true(find(&e, REC_SAMPLE, 13319, SCOPE_THREAD)->have & PF_IO);
		assert_true(find(&e, REC_SAMPLE, 13275, SCOPE_PROCESS)->have & PF_IO);
		assert_int_equal(count(&e, REC_GONE, SCOPE_THREAD), 0);
	}
	procfs_status(e.p, &st);
	assert_int_not_equal(st.state, SOURCE_UNAVAILABLE);
	env_done(&e);
}

/* -p TID of a non-leader: only that thread, keyed under its process. */
static void test_pid_of_nonleader_thread(void **state)
{
	struct env e;
	char err[128];
	(void)state;
	env_init(&e, "6.18");
	/* the kernel answers /proc/<tid> for any tid, though readdir hides it */
	sh("cp -a '%s/13275/task/13319' '%s/13319'", e.dir, e.dir);
	assert_int_equal(targets_add_pids(&e.t, "13319", err, sizeof(err)), 0);
	env_start(&e, PF_STATUS, PF_SCHEDSTAT);
	assert_int_equal(tick(&e), 1);
	assert_int_equal(count(&e, REC_SAMPLE, SCOPE_THREAD), 1);
	const struct rec *r = find(&e, REC_SAMPLE, 13319, SCOPE_THREAD);
	assert_non_null(r);
	assert_int_equal(r->key.tgid, 13275);
	assert_string_equal(r->comm, "fx-lock");
	assert_null(find(&e, REC_SAMPLE, 13318, SCOPE_THREAD));
	env_done(&e);

	/* -p leader,thread-of-leader: the whole process, fds not clobbered */
	env_init(&e, "6.18");
	sh("cp -a '%s/13275/task/13319' '%s/13319'", e.dir, e.dir);
	assert_int_equal(targets_add_pids(&e.t, "13275,13319", err, sizeof(err)), 0);
	env_start(&e, PF_STATUS, PF_SCHEDSTAT);
	assert_int_equal(tick(&e), 1);
	assert_int_equal(count(&e, REC_SAMPLE, SCOPE_THREAD), 5);
	tick(&e);
	assert_int_equal(count(&e, REC_SAMPLE, SCOPE_THREAD), 5);
	env_done(&e);
}

/* --cgroup matches any hierarchy's path: v1 "cpuacct,cpu" on 3.10, a v1
 * memory path next to a v2 "/" on the 6.18 hybrid host. */
static void test_cgroup_targets(void **state)
{
	struct env e;
	char err[128];
	(void)state;
	env_init(&e, "3.10");
	assert_int_equal(targets_set_cgroup(&e.t, "/system.slice/app.service", err, sizeof(err)),
			 0);
	env_start(&e, 0, 0);
	assert_int_equal(tick(&e), 2); /* 2310 and 3050, not 1021 (ssh.service) */
	assert_non_null(find(&e, REC_SAMPLE, 2310, SCOPE_PROCESS));
	assert_non_null(find(&e, REC_SAMPLE, 3050, SCOPE_PROCESS));
	assert_null(find(&e, REC_SAMPLE, 1021, SCOPE_PROCESS));
	env_done(&e);

	env_init(&e, "6.18");
	put(&e, "13245/cgroup", "4:memory:/box/one\n3:cpuset:/\n1:cpu:/\n0::/\n");
	assert_int_equal(targets_set_cgroup(&e.t, "/box", err, sizeof(err)), 0);
	env_start(&e, 0, 0);
	assert_int_equal(tick(&e), 1);
	assert_non_null(find(&e, REC_SAMPLE, 13245, SCOPE_PROCESS));
	env_done(&e);
}

static void on_alarm(int sig)
{
	(void)sig;
	fail_msg("the procfs source hung on a hostile tree");
}

/* Symlinks out of the tree, a FIFO, a device, garbage and truncated files: no
 * crash, no hang, nothing read from outside, good tasks still sampled. */
static void test_hostile_tree(void **state)
{
	struct env e;
	(void)state;
	env_init(&e, "6.18");
	sh("cd '%s' && mkdir 500 501 502 503 504 && "
	   "ln -s /etc/passwd 500/stat && ln -s /etc 505 && "
	   "mkfifo 501/stat && ln -s /dev/zero 502/status && cp 13245/stat 502/stat && "
	   "head -c 40 13245/stat > 503/stat && "
	   "head -c 100000 /dev/urandom > 504/stat && "
	   "rm 13245/status && mkfifo 13245/status && "
	   "rm -rf 13321/task && ln -s / 13321/task && "
	   "rm 13316/io && ln -s /proc/self/io 13316/io",
	   e.dir);
	signal(SIGALRM, on_alarm);
	alarm(20);
	e.t.all = 1;
	env_start(&e, PF_STATUS | PF_IO | PF_FDS, DEEP | PF_FDS);
	for (int i = 0; i < 3; i++) {
		tick(&e);
		for (int32_t pid = 500; pid <= 505; pid++)
			if (pid != 502)
				assert_null(find(&e, REC_SAMPLE, pid, SCOPE_PROCESS));
		assert_non_null(find(&e, REC_SAMPLE, 502, SCOPE_PROCESS)); /* stat is fine */
		assert_false(find(&e, REC_SAMPLE, 502, SCOPE_PROCESS)->have & PF_STATUS);
		assert_false(find(&e, REC_SAMPLE, 13245, SCOPE_PROCESS)->have & PF_STATUS);
		assert_false(find(&e, REC_SAMPLE, 13316, SCOPE_PROCESS)->have & PF_IO);
		assert_null(find(&e, REC_SAMPLE, 13321, SCOPE_THREAD));
		assert_non_null(find(&e, REC_SAMPLE, 13275, SCOPE_PROCESS));
		assert_int_equal(count(&e, REC_SAMPLE, SCOPE_THREAD), 5 + 1 + 1 + 1);
	}
	alarm(0);
	env_done(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_generation),
	    cmocka_unit_test(test_pid_reuse_listing),
	    cmocka_unit_test(test_pid_reuse_in_place),
	    cmocka_unit_test(test_pid_reuse_pid_mode),
	    cmocka_unit_test(test_thread_churn),
	    cmocka_unit_test(test_vanish_between_readdir_and_open),
	    cmocka_unit_test(test_io_missing),
	    cmocka_unit_test(test_pid_of_nonleader_thread),
	    cmocka_unit_test(test_cgroup_targets),
	    cmocka_unit_test(test_hostile_tree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
