/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watch: per-process metrics from records, and the rules stepped on them.
 *
 * The procfs source sends one process-scope sample per process per tick
 * (then, when a rule needs run-queue delay, one per thread); the connector
 * sends forks. Counters are kept as the previous and current cumulative
 * value; at REC_TICK every process sampled in this tick gets its metrics
 * (rates over the time between its two samples) and steps the rules. The
 * evaluation state of a process is allocated once, when it is first seen.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/watch.h"
#include "core/taskmap.h"

struct ctr {
	uint64_t cpu, cs, sc, io, majflt, runq_ns, forks;
};

struct wproc {
	int32_t tgid;
	uint64_t start;
	char comm[16];
	uint32_t gen;		  /* last tick sampled */
	uint32_t have, prev_have; /* PF_* of the current and previous sample */
	/* schedstat seen in the current and the previous sample: a run-queue
	 * wait of 0 is a reading (a task that never waited), not unknown */
	int has_prev, runq_seen, prev_runq_seen;
	uint64_t t_prev, t_cur;
	struct ctr prev, cur;
	uint64_t forks; /* connector forks so far */
	double rss, threads, fds;
	double m[M_COUNT]; /* metrics of the last tick */
	void *state;	   /* rules state block */
};

struct wmetrics {
	const struct ruleset *rs;
	struct taskmap *procs; /* key: (tgid, 0); start kept in the value */
	uint32_t gen;
	long hz, page;
	int forks_known, carry;
	struct cond_eval *ev;
	wmetrics_skip_fn skip; /* a firing not to pick (cooling down) */
	void *skip_ctx;
};

void wmetrics_set_skip(struct wmetrics *w, wmetrics_skip_fn fn, void *ctx)
{
	w->skip = fn;
	w->skip_ctx = ctx;
}

struct wmetrics *wmetrics_new(const struct ruleset *rs, long ticks_per_s, long page_size)
{
	struct wmetrics *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->hz = ticks_per_s > 0 ? ticks_per_s : 100;
	w->page = page_size > 0 ? page_size : 4096;
	w->procs = taskmap_new(sizeof(struct wproc));
	if (!w->procs || wmetrics_set_rules(w, rs)) {
		wmetrics_free(w);
		return NULL;
	}
	return w;
}

static void drop_states(struct wmetrics *w)
{
	size_t it = 0;
	struct wproc *p;

	while ((p = taskmap_next(w->procs, &it, NULL, NULL))) {
		free(p->state);
		p->state = NULL;
	}
}

void wmetrics_free(struct wmetrics *w)
{
	if (!w)
		return;
	if (w->procs) {
		drop_states(w);
		taskmap_free(w->procs);
	}
	free(w->ev);
	free(w);
}

int wmetrics_set_rules(struct wmetrics *w, const struct ruleset *rs)
{
	struct cond_eval *ev = calloc((size_t)rs->nconds + 1, sizeof(*ev));

	if (!ev)
		return -ENOMEM;
	drop_states(w);
	free(w->ev);
	w->ev = ev;
	w->rs = rs;
	return 0;
}

void wmetrics_set_forks_known(struct wmetrics *w, int known)
{
	w->forks_known = known;
}

void wmetrics_set_carry(struct wmetrics *w, int carry)
{
	w->carry = carry;
}

size_t wmetrics_count(const struct wmetrics *w)
{
	return taskmap_count(w->procs);
}

