/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The keytime image: a timeline of the target processes (and, with
 * --children, their descendants): fork, clone, exec, comm, exit, uid/gid,
 * sid, ptrace and coredump events from the proc connector (exact: kernel
 * timestamps), and on-CPU / off-CPU / blocked periods from the polled
 * samples (sampled: their resolution is the interval).
 *
 * The connector reports every task on the host, so this file decides which
 * events belong to the target tree. Targets are learnt from the samples the
 * procfs source emits for them; children join through the fork events of
 * their parent. A tree member stays known after its exit (late records such
 * as an enriched exec or a taskstats exit record still attach to it) until
 * its pid is reused by a fork from outside the tree. Events of tasks not in
 * the tree go to a small ring, so a process that becomes a target a tick
 * later (--comm after an exec) still gets the events that made it one.
 */
#include "images/keytime.h"
#include "core/wait_status.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KT_RING	     1024
#define KT_RING_TEXT 512
#define KT_STACK     480
#define CLS_ON	     1
#define CLS_OFF	     2
#define CLS_MIXED    3

struct kt_member {
	uint8_t live;
	char comm[16];
};

struct kt_thread {
	int32_t tgid, tid;
	uint64_t last_t, last_run;
	uint64_t p_start, p_cpu;
	int have;
	uint8_t cls;
	char state;
	int32_t syscall;
	char wchan[48];
	char stack[KT_STACK];
	char comm[16];
};

void keytime_wait_decode(uint32_t status, struct kt_wait *w)
{
	struct wait_status d;

	wait_status_decode(status, &d); /* the one decoder (core/wait_status.h) */
	w->exited = d.exited;
	w->code = d.code;
	w->signal = d.signal;
	w->core = d.core;
}

uint32_t keytime_text_add(struct kt_img *k, const char *s, size_t len)
{
	if (k->ntext + len + 1 > k->captext) {
		size_t cap = k->captext ? k->captext * 2 : 65536;
		while (cap < k->ntext + len + 1)
			cap *= 2;
		char *nt = realloc(k->text, cap);
		if (!nt)
			return UINT32_MAX;
		k->text = nt;
		k->captext = cap;
	}
	uint32_t off = (uint32_t)k->ntext;
	memcpy(k->text + off, s, len);
	k->text[off + len] = '\0';
	k->ntext += len + 1;
	return off;
}

static struct kt_event *add_event(struct kt_img *k, const struct kt_event *e, const char *text,
				  size_t text_len)
{
	if (k->nev >= KT_MAX_EVENTS) {
		k->dropped++;
		return NULL;
	}
	if (k->nev == k->capev) {
		size_t cap = k->capev ? k->capev * 2 : 1024;
		struct kt_event *ne = realloc(k->ev, cap * sizeof(*ne));
		if (!ne) {
			k->dropped++;
			return NULL;
		}
		k->ev = ne;
		k->capev = cap;
	}
	struct kt_event *d = &k->ev[k->nev++];
	*d = *e;
	d->text_len = 0;
	d->ts = -1;
	if (text && text_len) {
		uint32_t off = keytime_text_add(k, text, text_len);
		if (off != UINT32_MAX) {
			d->text_off = off;
			d->text_len = (uint32_t)text_len;
		}
	}
	return d;
}

static void *kt_create(const struct image_params *p)
{
	struct kt_img *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->p = *p;
	if (!k->p.interval_ns)
		k->p.interval_ns = 10000000;
	k->self = (int32_t)getpid();
	k->members = taskmap_new(sizeof(struct kt_member));
	k->threads = taskmap_new(sizeof(struct kt_thread));
	k->ring = calloc(KT_RING, sizeof(*k->ring));
	k->ring_text = malloc((size_t)KT_RING * KT_RING_TEXT);
	if (!k->members || !k->threads || !k->ring || !k->ring_text) {
		taskmap_free(k->members);
		taskmap_free(k->threads);
		free(k->ring);
		free(k->ring_text);
		free(k);
		return NULL;
	}
	return k;
}

static void kt_destroy(void *img)
{
	struct kt_img *k = img;

	taskmap_free(k->members);
	taskmap_free(k->threads);
	free(k->ring);
	free(k->ring_text);
	free(k->ev);
	free(k->text);
	free(k->ts);
	free(k);
}

