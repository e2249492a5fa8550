/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Triage facts and the plain-words diagnosis (see triage.h). Processes are
 * keyed by tgid (a process sample with a new start time resets its entry:
 * PID reuse); threads by (tid, start time) for their migration counters.
 */
#include "images/triage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/taskmap.h"

struct tthread {
	int32_t tgid;
	int have;
	uint64_t mig;
};

struct triage_facts {
	long hz;
	struct taskmap *procs;	 /* (tgid, 0) -> triage_proc */
	struct taskmap *threads; /* (tid, start) -> tthread */
};

struct triage_facts *triage_facts_new(long ticks_per_s)
{
	struct triage_facts *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->hz = ticks_per_s > 0 ? ticks_per_s : 100;
	f->procs = taskmap_new(sizeof(struct triage_proc));
	f->threads = taskmap_new(sizeof(struct tthread));
	if (!f->procs || !f->threads) {
		triage_facts_free(f);
		return NULL;
	}
	return f;
}

void triage_facts_free(struct triage_facts *f)
{
	if (!f)
		return;
	taskmap_free(f->procs);
	taskmap_free(f->threads);
	free(f);
}

static void on_process(struct triage_facts *f, const struct record *r)
{
	const struct proc_sample *s = &r->u.sample.s;
	int created;
	struct triage_proc *p = taskmap_put(f->procs, r->key.tgid, 0, &created);

	if (!p || !(s->have & PF_STAT))
		return;
	if (!created && p->start_ticks != r->key.start_ticks) {
		memset(p, 0, sizeof(*p));
		created = 1;
	}
	if (created) {
		p->tgid = r->key.tgid;
		p->start_ticks = r->key.start_ticks;
		p->t0 = r->t_ns;
		p->utime0 = s->utime;
		p->stime0 = s->stime;
	}
	memcpy(p->comm, r->comm, sizeof(p->comm));
	p->comm[sizeof(p->comm) - 1] = '\0';
	p->t1 = r->t_ns;
	p->utime1 = s->utime;
	p->stime1 = s->stime;
	if (s->have & PF_STATUS) {
		if (!p->have_status) {
			p->vcs0 = s->vol_ctxt;
			p->ivcs0 = s->invol_ctxt;
			p->have_status = 1;
		}
		p->vcs1 = s->vol_ctxt;
		p->ivcs1 = s->invol_ctxt;
	}
}

static void add_where(struct triage_proc *p, const char *what)
{
	int i;

	for (i = 0; i < TRIAGE_WHERE && p->where[i].count; i++)
		if (strcmp(p->where[i].what, what) == 0) {
			p->where[i].count++;
			return;
		}
	if (i == TRIAGE_WHERE)
		return; /* the rare ones are not kept */
	snprintf(p->where[i].what, sizeof(p->where[i].what), "%s", what);
	p->where[i].count = 1;
}

static void on_thread(struct triage_facts *f, const struct record *r)
{
	const struct proc_sample *s = &r->u.sample.s;
	struct triage_proc *p = taskmap_get(f->procs, r->key.tgid, 0);
	char what[48];

	if (s->sched_have & SCHED_HAVE_MIGRATIONS) {
		struct tthread *t = taskmap_put(f->threads, r->key.tid, r->key.start_ticks, NULL);
		if (t) {
			if (t->have && s->nr_migrations > t->mig && p)
				p->mig += s->nr_migrations - t->mig;
			t->have = 1;
			t->mig = s->nr_migrations;
		}
	}
	if (!p || !(s->have & PF_STAT))
		return;
	p->thread_samples++;
	if (s->state == 'R') {
		p->running_samples++;
		add_where(p, "running");
		return;
	}
	if ((s->have & PF_WCHAN) && s->wchan[0] && strcmp(s->wchan, "0") != 0)
		snprintf(what, sizeof(what), "%s in %.30s",
			 s->state == 'D' ? "blocked" : "sleeping", s->wchan);
	else if ((s->have & PF_SYSCALL) && s->syscall_nr >= 0)
		snprintf(what, sizeof(what), "%s in syscall %d",
			 s->state == 'D' ? "blocked" : "sleeping", s->syscall_nr);
	else
		snprintf(what, sizeof(what), "%s", s->state == 'D' ? "blocked (D)" : "sleeping");
	add_where(p, what);
}

