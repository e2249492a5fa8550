/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The sched image: long CPU occupancy runs per thread and the threads that
 * waited behind them, from per-thread schedstat deltas (on-CPU ns, run-queue
 * wait ns, timeslices) and stat field 39 (the CPU last run on). See sched.h
 * for the run rule. Victims: schedstat's run_delay grows when a queued task
 * finally gets the CPU, so a thread whose wait grew this tick on a CPU that a
 * hog held this tick or the previous one waited behind that hog.
 * Report and ranking live in sched_report.c.
 */
#include "images/sched.h"

#include <stdlib.h>
#include <string.h>

#include "core/taskmap.h"

static void *sched_create(const struct image_params *p)
{
	struct sched_img *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->p = *p;
	if (!s->p.interval_ns)
		s->p.interval_ns = 10000000ULL;
	if (!s->p.threshold_ns)
		s->p.threshold_ns = 50000000ULL;
	s->threads = taskmap_new(sizeof(struct sched_thread));
	if (!s->threads) {
		free(s);
		return NULL;
	}
	s->tick_gen = 2; /* so that "previous tick" never matches a zeroed slot */
	return s;
}

static void keep_run(struct sched_thread *th, const struct sched_run *run, uint64_t threshold)
{
	uint64_t len = run->end_ns - run->start_ns;
	int slot = th->nruns;

	if (len > th->longest_run_ns)
		th->longest_run_ns = len;
	if (len >= threshold) {
		th->runs_over++;
		th->over_ns += len;
	}
	if (slot == SCHED_KEEP_RUNS) {
		slot = 0;
		for (int i = 1; i < SCHED_KEEP_RUNS; i++)
			if (th->runs[i].end_ns - th->runs[i].start_ns <
			    th->runs[slot].end_ns - th->runs[slot].start_ns)
				slot = i;
		if (th->runs[slot].end_ns - th->runs[slot].start_ns >= len)
			return;
	} else {
		th->nruns++;
	}
	th->runs[slot] = *run;
}

static void cpu_set(uint64_t *set, int32_t cpu)
{
	if (cpu >= 0 && cpu < SCHED_MAX_CPUS)
		set[cpu / 64] |= 1ULL << (cpu % 64);
}

/* End the current run at its last confirmed sample. */
static void end_run(struct sched_img *s, struct sched_thread *th)
{
	if (!th->in_run)
		return;
	th->in_run = 0;
	if (th->confirmed.end_ns > th->confirmed.start_ns)
		keep_run(th, &th->confirmed, s->p.threshold_ns);
}

/* The first read after a gap of the idle tier, with d_run on CPU but less
 * than 90% of the gap. With no new timeslice the thread was on CPU at the
 * previous read and ran d_run from there without being switched out: that
 * stretch is exact and over. With one, it was switched in once and has run
 * d_run since without a break: a stretch ending now, exact in length (if it
 * had been on CPU at the previous read too, two stretches: the slow tier
 * reads a thread whose run time had not moved, so it was not). With more,
 * where the time lies is unknown: the run starts at this read (cut), as it
 * would without the idle tier's help. */
static void recover_run(struct sched_img *s, struct sched_thread *th, uint64_t t, uint64_t dt,
			uint64_t d_run, uint64_t d_slices)
{
	if (d_slices > 1) {
		s->runs_cut++;
		th->in_run = 1;
		th->debt_ns = 0;
		memset(&th->cur, 0, sizeof(th->cur));
		th->cur.start_ns = th->cur.end_ns = t;
		th->cur.cpu = th->cpu_now;
		th->confirmed = th->cur;
		return;
	}
	if (d_run > dt)
		d_run = dt;
	s->runs_recovered++;
	th->in_run = 1;
	th->debt_ns = 0;
	memset(&th->cur, 0, sizeof(th->cur));
	th->cur.start_ns = d_slices ? t - d_run : th->t_prev;
	th->cur.end_ns = th->cur.start_ns + d_run;
	th->cur.on_ns = d_run;
	th->cur.slices = d_slices;
	th->cur.longest_slice_ns = d_run;
	th->cur.cpu = th->cpu_now;
	cpu_set(th->cur.cpus, th->cpu_now);
	th->confirmed = th->cur;
	if (!d_slices) /* switched out before this read: the stretch is over */
		end_run(s, th);
}

