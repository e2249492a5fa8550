/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The syscall image's report: which source fed the counts and why, the
 * per-syscall table (count, errors by errno, sampled blocked time, exact
 * flag), the on-CPU share, the top callers, the last N syscalls of each
 * caller, and the folded `comm;syscall count` lines (-f folded; the CLI
 * draws -f svg from the same aggregate). Prom, CSV and HTML are derived from
 * the JSON form by src/render, as for every image.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/syscall_names.h"
#include "images/syscall_img.h"
#include "render/folded.h"

#define BOOT_UNIT "contrib/procimage-audit-boot.service"

struct row {
	int ai, nr;
	uint64_t key; /* sort key */
};

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	return x->key < y->key ? 1 : x->key > y->key ? -1 : (x->nr - y->nr);
}

static const char *sc_name(int ai, int nr, char *buf, size_t len)
{
	const char *n = syscall_name(sc_arch_of_index(ai), nr);
	if (n)
		return n;
	snprintf(buf, len, "syscall_%d", nr);
	return buf;
}

static const char *errno_name(int e, char *buf, size_t len)
{
	const char *n = strerrorname_np(e);
	if (n)
		return n;
	snprintf(buf, len, "E%d", e);
	return buf;
}

/* Which source fed the counts, in words. Sets *exact. */
static const char *decide_source(struct sc_img *s, char *why, size_t len, int *exact)
{
	int armed = 0, silent = 0;
	uint64_t ev;

	for (int i = 0; i < s->nprocs; i++) {
		armed += s->procs[i].armed;
		silent += sc_proc_not_auditable(s, &s->procs[i], &ev);
	}
	*exact = 0;
	if (s->mode_sample_only) {
		snprintf(
		    why, len,
		    "--source sample: counts are episodes seen blocked in a syscall (estimates)");
		return "sampled";
	}
	if (s->audit_records && !silent && s->lost_episodes) {
		snprintf(why, len,
			 "audit records, but the reader or the kernel lost some (%llu known lost, "
			 "%llu episodes): counts are lower bounds",
			 (unsigned long long)s->lost_records, (unsigned long long)s->lost_episodes);
		return "audit";
	}
	if (s->audit_records && !silent) {
		*exact = 1;
		snprintf(why, len,
			 "audit records: exact counts, errors and return values; no durations "
			 "(time is the blocked time sampled from /proc/<tid>/syscall)");
		return "audit";
	}
	if (silent) {
		snprintf(
		    why, len,
		    "audit gave no record for %d process(es) whose syscall counters moved: they "
		    "were started before audit was first enabled since boot and can never be "
		    "audited; "
		    "install %s (or boot with audit=1); counts are sampled estimates",
		    silent, BOOT_UNIT);
		*exact = s->audit_records > 0;
		return s->audit_records ? "audit+sampled" : "sampled";
	}
	if (s->audit_failed)
		snprintf(why, len, "audit unavailable (%s): counts are sampled estimates",
			 s->audit_why);
	else if (armed)
		snprintf(why, len, "audit armed but the targets made no syscall it saw");
	else
		snprintf(why, len, "audit not used: counts are sampled estimates");
	*exact = armed > 0 && !s->audit_failed;
	return armed && !s->audit_failed ? "audit" : "sampled";
}

static void errnos_out(struct out *o, const struct sc_stat *st)
{
	char b[32];

	out_obj_open(o, "errnos");
	for (int i = 0; i < SC_ERRNOS && st->err_cnt[i]; i++) {
		out_u64(o, errno_name(st->err_no[i], b, sizeof(b)), NULL, st->err_cnt[i]);
		out_text(o, "%s%s:%llu", i ? "," : " ", errno_name(st->err_no[i], b, sizeof(b)),
			 (unsigned long long)st->err_cnt[i]);
	}
	if (st->err_other) {
		out_u64(o, "other", NULL, st->err_other);
		out_text(o, ",other:%llu", (unsigned long long)st->err_other);
	}
	out_obj_close(o);
}

static int collect_rows(struct sc_img *s, struct row *rows, int exact)
{
	int n = 0;

	for (int ai = 0; ai < SC_NARCH; ai++)
		for (int nr = 0; nr < SC_TABLE; nr++) {
			const struct sc_stat *st = &s->stats[ai][nr];
			if (!st->count && !st->samples && !st->episodes)
				continue;
			rows[n].ai = ai;
			rows[n].nr = nr;
			rows[n].key = exact ? st->count : st->blocked_ns;
			n++;
		}
	qsort(rows, (size_t)n, sizeof(*rows), row_cmp);
	return n;
}

