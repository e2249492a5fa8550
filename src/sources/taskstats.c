/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The taskstats source: generic netlink TASKSTATS through the sockets of
 * taskstats_nl.c (libnl-genl-3).
 *  - queries: the targets are learnt from the procfs samples the run
 *    dispatches (observe); at each tick the tasks that are due get one
 *    TASKSTATS_CMD_GET (TGID for processes, PID for threads with --threads),
 *    answered by one message (no NLM_F_ACK on this path), emitted as
 *    REC_TASKSTATS with is_exit = 0. A query budget per second keeps the
 *    cost bounded whatever the number of targets.
 *  - exits: a second socket registered with REGISTER_CPUMASK for every
 *    possible CPU receives a record for every task that exits on the system
 *    (no pid filter exists), emitted with is_exit = 1; ENOBUFS is counted as
 *    loss; the cpumask is deregistered at stop.
 * With --enable-delayacct it also switches kernel.task_delayacct on for the
 * run (see taskstats_delayacct.c) and says so in a REC_HOST record.
 */
#include "sources/taskstats.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/taskstats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/run.h"
#include "core/taskmap.h"

#define MAX_QUERIES_PER_S 5000u /* ~4 us each: 2% of one CPU at most */
/* Above this many queries a second, a task that did not run since its last
 * query (same CPU ticks, faults and threads, not R or D) is asked again only
 * every COLD_PERIOD_NS: its counters cannot have moved much. */
#define EVERY_TICK_PER_S 1000u
#define COLD_PERIOD_NS	 (5 * NS_PER_S)
/* A single-thread process whose samples carry its schedstat (procfs's cheap
 * tier reads it every tick and samples the process whenever its run time
 * moved) is known exactly: if no sample says it ran or waited, none of its
 * counters or delays can have moved. It is asked again only this rarely. */
#define EXACT_COLD_PERIOD_NS (60 * NS_PER_S)
#define LISTEN_RCVBUF	     (8 << 20) /* ~1.3 KB per exit record: ~6000 queued */

struct ts_target {
	int32_t key_id; /* tid, or -tgid for a process */
	int32_t tgid, tid;
	uint64_t start;
	uint64_t next_ns; /* next query not before */
	uint64_t last_ns; /* last query */
	uint64_t sig;	  /* CPU ticks, faults, threads at the last sample */
	uint64_t run_sig; /* schedstat run + wait ns at the last sample that had it */
	uint8_t is_process, hot, exact;
	char comm[16];
};

struct ts_src {
	struct run *run;
	struct source_status *st;
	struct ts_sock *q, *l; /* queries; exit listener */
	int lfd;
	int threads;
	uint64_t interval_ns;
	struct taskmap *targets; /* key: (tid, start); processes use tid = tgid */
	size_t cursor;
	uint64_t lost_episodes;
	int host_sent, delayacct_by_run;
	uint64_t delayacct_since_ticks;
	struct ts_target *cur; /* the query being answered */
	uint64_t now_ns;
	char cpulist[128];
	char rbuf[65536] __attribute__((aligned(8)));
};

static void emit(struct ts_src *s, const struct ts_item *it, int is_exit)
{
	struct record r = {.kind = REC_TASKSTATS, .source = SRC_TASKSTATS, .cpu = -1};
	struct ts_target *t = is_exit ? NULL : s->cur;

	r.t_ns = s->now_ns;
	r.u.ts = it->ts;
	r.u.ts.is_exit = (uint8_t)is_exit;
	if (t) {
		r.key = (struct task_key){t->tgid, t->tid, t->start};
		memcpy(r.comm, t->comm, sizeof(r.comm));
	} else {
		int32_t id = (int32_t)it->id;
		int32_t tgid = it->is_tgid ? id : (it->ts.ac_tgid ? (int32_t)it->ts.ac_tgid : id);
		r.key = (struct task_key){tgid, id, 0};
		memcpy(r.comm, it->ts.comm, sizeof(r.comm) - 1);
	}
	if (!r.comm[0] && t)
		memcpy(r.comm, t->comm, sizeof(r.comm));
	s->st->events++;
	record_emit(run_sink(s->run), &r);
}

static void on_reply(void *ctx, const struct ts_item *it)
{
	struct ts_src *s = ctx;

	if (!it->err && s->cur)
		emit(s, it, 0);
}

/* One GET; 0, or -errno (-ESRCH: the task is gone). */
static int query(struct ts_src *s, struct ts_target *t)
{
	int rc;

	s->cur = t;
	rc = ts_sock_query(s->q, t->is_process ? TASKSTATS_CMD_ATTR_TGID : TASKSTATS_CMD_ATTR_PID,
			   (uint32_t)(t->is_process ? t->tgid : t->tid), on_reply, s);
	s->cur = NULL;
	return rc;
}

static void on_exit_msg(void *ctx, const struct ts_item *it)
{
	if (!it->err)
		emit(ctx, it, 1);
}

