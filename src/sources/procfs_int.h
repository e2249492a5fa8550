/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The procfs source's inside, shared by its files: the slots of processes
 * and threads, the source's state, and the functions one file gives the
 * others. procfs_read.c reads a task's files (kept descriptors, their
 * budget under RLIMIT_NOFILE, the table of procfs_files.c);
 * procfs_discover.c finds the processes (listing, pid-cursor probes, the
 * named pids, --comm/--cgroup matching); procfs.c runs the ticks: the
 * host-wide tiers, sampling and what vanished. Not for other layers.
 */
#ifndef PROCIMAGE_PROCFS_INT_H
#define PROCIMAGE_PROCFS_INT_H

#include <dirent.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/taskmap.h"
#include "sources/procfs.h"
#include "sources/procfs_budget.h"
#include "sources/procfs_files.h"

#define NFILES	  PROCFS_NFILES
#define FD_NONE	  (-1)
#define FD_DENIED (-2)
#define FD_ABSENT (-3)
/* Probe at most this many new pids instead of listing /proc (a probe costs
 * about as much as listing 8-30 entries). */
#define PROBE_MAX     512
#define PROBE_RETRIES 64
#define IDX_STAT      0
#define IDX_SCHEDSTAT 1
/* Descriptors kept below the soft RLIMIT_NOFILE: the rest of procimage (the
 * store, sockets, the report) and one-off opens need room too. */
#define FD_MARGIN_MIN 256

/* A light task's last schedstat that showed no change, and when it was read. */
struct light_base {
	uint64_t t, run, wait, slices;
};

struct pslot {
	int32_t tgid, only_tid;
	uint64_t start;
	int dirfd;
	int fds[NFILES];
	int matched; /* -1 unknown, 0 no, 1 target */
	uint32_t seen_gen, hot_until, threads_gen;
	int32_t nthreads;
	uint64_t last_cpu_ticks;
	char comm[16];
	int32_t *tids; /* threads being deep-sampled */
	int ntids, captids;
	uint64_t last_run_ns; /* cheap tier: the leader's schedstat run time */
	uint64_t last_statm;  /* cheap tier: statm resident at the last refresh */
	uint8_t hot;	      /* in the active tier (p->hot) */
	uint8_t reads;	      /* reads so far, up to 2: at 1 no change could be seen */
	uint8_t running;      /* stat's state was R at its last read */
	uint8_t quiet;	      /* idle probes in a row that saw no change (saturates) */
	uint8_t visits;	      /* idle-tier visits: the quiet rate probes one in stride */
	uint8_t light;	      /* first read by its schedstat alone: start and comm unknown */
	uint8_t busy;	      /* read as its thread: ran half the last interval or more */
	uint32_t fresh_gen;   /* tick it was first seen */
	/* light: its last schedstat that showed no change, and when; given to
	 * the images as the leader thread's sample once it runs (its identity
	 * is then read), so that a run begun in the idle tier is recovered */
	struct light_base base;
};

struct tslot {
	int32_t tgid;
	uint64_t start; /* 0 until its stat is read (light: until it runs) */
	int fds[NFILES];
	uint32_t seen_gen;
	char comm[16];
	uint64_t last_run_ns; /* schedstat at its last read */
	uint32_t hot_until;   /* read every tick until then (its run time moved) */
	uint8_t busy;	      /* ran half the last interval or more */
	uint8_t light;	      /* read by its schedstat alone until it runs (base) */
	struct light_base base;
};

