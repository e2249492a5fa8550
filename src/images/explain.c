/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One offender's verdict from every image (see explain.h): gather, say in
 * words, write as JSON. Unknown parts are left out of the sentence and are
 * null in JSON.
 */
#include "images/explain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/syscall_names.h"
#include "core/taskmap.h"
#include "images/keytime.h"
#include "images/resource.h"
#include "images/syscall_img.h"

#define MAX_PROGS 16

/* --- gathering ------------------------------------------------------- */

static void from_syscall(struct explain *e, struct sc_img *s)
{
	struct sc_oncpu h;
	uint64_t x[SCX_N];
	uint32_t have;
	int idx[SC_ONCPU_TOP];

	if (!s || !sc_process_oncpu(s, e->pid, &h, x, &have))
		return;
	e->oncpu_samples = h.total - h.woken;
	e->oncpu_user = h.user;
	for (int i = 0; i < h.used; i++)
		idx[i] = i;
	for (int i = 1; i < h.used; i++) /* by samples, most first */
		for (int k = i; k > 0 && h.n[idx[k]] > h.n[idx[k - 1]]; k--) {
			int t = idx[k];
			idx[k] = idx[k - 1];
			idx[k - 1] = t;
		}
	for (int i = 0; i < h.used && e->nsyscalls < EXPLAIN_TOP; i++) {
		struct explain_syscall *c = &e->syscalls[e->nsyscalls++];
		const char *n = syscall_name(sc_arch_of_index(h.ai[idx[i]]), h.nr[idx[i]]);
		if (n)
			snprintf(c->name, sizeof(c->name), "%s", n);
		else
			snprintf(c->name, sizeof(c->name), "syscall_%d", h.nr[idx[i]]);
		c->samples = h.n[idx[i]];
		c->share_pct =
		    e->oncpu_samples ? 100.0 * (double)c->samples / (double)e->oncpu_samples : 0.0;
	}
}

/* "filename arg1 arg2" of an exec event's text (filename NUL argv0 NUL ...). */
static void prog_of(const struct kt_img *k, const struct kt_event *ev, struct explain_prog *p)
{
	const char *t = k->text + ev->text_off, *end = t + ev->text_len;
	size_t off = 0;

	memset(p, 0, sizeof(*p));
	snprintf(p->filename, sizeof(p->filename), "%.*s", (int)strnlen(t, (size_t)(end - t)), t);
	t += strnlen(t, (size_t)(end - t)) + 1;
	while (t < end && off < sizeof(p->argv) - 1) {
		size_t n = strnlen(t, (size_t)(end - t));
		off += (size_t)snprintf(p->argv + off, sizeof(p->argv) - off, "%s%.*s",
					off ? " " : "", (int)n, t);
		t += n + 1;
	}
}

static void add_prog(struct explain_prog *v, int *n, const struct explain_prog *p)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp(v[i].filename, p->filename) && !strcmp(v[i].argv, p->argv)) {
			v[i].count++;
			return;
		}
	if (*n < MAX_PROGS) {
		v[*n] = *p;
		v[(*n)++].count = 1;
	}
}

/* The offender's descendants: forks from the tree, in the order seen. */
static void from_keytime(struct explain *e, struct kt_img *k)
{
	struct taskmap *tree;
	struct explain_prog progs[MAX_PROGS], p;
	int nprogs = 0;

	if (!k || !k->connector_seen || !(tree = taskmap_new(1)))
		return;
	e->have_children = 1;
	taskmap_put(tree, e->pid, 0, NULL);
	for (size_t i = 0; i < k->nev; i++) {
		const struct kt_event *ev = &k->ev[i];
		int in = taskmap_get(tree, ev->pid, 0) != NULL;
		if (!in)
			continue;
		if (ev->type == KT_FORK) {
			e->forks++;
			taskmap_put(tree, ev->a, 0, NULL);
		} else if (ev->type == KT_EXEC && ev->pid != e->pid) {
			e->execs++;
			if (!ev->text_len) { /* gone before /proc was read */
				e->execs_unnamed++;
				continue;
			}
			prog_of(k, ev, &p);
			add_prog(progs, &nprogs, &p);
		} else if (ev->type == KT_EXIT && !ev->thread && ev->pid != e->pid) {
			struct kt_wait w;
			keytime_wait_decode(ev->status, &w);
			e->exits++;
			if (w.signal)
				e->killed++;
			else if (w.exited && w.code)
				e->exits_nonzero++;
			else if (w.exited)
				e->exits_zero++;
		}
	}
	taskmap_free(tree);
	double span = k->last_t > k->first_t ? (double)(k->last_t - k->first_t) / 1e9 : 0.0;
	e->children_per_s = span > 0 ? (double)e->forks / span : 0.0;
	for (int n = 0; n < EXPLAIN_TOP && n < nprogs; n++) {
		int best = -1;
		for (int i = 0; i < nprogs; i++)
			if (progs[i].count && (best < 0 || progs[i].count > progs[best].count))
				best = i;
		if (best < 0)
			break;
		e->progs[e->nprogs++] = progs[best];
		progs[best].count = 0;
	}
}

