/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The migrate image: per thread, the exact number of CPU migrations (the
 * kernel's se.nr_migrations delta, /proc/<tid>/sched) and the observed
 * timeline of moves (stat field 39 changing between samples) with the task's
 * state at each move, as diagnose-tools' migrate-image records it: priority,
 * load and util averages, VmSize, read/write bytes, context switches. Plus a
 * from->to matrix, NUMA-node crossings (cpu->node map from image_params) and
 * the allowed CPU list. Sampling misses moves that return within one
 * interval: the share seen against the kernel's count says how many.
 */
#include <stdlib.h>
#include <string.h>

#include "core/taskmap.h"
#include "procimage/image.h"

#define MIG_MAX_EVENTS	20000 /* per thread; beyond, moves are only counted */
#define MIG_TEXT_EVENTS 20    /* timeline rows in text without -v */

struct mig_event {
	uint64_t t_ns;
	int32_t from, to;
	int32_t prio;
	uint8_t cross_numa;
	uint64_t load_avg, util_avg, vm_size_kb, read_bytes, write_bytes, switches;
};

struct mig_pair {
	int32_t from, to;
	uint32_t count;
};

struct mig_task {
	int32_t tgid, tid;
	char comm[16];
	int gone, have_first, have_mig;
	uint64_t first_t, last_t;
	uint64_t mig_first, mig_last;
	int32_t cpu_last;
	uint64_t observed, cross_numa, events_dropped;
	struct mig_event *ev;
	uint32_t nev, capev;
	struct mig_pair *pairs;
	uint32_t npairs, cappairs;
	uint64_t allowed[PROC_CPUSET_WORDS];
	int have_allowed;
	uint32_t allowed_changes;
};

struct mig_img {
	struct image_params p;
	struct taskmap *tasks;
	uint64_t first_t;
};

static void *mig_create(const struct image_params *p)
{
	struct mig_img *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->p = *p;
	m->tasks = taskmap_new(sizeof(struct mig_task));
	if (!m->tasks) {
		free(m);
		return NULL;
	}
	return m;
}

static int node_of(const struct mig_img *m, int32_t cpu)
{
	if (!m->p.cpu_node || cpu < 0 || cpu >= m->p.ncpu_node)
		return 0;
	return m->p.cpu_node[cpu];
}

static void add_pair(struct mig_task *t, int32_t from, int32_t to)
{
	for (uint32_t i = 0; i < t->npairs; i++)
		if (t->pairs[i].from == from && t->pairs[i].to == to) {
			t->pairs[i].count++;
			return;
		}
	if (t->npairs == t->cappairs) {
		uint32_t cap = t->cappairs ? t->cappairs * 2 : 8;
		struct mig_pair *np = realloc(t->pairs, cap * sizeof(*np));
		if (!np)
			return;
		t->pairs = np;
		t->cappairs = cap;
	}
	t->pairs[t->npairs++] = (struct mig_pair){from, to, 1};
}

/* The state of the task at a move, from whatever files were read. */
static void add_event(struct mig_img *m, struct mig_task *t, const struct proc_sample *s,
		      uint64_t now, int32_t from, int32_t to)
{
	struct mig_event *e;

	if (t->nev == t->capev) {
		uint32_t cap = t->capev ? t->capev * 2 : 64;
		struct mig_event *ne =
		    cap <= MIG_MAX_EVENTS ? realloc(t->ev, cap * sizeof(*ne)) : NULL;
		if (!ne) {
			t->events_dropped++;
			return;
		}
		t->ev = ne;
		t->capev = cap;
	}
	e = &t->ev[t->nev++];
	memset(e, 0, sizeof(*e));
	e->t_ns = now;
	e->from = from;
	e->to = to;
	e->cross_numa = node_of(m, from) != node_of(m, to);
	e->prio = (s->have & PF_SCHED) ? s->sched_prio : s->priority + 100;
	e->load_avg = s->load_avg;
	e->util_avg = s->util_avg;
	e->vm_size_kb = s->vm_size_kb;
	e->read_bytes = s->read_bytes;
	e->write_bytes = s->write_bytes;
	e->switches =
	    (s->sched_have & SCHED_HAVE_SWITCHES) ? s->nr_switches : s->vol_ctxt + s->invol_ctxt;
}

static void on_sample(struct mig_img *m, const struct record *r)
{
	const struct proc_sample *s = &r->u.sample.s;
	struct mig_task *t;
	int created;

	if (r->u.sample.scope != SCOPE_THREAD)
		return;
	t = taskmap_put(m->tasks, r->key.tid, r->key.start_ticks, &created);
	if (!t)
		return;
	if (created) {
		t->tgid = r->key.tgid;
		t->tid = r->key.tid;
		t->first_t = r->t_ns;
		t->cpu_last = -1;
	}
	if (!m->first_t)
		m->first_t = r->t_ns;
	memcpy(t->comm, r->comm, sizeof(t->comm));
	t->comm[sizeof(t->comm) - 1] = '\0';
	t->last_t = r->t_ns;
	if (s->sched_have & SCHED_HAVE_MIGRATIONS) {
		if (!t->have_mig || s->nr_migrations < t->mig_last)
			t->mig_first =
			    s->nr_migrations - (t->have_mig ? t->mig_last - t->mig_first : 0);
		t->have_mig = 1;
		t->mig_last = s->nr_migrations;
	}
	if (s->status_have & STATUS_HAVE_CPUS) {
		if (t->have_allowed && memcmp(t->allowed, s->cpus_allowed, sizeof(t->allowed)))
			t->allowed_changes++;
		memcpy(t->allowed, s->cpus_allowed, sizeof(t->allowed));
		t->have_allowed = 1;
	}
	if (!(s->have & PF_STAT) || s->processor < 0)
		return;
	if (t->cpu_last >= 0 && s->processor != t->cpu_last) {
		t->observed++;
		if (node_of(m, t->cpu_last) != node_of(m, s->processor))
			t->cross_numa++;
		add_pair(t, t->cpu_last, s->processor);
		add_event(m, t, s, r->t_ns, t->cpu_last, s->processor);
	}
	t->cpu_last = s->processor;
}

static void mig_consume(void *img, const struct record *r)
{
	struct mig_img *m = img;

	if (r->kind == REC_SAMPLE) {
		on_sample(m, r);
	} else if (r->kind == REC_GONE && r->u.sample.scope == SCOPE_THREAD) {
		struct mig_task *t = taskmap_get(m->tasks, r->key.tid, r->key.start_ticks);
		if (t)
			t->gone = 1;
	}
}

static void cpulist(const uint64_t *set, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int c = 0; c < PROC_CPUSET_WORDS * 64 && off < len; c++) {
		if (!(set[c / 64] >> (c % 64) & 1))
			continue;
		int e = c;
		while (e + 1 < PROC_CPUSET_WORDS * 64 && (set[(e + 1) / 64] >> ((e + 1) % 64) & 1))
			e++;
		off +=
		    (size_t)(e > c ? snprintf(buf + off, len - off, "%s%d-%d", off ? "," : "", c, e)
				   : snprintf(buf + off, len - off, "%s%d", off ? "," : "", c));
		c = e;
	}
}

