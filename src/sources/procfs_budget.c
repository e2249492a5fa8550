/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The scan's CPU budget and its achieved coverage (see procfs_budget.h).
 * Costs are moving averages over ~16 ticks: one slow tick (a listing, a
 * burst of new processes) does not swing the idle period.
 */
#include "sources/procfs_budget.h"

#include <string.h>

void pb_init(struct procfs_budget *b, uint64_t interval_ns, uint32_t pct, uint32_t period_min,
	     uint32_t period_max)
{
	memset(b, 0, sizeof(*b));
	b->interval_ns = interval_ns ? interval_ns : 1;
	b->pct = pct ? pct : PB_DEFAULT_PCT;
	b->budget_ns = b->interval_ns * b->pct / 100;
	b->period_min = period_min ? period_min : 1;
	b->period_max = period_max > b->period_min ? period_max : b->period_min;
	b->period = b->period_min;
	b->wait_first_ns = b->wait_last_ns = b->wait_prev_ns = -1;
}

void pb_tick_start(struct procfs_budget *b, uint64_t now_ns)
{
	/* the period after the first read runs from its end: that read is the
	 * run's set-up (run_loop), reported apart as the first tick's time */
	uint64_t prev = b->last_now == b->first_now && b->first_end ? b->first_end : b->last_now;

	b->last_period_ns = 0;
	b->period_from_first = prev && prev == b->first_end;
	if (prev && now_ns > prev) {
		uint64_t d = now_ns - prev;
		b->last_period_ns = d;
		uint64_t k = d * PB_BUCKETS_PER_TICK / b->interval_ns;
		b->hist[k < PB_BUCKETS ? k : PB_BUCKETS]++;
		b->periods++;
		/* late: the timer fired 1.5 intervals or more after the last tick */
		if (2 * d >= 3 * b->interval_ns)
			b->late++;
		if (d > b->max_period_ns)
			b->max_period_ns = d;
	}
	if (!b->first_now)
		b->first_now = now_ns;
	b->last_now = now_ns;
}

void pb_tick_wait(struct procfs_budget *b, int64_t wait_ns)
{
	uint64_t d = b->last_period_ns;
	int64_t prev = b->wait_prev_ns;

	b->wait_prev_ns = wait_ns;
	if (wait_ns < 0)
		return;
	if (b->wait_first_ns < 0)
		b->wait_first_ns = wait_ns;
	b->wait_last_ns = wait_ns;
	/* A late period: was most of its lateness spent waiting for a CPU?
	 * Judged only from a reading at its start (the previous tick's), and
	 * not for the period after the first read (read before it). */
	if (prev < 0 || wait_ns < prev || b->period_from_first || 2 * d < 3 * b->interval_ns)
		return;
	uint64_t w = (uint64_t)(wait_ns - prev);
	b->late_wait_ns += w;
	if (2 * w >= d - b->interval_ns)
		b->late_waiting++;
}

double pb_need_period(const struct procfs_budget *b)
{
	return b->need_ticks ? (double)b->sum_need_period / (double)b->need_ticks : 0;
}

void pb_tick_done(struct procfs_budget *b, uint64_t now_ns)
{
	if (!b->first_end)
		b->first_end = now_ns;
	b->last_end = now_ns;
}

uint64_t pb_ticks_due(const struct procfs_budget *b)
{
	/* from the end of the first read: the run's intervals count from
	 * there (run_loop), the first read of the host being its set-up */
	if (!b->first_end || b->last_end < b->first_end)
		return 0;
	return (b->last_end - b->first_end) / b->interval_ns + 1;
}

void pb_tick_owed(struct procfs_budget *b, uint64_t own_cpu_ns, uint64_t now_ns)
{
	if (!b->repay || !b->first_now || now_ns < b->first_now)
		return;
	double allowed = (double)(now_ns - b->first_now) * b->pct / 100;
	b->owed_ns = (double)own_cpu_ns > allowed ? (double)own_cpu_ns - allowed : 0;
	if (b->owed_ns > b->owed_max_ns)
		b->owed_max_ns = b->owed_ns;
}

