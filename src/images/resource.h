/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The resource image's state, shared by resource.c (consuming records) and
 * resource_report.c (the report and the hotspots). Counters are cumulative
 * since the task was first seen; the series holds per-interval deltas in a
 * bounded number of buckets (two neighbours merge when it is full, so a long
 * run keeps its whole span at a coarser step).
 */
#ifndef PROCIMAGE_IMAGES_RESOURCE_H
#define PROCIMAGE_IMAGES_RESOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "core/taskmap.h"
#include "procimage/image.h"

enum res_delay {
	DL_CPU = 0,
	DL_BLKIO,
	DL_SWAPIN,
	DL_FREEPAGES,
	DL_THRASHING,
	DL_COMPACT,
	DL_WPCOPY,
	DL_IRQ,
	DL_COUNT
};

/* Cumulative counters of one task (a process sums its threads). */
struct res_counters {
	uint64_t cpu_ns, wait_ns, slices; /* schedstat */
	uint64_t utime, stime;		  /* stat, ticks */
	uint64_t minflt, majflt;
	uint64_t rchar, wchar, syscr, syscw, read_bytes, write_bytes, cancelled;
	uint64_t vcs, ivcs;   /* taskstats (whole group, dead threads included) */
	uint64_t tvcs, tivcs; /* summed over the threads' status */
	uint64_t dl_ns[DL_COUNT], dl_count[DL_COUNT]; /* taskstats */
};

/* One bucket of the series: deltas over [t_ns, t_ns + dur_ns) and gauges at its end. */
struct res_point {
	uint64_t t_ns, dur_ns;
	uint64_t cpu_ns, wait_ns, utime, stime, minflt, majflt;
	uint64_t read_bytes, write_bytes, rchar, wchar, syscr, syscw, vcs, ivcs;
	uint64_t blkio_delay_ns, mem_delay_ns;
	uint64_t rss_kb;
	int32_t threads, fds;
	uint32_t have; /* PF_* families measured over this window (else null) */
	uint8_t fds_seen;
};

#define RES_MAX_POINTS	     240
#define RES_MAX_SERIES_TASKS 100 /* -a on a big host: keep the report readable */

/* Where a task's CPU figure came from (cpu_source). */
enum res_cpu_src {
	CPU_NONE = 0,	 /* never measured over a window */
	CPU_STAT_TICKS,	 /* process stat utime+stime (USER_HZ) */
	CPU_SCHEDSTAT,	 /* per-thread schedstat ns */
	CPU_SCHED_EXIT,	 /* schedstat ns, the tail from the exit record's sum_exec_runtime */
	CPU_EXIT_RECORD, /* only the taskstats exit record: listed from it */
};

struct res_task {
	int32_t tgid, tid;
	uint64_t start;
	uint8_t is_thread, gone, exited_seen;
	uint8_t born;	    /* born during the run: its window starts at its birth */
	uint8_t from_exit;  /* never sampled: listed from its taskstats exit record */
	uint8_t exit_tail;  /* CPU after its last sample came from its exit record */
	uint8_t exit_known; /* an exit record gave its end: t_end stays below it */
	char comm[16];
	uint64_t t_first, t_last; /* the task's window: its baseline and its last read */
	/* A process with no sample in a tick did not run (the procfs contract):
	 * its counters are known unchanged until the last tick it was alive, or
	 * until it was found gone. The window's end when later than t_last. */
	uint64_t t_end;
	uint32_t nsamples;
	uint32_t have; /* PF_* seen in samples */
	/* base: PF_* families with a baseline in the window (deltas counted);
	 * iv_have: those with a delta since the last series point; hot_reads:
	 * thread reads of the full set (status came back), so that io missing
	 * from them is a denial, not "not read" */
	uint32_t base, iv_have, hot_reads;
	/* families whose delta since the last point spans more than the point
	 * (a thread's file not read at the previous point): null in it */
	uint32_t iv_late;
	uint64_t read_t[3]; /* a thread's last read of schedstat, io, status */
	struct res_counters acc, at_tick;
	uint64_t tick_t; /* time of the last closed interval */
	/* last raw values, for deltas */
	struct proc_sample prev;
	/* taskstats: first and latest reply (delays, switches) */
	struct rec_taskstats ts_prev;
	uint32_t nts;
	uint64_t dl_max_ns[DL_COUNT];
	uint64_t ts_prev_t;   /* time of ts_prev */
	uint32_t dl_glitches; /* implausible delay jumps dropped */
	uint32_t ts_have;
	/* status gauges (process scope; a thread shows its process's) */
	uint64_t rss_kb, rss_min_kb, rss_max_kb, rss_sum_kb, rss_n;
	uint64_t anon_kb, file_kb, shmem_kb, vm_size_kb, vm_swap_kb, vm_swap_max_kb, hwm_kb;
	int32_t threads, threads_max, fds, fds_max;
	uint32_t status_have;
	uint8_t status_seen, fds_seen;
	uint64_t thr_tick_t;   /* last tick at which its threads were sampled */
	uint64_t thr_first_t;  /* first time its threads were sampled */
	uint64_t thr_tick_now; /* time of its latest thread sample */
	/* cgroup (process) */
	struct rec_cgroup cg_first, cg_last;
	uint32_t ncg;
	char cg_path[200];
	/* series */
	struct res_point *pts;
	uint32_t npts, cap_pts, merge; /* merge: intervals per bucket (power of two) */
	struct res_point pending;      /* the bucket being filled */
	uint32_t pending_n;
};

struct res_img {
	struct image_params p;
	struct taskmap *procs;	   /* (tgid, start) */
	struct taskmap *threads;   /* (tid, start) */
	struct taskmap *tid_start; /* (tid, 0) -> uint64_t start: exit records lack it */
	struct res_task *cur_proc; /* the process whose samples are arriving */
	struct rec_host host;
	uint32_t host_have;
	uint64_t t_first_tick, t_last_tick;
	uint32_t ticks;
};

/* The window every summary rate of a task is over: none with a baseline
 * only (null figures), else to its last read or, when later, the last time
 * it was known unchanged (a short-lived process first read just after its
 * birth is not rated over those few ms). */
static inline double secs_of(const struct res_task *t)
{
	uint64_t end = t->t_end > t->t_last ? t->t_end : t->t_last;

	return t->t_last > t->t_first ? (double)(end - t->t_first) / 1e9 : 0.0;
}

static inline double rate(uint64_t v, double secs)
{
	return secs > 0 ? (double)v / secs : 0.0;
}

/* ns of CPU (or waiting) as % of one CPU over secs of wall time */
static inline double pct(uint64_t ns, double secs)
{
	return secs > 0 ? 100.0 * (double)ns / 1e9 / secs : 0.0;
}

static inline double mem_pct(const struct res_img *r, uint64_t kb)
{
	return r->host.mem_total_kb ? 100.0 * (double)kb / (double)r->host.mem_total_kb : 0.0;
}

/* resource_hotspots.c: the hotspots[] array for these tasks. */
void resource_hotspots(const struct res_img *r, struct res_task *const *v, size_t n, struct out *o);

/* resource_report.c */
void resource_report(struct res_img *r, struct out *o);
/* Whether a delay class was accounted for the task (see resource_report.c). */
int resource_delay_accounted(const struct res_img *r, const struct res_task *t, int cls);

#endif
