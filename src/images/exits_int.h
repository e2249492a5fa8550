/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The exits image's state, shared by exits.c (assembly) and exits_report.c
 * (cause and output). Not for other modules: they use images/exits.h. */
#ifndef PROCIMAGE_EXITS_INT_H
#define PROCIMAGE_EXITS_INT_H

#include <stdint.h>

#include "core/clock.h"
#include "core/taskmap.h"
#include "images/exits.h"
#include "procimage/image.h"

/* What polling last saw of a live target process. */
struct ex_seen {
	uint64_t start;
	char comm[16];
	int32_t ppid;
	uint32_t have; /* PF_* ever read */
	uint64_t first_ns, last_ns;
	uint64_t rss_kb;
	int32_t oom_score, oom_adj;
	int have_cg;
	uint64_t cg_oom_kill; /* the memcg's counter at the last cgroup report */
	char cg_path[96];
	int ended;	  /* the connector or taskstats reported its exit (a zombie lingers) */
	int32_t nthreads; /* stat's num_threads at the last sample */
};

enum ex_cause { CAUSE_UNKNOWN = 0, CAUSE_EXIT, CAUSE_SIGNAL, CAUSE_CRASH, CAUSE_OOM };

struct ex_exit {
	int32_t pid;
	uint64_t start;
	char comm[16];
	uint64_t t_ns;
	uint32_t srcs; /* 1 << SRC_* that reported this exit */
	int have_status;
	uint8_t status_src;
	uint32_t status; /* raw wait status */
	/* The leader left while other threads ran on (pthread_exit in main):
	 * the process ends, with the last thread's status, when taskstats says
	 * the group is dead (AGROUP), polling finds it gone or its zombie has
	 * one thread left. Until then the evidence window does not start. */
	int group_open;
	int was_open;	   /* it was open: thread events still count until final */
	uint64_t close_ns; /* when it closed: the evidence window starts there */
	int status_final;  /* the status is the group's (AGROUP): no later event changes it */
	int t_from_thread; /* t_ns is a thread's exit (connector time), of t_tid */
	int32_t t_tid;
	int leader_event; /* the leader's own connector exit came */
	/* A taskstats record below v12 (no ac_tgid) is all that reported it:
	 * it may be a worker thread's exit (tgid = tid), not a process's. */
	int ts_no_tgid;
	uint64_t leader_ts_ns; /* when the leader's own taskstats record came */
	int have_ts;
	uint8_t ts_flag;
	uint64_t etime_us, hiwater_kb;
	int have_seen;
	struct ex_seen seen;
	int have_cg_after;
	uint64_t cg_after;
	/* decided by exits_classify */
	int final;
	enum ex_cause cause;
	int probable;
	char evidence[4][240];
	int nevidence;
	char lacking[3][200];
	int nlacking;
};

/* A kernel log OOM kill: up to two lines (oom-kill:, Killed process); or
 * (crash) the line of a fatal fault: segfault, trap, general protection,
 * or audit's ANOM_ABEND record (with the signal). */
struct ex_oom {
	int crash;
	int sig; /* crash: the signal the line names, 0 if it does not */
	int32_t pid;
	uint64_t t_ns;
	char comm[16];
	char line[2][232];
	int nlines;
	int matched;
};

struct ex_vm {
	uint64_t t_ns, delta;
};

#define EX_VM_RING 32

struct ex_img {
	struct image_params p;
	struct taskmap *seen; /* key (tgid, 0) */
	struct ex_exit *exits;
	size_t nexits, cap;
	/* exits[0, first_pending) are all decided (final): the searches for a
	 * pending exit, made for every exit on the host, start there. */
	size_t first_pending;
	size_t ngroups; /* exits with was_open, not final: thread exits look only then */
	struct ex_oom *ooms;
	size_t nooms, oomcap;
	struct ex_vm vm_moves[EX_VM_RING];
	size_t nvm;
	uint64_t vm_oom_kill;
	int have_vm;
	int all, since_boot;
	uint32_t have; /* EXITS_HAVE_* */
	uint64_t now_ns;
	int printed_header;
	/* Decided exits dropped from the list to bound memory (EX_KEEP_FINAL),
	 * by cause: still counted in by_cause. */
	size_t unlisted, unlisted_plain;
	size_t unlisted_by[CAUSE_OOM + 1];
};

/* The decided exits a run keeps for its report (~1.6 KB each): beyond it,
 * the oldest plain ones (exit code 0) go first, then the oldest of any
 * cause; they stay counted. A day of -a on a host that forks 100 processes
 * a second would otherwise hold its whole history. */
#define EX_KEEP_FINAL 10000

/* Whether e is a process's exit to list: not a group still running
 * without its leader, nor a pre-v12 taskstats record that nothing else
 * shows to be a process (polling never saw it, no connector leader exit). */
static inline int exits_listed(const struct ex_exit *e)
{
	if (e->group_open)
		return 0;
	return !e->ts_no_tgid || e->leader_event || e->have_seen;
}

/* Drop the oldest decided exits beyond EX_KEEP_FINAL / 2, keeping counts. */
void exits_trim(struct ex_img *x);

/* Decide e's cause from the evidence gathered; marks it final. */
void exits_classify(struct ex_img *x, struct ex_exit *e);
void exits_report(void *img, struct out *o);

#endif
