/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The keytime report: events sorted by CLOCK_MONOTONIC time (exec records
 * arrive late, after /proc was read off the hot path, so the stream itself
 * is not in order), each with its wall time, then a summary. Exit events
 * carry the exact accounting of the taskstats exit record of the same task
 * when one arrived. Every event says whether it is exact (a kernel event) or
 * sampled (from polling, resolution = the interval).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/taskmap.h"
#include "images/image_time.h"
#include "images/keytime.h"

static const char *const type_names[KT_TYPE_COUNT] = {
    [KT_FORK] = "fork",		[KT_CLONE] = "clone", [KT_EXEC] = "exec",
    [KT_EXIT] = "exit",		[KT_COMM] = "comm",   [KT_UID] = "uid",
    [KT_GID] = "gid",		[KT_SID] = "sid",     [KT_PTRACE] = "ptrace",
    [KT_COREDUMP] = "coredump", [KT_ONCPU] = "oncpu", [KT_OFFCPU] = "offcpu",
    [KT_BLOCKED] = "blocked",	[KT_LOST] = "lost",
};

const char *keytime_type_name(int type)
{
	return type >= 0 && type < KT_TYPE_COUNT ? type_names[type] : "?";
}

/* RFC 3339 UTC with microseconds, with the recording host's clock offset. */
static void wall_time(const struct kt_img *k, uint64_t mono_ns, char *buf, size_t len)
{
	clock_format_rfc3339_us(image_wall_ns(&k->p, mono_ns), buf, len);
}

static int cmp_event(const void *a, const void *b, void *ctx)
{
	const struct kt_event *ev = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	if (ev[x].t_ns != ev[y].t_ns)
		return ev[x].t_ns < ev[y].t_ns ? -1 : 1;
	return (x > y) - (x < y);
}

static int cmp_ts(const void *a, const void *b)
{
	const struct kt_ts *x = a, *y = b;

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return (x->t_ns > y->t_ns) - (x->t_ns < y->t_ns);
}

/* Attach to each exit the taskstats exit record of the same tid nearest in
 * time (within 2 s: a reused tid is a different task). */
static void match_taskstats(struct kt_img *k)
{
	if (k->nts)
		qsort(k->ts, k->nts, sizeof(*k->ts), cmp_ts);
	for (size_t i = 0; i < k->nev; i++) {
		struct kt_event *e = &k->ev[i];
		size_t lo = 0, hi = k->nts;
		if (e->type != KT_EXIT)
			continue;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (k->ts[mid].tid < e->tid)
				lo = mid + 1;
			else
				hi = mid;
		}
		uint64_t best = 2 * NS_PER_S;
		for (size_t j = lo; j < k->nts && k->ts[j].tid == e->tid; j++) {
			uint64_t d = k->ts[j].t_ns > e->t_ns ? k->ts[j].t_ns - e->t_ns
							     : e->t_ns - k->ts[j].t_ns;
			if (d <= best) {
				best = d;
				e->ts = (int32_t)j;
			}
		}
		if (e->ts >= 0 && k->ts[e->ts].comm[0])
			memcpy(e->comm, k->ts[e->ts].comm,
			       sizeof(e->comm)); /* the name it died with */
	}
}

/* An exec whose /proc files were gone: name it at least by the comm its
 * task had at exit (the next exit of that pid), when taskstats saw it. */
static void name_lost_execs(struct kt_img *k, const uint32_t *idx)
{
	for (size_t i = 0; i < k->nev; i++) {
		struct kt_event *e = &k->ev[idx[i]];
		if (e->type != KT_EXEC || e->text_len)
			continue;
		for (size_t j = i + 1; j < k->nev && j < i + 4096; j++) {
			const struct kt_event *x = &k->ev[idx[j]];
			if (x->pid != e->pid || (x->type != KT_EXIT && x->type != KT_EXEC))
				continue;
			if (x->type == KT_EXIT && x->tid == e->tid && x->ts >= 0)
				memcpy(e->comm, x->comm, sizeof(e->comm));
			break;
		}
	}
}

