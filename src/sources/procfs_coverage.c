/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a host-wide scan achieved, said in the report (the "coverage" object
 * of the envelope) and by --stats: the tick period reached, how many
 * processes and threads were read at each rate, the budget, and every way
 * in which it fell short. A report over a scan that did not see the host
 * says so here rather than leaving an empty table to speak for it.
 */
#include "sources/procfs_coverage.h"

#include <stdarg.h>
#include <stdio.h>

#include "core/clock.h"
#include "sources/procfs_budget.h"

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

/* One shortfall, appended to behind_why; blind: it may have hidden a hog. */
static void why(struct procfs_coverage *c, size_t *off, int blind, const char *fmt, ...)
{
	va_list ap;
	size_t len = sizeof(c->behind_why);

	c->behind = 1;
	c->blind |= blind;
	if (*off < len && *off)
		*off += (size_t)snprintf(c->behind_why + *off, len - *off, "; ");
	if (*off >= len)
		return;
	va_start(ap, fmt);
	*off += (size_t)vsnprintf(c->behind_why + *off, len - *off, fmt, ap);
	va_end(ap);
}

void procfs_coverage_judge(struct procfs_coverage *c)
{
	size_t off = 0;

	c->behind = c->blind = 0;
	c->behind_why[0] = '\0';
	if (!c->tiered)
		return;
	/* Ticks: too few for the wall time (a first read of the whole host
	 * that outlasts the run, a starved process), or late at p99. */
	if (c->ticks_due >= 10 && 2 * c->ticks < c->ticks_due) {
		why(c, &off, 1,
		    "ticks behind: %llu done where %llu were due at %.0f ms (the first read of "
		    "the whole host took %.0f ms",
		    (unsigned long long)c->ticks, (unsigned long long)c->ticks_due,
		    ms(c->interval_ns), ms(c->first_tick_ns));
		/* starved rather than slow: its wait covers half the ticks missed */
		uint64_t missed_ns = (c->ticks_due - c->ticks) * c->interval_ns;
		if (c->cpu_wait_ns >= 0 && off < sizeof(c->behind_why))
			off += (size_t)snprintf(
			    c->behind_why + off, sizeof(c->behind_why) - off,
			    "; procimage waited %.0f ms for a CPU that other tasks held%s)",
			    ms((uint64_t)c->cpu_wait_ns),
			    2 * (uint64_t)c->cpu_wait_ns >= missed_ns
				? ": the host's load, not the scan's cost"
				: "");
		else if (off < sizeof(c->behind_why))
			off +=
			    (size_t)snprintf(c->behind_why + off, sizeof(c->behind_why) - off, ")");
	} else if (c->periods >= 10 && c->tick_p99_ns > 2 * c->interval_ns) {
		why(c, &off, 0,
		    "ticks late: p99 %.1f ms for %.0f ms asked (%llu of %llu ticks late)",
		    ms(c->tick_p99_ns), ms(c->interval_ns), (unsigned long long)c->ticks_late,
		    (unsigned long long)c->periods);
		/* Waiting for a CPU is the host's state, not the scan's cost: a
		 * budget cannot buy it back, and the user should know which. */
		if (c->ticks_late_waiting && 2 * c->ticks_late_waiting >= c->ticks_late &&
		    off < sizeof(c->behind_why))
			off +=
			    (size_t)snprintf(c->behind_why + off, sizeof(c->behind_why) - off,
					     ", %llu of them mostly waiting for a CPU that other "
					     "tasks held (procimage waited %.0f ms in all): the "
					     "host's load, not the scan's cost",
					     (unsigned long long)c->ticks_late_waiting,
					     ms(c->cpu_wait_ns > 0 ? (uint64_t)c->cpu_wait_ns : 0));
	}
	/* Beyond the 1 s target because the budget could not pay for it: the
	 * host is too big for it. A stretch while the first read is repaid
	 * (the budget line of --stats, repaid_cpu_ms) is not falling behind. */
	if (c->idle_period_need_ns > c->idle_period_min_ns &&
	    c->idle_period_need_ns > PB_IDLE_TARGET_NS)
		why(c, &off, 1,
		    "the budget of %u%% of a CPU paid for reading idle processes only every "
		    "%.2f s on average, beyond the 1 s target (every %.2f s asked)",
		    c->budget_pct, (double)c->idle_period_need_ns / 1e9,
		    (double)c->idle_period_min_ns / 1e9);
	if (c->procs_read_once)
		why(c, &off, 1,
		    "%llu of %llu processes read only once: a thread in them that began to "
		    "run could not be seen",
		    (unsigned long long)c->procs_read_once, (unsigned long long)c->procs);
	if (c->emfile)
		why(c, &off, 1, "%llu reads skipped for want of file descriptors",
		    (unsigned long long)c->emfile);
}

