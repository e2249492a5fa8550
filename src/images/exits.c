/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The exits image: for every exit of the targets (or of every process), the
 * exit code or signal, core dump, lifetime, the last RSS / oom_score /
 * oom_score_adj the polling saw, and the cause with its evidence.
 *
 * An exit is assembled from whatever reports it: the proc connector
 * (REC_EXIT: raw wait status), the taskstats exit listener (REC_TASKSTATS
 * is_exit: status, exact lifetime, peak RSS) and, as a fallback, procfs
 * noticing the process gone (REC_GONE: no status). Its cause is decided only
 * once an evidence window has passed, because the kernel log line of an OOM
 * kill, the memcg and /proc/vmstat oom_kill counters and the exit itself
 * arrive in any order: kernel log line naming the pid > memcg counter > host
 * counter (probable only) > "a signal from another process".
 * Reporting is in exits_report.c.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/taskmap.h"
#include "images/exits_int.h"

static void *ex_create(const struct image_params *p)
{
	struct ex_img *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->p = *p;
	x->seen = taskmap_new(sizeof(struct ex_seen));
	if (!x->seen) {
		free(x);
		return NULL;
	}
	return x;
}

static void ex_destroy(void *img)
{
	struct ex_img *x = img;

	taskmap_free(x->seen);
	free(x->exits);
	free(x->ooms);
	free(x);
}

void exits_set_context(void *img, int all, uint32_t have, int since_boot)
{
	struct ex_img *x = img;

	x->all = all;
	x->have = have | EXITS_CONTEXT_KNOWN;
	x->since_boot = since_boot;
}

static int working(const struct source_status *s)
{
	return s->state == SOURCE_OK || s->state == SOURCE_DEGRADED;
}

uint32_t exits_have_from_sources(const struct source_status *st)
{
	const struct source_status *cn = &st[SRC_CONNECTOR], *ts = &st[SRC_TASKSTATS];
	uint32_t have = 0;

	if (st[SRC_KMSG].state == SOURCE_OK)
		have |= EXITS_HAVE_KMSG | EXITS_HAVE_VMSTAT;
	else if (st[SRC_KMSG].state == SOURCE_DEGRADED)
		have |= EXITS_HAVE_VMSTAT;
	/* The connector's fallback diffs /proc: it sees exits, not their status. */
	if ((working(cn) && !strstr(cn->reason, "fallback")) ||
	    (working(ts) && !strstr(ts->reason, "no exit records")))
		have |= EXITS_HAVE_STATUS;
	if (working(&st[SRC_CGROUP]))
		have |= EXITS_HAVE_MEMCG;
	return have;
}

/* The evidence window runs from the exit, or from when its group closed. */
static uint64_t exit_settle_ns(const struct ex_exit *e)
{
	return e->t_ns > e->close_ns ? e->t_ns : e->close_ns;
}

static uint64_t grace_ns(const struct ex_img *x)
{
	return 2 * NS_PER_S + 2 * x->p.interval_ns;
}

/* The pending exit of pid near t, or a new one. */
static struct ex_exit *exit_for(struct ex_img *x, int32_t pid, uint64_t start, uint64_t t)
{
	for (size_t i = x->nexits; i-- > x->first_pending;) {
		struct ex_exit *e = &x->exits[i];
		if (e->pid == pid && !e->final && (!start || !e->start || start == e->start) &&
		    (e->was_open || (t > e->t_ns ? t - e->t_ns : e->t_ns - t) < 10 * NS_PER_S))
			return e;
	}
	if (x->nexits == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;
		struct ex_exit *n = realloc(x->exits, cap * sizeof(*n));
		if (!n)
			return NULL;
		x->exits = n;
		x->cap = cap;
	}
	struct ex_exit *e = &x->exits[x->nexits++];
	memset(e, 0, sizeof(*e));
	e->pid = pid;
	e->start = start;
	e->t_ns = t;
	struct ex_seen *s = taskmap_get(x->seen, pid, 0);
	if (s && (!start || start == s->start)) {
		e->seen = *s;
		e->have_seen = 1;
		e->start = s->start;
		memcpy(e->comm, s->comm, sizeof(e->comm));
	}
	return e;
}

