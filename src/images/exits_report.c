/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The exits image, second half: deciding each exit's cause from the evidence
 * gathered, and describing exits through the field API (the report, and the
 * line-per-exit stream of --follow).
 */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "images/exits_int.h"
#include "images/image_time.h"

int exits_parse_oom_line(const char *msg, int32_t *pid, char *comm, size_t commlen)
{
	const char *p = strstr(msg, "oom-kill:");
	const char *q;
	long v;
	char *end;
	size_t n = 0;

	comm[0] = '\0';
	if (p && (q = strstr(p, ",pid="))) {
		v = strtol(q + 5, &end, 10);
		if (v <= 0 || end == q + 5)
			return 0;
		*pid = (int32_t)v;
		if ((q = strstr(p, ",task="))) {
			for (q += 6; q[n] && q[n] != ',' && n + 1 < commlen; n++)
				comm[n] = q[n];
			comm[n] = '\0';
		}
		return 1;
	}
	p = strstr(msg, "Killed process ");
	if (!p)
		return 0;
	p += 15;
	v = strtol(p, &end, 10);
	if (v <= 0 || end == p)
		return 0;
	*pid = (int32_t)v;
	if (strncmp(end, " (", 2) == 0)
		for (q = end + 2; q[n] && q[n] != ')' && n + 1 < commlen; n++)
			comm[n] = q[n];
	comm[n] = '\0';
	return 1;
}

/* "comm[N]" ending just before end (a ']'): pid and comm, 1 if found. The
 * comm starts after the last space or after "traps: ". */
static int comm_pid_before(const char *msg, const char *end, int32_t *pid, char *comm,
			   size_t commlen)
{
	const char *open = end, *start;
	long v;
	char *e;

	while (open > msg && open[-1] != '[')
		open--;
	if (open <= msg + 1)
		return 0;
	v = strtol(open, &e, 10);
	if (e != end || v <= 0)
		return 0;
	start = open - 1;
	while (start > msg && start[-1] != ' ')
		start--;
	snprintf(comm, commlen, "%.*s", (int)(open - 1 - start), start);
	*pid = (int32_t)v;
	return 1;
}

int exits_parse_crash_line(const char *msg, int32_t *pid, char *comm, size_t commlen, int *sig)
{
	/* The signal each fault sends (x86: do_trap, the page fault and #GP
	 * handlers); a trap not named here leaves it unknown. */
	static const struct {
		const char *at;
		int sig;
	} faults[] = {
	    {"]: segfault at ", SIGSEGV},	{"] general protection", SIGSEGV},
	    {"] trap int3 ", SIGTRAP},		{"] trap divide error ", SIGFPE},
	    {"] trap invalid opcode ", SIGILL}, {"] trap ", 0},
	};
	const char *p, *q;
	char *end;
	long v;

	comm[0] = '\0';
	*sig = 0;
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		if ((p = strstr(msg, faults[i].at))) {
			*sig = faults[i].sig;
			return comm_pid_before(msg, p, pid, comm, commlen);
		}
	/* The audit record of an abnormal end, printed by the kernel when no
	 * audit daemon takes it: type=1701 (ANOM_ABEND) ... pid=N ... sig=S. */
	if (!strstr(msg, "type=1701 ") || !(p = strstr(msg, " pid=")) ||
	    !(q = strstr(msg, " sig=")))
		return 0;
	v = strtol(p + 5, &end, 10);
	if (v <= 0 || end == p + 5)
		return 0;
	*pid = (int32_t)v;
	*sig = (int)strtol(q + 5, NULL, 10);
	if ((p = strstr(msg, " comm=\"")) && (q = strchr(p + 7, '"')))
		snprintf(comm, commlen, "%.*s", (int)(q - p - 7), p + 7);
	return 1;
}

__attribute__((format(printf, 2, 3))) static void evidence(struct ex_exit *e, const char *fmt, ...)
{
	va_list ap;

	if (e->nevidence >= 4)
		return;
	va_start(ap, fmt);
	vsnprintf(e->evidence[e->nevidence++], sizeof(e->evidence[0]), fmt, ap);
	va_end(ap);
}

