/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host-wide scan's budget and what it achieved (no I/O: procfs.c feeds
 * it each tick's CPU and counts; unit-tested on synthetic ticks).
 *
 * Budget: a tick may spend budget_pct % of the interval of CPU. The active
 * tier (processes and threads whose CPU moved) is read every tick whatever
 * it costs; what is left pays for the idle tier, read round-robin so that
 * each tick does the same share of it. The idle period (ticks for one round)
 * is the smallest in [period_min, period_max] that fits: a host too big for
 * the budget lowers the idle tier's resolution, never the active one's.
 *
 * The quiet rate: below 100 ms intervals (the baseline mode: sched's and
 * triage's scan, runs recovered across a gap from the timeslice count), a process quiet for
 * PB_QUIET_PROBES idle probes in a row is read on one idle-tier visit in `stride`, so that it is
 * read every PB_QUIET_TARGET_NS or so rather than every idle period: an idle
 * host is mostly such processes, and their reads were most of a tick.
 *
 * Repayment (below 100 ms intervals, where the idle tier's period is a
 * resolution to trade): the whole of procimage's CPU (its start-up, its
 * first read of the host, and the close of its kept descriptors that its
 * exit will cost) is held to pct % of the wall time since the scan began.
 * What it spent beyond that (the first read of a big host is most of it)
 * is owed, and each tick's budget gives back owed / (period_max / 4): the idle
 * tier slows down until the debt is paid (to period_max at worst, 2 s: the
 * first read of 10,000 processes is ~150 ms, and the idle tier's 1 s target
 * alone costs ~3% of a CPU there, too much to repay it within seconds), the
 * active tier never. That stretch is the budget's choice, said as such:
 * pb_need_period is the mean period the budget called for without a
 * debt, the one that says the host is too big for it. At 100 ms
 * and above every process is read every interval the budget allows; the
 * first read is not repaid from that.
 *
 * Coverage: the tick period achieved (a histogram in 1/32 of the interval,
 * for median and p99), the tiers' sizes summed over ticks (means), the idle
 * period's mean and maximum, and the ticks over budget. A late tick is
 * told apart by procimage's own wait for a CPU (its tick thread's schedstat
 * run_delay, pb_tick_wait): when that wait covers most of the lateness, the
 * host's CPUs were taken by others (a higher-weighted hog beside it); no
 * budget cuts that, and the report says so rather than blame the scan.
 */
#ifndef PROCIMAGE_PROCFS_BUDGET_H
#define PROCIMAGE_PROCFS_BUDGET_H

#include <stdint.h>

#define PB_BUCKETS_PER_TICK 32
#define PB_BUCKETS	    (64 * PB_BUCKETS_PER_TICK) /* periods up to 64 intervals */
#define PB_DEFAULT_PCT	    10
#define PB_QUIET_PROBES	    4	       /* quiet probes in a row: the quiet rate */
#define PB_QUIET_STRIDE_MAX 4	       /* at most one visit in 4 is a read */
#define PB_QUIET_TARGET_NS  1000000000 /* the quiet rate's period: 1 s */
#define PB_IDLE_TARGET_NS   1000000000 /* the idle tier's target: every process each 1 s */
/* What closing one kept /proc descriptor costs at exit (close_range of
 * 10,000 schedstat fds: 1.65-1.75 us each on the 2-CPU VM): counted as
 * already spent, so that the exit does not take the run over its budget. */
#define PB_CLOSE_NS 2000
/* A debt is repaid a quarter of the idle tier's longest period at a time: a
 * standing excess (a tick's fixed cost misjudged) then owes little. */
#define PB_REPAY_TICKS(b) ((b)->period_max >= 4 ? (double)(b)->period_max / 4 : 1.0)

