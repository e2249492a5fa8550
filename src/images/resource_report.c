/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The resource image's report: the host facts, one entry per task (summary,
 * delays, cgroup, series) and the hotspots, through the field API so text
 * and JSON say the same. Rates are per second of wall time between a task's
 * first and last sample; CPU % is of one CPU over wall time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "images/resource.h"

static const char *const dl_names[DL_COUNT] = {
    "cpu", "blkio", "swapin", "freepages", "thrashing", "compact", "wpcopy", "irq",
};

/* The taskstats version bit a class needs (0: every version we accept). */
static const uint32_t dl_have_bit[DL_COUNT] = {
    [DL_THRASHING] = TS_HAVE_THRASHING,
    [DL_COMPACT] = TS_HAVE_COMPACT,
    [DL_WPCOPY] = TS_HAVE_WPCOPY,
    [DL_IRQ] = TS_HAVE_IRQ,
};

/* 1: counted; 0: not accounted for this task (or no taskstats). Tasks forked
 * while kernel.task_delayacct was 0 never get I/O or reclaim delays, so a 0
 * there means "not measured", never "no delay". The CPU run-queue delay
 * comes from sched_info and is always counted. */
int resource_delay_accounted(const struct res_img *r, const struct res_task *t, int cls)
{
	if (cls == DL_CPU)
		return 1;
	if (!t->nts || (dl_have_bit[cls] && !(t->ts_have & dl_have_bit[cls])))
		return 0;
	if (t->acc.dl_count[cls])
		return 1; /* the kernel counted some: accounting is on for it */
	if (!(r->host_have & HOST_HAVE_DELAYACCT) || r->host.delayacct != 1)
		return 0;
	if (r->host.delayacct_since_ticks && t->start <= r->host.delayacct_since_ticks)
		return 0;
	return 1;
}

static void out_delay_class(const struct res_img *r, const struct res_task *t, struct out *o, int c,
			    double secs)
{
	int have_ts = t->nts > 0;
	uint64_t ns = t->acc.dl_ns[c], cnt = t->acc.dl_count[c];
	char k[3][32];

	snprintf(k[0], sizeof(k[0]), "%s_ns", dl_names[c]);
	snprintf(k[1], sizeof(k[1]), "%s_count", dl_names[c]);
	snprintf(k[2], sizeof(k[2]), "%s_max_ns", dl_names[c]);
	if (!resource_delay_accounted(r, t, c)) {
		for (int i = 0; i < 3; i++)
			out_null(o, k[i], NULL);
		out_text(o, " %s n/a;", dl_names[c]);
		return;
	}
	if (c == DL_CPU && !have_ts) { /* run-queue wait from schedstat */
		ns = t->acc.wait_ns;
		cnt = t->acc.slices;
	}
	out_u64(o, k[0], NULL, ns);
	out_u64(o, k[1], NULL, cnt);
	out_text(o, " %s %.2f ms/s (%llu", dl_names[c], rate(ns, secs) / 1e6,
		 (unsigned long long)cnt);
	if (have_ts && (t->ts_have & TS_HAVE_MAX)) {
		out_u64(o, k[2], NULL, t->dl_max_ns[c]);
		out_text(o, ", max %.2f ms", (double)t->dl_max_ns[c] / 1e6);
	} else {
		out_null(o, k[2], NULL);
	}
	out_text(o, ");");
}

static void out_delays(const struct res_img *r, const struct res_task *t, struct out *o,
		       double secs)
{
	int have_ts = t->nts > 0;

	if (!have_ts && !(t->have & PF_SCHEDSTAT)) {
		out_null(o, "delays", "    delays: none (no taskstats, no schedstat)\n");
		return;
	}
	out_obj_open(o, "delays");
	out_str(o, "source", "    delays from %s", have_ts ? "taskstats" : "schedstat");
	out_text(o, " (waits; n/a = not accounted):");
	for (int c = 0; c < DL_COUNT; c++)
		out_delay_class(r, t, o, c, secs);
	out_u64(o, "dropped_jumps", NULL, t->dl_glitches);
	if (t->dl_glitches)
		out_text(
		    o,
		    " (%u implausible jumps dropped: kernel.task_delayacct changed during a wait)",
		    t->dl_glitches);
	out_text(o, "\n");
	out_obj_close(o);
}