static void lacking(struct ex_exit *e, const char *what)
{
	if (e->nlacking < 3)
		snprintf(e->lacking[e->nlacking++], sizeof(e->lacking[0]), "%s", what);
}

static struct ex_oom *find_line(struct ex_img *x, const struct ex_exit *e, int crash)
{
	uint64_t start_ns =
	    e->start * NS_PER_S / (uint64_t)(x->p.ticks_per_s > 0 ? x->p.ticks_per_s : 100);

	for (size_t i = x->nooms; i-- > 0;) {
		struct ex_oom *o = &x->ooms[i];
		/* A fault names the thread: the leader, or the last thread seen. */
		if (o->crash != crash || (o->pid != e->pid && !(crash && o->pid == e->t_tid)))
			continue;
		/* Not an OOM kill of an earlier process that had this pid. */
		if (e->start ? o->t_ns + NS_PER_S >= start_ns
			     : (o->t_ns > e->t_ns ? o->t_ns - e->t_ns : e->t_ns - o->t_ns) <
				   30 * NS_PER_S)
			return o;
	}
	return NULL;
}

/* /proc/vmstat oom_kill moves near the exit: how many kills. */
static uint64_t vm_moves_near(const struct ex_img *x, uint64_t t)
{
	uint64_t win = 2 * NS_PER_S + 2 * x->p.interval_ns, n = 0;
	size_t first = x->nvm > EX_VM_RING ? x->nvm - EX_VM_RING : 0;

	for (size_t i = first; i < x->nvm; i++) {
		const struct ex_vm *v = &x->vm_moves[i % EX_VM_RING];
		if ((v->t_ns > t ? v->t_ns - t : t - v->t_ns) <= win)
			n += v->delta;
	}
	return n;
}

static int is_crash(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
	       sig == SIGABRT || sig == SIGSYS || sig == SIGTRAP;
}

static void classify_killed(struct ex_img *x, struct ex_exit *e)
{
	uint64_t vm = vm_moves_near(x, e->t_ns);
	int kmsg = x->have & EXITS_HAVE_KMSG;

	e->cause = CAUSE_SIGNAL;
	if (!kmsg && vm) {
		e->cause = CAUSE_OOM;
		e->probable = 1;
		evidence(e, "/proc/vmstat oom_kill rose by %llu near the exit",
			 (unsigned long long)vm);
	} else if (kmsg) {
		evidence(e, "the kernel log names no OOM kill of this pid");
	}
	if (!kmsg && (x->have & EXITS_CONTEXT_KNOWN))
		lacking(
		    e,
		    "kernel log: /dev/kmsg needs CAP_SYSLOG (kernel.dmesg_restrict=1), so an OOM "
		    "kill can be neither confirmed nor ruled out");
	if (!(x->have & EXITS_HAVE_VMSTAT) && (x->have & EXITS_CONTEXT_KNOWN) && !kmsg)
		lacking(e, "/proc/vmstat oom_kill counter: not readable");
}