static struct kt_member *member(struct kt_img *k, int32_t tgid)
{
	return tgid > 0 ? taskmap_get(k->members, tgid, 0) : NULL;
}

static struct kt_member *join(struct kt_img *k, int32_t tgid, const char *comm)
{
	int created;
	struct kt_member *m = taskmap_put(k->members, tgid, 0, &created);

	if (m) {
		m->live = 1;
		if (comm && comm[0])
			memcpy(m->comm, comm, sizeof(m->comm));
	}
	return m;
}

/* Side effects of an event that belongs to the tree. */
static void apply(struct kt_img *k, const struct kt_event *e)
{
	if (e->type == KT_FORK && k->p.children)
		join(k, e->a, e->comm);
	if (e->type == KT_EXIT && !e->thread && e->tid == e->pid) {
		struct kt_member *m = member(k, e->pid);
		if (m)
			m->live = 0;
	}
	if ((e->type == KT_COMM || e->type == KT_EXEC) && e->comm[0]) {
		struct kt_member *m = member(k, e->pid);
		if (m)
			memcpy(m->comm, e->comm, sizeof(m->comm));
	}
}

static void ring_push(struct kt_img *k, const struct kt_event *e, const char *text, size_t len)
{
	size_t slot = (k->ring_head + k->ring_n) % KT_RING;

	if (k->ring_n == KT_RING) {
		slot = k->ring_head;
		k->ring_head = (k->ring_head + 1) % KT_RING;
	} else {
		k->ring_n++;
	}
	k->ring[slot] = *e;
	if (len > KT_RING_TEXT)
		len = KT_RING_TEXT; /* keep whole strings: cut at a NUL below */
	if (len && text) {
		memcpy(k->ring_text + slot * KT_RING_TEXT, text, len);
		k->ring_text[slot * KT_RING_TEXT + len - 1] = '\0';
	}
	k->ring[slot].text_len = (uint32_t)len;
}

/* tgid just became a target: take its recent events (and its birth). */
static void ring_pull(struct kt_img *k, int32_t tgid)
{
	for (size_t i = 0; i < k->ring_n; i++) {
		struct kt_event *e = &k->ring[(k->ring_head + i) % KT_RING];
		if (e->type == KT_TYPE_COUNT)
			continue;
		if (!(e->type == KT_FORK && e->a == tgid) && !member(k, e->pid))
			continue;
		size_t slot = (size_t)(e - k->ring);
		if (add_event(k, e, k->ring_text + slot * KT_RING_TEXT, e->text_len))
			apply(k, e);
		e->type = KT_TYPE_COUNT; /* taken */
	}
}

/* A connector (or fallback) record as an event; 0 if it is not one. */
static int event_from_record(const struct kt_img *k, const struct record *r, struct kt_event *e)
{
	static const uint16_t map[REC_KIND_COUNT] = {
	    [REC_FORK] = KT_FORK + 1,	      [REC_CLONE] = KT_CLONE + 1,
	    [REC_EXEC] = KT_EXEC + 1,	      [REC_EXIT] = KT_EXIT + 1,
	    [REC_COMM] = KT_COMM + 1,	      [REC_UID] = KT_UID + 1,
	    [REC_SID] = KT_SID + 1,	      [REC_PTRACE] = KT_PTRACE + 1,
	    [REC_COREDUMP] = KT_COREDUMP + 1,
	};
	const struct kt_member *m;

	if (r->kind >= REC_KIND_COUNT || !map[r->kind])
		return 0;
	memset(e, 0, sizeof(*e));
	e->type = (uint16_t)(map[r->kind] - 1);
	e->t_ns = r->t_ns;
	e->pid = r->key.tgid;
	e->tid = r->key.tid;
	e->cpu = r->cpu;
	e->sampled = r->source != SRC_CONNECTOR;
	e->syscall = SAMPLE_SYSCALL_NONE;
	e->ts = -1;
	switch (r->kind) {
	case REC_FORK:
	case REC_CLONE:
		e->a = r->u.fork.child_tgid;
		e->b = r->u.fork.child_tid;
		break;
	case REC_EXIT:
		e->status = r->u.exit.status;
		e->sig = r->u.exit.exit_signal;
		e->thread = r->u.exit.is_thread;
		break;
	case REC_UID:
		if (r->u.id.which == 'g')
			e->type = KT_GID;
		/* fallthrough */
	case REC_PTRACE:
		e->a = (int32_t)r->u.id.a;
		e->b = (int32_t)r->u.id.b;
		e->state = r->u.id.which;
		break;
	}
	if (r->comm[0])
		memcpy(e->comm, r->comm, sizeof(e->comm));
	else if ((m = taskmap_get(k->members, e->pid, 0)) != NULL)
		memcpy(e->comm, m->comm, sizeof(e->comm));
	return 1;
}