static void out_psi(struct out *o, const char *key, const struct rec_psi *psi)
{
	static const char *const names[PSI_COUNT] = {"cpu", "memory", "io"};

	out_obj_open(o, key);
	for (int i = 0; i < PSI_COUNT; i++) {
		out_obj_open(o, names[i]);
		out_f64(o, "some_avg10", NULL, psi[i].some_avg10_x100 / 100.0);
		out_f64(o, "full_avg10", NULL, psi[i].full_avg10_x100 / 100.0);
		out_u64(o, "some_total_us", NULL, psi[i].some_total_us);
		out_u64(o, "full_total_us", NULL, psi[i].full_total_us);
		out_obj_close(o);
		out_text(o, " %s some %.2f%% full %.2f%%;", names[i],
			 psi[i].some_avg10_x100 / 100.0, psi[i].full_avg10_x100 / 100.0);
	}
	out_obj_close(o);
}

static void out_limit(struct out *o, const char *key, const char *label, uint64_t v)
{
	if (v == UINT64_MAX) {
		out_null(o, key, NULL);
		out_text(o, " %s none;", label);
	} else {
		out_u64(o, key, NULL, v);
		out_text(o, " %s %.1f MiB;", label, (double)v / 1048576.0);
	}
}

static void out_cgroup(const struct res_task *t, struct out *o)
{
	const struct rec_cgroup *a = &t->cg_first, *b = &t->cg_last;

	if (!t->ncg) {
		out_null(o, "cgroup", NULL);
		return;
	}
	out_obj_open(o, "cgroup");
	out_str(o, "path", "    cgroup %s", t->cg_path);
	out_u64(o, "version", " (v%llu):", b->version);
	if (b->have & CG_HAVE_MEM) {
		out_limit(o, "memory_limit_bytes", "memory limit", b->mem_limit);
		if (b->version == 2)
			out_limit(o, "memory_high_bytes", "high", b->mem_high);
		out_u64(o, "memory_usage_bytes", NULL, b->mem_usage);
		out_text(o, " usage %.1f MiB;", (double)b->mem_usage / 1048576.0);
		if (b->version == 1) {
			out_u64(o, "memory_max_usage_bytes", NULL, b->mem_max_usage);
			out_u64(o, "memory_failcnt", " failcnt %llu;", b->mem_failcnt);
		}
	}
	if (b->have & CG_HAVE_MEM_EVENTS) {
		out_obj_open(o, "memory_events");
		out_text(o, " events (during the run):");
		out_u64(o, "low", NULL, b->ev_low - a->ev_low);
		out_u64(o, "high", " high %llu", b->ev_high - a->ev_high);
		out_u64(o, "max", " max %llu", b->ev_max - a->ev_max);
		out_u64(o, "oom", " oom %llu", b->ev_oom - a->ev_oom);
		out_u64(o, "oom_kill", " oom_kill %llu;", b->ev_oom_kill - a->ev_oom_kill);
		out_bool(o, "under_oom", NULL, b->under_oom);
		out_obj_close(o);
	}
	if (b->have & CG_HAVE_CPU) {
		if (b->cpu_quota_us == UINT64_MAX)
			out_null(o, "cpu_quota_us", " cpu quota none;");
		else
			out_u64(o, "cpu_quota_us", " cpu quota %llu us", b->cpu_quota_us);
		out_u64(o, "cpu_period_us", b->cpu_quota_us == UINT64_MAX ? NULL : " per %llu us;",
			b->cpu_period_us);
	}
	if (b->have & CG_HAVE_CPU_STAT) {
		out_u64(o, "cpu_nr_throttled", " throttled %llu times",
			b->cpu_nr_throttled - a->cpu_nr_throttled);
		out_u64(o, "cpu_throttled_us", " for %llu us;",
			b->cpu_throttled_us - a->cpu_throttled_us);
	}
	if (b->have & CG_HAVE_PIDS) {
		out_u64(o, "pids_current", " pids %llu", b->pids_current);
		if (b->pids_max == UINT64_MAX)
			out_null(o, "pids_max", "/max;");
		else
			out_u64(o, "pids_max", "/%llu;", b->pids_max);
	}
	if (b->have & CG_HAVE_PSI)
		out_psi(o, "psi", b->psi);
	else
		out_null(o, "psi", NULL);
	out_text(o, "\n");
	out_obj_close(o);
}