static void out_exit(struct kt_img *k, struct out *o, const struct kt_event *e, char *d, size_t n)
{
	struct kt_wait w;
	const char *abbrev;
	uint32_t status = e->status;

	out_bool(o, "thread", NULL, e->thread);
	if (e->sampled && e->ts >= 0) {
		status = k->ts[e->ts].exitcode; /* the exit listener knew the code */
		out_str(o, "exit_code_source", NULL, "taskstats");
	} else if (e->sampled) {
		out_null(o, "exit_code", NULL);
		out_null(o, "signal", NULL);
		out_str(o, "cause", NULL, "unknown");
		snprintf(d, n, "%s gone (exit code unknown: seen by polling)",
			 e->thread ? "thread" : "process");
		return;
	}
	keytime_wait_decode(status, &w);
	out_u64(o, "status", NULL, status);
	if (w.exited) {
		out_i64(o, "exit_code", NULL, w.code);
		out_null(o, "signal", NULL);
		out_str(o, "cause", NULL, "exit");
		snprintf(d, n, "%scode %d", e->thread ? "thread, " : "", w.code);
	} else {
		out_null(o, "exit_code", NULL);
		out_i64(o, "signal", NULL, w.signal);
		out_str(o, "cause", NULL, "signal");
		abbrev = sigabbrev_np(w.signal);
		snprintf(d, n, "%skilled by signal %d (SIG%s)%s", e->thread ? "thread, " : "",
			 w.signal, abbrev ? abbrev : "?", w.core ? ", core dumped" : "");
	}
	out_bool(o, "core_dumped", NULL, w.core);
	if (e->ts >= 0) {
		const struct kt_ts *t = &k->ts[e->ts];
		size_t l = strlen(d);
		out_obj_open(o, "taskstats");
		out_f64(o, "cpu_ms", NULL, (double)t->cpu_ns / 1e6);
		out_f64(o, "user_ms", NULL, (double)t->utime_us / 1e3);
		out_f64(o, "sys_ms", NULL, (double)t->stime_us / 1e3);
		out_u64(o, "read_bytes", NULL, t->read_bytes);
		out_u64(o, "write_bytes", NULL, t->write_bytes);
		out_u64(o, "rss_hwm_bytes", NULL, t->rss_hwm_kb * 1024);
		out_obj_close(o);
		snprintf(d + l, n - l,
			 "; cpu %.1f ms, rss peak %llu KiB, read %llu B, write %llu B",
			 (double)t->cpu_ns / 1e6, (unsigned long long)t->rss_hwm_kb,
			 (unsigned long long)t->read_bytes, (unsigned long long)t->write_bytes);
	}
}

static void out_exec(struct kt_img *k, struct out *o, const struct kt_event *e, char *d, size_t n)
{
	const char *t = k->text + e->text_off, *end = t + e->text_len;
	size_t l;

	if (!e->text_len) {
		out_null(o, "filename", NULL);
		out_null(o, "argv", NULL);
		snprintf(d, n,
			 "(filename and argv unknown: the task was gone before /proc was read)");
		return;
	}
	out_str(o, "filename", NULL, t[0] ? t : NULL);
	l = (size_t)snprintf(d, n, "%s", t[0] ? t : "?");
	if (t + strlen(t) + 1 >= end) {
		out_null(o, "argv", NULL);
		snprintf(d + l, n - l, " (argv unknown: the task was gone before it was read)");
		return;
	}
	out_arr_open(o, "argv");
	for (t += strlen(t) + 1; t < end; t += strlen(t) + 1) {
		out_str(o, NULL, NULL, t);
		if (l < n)
			l += (size_t)snprintf(d + l, n - l, " %s", t);
	}
	out_arr_close(o);
}

static const char *state_words(int state)
{
	switch (state) {
	case 'R':
		return " (runnable: waiting for a CPU)";
	case 'D':
		return " (uninterruptible)";
	case 'S':
		return " (sleeping)";
	case 'T':
	case 't':
		return " (stopped)";
	default:
		return "";
	}
}

