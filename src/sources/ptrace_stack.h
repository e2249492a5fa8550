/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ptrace stack source: user stacks of target threads without perf.
 *
 * Each thread is PTRACE_SEIZEd once (no stop, no SIGSTOP), then sampled with
 * PTRACE_INTERRUPT -> wait for the stop -> unwind (ptrace_unwind.c) ->
 * PTRACE_CONT. A blocked thread that waits in the same kernel function and
 * ran less than 1 ms (the syscall restart our own interrupt causes) since
 * its last unwind is not stopped again: its previous stack is counted. So a
 * sleeper is interrupted about once per blocking episode; being interrupted
 * can make a few blocking calls return EINTR (epoll_wait, poll: signal(7)),
 * which --on-cpu avoids entirely. Threads in D state are never
 * interrupted (the stop would wait for the sleep to end). Signals the target
 * receives meanwhile are passed on at once (SIGCHLD wakes the event loop);
 * group-stops are respected with PTRACE_LISTEN.
 *
 * Exit: every thread is interrupted and PTRACE_DETACHed (a pending signal is
 * handed back). If procimage dies, even by SIGKILL, the kernel detaches and
 * resumes the tracees itself (exit_ptrace); PTRACE_O_EXITKILL is not used.
 *
 * Emits one REC_STACK (u.stack.kernel = 0) per sampled thread and tick, at
 * most `hz` times a second; text = root-first frames. u.stack.count 0 means
 * "drop this tick's sample": procfs saw the thread in a stop of ours. A
 * sleeper our interrupt woke, seen runnable before it restarted its sleep, is
 * reported off CPU with its previous stack. The threads sampled are
 * those the procfs source deep-samples (thread-scope REC_SAMPLEs), which
 * also give the state (R = on CPU) read just before the interrupt.
 */
#ifndef PROCIMAGE_PTRACE_STACK_H
#define PROCIMAGE_PTRACE_STACK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/run.h"
#include "procimage/record.h"
#include "procimage/source.h"

#define PTRACE_STACK_DEFAULT_HZ 49

enum ptrace_stack_flags {
	PSTACK_ONCPU_ONLY = 1u << 0, /* never interrupt a blocked thread */
};

struct ptrace_stack_config {
	uint32_t hz;	       /* samples per thread per second (0: default) */
	uint32_t max_per_tick; /* interrupts per tick at most (0: 256) */
	uint32_t flags;	       /* PSTACK_* */
};

struct ptrace_stack_stats {
	uint64_t samples;    /* REC_STACKs emitted */
	uint64_t unwinds;    /* interrupt + unwind */
	uint64_t reused;     /* blocked and not run since: previous stack */
	uint64_t skipped;    /* over the per-tick budget, D state, failures */
	uint64_t interrupts; /* PTRACE_INTERRUPTs sent for samples */
	uint64_t timeouts;   /* did not stop within the wait (unwound later) */
	uint64_t seize_failed, threads, signals_passed;
	uint64_t wait_ns;    /* PTRACE_INTERRUPT until the stop is seen (the thread
			      * runs, or waits for a CPU, until it reaches the trap) */
	uint64_t held_ns;    /* stop seen until resumed: what sampling costs it */
	uint64_t undetached; /* threads still traced after stop (kernel frees them) */
};

struct ptrace_stack;

struct ptrace_stack *ptrace_stack_new(const struct ptrace_stack_config *cfg, char *err,
				      size_t errlen);
/* Detach every thread, restore the signal mask, free. */
void ptrace_stack_free(struct ptrace_stack *ps);
/* The fd to watch (SIGCHLD signalfd): call ptrace_stack_events() when readable. */
int ptrace_stack_fd(const struct ptrace_stack *ps);
void ptrace_stack_events(struct ptrace_stack *ps);
/* Seize one process's threads now (a permission check that cannot lie).
 * 0, or -errno with why set (EPERM: what to change). */
int ptrace_stack_seize_process(struct ptrace_stack *ps, pid_t tgid, char *why, size_t len);
/* Note a thread to sample at the next ptrace_stack_tick: state is stat's
 * field 3, run_ns schedstat's first field (have_run 0 if unknown), wchan the
 * kernel function it waits in (NULL or "" if unknown). */
void ptrace_stack_note(struct ptrace_stack *ps, const struct task_key *key, const char *comm,
		       char state, uint64_t run_ns, int have_run, const char *wchan);
/* Sample the noted threads if a sample is due; records go to sink. */
void ptrace_stack_tick(struct ptrace_stack *ps, uint64_t now_ns, const struct record_sink *sink);
/* A thread or process is gone (REC_GONE): reap it. */
void ptrace_stack_forget(struct ptrace_stack *ps, int32_t tid);
/* Interrupt and detach every thread (bounded wait). Undetached count. */
uint64_t ptrace_stack_detach_all(struct ptrace_stack *ps);
const struct ptrace_stack_stats *ptrace_stack_get_stats(const struct ptrace_stack *ps);
/* The first error worth telling the user ("" if none). */
const char *ptrace_stack_error(const struct ptrace_stack *ps);

/* Why ptrace may be refused, from the facts (pure, unit-tested): Yama
 * ptrace_scope (-1 when Yama is absent), CAP_SYS_PTRACE, same uid, target is
 * a descendant, TracerPid of the target. 0 if permitted; else -EPERM and a
 * message saying what to change. */
int ptrace_stack_explain(int yama_scope, int have_cap, int same_uid, int descendant, int tracer_pid,
			 char *why, size_t len);
/* CAP_SYS_PTRACE in the effective set (triage samples only with it). */
int ptrace_have_cap(void);
/* Gather those facts for pid from /proc and libcap and explain. */
int ptrace_stack_check(pid_t pid, char *why, size_t len);

/* The run source (ptrace_source.c) is declared in core/run.h:
 * source_ptrace_stack, configured by run_config stack_hz and stack_flags. */

#endif