/* blk, mem: whether the task's block I/O and memory delays are accounted
 * (else null in every point, as in the summary). */
static void out_point(const struct res_img *r, const struct res_point *p, struct out *o, int blk,
		      int mem)
{
	double s = (double)p->dur_ns / 1e9,
	       hz = (double)(r->p.ticks_per_s ? r->p.ticks_per_s : 100);

	out_obj_open(o, NULL);
	out_u64(o, "t_ns", NULL, p->t_ns);
	out_f64(o, "t_s", "    %8.2f",
		r->t_first_tick && p->t_ns >= r->t_first_tick
		    ? (double)(p->t_ns - r->t_first_tick) / 1e9
		    : 0.0);
	out_f64(o, "dur_ms", NULL, (double)p->dur_ns / 1e6);
	if (p->have & (PF_SCHEDSTAT | PF_STAT))
		out_f64(o, "cpu_pct", " %6.1f",
			(p->have & PF_SCHEDSTAT) ? pct(p->cpu_ns, s)
						 : 100.0 * (double)(p->utime + p->stime) / hz / s);
	else
		out_null(o, "cpu_pct", "    n/a");
	if (p->have & PF_STAT) {
		out_f64(o, "user_pct", NULL, s > 0 ? 100.0 * (double)p->utime / hz / s : 0.0);
		out_f64(o, "sys_pct", NULL, s > 0 ? 100.0 * (double)p->stime / hz / s : 0.0);
	} else {
		out_null(o, "user_pct", NULL);
		out_null(o, "sys_pct", NULL);
	}
	out_u64(o, "rss_bytes", NULL, p->rss_kb * 1024);
	out_f64(o, "rss_mib", " %9.1f", (double)p->rss_kb / 1024.0);
	out_f64(o, "minflt_per_s", " %9.0f", rate(p->minflt, s));
	out_f64(o, "majflt_per_s", " %7.0f", rate(p->majflt, s));
	if (p->have & PF_IO) {
		out_f64(o, "read_bytes_per_s", " %10.0f", rate(p->read_bytes, s));
		out_f64(o, "write_bytes_per_s", " %10.0f", rate(p->write_bytes, s));
		out_f64(o, "rchar_per_s", NULL, rate(p->rchar, s));
		out_f64(o, "wchar_per_s", NULL, rate(p->wchar, s));
		out_f64(o, "syscr_per_s", NULL, rate(p->syscr, s));
		out_f64(o, "syscw_per_s", NULL, rate(p->syscw, s));
	} else {
		out_null(o, "read_bytes_per_s", "        n/a");
		out_null(o, "write_bytes_per_s", "        n/a");
		out_null(o, "rchar_per_s", NULL);
		out_null(o, "wchar_per_s", NULL);
		out_null(o, "syscr_per_s", NULL);
		out_null(o, "syscw_per_s", NULL);
	}
	out_f64(o, "vol_cs_per_s", " %7.0f", rate(p->vcs, s));
	out_f64(o, "invol_cs_per_s", " %7.0f", rate(p->ivcs, s));
	out_f64(o, "runq_ms_per_s", " %8.2f", rate(p->wait_ns, s) / 1e6);
	if (blk)
		out_f64(o, "blkio_delay_ms_per_s", NULL, rate(p->blkio_delay_ns, s) / 1e6);
	else
		out_null(o, "blkio_delay_ms_per_s", NULL);
	if (mem)
		out_f64(o, "mem_delay_ms_per_s", NULL, rate(p->mem_delay_ns, s) / 1e6);
	else
		out_null(o, "mem_delay_ms_per_s", NULL);
	out_i64(o, "threads", " %4lld", p->threads);
	if (p->fds_seen)
		out_i64(o, "fds", " %5lld\n", p->fds);
	else
		out_null(o, "fds", "     -\n");
	out_obj_close(o);
}

