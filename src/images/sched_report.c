/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The sched image's report: hogs ranked by their longest occupancy run, each
 * with its runs over the threshold, the kernel stacks seen when it paused and
 * its top victim; then the victims (run-queue wait on a hog's CPU). Figures
 * from schedstat are kernel counters read at the interval: exact amounts,
 * sampled in time (run boundaries are +-1 interval).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/taskmap.h"
#include "images/sched.h"
#include "render/folded.h"

#define DEFAULT_ROWS 20

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static int is_hog(const struct sched_img *s, const struct sched_thread *th)
{
	return th->longest_run_ns >= s->p.threshold_ns && th->longest_run_ns > 0;
}

static int by_rank(const void *a, const void *b)
{
	const struct sched_thread *x = *(const struct sched_thread *const *)a;
	const struct sched_thread *y = *(const struct sched_thread *const *)b;

	if (x->longest_run_ns != y->longest_run_ns)
		return x->longest_run_ns < y->longest_run_ns ? 1 : -1;
	if (x->cpu_ns != y->cpu_ns)
		return x->cpu_ns < y->cpu_ns ? 1 : -1;
	return x->tid - y->tid;
}

static int by_wait(const void *a, const void *b)
{
	const struct sched_thread *x = *(const struct sched_thread *const *)a;
	const struct sched_thread *y = *(const struct sched_thread *const *)b;

	if (x->victim_wait_ns != y->victim_wait_ns)
		return x->victim_wait_ns < y->victim_wait_ns ? 1 : -1;
	return x->tid - y->tid;
}

/* Every thread, sorted by `cmp`; caller frees. */
static struct sched_thread **collect(struct sched_img *s, int *n,
				     int (*cmp)(const void *, const void *))
{
	size_t it = 0, cap = taskmap_count(s->threads) + 1;
	struct sched_thread **v = calloc(cap, sizeof(*v));
	struct sched_thread *th;

	*n = 0;
	if (!v)
		return NULL;
	while ((th = taskmap_next(s->threads, &it, NULL, NULL)) && (size_t)*n < cap)
		v[(*n)++] = th;
	qsort(v, (size_t)*n, sizeof(*v), cmp);
	return v;
}

/* Wait of victim v charged to hogs that really were hogs. */
static uint64_t victim_wait(struct sched_img *s, const struct sched_thread *v,
			    const struct sched_thread **top_hog)
{
	uint64_t sum = 0, best = 0;

	if (top_hog)
		*top_hog = NULL;
	for (int i = 0; i < SCHED_VICTIM_HOGS; i++) {
		const struct sched_victim_share *sh = &v->shares[i];
		if (!sh->wait_ns)
			continue;
		const struct sched_thread *h = taskmap_get(s->threads, sh->hog_tid, sh->hog_start);
		if (!h || !is_hog(s, h))
			continue;
		sum += sh->wait_ns;
		if (sh->wait_ns > best && top_hog) {
			best = sh->wait_ns;
			*top_hog = h;
		}
	}
	return sum;
}

/* The victim that waited longest behind hog h, and how many waited. */
static const struct sched_thread *top_victim(struct sched_img *s, const struct sched_thread *h,
					     uint64_t *wait, uint32_t *count, uint64_t *max_wait)
{
	size_t it = 0;
	struct sched_thread *v;
	const struct sched_thread *best = NULL;

	*wait = 0;
	*count = 0;
	*max_wait = 0;
	while ((v = taskmap_next(s->threads, &it, NULL, NULL))) {
		for (int i = 0; i < SCHED_VICTIM_HOGS; i++) {
			const struct sched_victim_share *sh = &v->shares[i];
			if (!sh->wait_ns || sh->hog_tid != h->tid ||
			    sh->hog_start != h->start_ticks)
				continue;
			(*count)++;
			if (v->victim_max_wait_ns > *max_wait)
				*max_wait = v->victim_max_wait_ns;
			if (sh->wait_ns > *wait) {
				*wait = sh->wait_ns;
				best = v;
			}
		}
	}
	return best;
}

int sched_offenders(struct sched_img *s, struct sched_offender *out, int max, const int32_t *skip,
		    int nskip)
{
	int n, k = 0;
	struct sched_thread **v = collect(s, &n, by_rank);

	if (!v)
		return 0;
	for (int i = 0; i < n && k < max; i++) {
		const struct sched_thread *th = v[i];
		int skipped = 0;
		for (int j = 0; j < nskip; j++)
			skipped |= skip[j] == th->tgid;
		if (skipped || (!is_hog(s, th) && !th->cpu_ns))
			continue;
		struct sched_offender *o = &out[k++];
		uint64_t w;
		const struct sched_thread *tv = NULL;
		memset(o, 0, sizeof(*o));
		if (is_hog(s, th)) /* victims are charged to real hogs only */
			tv = top_victim(s, th, &w, &o->victims, &o->victim_max_wait_ns);
		o->tgid = th->tgid;
		o->tid = th->tid;
		memcpy(o->comm, th->comm, sizeof(o->comm));
		o->longest_run_ns = th->longest_run_ns;
		o->cpu_ns = th->cpu_ns;
		o->window_ns = th->last_t > th->first_t ? th->last_t - th->first_t : 0;
		o->runs_over = th->runs_over;
		o->cpu = th->nruns ? th->runs[0].cpu : th->cpu_now;
		for (int r = 1; r < th->nruns; r++)
			if (th->runs[r].end_ns - th->runs[r].start_ns >
			    th->runs[0].end_ns - th->runs[0].start_ns)
				o->cpu = th->runs[r].cpu;
		o->gone = th->gone;
		o->top_victim_tgid = tv ? tv->tgid : 0;
		memcpy(o->top_victim_comm, tv ? tv->comm : "", tv ? sizeof(o->top_victim_comm) : 1);
	}
	free(v);
	return k;
}

static void out_cpus(struct out *o, const char *key, const uint64_t *set, char *text, size_t len)
{
	size_t off = 0;

	out_arr_open(o, key);
	text[0] = '\0';
	for (int c = 0; c < SCHED_MAX_CPUS; c++) {
		if (!(set[c / 64] >> (c % 64) & 1))
			continue;
		out_i64(o, NULL, NULL, c);
		if (off < len)
			off += (size_t)snprintf(text + off, len - off, "%s%d", off ? "," : "", c);
	}
	out_arr_close(o);
}

static void out_run(struct sched_img *s, struct out *o, const struct sched_run *r)
{
	uint64_t len = r->end_ns - r->start_ns;
	char cpus[64];

	out_obj_open(o, NULL);
	out_u64(o, "start_t_ns", NULL, r->start_ns);
	out_f64(o, "start_s", "      run at +%.2f s", (double)(r->start_ns - s->first_t) / 1e9);
	out_f64(o, "length_ms", ": %.0f ms", ms(len));
	out_cpus(o, "cpus", r->cpus, cpus, sizeof(cpus));
	out_text(o, " on CPU %s", cpus);
	/* The counter moves in scheduler ticks: at the run's edges it can read
	 * a little more than the wall time between two samples. */
	double pct = len ? 100.0 * (double)r->on_ns / (double)len : 0;
	out_f64(o, "on_cpu_pct", ", %.0f%% on CPU", pct > 100 ? 100 : pct);
	out_u64(o, "timeslices", ", %llu timeslices", r->slices);
	out_f64(o, "longest_slice_ms", ", longest slice >= %.0f ms\n", ms(r->longest_slice_ns));
	out_obj_close(o);
}

static void out_stacks(struct out *o, const struct sched_thread *th)
{
	int best = -1;

	for (int i = 0; i < th->nstacks; i++)
		if (best < 0 || th->stacks[i].count > th->stacks[best].count)
			best = i;
	out_arr_open(o, "stack");
	if (best >= 0) {
		char buf[SCHED_STACK_LEN];
		snprintf(buf, sizeof(buf), "%s", th->stacks[best].folded);
		for (char *f = strtok(buf, ";"); f; f = strtok(NULL, ";"))
			out_str(o, NULL, NULL, f);
	}
	out_arr_close(o);
	out_arr_open(o, "stacks_folded");
	for (int i = 0; i < th->nstacks; i++) {
		char line[SCHED_STACK_LEN + 96];
		char comm[64];
		stack_frame_sanitize(th->comm, comm, sizeof(comm)); /* a ';' would split it */
		snprintf(line, sizeof(line), "%s;%s %u", comm, th->stacks[i].folded,
			 th->stacks[i].count);
		out_str(o, NULL, "      stack: %s\n", line);
	}
	out_arr_close(o);
}

static void out_hog(struct sched_img *s, struct out *o, const struct sched_thread *th)
{
	uint64_t w, mw;
	uint32_t nv;
	const struct sched_thread *v = top_victim(s, th, &w, &nv, &mw);
	uint64_t win = s->last_t > s->first_t ? s->last_t - s->first_t : 0;
	char cpus[64];
	int longest = 0;

	for (int i = 1; i < th->nruns; i++)
		if (th->runs[i].end_ns - th->runs[i].start_ns >
		    th->runs[longest].end_ns - th->runs[longest].start_ns)
			longest = i;
	out_obj_open(o, NULL);
	out_i64(o, "tid", "%8lld ", th->tid);
	out_i64(o, "pid", "%8lld ", th->tgid);
	out_str(o, "comm", "%-16s ", th->comm);
	out_i64(o, "cpu", "%4lld ", th->nruns ? th->runs[longest].cpu : th->cpu_now);
	out_f64(o, "longest_run_ms", "%9.0f ", ms(th->longest_run_ns));
	out_u64(o, "runs_over_threshold", "%5llu ", th->runs_over);
	out_f64(o, "cpu_ms", NULL, ms(th->cpu_ns));
	out_f64(o, "cpu_pct", "%6.1f ", win ? 100.0 * (double)th->cpu_ns / (double)win : 0);
	out_f64(o, "longest_slice_ms", "%9.0f  ", ms(th->longest_slice_ns));
	out_u64(o, "timeslices", NULL, th->slices);
	out_f64(o, "wait_ms", NULL, ms(th->wait_ns));
	out_bool(o, "exited", NULL, th->gone);
	out_cpus(o, "cpus", th->nruns ? th->runs[longest].cpus : th->cur.cpus, cpus, sizeof(cpus));
	if (v) {
		out_obj_open(o, "top_victim");
		out_i64(o, "pid", NULL, v->tgid);
		out_i64(o, "tid", NULL, v->tid);
		out_str(o, "comm", "%s", v->comm);
		out_text(o, "/%d", v->tid);
		out_f64(o, "wait_ms", " waited %.1f ms", ms(w));
		out_obj_close(o);
		out_u64(o, "victims", " (+%llu more)", nv ? nv - 1 : 0);
	} else {
		out_null(o, "top_victim", "-");
		out_u64(o, "victims", NULL, 0);
	}
	out_text(o, "%s\n", th->gone ? "  (exited)" : "");
	out_arr_open(o, "runs");
	for (int i = 0; i < th->nruns; i++)
		if (th->runs[i].end_ns - th->runs[i].start_ns >= s->p.threshold_ns)
			out_run(s, o, &th->runs[i]);
	out_arr_close(o);
	out_stacks(o, th);
	out_obj_close(o);
}

static void out_victim(struct sched_img *s, struct out *o, const struct sched_thread *v,
		       uint64_t wait, const struct sched_thread *h)
{
	out_obj_open(o, NULL);
	out_i64(o, "tid", "%8lld ", v->tid);
	out_i64(o, "pid", "%8lld ", v->tgid);
	out_str(o, "comm", "%-16s ", v->comm);
	out_i64(o, "cpu", "%4lld ", v->cpu_now);
	out_f64(o, "wait_ms", "%9.1f ", ms(wait));
	out_f64(o, "max_wait_ms", "%9.1f  ", ms(v->victim_max_wait_ns));
	out_obj_open(o, "behind");
	out_i64(o, "tid", "%lld", h->tid);
	out_i64(o, "pid", NULL, h->tgid);
	out_str(o, "comm", " (%s)\n", h->comm);
	out_obj_close(o);
	out_obj_close(o);
	(void)s;
}

static void out_hogs(struct sched_img *s, struct out *o, struct sched_thread **v, int n, int rows)
{
	int shown = 0;

	out_text(o, "\nHOGS: threads on CPU >= %d%% of the time for >= %.0f ms at a stretch\n",
		 SCHED_BUSY_PCT, ms(s->p.threshold_ns));
	out_text(o, "%8s %8s %-16s %4s %9s %5s %6s %9s  %s\n", "TID", "PID", "COMM", "CPU",
		 "LONGEST", "RUNS", "CPU%", "SLICE", "TOP VICTIM");
	out_text(o, "%8s %8s %-16s %4s %9s %5s %6s %9s\n", "", "", "", "", "run ms", "", "",
		 ">= ms");
	out_arr_open(o, "hogs");
	for (int i = 0; i < n && shown < rows; i++)
		if (is_hog(s, v[i])) {
			out_hog(s, o, v[i]);
			shown++;
		}
	out_arr_close(o);
	if (!shown)
		out_text(o, "  (none: no thread held a CPU that long)\n");
	out_text(o, "\nBUSIEST threads (CPU time, sampled only while their process used CPU)\n");
	out_arr_open(o, "busiest");
	shown = 0;
	for (int i = 0; i < n && shown < 5; i++) {
		if (is_hog(s, v[i]) || !v[i]->cpu_ns)
			continue;
		out_obj_open(o, NULL);
		out_i64(o, "tid", "%8lld ", v[i]->tid);
		out_i64(o, "pid", "%8lld ", v[i]->tgid);
		out_str(o, "comm", "%-16s ", v[i]->comm);
		out_f64(o, "cpu_ms", "%9.1f ms on CPU", ms(v[i]->cpu_ns));
		out_f64(o, "longest_run_ms", ", longest run %.0f ms\n", ms(v[i]->longest_run_ns));
		out_obj_close(o);
		shown++;
	}
	out_arr_close(o);
}

static void out_victims(struct sched_img *s, struct out *o, int rows)
{
	int n, shown = 0;
	struct sched_thread **v = collect(s, &n, by_wait);

	out_text(
	    o, "\nVICTIMS: threads that waited for a CPU a hog held (run-queue wait, schedstat)\n");
	out_text(o, "%8s %8s %-16s %4s %9s %9s  %s\n", "TID", "PID", "COMM", "CPU", "WAIT ms",
		 "MAX ms", "BEHIND");
	out_arr_open(o, "victims");
	for (int i = 0; v && i < n && shown < rows; i++) {
		const struct sched_thread *h;
		uint64_t w = victim_wait(s, v[i], &h);
		if (!w || !h)
			continue;
		out_victim(s, o, v[i], w, h);
		shown++;
	}
	out_arr_close(o);
	if (!shown)
		out_text(o, "  (none seen)\n");
	free(v);
}

/* -f folded: the stacks of the hogs, FlameGraph's input, nothing else. */
static void folded_out(struct sched_img *s, struct out *o, struct sched_thread **v, int n)
{
	for (int i = 0; i < n; i++) {
		if (!is_hog(s, v[i]))
			continue;
		char comm[64];
		/* a comm is the task's to choose: ';', ' ' or a newline in it
		 * would forge frames or counts */
		stack_frame_sanitize(v[i]->comm, comm, sizeof(comm));
		for (int k = 0; k < v[i]->nstacks; k++)
			out_printf(o->fp, "%s;%s %u\n", comm, v[i]->stacks[k].folded,
				   v[i]->stacks[k].count);
	}
}

void sched_report_out(struct sched_img *s, struct out *o)
{
	int n, rows = s->p.top > 0 ? s->p.top : DEFAULT_ROWS;
	struct sched_thread **v = collect(s, &n, by_rank);

	if (o->fmt == OUT_FOLDED) {
		if (v)
			folded_out(s, o, v, n);
		free(v);
		return;
	}

	out_f64(o, "threshold_ms", "threshold %.0f ms", ms(s->p.threshold_ns));
	out_f64(o, "resolution_ms", ", resolution %.0f ms", ms(s->p.interval_ns));
	out_u64(o, "busy_pct", " (a run: on CPU >= %llu%% of wall time", SCHED_BUSY_PCT);
	out_f64(o, "slack_ms", ", off-CPU slack %.0f ms;", ms(SCHED_SLACK_NS + s->p.interval_ns));
	out_str(o, "figures", " %s)\n", "exact schedstat counters, sampled at the interval");
	out_u64(o, "threads_sampled", "threads sampled: %llu", taskmap_count(s->threads));
	out_u64(o, "task_samples", ", task-samples: %llu", s->samples);
	out_u64(o, "counter_resets", ", counter resets: %llu\n", s->wraps);
	if (s->touched_lost)
		out_u64(o, "victim_samples_lost", "victim samples not attributed: %llu\n",
			s->touched_lost);
	if (v)
		out_hogs(s, o, v, n, rows);
	out_victims(s, o, rows);
	free(v);
}
