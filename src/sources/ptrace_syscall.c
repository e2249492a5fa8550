/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The on-CPU syscall sampler (see ptrace_syscall.h): attach to one running
 * thread, interrupt it, read its registers at the stop, detach. Stop
 * classification and the bounded wait are the stack sampler's
 * (ptrace_stack.c); the refusal explanation is ptrace_perm.c's.
 * Every waitpid names a tid we trace, never -1.
 */
#include "sources/ptrace_syscall.h"

#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/syscall_names.h"
#include "core/taskmap.h"
#include "sources/ptrace_stack.h"
#include "sources/ptrace_stack_priv.h"

/* How long a sample may wait for the thread to reach the stop. A running
 * thread reaches it within microseconds; a runnable one waits for a CPU:
 * past this it is detached when the stop comes (events, or the next tick). */
#define SC_WAIT_NS (5 * NS_PER_MS)
/* A tick spends at most this long sampling: the event loop (and the other
 * sources) must not wait behind threads that have no CPU to stop on. */
#define SC_TICK_NS (10 * NS_PER_MS)

/* -ERESTARTSYS .. -ERESTART_RESTARTBLOCK (include/linux/errno.h): the syscall
 * was interrupted (by our request) and is restarted on the way out. */
#define ERESTART_FIRST 512
#define ERESTART_LAST  516

struct sthread {
	int32_t tgid, tid;
	uint64_t start;
	uint8_t noted, late, failed, counted;
	char state;
	char comm[16];
	uint64_t t_seize; /* when it was interrupted */
};

struct ptrace_syscall {
	struct ptrace_syscall_config cfg;
	struct taskmap *threads;
	int sigfd;
	sigset_t oldmask;
	pid_t self;
	int32_t *noted;
	size_t nnoted, capnoted;
	uint64_t period_ns, next_due;
	struct ptrace_syscall_stats stats;
	char err[256];
	int32_t excluded[16]; /* processes refused at start: never attached */
	int nexcluded;
};

void ptrace_syscall_exclude(struct ptrace_syscall *ps, int32_t tgid)
{
	if (ps->nexcluded < (int)(sizeof(ps->excluded) / sizeof(ps->excluded[0])))
		ps->excluded[ps->nexcluded++] = tgid;
}

static int is_excluded(const struct ptrace_syscall *ps, int32_t tgid)
{
	for (int i = 0; i < ps->nexcluded; i++)
		if (ps->excluded[i] == tgid)
			return 1;
	return 0;
}

int ptrace_syscall_decode(int64_t orig, int64_t ret)
{
	if (orig < 0)
		return PTRACE_SC_NR_USER;
	if (ret <= -ERESTART_FIRST && ret >= -ERESTART_LAST)
		return PTRACE_SC_NR_WOKEN;
	return orig > 0x7fffffff ? PTRACE_SC_NR_USER : (int)orig;
}

struct regs_at_stop {
	int64_t orig, ret;
	uint64_t ip;
	uint32_t arch;
};

#if defined(__x86_64__)
static int read_regs(int32_t tid, struct regs_at_stop *out)
{
	struct user_regs_struct r;
	struct iovec iov = {&r, sizeof(r)};

	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &iov) < 0)
		return -errno;
	out->orig = (int64_t)r.orig_rax;
	out->ret = (int64_t)r.rax;
	out->ip = r.rip;
	/* A 32-bit task's code segment is the compat one (__USER32_CS). */
	out->arch = r.cs == 0x23 ? SC_ARCH_I386 : SC_ARCH_X86_64;
	if (out->arch == SC_ARCH_I386) {
		out->orig = (int32_t)out->orig;
		out->ret = (int32_t)out->ret;
	}
	return 0;
}
#elif defined(__aarch64__)
#ifndef NT_ARM_SYSTEM_CALL
#define NT_ARM_SYSTEM_CALL 0x404
#endif
static int read_regs(int32_t tid, struct regs_at_stop *out)
{
	struct user_regs_struct r;
	int nr = -1;
	struct iovec iov = {&r, sizeof(r)}, iov2 = {&nr, sizeof(nr)};

	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &iov) < 0 ||
	    ptrace(PTRACE_GETREGSET, tid, (void *)NT_ARM_SYSTEM_CALL, &iov2) < 0)
		return -errno;
	out->orig = nr; /* NO_SYSCALL (-1) unless it entered by svc */
	out->ret = (int64_t)r.regs[0];
	out->ip = r.pc;
	out->arch = 0; /* the name table has no arm64 names: numbers only */
	return 0;
}
#else
static int read_regs(int32_t tid, struct regs_at_stop *out)
{
	(void)tid;
	(void)out;
	return -ENOSYS;
}
#endif