static void out_series(const struct res_img *r, const struct res_task *t, struct out *o)
{
	out_arr_open(o, "series");
	if (r->p.verbose && t->npts)
		out_text(o, "    %8s %6s %9s %9s %7s %10s %10s %7s %7s %8s %4s %5s\n", "t_s",
			 "CPU%", "RSS_MiB", "MINFLT/s", "MAJFL/s", "READ_B/s", "WRITE_B/s", "VCS/s",
			 "ICS/s", "RUNQms/s", "THR", "FDS");
	for (uint32_t i = 0; i < t->npts; i++) {
		if (!r->p.verbose && !out_is_json(o))
			break;
		out_point(r, &t->pts[i], o, resource_delay_accounted(r, t, DL_BLKIO),
			  resource_delay_accounted(r, t, DL_SWAPIN));
	}
	out_arr_close(o);
}

static void out_rates(struct out *o, const char *key, uint64_t v, double secs)
{
	char k[48];

	out_u64(o, key, NULL, v);
	snprintf(k, sizeof(k), "%s_per_s", key);
	out_f64(o, k, NULL, rate(v, secs));
}

static void out_memory(const struct res_img *r, const struct res_task *t, struct out *o)
{
	out_u64(o, "rss_bytes", NULL, t->rss_kb * 1024);
	out_u64(o, "rss_min_bytes", NULL, t->rss_min_kb * 1024);
	out_u64(o, "rss_max_bytes", NULL, t->rss_max_kb * 1024);
	out_u64(o, "rss_avg_bytes", NULL, t->rss_n ? t->rss_sum_kb * 1024 / t->rss_n : 0);
	if (t->status_seen && (t->status_have & STATUS_HAVE_RSS_SPLIT)) {
		out_u64(o, "rss_anon_bytes", NULL, t->anon_kb * 1024);
		out_u64(o, "rss_file_bytes", NULL, t->file_kb * 1024);
		out_u64(o, "rss_shmem_bytes", NULL, t->shmem_kb * 1024);
	} else {
		out_null(o, "rss_anon_bytes", NULL);
		out_null(o, "rss_file_bytes", NULL);
		out_null(o, "rss_shmem_bytes", NULL);
	}
	out_u64(o, "vm_size_bytes", NULL, t->vm_size_kb * 1024);
	if (t->status_seen) {
		out_u64(o, "vm_swap_bytes", NULL, t->vm_swap_kb * 1024);
		out_u64(o, "hwm_bytes", NULL, t->hwm_kb * 1024);
	} else { /* -a: status is read only for processes that ran */
		out_null(o, "vm_swap_bytes", NULL);
		out_null(o, "hwm_bytes", NULL);
	}
	if (r->host.mem_total_kb)
		out_f64(o, "mem_pct", NULL, mem_pct(r, t->rss_kb));
	else
		out_null(o, "mem_pct", NULL);
	out_text(o, "    memory: RSS %.1f MiB (", t->rss_kb / 1024.0);
	if (t->status_seen && (t->status_have & STATUS_HAVE_RSS_SPLIT))
		out_text(o, "anon %.1f, file %.1f, shmem %.1f; ", t->anon_kb / 1024.0,
			 t->file_kb / 1024.0, t->shmem_kb / 1024.0);
	else
		out_text(o, "anon/file/shmem n/a: status not read; ");
	out_text(o, "min %.1f max %.1f), VmSize %.1f MiB, ", t->rss_min_kb / 1024.0,
		 t->rss_max_kb / 1024.0, t->vm_size_kb / 1024.0);
	if (t->status_seen)
		out_text(o, "VmSwap %.1f MiB, HWM %.1f MiB", t->vm_swap_kb / 1024.0,
			 t->hwm_kb / 1024.0);
	else
		out_text(o, "VmSwap n/a, HWM n/a (status not read)");
	if (r->host.mem_total_kb)
		out_text(o, ", %.2f%% of host RAM", mem_pct(r, t->rss_kb));
	out_text(o, "\n");
}

