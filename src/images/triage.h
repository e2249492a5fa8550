/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Triage facts: a record consumer (attached to a run as a sink) that keeps,
 * per process, what the plain-words diagnosis needs: CPU split into user and
 * kernel time (stat), context switches (status), where its threads were when
 * sampled (state, wchan, syscall) and its migrations (sched). Then the
 * diagnosis itself: one sentence per offender, built from these facts and
 * the sched image's offender record, naming its evidence. Like every image
 * it reads no /proc: the same code runs on synthetic records in tests.
 */
#ifndef PROCIMAGE_TRIAGE_H
#define PROCIMAGE_TRIAGE_H

#include <stddef.h>
#include <stdint.h>

#include "images/sched.h"
#include "procimage/record.h"

#define TRIAGE_WHERE 6 /* distinct places (wchan / syscall) kept per process */

struct triage_where {
	char what[48]; /* "running", "sleeping in do_epoll_wait", "syscall 7" */
	uint32_t count;
};

struct triage_proc {
	int32_t tgid;
	uint64_t start_ticks;
	char comm[16];
	int gone;
	uint64_t t0, t1;
	uint64_t utime0, stime0, utime1, stime1; /* ticks */
	int have_status;
	uint64_t vcs0, ivcs0, vcs1, ivcs1;
	uint64_t thread_samples, running_samples;
	struct triage_where where[TRIAGE_WHERE];
	uint64_t mig; /* summed kernel migration deltas of its threads */
};

struct triage_facts;

struct triage_facts *triage_facts_new(long ticks_per_s);
void triage_facts_free(struct triage_facts *f);
/* record_fn-compatible: attach with run_add_sink(). */
void triage_facts_consume(void *facts, const struct record *r);
/* The facts about a process (NULL when never sampled). */
const struct triage_proc *triage_facts_get(const struct triage_facts *f, int32_t tgid);
/* CPU of a process over its sampled window: % of one CPU, and the kernel's
 * share of it in %. 0 when unknown. */
double triage_cpu_pct(const struct triage_facts *f, const struct triage_proc *p);
double triage_sys_share_pct(const struct triage_proc *p);
/* The most frequent place its threads were seen, and its share in %. */
const struct triage_where *triage_top_where(const struct triage_proc *p, double *pct);

/* One offender's diagnosis in plain words (scan = phase-1 facts, deep =
 * phase-2 facts or NULL). Returns the length written. */
size_t triage_diagnose(char *buf, size_t len, const struct sched_offender *o,
		       const struct triage_facts *scan, const struct triage_facts *deep,
		       uint64_t threshold_ns);

#endif