static void from_resource(struct explain *e, struct res_img *r)
{
	size_t it = 0;
	struct res_task *t, *best = NULL;

	if (!r)
		return;
	while ((t = taskmap_next(r->procs, &it, NULL, NULL)))
		if (t->tgid == e->pid && !t->is_thread && (!best || t->t_first > best->t_first))
			best = t;
	double s = best ? secs_of(best) : 0.0;
	if (!best || s <= 0)
		return;
	e->window_s = s;
	if (best->have & PF_STAT) {
		e->have_mem = 1;
		e->minflt_per_s = rate(best->acc.minflt, s);
		e->majflt_per_s = rate(best->acc.majflt, s);
	}
	if (best->npts && best->pts[0].rss_kb && best->rss_kb) {
		e->have_rss = 1;
		e->rss_first_kb = best->pts[0].rss_kb;
		e->rss_last_kb = best->rss_kb;
	}
	if (best->have & PF_IO) {
		uint64_t calls = best->acc.syscr + best->acc.syscw;
		e->have_io = 1;
		e->read_bps = rate(best->acc.rchar, s);
		e->write_bps = rate(best->acc.wchar, s);
		e->syscr_per_s = rate(best->acc.syscr, s);
		e->syscw_per_s = rate(best->acc.syscw, s);
		e->avg_io_bytes =
		    calls ? (double)(best->acc.rchar + best->acc.wchar) / (double)calls : 0.0;
	}
}

void explain_build(struct explain *e, const struct sched_offender *o,
		   const struct triage_facts *scan, const struct triage_facts *deep,
		   void *resource_img, void *keytime_img, void *syscall_img)
{
	const struct triage_proc *ps = triage_facts_get(scan, o->tgid);
	const struct triage_proc *pd = triage_facts_get(deep, o->tgid);
	const struct triage_proc *pc = pd && pd->t1 > pd->t0 ? pd : ps;
	const struct triage_facts *fc = pc == pd ? deep : scan;

	memset(e, 0, sizeof(*e));
	e->pid = o->tgid;
	snprintf(e->comm, sizeof(e->comm), "%s", ps ? ps->comm : o->comm);
	e->victims = o->victims;
	e->max_victim_wait_ms = (double)o->victim_max_wait_ns / 1e6;
	e->top_victim_pid = o->top_victim_tgid;
	memcpy(e->top_victim_comm, o->top_victim_comm, sizeof(e->top_victim_comm));
	if (pc && pc->t1 > pc->t0) {
		e->have_cpu = 1;
		e->cpu_pct = triage_cpu_pct(fc, pc);
		e->kernel_share_pct = triage_sys_share_pct(pc);
	}
	if (pd && pd->thread_samples) {
		e->have_mig = 1;
		e->migrations = pd->mig;
	}
	from_syscall(e, syscall_img);
	from_keytime(e, keytime_img);
	from_resource(e, resource_img);
	if (e->have_children && e->execs)
		snprintf(e->next, sizeof(e->next),
			 "procimage syscall -p %d --source audit -d 2s; procimage keytime -p %d "
			 "--children -d 5s",
			 e->pid, e->pid);
	else
		snprintf(e->next, sizeof(e->next), "procimage syscall -p %d --source audit -d 2s",
			 e->pid);
}

/* --- words ----------------------------------------------------------- */

#define ADD(...)                                                                                   \
	do {                                                                                       \
		if (n < len)                                                                       \
			n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__);                      \
	} while (0)

static const char *human_bytes(double v, char *b, size_t len)
{
	if (v >= 1048576.0)
		snprintf(b, len, "%.1f MiB", v / 1048576.0);
	else if (v >= 1024.0)
		snprintf(b, len, "%.1f KiB", v / 1024.0);
	else
		snprintf(b, len, "%.0f B", v);
	return b;
}