/* Has pid an exit not decided yet? */
static int has_pending(const struct ex_img *x, int32_t pid)
{
	for (size_t i = x->nexits; i-- > x->first_pending;)
		if (x->exits[i].pid == pid && !x->exits[i].final)
			return 1;
	return 0;
}

/* Targets only: an exit counts if the process was sampled as a target, or
 * if polling already found it gone. The tick and the sockets become ready
 * together: a target that ends as a tick begins is found gone by procfs
 * before the loop reads its exit events, already queued on the connector and
 * taskstats sockets (the kernel sends them before the parent can reap). Its
 * REC_GONE took it out of seen, but the exit it opened is still pending, and
 * the events that follow are that exit's. */
static int wanted(const struct ex_img *x, int32_t pid)
{
	return x->all || taskmap_get(x->seen, pid, 0) != NULL || has_pending(x, pid);
}

/* An exit status source reported e: when the process lingers as a zombie,
 * polling will find it gone only once its parent reaps it. */
static void seen_ended(struct ex_img *x, const struct ex_exit *e)
{
	struct ex_seen *s = taskmap_get(x->seen, e->pid, 0);

	if (s && (!e->start || s->start == e->start))
		s->ended = 1;
}

/* The exit of pid whose group is or was open and is not decided, or NULL.
 * Asked for every thread exit on the host: nothing to walk when no group
 * is open. */
static struct ex_exit *group_exit(struct ex_img *x, int32_t pid, uint64_t start)
{
	if (!x->ngroups)
		return NULL;
	for (size_t i = x->nexits; i-- > x->first_pending;) {
		struct ex_exit *e = &x->exits[i];
		if (e->pid == pid && e->was_open && !e->final &&
		    (!start || !e->start || start == e->start))
			return e;
	}
	return NULL;
}

/* What polling last saw of the process, taken again when its group ends:
 * the leader left long before, the threads lived on (RSS, memcg baseline). */
static void refresh_seen(struct ex_img *x, struct ex_exit *e)
{
	const struct ex_seen *s = taskmap_get(x->seen, e->pid, 0);

	if (e->was_open && s && s->start == e->start) {
		e->seen = *s;
		e->have_seen = 1;
	}
}

static void open_group(struct ex_img *x, struct ex_exit *e)
{
	if (e->status_final || (e->srcs & (1u << SRC_PROCFS)) || e->final)
		return;
	e->group_open = 1;
	if (!e->was_open) {
		e->was_open = 1;
		x->ngroups++;
	}
}

/* The group is dead (AGROUP, the zombie alone, the process gone): the
 * evidence window starts now, later thread events still count. */
static void close_group(struct ex_img *x, struct ex_exit *e, uint64_t now)
{
	if (!e->group_open)
		return;
	refresh_seen(x, e);
	e->group_open = 0;
	e->close_ns = now;
}

/* A thread's exit event (kernel time t) for a group that is or was open:
 * the last to go carries the process's status and time. */
static void thread_ended(struct ex_exit *e, uint64_t t, int32_t tid, uint32_t status)
{
	if (!e->t_from_thread || t > e->t_ns) {
		e->t_ns = t;
		e->t_from_thread = 1;
		e->t_tid = tid;
	}
	e->srcs |= 1u << SRC_CONNECTOR;
	if (!e->status_final) {
		e->status = status;
		e->have_status = 1;
		e->status_src = SRC_CONNECTOR;
	}
}

/* Polling found pid's leader a zombie with n threads. More than one: the
 * leader left first (and maybe between two samples, unseen): its exit, if
 * reported, is not the process's yet. One: the last thread is gone. */
static void zombie_seen(struct ex_img *x, int32_t pid, uint64_t start, int32_t n, uint64_t now)
{
	for (size_t i = x->nexits; i-- > x->first_pending;) {
		struct ex_exit *e = &x->exits[i];
		if (e->pid != pid || e->final || (start && e->start && start != e->start))
			continue;
		if (n > 1)
			open_group(x, e);
		else
			close_group(x, e, now);
		return;
	}
}

/* The leader's own exit (connector event or taskstats record without
 * AGROUP) while polling last saw other threads: the process lives on. */
static void leader_left(struct ex_img *x, struct ex_exit *e)
{
	const struct ex_seen *s = taskmap_get(x->seen, e->pid, 0);

	if (s && s->start == e->start && s->nthreads > 1)
		open_group(x, e);
}