static void table_out(struct sc_img *s, struct out *o, int exact, int audit_counts, int have_time)
{
	struct row *rows = calloc(SC_NARCH * SC_TABLE, sizeof(*rows));
	char b[32];
	int n;

	if (!rows)
		return;
	n = collect_rows(s, rows, audit_counts);
	out_arr_open(o, "syscalls");
	out_text(o, "%-22s %5s %10s %8s %10s %6s  %s\n", "SYSCALL", "NR", "COUNT", "ERRORS",
		 "BLOCKED_MS", "EXACT", "ERRNO");
	for (int i = 0; i < n; i++) {
		const struct sc_stat *st = &s->stats[rows[i].ai][rows[i].nr];
		out_obj_open(o, NULL);
		out_str(o, "name", "%-22s ", sc_name(rows[i].ai, rows[i].nr, b, sizeof(b)));
		out_i64(o, "nr", "%5lld ", rows[i].nr);
		out_str(o, "arch", NULL, syscall_arch_name(sc_arch_of_index(rows[i].ai)));
		/* Audit writes a record when a call returns: one seen blocked with
		 * no record began before the rule (or is still in it), so its 0
		 * is not a count. */
		int inflight = audit_counts && !st->count && st->samples;
		if (inflight) {
			out_null(o, "count", "  in-call ");
			out_null(o, "errors", "       - ");
		} else {
			out_u64(o, "count", "%10llu ", audit_counts ? st->count : st->episodes);
			out_u64(o, "errors", "%8llu ", audit_counts ? st->errors : 0);
		}
		if (have_time) {
			out_u64(o, "time_ns", NULL, st->blocked_ns);
			out_text(o, "%10.1f ", (double)st->blocked_ns / 1e6);
		} else {
			out_null(o, "time_ns", "         - ");
		}
		out_u64(o, "samples", NULL, st->samples);
		out_bool(o, "exact", "%6s ", exact && !inflight);
		if (inflight)
			out_str(o, "count_why", NULL,
				"seen blocked in it, no audit record: the call began before the "
				"rule was armed or had not returned when the run ended");
		errnos_out(o, st);
		out_text(o, "\n");
		out_obj_close(o);
	}
	out_arr_close(o);
	free(rows);
}

static double ticks_ns(const struct sc_img *s, uint64_t t)
{
	return (double)t * 1e9 / (double)(s->p.ticks_per_s ? s->p.ticks_per_s : 100);
}

static void cpu_out(struct sc_img *s, struct out *o)
{
	size_t it = 0;
	struct sc_caller *c;
	uint64_t ut = 0, stt = 0, blocked = 0, oncpu = 0;

	while ((c = taskmap_next(s->callers, &it, NULL, NULL))) {
		if (!c->tid)
			continue;
		ut += c->utime1 - c->utime0;
		stt += c->stime1 - c->stime0;
		blocked += c->blocked_ns;
		oncpu += c->oncpu_ns;
	}
	out_obj_open(o, "time");
	out_f64(o, "user_ns", NULL, ticks_ns(s, ut));
	out_f64(o, "sys_ns", NULL, ticks_ns(s, stt));
	out_text(o, "on-CPU: user %.1f ms, sys %.1f ms (exact, clock ticks); ",
		 ticks_ns(s, ut) / 1e6, ticks_ns(s, stt) / 1e6);
	if (s->mode_audit_only || !s->first_t) { /* nothing was sampled: no time */
		out_null(o, "blocked_in_syscalls_ns", NULL);
		out_null(o, "running_sampled_ns", NULL);
		out_str(o, "time_why", "blocked and running time n/a (%s)\n",
			s->mode_audit_only ? "--source audit does not sample /proc/<tid>/syscall"
					   : "no sample was taken");
	} else {
		out_u64(o, "blocked_in_syscalls_ns", NULL, blocked);
		out_u64(o, "running_sampled_ns", NULL, oncpu);
		out_text(o, "blocked in syscalls %.1f ms, seen running %.1f ms (sampled)\n",
			 (double)blocked / 1e6, (double)oncpu / 1e6);
	}
	out_bool(o, "blocked_exact", NULL, false);
	out_obj_close(o);
}