struct ptrace_syscall *ptrace_syscall_new(const struct ptrace_syscall_config *cfg, char *err,
					  size_t errlen)
{
	struct ptrace_syscall *ps = calloc(1, sizeof(*ps));

	if (!ps) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ps->cfg = *cfg;
	if (!ps->cfg.hz)
		ps->cfg.hz = PTRACE_SC_DEFAULT_HZ;
	if (!ps->cfg.max_per_tick)
		ps->cfg.max_per_tick = PTRACE_SC_MAX_PER_TICK;
	ps->period_ns = NS_PER_S / ps->cfg.hz;
	ps->self = getpid();
	ps->threads = taskmap_new(sizeof(struct sthread));
	/* SIGCHLD blocked: waited for with sigtimedwait during a sample, and
	 * read from the signalfd for late stops */
	ps->sigfd = ptrace_sigchld_open(&ps->oldmask);
	if (!ps->threads || ps->sigfd < 0) {
		snprintf(err, errlen, "cannot set up the ptrace sampler: %s", strerror(errno));
		ptrace_syscall_free(ps);
		return NULL;
	}
	return ps;
}

/* Detach t, now stopped with kind k. 0 or -1 (gone). A late stop's time is
 * counted apart: the thread waited for a CPU (as it would have anyway)
 * before it reached the stop, and was detached as soon as it was seen. */
static int detach_stopped(struct ptrace_syscall *ps, struct sthread *t, enum stopkind k, int sig)
{
	if (k == SK_SIGNAL && sig)
		ps->stats.signals_passed++;
	/* A group-stopped thread stays stopped after the detach, as it should;
	 * a signal that arrived while attached is delivered now. */
	long rc = ptrace(PTRACE_DETACH, t->tid, 0, (void *)(long)(k == SK_SIGNAL ? sig : 0));
	uint64_t held = clock_mono_ns() - t->t_seize;
	if (t->late) {
		ps->stats.late_ns += held;
	} else {
		ps->stats.attached_ns += held;
		if (held > ps->stats.max_attached_ns)
			ps->stats.max_attached_ns = held;
	}
	t->late = 0;
	return rc < 0 ? -1 : 0;
}

static void emit(struct ptrace_syscall *ps, const struct sthread *t, const struct regs_at_stop *rg,
		 int nr, uint64_t now, const struct record_sink *sink)
{
	struct record r = {.kind = REC_SYSCALL, .source = SRC_PTRACE, .cpu = -1, .t_ns = now};

	r.key = (struct task_key){t->tgid, t->tid, t->start};
	memcpy(r.comm, t->comm, sizeof(r.comm));
	r.u.sc.nr = nr;
	r.u.sc.arch = rg->arch;
	r.u.sc.ret = rg->ret;
	r.u.sc.success = 1;
	r.u.sc.args[0] = rg->ip;
	ps->stats.samples++;
	if (nr == PTRACE_SC_NR_USER)
		ps->stats.in_user++;
	else if (nr == PTRACE_SC_NR_WOKEN)
		ps->stats.woken++;
	else
		ps->stats.in_syscall++;
	record_emit(sink, &r);
}

/* A refusal, said once: who holds the thread, or what to change. EPERM
 * that no rule explains is a task exiting or in the middle of an exec (the
 * kernel refuses those for the moment): counted, not an error. */
