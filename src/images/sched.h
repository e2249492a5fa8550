/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The sched image's state, shared by its two halves (sched.c: occupancy runs
 * and victims from schedstat deltas; sched_report.c: ranking and output) and
 * by triage, which asks it for the worst offenders.
 *
 * An occupancy run is a stretch in which a thread was on CPU for at least
 * SCHED_BUSY_PCT % of the wall time. sum_exec_runtime advances in scheduler
 * ticks for a running task and brief preemptions take a few ms, so a run is
 * kept by an off-CPU debt: each interval adds (off-CPU time - 10 % of the
 * interval); the run ends when the debt exceeds the slack and is cut back to
 * the last sample at which the debt was <= 0. So every reported run was on
 * CPU >= 90 % of its length, measured by the kernel's counters. Unused
 * allowance is banked up to SCHED_BANK_NS: a hog that was on CPU the whole
 * time survives one longer gap (RT throttling / the fair server take 50 ms a
 * second from a SCHED_FIFO spinner; a loaded CFS CPU preempts for tens of ms).
 *
 * Across the idle tier: a host-wide scan reads an idle thread rarely (every
 * 250 ms or more) and every tick once its run time moves. The first read
 * after such a gap is exact in amount (schedstat counters), and its
 * timeslice count (pcount) says how the on-CPU time lies: with at most one
 * switch-in the thread ran one unbroken stretch of d_run, which is the run's
 * start (sched.c, recover_run); with more, the run starts at that read.
 * docs/commands/sched.md has the argument and its limits.
 */
#ifndef PROCIMAGE_SCHED_IMAGE_H
#define PROCIMAGE_SCHED_IMAGE_H

#include <stdint.h>

#include "procimage/image.h"

#define SCHED_BUSY_PCT	   90
#define SCHED_SLACK_NS	   (20ULL * 1000000ULL) /* + one interval */
#define SCHED_BANK_NS	   (100ULL * 1000000ULL)
#define SCHED_KEEP_RUNS	   4 /* longest runs kept per thread */
#define SCHED_KEEP_STACKS  4 /* distinct kernel stacks per thread */
#define SCHED_STACK_LEN	   480
#define SCHED_VICTIM_HOGS  4 /* hogs a victim's wait is split among */
#define SCHED_MAX_CPUS	   256
#define SCHED_TICK_TOUCHED 8192 /* threads sampled in one tick we track */

struct sched_run {
	uint64_t start_ns, end_ns;	    /* CLOCK_MONOTONIC, at sample resolution */
	uint64_t on_ns;			    /* on-CPU time inside the run (schedstat) */
	uint64_t slices;		    /* timeslices taken (schedstat pcount delta) */
	uint64_t longest_slice_ns;	    /* >= this on CPU without a new timeslice */
	uint64_t cpus[SCHED_MAX_CPUS / 64]; /* stat field 39 values seen */
	int32_t cpu;			    /* the CPU seen most recently */
};

struct sched_stack {
	char folded[SCHED_STACK_LEN]; /* frames root first, ';'-separated */
	char wchan[48];
	int32_t syscall_nr; /* SAMPLE_SYSCALL_* or the number */
	uint32_t count;
};

struct sched_victim_share {
	int32_t hog_tid;
	uint64_t hog_start;
	uint64_t wait_ns;
};

struct sched_thread {
	int32_t tgid, tid;
	uint64_t start_ticks;
	char comm[16];
	int gone;
	uint32_t tick_gen; /* last tick that sampled this thread */
	/* previous sample */
	int have_prev;
	uint64_t t_prev, run_prev, wait_prev, slices_prev;
	int32_t cpu_now;
	/* this interval (for victims) */
	uint64_t d_wait, d_slices;
	/* totals over the whole observation */
	uint64_t first_t, last_t, cpu_ns, wait_ns, slices;
	uint64_t chain_ns; /* on-CPU since the last new timeslice */
	uint64_t longest_slice_ns;
	/* current candidate run */
	int in_run;
	int64_t debt_ns; /* < 0: banked allowance */
	struct sched_run cur, confirmed;
	/* finished runs */
	uint64_t longest_run_ns;
	uint32_t runs_over;
	uint64_t over_ns; /* total length of runs over the threshold */
	struct sched_run runs[SCHED_KEEP_RUNS];
	int nruns;
	/* as a victim */
	uint64_t victim_wait_ns, victim_max_wait_ns;
	struct sched_victim_share shares[SCHED_VICTIM_HOGS];
	/* kernel stacks while it held a run and was seen off CPU */
	struct sched_stack *stacks; /* SCHED_KEEP_STACKS, allocated on first use */
	int nstacks;
	uint32_t stack_samples_lost;
};

struct sched_hog_slot {
	int32_t tid;
	uint64_t start;
	uint32_t gen; /* tick it was last seen hogging */
};

struct sched_img {
	struct image_params p;
	struct taskmap *threads;
	uint64_t first_t, last_t;
	uint32_t tick_gen;
	struct sched_hog_slot hog_cpu[SCHED_MAX_CPUS]; /* who hogs each CPU now */
	struct task_key touched[SCHED_TICK_TOUCHED];
	int ntouched;
	uint64_t touched_lost;
	uint64_t wraps, samples;
	/* runs that began while the thread was in the idle tier of a
	 * host-wide scan: recovered whole, or cut at the promotion read */
	uint64_t runs_recovered, runs_cut;
};

/* One offender for triage: a thread, ranked by its longest run, else CPU. */
struct sched_offender {
	int32_t tgid, tid;
	char comm[16];
	uint64_t longest_run_ns, cpu_ns, window_ns;
	uint32_t runs_over;
	int32_t cpu;
	uint32_t victims; /* threads that waited behind it */
	uint64_t victim_max_wait_ns;
	char top_victim_comm[16];
	int32_t top_victim_tgid;
	int gone;
};

/* Close every open run (end of the observation); idempotent. */
void sched_finish(struct sched_img *s);
/* Threads ranked: hogs (longest run >= threshold) first by longest run, then
 * the busiest by CPU time. Skips tgids in `skip` (n entries). Returns count. */
int sched_offenders(struct sched_img *s, struct sched_offender *out, int max, const int32_t *skip,
		    int nskip);
/* sched_report.c: the report (fields in docs/commands/sched.md). */
void sched_report_out(struct sched_img *s, struct out *o);

#endif