static void out_period(struct kt_img *k, struct out *o, const struct kt_event *e, char *d, size_t n)
{
	double ms = (double)e->dur_ns / 1e6;
	size_t l;

	out_f64(o, "duration_ms", NULL, ms);
	out_bool(o, "ongoing", NULL, e->ongoing);
	if (e->type == KT_ONCPU) {
		out_f64(o, "cpu_ms", NULL, (double)e->cpu_ns / 1e6);
		snprintf(d, n, "%.1f ms on CPU (ran %.1f ms)%s", ms, (double)e->cpu_ns / 1e6,
			 e->ongoing ? ", ongoing" : "");
		return;
	}
	const char *wchan = k->text + e->text_off;
	const char *stack = e->text_len ? wchan + strlen(wchan) + 1 : "";
	char st[2] = {(char)e->state, 0};
	out_str(o, "state", NULL, st);
	out_str(o, "wchan", NULL, e->text_len && wchan[0] ? wchan : NULL);
	if (e->syscall >= 0)
		out_i64(o, "syscall", NULL, e->syscall);
	else
		out_null(o, "syscall", NULL);
	l = (size_t)snprintf(d, n, "%.1f ms off CPU, state %s%s", ms, st, state_words(e->state));
	if (e->text_len && wchan[0] && l < n)
		l += (size_t)snprintf(d + l, n - l, ", wchan %s", wchan);
	if (e->syscall >= 0 && l < n)
		l += (size_t)snprintf(d + l, n - l, ", in syscall %d", e->syscall);
	if (e->ongoing && l < n)
		snprintf(d + l, n - l, ", ongoing");
	out_arr_open(o, "stack");
	for (const char *p = stack; e->text_len && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char frame[128];
		snprintf(frame, sizeof(frame), "%.*s", (int)len, p);
		out_str(o, NULL, NULL, frame);
		p += len + (nl ? 1 : 0);
	}
	out_arr_close(o);
}

static void out_details(struct kt_img *k, struct out *o, const struct kt_event *e, char *d,
			size_t n)
{
	d[0] = '\0';
	switch (e->type) {
	case KT_FORK:
		out_i64(o, "child_pid", NULL, e->a);
		out_i64(o, "child_tid", NULL, e->b);
		snprintf(d, n, "child %d", e->a);
		break;
	case KT_CLONE:
		out_i64(o, "child_tid", NULL, e->b);
		snprintf(d, n, "thread %d", e->b);
		break;
	case KT_EXEC:
		out_exec(k, o, e, d, n);
		break;
	case KT_EXIT:
		out_exit(k, o, e, d, n);
		break;
	case KT_COMM:
		snprintf(d, n, "comm is now '%s'", e->comm);
		break;
	case KT_UID:
	case KT_GID:
		out_u64(o, e->type == KT_UID ? "ruid" : "rgid", NULL, (uint32_t)e->a);
		out_u64(o, e->type == KT_UID ? "euid" : "egid", NULL, (uint32_t)e->b);
		snprintf(d, n, "real %u, effective %u", (unsigned)e->a, (unsigned)e->b);
		break;
	case KT_PTRACE:
		out_str(o, "action", NULL, e->state == 'a' ? "attach" : "detach");
		out_i64(o, "tracer_pid", NULL, e->a);
		snprintf(d, n, "%s by %d", e->state == 'a' ? "attached" : "detached", e->a);
		break;
	case KT_ONCPU:
	case KT_OFFCPU:
	case KT_BLOCKED:
		out_period(k, o, e, d, n);
		break;
	case KT_LOST:
		out_u64(o, "count", NULL, e->cpu_ns);
		out_f64(o, "window_ms", NULL, (double)e->dur_ns / 1e6);
		snprintf(d, n, "%llu events LOST between this time and %.1f ms later",
			 (unsigned long long)e->cpu_ns, (double)e->dur_ns / 1e6);
		if (!e->cpu_ns)
			snprintf(d, n, "events LOST (receive buffer overflow; number unknown)");
		break;
	}
}