size_t explain_text(const struct explain *e, char *buf, size_t len)
{
	size_t n = 0;
	char b1[32], b2[32], b3[32];

	buf[0] = '\0';
	if (e->victims)
		ADD("It made %u thread%s wait for a CPU, up to %.1f ms (most: %s, pid %d) "
		    "[exact]. ",
		    e->victims, e->victims == 1 ? "" : "s", e->max_victim_wait_ms,
		    e->top_victim_comm, e->top_victim_pid);
	else
		ADD("Nobody was seen waiting behind it [exact]. ");
	if (e->have_cpu)
		ADD("It used %.0f%% of one CPU, %.0f%% of that in the kernel [exact]", e->cpu_pct,
		    e->kernel_share_pct);
	if (e->oncpu_samples) {
		ADD("%son CPU it was in ", e->have_cpu ? "; " : "On CPU it was in ");
		for (int i = 0; i < e->nsyscalls; i++)
			ADD("%s %.0f%%, ", e->syscalls[i].name, e->syscalls[i].share_pct);
		ADD("user code %.0f%% (%llu samples) [sampled]",
		    100.0 * (double)e->oncpu_user / (double)e->oncpu_samples,
		    (unsigned long long)e->oncpu_samples);
	}
	if (e->have_cpu || e->oncpu_samples)
		ADD(". ");
	if (e->have_children && e->forks) {
		ADD("It started %llu child process%s (%.1f/s)", (unsigned long long)e->forks,
		    e->forks == 1 ? "" : "es", e->children_per_s);
		for (int i = 0; i < e->nprogs; i++)
			ADD("%s%s%s%s (%llux)", i ? ", " : " running ", e->progs[i].filename,
			    e->progs[i].argv[0] ? " as: " : "", e->progs[i].argv,
			    (unsigned long long)e->progs[i].count);
		if (e->execs_unnamed)
			ADD("%s%llu exec%s whose program was gone before it could be read",
			    e->nprogs ? ", and " : " with ", (unsigned long long)e->execs_unnamed,
			    e->execs_unnamed == 1 ? "" : "s");
		if (e->exits)
			ADD("; of %llu that ended, %llu exited 0, %llu with an error code, %llu "
			    "killed by a signal",
			    (unsigned long long)e->exits, (unsigned long long)e->exits_zero,
			    (unsigned long long)e->exits_nonzero, (unsigned long long)e->killed);
		ADD(" [exact]. ");
	} else if (e->have_children) {
		ADD("It started no child process [exact]. ");
	}
	if (e->have_mem) {
		ADD("%.0f minor and %.0f major faults/s [exact]", e->minflt_per_s, e->majflt_per_s);
		if (e->have_rss)
			ADD(", RSS %s -> %s [sampled]",
			    human_bytes((double)e->rss_first_kb * 1024.0, b1, sizeof(b1)),
			    human_bytes((double)e->rss_last_kb * 1024.0, b2, sizeof(b2)));
		ADD(". ");
	}
	if (e->have_io && e->syscr_per_s + e->syscw_per_s > 0)
		ADD("I/O: reads %s/s in %.0f calls/s, writes %s/s in %.0f calls/s, %s per call on "
		    "average [exact]. ",
		    human_bytes(e->read_bps, b1, sizeof(b1)), e->syscr_per_s,
		    human_bytes(e->write_bps, b2, sizeof(b2)), e->syscw_per_s,
		    human_bytes(e->avg_io_bytes, b3, sizeof(b3)));
	else if (e->have_io)
		ADD("No read or write calls [exact]. ");
	if (e->have_mig)
		ADD("%llu CPU migrations [exact]. ", (unsigned long long)e->migrations);
	ADD("For exact counts: %s", e->next);
	return n;
}

/* --- JSON ------------------------------------------------------------ */