struct procfs {
	struct procfs_config cfg;
	int rootfd;
	struct taskmap *procs;	 /* key: tgid */
	struct taskmap *threads; /* key: tid */
	uint32_t gen;
	struct procfs_stats stats;
	uint64_t denied[NFILES]; /* tasks whose file could not be opened */
	int32_t follow[256];
	int nfollow, follow_opened;
	/* A real procfs lists only thread-group leaders. Its loadavg names the
	 * last pid allocated in the *reader's* pid namespace (the pid cursor):
	 * usable only when that is the mount's (a container reading the host's
	 * /proc through --proc-root is not). */
	int real_proc, same_pidns, loadavg_fd;
	/* the tick thread's own schedstat (its wait for a CPU, said in the
	 * coverage); FD_NONE until tried, then -2 when it cannot be read */
	int own_sched_fd;
	int64_t last_pid;	      /* cursor at the last listing or probe; -1 unknown */
	uint32_t full_gen;	      /* tick of the last full listing */
	int32_t retry[PROBE_RETRIES]; /* probed pids not yet visible */
	int nretry;
	/* Descriptor budget: kept fds (dirfds and files) stay below fd_cap;
	 * the idle tier may keep them only below fd_idle_cap, so that the
	 * active tier always finds room. Beyond, files are opened, read and
	 * closed. */
	int nkept, fd_cap, fd_idle_cap, keep_hot;
	int promoting; /* every thread is read once when its process turns active */
	/* The light first read (baseline mode, no consumer of idle processes'
	 * own samples): a single-thread process is first read by its schedstat
	 * alone, and looked at again on the next tick (second). */
	int light;
	int threads_only; /* tiered, and no consumer of process-scope samples */
	int32_t *second;
	int nsecond, capsecond, second_head; /* [second_head, nsecond) still to look at */
	/* Host-wide tiers (scan_all): the active processes, the ones first
	 * seen this tick, the idle tier's round-robin cursor. */
	int tiered, baseline;
	int32_t *hot, *fresh;
	int nhot, caphot, nfresh, capfresh;
	size_t idle_it;
	uint32_t period_min, thread_hold, full_every;
	int32_t self_tgid;			 /* procimage itself: never in the active tier */
	uint32_t hot_threads, idle_thread_reads; /* this tick */
	struct procfs_budget budget;
	char buf[65536];
};

/* How pf_open_process learnt of an id. */
enum { OPEN_NAMED, OPEN_LISTED, OPEN_PROBED };

/* procfs_read.c */
/* Raise the soft RLIMIT_NOFILE to the hard one and budget below it. */
void pf_fd_budget_init(struct procfs *p);
int pf_is_regular(int fd);
/* May one more fd be kept? The active tier up to fd_cap, the idle one up
 * to fd_idle_cap. */
int pf_may_keep(const struct procfs *p);
/* Out of descriptors (EMFILE/ENFILE): counted, and 1. */
int pf_fd_exhausted(struct procfs *p, int e);
/* One read of a /proc file from offset 0 into p->buf, NUL-terminated,
 * counted; bytes, or -1 with errno (ESRCH: the task is gone). */
ssize_t pf_pread(struct procfs *p, int fd);
/* Read the files in `want` into s. `prefix` is "" for the process or
 * "task/<tid>/" for a thread. 0, -ESRCH (gone), -EACCES (stat refused) or
 * -EAGAIN (no descriptor: not read this time). */
int pf_read_files(struct procfs *p, int dirfd, const char *prefix, int *fds, uint32_t want,
		  struct proc_sample *s, char *comm, const char **stack_text);

/* procfs_discover.c */
/* The next entry of a /proc or task/ listing that names a task, 0 at the end. */
int32_t pf_next_pid(DIR *d);
struct pslot *pf_open_process(struct procfs *p, int32_t id, int how);
/* Which processes exist this tick: the named pids, or a listing of root. */
void pf_discover(struct procfs *p);
/* The pid cursor of root's namespace: loadavg's last field. -1 if unknown. */
int64_t pf_read_last_pid(struct procfs *p);
/* Host-wide, between full listings: open the pids allocated since the last
 * look. 1 when that was enough, 0 when a full listing is due. */
int pf_probe_new(struct procfs *p);
/* Is the process a target (-p, --comm, --cgroup)? 1 or 0, decided once. */
int pf_decide_match(struct procfs *p, struct pslot *ps);

/* procfs.c */
int pf_list_add(int32_t **v, int *n, int *cap, int32_t x);

#endif