/* Why a family of a task has no figure (NULL: it has one). */
static const char *unread_why(const struct res_task *t, uint32_t pf)
{
	if (t->base & pf)
		return NULL;
	if (t->from_exit)
		return "listed from its taskstats exit record, which does not carry it";
	if (pf == PF_IO && t->hot_reads && !(t->have & PF_IO))
		return "denied: task/<tid>/io needs ptrace read access";
	if (t->have & pf)
		return "read once (the idle tier did not read it again: it did not run)";
	if (t->gone)
		return "exited before its threads' files were read";
	return "not read: the idle tier reads only stat of a process that did not run";
}

static void out_io(const struct res_task *t, struct out *o, double secs)
{
	const struct res_counters *c = &t->acc;
	const char *why = unread_why(t, PF_IO);

	if (why || secs <= 0) {
		if (!why)
			why = "read once: no window to rate it over";
		out_null(o, "read_bytes", NULL);
		out_null(o, "write_bytes", NULL);
		out_str(o, "io_why", "    I/O: n/a (%s)\n", why);
		return;
	}
	out_rates(o, "read_bytes", c->read_bytes, secs);
	out_rates(o, "write_bytes", c->write_bytes, secs);
	out_u64(o, "cancelled_write_bytes", NULL, c->cancelled);
	out_rates(o, "rchar", c->rchar, secs);
	out_rates(o, "wchar", c->wchar, secs);
	out_rates(o, "syscr", c->syscr, secs);
	out_rates(o, "syscw", c->syscw, secs);
	out_text(o,
		 "    I/O: storage read %llu B (%.0f B/s) write %llu B (%.0f B/s); rchar %llu "
		 "wchar %llu; "
		 "syscr %llu (%.0f/s) syscw %llu (%.0f/s)\n",
		 (unsigned long long)c->read_bytes, rate(c->read_bytes, secs),
		 (unsigned long long)c->write_bytes, rate(c->write_bytes, secs),
		 (unsigned long long)c->rchar, (unsigned long long)c->wchar,
		 (unsigned long long)c->syscr, rate(c->syscr, secs), (unsigned long long)c->syscw,
		 rate(c->syscw, secs));
}

/* Context switches: taskstats counts the whole group (dead threads too);
 * without it, the sum over the sampled threads' status. */
static int switches(const struct res_task *t, uint64_t *v, uint64_t *iv, const char **src)
{
	if (t->nts > 1) {
		*v = t->acc.vcs, *iv = t->acc.ivcs, *src = "taskstats";
		return 1;
	}
	if (t->have & PF_STATUS) {
		*v = t->acc.tvcs, *iv = t->acc.tivcs, *src = "status_threads";
		return 1;
	}
	return 0;
}