static void on_sample(struct ex_img *x, const struct record *r)
{
	const struct proc_sample *s = &r->u.sample.s;
	int created;
	struct ex_seen *v = taskmap_put(x->seen, r->key.tgid, 0, &created);

	if (!v)
		return;
	if (created || v->start != r->key.start_ticks) {
		memset(v, 0, sizeof(*v));
		v->start = r->key.start_ticks;
		v->first_ns = r->t_ns;
	}
	memcpy(v->comm, r->comm, sizeof(v->comm));
	if (s->have & PF_STAT) {
		v->nthreads = s->num_threads;
		if (s->state == 'Z')
			zombie_seen(x, r->key.tgid, v->start, s->num_threads, r->t_ns);
	}
	/* A dying task (PF_EXITING in stat's flags, or a zombie) has let go of
	 * its memory and its badness: keep what it had while alive. */
	if ((s->have & PF_STAT) && ((s->flags & 0x4) || s->state == 'Z' || s->state == 'X') &&
	    v->last_ns)
		return;
	v->last_ns = r->t_ns;
	v->have |= s->have;
	if (s->have & PF_STAT) {
		v->rss_kb = (uint64_t)(s->rss_pages > 0 ? s->rss_pages : 0) *
			    (uint64_t)x->p.page_size / 1024;
		v->ppid = s->ppid;
	}
	if (s->have & PF_STATUS)
		v->rss_kb = s->vm_rss_kb;
	if (s->have & PF_OOM_SCORE)
		v->oom_score = s->oom_score;
	if (s->have & PF_OOM_ADJ)
		v->oom_adj = s->oom_score_adj;
}

static void on_gone(struct ex_img *x, const struct record *r)
{
	struct ex_exit *e;
	struct ex_seen *s = taskmap_get(x->seen, r->key.tgid, 0);

	if (!wanted(x, r->key.tgid))
		return;
	/* A zombie reaped after its exit was decided (a parent slow to wait):
	 * that exit is reported already, this is not another one. */
	if (s && s->ended && (!r->key.start_ticks || s->start == r->key.start_ticks) &&
	    !has_pending(x, r->key.tgid)) {
		taskmap_del(x->seen, r->key.tgid, 0);
		return;
	}
	e = exit_for(x, r->key.tgid, r->key.start_ticks, r->t_ns);
	if (e) {
		close_group(x, e, r->t_ns);
		e->srcs |= 1u << SRC_PROCFS;
		if (!e->comm[0])
			memcpy(e->comm, r->comm, sizeof(e->comm));
	}
	taskmap_del(x->seen, r->key.tgid, 0);
}

static void set_status(struct ex_exit *e, uint32_t status, int src)
{
	if (!e->have_status) {
		e->status = status;
		e->have_status = 1;
		e->status_src = (uint8_t)src;
	}
	e->srcs |= 1u << src;
}

/* A process exit seen by diffing /proc (the connector's fallback): like
 * polling finding it gone, it carries no exit status. */
static void on_polled_exit(struct ex_img *x, const struct record *r)
{
	struct ex_exit *e = exit_for(x, r->key.tgid, r->key.start_ticks, r->t_ns);

	if (!e)
		return;
	e->srcs |= 1u << SRC_PROCFS;
	seen_ended(x, e);
	if (!e->comm[0])
		memcpy(e->comm, r->comm, sizeof(e->comm));
}

static void on_exit_event(struct ex_img *x, const struct record *r)
{
	struct ex_exit *e;

	if (r->u.exit.is_thread || r->key.tid != r->key.tgid) {
		/* A thread of a process whose leader has left: the last one to
		 * go carries the process's status (exit_group's code, or its
		 * own when it was alone). */
		if (r->source != SRC_CONNECTOR)
			return; /* diffed /proc: no status, no kernel time */
		e = group_exit(x, r->key.tgid, 0);
		if (e)
			thread_ended(e, r->t_ns, r->key.tid, r->u.exit.status);
		return;
	}
	if (!wanted(x, r->key.tgid))
		return;
	/* The connector's fallback (/proc diffed each tick) saw the process
	 * vanish: no wait status, no kernel time. Polling evidence only. */
	if (r->source != SRC_CONNECTOR) {
		on_polled_exit(x, r);
		return;
	}
	/* A second leader exit for an open group: the first was the old
	 * leader replaced by a thread's execve(); this one ends the process. */
	e = group_exit(x, r->key.tgid, 0);
	if (e && e->group_open && e->leader_event) {
		thread_ended(e, r->t_ns, r->key.tid, r->u.exit.status);
		return;
	}
	e = exit_for(x, r->key.tgid, r->key.start_ticks, r->t_ns);
	if (!e)
		return;
	e->leader_event = 1;
	leader_left(x, e);
	/* The kernel's time of the exit, rather than when polling found it
	 * gone (a tick's start, which may even precede it) or when the
	 * taskstats record was read. */
	if (!(e->srcs & (1u << SRC_CONNECTOR)))
		e->t_ns = r->t_ns;
	set_status(e, r->u.exit.status, SRC_CONNECTOR);
	seen_ended(x, e);
	if (!e->comm[0])
		memcpy(e->comm, r->comm, sizeof(e->comm));
}