void explain_out(const struct explain *e, struct out *o)
{
	char text[2048];

	explain_text(e, text, sizeof(text));
	out_obj_open(o, "explain");
	out_str(o, "text", NULL, text);
	out_obj_open(o, "victims");
	out_u64(o, "count", NULL, e->victims);
	out_f64(o, "max_wait_ms", NULL, e->max_victim_wait_ms);
	if (e->victims) {
		out_i64(o, "top_victim_pid", NULL, e->top_victim_pid);
		out_str(o, "top_victim_comm", NULL, e->top_victim_comm);
	} else {
		out_null(o, "top_victim_pid", NULL);
		out_null(o, "top_victim_comm", NULL);
	}
	out_bool(o, "exact", NULL, true);
	out_obj_close(o);
	if (e->have_cpu) {
		out_obj_open(o, "cpu");
		out_f64(o, "pct_of_one_cpu", NULL, e->cpu_pct);
		out_f64(o, "kernel_share_pct", NULL, e->kernel_share_pct);
		out_bool(o, "exact", NULL, true);
		out_obj_close(o);
	} else {
		out_null(o, "cpu", NULL);
	}
	if (e->oncpu_samples) {
		out_obj_open(o, "oncpu");
		out_u64(o, "samples", NULL, e->oncpu_samples);
		out_f64(o, "user_share_pct", NULL,
			100.0 * (double)e->oncpu_user / (double)e->oncpu_samples);
		out_arr_open(o, "by_syscall");
		for (int i = 0; i < e->nsyscalls; i++) {
			out_obj_open(o, NULL);
			out_str(o, "name", NULL, e->syscalls[i].name);
			out_u64(o, "samples", NULL, e->syscalls[i].samples);
			out_f64(o, "share_pct", NULL, e->syscalls[i].share_pct);
			out_obj_close(o);
		}
		out_arr_close(o);
		out_bool(o, "exact", NULL, false);
		out_obj_close(o);
	} else {
		out_null(o, "oncpu", NULL);
	}
	if (e->have_children) {
		out_obj_open(o, "children");
		out_u64(o, "forks", NULL, e->forks);
		out_f64(o, "forks_per_s", NULL, e->children_per_s);
		out_u64(o, "execs", NULL, e->execs);
		out_u64(o, "execs_unnamed", NULL, e->execs_unnamed);
		out_arr_open(o, "programs");
		for (int i = 0; i < e->nprogs; i++) {
			out_obj_open(o, NULL);
			out_str(o, "filename", NULL, e->progs[i].filename);
			out_str(o, "argv", NULL, e->progs[i].argv);
			out_u64(o, "count", NULL, e->progs[i].count);
			out_obj_close(o);
		}
		out_arr_close(o);
		out_u64(o, "exits", NULL, e->exits);
		out_u64(o, "exit_zero", NULL, e->exits_zero);
		out_u64(o, "exit_error", NULL, e->exits_nonzero);
		out_u64(o, "killed_by_signal", NULL, e->killed);
		out_bool(o, "exact", NULL, true);
		out_obj_close(o);
	} else {
		out_null(o, "children", NULL);
	}
	if (e->have_mem || e->have_io) {
		out_obj_open(o, "memory_io");
		out_f64(o, "window_s", NULL, e->window_s);
		if (e->have_mem) {
			out_f64(o, "minflt_per_s", NULL, e->minflt_per_s);
			out_f64(o, "majflt_per_s", NULL, e->majflt_per_s);
		} else {
			out_null(o, "minflt_per_s", NULL);
			out_null(o, "majflt_per_s", NULL);
		}
		if (e->have_rss) {
			out_u64(o, "rss_first_kb", NULL, e->rss_first_kb);
			out_u64(o, "rss_last_kb", NULL, e->rss_last_kb);
		} else {
			out_null(o, "rss_first_kb", NULL);
			out_null(o, "rss_last_kb", NULL);
		}
		out_bool(o, "rss_exact", NULL, false);
		if (e->have_io) {
			out_f64(o, "read_bytes_per_s", NULL, e->read_bps);
			out_f64(o, "write_bytes_per_s", NULL, e->write_bps);
			out_f64(o, "syscr_per_s", NULL, e->syscr_per_s);
			out_f64(o, "syscw_per_s", NULL, e->syscw_per_s);
			out_f64(o, "avg_io_bytes", NULL, e->avg_io_bytes);
		} else {
			out_null(o, "read_bytes_per_s", NULL);
			out_null(o, "write_bytes_per_s", NULL);
			out_null(o, "syscr_per_s", NULL);
			out_null(o, "syscw_per_s", NULL);
			out_null(o, "avg_io_bytes", NULL);
		}
		out_bool(o, "exact", NULL, true);
		out_obj_close(o);
	} else {
		out_null(o, "memory_io", NULL);
	}
	if (e->have_mig)
		out_u64(o, "migrations", NULL, e->migrations);
	else
		out_null(o, "migrations", NULL);
	out_str(o, "next", NULL, e->next);
	out_obj_close(o);
}

/* --- a process's waits (watch captures, triage --focus) --------------- */