static void on_listen(void *ctx, int fd, uint32_t events)
{
	struct ts_src *s = ctx;

	(void)fd;
	(void)events;
	for (int i = 0; i < 256; i++) {
		ssize_t n = ts_sock_recv(s->l, s->rbuf, sizeof(s->rbuf));
		if (n == -ENOBUFS) {
			/* The kernel dropped exit records; it does not say how many. */
			s->lost_episodes++;
			source_note_loss(s->st, 1, clock_mono_ns());
			source_set(s->st, SOURCE_DEGRADED,
				   "exit records lost: the receive buffer overflowed %llu times "
				   "(at least one record each; the kernel does not count them)",
				   (unsigned long long)s->lost_episodes);
			continue;
		}
		if (n <= 0)
			return;
		s->now_ns = clock_mono_ns();
		taskstats_parse(s->rbuf, (size_t)n, ts_sock_family(s->l), on_exit_msg, s);
	}
}

static void possible_cpus(char *out, size_t len)
{
	int fd = open("/sys/devices/system/cpu/possible", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, out, len - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n > 0) {
		out[n] = '\0';
		out[strcspn(out, "\n")] = '\0';
		return;
	}
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	snprintf(out, len, "0-%ld", ncpu > 1 ? ncpu - 1 : 0);
}

static void start_listener(struct ts_src *s)
{
	int rc;

	possible_cpus(s->cpulist, sizeof(s->cpulist));
	rc = ts_sock_open(&s->l, ts_sock_family(s->q), LISTEN_RCVBUF);
	if (!rc)
		rc = ts_sock_cpumask(s->l, TASKSTATS_CMD_ATTR_REGISTER_CPUMASK, s->cpulist);
	if (!rc) {
		s->lfd = ts_sock_fd(s->l);
		rc = run_add_fd(s->run, s->lfd, on_listen, s);
	}
	if (rc) {
		source_set(s->st, SOURCE_DEGRADED,
			   "no exit records: registering the exit listener for CPUs %s failed: %s",
			   s->cpulist, strerror(-rc));
		ts_sock_close(s->l);
		s->l = NULL;
		s->lfd = -1;
	}
}

static uint64_t boot_ticks_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * (uint64_t)clock_ticks_per_s() +
	       (uint64_t)ts.tv_nsec * (uint64_t)clock_ticks_per_s() / NS_PER_S;
}

static void switch_delayacct(struct ts_src *s)
{
	int was = delayacct_read();
	int rc;

	if (was == 1)
		return;
	rc = delayacct_enable();
	if (rc) {
		source_set(s->st, SOURCE_DEGRADED,
			   "--enable-delayacct: cannot set kernel.task_delayacct=1: %s",
			   strerror(-rc));
		return;
	}
	s->delayacct_by_run = 1;
	s->delayacct_since_ticks = boot_ticks_now();
}

static int start_error(struct ts_src *s, struct source_status *st, int rc, const char *what)
{
	if (rc == -EPERM || rc == -EACCES)
		source_set(st, SOURCE_UNAVAILABLE,
			   "EPERM: needs CAP_NET_ADMIN in the initial user namespace");
	else if (rc == -ENOENT && strcmp(what, "family") == 0)
		source_set(st, SOURCE_UNAVAILABLE,
			   "the kernel has no TASKSTATS netlink family (CONFIG_TASKSTATS)");
	else
		source_set(st, SOURCE_UNAVAILABLE, "%s: %s", what, strerror(-rc));
	ts_sock_close(s->q);
	taskmap_free(s->targets);
	free(s);
	return -1;
}

static int taskstats_start(struct run *r, void **state, struct source_status *st)
{
	struct ts_src *s = calloc(1, sizeof(*s));
	struct ts_target self = {0};
	int rc;

	*state = NULL;
	if (!s)
		return source_set(st, SOURCE_UNAVAILABLE, "out of memory"), -1;
	s->run = r;
	s->st = st;
	s->lfd = -1;
	s->threads = run_cfg(r)->threads;
	s->interval_ns = run_cfg(r)->interval_ns;
	s->targets = taskmap_new(sizeof(struct ts_target));
	if (!s->targets)
		return start_error(s, st, -ENOMEM, "netlink socket");
	rc = ts_sock_open(&s->q, 0, 0);
	if (rc)
		return start_error(s, st, rc, rc == -ENOENT ? "family" : "netlink socket");
	/* Taskstats checks CAP_NET_ADMIN per query: ask about ourselves. */
	self.tgid = self.tid = getpid();
	self.is_process = 0;
	rc = query(s, &self);
	if (rc)
		return start_error(s, st, rc, "query");
	st->events = 0;
	source_set(st, SOURCE_OK, "%s", "");
	if (run_cfg(r)->enable_delayacct)
		switch_delayacct(s);
	start_listener(s);
	*state = s;
	return 0;
}