void exits_classify(struct ex_img *x, struct ex_exit *e)
{
	struct ex_oom *o = find_line(x, e, 0), *c = find_line(x, e, 1);
	int sig = e->have_status && WIFSIGNALED(e->status) ? WTERMSIG(e->status) : 0;

	if (e->was_open && !e->final && x->ngroups)
		x->ngroups--;
	e->final = 1;
	e->group_open = 0;
	e->nevidence = e->nlacking = 0;
	e->probable = 0;
	if (o) {
		e->cause = CAUSE_OOM;
		o->matched = 1;
		for (int i = 0; i < o->nlines; i++)
			evidence(e, "kernel log: %s", o->line[i]);
	} else if (e->have_seen && e->seen.have_cg && e->have_cg_after &&
		   e->cg_after > e->seen.cg_oom_kill && (!e->have_status || sig == SIGKILL)) {
		e->cause = CAUSE_OOM;
		evidence(e, "memory cgroup %s: oom_kill %llu -> %llu", e->seen.cg_path,
			 (unsigned long long)e->seen.cg_oom_kill, (unsigned long long)e->cg_after);
	} else if (c && (!e->have_status || is_crash(sig))) {
		/* The kernel's line of the fatal fault: the cause, even when no
		 * source gave the status (the signal, when the line names it). */
		e->cause = CAUSE_CRASH;
		c->matched = 1;
		for (int i = 0; i < c->nlines; i++)
			evidence(e, "kernel log: %s", c->line[i]);
		if (!e->have_status && c->sig > 0 && c->sig < 128) {
			e->status = (uint32_t)c->sig; /* a wait status: killed by sig */
			e->have_status = 1;
			e->status_src = SRC_KMSG;
		} else if (!e->have_status) {
			lacking(e, "exit status: neither the proc connector nor taskstats reported "
				   "this exit; the cause is the kernel log's");
		}
	} else if (!e->have_status) {
		e->cause = CAUSE_UNKNOWN;
		lacking(e,
			"exit status: neither the proc connector nor taskstats reported this exit "
			"(polling only saw the process gone)");
		if (!(x->have & EXITS_HAVE_KMSG) && (x->have & EXITS_CONTEXT_KNOWN))
			lacking(e,
				"kernel log: /dev/kmsg needs CAP_SYSLOG (kernel.dmesg_restrict=1)");
	} else if (sig == SIGKILL) {
		classify_killed(x, e);
	} else if (sig) {
		e->cause = is_crash(sig) ? CAUSE_CRASH : CAUSE_SIGNAL;
	} else {
		e->cause = CAUSE_EXIT;
	}
	if (e->cause == CAUSE_SIGNAL)
		lacking(e, "sender of the signal: not known without audit");
}

/* An exit nobody needs to read about once counted: exit code 0. */
static int plain_exit(const struct ex_exit *e)
{
	return e->cause == CAUSE_EXIT && e->have_status && e->status == 0;
}

void exits_trim(struct ex_img *x)
{
	size_t nfinal = x->first_pending, excess, keep = 0;

	if (nfinal <= EX_KEEP_FINAL / 2)
		return;
	excess = nfinal - EX_KEEP_FINAL / 2;
	/* Two passes over the decided prefix, oldest first: plain exits, then
	 * (when those were not enough) any. */
	for (int pass = 0; pass < 2 && excess; pass++) {
		keep = 0;
		for (size_t i = 0; i < x->first_pending; i++) {
			struct ex_exit *e = &x->exits[i];
			if (excess && (pass || plain_exit(e) || !exits_listed(e))) {
				excess--;
				if (exits_listed(e)) {
					x->unlisted++;
					x->unlisted_plain += plain_exit(e);
					x->unlisted_by[e->cause]++;
				}
				continue;
			}
			x->exits[keep++] = *e;
		}
		memmove(&x->exits[keep], &x->exits[x->first_pending],
			(x->nexits - x->first_pending) * sizeof(x->exits[0]));
		x->nexits -= x->first_pending - keep;
		x->first_pending = keep;
	}
}

static const char *cause_name(enum ex_cause c)
{
	static const char *const n[] = {"unknown", "exit", "signal", "crash", "oom_kill"};
	return n[c];
}

static void status_text(const struct ex_exit *e, char *buf, size_t len)
{
	if (!e->have_status)
		snprintf(buf, len, "?");
	else if (WIFSIGNALED(e->status))
		snprintf(buf, len, "SIG%s%s",
			 sigabbrev_np(WTERMSIG(e->status)) ? sigabbrev_np(WTERMSIG(e->status))
							   : "?",
			 WCOREDUMP(e->status) ? " (core)" : "");
	else
		snprintf(buf, len, "exit %d", WEXITSTATUS(e->status));
}