uint32_t pb_quota(const struct procfs_budget *b, uint64_t n_idle)
{
	uint64_t q = (n_idle + b->period - 1) / b->period;
	return q > UINT32_MAX ? UINT32_MAX : (uint32_t)q;
}

static double ewma(double avg, double x)
{
	return avg > 0 ? avg + (x - avg) / 16 : x;
}

/* The idle period that pays for n_idle reads with `left` ns a tick: at
 * least one read a tick, so that the idle tier always moves on. */
static uint32_t period_for(const struct procfs_budget *b, double left, uint64_t n_idle)
{
	double per_tick = b->read_ns > 0 && left > b->read_ns ? left / b->read_ns : 1;
	double need = (double)n_idle / per_tick;

	return need >= b->period_max   ? b->period_max
	       : need <= b->period_min ? b->period_min
				       : (uint32_t)need + 1;
}

void pb_tick_end(struct procfs_budget *b, uint64_t idle_cpu_ns, uint32_t idle_reads,
		 uint64_t other_cpu_ns, uint64_t n_idle, uint64_t hot_procs, uint64_t hot_threads,
		 uint64_t idle_procs, uint64_t idle_threads)
{
	b->ticks++;
	b->cpu_ns += idle_cpu_ns + other_cpu_ns;
	if (idle_cpu_ns + other_cpu_ns > b->budget_ns)
		b->over_budget++;
	b->sum_hot_procs += hot_procs;
	b->sum_hot_threads += hot_threads;
	b->sum_idle_procs += idle_procs;
	b->sum_idle_threads += idle_threads;
	b->sum_period += b->period;
	if (b->period > b->max_idle_period)
		b->max_idle_period = b->period;
	if (idle_reads)
		b->read_ns = ewma(b->read_ns, (double)idle_cpu_ns / idle_reads);
	if (other_cpu_ns || b->fixed_ns > 0)
		b->fixed_ns = ewma(b->fixed_ns, (double)other_cpu_ns);
	/* No idle read yet (the first tick reads the host its own way): no
	 * price to set a period by. */
	if (b->read_ns <= 0)
		return;
	/* What is left of the budget after the active tier buys idle reads. */
	double left = (double)b->budget_ns - b->fixed_ns;
	uint32_t period = period_for(b, left, n_idle);
	b->sum_need_period += period;
	b->need_ticks++;
	/* A debt takes its share too: the idle tier slows down, to period_max
	 * at worst, until it is paid. */
	if (b->owed_ns > 0) {
		uint32_t repay = period_for(b, left - b->owed_ns / PB_REPAY_TICKS(b), n_idle);
		if (repay > period)
			period = repay;
	}
	/* Move towards it by at most a quarter a tick (no oscillation). */
	if (period > b->period)
		b->period += (period - b->period + 3) / 4;
	else if (period < b->period)
		b->period -= (b->period - period + 3) / 4;
}

uint32_t pb_quiet_stride(const struct procfs_budget *b)
{
	uint64_t period_ns = (uint64_t)b->period * b->interval_ns;
	uint64_t k = period_ns ? PB_QUIET_TARGET_NS / period_ns : 1;

	return k < 1 ? 1 : k > PB_QUIET_STRIDE_MAX ? PB_QUIET_STRIDE_MAX : (uint32_t)k;
}

void pb_tick_quiet(struct procfs_budget *b, double quiet_procs, uint32_t stride)
{
	b->sum_quiet_procs += quiet_procs;
	b->sum_quiet_period += (uint64_t)b->period * stride;
}

uint64_t pb_period_quantile(const struct procfs_budget *b, double q)
{
	uint64_t want, seen = 0;

	if (!b->periods)
		return 0;
	want = (uint64_t)(q * (double)b->periods);
	if (want >= b->periods)
		want = b->periods - 1;
	for (int k = 0; k <= PB_BUCKETS; k++) {
		seen += b->hist[k];
		if (seen > want)
			return k == PB_BUCKETS
				   ? b->max_period_ns
				   : (uint64_t)(k + 1) * b->interval_ns / PB_BUCKETS_PER_TICK;
	}
	return b->max_period_ns;
}