static void out_event(struct mig_img *m, struct out *o, const struct mig_event *e)
{
	out_obj_open(o, NULL);
	out_u64(o, "t_ns", NULL, e->t_ns);
	out_f64(o, "t_s", "    %9.3f ", (double)(e->t_ns - m->first_t) / 1e9);
	out_i64(o, "from", "%4lld ", e->from);
	out_i64(o, "to", "%4lld ", e->to);
	out_bool(o, "cross_numa", NULL, e->cross_numa);
	out_text(o, "%4s ", e->cross_numa ? "yes" : "-");
	out_i64(o, "prio", "%4lld ", e->prio);
	out_u64(o, "load_avg", "%6llu ", e->load_avg);
	out_u64(o, "util_avg", "%6llu ", e->util_avg);
	out_u64(o, "vm_size_kb", "%10llu ", e->vm_size_kb);
	out_u64(o, "read_bytes", "%10llu ", e->read_bytes);
	out_u64(o, "write_bytes", "%10llu ", e->write_bytes);
	out_u64(o, "ctx_switches", "%8llu\n", e->switches);
	out_obj_close(o);
}

static void out_task(struct mig_img *m, struct out *o, const struct mig_task *t)
{
	uint64_t kmig = t->mig_last - t->mig_first;
	char allowed[256];
	uint32_t first = 0;

	out_obj_open(o, NULL);
	out_i64(o, "tid", "TID %lld", t->tid);
	out_i64(o, "pid", " (pid %lld", t->tgid);
	out_str(o, "comm", ", %s)", t->comm);
	if (t->have_mig)
		out_u64(o, "migrations", ": %llu migrations (kernel counter, exact)", kmig);
	else
		out_null(o, "migrations", ": migrations unknown (no se.nr_migrations in sched)");
	out_u64(o, "observed_count", ", %llu seen by sampling", t->observed);
	if (t->have_mig && kmig)
		out_f64(o, "seen_pct", " (%.0f%%)", 100.0 * (double)t->observed / (double)kmig);
	else
		out_null(o, "seen_pct", NULL);
	out_u64(o, "cross_numa_count", ", %llu across NUMA nodes", t->cross_numa);
	cpulist(t->allowed, allowed, sizeof(allowed));
	out_str(o, "allowed_cpus", "; allowed CPUs %s", t->have_allowed ? allowed : "?");
	out_u64(o, "allowed_changes", " (changed %llu times)", t->allowed_changes);
	out_bool(o, "exited", NULL, t->gone);
	out_text(o, "%s\n", t->gone ? " (exited)" : "");
	out_arr_open(o, "matrix");
	out_text(o, "  from->to:");
	for (uint32_t i = 0; i < t->npairs; i++) {
		out_obj_open(o, NULL);
		out_i64(o, "from", " %lld", t->pairs[i].from);
		out_i64(o, "to", "->%lld", t->pairs[i].to);
		out_u64(o, "count", " %llu", t->pairs[i].count);
		out_obj_close(o);
	}
	out_arr_close(o);
	out_text(o, "\n");
	if (t->events_dropped)
		out_u64(o, "observed_dropped", "  (%llu moves not kept: timeline full)\n",
			t->events_dropped);
	out_arr_open(o, "observed");
	if (t->nev)
		out_text(o, "    %9s %4s %4s %4s %4s %6s %6s %10s %10s %10s %8s\n", "TIME s",
			 "FROM", "TO", "NUMA", "PRIO", "LOAD", "UTIL", "VMSIZE_KiB", "READ_B",
			 "WRITE_B", "CSW");
	if (!out_is_json(o) && !m->p.verbose && t->nev > MIG_TEXT_EVENTS) {
		first = t->nev - MIG_TEXT_EVENTS;
		out_text(o, "    ... %u earlier moves (-v shows all)\n", first);
	}
	for (uint32_t i = first; i < t->nev; i++)
		out_event(m, o, &t->ev[i]);
	out_arr_close(o);
	out_obj_close(o);
}