struct crow {
	struct sc_caller *c;
	uint64_t key;
};

static int crow_cmp(const void *a, const void *b)
{
	const struct crow *x = a, *y = b;
	return x->key < y->key ? 1 : x->key > y->key ? -1 : 0;
}

/* Callers sorted by syscalls (audit) or blocked time (sampled). Count. */
static int sorted_callers(struct sc_img *s, struct crow **out)
{
	size_t it = 0, n = 0, cap = taskmap_count(s->callers);
	struct sc_caller *c;
	struct crow *rows = calloc(cap ? cap : 1, sizeof(*rows));

	*out = rows;
	if (!rows)
		return 0;
	while ((c = taskmap_next(s->callers, &it, NULL, NULL)) && n < cap) {
		if (!c->count && !c->blocked_ns && !c->seq_len)
			continue;
		rows[n].c = c;
		rows[n].key = c->count * 1000000000ull + c->blocked_ns / 1000;
		n++;
	}
	qsort(rows, n, sizeof(*rows), crow_cmp);
	return (int)n;
}

static void caller_id_out(struct out *o, const struct sc_caller *c)
{
	out_i64(o, "pid", "%8lld ", c->tgid);
	if (c->tid)
		out_i64(o, "tid", "%8lld ", c->tid);
	else
		out_null(o, "tid", "       - ");
	out_str(o, "comm", "%-16s ", c->comm);
}

static void callers_out(struct sc_img *s, struct out *o, struct crow *rows, int n)
{
	int top = s->p.top > 0 ? s->p.top : 10;

	out_arr_open(o, "callers");
	out_text(
	    o,
	    "\ntop callers (tid '-': audit names the process only):\n%8s %8s %-16s %10s %8s %11s\n",
	    "PID", "TID", "COMM", "SYSCALLS", "ERRORS", "BLOCKED_MS");
	for (int i = 0; i < n && i < top; i++) {
		const struct sc_caller *c = rows[i].c;
		out_obj_open(o, NULL);
		caller_id_out(o, c);
		out_u64(o, "count", "%10llu ", c->count);
		out_u64(o, "errors", "%8llu ", c->errors);
		out_u64(o, "blocked_ns", NULL, c->blocked_ns);
		out_text(o, "%11.1f\n", (double)c->blocked_ns / 1e6);
		out_obj_close(o);
	}
	out_arr_close(o);
}

static void seq_entry_out(struct sc_img *s, struct out *o, const struct sc_ent *e)
{
	char b[32], eb[32];

	out_obj_open(o, NULL);
	out_str(o, "name", "    %s", sc_name(e->arch_i, e->nr, b, sizeof(b)));
	out_i64(o, "nr", NULL, e->nr);
	if (e->has_ret) {
		out_i64(o, "ret", "() = %lld", e->ret);
		if (!e->success && e->ret < 0)
			out_str(o, "error", " %s", errno_name((int)-e->ret, eb, sizeof(eb)));
		else
			out_null(o, "error", NULL);
	} else {
		out_null(o, "ret", "(...) blocked");
		out_null(o, "error", NULL);
	}
	out_u64(o, "t_ns", NULL, e->t_ns);
	if (e->wall_ms) {
		out_u64(o, "wall_ms", NULL, e->wall_ms);
		out_text(o, "  at %llu.%03llu", (unsigned long long)(e->wall_ms / 1000),
			 (unsigned long long)(e->wall_ms % 1000));
	}
	if (e->sampled) {
		out_u64(o, "blocked_ms", " >= %llu ms (sampled)", e->dur_ms_sampled);
		if (e->wchan[0] && strcmp(e->wchan, "0") != 0)
			out_str(o, "wchan", " in %s", e->wchan);
		else
			out_null(o, "wchan", NULL);
	} else {
		out_null(o, "blocked_ms", NULL);
		out_null(o, "wchan", NULL);
	}
	out_bool(o, "sampled", NULL, e->sampled);
	out_text(o, "\n");
	out_obj_close(o);
	(void)s;
}

