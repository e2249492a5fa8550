/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The verdict on one offender from all five images: who it hurt (sched),
 * where its CPU goes (triage facts: user vs kernel, exact; the syscall
 * image's ptrace samples: top syscalls by on-CPU share, sampled), what it
 * runs (keytime: its descendants' forks, execs, exits, exact), memory and
 * I/O (resource: faults/s, RSS trend, bytes/s, syscalls/s, average I/O
 * size), migrations (triage facts, exact), and what to run next for an exact
 * answer. explain_build() gathers the facts from the images (any may be
 * NULL: that part is then unknown, never 0); explain_text() says them in
 * plain words, each number with its exactness; explain_out() writes the
 * same facts as the JSON object "explain" (names documented in
 * docs/commands/triage.md). Reads no /proc: unit-tested on synthetic images.
 */
#ifndef PROCIMAGE_EXPLAIN_H
#define PROCIMAGE_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "images/sched.h"
#include "images/triage.h"
#include "procimage/out.h"

#define EXPLAIN_TOP 3

struct explain_syscall {
	char name[24];
	uint64_t samples;
	double share_pct; /* of the on-CPU samples */
};

struct explain_prog {
	char filename[96];
	char argv[160]; /* argv joined by spaces, cut */
	uint64_t count;
};

struct explain {
	int32_t pid;
	char comm[16];
	/* victims (sched: schedstat run-queue waits, exact counters) */
	uint32_t victims;
	double max_victim_wait_ms;
	int32_t top_victim_pid;
	char top_victim_comm[16];
	/* CPU (stat ticks over the window, exact) */
	int have_cpu;
	double cpu_pct, kernel_share_pct;
	/* on-CPU samples (ptrace, sampled) */
	uint64_t oncpu_samples, oncpu_user;
	int nsyscalls;
	struct explain_syscall syscalls[EXPLAIN_TOP];
	/* children (keytime, connector events: exact) */
	int have_children;
	uint64_t forks, execs, execs_unnamed, exits, exits_zero, exits_nonzero, killed;
	double children_per_s;
	int nprogs;
	struct explain_prog progs[EXPLAIN_TOP];
	/* memory and I/O (resource: counters exact, RSS sampled) */
	int have_mem, have_io, have_rss;
	double window_s, minflt_per_s, majflt_per_s;
	uint64_t rss_first_kb, rss_last_kb;
	double read_bps, write_bps, syscr_per_s, syscw_per_s, avg_io_bytes;
	/* migrations (sched counters, exact) */
	int have_mig;
	uint64_t migrations;
	char next[160];
};

/* A process's run-queue waits over the scan and whom it waited behind: the
 * host's hogs that held its CPU meanwhile (the sched image's victim shares,
 * schedstat counters: exact, at the sampling interval's resolution). */
#define FOCUS_BEHIND 4

struct focus_behind {
	int32_t pid, tid;
	char comm[16];
	uint64_t wait_ns;
};

struct focus_wait {
	int32_t pid;
	char comm[16];
	int threads; /* 0: the scan never saw it */
	double window_s;
	uint64_t wait_ns, behind_ns, max_wait_ns;
	int nbehind;
	struct focus_behind behind[FOCUS_BEHIND];
};

void explain_focus_build(struct focus_wait *fw, struct sched_img *s, int32_t pid);
size_t explain_focus_text(const struct focus_wait *fw, char *buf, size_t len);
/* The "focus_wait" object. */
void explain_focus_out(const struct focus_wait *fw, struct out *o);

/* Gather the facts about offender o. scan/deep are triage facts (deep may
 * be NULL); the images are those of the deep run, or NULL. */
void explain_build(struct explain *e, const struct sched_offender *o,
		   const struct triage_facts *scan, const struct triage_facts *deep,
		   void *resource_img, void *keytime_img, void *syscall_img);
size_t explain_text(const struct explain *e, char *buf, size_t len);
/* The "explain" object (text included). */
void explain_out(const struct explain *e, struct out *o);

#endif
