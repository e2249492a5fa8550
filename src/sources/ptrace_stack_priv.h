/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals shared by the ptrace sampler's two files: ptrace_stack.c (seize,
 * events, detach) and ptrace_sample.c (one tick: interrupt, unwind, emit);
 * ptrace_syscall.c shares the stop classification and wait. Not for other
 * modules: use ptrace_stack.h.
 */
#ifndef PROCIMAGE_PTRACE_STACK_PRIV_H
#define PROCIMAGE_PTRACE_STACK_PRIV_H

#include <signal.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/taskmap.h"
#include "sources/ptrace_stack.h"
#include "sources/ptrace_unwind.h"

#define WAIT_STOP_NS   (50 * NS_PER_MS)
#define DETACH_WAIT_NS (2 * NS_PER_S)
#define REBUILD_GAP_NS (2 * NS_PER_S)
/* Our own interrupt wakes a sleeper, which runs a little to restart its
 * syscall: run time below this since the last unwind, in the same kernel
 * wait, does not count as "ran" (else every sample would interrupt again). */
#define RUN_SLACK_NS (1 * NS_PER_MS)

enum tstate { TS_NEW = 0, TS_RUNNING, TS_LISTENING, TS_FAILED };

/* What a waitpid status means for a seized tracee. */
enum stopkind { SK_NONE, SK_DEAD, SK_TRAP, SK_SIGNAL, SK_GROUP, SK_EXEC, SK_OTHER };

struct pthread {
	int32_t tgid, tid;
	uint8_t st, noted, have_pcs, truncated, have_run;
	uint8_t woken;	    /* our interrupt woke it from a sleep (it was not on CPU) */
	uint8_t late;	    /* interrupted, the stop has not come yet */
	uint8_t late_ready; /* pcs from a late stop, not yet emitted */
	char pstate;
	uint64_t run_ns, unwound_run_ns;
	uint64_t wchan_hash, unwound_wchan;
	int npcs;
	uint64_t *pcs;
	char comm[16];
	uint64_t start;
};

struct pproc {
	struct unwind_proc *up;
	uint64_t built_ns;
	int exec_seen;
};

struct ptrace_stack {
	struct ptrace_stack_config cfg;
	struct taskmap *threads; /* tid -> pthread */
	struct taskmap *procs;	 /* tgid -> pproc */
	int sigfd;
	sigset_t oldmask;
	pid_t self;
	int32_t *noted;
	size_t nnoted, capnoted;
	uint64_t period_ns, next_due;
	struct demangler dm;
	struct ptrace_stack_stats stats;
	char err[256];
	char text[16384];
};

int ptrace_stack_reap(struct ptrace_stack *ps, struct pthread *t);
int ptrace_stack_resume(struct ptrace_stack *ps, struct pthread *t, enum stopkind k, int sig);
enum stopkind ptrace_stack_wait_stop(struct pthread *t, uint64_t deadline, int *sig);
/* Wait (SIGCHLD blocked, sigtimedwait) until tid, a tracee of ours, reports
 * a stop or dies, or deadline (SK_NONE). */
enum stopkind ptrace_wait_tid(int32_t tid, uint64_t deadline, int *sig);
/* Tracee stops arrive as SIGCHLD: block it (the mask before in *oldmask)
 * and open a non-blocking signalfd for it, so that the event loop wakes at
 * once. The fd, or -1 with errno set (the mask is blocked either way). */
int ptrace_sigchld_open(sigset_t *oldmask);
/* Read away the pending notifications (the stops are read with waitpid). */
void ptrace_sigchld_drain(int fd);
/* Drain and close fd (if >= 0) and restore the mask. */
void ptrace_sigchld_close(int fd, const sigset_t *oldmask);
int ptrace_stack_seize_thread(struct ptrace_stack *ps, struct pthread *t);
/* Unwind a thread found in a late stop (ptrace_sample.c). */
void ptrace_stack_late_unwind(struct ptrace_stack *ps, struct pthread *t);

#endif