static int by_moves(const void *a, const void *b)
{
	const struct mig_task *x = *(const struct mig_task *const *)a;
	const struct mig_task *y = *(const struct mig_task *const *)b;
	uint64_t kx = x->mig_last - x->mig_first, ky = y->mig_last - y->mig_first;

	if (kx != ky)
		return kx < ky ? 1 : -1;
	if (x->observed != y->observed)
		return x->observed < y->observed ? 1 : -1;
	return x->tid - y->tid;
}

static void mig_report(void *img, struct out *o)
{
	struct mig_img *m = img;
	size_t it = 0, n = 0, cap = taskmap_count(m->tasks) + 1;
	struct mig_task **v = calloc(cap, sizeof(*v));
	struct mig_task *t;
	size_t rows = m->p.top > 0 ? (size_t)m->p.top : 50, shown = 0, quiet = 0;

	out_f64(o, "resolution_ms", "timeline resolution %.1f ms", (double)m->p.interval_ns / 1e6);
	out_str(
	    o, "figures", " (%s)\n",
	    "migrations: exact kernel counter; observed: stat field 39 sampled at the interval");
	int nodes = 0;
	for (int c = 0; m->p.cpu_node && c < m->p.ncpu_node; c++)
		nodes = m->p.cpu_node[c] + 1 > nodes ? m->p.cpu_node[c] + 1 : nodes;
	if (nodes)
		out_i64(o, "numa_nodes", "NUMA nodes: %lld\n\n", nodes);
	else
		out_null(o, "numa_nodes", "NUMA nodes: unknown (no /sys/devices/system/node)\n\n");
	while (v && (t = taskmap_next(m->tasks, &it, NULL, NULL)) && n < cap)
		v[n++] = t;
	if (v)
		qsort(v, n, sizeof(*v), by_moves);
	out_arr_open(o, "tasks");
	for (size_t i = 0; i < n && shown < rows; i++) {
		if (n > 1 && !v[i]->observed && v[i]->mig_last == v[i]->mig_first) {
			quiet++;
			continue;
		}
		out_task(m, o, v[i]);
		shown++;
	}
	out_arr_close(o);
	if (quiet)
		out_u64(o, "threads_without_migrations", "%llu more threads did not migrate\n",
			quiet);
	free(v);
}


static void mig_destroy(void *img)
{
	struct mig_img *m = img;
	size_t it = 0;
	struct mig_task *t;

	while ((t = taskmap_next(m->tasks, &it, NULL, NULL))) {
		free(t->ev);
		free(t->pairs);
	}
	taskmap_free(m->tasks);
	free(m);
}

const struct image_ops image_migrate = {
    .name = "migrate",
    .needs = PF_STAT | PF_SCHED | PF_STATUS | PF_IO,
    .create = mig_create,
    .consume = mig_consume,
    .report = mig_report,
    .destroy = mig_destroy,
};
