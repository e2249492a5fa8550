/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The record: the one currency between sources, images and the store.
 *
 * Every source turns what it reads into records; every image consumes them; the
 * store writes them and replays them. A record is a fixed-size tagged struct plus
 * an optional text blob (exec argv, a kernel stack, a kmsg line) that is only
 * valid during the call that delivers it: images copy what they keep.
 * Times are CLOCK_MONOTONIC ns (the clock of the proc connector's timestamps).
 */
#ifndef PROCIMAGE_RECORD_H
#define PROCIMAGE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "procimage/sample.h"

enum rec_kind {
	REC_NONE = 0,
	REC_SAMPLE,    /* procfs: one thread (or process, see scope) polled */
	REC_GONE,      /* procfs: a task seen before is no longer in /proc */
	REC_FORK,      /* connector: new process */
	REC_CLONE,     /* connector: new thread */
	REC_EXEC,      /* connector: text = filename NUL argv0 NUL argv1 ... */
	REC_EXIT,      /* connector: a thread or process ended */
	REC_COMM,      /* connector: text = new comm */
	REC_UID,       /* connector: uid/gid change */
	REC_SID,       /* connector: setsid */
	REC_PTRACE,    /* connector: ptrace attach/detach */
	REC_COREDUMP,  /* connector */
	REC_TASKSTATS, /* taskstats: reply to a query, or an exit record */
	REC_SYSCALL,   /* audit: one syscall exit */
	REC_LOST,      /* a source lost events: count and window */
	REC_TICK,      /* end of one sampling pass: images close the interval */
	REC_KMSG,      /* kernel log line; text = message */
	REC_STACK,     /* a stack; text = frames separated by ';' (root first) */
	REC_HOST,      /* host facts (RAM, PSI, kernel.task_delayacct); see rec_host.have */
	REC_CGROUP,    /* a target's cgroup: limits, events, PSI; text = cgroup path */
	REC_CAPTURE,   /* a source began/ended capturing key.tgid (0: the source as a whole); text =
			  why */
	REC_KIND_COUNT
};

enum rec_source {
	SRC_PROCFS = 0,
	SRC_TASKSTATS,
	SRC_CONNECTOR,
	SRC_AUDIT,
	SRC_KMSG,
	SRC_CGROUP,
	SRC_PTRACE,
	SRC_COUNT
};

/* Task identity: tid plus start time (stat field 22). A reused tid with a new
 * start time is a new task. start_ticks is 0 when the source cannot know it. */
struct task_key {
	int32_t tgid;
	int32_t tid;
	uint64_t start_ticks;
};

enum sample_scope {
	SCOPE_THREAD = 0,  /* /proc/<pid>/task/<tid>/... */
	SCOPE_PROCESS = 1, /* /proc/<pid>/... summed over the thread group */
};

struct rec_sample {
	uint8_t scope; /* enum sample_scope */
	struct proc_sample s;
};

/* Connector events. Pids are (tgid, tid) pairs. */
struct rec_fork {
	int32_t parent_tgid, parent_tid;
	int32_t child_tgid, child_tid;
};

struct rec_exit {
	uint32_t status;     /* raw wait status: WIFEXITED/WTERMSIG apply */
	int32_t exit_signal; /* signal sent to the parent, -1 for threads */
	int32_t parent_tgid, parent_tid;
	uint8_t is_thread;
};

struct rec_id {
	uint32_t a, b; /* uid change: ruid, euid; gid: rgid, egid; ptrace: tracer tgid, tid */
	uint8_t which; /* 'u' 'g' or, for REC_PTRACE, 'a' attach / 'd' detach */
};

/* Taskstats v8..v17 fields we use (copied up to the length the kernel sent). */
struct rec_taskstats {
	uint16_t version;
	uint8_t is_exit;   /* from the exit listener, not a query */
	uint8_t is_tgid;   /* an AGGR_TGID reply: only delays, CPU and switches valid */
	uint32_t exitcode; /* ac_exitcode (raw wait status for exits) */
	uint8_t ac_flag;
	uint32_t ac_uid;
	uint32_t ac_ppid;
	uint64_t ac_btime;    /* s since epoch */
	uint64_t ac_etime_us; /* elapsed */
	uint64_t ac_utime_us, ac_stime_us;
	uint64_t cpu_run_real_ns, cpu_run_virtual_ns;
	uint64_t hiwater_rss_kb, hiwater_vm_kb;
	uint64_t read_bytes, write_bytes, cancelled_write_bytes;
	uint64_t nvcsw, nivcsw, minflt, majflt;
	/* delay classes: count, total ns, max ns (max only from v16) */
	uint64_t cpu_count, cpu_delay_ns, cpu_delay_max_ns;
	uint64_t blkio_count, blkio_delay_ns, blkio_delay_max_ns;
	uint64_t swapin_count, swapin_delay_ns, swapin_delay_max_ns;
	uint64_t freepages_count, freepages_delay_ns, freepages_delay_max_ns;
	uint64_t thrashing_count, thrashing_delay_ns, thrashing_delay_max_ns;
	uint64_t compact_count, compact_delay_ns, compact_delay_max_ns;
	uint64_t wpcopy_count, wpcopy_delay_ns, wpcopy_delay_max_ns;
	uint64_t irq_count, irq_delay_ns, irq_delay_max_ns;
	char comm[32];
	uint16_t payload_len; /* bytes of struct taskstats the kernel sent */
	uint32_t have;	      /* TS_HAVE_*: fields this version carries */
	uint32_t ac_tgid;     /* v12+; 0 before */
};

enum {
	TS_HAVE_THRASHING = 1u << 0, /* v9 */
	TS_HAVE_COMPACT = 1u << 1,   /* v11 */
	TS_HAVE_TGID = 1u << 2,	     /* v12 */
	TS_HAVE_WPCOPY = 1u << 3,    /* v13 */
	TS_HAVE_IRQ = 1u << 4,	     /* v14 */
	TS_HAVE_MAX = 1u << 5,	     /* v16: *_delay_max */
};

/* Pressure stall information of one resource (/proc/pressure/x, x.pressure). */
struct rec_psi {
	uint32_t some_avg10_x100, full_avg10_x100; /* % x 100 over the last 10 s */
	uint64_t some_total_us, full_total_us;	   /* cumulative stall time */
};

enum { PSI_CPU = 0, PSI_MEMORY, PSI_IO, PSI_COUNT };

/* Host facts (REC_HOST); several sources may fill different parts. */
struct rec_host {
	uint32_t have;		  /* HOST_HAVE_* */
	uint64_t mem_total_kb;	  /* MemTotal */
	int8_t delayacct;	  /* kernel.task_delayacct now: 0, 1 */
	uint8_t delayacct_by_run; /* this run switched it on (and restores it) */
	/* Tasks started (stat field 22) after this many boot clock ticks are
	 * covered by delay accounting; 0 = it was on before the run. */
	uint64_t delayacct_since_ticks;
	struct rec_psi psi[PSI_COUNT];
	uint64_t oom_kill; /* /proc/vmstat oom_kill: OOM kills since boot (4.13+) */
};

enum {
	HOST_HAVE_MEM = 1u << 0,
	HOST_HAVE_DELAYACCT = 1u << 1,
	HOST_HAVE_PSI = 1u << 2,
	HOST_HAVE_OOM_KILL = 1u << 3,
};

/* A target process's cgroup (REC_CGROUP); key = the process, text = path.
 * Byte limits are UINT64_MAX when unlimited. */
struct rec_cgroup {
	uint8_t version; /* 1 or 2 (of the memory controller's hierarchy) */
	uint32_t have;	 /* CG_HAVE_* */
	uint64_t mem_limit, mem_high, mem_usage, mem_max_usage, swap_limit;
	uint64_t mem_failcnt;				       /* v1 */
	uint64_t ev_low, ev_high, ev_max, ev_oom, ev_oom_kill; /* v2 memory.events */
	uint8_t under_oom, oom_kill_disable;		       /* v1 oom_control */
	uint64_t cpu_quota_us, cpu_period_us;		       /* quota UINT64_MAX = none */
	uint64_t cpu_nr_periods, cpu_nr_throttled, cpu_throttled_us;
	uint64_t pids_max, pids_current; /* pids_max UINT64_MAX = none */
	struct rec_psi psi[PSI_COUNT];
};

enum {
	CG_HAVE_MEM = 1u << 0,
	CG_HAVE_MEM_EVENTS = 1u << 1, /* v2 memory.events or v1 oom_control */
	CG_HAVE_CPU = 1u << 2,
	CG_HAVE_CPU_STAT = 1u << 3,
	CG_HAVE_PIDS = 1u << 4,
	CG_HAVE_PSI = 1u << 5,
};

struct rec_syscall {
	int32_t nr;
	uint32_t arch; /* AUDIT_ARCH_* */
	int64_t ret;   /* exit value; negative errno on failure */
	uint8_t success;
	uint64_t serial;  /* audit event serial */
	uint64_t wall_ms; /* audit timestamp, ms since epoch */
	uint64_t args[4];
};

struct rec_lost {
	uint64_t count;	   /* events known lost (0 = unknown number) */
	uint64_t since_ns; /* window in which they were lost */
	uint32_t episodes; /* ENOBUFS episodes, seq gaps ... */
};

struct rec_stack {
	uint8_t kernel; /* 1 kernel stack, 0 user stack */
	uint8_t oncpu;	/* the task was running when sampled */
	uint32_t count; /* samples this stack stands for */
};

/* REC_CAPTURE: e.g. audit armed a rule for key.tgid (on=1, ok=1), removed it
 * (on=0), or could not capture at all (key.tgid 0, ok=0, text = reason). */
struct rec_capture {
	uint8_t on;
	uint8_t ok;
	uint32_t arch; /* AUDIT_ARCH_* of the rule, 0 if none */
};

struct record {
	uint16_t kind;	 /* enum rec_kind */
	uint16_t source; /* enum rec_source */
	int32_t cpu;	 /* CPU the event happened on, -1 if unknown */
	uint64_t t_ns;	 /* CLOCK_MONOTONIC */
	struct task_key key;
	char comm[16];
	uint32_t text_len;
	const char *text; /* borrowed; valid only during delivery */
	union {
		struct rec_sample sample;
		struct rec_fork fork;
		struct rec_exit exit;
		struct rec_id id;
		struct rec_taskstats ts;
		struct rec_syscall sc;
		struct rec_lost lost;
		struct rec_stack stack;
		struct rec_host host;
		struct rec_cgroup cg;
		struct rec_capture capture;
	} u;
};

/* Where records go: the dispatcher, the store, a test's collector. */
typedef void (*record_fn)(void *ctx, const struct record *r);

struct record_sink {
	record_fn fn;
	void *ctx;
};

static inline void record_emit(const struct record_sink *sink, const struct record *r)
{
	if (sink && sink->fn)
		sink->fn(sink->ctx, r);
}

const char *record_kind_name(int kind);
const char *record_source_name(int source);

#endif