static void take_process_sample(struct wmetrics *w, const struct record *r)
{
	const struct proc_sample *s = &r->u.sample.s;
	int created;
	struct wproc *p = taskmap_put(w->procs, r->key.tgid, 0, &created);

	if (!p)
		return;
	if (!created && p->start != r->key.start_ticks) {
		free(p->state); /* the pid was reused: a new process */
		memset(p, 0, sizeof(*p));
		created = 1;
	}
	if (created) {
		p->tgid = r->key.tgid;
		p->start = r->key.start_ticks;
	}
	memcpy(p->comm, r->comm, sizeof(p->comm));
	if (p->t_cur && p->gen != w->gen + 1) {
		p->prev = p->cur;
		p->prev_have = p->have;
		p->prev_runq_seen = p->runq_seen;
		p->t_prev = p->t_cur;
		p->has_prev = 1;
	}
	p->gen = w->gen + 1;
	p->t_cur = r->t_ns;
	p->have = s->have;
	p->cur.cpu = s->utime + s->stime;
	p->cur.cs = s->vol_ctxt + s->invol_ctxt;
	p->cur.sc = s->syscr + s->syscw;
	p->cur.io = s->read_bytes + s->write_bytes;
	p->cur.majflt = s->majflt;
	p->cur.runq_ns = 0;
	p->cur.forks = p->forks;
	p->runq_seen = 0;
	p->rss = (double)s->rss_pages * (double)w->page;
	p->threads = s->num_threads;
	/* tiers: an idle group's quiet stat sample has no fd count, and its
	 * descriptors cannot have changed since the last one */
	if (s->have & PF_FDS)
		p->fds = s->nr_fds;
	else if (!w->carry || created)
		p->fds = NAN;
}

void wmetrics_consume(struct wmetrics *w, const struct record *r)
{
	struct wproc *p;

	if (r->kind == REC_SAMPLE && r->u.sample.scope == SCOPE_PROCESS) {
		take_process_sample(w, r);
	} else if (r->kind == REC_SAMPLE) {
		p = taskmap_get(w->procs, r->key.tgid, 0);
		if (p && p->gen == w->gen + 1 && (r->u.sample.s.have & PF_SCHEDSTAT)) {
			p->cur.runq_ns += r->u.sample.s.wait_ns;
			p->runq_seen = 1;
		}
	} else if (r->kind == REC_FORK && r->u.fork.child_tgid != r->u.fork.parent_tgid) {
		p = taskmap_get(w->procs, r->u.fork.parent_tgid, 0);
		if (p)
			p->forks++;
	} else if (r->kind == REC_GONE && r->u.sample.scope == SCOPE_PROCESS) {
		p = taskmap_get(w->procs, r->key.tgid, 0);
		if (p && p->start == r->key.start_ticks) {
			free(p->state);
			taskmap_del(w->procs, r->key.tgid, 0);
		}
	}
}

static double rate(uint64_t a, uint64_t b, double secs)
{
	return b >= a ? (double)(b - a) / secs : 0.0;
}

static void compute(const struct wmetrics *w, struct wproc *p, const double *host)
{
	double secs = (double)(p->t_cur - p->t_prev) / 1e9;

	for (int i = 0; i < M_COUNT; i++)
		p->m[i] = rules_metric(i)->host ? host[i] : NAN;
	p->m[M_RSS] = p->rss;
	p->m[M_THREADS] = p->threads;
	p->m[M_FDS] = p->fds;
	if (!p->has_prev || secs <= 0)
		return;
	p->m[M_CPU] = 100.0 * rate(p->prev.cpu, p->cur.cpu, secs) / (double)w->hz;
	p->m[M_MAJFLT] = rate(p->prev.majflt, p->cur.majflt, secs);
	/* a rate needs the file in both samples (the tiers read status and
	 * io only while a process is active) */
	if (p->have & p->prev_have & PF_STATUS)
		p->m[M_CS] = rate(p->prev.cs, p->cur.cs, secs);
	if (p->have & p->prev_have & PF_IO) {
		p->m[M_SYSCALLS] = rate(p->prev.sc, p->cur.sc, secs);
		p->m[M_IO] = rate(p->prev.io, p->cur.io, secs);
	}
	if (p->runq_seen && p->prev_runq_seen)
		p->m[M_RUNQ] = 100.0 * rate(p->prev.runq_ns, p->cur.runq_ns, secs) / 1e9;
	if (w->forks_known)
		p->m[M_FORKS] = rate(p->prev.forks, p->cur.forks, secs);
}