static void refused(struct ptrace_syscall *ps, struct sthread *t, int e)
{
	char why[200];

	if (e == ESRCH) {
		t->failed = 1;
		return;
	}
	if (e == EPERM && ptrace_stack_check(t->tid, why, sizeof(why)) == 0) {
		ps->stats.transient++;
		return;
	}
	t->failed = 1;
	ps->stats.seize_failed++;
	if (ps->err[0])
		return;
	snprintf(ps->err, sizeof(ps->err), "cannot ptrace pid %d (tid %d): %s", t->tgid, t->tid,
		 e == EPERM ? why : strerror(e));
}

/* One sample of one running thread. */
static void sample_one(struct ptrace_syscall *ps, struct sthread *t, uint64_t now,
		       const struct record_sink *sink)
{
	struct regs_at_stop rg = {0};
	int sig = 0;

	t->t_seize = clock_mono_ns();
	if (ptrace(PTRACE_SEIZE, t->tid, 0, 0) < 0) {
		refused(ps, t, errno);
		return;
	}
	ps->stats.attaches++;
	if (!t->counted) {
		t->counted = 1;
		ps->stats.threads++;
	}
	/* The thread runs on until the interrupt: its cost starts here. */
	t->t_seize = clock_mono_ns();
	if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0) {
		/* Gone between the two calls: a dead tracee is reaped below. */
		ptrace_wait_tid(t->tid, clock_mono_ns(), &sig);
		return;
	}
	enum stopkind k = ptrace_wait_tid(t->tid, t->t_seize + SC_WAIT_NS, &sig);
	uint64_t t1 = clock_mono_ns();
	if (k == SK_NONE) {
		t->late = 1; /* detached when the stop comes */
		ps->stats.late++;
		return;
	}
	if (k == SK_DEAD || k == SK_OTHER)
		return;
	int ok = (k == SK_TRAP || k == SK_SIGNAL) && read_regs(t->tid, &rg) == 0;
	if (k == SK_GROUP)
		ps->stats.group_stopped++;
	detach_stopped(ps, t, k, sig);
	ps->stats.stopped_ns += clock_mono_ns() - t1;
	if (ok)
		emit(ps, t, &rg, ptrace_syscall_decode(rg.orig, rg.ret), now, sink);
}

/* A late stop: detach without a sample (the time it waited for a CPU is
 * not the time it was interrupted at). Returns 1 if t is done. */
static int reap_late(struct ptrace_syscall *ps, struct sthread *t, uint64_t deadline)
{
	int sig = 0;
	enum stopkind k = ptrace_wait_tid(t->tid, deadline, &sig);

	if (k == SK_NONE)
		return 0;
	if (k == SK_DEAD || k == SK_OTHER) {
		t->late = 0;
		return 1;
	}
	detach_stopped(ps, t, k, sig);
	return 1;
}

void ptrace_syscall_events(struct ptrace_syscall *ps)
{
	size_t it = 0;
	struct sthread *t;

	ptrace_sigchld_drain(ps->sigfd);
	while ((t = taskmap_next(ps->threads, &it, NULL, NULL)))
		if (t->late)
			reap_late(ps, t, 0);
}

int ptrace_syscall_fd(const struct ptrace_syscall *ps)
{
	return ps->sigfd;
}

void ptrace_syscall_note(struct ptrace_syscall *ps, const struct task_key *key, const char *comm,
			 char state)
{
	int created;
	struct sthread *t;

	if (key->tgid == ps->self || is_excluded(ps, key->tgid))
		return;
	t = taskmap_put(ps->threads, key->tid, 0, &created);
	if (!t || t->noted)
		return;
	if (created || t->start != key->start_ticks) { /* first sight, or a reused tid */
		uint8_t late = created ? 0 : t->late;
		memset(t, 0, sizeof(*t));
		t->late = late;
		t->tid = key->tid;
		t->start = key->start_ticks;
	}
	t->tgid = key->tgid;
	t->state = state;
	memcpy(t->comm, comm, sizeof(t->comm));
	if (state != 'R' || t->failed)
		return; /* never a blocked, stopped or D-state thread */
	if (ps->nnoted == ps->capnoted) {
		size_t cap = ps->capnoted ? ps->capnoted * 2 : 64;
		int32_t *n = realloc(ps->noted, cap * sizeof(*n));
		if (!n)
			return;
		ps->noted = n;
		ps->capnoted = cap;
	}
	t->noted = 1;
	ps->noted[ps->nnoted++] = key->tid;
}

