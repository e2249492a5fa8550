/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The syscall image's on-CPU section: where the running threads' CPU time
 * goes, user code or which syscall, from the ptrace sampler's samples
 * (sampled: shares of samples, with the counts), per syscall, per process
 * and per thread; beside it, per process, the exact procfs counters over
 * the run (io syscr/syscw, minflt/majflt, voluntary/involuntary switches).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/syscall_names.h"
#include "images/syscall_img.h"

static const char *const scx_names[SCX_N] = {
    [SCX_SYSCR] = "syscr",
    [SCX_SYSCW] = "syscw",
    [SCX_MINFLT] = "minflt",
    [SCX_MAJFLT] = "majflt",
    [SCX_VCSW] = "voluntary_switches",
    [SCX_IVCSW] = "involuntary_switches",
};

static const char *const scx_txt[SCX_N] = {
    [SCX_SYSCR] = "syscr",   [SCX_SYSCW] = "syscw", [SCX_MINFLT] = "minflt",
    [SCX_MAJFLT] = "majflt", [SCX_VCSW] = "vcsw",   [SCX_IVCSW] = "ivcsw",
};

static const char *name_of(int ai, int nr, char *buf, size_t len)
{
	const char *n = syscall_name(sc_arch_of_index(ai), nr);

	if (n)
		return n;
	snprintf(buf, len, "syscall_%d", nr);
	return buf;
}

int sc_process_oncpu(struct sc_img *s, int32_t tgid, struct sc_oncpu *h, uint64_t x[SCX_N],
		     uint32_t *xhave)
{
	size_t it = 0;
	struct sc_caller *c;
	int n = 0;

	memset(h, 0, sizeof(*h));
	memset(x, 0, SCX_N * sizeof(*x));
	*xhave = ~0u;
	while ((c = taskmap_next(s->callers, &it, NULL, NULL))) {
		if (!c->tid || (tgid && c->tgid != tgid))
			continue;
		n++;
		h->user += c->oncpu.user;
		h->woken += c->oncpu.woken;
		h->total += c->oncpu.user + c->oncpu.woken + c->oncpu.other;
		h->other += c->oncpu.other;
		for (int i = 0; i < c->oncpu.used; i++)
			sc_oncpu_add(h, c->oncpu.ai[i], c->oncpu.nr[i], c->oncpu.n[i]);
		if (c->xinit) {
			*xhave &= c->xhave;
			for (int k = 0; k < SCX_N; k++)
				x[k] += c->x1[k] >= c->x0[k] ? c->x1[k] - c->x0[k] : 0;
		}
	}
	if (!n)
		*xhave = 0;
	return n;
}

/* Syscall rows of a histogram, by samples. */
static void hist_sorted(const struct sc_oncpu *h, int *idx)
{
	for (int i = 0; i < h->used; i++)
		idx[i] = i;
	for (int i = 1; i < h->used; i++)
		for (int k = i; k > 0 && h->n[idx[k]] > h->n[idx[k - 1]]; k--) {
			int t = idx[k];
			idx[k] = idx[k - 1];
			idx[k - 1] = t;
		}
}

static double share(uint64_t n, const struct sc_oncpu *h)
{
	uint64_t on = h->total - h->woken;

	return on ? (double)n / (double)on : 0.0;
}

/* "user 12.0%, mmap 40.1%, munmap 38.0%" and the JSON rows. */
static void hist_out(struct out *o, const struct sc_oncpu *h, int top)
{
	int idx[SC_ONCPU_TOP];
	char b[32];

	out_u64(o, "samples", "%8llu ", h->total - h->woken);
	out_u64(o, "user_samples", NULL, h->user);
	out_u64(o, "woken_samples", NULL, h->woken);
	if (h->total - h->woken)
		out_f64(o, "user_share", "%6.1f%%  ", share(h->user, h) * 100.0);
	else
		out_null(o, "user_share", "     -   ");
	hist_sorted(h, idx);
	out_arr_open(o, "by_syscall");
	for (int i = 0; i < h->used; i++) {
		int k = idx[i];
		out_obj_open(o, NULL);
		const char *nm = name_of(h->ai[k], h->nr[k], b, sizeof(b));
		out_str(o, "name", NULL, nm);
		out_i64(o, "nr", NULL, h->nr[k]);
		out_u64(o, "samples", NULL, h->n[k]);
		out_f64(o, "share", NULL, share(h->n[k], h));
		if (i < top)
			out_text(o, "%s%s %.1f%% (%llu)", i ? ", " : "", nm,
				 share(h->n[k], h) * 100.0, (unsigned long long)h->n[k]);
		out_obj_close(o);
	}
	out_arr_close(o);
	if (h->other)
		out_text(o, ", other syscalls %.1f%%", share(h->other, h) * 100.0);
	out_u64(o, "other_syscall_samples", NULL, h->other);
}

static void counters_out(struct out *o, const uint64_t x[SCX_N], uint32_t have)
{
	char tf[64];

	out_obj_open(o, "counters");
	for (int k = 0; k < SCX_N; k++) {
		snprintf(tf, sizeof(tf), "%s%s %%llu", k ? ", " : " ", scx_txt[k]);
		if (have & (1u << k)) {
			out_u64(o, scx_names[k], tf, x[k]);
		} else {
			snprintf(tf, sizeof(tf), "%s%s n/a", k ? ", " : " ", scx_txt[k]);
			out_null(o, scx_names[k], tf);
		}
	}
	out_bool(o, "counts_exact", NULL, true);
	out_obj_close(o);
}

struct prow {
	int32_t tgid;
	char comm[16];
	uint64_t key;
};