/* Does the event belong to the tree? Handles pid reuse by outsiders. */
static int in_tree(struct kt_img *k, const struct kt_event *e)
{
	if (e->type == KT_FORK) {
		struct kt_member *child = member(k, e->a);
		int parent = member(k, e->pid) != NULL;
		if (child && !child->live && !parent)
			taskmap_del(k->members, e->a, 0); /* its pid went to an outsider */
		return parent;
	}
	return member(k, e->pid) != NULL;
}

/* An attach by this very procimage (the ptrace samplers: user stacks, the
 * on-CPU syscall samples, up to 50 times a second), or the detach that
 * ends one. Replayed from a store, the recording process's pid differs:
 * its events then show, as a debugger's would. */
static int own_ptrace(struct kt_img *k, const struct record *r)
{
	int32_t tid = r->key.tid;

	if (r->kind != REC_PTRACE)
		return 0;
	if (r->u.id.which == 'a') {
		if ((int32_t)r->u.id.a != k->self)
			return 0;
		for (int i = 0; i < k->nown; i++)
			if (k->own_traced[i] == tid)
				return 1;
		if (k->nown < (int)(sizeof(k->own_traced) / sizeof(k->own_traced[0])))
			k->own_traced[k->nown++] = tid;
		return 1;
	}
	for (int i = 0; i < k->nown; i++)
		if (k->own_traced[i] == tid) {
			k->own_traced[i] = k->own_traced[--k->nown];
			return 1;
		}
	return 0;
}

static void lifecycle(struct kt_img *k, const struct record *r)
{
	struct kt_event e;

	if (own_ptrace(k, r)) {
		k->own_ptrace++;
		return;
	}
	if (!event_from_record(k, r, &e))
		return;
	if (r->source == SRC_CONNECTOR)
		k->connector_seen = 1;
	if (!in_tree(k, &e)) {
		ring_push(k, &e, r->text, r->text ? r->text_len : 0);
		return;
	}
	if (add_event(k, &e, r->text, r->text ? r->text_len : 0))
		apply(k, &e);
}

/* Close a thread's current period at `end`; kept if it lasted the threshold. */
static void close_period(struct kt_img *k, struct kt_thread *th, uint64_t end, int ongoing)
{
	struct kt_event e = {0};
	char text[sizeof(th->wchan) + KT_STACK];
	size_t wl = strlen(th->wchan), sl = strlen(th->stack);

	if (!th->cls || th->cls == CLS_MIXED || end < th->p_start ||
	    end - th->p_start < k->p.threshold_ns)
		return;
	e.t_ns = th->p_start;
	e.dur_ns = end - th->p_start;
	e.cpu_ns = th->p_cpu;
	e.pid = th->tgid;
	e.tid = th->tid;
	e.cpu = -1;
	e.sampled = 1;
	e.ongoing = (uint8_t)ongoing;
	e.state = (uint8_t)th->state;
	e.syscall = th->syscall;
	memcpy(e.comm, th->comm, sizeof(e.comm));
	if (th->cls == CLS_ON) {
		e.type = KT_ONCPU;
		add_event(k, &e, NULL, 0);
		return;
	}
	e.type = th->state == 'D' || th->state == 'S' ? KT_BLOCKED : KT_OFFCPU;
	memcpy(text, th->wchan, wl + 1);
	memcpy(text + wl + 1, th->stack, sl + 1);
	add_event(k, &e, text, wl + sl + 2);
}