static void sequence_out(struct sc_img *s, struct out *o, struct crow *rows, int n)
{
	uint32_t cap = (uint32_t)s->p.sequence;

	out_arr_open(o, "sequence");
	out_text(o, "\nlast %u syscalls per caller (oldest first):\n", cap);
	for (int i = 0; i < n; i++) {
		const struct sc_caller *c = rows[i].c;
		if (!c->seq_len)
			continue;
		out_obj_open(o, NULL);
		out_text(o, "  ");
		caller_id_out(o, c);
		out_text(o, "\n");
		out_arr_open(o, "calls");
		uint32_t start = (c->seq_head + cap - c->seq_len) % cap;
		for (uint32_t k = 0; k < c->seq_len; k++)
			seq_entry_out(s, o, &c->seq[(start + k) % cap]);
		out_arr_close(o);
		out_obj_close(o);
	}
	out_arr_close(o);
}

int sc_fold_agg(struct sc_img *s, struct stack_agg *agg)
{
	char why[512], b[32], comm[32], line[96];
	int exact;
	int audit = !strncmp(decide_source(s, why, sizeof(why), &exact), "audit", 5);

	for (int i = 0; i < SC_FOLDS; i++) {
		const struct sc_fold *f = &s->folds[i];
		uint64_t v = audit ? f->count : f->samples;
		if (!v)
			continue;
		/* comm is the task's own text: no ';' or newline may split the line */
		stack_frame_sanitize(f->comm[0] ? f->comm : "?", comm, sizeof(comm));
		int n = snprintf(line, sizeof(line), "%s;%s", comm,
				 sc_name(f->ai, f->nr, b, sizeof(b)));
		if (stack_agg_add(agg, line, (size_t)n, v) == -ENOMEM)
			return -ENOMEM;
	}
	return audit;
}

static void folded_out(struct sc_img *s, struct out *o)
{
	struct stack_agg *agg = stack_agg_new();

	if (agg && sc_fold_agg(s, agg) >= 0)
		stack_agg_write_folded(agg, o->fp);
	stack_agg_free(agg);
}

static void procs_out(struct sc_img *s, struct out *o)
{
	uint64_t ev;

	out_arr_open(o, "audit_processes");
	for (int i = 0; i < s->nprocs; i++) {
		const struct sc_proc *pr = &s->procs[i];
		int silent = sc_proc_not_auditable(s, pr, &ev);
		out_obj_open(o, NULL);
		out_i64(o, "pid", NULL, pr->tgid);
		out_bool(o, "armed", NULL, pr->armed);
		out_u64(o, "records", NULL, pr->records);
		out_bool(o, "not_auditable", NULL, silent);
		out_u64(o, "syscall_evidence", NULL, ev);
		if (silent)
			out_text(
			    o,
			    "pid %d: NOT AUDITABLE (started before audit was first enabled since "
			    "boot; "
			    "%llu syscalls/switches seen in /proc, 0 audit records): install %s\n",
			    pr->tgid, (unsigned long long)ev, BOOT_UNIT);
		out_obj_close(o);
	}
	out_arr_close(o);
}

void sc_report(struct sc_img *s, struct out *o)
{
	char why[512];
	int exact;
	const char *src = decide_source(s, why, sizeof(why), &exact);
	int have_time = s->samples_with_syscall > 0 || (s->first_t && !s->mode_audit_only);
	struct crow *rows;
	int n;

	if (o->fmt == OUT_FOLDED) {
		folded_out(s, o);
		return;
	}
	out_str(o, "source", "syscall counts: %s", src);
	out_str(o, "source_reason", " (%s)\n", why);
	out_bool(o, "counts_exact", NULL, exact);
	out_str(o, "time_source", NULL, have_time ? "sampled" : "none");
	out_u64(o, "audit_records", NULL, s->audit_records);
	out_u64(o, "audit_lost_episodes", NULL, s->lost_episodes);
	out_u64(o, "audit_lost_records", NULL, s->lost_records);
	if (s->lost_episodes)
		out_text(
		    o,
		    "WARNING: the audit reader lost records %llu times: counts are lower bounds\n",
		    (unsigned long long)s->lost_episodes);
	procs_out(s, o);
	table_out(s, o, exact, !strncmp(src, "audit", 5), have_time);
	cpu_out(s, o);
	sc_oncpu_report(s, o);
	n = sorted_callers(s, &rows);
	callers_out(s, o, rows, n);
	sequence_out(s, o, rows, n);
	free(rows);
}