/* One interval of a thread: extend, confirm or end its occupancy run. */
static void step_run(struct sched_img *s, struct sched_thread *th, uint64_t t, uint64_t dt,
		     uint64_t d_run, uint64_t d_slices)
{
	uint64_t allow = dt * (100 - SCHED_BUSY_PCT) / 100;
	uint64_t off = dt > d_run ? dt - d_run : 0;
	uint64_t surplus = d_run > dt ? d_run - dt : 0;
	uint64_t credit = allow + surplus;

	if (!th->in_run) {
		if (d_run == 0)
			return;
		/* A read after a gap of the idle tier (several intervals) that
		 * was not busy throughout: the timeslice count says where the
		 * on-CPU time lies (sched.h, "Across the idle tier"). */
		if (dt > 2 * s->p.interval_ns && off > allow) {
			recover_run(s, th, t, dt, d_run, d_slices);
			return;
		}
		th->in_run = 1;
		th->debt_ns = 0;
		memset(&th->cur, 0, sizeof(th->cur));
		th->cur.start_ns = th->cur.end_ns = th->t_prev;
		th->confirmed = th->cur;
	}
	th->debt_ns += (int64_t)off - (int64_t)credit;
	if (th->debt_ns < -(int64_t)SCHED_BANK_NS)
		th->debt_ns = -(int64_t)SCHED_BANK_NS;
	th->cur.end_ns = t;
	th->cur.on_ns += d_run;
	th->cur.slices += d_slices;
	th->cur.cpu = th->cpu_now;
	cpu_set(th->cur.cpus, th->cpu_now);
	if (th->chain_ns > th->cur.longest_slice_ns)
		th->cur.longest_slice_ns = th->chain_ns;
	/* Confirm only at busy samples: banked allowance must not stretch a run
	 * into the idle time after it. */
	if (th->debt_ns <= 0 && 2 * d_run >= dt)
		th->confirmed = th->cur;
	else if (th->debt_ns > (int64_t)(SCHED_SLACK_NS + s->p.interval_ns))
		end_run(s, th);
}

/* Mark the CPU this thread holds now, if it is hogging. */
static void mark_hog(struct sched_img *s, const struct sched_thread *th)
{
	if (!th->in_run || th->cpu_now < 0 || th->cpu_now >= SCHED_MAX_CPUS)
		return;
	if (th->cur.end_ns - th->cur.start_ns < 2 * s->p.interval_ns ||
	    th->debt_ns > (int64_t)SCHED_SLACK_NS / 2)
		return;
	s->hog_cpu[th->cpu_now].tid = th->tid;
	s->hog_cpu[th->cpu_now].start = th->start_ticks;
	s->hog_cpu[th->cpu_now].gen = s->tick_gen;
}

/* "[<0>] do_nanosleep+0x6d/0x140\n..." (innermost first) -> root-first folded. */
static void fold_stack(const char *text, char *out, size_t len)
{
	const char *frames[48];
	size_t flen[48];
	int n = 0;
	size_t off = 0;

	for (const char *p = text; *p && n < 48;) {
		const char *e = strchr(p, '\n');
		const char *f = p;
		if (!e)
			e = p + strlen(p);
		if (*f == '[') {
			const char *q = memchr(f, ']', (size_t)(e - f));
			f = q ? q + 1 : f;
		}
		while (f < e && *f == ' ')
			f++;
		const char *plus = memchr(f, '+', (size_t)(e - f));
		size_t l = (size_t)((plus ? plus : e) - f);
		if (l) {
			frames[n] = f;
			flen[n++] = l;
		}
		p = *e ? e + 1 : e;
	}
	out[0] = '\0';
	for (int i = n - 1; i >= 0; i--) {
		if (off + flen[i] + 2 >= len)
			break;
		if (off)
			out[off++] = ';';
		for (size_t k = 0; k < flen[i]; k++)
			out[off++] =
			    frames[i][k] == ';' || frames[i][k] == ' ' ? '_' : frames[i][k];
		out[off] = '\0';
	}
}