static void out_switches(const struct res_task *t, struct out *o, double secs)
{
	uint64_t v, iv;
	const char *src;

	if (!switches(t, &v, &iv, &src)) {
		out_null(o, "vol_cs", NULL);
		out_null(o, "invol_cs", NULL);
		out_null(o, "cs_source", NULL);
		return;
	}
	out_rates(o, "vol_cs", v, secs);
	out_rates(o, "invol_cs", iv, secs);
	out_str(o, "cs_source", NULL, src);
}

/* The summary row (text) and fields (JSON) of one task. */
static void out_task(const struct res_img *r, const struct res_task *t, struct out *o, int series)
{
	double secs = secs_of(t), hz = (double)(r->p.ticks_per_s ? r->p.ticks_per_s : 100);
	double usr = secs > 0 ? 100.0 * (double)t->acc.utime / hz / secs : 0.0;
	double sys = secs > 0 ? 100.0 * (double)t->acc.stime / hz / secs : 0.0;
	int ns_cpu = (t->base & PF_SCHEDSTAT) != 0;
	int have_split = secs > 0 && (t->base & PF_STAT);
	int have_cpu = secs > 0 && (ns_cpu || have_split);
	double cpu = ns_cpu ? pct(t->acc.cpu_ns, secs) : usr + sys;
	const char *cpu_src = !have_cpu	     ? NULL
			      : t->from_exit ? "taskstats_exit"
			      : !ns_cpu	     ? "stat_ticks"
			      : t->exit_tail ? "schedstat_ns+taskstats_exit"
					     : "schedstat_ns";

	out_obj_open(o, NULL);
	out_i64(o, "pid", "%8lld", t->tgid);
	if (t->is_thread || t->tid != t->tgid) /* a thread, or the one -p TID chose */
		out_i64(o, "tid", " %7lld", t->tid);
	else
		out_text(o, " %7s", "-");
	out_str(o, "comm", " %-16s", t->comm);
	out_bool(o, "exited", NULL, t->gone);
	out_u64(o, "start_ticks", NULL, t->start);
	out_f64(o, "seen_s", NULL, secs);
	out_bool(o, "from_exit_record", NULL, t->from_exit);
	if (have_cpu) {
		out_f64(o, "cpu_pct", " %6.1f", cpu);
		out_str(o, "cpu_source", NULL, cpu_src);
		out_u64(o, "cpu_ns", NULL,
			ns_cpu ? t->acc.cpu_ns : (uint64_t)((usr + sys) / 100.0 * secs * 1e9));
	} else {
		out_null(o, "cpu_pct", "    n/a");
		out_null(o, "cpu_source", NULL);
		out_null(o, "cpu_ns", NULL);
	}
	if (have_split) {
		out_f64(o, "user_pct", " %6.1f", usr);
		out_f64(o, "sys_pct", " %6.1f", sys);
	} else {
		out_null(o, "user_pct", "    n/a");
		out_null(o, "sys_pct", "    n/a");
	}
	if (!have_cpu)
		out_str(o, "cpu_why", NULL,
			secs <= 0 ? "read once (the idle tier: not read again; it did not run when "
				    "probed)"
				  : "no CPU counter read twice");
	out_f64(o, "rss_mib", " %9.1f", t->rss_kb / 1024.0);
	out_text(o, " %5.1f", mem_pct(r, t->rss_kb));
	if (have_split) {
		out_rates(o, "minflt", t->acc.minflt, secs);
		out_rates(o, "majflt", t->acc.majflt, secs);
		out_text(o, " %9.0f %7.0f", rate(t->acc.minflt, secs), rate(t->acc.majflt, secs));
	} else {
		out_null(o, "minflt", "       n/a     n/a");
		out_null(o, "majflt", NULL);
	}
	if (secs > 0 && (t->base & PF_IO))
		out_text(o, " %10.0f %10.0f", rate(t->acc.read_bytes, secs),
			 rate(t->acc.write_bytes, secs));
	else
		out_text(o, " %10s %10s", "n/a", "n/a");
	out_switches(t, o, secs);
	uint64_t v = 0, iv = 0;
	const char *src;
	if (switches(t, &v, &iv, &src))
		out_text(o, " %7.0f %7.0f", rate(v, secs), rate(iv, secs));
	else
		out_text(o, " %7s %7s", "-", "-");
	out_u64(o, "runq_wait_ns", NULL, t->acc.wait_ns);
	out_u64(o, "runq_slices", NULL, t->acc.slices);
	out_text(o, " %8.2f", rate(t->acc.wait_ns, secs) / 1e6);
	out_i64(o, "threads", " %4lld", t->threads);
	out_i64(o, "threads_max", NULL, t->threads_max);
	if (t->fds_seen) {
		out_i64(o, "fds", " %5lld", t->fds);
		out_i64(o, "fds_max", NULL, t->fds_max);
	} else {
		out_null(o, "fds", NULL);
		out_text(o, " %5s", "-");
		out_null(o, "fds_max", NULL);
	}
	out_text(o, "%s\n",
		 t->from_exit ? "  (exited; from its exit record)"
		 : t->gone    ? "  (exited)"
			      : "");
	out_memory(r, t, o);
	out_io(t, o, secs);
	out_delays(r, t, o, secs);
	out_cgroup(t, o);
	if (series)
		out_series(r, t, o);
	else
		out_null(o, "series", NULL);
	out_obj_close(o);
}

