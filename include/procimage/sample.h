/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One poll of one task's /proc files, as plain numbers.
 *
 * The procfs source fills a proc_sample from whichever files the run asked for;
 * `have` says which files were read, so an image can tell "zero" from "not read".
 * Units are the kernel's own and are named in each field: ticks are USER_HZ
 * clock ticks (sysconf(_SC_CLK_TCK)), ns are nanoseconds, kb are KiB.
 */
#ifndef PROCIMAGE_SAMPLE_H
#define PROCIMAGE_SAMPLE_H

#include <stdint.h>

/* Which /proc file a field came from; also the unit of "what to read". */
enum proc_file_bit {
	PF_STAT = 1u << 0,	 /* stat */
	PF_SCHEDSTAT = 1u << 1,	 /* schedstat (CONFIG_SCHED_INFO) */
	PF_SCHED = 1u << 2,	 /* sched (CONFIG_SCHED_DEBUG) */
	PF_STATUS = 1u << 3,	 /* status */
	PF_IO = 1u << 4,	 /* io (CONFIG_TASK_IO_ACCOUNTING; 0400) */
	PF_SYSCALL = 1u << 5,	 /* syscall (0400) */
	PF_WCHAN = 1u << 6,	 /* wchan */
	PF_STATM = 1u << 7,	 /* statm */
	PF_FDS = 1u << 8,	 /* number of entries in fd/ */
	PF_STACK = 1u << 9,	 /* stack (CAP_SYS_ADMIN) */
	PF_OOM_SCORE = 1u << 10, /* oom_score */
	PF_OOM_ADJ = 1u << 11,	 /* oom_score_adj */
};

#define PROC_CPUSET_WORDS 16 /* 1024 CPUs */

/* Syscall file: a task on CPU reads "running"; a kernel thread "0 ..."/-1. */
#define SAMPLE_SYSCALL_RUNNING (-1)
#define SAMPLE_SYSCALL_NONE    (-2)

struct proc_sample {
	uint32_t have; /* PF_* bits of the files read into this sample */

	/* stat (proc(5) field numbers in brackets) */
	char state;		 /* (3) R S D T t Z X I */
	int32_t ppid;		 /* (4) */
	uint32_t flags;		 /* (9) PF_* kernel task flags */
	uint64_t minflt, majflt; /* (10) (12) */
	uint64_t utime, stime;	 /* (14) (15) ticks */
	int32_t priority, nice;	 /* (18) (19) */
	int32_t num_threads;	 /* (20) */
	uint64_t starttime;	 /* (22) ticks since boot: part of task identity */
	uint64_t vsize;		 /* (23) bytes */
	int64_t rss_pages;	 /* (24) */
	int32_t processor;	 /* (39) CPU last run on; -1 if absent */
	uint32_t rt_priority;	 /* (40) */
	uint32_t policy;	 /* (41) */
	uint64_t blkio_ticks;	 /* (42) delayacct_blkio_ticks */

	/* schedstat */
	uint64_t run_ns;  /* time on CPU */
	uint64_t wait_ns; /* time runnable on a run queue */
	uint64_t slices;  /* timeslices run on this CPU */

	/* sched (only fields that exist without CONFIG_SCHEDSTATS) */
	uint64_t nr_migrations, nr_switches, nr_vol_switches, nr_invol_switches;
	uint64_t load_avg, runnable_avg, util_avg;
	int32_t sched_prio;
	uint32_t sched_have; /* SCHED_HAVE_* for fields older kernels lack */

	/* status */
	uint64_t vm_size_kb, vm_rss_kb, rss_anon_kb, rss_file_kb, rss_shmem_kb;
	uint64_t vm_swap_kb, vm_hwm_kb;
	uint64_t vol_ctxt, invol_ctxt;
	uint32_t uid, status_threads;
	uint64_t cpus_allowed[PROC_CPUSET_WORDS];
	uint32_t status_have; /* STATUS_HAVE_* */

	/* io */
	uint64_t rchar, wchar, syscr, syscw, read_bytes, write_bytes, cancelled_write_bytes;

	/* syscall: number, or SAMPLE_SYSCALL_RUNNING / _NONE; first argument */
	int32_t syscall_nr;
	uint64_t syscall_arg0;

	/* statm, pages */
	uint64_t statm_size, statm_resident, statm_shared;

	int32_t nr_fds;
	char wchan[48];

	/* oom_score (0..2000 on 4.x+, the badness the OOM killer would give),
	 * oom_score_adj (-1000..1000) */
	int32_t oom_score, oom_score_adj;
};

enum {
	SCHED_HAVE_MIGRATIONS = 1u << 0,
	SCHED_HAVE_SWITCHES = 1u << 1,
	SCHED_HAVE_AVG = 1u << 2,
};

enum {
	STATUS_HAVE_RSS_SPLIT = 1u << 0, /* RssAnon/RssFile/RssShmem (4.5+) */
	STATUS_HAVE_CPUS = 1u << 1,
	STATUS_HAVE_SWAP = 1u << 2,
};

#endif
