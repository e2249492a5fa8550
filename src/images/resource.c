/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The resource image: per process (and per thread with --threads) CPU,
 * memory, faults, I/O, context switches, delay accounting and cgroup figures,
 * as a time series and a summary. This file consumes records; the report and
 * the hotspots are in resource_report.c.
 *
 * Where each figure comes from (all kernel counters, read every interval):
 *  - CPU time: per-thread schedstat ns summed per process (exact ns); the
 *    user/system split from stat ticks (USER_HZ resolution).
 *  - faults, user/system ticks: process stat (includes dead threads).
 *  - I/O: per-thread task/<tid>/io summed (the process io file also counts
 *    reaped children, which would charge a shell with its children's I/O).
 *  - context switches and delays: taskstats (TGID for a process, PID for a
 *    thread); without taskstats, switches of the leader thread from status.
 *  - memory, threads, fds: process status and fd/.
 */
#include "images/resource.h"

#include <stdlib.h>
#include <string.h>

static void *res_create(const struct image_params *p)
{
	struct res_img *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->p = *p;
	r->procs = taskmap_new(sizeof(struct res_task));
	r->threads = taskmap_new(sizeof(struct res_task));
	r->tid_start = taskmap_new(sizeof(uint64_t));
	if (!r->procs || !r->threads || !r->tid_start) {
		taskmap_free(r->procs);
		taskmap_free(r->threads);
		taskmap_free(r->tid_start);
		free(r);
		return NULL;
	}
	return r;
}

static uint64_t dlt(uint64_t a, uint64_t b)
{
	return b > a ? b - a : 0;
}

/* The families of s that have a baseline in prev: a delta is taken only
 * between two reads of the same file (an idle-tier read of a thread brings
 * its schedstat alone; its io must not count from 0). */
static uint32_t paired(const struct proc_sample *prev, const struct proc_sample *s)
{
	return s->have & prev->have;
}

/* Add the growth of the schedstat, status and io counters from prev to s. */
static void add_thread_deltas(struct res_counters *c, const struct proc_sample *prev,
			      const struct proc_sample *s, uint32_t pf)
{
	if (pf & PF_SCHEDSTAT) {
		c->cpu_ns += dlt(prev->run_ns, s->run_ns);
		c->wait_ns += dlt(prev->wait_ns, s->wait_ns);
		c->slices += dlt(prev->slices, s->slices);
	}
	if (pf & PF_STATUS) {
		c->tvcs += dlt(prev->vol_ctxt, s->vol_ctxt);
		c->tivcs += dlt(prev->invol_ctxt, s->invol_ctxt);
	}
	if (pf & PF_IO) {
		c->rchar += dlt(prev->rchar, s->rchar);
		c->wchar += dlt(prev->wchar, s->wchar);
		c->syscr += dlt(prev->syscr, s->syscr);
		c->syscw += dlt(prev->syscw, s->syscw);
		c->read_bytes += dlt(prev->read_bytes, s->read_bytes);
		c->write_bytes += dlt(prev->write_bytes, s->write_bytes);
		c->cancelled += dlt(prev->cancelled_write_bytes, s->cancelled_write_bytes);
	}
}

static void add_stat_deltas(struct res_counters *c, const struct proc_sample *prev,
			    const struct proc_sample *s)
{
	c->utime += dlt(prev->utime, s->utime);
	c->stime += dlt(prev->stime, s->stime);
	c->minflt += dlt(prev->minflt, s->minflt);
	c->majflt += dlt(prev->majflt, s->majflt);
}

/* The latest value of every file s carries; the others keep theirs. */
static void merge_prev(struct proc_sample *prev, const struct proc_sample *s)
{
	if (s->have & PF_STAT) {
		prev->utime = s->utime;
		prev->stime = s->stime;
		prev->minflt = s->minflt;
		prev->majflt = s->majflt;
	}
	if (s->have & PF_SCHEDSTAT) {
		prev->run_ns = s->run_ns;
		prev->wait_ns = s->wait_ns;
		prev->slices = s->slices;
	}
	if (s->have & PF_STATUS) {
		prev->vol_ctxt = s->vol_ctxt;
		prev->invol_ctxt = s->invol_ctxt;
	}
	if (s->have & PF_IO) {
		prev->rchar = s->rchar;
		prev->wchar = s->wchar;
		prev->syscr = s->syscr;
		prev->syscw = s->syscw;
		prev->read_bytes = s->read_bytes;
		prev->write_bytes = s->write_bytes;
		prev->cancelled_write_bytes = s->cancelled_write_bytes;
	}
	prev->have |= s->have;
}

/* Memory from a thread's status (mm-wide: the same in every thread). */
static void update_status(struct res_task *t, const struct proc_sample *s)
{
	t->anon_kb = s->rss_anon_kb;
	t->file_kb = s->rss_file_kb;
	t->shmem_kb = s->rss_shmem_kb;
	t->vm_swap_kb = s->vm_swap_kb;
	if (s->vm_swap_kb > t->vm_swap_max_kb)
		t->vm_swap_max_kb = s->vm_swap_kb;
	t->hwm_kb = s->vm_hwm_kb;
	t->status_have = s->status_have;
	t->status_seen = 1;
}

/* RSS, size, threads and fds from the process's stat and fd/. */
static void update_gauges(struct res_img *r, struct res_task *t, const struct proc_sample *s)
{
	if (s->have & PF_STAT) {
		uint64_t kb = (uint64_t)(s->rss_pages > 0 ? s->rss_pages : 0) *
			      (uint64_t)(r->p.page_size > 0 ? r->p.page_size : 4096) / 1024;
		t->rss_kb = kb;
		if (!t->rss_n || kb < t->rss_min_kb)
			t->rss_min_kb = kb;
		if (kb > t->rss_max_kb)
			t->rss_max_kb = kb;
		t->rss_sum_kb += kb;
		t->rss_n++;
		t->vm_size_kb = s->vsize / 1024;
		t->threads = s->num_threads;
		if (s->num_threads > t->threads_max)
			t->threads_max = s->num_threads;
	}
	if (s->have & PF_STATUS)
		update_status(t, s);
	if (s->have & PF_FDS) {
		t->fds = s->nr_fds;
		t->fds_seen = 1;
		if (s->nr_fds > t->fds_max)
			t->fds_max = s->nr_fds;
	}
}

static struct res_task *task_put(struct res_img *r, struct taskmap *m, const struct record *rec,
				 int is_thread, int *created)
{
	struct res_task *t = taskmap_put(m, rec->key.tid, rec->key.start_ticks, created);
	uint64_t *st;

	if (!t || !*created)
		return t;
	t->tgid = rec->key.tgid;
	t->tid = rec->key.tid;
	t->start = rec->key.start_ticks;
	t->is_thread = (uint8_t)is_thread;
	t->t_first = rec->t_ns;
	t->merge = 1;
	st = taskmap_put(r->tid_start, rec->key.tid, 0, NULL);
	if (st)
		*st = rec->key.start_ticks;
	return t;
}

/* A task whose start time (stat field 22, boot-clock ticks) is after the
 * run's first tick was born during the run: all of its counters are growth
 * to count, however late a host-wide scan found it. The ticks are truncated,
 * so "after" is never a guess. (CLOCK_MONOTONIC stands in for the boot
 * clock: they differ only by time spent suspended.) 0 if not. */
static uint64_t born_in_run_ns(const struct res_img *r, uint64_t start)
{
	uint64_t hz = (uint64_t)(r->p.ticks_per_s ? r->p.ticks_per_s : 100);
	uint64_t ns = start * (1000000000ULL / hz);

	return r->t_first_tick && ns > r->t_first_tick ? ns : 0;
}

/* The task's window starts again at now: what was counted before it had a
 * baseline for every family (its threads' files came later than its stat)
 * would be rated over a window the other figures do not share. */
static void restart_window(struct res_task *t, uint64_t now)
{
	memset(&t->acc, 0, sizeof(t->acc));
	memset(&t->at_tick, 0, sizeof(t->at_tick));
	t->t_first = t->t_last = now;
	t->tick_t = 0;
	t->npts = t->pending_n = 0;
	t->merge = 1;
	t->base = t->iv_have = t->iv_late = 0;
}

static void on_process_sample(struct res_img *r, const struct record *rec)
{
	static const struct proc_sample zero;
	const struct proc_sample *s = &rec->u.sample.s;
	int created;
	struct res_task *t = task_put(r, r->procs, rec, 0, &created);

	r->cur_proc = t;
	if (!t)
		return;
	memcpy(t->comm, rec->comm, sizeof(t->comm));
	if (!created) {
		if (paired(&t->prev, s) & PF_STAT) {
			add_stat_deltas(&t->acc, &t->prev, s);
			t->base |= PF_STAT;
			t->iv_have |= PF_STAT;
		}
	} else {
		uint64_t born = born_in_run_ns(r, rec->key.start_ticks);
		if (born && born < rec->t_ns && (s->have & PF_STAT)) { /* its life is in the run */
			add_stat_deltas(&t->acc, &zero, s);
			t->t_first = born;
			t->born = 1;
			t->base |= PF_STAT;
			t->iv_have |= PF_STAT;
		}
	}
	t->nsamples++;
	/* The process's CPU ns and I/O are its threads' sums: a process sample's
	 * own schedstat (the leader's, which procfs's cheap tier attaches) must
	 * not claim ns CPU for a process whose threads were never sampled. */
	t->have |= s->have & ~(uint32_t)(PF_SCHEDSTAT | PF_IO);
	t->t_last = rec->t_ns;
	update_gauges(r, t, s);
	/* Keep the process's own schedstat/io baseline out of prev: only stat. */
	if (s->have & PF_STAT) {
		t->prev.utime = s->utime;
		t->prev.stime = s->stime;
		t->prev.minflt = s->minflt;
		t->prev.majflt = s->majflt;
		t->prev.have |= PF_STAT;
	}
}

/* A thread first seen while its process's threads were already being
 * sampled at the previous tick, and started (stat field 22, boot-clock ticks)
 * after we first sampled them, or started after the run's first tick, was
 * born during the run: all of its counters are growth to count. */
static int born_during_run(const struct res_img *r, const struct res_task *p, uint64_t start)
{
	uint64_t hz = (uint64_t)(r->p.ticks_per_s ? r->p.ticks_per_s : 100);

	return (p->thr_tick_t && p->thr_tick_t == r->t_last_tick && p->thr_first_t &&
		start * (1000000000ULL / hz) > p->thr_first_t) ||
	       born_in_run_ns(r, start);
}

static void add_to_process(struct res_counters *p, const struct res_counters *now,
			   const struct res_counters *before)
{
	p->cpu_ns += now->cpu_ns - before->cpu_ns;
	p->wait_ns += now->wait_ns - before->wait_ns;
	p->slices += now->slices - before->slices;
	p->rchar += now->rchar - before->rchar;
	p->wchar += now->wchar - before->wchar;
	p->syscr += now->syscr - before->syscr;
	p->syscw += now->syscw - before->syscw;
	p->read_bytes += now->read_bytes - before->read_bytes;
	p->write_bytes += now->write_bytes - before->write_bytes;
	p->cancelled += now->cancelled - before->cancelled;
	p->tvcs += now->tvcs - before->tvcs;
	p->tivcs += now->tivcs - before->tivcs;
}

#define THREAD_FAMILIES (PF_SCHEDSTAT | PF_IO | PF_STATUS)

static void on_thread_sample(struct res_img *r, const struct record *rec)
{
	const struct proc_sample *s = &rec->u.sample.s;
	struct res_task *p = r->cur_proc;
	int created;
	struct res_task *t;

	if (!p || p->tgid != rec->key.tgid)
		return;
	t = task_put(r, r->threads, rec, 1, &created);
	p = r->cur_proc = taskmap_get(r->procs, p->tid, p->start); /* may have moved */
	if (!t || !p)
		return;
	memcpy(t->comm, rec->comm, sizeof(t->comm));
	uint32_t pf = 0;
	if (!created)
		pf = paired(&t->prev, s);
	else if (born_during_run(r, p, rec->key.start_ticks))
		pf = s->have; /* from zero: everything it did is in the run */
	else if (!p->born && !(p->base & THREAD_FAMILIES) && rec->t_ns > p->t_first)
		restart_window(p, rec->t_ns); /* the first baseline of its threads */
	static const uint32_t fam[3] = {PF_SCHEDSTAT, PF_IO, PF_STATUS};
	for (int i = 0; i < 3; i++) {
		if (!(s->have & fam[i]))
			continue;
		if ((pf & fam[i]) && !created) {
			if (t->read_t[i] < p->tick_t)
				p->iv_late |= fam[i];
			if (t->read_t[i] < t->tick_t)
				t->iv_late |= fam[i];
		}
		t->read_t[i] = rec->t_ns;
	}
	if (pf) {
		static const struct proc_sample zero;
		struct res_counters before = t->acc;
		const struct proc_sample *base = created ? &zero : &t->prev;
		add_thread_deltas(&t->acc, base, s, pf);
		if (pf & PF_STAT)
			add_stat_deltas(&t->acc, base, s);
		add_to_process(&p->acc, &t->acc, &before);
		t->base |= pf;
		t->iv_have |= pf;
		p->base |= pf & THREAD_FAMILIES;
		p->iv_have |= pf & THREAD_FAMILIES;
	}
	if (s->have & PF_STATUS) {
		t->hot_reads++;
		p->hot_reads++;
	}
	if (!p->thr_first_t)
		p->thr_first_t = rec->t_ns;
	p->thr_tick_now = rec->t_ns;
	t->nsamples++;
	t->have |= s->have;
	p->have |= s->have & THREAD_FAMILIES;
	t->t_last = rec->t_ns;
	if (rec->t_ns > p->t_last)
		p->t_last = rec->t_ns;
	merge_prev(&t->prev, s);
	if (s->have & PF_STATUS)
		update_status(p, s);
	update_gauges(r, t, s);
	if (t->is_thread) { /* a thread's memory is its process's */
		t->rss_kb = p->rss_kb;
		t->vm_size_kb = p->vm_size_kb;
	}
}

/* Taskstats counters of one reply, by class. */
static void ts_delays(const struct rec_taskstats *ts, uint64_t ns[DL_COUNT], uint64_t cnt[DL_COUNT],
		      uint64_t max[DL_COUNT])
{
	const uint64_t v[DL_COUNT][3] = {
	    {ts->cpu_delay_ns, ts->cpu_count, ts->cpu_delay_max_ns},
	    {ts->blkio_delay_ns, ts->blkio_count, ts->blkio_delay_max_ns},
	    {ts->swapin_delay_ns, ts->swapin_count, ts->swapin_delay_max_ns},
	    {ts->freepages_delay_ns, ts->freepages_count, ts->freepages_delay_max_ns},
	    {ts->thrashing_delay_ns, ts->thrashing_count, ts->thrashing_delay_max_ns},
	    {ts->compact_delay_ns, ts->compact_count, ts->compact_delay_max_ns},
	    {ts->wpcopy_delay_ns, ts->wpcopy_count, ts->wpcopy_delay_max_ns},
	    {ts->irq_delay_ns, ts->irq_count, ts->irq_delay_max_ns},
	};
	for (int i = 0; i < DL_COUNT; i++) {
		ns[i] = v[i][0];
		cnt[i] = v[i][1];
		max[i] = v[i][2];
	}
}

/* A task cannot wait longer than the wall time that passed, per thread.
 * The kernel can add a bogus wait when kernel.task_delayacct is switched on
 * while a task is inside a wait whose start was not stamped (the wait then
 * counts from 0: the whole uptime); such a jump is dropped and counted. */
static void apply_taskstats(struct res_task *t, const struct rec_taskstats *ts, uint64_t now)
{
	uint64_t ns[DL_COUNT], cnt[DL_COUNT], max[DL_COUNT];
	uint64_t pns[DL_COUNT], pcnt[DL_COUNT], pmax[DL_COUNT];
	uint64_t bound = (now > t->ts_prev_t ? now - t->ts_prev_t : 0) *
			     (uint64_t)(t->threads_max > 1 ? t->threads_max : 1) +
			 1000000000ULL;

	ts_delays(ts, ns, cnt, max);
	if (t->nts) {
		ts_delays(&t->ts_prev, pns, pcnt, pmax);
		for (int i = 0; i < DL_COUNT; i++) {
			if (dlt(pns[i], ns[i]) > bound) {
				t->dl_glitches++;
				continue;
			}
			t->acc.dl_ns[i] += dlt(pns[i], ns[i]);
			t->acc.dl_count[i] += dlt(pcnt[i], cnt[i]);
		}
		t->acc.vcs += dlt(t->ts_prev.nvcsw, ts->nvcsw);
		t->acc.ivcs += dlt(t->ts_prev.nivcsw, ts->nivcsw);
	}
	for (int i = 0; i < DL_COUNT; i++)
		if (max[i] > t->dl_max_ns[i] &&
		    max[i] < 3600 * 1000000000ULL) /* same bogus waits */
			t->dl_max_ns[i] = max[i];
	t->ts_prev_t = now;
	t->ts_have = ts->have | 0x80000000u; /* high bit: some reply was seen */
	t->ts_prev = *ts;
	t->nts++;
}

/* USER_HZ ticks of a taskstats us figure. */
static uint64_t us_to_ticks(const struct res_img *r, uint64_t us)
{
	return us * (uint64_t)(r->p.ticks_per_s ? r->p.ticks_per_s : 100) / 1000000;
}

/* The exit record of a process's only thread (or of the thread a -p TID
 * chose) carries its lifetime on-CPU ns: cpu_run_virtual_total is the
 * sum_exec_runtime schedstat shows (cpu_run_real_total is utime + stime,
 * tick-sampled), and ac_utime/ac_stime its split. The CPU it used after our
 * last sample of it is counted, and its row lasts until its exit. */
static void add_exit_cpu(struct res_img *r, struct res_task *p, const struct record *rec,
			 uint64_t start)
{
	const struct rec_taskstats *ts = &rec->u.ts;
	struct res_task *th = taskmap_get(r->threads, rec->key.tid, start);
	uint64_t grow, ut, st;

	/* the record is a second read of the counter its thread's schedstat
	 * was the first of: a window, even when it was read only once */
	if (!th || !(th->prev.have & PF_SCHEDSTAT))
		return;
	if (ts->cpu_run_virtual_ns <= th->prev.run_ns)
		return;
	grow = ts->cpu_run_virtual_ns - th->prev.run_ns;
	th->acc.cpu_ns += grow;
	th->prev.run_ns = ts->cpu_run_virtual_ns;
	p->acc.cpu_ns += grow;
	p->exit_tail = 1;
	p->base |= PF_SCHEDSTAT;
	p->iv_have |= PF_SCHEDSTAT;
	/* the user/system split of the same tail, so that both cover one window */
	ut = us_to_ticks(r, ts->ac_utime_us);
	st = us_to_ticks(r, ts->ac_stime_us);
	if (p->prev.have & PF_STAT) {
		p->base |= PF_STAT;
		p->acc.utime += dlt(p->prev.utime, ut);
		p->acc.stime += dlt(p->prev.stime, st);
		p->acc.minflt += dlt(p->prev.minflt, ts->minflt);
		p->acc.majflt += dlt(p->prev.majflt, ts->majflt);
		if (ut > p->prev.utime)
			p->prev.utime = ut;
		if (st > p->prev.stime)
			p->prev.stime = st;
		p->iv_have |= PF_STAT;
	}
	if (rec->t_ns > p->t_last)
		p->t_last = rec->t_ns;
}

/* A process that procfs never saw (born and gone between two reads; the
 * host-wide run only): listed from its exit record, its window its life.
 * A single-thread process sends its pid record; a group sends the leader's
 * and then the group's (cpu and delays of every thread), which replaces it. */
static void list_from_exit(struct res_img *r, const struct record *rec)
{
	const struct rec_taskstats *ts = &rec->u.ts;
	int32_t tgid = ts->is_tgid ? rec->key.tgid : rec->key.tid;
	int created;
	struct res_task *t;
	uint64_t life = ts->ac_etime_us * 1000;

	if (!r->p.hostwide || !r->t_first_tick || rec->t_ns < r->t_first_tick)
		return;
	if (!ts->is_tgid && ((ts->have & TS_HAVE_TGID) ? (int32_t)ts->ac_tgid != rec->key.tid : 1))
		return; /* a thread's, or a kernel too old to say which group */
	t = taskmap_put(r->procs, tgid, 0, &created);
	if (!t)
		return;
	if (created) {
		t->tgid = t->tid = tgid;
		t->merge = 1;
		t->from_exit = 1;
		t->gone = 1;
		memcpy(t->comm, ts->comm, sizeof(t->comm) - 1);
		t->comm[sizeof(t->comm) - 1] = '\0';
	} else if (!t->from_exit) {
		return;
	}
	if (ts->is_tgid || created) {
		/* its life, up to the exit; not before the run's start */
		t->t_last = rec->t_ns;
		t->t_first =
		    life && life < rec->t_ns - r->t_first_tick ? rec->t_ns - life : r->t_first_tick;
		t->acc.cpu_ns = ts->cpu_run_virtual_ns;
		if (!ts->is_tgid) {
			t->acc.utime = us_to_ticks(r, ts->ac_utime_us);
			t->acc.stime = us_to_ticks(r, ts->ac_stime_us);
			t->acc.minflt = ts->minflt;
			t->acc.majflt = ts->majflt;
			t->acc.read_bytes = ts->read_bytes;
			t->acc.write_bytes = ts->write_bytes;
			t->acc.cancelled = ts->cancelled_write_bytes;
			t->base |= PF_STAT;
		} else {
			t->base &= ~(uint32_t)PF_STAT; /* the group's split is not in it */
		}
		t->base |= PF_SCHEDSTAT;
		t->iv_have = t->base;
		t->threads = t->threads_max = ts->is_tgid ? 0 : 1;
		t->rss_kb = t->rss_max_kb = t->rss_min_kb = ts->hiwater_rss_kb;
		t->nsamples = 1;
	}
	t->nts = 0; /* one record: no delta of switches or delays */
}

static void on_taskstats(struct res_img *r, const struct record *rec)
{
	const struct rec_taskstats *ts = &rec->u.ts;
	uint64_t start = rec->key.start_ticks;
	struct res_task *t;

	if (!start) { /* exit records: the start time is ours to find */
		const uint64_t *st =
		    taskmap_get(r->tid_start, ts->is_tgid ? rec->key.tgid : rec->key.tid, 0);
		if (!st) {
			if (ts->is_exit)
				list_from_exit(r, rec);
			return;
		}
		start = *st;
	}
	if (ts->is_tgid) {
		t = taskmap_get(r->procs, rec->key.tgid, start);
	} else {
		t = taskmap_get(r->threads, rec->key.tid, start);
		/* A single-threaded process's own exit record is its process total;
		 * the thread a -p TID selected is its row's whole truth. */
		struct res_task *p = taskmap_get(r->procs, rec->key.tid, start);
		int whole = p && (p->threads_max <= 1 || p->tid != p->tgid);
		if (p && ((rec->u.ts.is_exit && whole) || p->tid != p->tgid))
			apply_taskstats(p, ts, rec->t_ns);
		if (rec->u.ts.is_exit && whole) {
			add_exit_cpu(r, p, rec, start);
			p->exit_known = 1;
		}
		if (!r->p.threads)
			t = NULL; /* per-thread delays are only asked for with --threads */
	}
	if (t && ts->is_exit && ts->is_tgid)
		t->exit_known = 1;
	if (t)
		apply_taskstats(t, ts, rec->t_ns);
}

static void on_gone(struct res_img *r, const struct record *rec)
{
	struct taskmap *m = rec->u.sample.scope == SCOPE_PROCESS ? r->procs : r->threads;
	struct res_task *t = taskmap_get(m, rec->key.tid, rec->key.start_ticks);

	if (t) {
		t->gone = 1;
		if (!t->exit_known && rec->t_ns > t->t_end)
			t->t_end = rec->t_ns; /* unchanged since its last read */
	}
}

static void on_cgroup(struct res_img *r, const struct record *rec)
{
	/* keyed like the process's row: by tid, which is the tgid but for a
	 * -p TID of a non-leader thread */
	struct res_task *t = taskmap_get(r->procs, rec->key.tid, rec->key.start_ticks);
	size_t n;

	if (!t)
		return;
	if (!t->ncg++)
		t->cg_first = rec->u.cg;
	t->cg_last = rec->u.cg;
	n = rec->text && rec->text_len < sizeof(t->cg_path) ? rec->text_len
							    : sizeof(t->cg_path) - 1;
	if (rec->text) {
		memcpy(t->cg_path, rec->text, n);
		t->cg_path[n] = '\0';
	}
}

static void on_host(struct res_img *r, const struct record *rec)
{
	const struct rec_host *h = &rec->u.host;

	if (h->have & HOST_HAVE_MEM)
		r->host.mem_total_kb = h->mem_total_kb;
	if (h->have & HOST_HAVE_DELAYACCT) {
		r->host.delayacct = h->delayacct;
		r->host.delayacct_by_run = h->delayacct_by_run;
		r->host.delayacct_since_ticks = h->delayacct_since_ticks;
	}
	if (h->have & HOST_HAVE_PSI)
		memcpy(r->host.psi, h->psi, sizeof(r->host.psi));
	r->host_have |= h->have;
}

/* Fold the finished bucket into the series, halving resolution when full. */

/* Two consecutive points become one: the deltas add up. */
static void point_add_deltas(struct res_point *a, const struct res_point *b)
{
	a->cpu_ns += b->cpu_ns;
	a->wait_ns += b->wait_ns;
	a->utime += b->utime;
	a->stime += b->stime;
	a->minflt += b->minflt;
	a->majflt += b->majflt;
	a->read_bytes += b->read_bytes;
	a->write_bytes += b->write_bytes;
	a->rchar += b->rchar;
	a->wchar += b->wchar;
	a->syscr += b->syscr;
	a->syscw += b->syscw;
	a->vcs += b->vcs;
	a->ivcs += b->ivcs;
	a->blkio_delay_ns += b->blkio_delay_ns;
	a->mem_delay_ns += b->mem_delay_ns;
}

static void push_point(struct res_task *t)
{
	if (t->npts == t->cap_pts) {
		if (t->cap_pts < RES_MAX_POINTS) {
			uint32_t cap = t->cap_pts ? t->cap_pts * 2 : 16;
			struct res_point *np = realloc(
			    t->pts, (cap > RES_MAX_POINTS ? RES_MAX_POINTS : cap) * sizeof(*np));
			if (!np)
				return;
			t->pts = np;
			t->cap_pts = cap > RES_MAX_POINTS ? RES_MAX_POINTS : cap;
		} else {
			for (uint32_t i = 0; i < t->npts / 2; i++) {
				struct res_point a = t->pts[2 * i], b = t->pts[2 * i + 1];
				point_add_deltas(&a, &b);
				a.dur_ns += b.dur_ns;
				a.rss_kb = b.rss_kb;
				a.threads = b.threads;
				a.fds = b.fds;
				a.fds_seen = b.fds_seen;
				a.have &= b.have;
				t->pts[i] = a;
			}
			t->npts /= 2;
			t->merge *= 2;
		}
	}
	t->pts[t->npts++] = t->pending;
}

/* One series point per read of the task: from its previous read (or its
 * window's start) to this one, so that a delta is never divided by ticks in
 * which the task was not read (the idle tier, a tick skipped under the
 * budget): every rate of a point is over the same window. */
static void close_point(struct res_task *t, uint64_t end)
{
	struct res_point *p = &t->pending;
	const struct res_counters *a = &t->acc, *b = &t->at_tick;

	if (!t->pending_n) {
		memset(p, 0, sizeof(*p));
		p->t_ns = t->tick_t;
		p->have = ~0u;
	}
	p->dur_ns += end - t->tick_t;
	p->cpu_ns += a->cpu_ns - b->cpu_ns;
	p->wait_ns += a->wait_ns - b->wait_ns;
	p->utime += a->utime - b->utime;
	p->stime += a->stime - b->stime;
	p->minflt += a->minflt - b->minflt;
	p->majflt += a->majflt - b->majflt;
	p->read_bytes += a->read_bytes - b->read_bytes;
	p->write_bytes += a->write_bytes - b->write_bytes;
	p->rchar += a->rchar - b->rchar;
	p->wchar += a->wchar - b->wchar;
	p->syscr += a->syscr - b->syscr;
	p->syscw += a->syscw - b->syscw;
	p->vcs += t->nts ? a->vcs - b->vcs : a->tvcs - b->tvcs;
	p->ivcs += t->nts ? a->ivcs - b->ivcs : a->tivcs - b->tivcs;
	p->blkio_delay_ns += a->dl_ns[DL_BLKIO] - b->dl_ns[DL_BLKIO];
	for (int i = DL_SWAPIN; i <= DL_COMPACT; i++)
		p->mem_delay_ns += a->dl_ns[i] - b->dl_ns[i];
	p->rss_kb = t->rss_kb;
	p->threads = t->threads;
	p->fds = t->fds;
	p->fds_seen = t->fds_seen;
	p->have &= t->iv_have & ~t->iv_late;
	t->iv_have = t->iv_late = 0;
	if (++t->pending_n >= t->merge) {
		push_point(t);
		t->pending_n = 0;
	}
	t->at_tick = t->acc;
	t->tick_t = end;
}

static void on_tick(struct res_img *r, uint64_t now)
{
	struct taskmap *maps[2] = {r->procs, r->threads};
	struct res_task *t;

	if (!r->ticks++)
		r->t_first_tick = now;
	r->t_last_tick = now;
	for (int m = 0; m < (r->p.threads ? 2 : 1); m++) {
		size_t it = 0;
		while ((t = taskmap_next(maps[m], &it, NULL, NULL))) {
			if (m == 0) {
				t->thr_tick_t = t->thr_tick_now == now ? now : 0;
				if (!t->gone && !t->exit_known && now > t->t_end)
					t->t_end = now;
			}
			if (!t->tick_t) { /* the window's start */
				t->tick_t = t->t_first;
				if (t->t_last <= t->t_first) { /* a baseline only */
					t->at_tick = t->acc;
					t->iv_have = t->iv_late = 0;
					continue;
				}
				memset(&t->at_tick, 0, sizeof(t->at_tick));
			}
			if (t->t_last > t->tick_t) /* read since the last point */
				close_point(t, t->t_last);
		}
	}
	r->cur_proc = NULL;
}

static void res_consume(void *img, const struct record *rec)
{
	struct res_img *r = img;

	switch (rec->kind) {
	case REC_SAMPLE:
		if (rec->u.sample.scope == SCOPE_PROCESS)
			on_process_sample(r, rec);
		else
			on_thread_sample(r, rec);
		break;
	case REC_GONE:
		on_gone(r, rec);
		break;
	case REC_TASKSTATS:
		on_taskstats(r, rec);
		break;
	case REC_CGROUP:
		on_cgroup(r, rec);
		break;
	case REC_HOST:
		on_host(r, rec);
		break;
	case REC_TICK:
		on_tick(r, rec->t_ns);
		break;
	default:
		break;
	}
}

static void free_series(struct taskmap *m)
{
	size_t it = 0;
	struct res_task *t;

	while ((t = taskmap_next(m, &it, NULL, NULL)))
		free(t->pts);
}

static void res_report(void *img, struct out *o)
{
	resource_report(img, o);
}

static void res_destroy(void *img)
{
	struct res_img *r = img;

	free_series(r->procs);
	free_series(r->threads);
	taskmap_free(r->procs);
	taskmap_free(r->threads);
	taskmap_free(r->tid_start);
	free(r);
}

const struct image_ops image_resource = {
    .name = "resource",
    /* Per thread: on-CPU ns, I/O, and status (its memory figures are the
     * process's, its switches its own). With -a only stat is read for every
     * process, and the thread files only for processes that used CPU: a
     * process that did not run cannot have faulted, switched or done I/O. */
    .needs = PF_SCHEDSTAT | PF_IO | PF_STATUS,
    .pneeds = PF_STAT | PF_FDS,
    .hostwide_hot = 1,
    .sources = 1u << SRC_TASKSTATS | 1u << SRC_CGROUP,
    .create = res_create,
    .consume = res_consume,
    .report = res_report,
    .destroy = res_destroy,
};
