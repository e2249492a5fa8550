/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The resource image's hotspots: which resource of which task is abnormal,
 * against fixed thresholds (a CPU-bound task, long run-queue or I/O waits),
 * the host (share of RAM, PSI) and the run's own baseline (a steady RSS
 * slope, an interval far above the median). Each hotspot names the resource,
 * a value and a sentence with the evidence.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "images/resource.h"

/* Least-squares slope (KiB/s) and r^2 of RSS over the series. */
static int rss_trend(const struct res_task *t, double *slope, double *r2)
{
	double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;

	if (t->npts < 5)
		return 0;
	for (uint32_t i = 0; i < t->npts; i++) {
		double x = (double)(t->pts[i].t_ns + t->pts[i].dur_ns - t->pts[0].t_ns) / 1e9;
		double y = (double)t->pts[i].rss_kb;
		n++, sx += x, sy += y, sxx += x * x, sxy += x * y, syy += y * y;
	}
	double vx = n * sxx - sx * sx, vy = n * syy - sy * sy, cxy = n * sxy - sx * sy;
	if (vx <= 0 || vy <= 0)
		return 0;
	*slope = cxy / vx;
	*r2 = cxy * cxy / (vx * vy);
	return 1;
}

struct hot_ctx {
	struct out *o;
	const struct res_task *t;
	int n;
};