void triage_facts_consume(void *facts, const struct record *r)
{
	struct triage_facts *f = facts;

	if (r->kind == REC_SAMPLE) {
		if (r->u.sample.scope == SCOPE_PROCESS)
			on_process(f, r);
		else
			on_thread(f, r);
	} else if (r->kind == REC_GONE && r->u.sample.scope == SCOPE_PROCESS) {
		struct triage_proc *p = taskmap_get(f->procs, r->key.tgid, 0);
		if (p && p->start_ticks == r->key.start_ticks)
			p->gone = 1;
	}
}

const struct triage_proc *triage_facts_get(const struct triage_facts *f, int32_t tgid)
{
	return f ? taskmap_get(f->procs, tgid, 0) : NULL;
}

double triage_cpu_pct(const struct triage_facts *f, const struct triage_proc *p)
{
	if (!p || p->t1 <= p->t0)
		return 0;
	double ticks = (double)(p->utime1 - p->utime0 + p->stime1 - p->stime0);
	return 100.0 * ticks / (double)f->hz / ((double)(p->t1 - p->t0) / 1e9);
}

double triage_sys_share_pct(const struct triage_proc *p)
{
	uint64_t u = p->utime1 - p->utime0, s = p->stime1 - p->stime0;

	return u + s ? 100.0 * (double)s / (double)(u + s) : 0;
}

const struct triage_where *triage_top_where(const struct triage_proc *p, double *pct)
{
	const struct triage_where *best = NULL;

	for (int i = 0; i < TRIAGE_WHERE && p->where[i].count; i++)
		if (!best || p->where[i].count > best->count)
			best = &p->where[i];
	*pct = best && p->thread_samples ? 100.0 * best->count / (double)p->thread_samples : 0;
	return best;
}

#define ADD(...)                                                                                   \
	do {                                                                                       \
		if (n < len)                                                                       \
			n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__);                      \
	} while (0)

size_t triage_diagnose(char *buf, size_t len, const struct sched_offender *o,
		       const struct triage_facts *scan, const struct triage_facts *deep,
		       uint64_t threshold_ns)
{
	const struct triage_proc *ps = triage_facts_get(scan, o->tgid);
	const struct triage_proc *pd = triage_facts_get(deep, o->tgid);
	size_t n = 0;

	buf[0] = '\0';
	ADD("pid %d (%s)", o->tgid, ps ? ps->comm : o->comm);
	if (o->tid != o->tgid)
		ADD(", thread %d (%s),", o->tid, o->comm);
	if (o->longest_run_ns >= threshold_ns && o->longest_run_ns)
		ADD(" held CPU %d for runs up to %.2f s (%u run%s >= %.0f ms)", o->cpu,
		    (double)o->longest_run_ns / 1e9, o->runs_over, o->runs_over == 1 ? "" : "s",
		    (double)threshold_ns / 1e6);
	else
		ADD(" was the busiest: %.0f ms on CPU, no run >= %.0f ms", (double)o->cpu_ns / 1e6,
		    (double)threshold_ns / 1e6);
	if (o->victims)
		ADD("; %u thread%s waited up to %.1f ms behind it (most: %s of pid %d)", o->victims,
		    o->victims == 1 ? "" : "s", (double)o->victim_max_wait_ns / 1e6,
		    o->top_victim_comm, o->top_victim_tgid);
	if (ps && ps->t1 > ps->t0)
		ADD("; the process used %.0f%% of one CPU, %.0f%% of it in the kernel",
		    triage_cpu_pct(scan, ps), triage_sys_share_pct(ps));
	if (pd && pd->thread_samples) {
		double pct;
		const struct triage_where *w = triage_top_where(pd, &pct);
		if (w)
			ADD("; its threads were mostly %s (%.0f%% of samples)", w->what, pct);
		if (pd->mig)
			ADD("; %llu CPU migrations", (unsigned long long)pd->mig);
		if (pd->have_status && pd->ivcs1 - pd->ivcs0 > pd->vcs1 - pd->vcs0)
			ADD("; mostly preempted (%llu involuntary vs %llu voluntary switches)",
			    (unsigned long long)(pd->ivcs1 - pd->ivcs0),
			    (unsigned long long)(pd->vcs1 - pd->vcs0));
	}
	if (o->gone || (ps && ps->gone) || (pd && pd->gone))
		ADD("; it has exited");
	ADD(".");
	return n;
}