static void observe(void *state, const struct record *rec)
{
	struct ts_src *s = state;
	int created;
	struct ts_target *t;
	int proc;

	if (rec->kind != REC_SAMPLE && rec->kind != REC_GONE)
		return;
	proc = rec->u.sample.scope == SCOPE_PROCESS;
	if (!proc && !s->threads)
		return;
	/* -p TID of a non-leader: procfs's process sample is that thread's,
	 * keyed by its tid; ask taskstats about it alone (PID, not TGID). */
	if (proc && rec->key.tid != rec->key.tgid)
		proc = 0;
	/* Processes and threads share the map: a process under -tgid. */
	int32_t id = proc ? -rec->key.tgid : rec->key.tid;
	if (rec->kind == REC_GONE) {
		taskmap_del(s->targets, id, rec->key.start_ticks);
		return;
	}
	t = taskmap_put(s->targets, id, rec->key.start_ticks, &created);
	if (!t)
		return;
	const struct proc_sample *ps = &rec->u.sample.s;
	uint64_t sig = ps->utime + ps->stime + ps->minflt + ps->majflt + (uint64_t)ps->num_threads;
	if (sig != t->sig || ps->state == 'R' || ps->state == 'D')
		t->hot = 1;
	t->sig = sig;
	if (ps->have & PF_SCHEDSTAT) {
		/* ns-exact: a 1 ms run moves it where stat's 10 ms ticks may not */
		if (ps->run_ns + ps->wait_ns != t->run_sig)
			t->hot = 1;
		t->run_sig = ps->run_ns + ps->wait_ns;
	}
	if ((ps->have & PF_STAT) && ps->num_threads != 1)
		t->exact = 0;
	else if (proc && (ps->have & PF_SCHEDSTAT))
		t->exact = 1;
	if (!created)
		return;
	t->key_id = id;
	t->tgid = rec->key.tgid;
	t->tid = proc ? rec->key.tgid : rec->key.tid;
	t->start = rec->key.start_ticks;
	t->is_process = (uint8_t)proc;
	memcpy(t->comm, rec->comm, sizeof(t->comm));
}

static void send_host(struct ts_src *s, uint64_t now, const struct record_sink *sink)
{
	struct record r = {.kind = REC_HOST, .source = SRC_TASKSTATS, .cpu = -1, .t_ns = now};
	int v = delayacct_read();

	if (v < 0)
		return;
	r.u.host.have = HOST_HAVE_DELAYACCT;
	r.u.host.delayacct = (int8_t)v;
	r.u.host.delayacct_by_run = (uint8_t)s->delayacct_by_run;
	r.u.host.delayacct_since_ticks = s->delayacct_since_ticks;
	record_emit(sink, &r);
}

static void taskstats_tick(void *state, uint64_t now, const struct record_sink *sink)
{
	struct ts_src *s = state;
	size_t n = taskmap_count(s->targets), it = s->cursor;
	uint64_t per_tick = MAX_QUERIES_PER_S * s->interval_ns / NS_PER_S;
	uint64_t period = s->interval_ns, done = 0;
	struct ts_target *t;
	int wrapped = 0, thin = n * NS_PER_S / s->interval_ns > EVERY_TICK_PER_S;

	if (!s->host_sent) {
		send_host(s, now, sink);
		s->host_sent = 1;
	}
	/* More targets than the budget: query each one less often. */
	if (n > MAX_QUERIES_PER_S * period / NS_PER_S)
		period = n * NS_PER_S / MAX_QUERIES_PER_S;
	if (per_tick < 1)
		per_tick = 1;
	s->now_ns = now;
	while (done < per_tick) {
		t = taskmap_next(s->targets, &it, NULL, NULL);
		if (!t) {
			if (wrapped++)
				break;
			it = 0;
			continue;
		}
		if (wrapped && it - 1 >= s->cursor)
			break; /* full circle */
		uint64_t cold = t->exact ? EXACT_COLD_PERIOD_NS : COLD_PERIOD_NS;
		if (t->next_ns > now || (thin && !t->hot && now < t->last_ns + cold))
			continue;
		t->next_ns = now + period - period / 8;
		t->last_ns = now;
		t->hot = 0;
		done++;
		if (query(s, t) == -ESRCH)
			taskmap_del(s->targets, t->key_id, t->start);
	}
	s->cursor = it;
}

static void taskstats_stop(void *state, struct source_status *st)
{
	struct ts_src *s = state;

	if (!s)
		return;
	if (s->l) {
		loop_del_fd(run_loop_handle(s->run), s->lfd);
		ts_sock_cpumask(s->l, TASKSTATS_CMD_ATTR_DEREGISTER_CPUMASK, s->cpulist);
		ts_sock_close(s->l);
	}
	if (s->delayacct_by_run) {
		int rc = delayacct_restore();
		if (rc)
			source_set(st, SOURCE_DEGRADED,
				   "could not restore kernel.task_delayacct: %s", strerror(-rc));
	}
	ts_sock_close(s->q);
	taskmap_free(s->targets);
	free(s);
}

const struct source_ops source_taskstats = {
    .name = "taskstats",
    .id = SRC_TASKSTATS,
    .start = taskstats_start,
    .tick = taskstats_tick,
    .observe = observe,
    .stop = taskstats_stop,
};