static void fill_fire(const struct wmetrics *w, const struct wproc *p, int rule, struct wfire *f)
{
	const struct rule *r = &w->rs->rules[rule];

	f->pid = p->tgid;
	f->start_ticks = p->start;
	memcpy(f->comm, p->comm, sizeof(f->comm));
	f->rule = rule;
	memcpy(f->m, p->m, sizeof(f->m));
	memcpy(f->ev, w->ev + r->first_cond, (size_t)r->nconds * sizeof(*f->ev));
}

/* Step p's rules; if one fires and beats *best, record it. */
static void step_process(struct wmetrics *w, struct wproc *p, uint64_t now, struct wfire *best,
			 int *found)
{
	int fired = 0;

	if (!p->state) {
		p->state = malloc(rules_state_size(w->rs) + 1);
		if (!p->state)
			return;
		rules_state_init(w->rs, p->state);
	}
	(void)now;
	rules_step(w->rs, p->state, p->m, p->has_prev ? p->t_cur - p->t_prev : 0, 0, w->ev);
	for (int i = 0; i < w->rs->nrules; i++) {
		if (w->rs->rules[i].host_only || !rules_fired(w->rs, i, w->ev))
			continue;
		fired = 1;
		if (w->skip && w->skip(w->skip_ctx, p->tgid, p->start, i))
			break;
		double v = w->ev[w->rs->rules[i].first_cond].value;
		if (!*found || i < best->rule || (i == best->rule && v > best->ev[0].value)) {
			fill_fire(w, p, i, best);
			*found = 1;
		}
		break;
	}
	best->nfiring += fired;
}

int wmetrics_tick(struct wmetrics *w, uint64_t now_ns, const double *host, struct wfire *out)
{
	size_t it = 0;
	struct wproc *p;
	int found = 0;

	w->gen++;
	memset(out, 0, sizeof(*out));
	while ((p = taskmap_next(w->procs, &it, NULL, NULL))) {
		if (p->gen != w->gen && w->carry && p->t_cur && now_ns > p->t_cur) {
			/* did not run since its last sample: nothing moved */
			p->prev = p->cur;
			p->prev_have = p->have;
			p->t_prev = p->t_cur;
			p->t_cur = now_ns;
			p->has_prev = 1;
			p->gen = w->gen;
		}
		if (p->gen != w->gen) {
			if (w->gen - p->gen > 3) { /* vanished without a REC_GONE */
				free(p->state);
				taskmap_del(w->procs, p->tgid, 0);
			}
			continue;
		}
		compute(w, p, host);
		step_process(w, p, now_ns, out, &found);
	}
	return found;
}

int wmetrics_top(const struct wmetrics *w, int m, struct wfire *out)
{
	size_t it = 0;
	struct wproc *p, *best = NULL;

	while ((p = taskmap_next(w->procs, &it, NULL, NULL)))
		if (p->gen == w->gen && !isnan(p->m[m]) && (!best || p->m[m] > best->m[m]))
			best = p;
	if (!best)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->pid = best->tgid;
	out->start_ticks = best->start;
	memcpy(out->comm, best->comm, sizeof(out->comm));
	memcpy(out->m, best->m, sizeof(out->m));
	return 0;
}

size_t wmetrics_topn(const struct wmetrics *w, int m, struct wtop *out, size_t n)
{
	size_t it = 0, k = 0;
	struct wproc *p;

	while (n && (p = taskmap_next(w->procs, &it, NULL, NULL))) {
		if (p->gen != w->gen || isnan(p->m[m]) || (k == n && p->m[m] <= out[k - 1].v))
			continue;
		size_t at = k < n ? k++ : n - 1; /* insertion: n is small */
		for (; at > 0 && out[at - 1].v < p->m[m]; at--)
			out[at] = out[at - 1];
		out[at].pid = p->tgid;
		memcpy(out[at].comm, p->comm, sizeof(out[at].comm));
		out[at].v = p->m[m];
	}
	return k;
}
