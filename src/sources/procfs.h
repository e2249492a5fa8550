/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The procfs source: polls /proc (or --proc-root) and emits REC_SAMPLE and
 * REC_GONE records. Two tiers:
 *  - cheap: every process's /proc/<pid>/stat (one kept fd per process), only
 *    when scan_all is set (host-wide images, triage); a single-thread process
 *    that is not a target is probed by its schedstat alone (did it run?), see
 *    cheap_stat_every and sample_on_run. On a real procfs, new processes
 *    between full listings come from the pid cursor (loadavg's last field);
 *  - deep: per-thread files (deep_files) of target processes, and hot_files of
 *    processes whose CPU grew during the tick (a thread that ran the whole
 *    interval makes its process's CPU grow: that is why pruning is safe).
 * Files are opened once (openat relative to a per-process dirfd) and re-read
 * with pread at offset 0; a task that vanishes is a normal REC_GONE.
 */
#ifndef PROCIMAGE_PROCFS_H
#define PROCIMAGE_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/targets.h"
#include "procimage/record.h"
#include "procimage/source.h"

struct procfs_config {
	const char *root; /* "/proc" or --proc-root */
	const struct targets *targets;
	uint32_t process_files; /* PF_* read at process scope for targets */
	uint32_t deep_files;	/* PF_* read per thread for targets (0: no threads) */
	uint32_t hot_files;	/* PF_* per thread for hot non-targets (0: none) */
	int scan_all;		/* emit process stat samples for every process */
	uint64_t interval_ns;
	uint32_t hot_hold_ticks;       /* keep a process hot this many ticks after it cooled */
	uint32_t thread_refresh_ticks; /* relist task/ at least this often */
	/* scan_all: single-thread non-target processes are probed with their
	 * schedstat and read stat only every this many ticks (0/1: every tick) */
	uint32_t cheap_stat_every;
	/* scan_all: list /proc every this many ticks (0: as cheap_stat_every).
	 * In between, a vanished process is seen by its kept fd (ESRCH). */
	uint32_t list_every;
	/* cheap tier: when the schedstat probe shows the process ran, read its
	 * stat at once and emit the process sample (with the leader's schedstat)
	 * instead of waiting for the next cheap_stat_every tick. */
	int sample_on_run;
	/* scan_all: PF_* read at process scope for active processes and at
	 * first sight (watch's rules: status, io, fd) */
	uint32_t hot_process_files;
	/* scan_all: CPU budget of a tick, % of the interval (0: 10) */
	uint32_t budget_pct;
	/* scan_all: only thread samples are consumed (no process-scope
	 * consumer: no sink, source or image reads an idle process's own
	 * samples), so a single-thread process may be first read by its
	 * schedstat alone and its identity read when it first runs */
	int threads_only;
};

struct procfs_stats {
	uint64_t ticks, preads, opens, samples, gone, listings;
	uint64_t probes;	/* new pids opened from the pid cursor instead of a listing */
	uint64_t alive;		/* targets alive at the last tick */
	uint64_t tick_ns_total; /* CPU spent inside procfs_tick (thread CPU clock) */
	uint64_t transient;	/* files opened, read and closed (no fd to keep) */
	uint64_t emfile;	/* opens refused for want of descriptors */
	uint64_t idle_reads;	/* reads of the idle tier (processes and threads) */
	uint64_t quiet_skips;	/* idle-tier visits of quiet processes not read */
};

/* What the host-wide scan achieved (scan_all), for the report and --stats. */
struct procfs_coverage {
	int tiered;
	uint64_t interval_ns, ticks;
	uint32_t budget_pct;
	uint64_t tick_median_ns, tick_p99_ns, tick_max_ns, ticks_late;
	uint64_t periods;	/* tick periods measured (ticks - 1) */
	uint64_t ticks_due;	/* ticks the wall time from the first to the end asked for */
	uint64_t first_tick_ns; /* wall time of the first tick (opening the whole host) */
	double hot_procs, hot_threads, idle_procs, idle_threads;	 /* means over ticks */
	uint64_t idle_period_ns, idle_period_max_ns, idle_period_min_ns; /* mean, max, floor */
	/* the idle period the budget called for (mean), a debt's stretch apart */
	uint64_t idle_period_need_ns;
	/* procimage's own wait for a CPU over the scan (-1: unknown), and the
	 * late ticks whose lateness was mostly that wait */
	int64_t cpu_wait_ns;
	uint64_t ticks_late_waiting;
	int quiet_rate;		  /* the quiet rate is used (below 100 ms intervals) */
	double quiet_procs;	  /* of the idle ones, at the quiet rate (mean over ticks) */
	uint64_t quiet_period_ns; /* the quiet rate's period (mean over ticks) */
	uint64_t threads_unread;  /* threads of idle multi-thread processes, now */
	uint64_t procs;		  /* processes held now (procimage's excluded) */
	uint64_t procs_read_once; /* of those, read only at first sight: no change seen */
	uint64_t ticks_over_budget;
	double cpu_pct;	      /* the scan's CPU, % of one CPU over the ticks */
	int repay;	      /* procimage's CPU beyond the budget is repaid (below 100 ms) */
	uint64_t owed_max_ns; /* the most it owed (the first read of the host, mostly) */
	int fds_kept, fd_cap;
	uint64_t transient, emfile;
	int32_t self_tgid; /* excluded from the active tier (0: not seen) */
	int behind;	   /* something below was not achieved */
	/* of those, one that may have hidden a hog (all but late ticks: a late
	 * tick merges two periods of exact counters, it hides no run) */
	int blind;
	char behind_why[640];
};

struct procfs;

/* Validate root and prepare. NULL with err set (exit-2 material) on failure. */
struct procfs *procfs_new(const struct procfs_config *cfg, char *err, size_t errlen);
void procfs_free(struct procfs *p);
/* One pass; records go to sink. Returns the number of target tasks alive. */
int procfs_tick(struct procfs *p, uint64_t now_ns, const struct record_sink *sink);
/* Also deep-sample this process from now on (keytime --children). */
void procfs_follow(struct procfs *p, int32_t tgid);
void procfs_status(const struct procfs *p, struct source_status *st);
const struct procfs_stats *procfs_get_stats(const struct procfs *p);
/* What the scan achieved so far (cov->tiered = 0 without scan_all). */
void procfs_coverage(const struct procfs *p, struct procfs_coverage *cov);
/* The root dirfd, for one-off reads by other parts (doctor, exits). */
int procfs_root_fd(const struct procfs *p);
/* Check that dir looks like a proc tree. 0, or -errno with err set. */
int procfs_check_root(const char *root, char *err, size_t errlen);

#endif