static void out_event(struct kt_img *k, struct out *o, const struct kt_event *e)
{
	char when[48], detail[1024];

	wall_time(k, e->t_ns, when, sizeof(when));
	out_obj_open(o, NULL);
	out_u64(o, "t_ns", NULL, e->t_ns);
	out_str(o, "time", "%s ", when);
	out_str(o, "type", NULL, keytime_type_name(e->type));
	out_text(o, "%10.6f ",
		 k->first_t && e->t_ns >= k->first_t ? (double)(e->t_ns - k->first_t) / 1e9 : 0.0);
	if (e->type == KT_LOST) {
		/* Host-wide: the lost events may have been anyone's. */
		out_null(o, "pid", NULL);
		out_text(o, "%7s %7s %-16s ", "-", "-", "-");
	} else {
		out_i64(o, "pid", "%7lld ", e->pid);
		out_i64(o, "tid", "%7lld ", e->tid);
		out_str(o, "comm", "%-16s ", e->comm);
	}
	out_text(o, "%-8s ", keytime_type_name(e->type));
	if (e->cpu >= 0)
		out_i64(o, "cpu", NULL, e->cpu);
	out_bool(o, "exact", NULL, !e->sampled);
	if (e->sampled && e->type != KT_LOST)
		out_f64(o, "resolution_ms", NULL, (double)k->p.interval_ns / 1e6);
	out_details(k, o, e, detail, sizeof(detail));
	out_text(o, "%s%s\n", detail, e->sampled && e->type < KT_ONCPU ? " [sampled]" : "");
	out_obj_close(o);
}

struct kt_summary {
	uint64_t n[KT_TYPE_COUNT];
	uint64_t exit_codes[256], signals[65], cores, unknown, thread_exits;
};

/* The status of the process whose leader exit is e. A leader that left
 * before its threads (pthread_exit in main) exited with 0, but the process
 * ends with its last thread, whose status the parent's wait() gets. The
 * events are walked back in time: `later` holds, per pid, the last thread
 * exit seen so far, forgotten at the fork that made the pid (an earlier
 * process with that pid is another one). */
static uint32_t process_status(struct taskmap *later, const struct kt_event *e)
{
	uint32_t st = e->status, *v = later ? taskmap_get(later, e->pid, 0) : NULL;

	if (v) {
		st = *v;
		taskmap_del(later, e->pid, 0);
	}
	return st;
}

static void summarize(const struct kt_img *k, struct kt_summary *s)
{
	struct kt_wait w;
	struct taskmap *later = taskmap_new(sizeof(uint32_t));

	memset(s, 0, sizeof(*s));
	for (size_t i = k->nev; i-- > 0;) {
		const struct kt_event *e = &k->ev[i];
		s->n[e->type]++;
		if (e->type == KT_FORK && later)
			taskmap_del(later, e->a, 0);
		if (e->type != KT_EXIT)
			continue;
		if (e->thread) {
			int created = 0;
			uint32_t *v =
			    later && !e->sampled ? taskmap_put(later, e->pid, 0, &created) : NULL;
			if (v && created)
				*v = e->status;
			s->thread_exits++;
			continue;
		}
		/* Taken for a sampled exit too: it is that pid's process. */
		uint32_t st = process_status(later, e);
		if (e->sampled && e->ts < 0) {
			s->unknown++;
			continue;
		}
		keytime_wait_decode(e->sampled ? k->ts[e->ts].exitcode : st, &w);
		if (w.exited)
			s->exit_codes[w.code & 255]++;
		else if (w.signal > 0 && w.signal < 65)
			s->signals[w.signal]++;
		s->cores += (uint64_t)w.core;
	}
	taskmap_free(later);
}