static void on_taskstats(struct ex_img *x, const struct record *r)
{
	const struct rec_taskstats *ts = &r->u.ts;
	struct ex_exit *e;

	/* AGROUP (0x20): the last thread of the group; else the leader's own. */
	if (!ts->is_exit || ts->is_tgid || (!(ts->ac_flag & 0x20) && r->key.tid != r->key.tgid) ||
	    !wanted(x, r->key.tgid))
		return;
	e = exit_for(x, r->key.tgid, 0, r->t_ns);
	if (!e)
		return;
	if (ts->ac_flag & 0x20) {
		/* The group is dead: this is the process's status, even when
		 * the leader reported its own (0 from pthread_exit) before. Its
		 * time: the last thread's exit event if that came, else now. */
		if ((e->was_open || r->key.tid != r->key.tgid) &&
		    (!e->t_from_thread || e->t_tid != r->key.tid) && r->t_ns > e->t_ns) {
			e->t_ns = r->t_ns;
			e->t_from_thread = 0;
		}
		close_group(x, e, r->t_ns);
		if (!e->have_status || e->status != ts->exitcode) {
			e->status = ts->exitcode;
			e->status_src = SRC_TASKSTATS;
		}
		e->have_status = e->status_final = 1;
		e->srcs |= 1u << SRC_TASKSTATS;
	} else {
		/* Before v12 a worker thread's record has no tgid (tid stands in):
		 * kept only if something else shows it is a process. */
		if (!(ts->have & TS_HAVE_TGID) && !e->srcs)
			e->ts_no_tgid = 1;
		set_status(e, ts->exitcode, SRC_TASKSTATS);
		leader_left(x, e);
	}
	seen_ended(x, e);
	e->have_ts = 1;
	e->ts_flag = ts->ac_flag;
	/* The lifetime is the leader's (a last thread's is its own); when the
	 * group outlived the leader, the report adds the time since. */
	if (r->key.tid == r->key.tgid) {
		e->etime_us = ts->ac_etime_us;
		e->leader_ts_ns = r->t_ns;
	}
	e->hiwater_kb = ts->hiwater_rss_kb;
	if (!e->comm[0])
		memcpy(e->comm, ts->comm[0] ? ts->comm : r->comm, sizeof(e->comm) - 1);
}

static void on_kmsg(struct ex_img *x, const struct record *r)
{
	int32_t pid;
	char comm[16];
	struct ex_oom *o = NULL;

	int crash = 0, sig = 0;

	if (!r->text)
		return;
	if (!exits_parse_oom_line(r->text, &pid, comm, sizeof(comm))) {
		if (!exits_parse_crash_line(r->text, &pid, comm, sizeof(comm), &sig))
			return;
		crash = 1;
	}
	for (size_t i = 0; i < x->nooms; i++)
		if (x->ooms[i].pid == pid && x->ooms[i].crash == crash &&
		    r->t_ns - x->ooms[i].t_ns < 5 * NS_PER_S)
			o = &x->ooms[i];
	if (!o) {
		if (x->nooms == x->oomcap) {
			size_t cap = x->oomcap ? x->oomcap * 2 : 16;
			struct ex_oom *n = realloc(x->ooms, cap * sizeof(*n));
			if (!n)
				return;
			x->ooms = n;
			x->oomcap = cap;
		}
		o = &x->ooms[x->nooms++];
		memset(o, 0, sizeof(*o));
		o->pid = pid;
		o->crash = crash;
		o->t_ns = r->t_ns;
		snprintf(o->comm, sizeof(o->comm), "%s", comm);
	}
	if (sig && !o->sig)
		o->sig = sig;
	if (o->nlines < 2)
		snprintf(o->line[o->nlines++], sizeof(o->line[0]), "%.*s", (int)r->text_len,
			 r->text);
}