/* A thread in a run seen off CPU: where in the kernel did it pause? */
static void note_stack(struct sched_thread *th, const struct record *r)
{
	const struct proc_sample *ps = &r->u.sample.s;
	char folded[SCHED_STACK_LEN];

	if (r->text_len && r->text)
		fold_stack(r->text, folded, sizeof(folded));
	else if ((ps->have & PF_WCHAN) && ps->wchan[0] && strcmp(ps->wchan, "0") != 0)
		snprintf(folded, sizeof(folded), "%s", ps->wchan);
	else if ((ps->have & (PF_SYSCALL | PF_STACK)) && ps->state == 'R')
		snprintf(folded, sizeof(folded), "[on-cpu]");
	else
		return;
	if (!folded[0])
		return;
	for (int i = 0; i < th->nstacks; i++)
		if (strcmp(th->stacks[i].folded, folded) == 0) {
			th->stacks[i].count++;
			return;
		}
	if (th->nstacks == SCHED_KEEP_STACKS) {
		th->stack_samples_lost++;
		return;
	}
	/* allocated for the few threads seen in a run off CPU: a host of
	 * 30,000 threads must not carry 2 KiB of stacks for each */
	if (!th->stacks && !(th->stacks = calloc(SCHED_KEEP_STACKS, sizeof(*th->stacks)))) {
		th->stack_samples_lost++;
		return;
	}
	struct sched_stack *st = &th->stacks[th->nstacks++];
	snprintf(st->folded, sizeof(st->folded), "%s", folded);
	snprintf(st->wchan, sizeof(st->wchan), "%s", ps->have & PF_WCHAN ? ps->wchan : "");
	st->syscall_nr = ps->have & PF_SYSCALL ? ps->syscall_nr : SAMPLE_SYSCALL_NONE;
	st->count = 1;
}

static void rebase(struct sched_thread *th, const struct proc_sample *ps, uint64_t t)
{
	th->have_prev = 1;
	th->t_prev = t;
	th->run_prev = ps->run_ns;
	th->wait_prev = ps->wait_ns;
	th->slices_prev = ps->slices;
}

static void on_sample(struct sched_img *s, const struct record *r)
{
	const struct proc_sample *ps = &r->u.sample.s;
	struct sched_thread *th;
	int created;

	if (r->u.sample.scope != SCOPE_THREAD || !(ps->have & PF_SCHEDSTAT))
		return;
	th = taskmap_put(s->threads, r->key.tid, r->key.start_ticks, &created);
	if (!th)
		return;
	s->samples++;
	if (created) {
		th->tgid = r->key.tgid;
		th->tid = r->key.tid;
		th->start_ticks = r->key.start_ticks;
		th->first_t = r->t_ns;
	}
	if (!s->first_t)
		s->first_t = r->t_ns;
	if (r->t_ns > s->last_t)
		s->last_t = r->t_ns;
	memcpy(th->comm, r->comm, sizeof(th->comm));
	th->comm[sizeof(th->comm) - 1] = '\0';
	th->gone = 0;
	th->last_t = r->t_ns;
	th->cpu_now = (ps->have & PF_STAT) ? ps->processor : -1;
	th->d_wait = th->d_slices = 0;
	if (!th->have_prev || r->t_ns <= th->t_prev) {
		rebase(th, ps, r->t_ns);
		return;
	}
	if (ps->run_ns < th->run_prev || ps->wait_ns < th->wait_prev ||
	    ps->slices < th->slices_prev) {
		/* A counter went back: wrapped or reset. No delta this time. */
		s->wraps++;
		end_run(s, th);
		th->chain_ns = 0;
		rebase(th, ps, r->t_ns);
		return;
	}
	uint64_t dt = r->t_ns - th->t_prev;
	uint64_t d_run = ps->run_ns - th->run_prev;
	th->d_wait = ps->wait_ns - th->wait_prev;
	th->d_slices = ps->slices - th->slices_prev;
	th->cpu_ns += d_run;
	th->wait_ns += th->d_wait;
	th->slices += th->d_slices;
	th->chain_ns = th->d_slices ? 0 : th->chain_ns + d_run;
	if (th->chain_ns > th->longest_slice_ns)
		th->longest_slice_ns = th->chain_ns;
	step_run(s, th, r->t_ns, dt, d_run, th->d_slices);
	rebase(th, ps, r->t_ns);
	if (th->in_run && (ps->have & (PF_STACK | PF_WCHAN | PF_SYSCALL)))
		note_stack(th, r);
	mark_hog(s, th);
	if (th->d_wait) {
		if (s->ntouched < SCHED_TICK_TOUCHED)
			s->touched[s->ntouched++] = r->key;
		else
			s->touched_lost++;
	}
}

