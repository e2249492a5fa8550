/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The resource image (first cut): per target process, CPU over wall time,
 * memory, faults, I/O and context switches, from process-scope samples.
 * Rates are first-to-last deltas over the samples seen; every figure is a
 * kernel counter read at the interval (exact counters, sampled in time).
 */
#include <stdlib.h>
#include <string.h>

#include "core/taskmap.h"
#include "procimage/image.h"

struct res_task {
	int32_t tgid;
	char comm[16];
	int gone;
	uint64_t t0, t1;
	struct proc_sample first, last;
	uint64_t rss_max_kb;
};

struct res_img {
	struct image_params p;
	struct taskmap *tasks;
};

static void *res_create(const struct image_params *p)
{
	struct res_img *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->p = *p;
	r->tasks = taskmap_new(sizeof(struct res_task));
	if (!r->tasks) {
		free(r);
		return NULL;
	}
	return r;
}

static void res_consume(void *img, const struct record *rec)
{
	struct res_img *r = img;
	struct res_task *t;
	int created;

	if (rec->kind == REC_GONE && rec->u.sample.scope == SCOPE_PROCESS) {
		t = taskmap_get(r->tasks, rec->key.tid, rec->key.start_ticks);
		if (t)
			t->gone = 1;
		return;
	}
	if (rec->kind != REC_SAMPLE || rec->u.sample.scope != SCOPE_PROCESS)
		return;
	t = taskmap_put(r->tasks, rec->key.tid, rec->key.start_ticks, &created);
	if (!t)
		return;
	if (created) {
		t->tgid = rec->key.tgid;
		t->first = rec->u.sample.s;
		t->t0 = rec->t_ns;
	}
	memcpy(t->comm, rec->comm, sizeof(t->comm));
	t->last = rec->u.sample.s;
	t->t1 = rec->t_ns;
	if (t->last.vm_rss_kb > t->rss_max_kb)
		t->rss_max_kb = t->last.vm_rss_kb;
}

static uint64_t d(uint64_t a, uint64_t b)
{
	return b > a ? b - a : 0;
}

static void res_report(void *img, struct out *o)
{
	struct res_img *r = img;
	size_t it = 0;
	struct res_task *t;

	out_arr_open(o, "tasks");
	out_text(o, "%8s %-16s %7s %7s %7s %10s %9s %9s %11s %11s %8s %8s %4s %5s\n", "PID", "COMM",
		 "CPU%", "USR%", "SYS%", "RSS_KiB", "MINFLT", "MAJFLT", "READ_B", "WRITE_B", "VOLCS",
		 "INVCS", "THR", "FDS");
	while ((t = taskmap_next(r->tasks, &it, NULL, NULL))) {
		double secs = (double)(t->t1 - t->t0) / 1e9;
		double tick = 1.0 / (double)(r->p.ticks_per_s ? r->p.ticks_per_s : 100);
		double usr = secs > 0 ? 100.0 * (double)d(t->first.utime, t->last.utime) * tick / secs : 0;
		double sys = secs > 0 ? 100.0 * (double)d(t->first.stime, t->last.stime) * tick / secs : 0;
		out_obj_open(o, NULL);
		out_i64(o, "pid", "%8lld ", t->tgid);
		out_str(o, "comm", "%-16s ", t->comm);
		out_f64(o, "cpu_pct", "%7.1f ", usr + sys);
		out_f64(o, "user_pct", "%7.1f ", usr);
		out_f64(o, "sys_pct", "%7.1f ", sys);
		out_u64(o, "rss_bytes", NULL, t->last.vm_rss_kb * 1024);
		out_u64(o, "rss_kib", "%10llu ", t->last.vm_rss_kb);
		out_u64(o, "minflt", "%9llu ", d(t->first.minflt, t->last.minflt));
		out_u64(o, "majflt", "%9llu ", d(t->first.majflt, t->last.majflt));
		out_u64(o, "read_bytes", "%11llu ", d(t->first.read_bytes, t->last.read_bytes));
		out_u64(o, "write_bytes", "%11llu ", d(t->first.write_bytes, t->last.write_bytes));
		out_u64(o, "rchar", NULL, d(t->first.rchar, t->last.rchar));
		out_u64(o, "wchar", NULL, d(t->first.wchar, t->last.wchar));
		out_u64(o, "syscr", NULL, d(t->first.syscr, t->last.syscr));
		out_u64(o, "syscw", NULL, d(t->first.syscw, t->last.syscw));
		out_u64(o, "vol_cs", "%8llu ", d(t->first.vol_ctxt, t->last.vol_ctxt));
		out_u64(o, "invol_cs", "%8llu ", d(t->first.invol_ctxt, t->last.invol_ctxt));
		out_i64(o, "threads", "%4lld ", t->last.num_threads);
		out_i64(o, "fds", "%5lld", t->last.have & PF_FDS ? t->last.nr_fds : -1);
		out_null(o, "delays", NULL);
		out_bool(o, "exited", NULL, t->gone);
		out_text(o, "%s\n", t->gone ? "  (exited)" : "");
		out_obj_close(o);
	}
	out_arr_close(o);
}

static void res_destroy(void *img)
{
	struct res_img *r = img;
	taskmap_free(r->tasks);
	free(r);
}

const struct image_ops image_resource = {
	.name = "resource",
	.needs = 0,
	.pneeds = PF_STAT | PF_STATUS | PF_IO | PF_FDS,
	.sources = 1u << SRC_TASKSTATS,
	.create = res_create,
	.consume = res_consume,
	.report = res_report,
	.destroy = res_destroy,
};