static void exit_out(const struct ex_img *x, const struct ex_exit *e, struct out *o)
{
	char st[48], when[40], life[32];
	int sig = e->have_status && WIFSIGNALED(e->status) ? WTERMSIG(e->status) : 0;
	double hz = (double)(x->p.ticks_per_s > 0 ? x->p.ticks_per_s : 100);
	double lifetime = e->have_ts && e->etime_us ? (double)e->etime_us / 1e6
			  : e->start		    ? (double)e->t_ns / 1e9 - (double)e->start / hz
						    : -1;
	/* The leader's exact life, and the group's after it left: the latter
	 * from an event time and a read time, so no longer exact. */
	int exact = e->have_ts && e->etime_us;
	if (exact && e->was_open && e->leader_ts_ns && e->t_ns > e->leader_ts_ns + NS_PER_S / 10) {
		lifetime += (double)(e->t_ns - e->leader_ts_ns) / 1e9;
		exact = 0;
	}

	status_text(e, st, sizeof(st));
	snprintf(life, sizeof(life), lifetime >= 0 ? "%.2f s" : "?", lifetime);
	clock_format_rfc3339(image_wall_ns(&x->p, e->t_ns), when, sizeof(when));
	out_obj_open(o, NULL);
	out_i64(o, "pid", "%8lld ", e->pid);
	out_str(o, "comm", "%-16s ", e->comm);
	out_str(o, "cause", "%-9s", cause_name(e->cause));
	if (e->cause == CAUSE_UNKNOWN) /* nothing is certain about an unknown cause */
		out_null(o, "confidence", NULL);
	else
		out_str(o, "confidence", NULL, e->probable ? "probable" : "certain");
	out_text(o, "%s", e->probable ? "? " : "  ");
	out_str(o, "status", "%-14s ", st);
	out_text(o, "%-10s ", life);
	if (e->have_seen && (e->seen.have & PF_STAT)) {
		out_u64(o, "last_rss_bytes", NULL, e->seen.rss_kb * 1024);
		out_text(o, "%8.1f MiB ", (double)e->seen.rss_kb / 1024.0);
	} else
		out_null(o, "last_rss_bytes", "       ? MiB ");
	if (e->have_seen && (e->seen.have & PF_OOM_SCORE)) {
		out_i64(o, "oom_score", "%6lld", e->seen.oom_score);
		out_i64(o, "oom_score_adj", "/%-5lld", e->seen.oom_adj);
	} else {
		out_null(o, "oom_score", "     ?");
		out_null(o, "oom_score_adj", "/?    ");
	}
	out_text(o, "  %s\n", when);
	out_u64(o, "t_ns", NULL, e->t_ns);
	out_str(o, "time", NULL, when);
	if (e->have_status && WIFEXITED(e->status))
		out_i64(o, "exit_code", NULL, WEXITSTATUS(e->status));
	else
		out_null(o, "exit_code", NULL);
	if (sig) {
		out_i64(o, "signal", NULL, sig);
		out_str(o, "signal_name", NULL, sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
		if (e->status_src == SRC_KMSG) /* the log line does not say */
			out_null(o, "core_dumped", NULL);
		else
			out_bool(o, "core_dumped", NULL, WCOREDUMP(e->status));
	} else {
		out_null(o, "signal", NULL);
	}
	if (e->have_status)
		out_str(o, "status_source", NULL, record_source_name(e->status_src));
	else
		out_null(o, "status_source", NULL);
	if (lifetime >= 0) {
		out_f64(o, "lifetime_s", NULL, lifetime);
		out_bool(o, "lifetime_exact", NULL, exact);
	} else {
		out_null(o, "lifetime_s", NULL);
	}
	if (e->have_seen)
		out_f64(o, "last_seen_before_exit_s", NULL,
			e->t_ns > e->seen.last_ns ? (double)(e->t_ns - e->seen.last_ns) / 1e9 : 0);
	if (e->have_ts)
		out_u64(o, "hiwater_rss_bytes", NULL, e->hiwater_kb * 1024);
	out_arr_open(o, "evidence");
	for (int i = 0; i < e->nevidence; i++)
		out_str(o, NULL, "          evidence: %s\n", e->evidence[i]);
	out_arr_close(o);
	out_arr_open(o, "lacking");
	for (int i = 0; i < e->nlacking; i++)
		out_str(o, NULL, "          lacking: %s\n", e->lacking[i]);
	out_arr_close(o);
	out_obj_close(o);
}

static void header(struct out *o)
{
	out_text(o, "%8s %-16s %-11s %-14s %-10s %12s %12s  %s\n", "PID", "COMM", "CAUSE", "STATUS",
		 "LIFETIME", "LAST_RSS", "OOM_SCORE/ADJ", "TIME");
}

static void ooms_out(const struct ex_img *x, struct out *o)
{
	int any = 0;

	out_arr_open(o, "oom_kills_in_log");
	for (size_t i = 0; i < x->nooms; i++) {
		const struct ex_oom *k = &x->ooms[i];
		if (k->matched || k->crash)
			continue;
		if (!any++)
			out_text(o,
				 "\nOOM kills in the kernel log not matched to an exit above:\n");
		out_obj_open(o, NULL);
		out_i64(o, "pid", "%8lld ", k->pid);
		out_str(o, "comm", "%-16s ", k->comm);
		out_f64(o, "kernel_time_s", "at %.3f s after boot\n", (double)k->t_ns / 1e9);
		out_arr_open(o, "lines");
		for (int l = 0; l < k->nlines; l++)
			out_str(o, NULL, "          %s\n", k->line[l]);
		out_arr_close(o);
		out_obj_close(o);
	}
	out_arr_close(o);
}

void exits_report(void *img, struct out *o)
{
	struct ex_img *x = img;

	size_t n = 0;
	/* An open group at the end is a process still running without its
	 * leader: not an exit (yet). */
	for (size_t i = 0; i < x->nexits; i++) {
		if (x->exits[i].group_open)
			continue;
		if (!x->exits[i].final)
			exits_classify(x, &x->exits[i]);
		n += exits_listed(&x->exits[i]);
	}
	out_obj_open(o, "evidence_sources");
	out_bool(o, "kernel_log", NULL, x->have & EXITS_HAVE_KMSG);
	out_bool(o, "vmstat_oom_kill", NULL, x->have & EXITS_HAVE_VMSTAT);
	out_bool(o, "exit_status", NULL, x->have & EXITS_HAVE_STATUS);
	out_bool(o, "memcg_oom_kill", NULL, x->have & EXITS_HAVE_MEMCG);
	out_obj_close(o);
	/* Counts by cause: one stable series each in Prometheus text, for a
	 * cron job's alert ("any OOM kill in the last run"), where the exits
	 * below are one series per exit. */
	size_t by[CAUSE_OOM + 1] = {0};
	for (int c = CAUSE_UNKNOWN; c <= CAUSE_OOM; c++)
		by[c] = x->unlisted_by[c];
	for (size_t i = 0; i < x->nexits; i++)
		if (exits_listed(&x->exits[i]))
			by[x->exits[i].cause]++;
	out_obj_open(o, "by_cause");
	for (int c = CAUSE_UNKNOWN; c <= CAUSE_OOM; c++)
		out_u64(o, cause_name((enum ex_cause)c), NULL, by[c]);
	out_obj_close(o);
	out_u64(o, "unlisted", NULL, x->unlisted);
	out_text(o, "exits: %zu", n + x->unlisted);
	if (x->unlisted)
		out_text(o, " (the %zu oldest not listed, %zu of them exit 0: a run keeps %d)",
			 x->unlisted, x->unlisted_plain, EX_KEEP_FINAL);
	out_text(o, "\n");
	out_arr_open(o, "exits");
	if (n)
		header(o);
	for (size_t i = 0; i < x->nexits; i++)
		if (exits_listed(&x->exits[i]))
			exit_out(x, &x->exits[i], o);
	out_arr_close(o);
	if (x->all || x->since_boot)
		ooms_out(x, o);
}

int exits_flush(void *img, FILE *fp, enum out_format fmt, uint64_t now_ns, int final)
{
	struct ex_img *x = img;
	size_t keep = 0;
	int printed = 0;

	(void)now_ns;
	for (size_t i = 0; i < x->nexits; i++) {
		struct ex_exit *e = &x->exits[i];
		if (!e->final && final && !e->group_open)
			exits_classify(x, e);
		if (!e->final) {
			x->exits[keep++] = *e;
			continue;
		}
		if (!exits_listed(e))
			continue;
		struct out o;
		out_init(&o, fp, fmt);
		if (fmt != OUT_JSON && !x->printed_header++)
			header(&o);
		exit_out(x, e, &o);
		if (fmt == OUT_JSON)
			fputc('\n', fp);
		printed++;
	}
	x->nexits = keep;
	x->first_pending = 0;
	fflush(fp);
	return printed;
}