void explain_focus_build(struct focus_wait *fw, struct sched_img *s, int32_t pid)
{
	size_t it = 0;
	struct sched_thread *th;

	memset(fw, 0, sizeof(*fw));
	fw->pid = pid;
	if (!s)
		return;
	fw->window_s = s->last_t > s->first_t ? (double)(s->last_t - s->first_t) / 1e9 : 0.0;
	while ((th = taskmap_next(s->threads, &it, NULL, NULL))) {
		if (th->tgid != pid)
			continue;
		if (!fw->threads || th->tid == pid)
			memcpy(fw->comm, th->comm, sizeof(fw->comm));
		fw->threads++;
		fw->wait_ns += th->wait_ns;
		fw->behind_ns += th->victim_wait_ns;
		if (th->victim_max_wait_ns > fw->max_wait_ns)
			fw->max_wait_ns = th->victim_max_wait_ns;
		for (int i = 0; i < SCHED_VICTIM_HOGS; i++) {
			const struct sched_victim_share *sh = &th->shares[i];
			struct sched_thread *hog;
			int k;
			if (!sh->wait_ns ||
			    !(hog = taskmap_get(s->threads, sh->hog_tid, sh->hog_start)) ||
			    hog->tgid == pid)
				continue;
			for (k = 0; k < fw->nbehind && fw->behind[k].tid != hog->tid; k++)
				;
			if (k == fw->nbehind) {
				if (k == FOCUS_BEHIND) { /* keep the largest */
					k = 0;
					for (int m = 1; m < FOCUS_BEHIND; m++)
						if (fw->behind[m].wait_ns < fw->behind[k].wait_ns)
							k = m;
					if (fw->behind[k].wait_ns >= sh->wait_ns)
						continue;
				} else {
					fw->nbehind++;
				}
				fw->behind[k] =
				    (struct focus_behind){.pid = hog->tgid, .tid = hog->tid};
				memcpy(fw->behind[k].comm, hog->comm, sizeof(fw->behind[k].comm));
			}
			fw->behind[k].wait_ns += sh->wait_ns;
		}
	}
	for (int i = 1; i < fw->nbehind; i++) /* most first */
		for (int k = i; k > 0 && fw->behind[k].wait_ns > fw->behind[k - 1].wait_ns; k--) {
			struct focus_behind t = fw->behind[k];
			fw->behind[k] = fw->behind[k - 1];
			fw->behind[k - 1] = t;
		}
}

size_t explain_focus_text(const struct focus_wait *fw, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	if (!fw->threads) {
		ADD("pid %d was not seen by the scan (gone?)", fw->pid);
		return n;
	}
	ADD("pid %d (%s) waited %.1f ms for a CPU over %.1f s [exact]", fw->pid, fw->comm,
	    (double)fw->wait_ns / 1e6, fw->window_s);
	if (!fw->nbehind) {
		ADD("; no hog held its CPU meanwhile");
		return n;
	}
	ADD(", %.1f ms of it behind hogs (worst wait %.1f ms): ", (double)fw->behind_ns / 1e6,
	    (double)fw->max_wait_ns / 1e6);
	for (int i = 0; i < fw->nbehind; i++)
		ADD("%s%s (pid %d, thread %d) %.1f ms", i ? ", " : "", fw->behind[i].comm,
		    fw->behind[i].pid, fw->behind[i].tid, (double)fw->behind[i].wait_ns / 1e6);
	return n;
}

void explain_focus_out(const struct focus_wait *fw, struct out *o)
{
	char text[1024];

	explain_focus_text(fw, text, sizeof(text));
	out_obj_open(o, "focus_wait");
	out_i64(o, "pid", NULL, fw->pid);
	out_str(o, "comm", NULL, fw->comm);
	out_str(o, "text", NULL, text);
	if (fw->threads) {
		out_f64(o, "window_s", NULL, fw->window_s);
		out_f64(o, "run_queue_wait_ms", NULL, (double)fw->wait_ns / 1e6);
		out_f64(o, "behind_hogs_ms", NULL, (double)fw->behind_ns / 1e6);
		out_f64(o, "max_wait_ms", NULL, (double)fw->max_wait_ns / 1e6);
	} else {
		out_null(o, "window_s", NULL);
		out_null(o, "run_queue_wait_ms", NULL);
		out_null(o, "behind_hogs_ms", NULL);
		out_null(o, "max_wait_ms", NULL);
	}
	out_arr_open(o, "behind");
	for (int i = 0; i < fw->nbehind; i++) {
		out_obj_open(o, NULL);
		out_i64(o, "pid", NULL, fw->behind[i].pid);
		out_i64(o, "tid", NULL, fw->behind[i].tid);
		out_str(o, "comm", NULL, fw->behind[i].comm);
		out_f64(o, "wait_ms", NULL, (double)fw->behind[i].wait_ns / 1e6);
		out_obj_close(o);
	}
	out_arr_close(o);
	out_bool(o, "exact", NULL, true);
	out_obj_close(o);
}