struct procfs_budget {
	uint64_t interval_ns, budget_ns;
	uint32_t pct;
	uint32_t period_min, period_max; /* idle period bounds, ticks */
	uint32_t period;		 /* idle period now, ticks */
	double read_ns;			 /* CPU per idle read (moving average) */
	double fixed_ns;		 /* CPU of the rest of a tick (moving average) */
	/* achieved */
	uint64_t last_now, ticks, periods, late, over_budget;
	uint64_t first_now, first_end,
	    last_end; /* the first tick's start and end, the last's end */
	uint64_t max_period_ns;
	uint32_t hist[PB_BUCKETS + 1]; /* + one for longer periods */
	uint64_t sum_period;	       /* idle period (ticks) summed over ticks */
	uint32_t max_idle_period;
	/* the period the budget called for, a debt apart, summed over the
	 * ticks that set one (its mean says whether the host is too big: one
	 * tick's estimate is noisy, a listing's cost swings it) */
	uint64_t sum_need_period, need_ticks;
	/* the period that ended at this tick's start (0: none), and whether
	 * it ran from the first read's end (its wait was read before that
	 * read, so the read's own wait would be counted against it) */
	uint64_t last_period_ns;
	int period_from_first;
	/* procimage's own wait for a CPU (the tick thread's run_delay): at the
	 * first and the last tick it was read (-1: unknown), at the previous
	 * tick (-1: not read then), and in late periods */
	int64_t wait_first_ns, wait_last_ns, wait_prev_ns;
	uint64_t late_waiting; /* late ticks whose lateness was mostly that wait */
	uint64_t late_wait_ns; /* the wait inside late periods */
	uint64_t sum_hot_procs, sum_hot_threads, sum_idle_procs, sum_idle_threads;
	double sum_quiet_procs;	   /* idle processes at the quiet rate, summed */
	uint64_t sum_quiet_period; /* the quiet rate's period (ticks), summed */
	uint64_t cpu_ns;	   /* CPU of every tick */
	int repay;		   /* repay what procimage spent beyond the budget */
	double owed_ns;		   /* what it owes now (pb_tick_owed) */
	double owed_max_ns;	   /* the most it owed */
};
/* The mean period the budget called for, a debt apart (ticks; 0: none). */
double pb_need_period(const struct procfs_budget *b);

void pb_init(struct procfs_budget *b, uint64_t interval_ns, uint32_t pct, uint32_t period_min,
	     uint32_t period_max);
/* A tick starts at now (CLOCK_MONOTONIC): the period since the last one. */
void pb_tick_start(struct procfs_budget *b, uint64_t now_ns);
/* The tick thread's wait for a CPU so far (schedstat's run_delay, ns; -1
 * when unknown), read at the tick's start: call after pb_tick_start. */
void pb_tick_wait(struct procfs_budget *b, int64_t wait_ns);
/* A tick ended at now (CLOCK_MONOTONIC): how many ticks were due. */
void pb_tick_done(struct procfs_budget *b, uint64_t now_ns);
/* Ticks the wall time from the first tick's end (the first read of the
 * host is the run's set-up) to the last one's end asked for (0 before a
 * tick ended). */
uint64_t pb_ticks_due(const struct procfs_budget *b);
/* procimage's own CPU (what the repayment counts) and the time now (CLOCK_MONOTONIC):
 * what it spent beyond pct % of the wall time since the first tick is owed
 * (b->repay only; call before pb_tick_end). */
void pb_tick_owed(struct procfs_budget *b, uint64_t own_cpu_ns, uint64_t now_ns);
/* Idle reads to do this tick for n_idle tasks in the idle tier. */
uint32_t pb_quota(const struct procfs_budget *b, uint64_t n_idle);
/* A tick ended: CPU of its idle reads (n of them) and of everything else,
 * the tiers' sizes; sets the next idle period. */
void pb_tick_end(struct procfs_budget *b, uint64_t idle_cpu_ns, uint32_t idle_reads,
		 uint64_t other_cpu_ns, uint64_t n_idle, uint64_t hot_procs, uint64_t hot_threads,
		 uint64_t idle_procs, uint64_t idle_threads);
/* Idle-tier visits per read of a quiet process now: the quiet rate's
 * period over the idle period, 1 to PB_QUIET_STRIDE_MAX (1: no quiet rate,
 * the idle period is already about PB_QUIET_TARGET_NS or more). */
uint32_t pb_quiet_stride(const struct procfs_budget *b);
/* This tick's quiet processes (an estimate from its visits) at stride. */
void pb_tick_quiet(struct procfs_budget *b, double quiet_procs, uint32_t stride);
/* The q-quantile (0..1) of the tick periods, ns (an upper bound at 1/32 of
 * the interval); 0 before two ticks. */
uint64_t pb_period_quantile(const struct procfs_budget *b, double q);

#endif