static void out_host(const struct res_img *r, struct out *o)
{
	out_obj_open(o, "hostinfo");
	if (r->host_have & HOST_HAVE_MEM)
		out_u64(o, "mem_total_bytes", NULL, r->host.mem_total_kb * 1024),
		    out_text(o, "host RAM %.0f MiB", r->host.mem_total_kb / 1024.0);
	else
		out_null(o, "mem_total_bytes", "host RAM unknown");
	out_text(o, "; ");
	out_obj_open(o, "delayacct");
	if (!(r->host_have & HOST_HAVE_DELAYACCT)) {
		out_null(o, "sysctl", "kernel.task_delayacct unknown (no taskstats)");
		out_str(o, "note", NULL, "no taskstats: I/O and memory delays are not measured");
	} else {
		out_i64(o, "sysctl", "kernel.task_delayacct=%lld", r->host.delayacct);
		out_bool(o, "enabled_by_run", NULL, r->host.delayacct_by_run);
		if (r->host.delayacct_by_run)
			out_str(o, "note", "\n  %s\n",
				"switched on for this run (--enable-delayacct) and restored after: "
				"only tasks "
				"started after that have I/O, swap-in, reclaim, thrashing, "
				"compaction and "
				"wpcopy delays");
		else if (r->host.delayacct == 0)
			out_str(o, "note", "\n  %s\n",
				"delay accounting is off: tasks started while it is off have no "
				"I/O, swap-in, "
				"reclaim, thrashing, compaction or wpcopy delays (shown as "
				"n/a/null, not 0); "
				"the CPU run-queue delay is always measured. Use "
				"--enable-delayacct and "
				"restart the workload to see them");
		else
			out_str(o, "note", "\n  %s\n",
				"delay accounting is on (tasks started before it was switched on "
				"have no "
				"I/O or reclaim delays)");
	}
	out_obj_close(o);
	if (r->host_have & HOST_HAVE_PSI) {
		out_text(o, "  host PSI (avg10):");
		out_psi(o, "psi", r->host.psi);
		out_text(o, "\n");
	} else {
		out_null(o, "psi", NULL);
	}
	out_obj_close(o);
}

