/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The syscall image's state, shared by syscall.c (consume) and
 * syscall_report.c (report). Counts come from audit records (exact) or, for
 * processes audit does not cover, from /proc/<tid>/syscall samples (episodes
 * of a blocked syscall: an estimate). Time is always sampled: the blocked
 * time of each syscall (state S/D with the syscall file naming it), plus the
 * exact user/sys CPU ticks for the on-CPU share. Where the on-CPU time of a
 * running thread goes (user code or which syscall) comes from the ptrace
 * sampler's REC_SYSCALL records (source SRC_PTRACE, sources/ptrace_syscall.h):
 * sampled. Beside it the exact procfs counters of each thread over the run:
 * io syscr/syscw, stat minflt/majflt, sched voluntary/involuntary switches.
 */
#ifndef PROCIMAGE_SYSCALL_IMG_H
#define PROCIMAGE_SYSCALL_IMG_H

#include <stdint.h>

#include "core/taskmap.h"
#include "procimage/image.h"

#define SC_NARCH     2	 /* 0 = x86_64, 1 = i386 */
#define SC_TABLE     512 /* numbers per arch */
#define SC_ERRNOS    6	 /* distinct errnos kept per syscall */
#define SC_MAX_PROCS 64

struct sc_stat {
	uint64_t count, errors; /* audit: exact */
	uint16_t err_no[SC_ERRNOS];
	uint64_t err_cnt[SC_ERRNOS];
	uint64_t err_other;
	uint64_t blocked_ns, samples; /* sampled */
	uint64_t episodes;	      /* sampled: times seen entering it */
	uint64_t oncpu_samples;	      /* sampled by ptrace: running in it */
};

#define SC_ONCPU_TOP 8 /* syscalls kept per thread for the on-CPU table */

/* On-CPU samples of one thread or process: user code, each syscall. */
struct sc_oncpu {
	uint64_t total, user, woken, other;
	int16_t nr[SC_ONCPU_TOP];
	uint8_t ai[SC_ONCPU_TOP];
	uint64_t n[SC_ONCPU_TOP];
	int used;
};

/* The exact procfs counters (first and last sample of a thread). */
enum { SCX_SYSCR, SCX_SYSCW, SCX_MINFLT, SCX_MAJFLT, SCX_VCSW, SCX_IVCSW, SCX_N };

struct sc_ent {
	uint64_t t_ns, wall_ms;
	int64_t ret;
	int32_t nr;
	uint8_t arch_i, has_ret, success, sampled;
	uint32_t dur_ms_sampled; /* sampled: how long it was seen blocked */
	char wchan[48];		 /* sampled: where in the kernel it waited */
};

/* A caller: a thread seen by sampling (tid > 0), or a whole process seen by
 * audit (tid 0: audit names the thread group only). */
struct sc_caller {
	int32_t tgid, tid;
	char comm[16];
	uint64_t count, errors;			 /* audit */
	uint64_t blocked_ns, oncpu_ns, episodes; /* sampled */
	uint64_t last_t;
	int32_t last_nr;
	uint64_t last_arg0, last_vol;
	int have_cpu, have_ev;
	uint64_t utime0, stime0, utime1, stime1;
	uint64_t ev0, ev1; /* syscr+syscw+voluntary switches, from the first sample after arming */
	struct sc_oncpu oncpu;	       /* ptrace samples */
	uint64_t x0[SCX_N], x1[SCX_N]; /* exact counters, first and last */
	uint32_t xhave;		       /* 1 << SCX_*: read in every sample */
	int xinit;
	struct sc_ent *seq;
	uint32_t seq_head, seq_len;
};

/* Audit coverage of one process. */
struct sc_proc {
	int32_t tgid;
	int armed;
	uint64_t armed_ns, disarmed_ns;
	uint64_t records;
	uint32_t arch;
	char comm[16];
};

#define SC_FOLDS 4096 /* distinct (comm, syscall) pairs for -f folded */

struct sc_fold {
	char comm[16];
	int16_t nr; /* -1: empty slot */
	uint8_t ai;
	uint64_t count, samples;
};

struct sc_img {
	struct image_params p;
	int mode_audit_only, mode_sample_only;
	uint32_t filter[SC_NARCH][SC_TABLE / 32]; /* --syscalls; all ones when none */
	int filtered;
	struct sc_stat stats[SC_NARCH][SC_TABLE];
	struct taskmap *callers; /* key (tid, 0) for threads; (tgid, 1) for audit callers */
	struct sc_proc procs[SC_MAX_PROCS];
	int nprocs;
	uint64_t audit_records, audit_unknown_nr, lost_episodes, lost_records, samples_with_syscall;
	uint64_t first_t, last_t;
	uint64_t oncpu_samples, oncpu_user, oncpu_woken; /* ptrace, all threads */
	char audit_why[256]; /* why audit could not capture at all, if so */
	int audit_failed;
	struct sc_fold *folds; /* SC_FOLDS slots, open addressing */
	uint64_t folds_full;
};

/* Count a (comm, syscall) pair for the folded output. */
void sc_fold_add(struct sc_img *s, const char *comm, int ai, int nr, uint64_t count,
		 uint64_t samples);
int sc_arch_index(uint32_t arch);
uint32_t sc_arch_of_index(int i);
/* The report (syscall_report.c). */
void sc_report(struct sc_img *s, struct out *o);
struct stack_agg;
/* Add the (comm, syscall) pairs to agg as folded stacks "comm;syscall" (the
 * input of -f folded and -f svg): the exact audit counts when audit fed the
 * counts (returns 1), else the samples seen in each syscall (returns 0).
 * -ENOMEM when agg cannot grow. */
int sc_fold_agg(struct sc_img *s, struct stack_agg *agg);
/* A process is "not auditable" when audit was armed for it, gave no record,
 * and its syscall evidence (syscr/syscw/voluntary switches) still moved. */
int sc_proc_not_auditable(struct sc_img *s, const struct sc_proc *pr, uint64_t *evidence);
/* Add n samples of (ai, nr) to a histogram (nr < 0: user code, woken). */
void sc_oncpu_add(struct sc_oncpu *h, int ai, int nr, uint64_t n);
/* The on-CPU samples, exact counters and run time of process tgid (0: all
 * targets), summed over its threads. Returns the number of threads. */
int sc_process_oncpu(struct sc_img *s, int32_t tgid, struct sc_oncpu *h, uint64_t x[SCX_N],
		     uint32_t *xhave);
/* The on-CPU report section (syscall_oncpu.c). */
void sc_oncpu_report(struct sc_img *s, struct out *o);

#endif