/* What an off-CPU period looked like: D wins over S, first wchan/stack. */
static void capture_blocked(struct kt_thread *th, const struct record *r)
{
	const struct proc_sample *s = &r->u.sample.s;

	if (!th->state || s->state == 'D')
		th->state = s->state;
	if (!th->wchan[0] && (s->have & PF_WCHAN) && s->wchan[0] && strcmp(s->wchan, "0") != 0)
		memcpy(th->wchan, s->wchan, sizeof(th->wchan));
	if (th->syscall == SAMPLE_SYSCALL_NONE && (s->have & PF_SYSCALL))
		th->syscall = s->syscall_nr;
	if (!th->stack[0] && r->text && r->text_len) {
		size_t n = r->text_len < KT_STACK - 1 ? r->text_len : KT_STACK - 1;
		memcpy(th->stack, r->text, n);
		th->stack[n] = '\0';
	}
}

static void thread_sample(struct kt_img *k, const struct record *r)
{
	const struct proc_sample *s = &r->u.sample.s;
	struct kt_thread *th = taskmap_put(k->threads, r->key.tid, r->key.start_ticks, NULL);
	uint64_t run, delta;

	if (!th)
		return;
	if (s->have & PF_SCHEDSTAT)
		run = s->run_ns;
	else
		run = (s->utime + s->stime) * 1000000000ull /
		      (uint64_t)(k->p.ticks_per_s > 0 ? k->p.ticks_per_s : 100);
	if (!th->have) {
		memcpy(th->comm, r->comm, sizeof(th->comm));
		th->have = 1;
		th->tgid = r->key.tgid;
		th->tid = r->key.tid;
		th->last_t = r->t_ns;
		th->last_run = run;
		return;
	}
	delta = run > th->last_run ? run - th->last_run : 0;
	/* On CPU: ran at least half the interval; off: did not run at all;
	 * in between (a thread that runs in short bursts, or fights for a
	 * CPU) is neither, and ends either kind of period. */
	uint64_t dt = r->t_ns > th->last_t ? r->t_ns - th->last_t : 0;
	uint8_t cls = !delta ? CLS_OFF : delta * 2 >= dt ? CLS_ON : CLS_MIXED;
	if (cls != th->cls) {
		close_period(k, th, th->last_t, 0);
		th->cls = cls;
		th->p_start = th->last_t;
		th->p_cpu = 0;
		memcpy(th->comm, r->comm, sizeof(th->comm)); /* the name during the period */
		th->state = 0;
		th->wchan[0] = th->stack[0] = '\0';
		th->syscall = SAMPLE_SYSCALL_NONE;
	}
	th->p_cpu += delta;
	if (cls == CLS_OFF)
		capture_blocked(th, r);
	th->last_t = r->t_ns;
	th->last_run = run;
}

static void on_sample(struct kt_img *k, const struct record *r)
{
	struct kt_member *m = member(k, r->key.tgid);

	if (!k->first_t)
		k->first_t = r->t_ns;
	if (r->t_ns > k->last_t)
		k->last_t = r->t_ns;
	if (!m) {
		join(k, r->key.tgid, r->key.tid == r->key.tgid ? r->comm : NULL);
		ring_pull(k, r->key.tgid);
	} else if (r->key.tid == r->key.tgid && r->comm[0]) {
		memcpy(m->comm, r->comm, sizeof(m->comm));
	}
	if (r->u.sample.scope == SCOPE_THREAD)
		thread_sample(k, r);
}

static void between_polls(struct kt_img *k, const struct record *r)
{
	const struct rec_taskstats *t = &r->u.ts;
	struct kt_event e = {0};
	const struct kt_member *pm = member(k, (int32_t)t->ac_ppid);

	e.cpu = -1;
	e.ts = -1;
	e.syscall = SAMPLE_SYSCALL_NONE;
	e.type = KT_FORK;
	e.pid = (int32_t)t->ac_ppid;
	e.tid = e.pid;
	e.a = e.b = r->key.tgid;
	e.t_ns = r->t_ns > t->ac_etime_us * 1000 ? r->t_ns - t->ac_etime_us * 1000 : r->t_ns;
	e.sampled = 1; /* its time comes from the elapsed time, not an event */
	if (pm)
		memcpy(e.comm, pm->comm, sizeof(e.comm));
	add_event(k, &e, NULL, 0);
	e.type = KT_EXIT;
	e.pid = e.tid = r->key.tgid;
	e.a = e.b = 0;
	e.t_ns = r->t_ns;
	e.status = t->exitcode;
	e.sampled = 0;
	memcpy(e.comm, r->comm, sizeof(e.comm));
	add_event(k, &e, NULL, 0);
	struct kt_member *m = join(k, r->key.tgid, r->comm);
	if (m)
		m->live = 0;
}

