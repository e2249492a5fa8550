/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * On-CPU syscall attribution by ptrace, attached only for the sample.
 *
 * /proc/<tid>/syscall answers "running" for a thread on a CPU, and audit is
 * opt-in and blind to tasks forked before it was first enabled. This sampler
 * tells where a running thread's CPU time goes: for each thread procfs saw in
 * state R, at most `hz` times a second,
 *
 *   PTRACE_SEIZE (no options) -> PTRACE_INTERRUPT -> wait for the stop ->
 *   PTRACE_GETREGSET (NT_PRSTATUS; arm64 also NT_ARM_SYSTEM_CALL) ->
 *   PTRACE_DETACH
 *
 * The registers at the stop name the syscall the thread is in or has just
 * left (x86_64 orig_rax >= 0; arm64 syscallno >= 0), or none: user code
 * (orig_rax -1: it entered the kernel by the interrupt our request sent).
 * Between samples the thread is not traced at all: a signal sent to it
 * then (Go's SIGURG, a JVM's SIGSEGV polls) never stops it, and a killed
 * procimage leaves nothing attached. While attached, a signal that arrives
 * is handed back at the detach; a group-stop is left as it is.
 *
 * Restarts and EINTR: only threads procfs saw in state R are interrupted.
 * One that went to sleep between that read and our interrupt is woken: its
 * syscall returns -ERESTARTSYS/-ERESTARTNOINTR/-ERESTARTNOHAND/
 * -ERESTART_RESTARTBLOCK (rax -512..-516 at the stop) and the kernel
 * restarts it when we detach, since no handler runs. Such a sample is not
 * on-CPU time: it is counted apart ("woken"), never as the syscall. The
 * calls signal(7) lists as failing with EINTR after a stop (epoll_wait,
 * semtimedop, sigtimedwait, inotify read, io_getevents ...) may return
 * EINTR in that race, exactly as after SIGSTOP + SIGCONT; programs must
 * handle it anyway. A thread in D state is never interrupted; one that
 * another tracer holds is never touched (TracerPid is named in the error).
 *
 * Emits REC_SYSCALL with source SRC_PTRACE, one per sample:
 *   u.sc.nr      the syscall number, -1 = user code, -2 = woken (restart)
 *   u.sc.arch    AUDIT_ARCH_* (x86_64 or i386 by the code segment)
 *   u.sc.ret     rax / x0 at the stop
 *   u.sc.args[0] the user instruction pointer
 *   u.sc.serial  0, u.sc.success 1
 */
#ifndef PROCIMAGE_PTRACE_SYSCALL_H
#define PROCIMAGE_PTRACE_SYSCALL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "procimage/record.h"

#define PTRACE_SC_DEFAULT_HZ   50
#define PTRACE_SC_MAX_PER_TICK 32
#define PTRACE_SC_NR_USER      (-1)
#define PTRACE_SC_NR_WOKEN     (-2)

struct ptrace_syscall_config {
	uint32_t hz;	       /* samples per running thread per second (0: 50) */
	uint32_t max_per_tick; /* attaches per tick at most (0: 32) */
};

struct ptrace_syscall_stats {
	uint64_t samples; /* REC_SYSCALLs emitted */
	uint64_t in_user, in_syscall, woken;
	uint64_t attaches;	  /* PTRACE_SEIZEs that succeeded */
	uint64_t seize_failed;	  /* refused (EPERM), other tracer */
	uint64_t transient;	  /* refused while exiting or exec'ing: skipped */
	uint64_t over_budget;	  /* running threads not sampled this tick */
	uint64_t late;		  /* no stop within the wait: detached when it came */
	uint64_t group_stopped;	  /* stopped by a signal meanwhile: no sample */
	uint64_t signals_passed;  /* signals that arrived while attached, handed back */
	uint64_t threads;	  /* distinct threads sampled */
	uint64_t attached_ns;	  /* interrupt until detach, summed (stops in time) */
	uint64_t late_ns;	  /* the same for late stops */
	uint64_t stopped_ns;	  /* stop seen until detach, summed */
	uint64_t max_attached_ns; /* the longest single sample */
	uint64_t undetached;	  /* still attached at the end (the kernel frees them) */
};

struct ptrace_syscall;

struct ptrace_syscall *ptrace_syscall_new(const struct ptrace_syscall_config *cfg, char *err,
					  size_t errlen);
/* Detach anything still attached (bounded wait), restore the mask, free. */
void ptrace_syscall_free(struct ptrace_syscall *ps);
/* SIGCHLD signalfd: call ptrace_syscall_events() when readable. */
int ptrace_syscall_fd(const struct ptrace_syscall *ps);
/* Detach threads whose stop came late. */
void ptrace_syscall_events(struct ptrace_syscall *ps);
/* Never attach to this process (refused at start: another tracer, another
 * user without CAP_SYS_PTRACE). */
void ptrace_syscall_exclude(struct ptrace_syscall *ps, int32_t tgid);
/* A thread seen by procfs this tick: state is stat's field 3. */
void ptrace_syscall_note(struct ptrace_syscall *ps, const struct task_key *key, const char *comm,
			 char state);
void ptrace_syscall_tick(struct ptrace_syscall *ps, uint64_t now_ns,
			 const struct record_sink *sink);
void ptrace_syscall_forget(struct ptrace_syscall *ps, int32_t tid);
/* Wait for late stops and detach them (bounded). Undetached count. */
uint64_t ptrace_syscall_detach_all(struct ptrace_syscall *ps);
const struct ptrace_syscall_stats *ptrace_syscall_get_stats(const struct ptrace_syscall *ps);
/* The first refusal worth telling ("" if none). */
const char *ptrace_syscall_error(const struct ptrace_syscall *ps);

/* What the registers at a stop mean (pure, unit-tested): orig is orig_rax
 * (arm64: syscallno), ret rax (x0). Returns PTRACE_SC_NR_USER,
 * PTRACE_SC_NR_WOKEN or the syscall number. */
int ptrace_syscall_decode(int64_t orig, int64_t ret);

/* One line for --stats and the sources block: the cost of the samples. */
int ptrace_syscall_cost(const struct ptrace_syscall_stats *x, double seconds, char *buf,
			size_t len);

#endif