static void hot(struct hot_ctx *h, const char *resource, double value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void hot(struct hot_ctx *h, const char *resource, double value, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	out_obj_open(h->o, NULL);
	if (h->t) {
		out_i64(h->o, "pid", "  %lld", h->t->tgid);
		if (h->t->is_thread)
			out_i64(h->o, "tid", "/%lld", h->t->tid);
		out_str(h->o, "comm", " %s:", h->t->comm);
	} else {
		out_text(h->o, "  host:");
	}
	out_str(h->o, "resource", " [%s]", resource);
	out_f64(h->o, "value", NULL, value);
	out_str(h->o, "message", " %s\n", msg);
	out_obj_close(h->o);
	h->n++;
}

static void task_hotspots(const struct res_img *r, const struct res_task *t, struct hot_ctx *h)
{
	double secs = secs_of(t), cpu = pct(t->acc.cpu_ns, secs), slope, r2;
	double runq = rate(t->acc.wait_ns, secs) / 1e6;
	const struct res_counters *c = &t->acc;

	h->t = t;
	if (secs <= 0)
		return;
	if ((t->base & PF_SCHEDSTAT) && cpu >= 90)
		hot(h, "cpu", cpu, "CPU-bound: %.1f%% of one CPU over the run", cpu);
	if (runq >= 100 || (runq >= 10 && c->wait_ns * 4 > c->cpu_ns))
		hot(h, "cpu_wait", runq,
		    "waits for a CPU: runnable but not running %.0f ms per second (run-queue "
		    "delay; "
		    "%.0f%% of its runnable time)",
		    runq, 100.0 * (double)c->wait_ns / (double)(c->wait_ns + c->cpu_ns + 1));
	if (rss_trend(t, &slope, &r2) && slope > 0 && r2 >= 0.9 &&
	    t->rss_max_kb - t->rss_min_kb >= 1024 &&
	    t->rss_max_kb - t->rss_min_kb >= t->rss_min_kb / 10)
		hot(h, "memory", slope / 1024.0,
		    "RSS grows steadily: +%.2f MiB/s (r2 %.2f, %.1f -> %.1f MiB): a leak or an "
		    "unbounded cache",
		    slope / 1024.0, r2, t->rss_min_kb / 1024.0, t->rss_max_kb / 1024.0);
	/* rchar counts every read(): files, pipes, sockets, devices (/dev/zero);
	 * read_bytes only what storage delivered. The counters cannot say
	 * where the rest came from: say only that it was not storage. */
	if ((t->base & PF_IO) && c->rchar >= (1u << 20) && c->read_bytes * 10 < c->rchar)
		hot(h, "io_cache", (double)c->rchar / (double)(c->read_bytes + 1),
		    "reads not from storage: rchar %.1f MiB read through read calls vs %.1f MiB "
		    "from storage (the rest from the page cache, pipes, sockets or devices: "
		    "the counters do not say which)",
		    c->rchar / 1048576.0, c->read_bytes / 1048576.0);
	if (rate(c->majflt, secs) >= 10)
		hot(h, "major_faults", rate(c->majflt, secs),
		    "%.0f major faults/s: pages read from disk (mapped files or swap)",
		    rate(c->majflt, secs));
	if (resource_delay_accounted(r, t, DL_BLKIO) && rate(c->dl_ns[DL_BLKIO], secs) >= 50e6)
		hot(h, "io_wait", rate(c->dl_ns[DL_BLKIO], secs) / 1e6,
		    "waits for block I/O %.0f ms per second", rate(c->dl_ns[DL_BLKIO], secs) / 1e6);
	uint64_t mem_ns = c->dl_ns[DL_SWAPIN] + c->dl_ns[DL_FREEPAGES] + c->dl_ns[DL_THRASHING] +
			  c->dl_ns[DL_COMPACT];
	if (rate(mem_ns, secs) >= 10e6)
		hot(h, "memory_wait", rate(mem_ns, secs) / 1e6,
		    "stalls on memory (swap-in, reclaim, thrashing, compaction) %.0f ms per second",
		    rate(mem_ns, secs) / 1e6);
	if (t->vm_swap_kb)
		hot(h, "swap", t->vm_swap_kb / 1024.0, "%.1f MiB of it is swapped out",
		    t->vm_swap_kb / 1024.0);
	if (r->host.mem_total_kb && mem_pct(r, t->rss_kb) >= 50)
		hot(h, "memory", mem_pct(r, t->rss_kb), "uses %.0f%% of the host's RAM",
		    mem_pct(r, t->rss_kb));
	if (t->ncg && t->cg_last.mem_limit != UINT64_MAX && t->cg_last.mem_limit &&
	    t->cg_last.mem_usage >= t->cg_last.mem_limit / 10 * 9)
		hot(h, "cgroup_memory",
		    100.0 * (double)t->cg_last.mem_usage / (double)t->cg_last.mem_limit,
		    "its cgroup is at %.0f%% of its memory limit",
		    100.0 * (double)t->cg_last.mem_usage / (double)t->cg_last.mem_limit);
	if (t->ncg && t->cg_last.ev_oom_kill > t->cg_first.ev_oom_kill)
		hot(h, "cgroup_oom", (double)(t->cg_last.ev_oom_kill - t->cg_first.ev_oom_kill),
		    "OOM kills in its cgroup during the run: %llu",
		    (unsigned long long)(t->cg_last.ev_oom_kill - t->cg_first.ev_oom_kill));
	if (t->ncg && t->cg_last.cpu_nr_throttled > t->cg_first.cpu_nr_throttled)
		hot(h, "cgroup_cpu",
		    (double)(t->cg_last.cpu_throttled_us - t->cg_first.cpu_throttled_us) / 1e3,
		    "its cgroup was CPU-throttled %llu times (%.0f ms)",
		    (unsigned long long)(t->cg_last.cpu_nr_throttled -
					 t->cg_first.cpu_nr_throttled),
		    (double)(t->cg_last.cpu_throttled_us - t->cg_first.cpu_throttled_us) / 1e3);
	if (rate(c->ivcs, secs) >= 1000)
		hot(h, "preemption", rate(c->ivcs, secs), "preempted %.0f times per second",
		    rate(c->ivcs, secs));
}

/* Against the run's own baseline: an interval far above the median. */
static void cpu_spike(const struct res_task *t, struct hot_ctx *h)
{
	double v[RES_MAX_POINTS], med, best = 0;
	uint32_t n = t->npts, at = 0;

	if (n < 8 || !(t->base & PF_SCHEDSTAT))
		return;
	for (uint32_t i = 0; i < n; i++) {
		const struct res_point *p = &t->pts[i];
		/* a point without a CPU figure is not a zero */
		v[i] = p->dur_ns && (p->have & PF_SCHEDSTAT)
			   ? 100.0 * (double)p->cpu_ns / (double)p->dur_ns
			   : 0;
		if (v[i] > best)
			best = v[i], at = i;
	}
	double tmp[RES_MAX_POINTS];
	memcpy(tmp, v, n * sizeof(double));
	for (uint32_t i = 1; i < n; i++) /* insertion sort: n <= 240, report time only */
		for (uint32_t j = i; j > 0 && tmp[j - 1] > tmp[j]; j--) {
			double x = tmp[j];
			tmp[j] = tmp[j - 1];
			tmp[j - 1] = x;
		}
	med = tmp[n / 2];
	if (best >= 50 && best >= 3 * med + 10)
		hot(h, "cpu_spike", best,
		    "CPU spike: %.0f%% in one interval (t=+%.2f s) against a median of %.0f%%",
		    best, (double)(t->pts[at].t_ns - t->pts[0].t_ns) / 1e9, med);
}

static void host_hotspots(const struct res_img *r, struct hot_ctx *h)
{
	static const char *const names[PSI_COUNT] = {"cpu", "memory", "io"};

	h->t = NULL;
	if (!(r->host_have & HOST_HAVE_PSI))
		return;
	for (int i = 0; i < PSI_COUNT; i++)
		if (r->host.psi[i].some_avg10_x100 >= 1000)
			hot(h, names[i], r->host.psi[i].some_avg10_x100 / 100.0,
			    "host %s pressure: some tasks stalled %.1f%% of the last 10 s",
			    names[i], r->host.psi[i].some_avg10_x100 / 100.0);
}

void resource_hotspots(const struct res_img *r, struct res_task *const *v, size_t n, struct out *o)
{
	struct hot_ctx h = {.o = o};

	out_arr_open(o, "hotspots");
	out_text(o, "\nhotspots:\n");
	host_hotspots(r, &h);
	for (size_t i = 0; i < n; i++) {
		task_hotspots(r, v[i], &h);
		cpu_spike(v[i], &h);
	}
	if (!h.n)
		out_text(o,
			 "  none: nothing stands out against the host or the run's own baseline\n");
	out_arr_close(o);
}