void procfs_coverage_out(const struct procfs *p, struct out *o)
{
	struct procfs_coverage c;

	procfs_coverage(p, &c);
	if (!c.tiered)
		return;
	out_obj_open(o, "coverage");
	out_f64(o, "tick_median_ms", "coverage: ticks every %.1f ms median", ms(c.tick_median_ns));
	out_f64(o, "tick_p99_ms", ", %.1f ms p99", ms(c.tick_p99_ns));
	out_f64(o, "tick_max_ms", NULL, ms(c.tick_max_ns));
	out_f64(o, "interval_ms", " (asked %.0f ms)", ms(c.interval_ns));
	out_u64(o, "ticks", ", %llu ticks", c.ticks);
	out_u64(o, "ticks_late", ", %llu late", c.ticks_late);
	out_u64(o, "ticks_due", " (%llu due)", c.ticks_due);
	if (c.cpu_wait_ns >= 0) {
		out_f64(o, "cpu_wait_ms", "; procimage waited %.0f ms for a CPU",
			ms((uint64_t)c.cpu_wait_ns));
		out_u64(o, "ticks_late_waiting", " (late ticks mostly that wait: %llu)\n",
			c.ticks_late_waiting);
	} else { /* its own schedstat unread: another pid namespace's /proc */
		out_null(o, "cpu_wait_ms", "\n");
		out_null(o, "ticks_late_waiting", NULL);
	}
	out_f64(o, "first_tick_ms", NULL, ms(c.first_tick_ns));
	out_f64(o, "active_processes", "  active (every tick): %.0f processes", c.hot_procs);
	out_f64(o, "active_threads", ", %.0f threads", c.hot_threads);
	out_f64(o, "idle_processes", "; idle: %.0f processes", c.idle_procs);
	out_f64(o, "idle_threads", " and %.0f threads of active ones", c.idle_threads);
	out_f64(o, "idle_period_ms", " every %.0f ms on average", ms(c.idle_period_ns));
	out_f64(o, "idle_period_max_ms", " (at worst %.0f ms", ms(c.idle_period_max_ns));
	out_f64(o, "idle_period_min_ms", ", at best %.0f ms)", ms(c.idle_period_min_ns));
	if (c.quiet_rate) {
		out_f64(o, "quiet_processes", "; of them %.0f quiet for 1 s or more",
			c.quiet_procs);
		out_f64(o, "quiet_period_ms", ", read every %.0f ms", ms(c.quiet_period_ns));
	} else { /* every process every interval the budget allows */
		out_null(o, "quiet_processes", NULL);
		out_null(o, "quiet_period_ms", NULL);
	}
	out_u64(o, "threads_of_idle_processes",
		"; threads of idle processes (not read until "
		"their process moves): %llu\n",
		c.threads_unread);
	out_u64(o, "processes", "  processes %llu", c.procs);
	out_u64(o, "processes_read_once", ", %llu of them read only once\n", c.procs_read_once);
	out_u64(o, "budget_pct", "  budget %llu%% of a CPU", c.budget_pct);
	out_f64(o, "scan_cpu_pct", ", the scan used %.1f%%", c.cpu_pct);
	if (c.repay) /* below 100 ms: what the idle tier paid back */
		out_f64(o, "repaid_cpu_ms", ", repaid %.0f ms spent beyond it", ms(c.owed_max_ns));
	else
		out_null(o, "repaid_cpu_ms", NULL);
	out_u64(o, "ticks_over_budget", " (%llu ticks over budget)", c.ticks_over_budget);
	out_i64(o, "fds_kept", ", %lld descriptors kept", c.fds_kept);
	out_i64(o, "fd_budget", " of %lld", c.fd_cap);
	out_u64(o, "transient_opens", ", %llu files opened and closed", c.transient);
	out_u64(o, "opens_refused", ", %llu refused\n", c.emfile);
	if (c.self_tgid)
		out_i64(o, "excluded_pid",
			"  procimage itself (pid %lld) is never an active thread\n", c.self_tgid);
	else
		out_null(o, "excluded_pid", NULL);
	out_bool(o, "fell_behind", NULL, c.behind);
	out_bool(o, "may_have_missed", NULL, c.blind);
	if (c.behind)
		out_str(o, "shortfall", "  FELL BEHIND: %s\n", c.behind_why);
	else
		out_null(o, "shortfall", NULL);
	out_obj_close(o);
}