void ptrace_syscall_tick(struct ptrace_syscall *ps, uint64_t now, const struct record_sink *sink)
{
	uint32_t budget = ps->cfg.max_per_tick;
	int due = now + ps->period_ns / 2 >= ps->next_due;
	uint64_t t0 = clock_mono_ns();

	/* The run may tick faster than the sampling rate. */
	if (due)
		ps->next_due = ps->next_due + ps->period_ns > now + ps->period_ns / 2
				   ? ps->next_due + ps->period_ns
				   : now + ps->period_ns / 2;
	for (size_t i = 0; i < ps->nnoted; i++) {
		struct sthread *t = taskmap_get(ps->threads, ps->noted[i], 0);
		if (!t)
			continue;
		t->noted = 0;
		if (!due || t->late)
			continue;
		if (!budget || clock_mono_ns() - t0 > SC_TICK_NS) {
			ps->stats.over_budget++;
			continue;
		}
		budget--;
		sample_one(ps, t, now, sink);
	}
	ps->nnoted = 0;
	ptrace_syscall_events(ps);
}

void ptrace_syscall_forget(struct ptrace_syscall *ps, int32_t tid)
{
	struct sthread *t = taskmap_get(ps->threads, tid, 0);

	if (t && t->late && !reap_late(ps, t, 0))
		return; /* still ours: its death or stop is collected later */
	if (t)
		taskmap_del(ps->threads, tid, 0);
}

uint64_t ptrace_syscall_detach_all(struct ptrace_syscall *ps)
{
	size_t it = 0;
	struct sthread *t;
	uint64_t deadline = clock_mono_ns() + DETACH_WAIT_NS, before = ps->stats.undetached;

	while ((t = taskmap_next(ps->threads, &it, NULL, NULL)))
		if (t->late && !reap_late(ps, t, deadline))
			ps->stats.undetached++;
	return ps->stats.undetached - before;
}

void ptrace_syscall_free(struct ptrace_syscall *ps)
{
	if (!ps)
		return;
	if (ps->threads) {
		ptrace_syscall_detach_all(ps);
		taskmap_free(ps->threads);
	}
	ptrace_sigchld_close(ps->sigfd, &ps->oldmask);
	free(ps->noted);
	free(ps);
}

const struct ptrace_syscall_stats *ptrace_syscall_get_stats(const struct ptrace_syscall *ps)
{
	return &ps->stats;
}

const char *ptrace_syscall_error(const struct ptrace_syscall *ps)
{
	return ps->err;
}

int ptrace_syscall_cost(const struct ptrace_syscall_stats *x, double seconds, char *buf, size_t len)
{
	double per, stopped;
	/* The sampled threads lose at most the attached time: per thread-second. */
	double per_thread_s = x->threads && seconds > 0 ? (double)x->threads * seconds : 0.0;
	double pct = per_thread_s > 0 ? (double)x->attached_ns / 1e9 / per_thread_s * 100.0 : 0.0;

	uint64_t ontime = x->attaches - x->late;

	per = ontime ? (double)x->attached_ns / 1e3 / (double)ontime : 0.0;
	stopped = ontime ? (double)x->stopped_ns / 1e3 / (double)ontime : 0.0;
	return snprintf(buf, len,
			"%llu samples of %llu threads (user %llu, syscall %llu, woken %llu); "
			"held %.0f us each (interrupt to detach; %.0f us after the stop; max "
			"%.0f us): <= %.3f%% of a sampled thread's time; %llu late (no CPU to "
			"stop on, %.1f ms each), %llu over budget, %llu refused",
			(unsigned long long)x->samples, (unsigned long long)x->threads,
			(unsigned long long)x->in_user, (unsigned long long)x->in_syscall,
			(unsigned long long)x->woken, per, stopped,
			(double)x->max_attached_ns / 1e3, pct, (unsigned long long)x->late,
			x->late ? (double)x->late_ns / 1e6 / (double)x->late : 0.0,
			(unsigned long long)x->over_budget, (unsigned long long)x->seize_failed);
}