static void out_causes(struct out *o, const struct kt_summary *s)
{
	char key[16];

	out_obj_open(o, "exit_codes");
	for (int c = 0; c < 256; c++)
		if (s->exit_codes[c]) {
			snprintf(key, sizeof(key), "%d", c);
			out_u64(o, key, NULL, s->exit_codes[c]);
			out_text(o, ", %llu with code %d", (unsigned long long)s->exit_codes[c], c);
		}
	out_obj_close(o);
	out_obj_open(o, "signals");
	for (int g = 1; g < 65; g++)
		if (s->signals[g]) {
			const char *a = sigabbrev_np(g);
			snprintf(key, sizeof(key), "%d", g);
			out_u64(o, key, NULL, s->signals[g]);
			out_text(o, ", %llu killed by signal %d (SIG%s)",
				 (unsigned long long)s->signals[g], g, a ? a : "?");
		}
	out_obj_close(o);
	out_u64(o, "core_dumps", s->cores ? ", %llu core dumps" : NULL, s->cores);
	out_u64(o, "unknown", s->unknown ? ", %llu with unknown code (polling)" : NULL, s->unknown);
}

static void out_summary(struct kt_img *k, struct out *o)
{
	struct kt_summary s;
	double secs = k->last_t > k->first_t ? (double)(k->last_t - k->first_t) / 1e9 : 0;
	uint64_t pexits;

	summarize(k, &s);
	pexits = s.n[KT_EXIT] - s.thread_exits;
	out_obj_open(o, "summary");
	out_text(o, "\nsummary over %.2f s:\n", secs);
	out_u64(o, "forks", "  %llu forks", s.n[KT_FORK]);
	out_f64(o, "children_per_s", " (%.1f children/s)",
		secs > 0 ? (double)s.n[KT_FORK] / secs : 0);
	out_u64(o, "clones", ", %llu threads created", s.n[KT_CLONE]);
	out_u64(o, "execs", ", %llu execs", s.n[KT_EXEC]);
	out_u64(o, "comm_changes", ", %llu comm changes\n", s.n[KT_COMM]);
	out_u64(o, "exits", "  %llu process exits", pexits);
	out_causes(o, &s);
	out_u64(o, "thread_exits", "; %llu thread exits\n", s.thread_exits);
	out_u64(o, "oncpu_periods", "  %llu on-CPU", s.n[KT_ONCPU]);
	out_u64(o, "offcpu_periods", ", %llu off-CPU", s.n[KT_OFFCPU]);
	out_u64(o, "blocked_periods", ", %llu blocked periods", s.n[KT_BLOCKED]);
	out_text(o, " of at least %.0f ms (sampled every %.0f ms)\n",
		 (double)k->p.threshold_ns / 1e6, (double)k->p.interval_ns / 1e6);
	out_u64(o, "lost", k->lost || k->lost_episodes ? "  LOST: %llu events" : NULL, k->lost);
	out_u64(o, "loss_episodes", k->lost_episodes ? " in %llu episodes\n" : NULL,
		k->lost_episodes);
	out_u64(o, "events_dropped",
		k->dropped ? "  %llu events not kept (over the limit)\n" : NULL, k->dropped);
	out_obj_close(o);
}

void keytime_report_out(struct kt_img *k, struct out *o)
{
	uint32_t *idx = malloc((k->nev ? k->nev : 1) * sizeof(*idx));

	match_taskstats(k);
	out_f64(o, "threshold_ms", NULL, (double)k->p.threshold_ns / 1e6);
	out_f64(o, "resolution_ms", NULL, (double)k->p.interval_ns / 1e6);
	out_str(o, "lifecycle", NULL, k->connector_seen ? "connector" : "polling");
	out_bool(o, "children", NULL, k->p.children);
	out_arr_open(o, "events");
	out_text(o, "%-27s %10s %7s %7s %-16s %-8s %s\n", "TIME", "+SEC", "PID", "TID", "COMM",
		 "EVENT", "DETAILS");
	if (idx) {
		for (uint32_t i = 0; i < k->nev; i++)
			idx[i] = i;
		qsort_r(idx, k->nev, sizeof(*idx), cmp_event, k->ev);
		name_lost_execs(k, idx);
		for (size_t i = 0; i < k->nev; i++)
			out_event(k, o, &k->ev[idx[i]]);
	}
	out_arr_close(o);
	free(idx);
	out_summary(k, o);
}