static int prow_cmp(const void *a, const void *b)
{
	const struct prow *x = a, *y = b;

	return x->key < y->key ? 1 : x->key > y->key ? -1 : x->tgid - y->tgid;
}

/* The distinct processes of the thread callers. */
static int processes(struct sc_img *s, struct prow **out)
{
	size_t it = 0, n = 0, cap = taskmap_count(s->callers) + 1;
	struct sc_caller *c;
	struct prow *rows = calloc(cap, sizeof(*rows));

	*out = rows;
	if (!rows)
		return 0;
	while ((c = taskmap_next(s->callers, &it, NULL, NULL))) {
		if (!c->tid)
			continue;
		size_t k = 0;
		while (k < n && rows[k].tgid != c->tgid)
			k++;
		if (k == n) {
			rows[n].tgid = c->tgid;
			memcpy(rows[n].comm, c->comm, sizeof(rows[n].comm));
			n++;
		}
		if (c->tid == c->tgid)
			memcpy(rows[k].comm, c->comm, sizeof(rows[k].comm));
		rows[k].key += c->oncpu.total;
	}
	qsort(rows, n, sizeof(*rows), prow_cmp);
	return (int)n;
}

static int thread_cmp(const void *a, const void *b)
{
	const struct sc_caller *x = *(struct sc_caller *const *)a,
			       *y = *(struct sc_caller *const *)b;

	return x->oncpu.total < y->oncpu.total ? 1 : x->oncpu.total > y->oncpu.total ? -1 : 0;
}

static void threads_out(struct sc_img *s, struct out *o, int top)
{
	size_t it = 0, n = 0, cap = taskmap_count(s->callers) + 1;
	struct sc_caller *c, **rows = calloc(cap, sizeof(*rows));

	out_arr_open(o, "threads");
	if (rows) {
		while ((c = taskmap_next(s->callers, &it, NULL, NULL)))
			if (c->tid && c->oncpu.total)
				rows[n++] = c;
		qsort(rows, n, sizeof(*rows), thread_cmp);
		if (n)
			out_text(o, "per thread:\n%8s %8s %-16s %8s %7s  %s\n", "PID", "TID",
				 "COMM", "SAMPLES", "USER", "SYSCALLS (share of on-CPU samples)");
	}
	for (size_t i = 0; rows && i < n && (int)i < top; i++) {
		out_obj_open(o, NULL);
		out_i64(o, "pid", "%8lld ", rows[i]->tgid);
		out_i64(o, "tid", "%8lld ", rows[i]->tid);
		out_str(o, "comm", "%-16s ", rows[i]->comm);
		hist_out(o, &rows[i]->oncpu, 4);
		out_text(o, "\n");
		out_obj_close(o);
	}
	out_arr_close(o);
	free(rows);
}

static void syscalls_out(struct sc_img *s, struct out *o)
{
	uint64_t on = s->oncpu_samples - s->oncpu_woken;
	char b[32];

	out_arr_open(o, "by_syscall");
	for (int ai = 0; ai < SC_NARCH; ai++)
		for (int nr = 0; nr < SC_TABLE; nr++) {
			uint64_t n = s->stats[ai][nr].oncpu_samples;
			if (!n)
				continue;
			out_obj_open(o, NULL);
			out_str(o, "name", NULL, name_of(ai, nr, b, sizeof(b)));
			out_i64(o, "nr", NULL, nr);
			out_u64(o, "samples", NULL, n);
			out_f64(o, "share", NULL, on ? (double)n / (double)on : 0.0);
			out_obj_close(o);
		}
	out_arr_close(o);
}

void sc_oncpu_report(struct sc_img *s, struct out *o)
{
	struct prow *rows;
	int n = processes(s, &rows), top = s->p.top > 0 ? s->p.top : 10;

	out_obj_open(o, "oncpu");
	out_text(o, "\n");
	if (s->oncpu_samples) {
		out_str(o, "source", "on-CPU time of running threads (sampled by %s, ", "ptrace");
		out_text(o,
			 "%llu samples; %llu woke a thread that had just gone to sleep and "
			 "are not counted):\n",
			 (unsigned long long)s->oncpu_samples, (unsigned long long)s->oncpu_woken);
	} else {
		out_null(o, "source",
			 "on-CPU time of running threads: no ptrace samples (see the "
			 "ptrace source for why); exact counters only\n");
	}
	out_bool(o, "exact", NULL, false);
	out_u64(o, "samples", NULL, s->oncpu_samples - s->oncpu_woken);
	out_u64(o, "user_samples", NULL, s->oncpu_user);
	out_u64(o, "woken_samples", NULL, s->oncpu_woken);
	syscalls_out(s, o);
	out_arr_open(o, "processes");
	out_text(o,
		 "per process (counters over the run are exact: procfs):\n%8s %-16s %8s %7s  %s\n",
		 "PID", "COMM", "SAMPLES", "USER", "SYSCALLS (share of on-CPU samples)");
	for (int i = 0; i < n && i < top; i++) {
		struct sc_oncpu h;
		uint64_t x[SCX_N];
		uint32_t have;
		int nt = sc_process_oncpu(s, rows[i].tgid, &h, x, &have);
		out_obj_open(o, NULL);
		out_i64(o, "pid", "%8lld ", rows[i].tgid);
		out_str(o, "comm", "%-16s ", rows[i].comm);
		out_i64(o, "threads", NULL, nt);
		hist_out(o, &h, 6);
		out_text(o, "\n%26s exact:", "");
		counters_out(o, x, have);
		out_text(o, "\n");
		out_obj_close(o);
	}
	out_arr_close(o);
	threads_out(s, o, top);
	out_obj_close(o);
	free(rows);
}