static void add_share(struct sched_thread *v, int32_t hog_tid, uint64_t hog_start, uint64_t w)
{
	int slot = -1;

	for (int i = 0; i < SCHED_VICTIM_HOGS; i++) {
		if (v->shares[i].wait_ns && v->shares[i].hog_tid == hog_tid &&
		    v->shares[i].hog_start == hog_start) {
			v->shares[i].wait_ns += w;
			return;
		}
		if (slot < 0 && !v->shares[i].wait_ns)
			slot = i;
	}
	if (slot < 0) { /* full: the smallest share gives way */
		slot = 0;
		for (int i = 1; i < SCHED_VICTIM_HOGS; i++)
			if (v->shares[i].wait_ns < v->shares[slot].wait_ns)
				slot = i;
		if (v->shares[slot].wait_ns > w)
			return;
	}
	v->shares[slot] = (struct sched_victim_share){hog_tid, hog_start, w};
}

/* End of a sampling pass: charge this tick's run-queue waits to the hogs. */
static void on_tick(struct sched_img *s)
{
	for (int i = 0; i < s->ntouched; i++) {
		struct sched_thread *v =
		    taskmap_get(s->threads, s->touched[i].tid, s->touched[i].start_ticks);
		if (!v || v->cpu_now < 0 || v->cpu_now >= SCHED_MAX_CPUS || !v->d_wait)
			continue;
		const struct sched_hog_slot *h = &s->hog_cpu[v->cpu_now];
		if (h->gen + 1 < s->tick_gen || h->tid == v->tid)
			continue;
		uint64_t one = v->d_slices > 1 ? v->d_wait / v->d_slices : v->d_wait;
		v->victim_wait_ns += v->d_wait;
		if (one > v->victim_max_wait_ns)
			v->victim_max_wait_ns = one;
		add_share(v, h->tid, h->start, v->d_wait);
	}
	s->ntouched = 0;
	s->tick_gen++;
}

static void sched_consume(void *img, const struct record *r)
{
	struct sched_img *s = img;

	switch (r->kind) {
	case REC_SAMPLE:
		on_sample(s, r);
		break;
	case REC_GONE:
		if (r->u.sample.scope == SCOPE_THREAD) {
			struct sched_thread *th =
			    taskmap_get(s->threads, r->key.tid, r->key.start_ticks);
			if (th) {
				end_run(s, th);
				th->gone = 1;
			}
		}
		break;
	case REC_TICK:
		on_tick(s);
		break;
	default:
		break;
	}
}

void sched_finish(struct sched_img *s)
{
	size_t it = 0;
	struct sched_thread *th;

	while ((th = taskmap_next(s->threads, &it, NULL, NULL)))
		end_run(s, th);
}

static void sched_report(void *img, struct out *o)
{
	struct sched_img *s = img;

	sched_finish(s);
	sched_report_out(s, o);
}


static void sched_destroy(void *img)
{
	struct sched_img *s = img;
	size_t it = 0;
	struct sched_thread *th;

	while ((th = taskmap_next(s->threads, &it, NULL, NULL)))
		free(th->stacks);

	taskmap_free(s->threads);
	free(s);
}

const struct image_ops image_sched = {
    .name = "sched",
    /* wchan (2 us, everyone may read it) says where a hog paused in the
     * kernel even without --stacks */
    .needs = PF_STAT | PF_SCHEDSTAT | PF_WCHAN,
    .hostwide_hot = 1,
    .create = sched_create,
    .consume = sched_consume,
    .report = sched_report,
    .destroy = sched_destroy,
};