static void out_method(struct out *o)
{
	out_obj_open(o, "method");
	out_str(o, "cpu_pct", NULL,
		"exact: sum of per-thread schedstat on-CPU ns over wall time "
		"(stat ticks where schedstat is missing: cpu_source)");
	out_str(o, "user_pct", NULL, "sampled: stat utime/stime ticks (USER_HZ resolution)");
	out_str(o, "memory", NULL,
		"exact gauges read each interval (RSS from stat, the split from status); "
		"host-wide (-a) at -i >= 100ms, a single-thread process whose schedstat "
		"did not move (it did not run: no counter of it can have) is not re-read; "
		"its RSS is checked with statm every ~5 s");
	out_str(o, "io", NULL,
		"exact counters: per-thread task/<tid>/io summed (reaped children excluded)");
	out_str(o, "faults", NULL, "exact counters: process stat");
	out_str(o, "vol_cs", NULL,
		"exact counters: taskstats (whole thread group), else status of the leader thread");
	out_str(o, "delays", NULL,
		"exact counters: taskstats delay accounting; max_ns is the longest single "
		"wait in the task's lifetime; null = not accounted");
	out_str(o, "series", NULL,
		"per-interval deltas; buckets merge pairwise past 240 points; "
		"only the 100 tasks listed first (most CPU) carry one");
	out_obj_close(o);
}

static int cmp_cpu(const void *a, const void *b)
{
	const struct res_task *x = *(const struct res_task *const *)a,
			      *y = *(const struct res_task *const *)b;

	if (x->acc.cpu_ns != y->acc.cpu_ns)
		return x->acc.cpu_ns < y->acc.cpu_ns ? 1 : -1;
	return (x->tgid > y->tgid) - (x->tgid < y->tgid);
}

/* Processes by CPU, each followed (with --threads) by its threads by CPU. */
static size_t collect(struct res_img *r, struct res_task ***out)
{
	size_t np = taskmap_count(r->procs), nt = r->p.threads ? taskmap_count(r->threads) : 0;
	struct res_task **v = calloc(np + nt + 1, sizeof(*v)), **th = calloc(nt + 1, sizeof(*th)),
			*t;
	size_t it = 0, n = 0, k = 0;

	if (!v || !th) {
		free(v);
		free(th);
		*out = NULL;
		return 0;
	}
	while ((t = taskmap_next(r->procs, &it, NULL, NULL)))
		if (t->nsamples)
			v[n++] = t;
	qsort(v, n, sizeof(*v), cmp_cpu);
	it = 0;
	while (nt && (t = taskmap_next(r->threads, &it, NULL, NULL)))
		th[k++] = t;
	qsort(th, k, sizeof(*th), cmp_cpu);
	if (k) {
		struct res_task **all = calloc(n + k + 1, sizeof(*all));
		size_t m = 0;
		for (size_t i = 0; all && i < n; i++) {
			all[m++] = v[i];
			for (size_t j = 0; j < k; j++)
				if (th[j]->tgid == v[i]->tgid)
					all[m++] = th[j];
		}
		if (all) {
			free(v);
			v = all;
			n = m;
		}
	}
	free(th);
	*out = v;
	return n;
}

void resource_report(struct res_img *r, struct out *o)
{
	struct res_task **v;
	size_t n = collect(r, &v);
	size_t shown = r->p.top > 0 && (size_t)r->p.top < n ? (size_t)r->p.top : n;

	out_host(r, o);
	out_method(o);
	out_arr_open(o, "tasks");
	out_text(o, "\n%8s %7s %-16s %6s %6s %6s %9s %5s %9s %7s %10s %10s %7s %7s %8s %4s %5s\n",
		 "PID", "TID", "COMM", "CPU%", "USR%", "SYS%", "RSS_MiB", "%MEM", "MINFLT/s",
		 "MAJFL/s", "READ_B/s", "WRITE_B/s", "VCS/s", "ICS/s", "RUNQms/s", "THR", "FDS");
	for (size_t i = 0; i < shown; i++)
		out_task(r, v[i], o, i < RES_MAX_SERIES_TASKS);
	out_arr_close(o);
	resource_hotspots(r, v, n, o);
	free(v);
}