static void on_host(struct ex_img *x, const struct record *r)
{
	if (!(r->u.host.have & HOST_HAVE_OOM_KILL))
		return;
	if (x->have_vm && r->u.host.oom_kill > x->vm_oom_kill) {
		x->vm_moves[x->nvm % EX_VM_RING] =
		    (struct ex_vm){r->t_ns, r->u.host.oom_kill - x->vm_oom_kill};
		x->nvm++;
	}
	x->vm_oom_kill = r->u.host.oom_kill;
	x->have_vm = 1;
}

static void on_cgroup(struct ex_img *x, const struct record *r)
{
	if (!(r->u.cg.have & CG_HAVE_MEM_EVENTS))
		return;
	if (r->source == SRC_CGROUP) { /* the live process's memcg */
		struct ex_seen *s = taskmap_get(x->seen, r->key.tgid, 0);
		if (s && s->start == r->key.start_ticks) {
			s->cg_oom_kill = r->u.cg.ev_oom_kill;
			s->have_cg = 1;
			snprintf(s->cg_path, sizeof(s->cg_path), "%.*s", (int)r->text_len,
				 r->text ? r->text : "");
		}
		return;
	}
	/* The kmsg source re-read it after the process ended. */
	for (size_t i = x->nexits; i-- > x->first_pending;) {
		struct ex_exit *e = &x->exits[i];
		if (e->pid != r->key.tgid || e->final || !e->have_seen || !e->seen.have_cg)
			continue;
		e->cg_after = r->u.cg.ev_oom_kill;
		e->have_cg_after = 1;
		break;
	}
}

static void ex_consume(void *img, const struct record *r)
{
	struct ex_img *x = img;

	switch (r->kind) {
	case REC_SAMPLE:
		if (r->u.sample.scope == SCOPE_PROCESS)
			on_sample(x, r);
		break;
	case REC_GONE:
		if (r->u.sample.scope == SCOPE_PROCESS)
			on_gone(x, r);
		break;
	case REC_EXIT:
		on_exit_event(x, r);
		break;
	case REC_TASKSTATS:
		on_taskstats(x, r);
		break;
	case REC_KMSG:
		on_kmsg(x, r);
		break;
	case REC_HOST:
		on_host(x, r);
		break;
	case REC_CGROUP:
		on_cgroup(x, r);
		break;
	case REC_TICK:
		x->now_ns = r->t_ns;
		for (size_t i = x->first_pending; i < x->nexits; i++)
			if (!x->exits[i].final && !x->exits[i].group_open &&
			    r->t_ns >= exit_settle_ns(&x->exits[i]) + grace_ns(x))
				exits_classify(x, &x->exits[i]);
		while (x->first_pending < x->nexits && x->exits[x->first_pending].final)
			x->first_pending++;
		if (x->first_pending > EX_KEEP_FINAL)
			exits_trim(x);
		break;
	default:
		break;
	}
}


int exits_all_done(void *img, const int32_t *pids, int n)
{
	struct ex_img *x = img;

	for (int k = 0; k < n; k++) {
		int done = 0, pending = 0;
		for (size_t i = 0; i < x->nexits; i++)
			if (x->exits[i].pid == pids[k]) {
				done |= x->exits[i].final;
				pending |= !x->exits[i].final;
			}
		/* Neither alive nor ended: it never existed (or is a thread). */
		if (!done && !pending && !taskmap_get(x->seen, pids[k], 0))
			done = 1;
		if (!done || pending)
			return 0;
	}
	return 1;
}

const struct image_ops image_exits = {
    .name = "exits",
    .needs = 0,
    .pneeds = PF_STAT | PF_OOM_SCORE | PF_OOM_ADJ,
    .sources = 1u << SRC_CONNECTOR | 1u << SRC_TASKSTATS | 1u << SRC_KMSG | 1u << SRC_CGROUP,
    .create = ex_create,
    .consume = ex_consume,
    .report = exits_report,
    .destroy = ex_destroy,
};