void procfs_coverage_print(const struct procfs *p, FILE *fp)
{
	struct procfs_coverage c;

	procfs_coverage(p, &c);
	fprintf(fp,
		"  procfs descriptors: %d kept of a budget of %d, %llu files opened and closed, "
		"%llu opens refused\n",
		c.fds_kept, c.fd_cap, (unsigned long long)c.transient,
		(unsigned long long)c.emfile);
	if (!c.tiered)
		return;
	char quiet[96] = "no quiet rate (every process every interval)";
	char waited[128] = "";
	if (c.cpu_wait_ns >= 0)
		snprintf(waited, sizeof(waited),
			 " (procimage waited %.0f ms for a CPU; late ticks mostly that wait: %llu)",
			 ms((uint64_t)c.cpu_wait_ns), (unsigned long long)c.ticks_late_waiting);
	if (c.quiet_rate)
		snprintf(quiet, sizeof(quiet), "%.0f quiet ones every %.0f ms", c.quiet_procs,
			 ms(c.quiet_period_ns));
	fprintf(fp,
		"  scan: ticks %.1f ms median, %.1f ms p99, %.1f ms max (asked %.0f ms), %llu "
		"late, %llu due%s; active %.0f processes + %.0f threads every tick; idle %.0f "
		"processes + %.0f threads every %.0f ms (worst %.0f ms), %s; %llu threads of idle "
		"processes unread; %llu of %llu processes read only once; scan CPU %.1f%% of a "
		"CPU for a budget of %u%% (%llu ticks over)\n",
		ms(c.tick_median_ns), ms(c.tick_p99_ns), ms(c.tick_max_ns), ms(c.interval_ns),
		(unsigned long long)c.ticks_late, (unsigned long long)c.ticks_due, waited,
		c.hot_procs, c.hot_threads, c.idle_procs, c.idle_threads, ms(c.idle_period_ns),
		ms(c.idle_period_max_ns), quiet, (unsigned long long)c.threads_unread,
		(unsigned long long)c.procs_read_once, (unsigned long long)c.procs, c.cpu_pct,
		c.budget_pct, (unsigned long long)c.ticks_over_budget);
	if (c.repay)
		fprintf(fp,
			"  budget: the idle tier repaid %.0f ms of CPU spent beyond it (the first "
			"read of the host, mostly), slowing down to %.0f ms at worst\n",
			ms(c.owed_max_ns), ms(c.idle_period_max_ns));
	if (c.behind)
		fprintf(fp, "  scan FELL BEHIND: %s\n", c.behind_why);
}