static void on_taskstats(struct kt_img *k, const struct record *r)
{
	const struct rec_taskstats *t = &r->u.ts;

	if (!t->is_exit || t->is_tgid)
		return;
	if (!member(k, r->key.tgid ? r->key.tgid : r->key.tid)) {
		/* A child that lived and died between two polls (no connector):
		 * the exit listener is the only witness. */
		if (!k->p.children || k->connector_seen || r->key.tid != r->key.tgid ||
		    !member(k, (int32_t)t->ac_ppid))
			return;
		between_polls(k, r);
	}
	if (k->nts == k->capts) {
		size_t cap = k->capts ? k->capts * 2 : 256;
		struct kt_ts *n = realloc(k->ts, cap * sizeof(*n));
		if (!n)
			return;
		k->ts = n;
		k->capts = cap;
	}
	k->ts[k->nts++] = (struct kt_ts){
	    .tid = r->key.tid,
	    .t_ns = r->t_ns,
	    .cpu_ns = t->cpu_run_real_ns,
	    .utime_us = t->ac_utime_us,
	    .stime_us = t->ac_stime_us,
	    .read_bytes = t->read_bytes,
	    .write_bytes = t->write_bytes,
	    .rss_hwm_kb = t->hiwater_rss_kb,
	    .exitcode = t->exitcode,
	};
	memcpy(k->ts[k->nts - 1].comm, r->comm, sizeof(r->comm));
	k->ts[k->nts - 1].comm[15] = '\0';
}

static void on_lost(struct kt_img *k, const struct record *r)
{
	struct kt_event e = {0};

	k->lost += r->u.lost.count;
	k->lost_episodes++;
	e.type = KT_LOST;
	e.t_ns = r->u.lost.since_ns ? r->u.lost.since_ns : r->t_ns;
	e.dur_ns = r->t_ns > e.t_ns ? r->t_ns - e.t_ns : 0;
	e.cpu_ns = r->u.lost.count;
	e.cpu = -1;
	e.a = r->source;
	add_event(k, &e, NULL, 0);
}

static void kt_consume(void *img, const struct record *r)
{
	struct kt_img *k = img;
	struct kt_thread *th;

	switch (r->kind) {
	case REC_SAMPLE:
		on_sample(k, r);
		break;
	case REC_GONE:
		th = taskmap_get(k->threads, r->key.tid, r->key.start_ticks);
		if (th && r->u.sample.scope == SCOPE_THREAD) {
			close_period(k, th, th->last_t, 0);
			taskmap_del(k->threads, r->key.tid, r->key.start_ticks);
		}
		break;
	case REC_TICK:
		k->ticks++;
		if (r->t_ns > k->last_t)
			k->last_t = r->t_ns;
		break;
	case REC_TASKSTATS:
		on_taskstats(k, r);
		break;
	case REC_LOST:
		on_lost(k, r);
		break;
	default:
		lifecycle(k, r);
	}
}

/* Periods still open are reported as ongoing, without closing them (a
 * diagnose-tools style --report may come again later). */
static void kt_report(void *img, struct out *o)
{
	struct kt_img *k = img;
	size_t nev = k->nev, ntext = k->ntext, it = 0;
	uint64_t dropped = k->dropped;
	struct kt_thread *th;

	while ((th = taskmap_next(k->threads, &it, NULL, NULL)))
		close_period(k, th, th->last_t, 1);
	keytime_report_out(k, o);
	k->nev = nev;
	k->ntext = ntext;
	k->dropped = dropped;
}

const struct image_ops image_keytime = {
    .name = "keytime",
    .needs = PF_STAT | PF_SCHEDSTAT | PF_WCHAN | PF_SYSCALL,
    .pneeds = PF_STAT,
    .sources = (1u << SRC_CONNECTOR) | (1u << SRC_TASKSTATS),
    .create = kt_create,
    .consume = kt_consume,
    .report = kt_report,
    .destroy = kt_destroy,
};
