/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ptrace sampler's state machine (see ptrace_stack.h): seize, wait for
 * stops, resume or pass signals on, detach on the way out. One sampling tick
 * (interrupt, unwind, emit) is in ptrace_sample.c.
 * Every waitpid names a tid we trace (never -1), so procimage's own children,
 * if any, are not reaped behind anybody's back.
 */
#include "procimage/hash.h"
#include "sources/ptrace_stack.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/taskmap.h"
#include "sources/ptrace_stack_priv.h"
#include "sources/ptrace_unwind.h"

static enum stopkind classify(int status, int *sig)
{
	*sig = 0;
	if (WIFEXITED(status) || WIFSIGNALED(status))
		return SK_DEAD;
	if (!WIFSTOPPED(status))
		return SK_OTHER;
	*sig = WSTOPSIG(status);
	switch (status >> 16) {
	case 0:
		return SK_SIGNAL;
	case PTRACE_EVENT_STOP:
		if (*sig == SIGSTOP || *sig == SIGTSTP || *sig == SIGTTIN || *sig == SIGTTOU)
			return SK_GROUP;
		*sig = 0;
		return SK_TRAP;
	case PTRACE_EVENT_EXEC:
		*sig = 0;
		return SK_EXEC;
	default:
		*sig = 0;
		return SK_OTHER;
	}
}

static void drop_thread(struct ptrace_stack *ps, struct pthread *t)
{
	free(t->pcs);
	taskmap_del(ps->threads, t->tid, 0);
}

static void proc_stale(struct ptrace_stack *ps, int32_t tgid)
{
	struct pproc *p = taskmap_get(ps->procs, tgid, 0);

	if (p)
		p->exec_seen = 1;
}

/* Resume a tracee after a stop we do not sample at. 0 or -1 (gone). */
int ptrace_stack_resume(struct ptrace_stack *ps, struct pthread *t, enum stopkind k, int sig)
{
	long rc;

	if (k == SK_GROUP) {
		t->st = TS_LISTENING; /* stay stopped as the user asked, until SIGCONT */
		rc = ptrace(PTRACE_LISTEN, t->tid, 0, 0);
	} else {
		if (k == SK_EXEC)
			proc_stale(ps, t->tgid);
		if (sig)
			ps->stats.signals_passed++;
		t->st = TS_RUNNING;
		rc = ptrace(PTRACE_CONT, t->tid, 0, (void *)(long)sig);
	}
	return rc < 0 && errno == ESRCH ? -1 : 0;
}

/* Handle whatever the kernel reported for t. Returns 1 if t was dropped. */
int ptrace_stack_reap(struct ptrace_stack *ps, struct pthread *t)
{
	int status, sig;

	for (;;) {
		pid_t r = waitpid(t->tid, &status, __WALL | WNOHANG);
		if (r == 0)
			return 0;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			drop_thread(ps, t); /* ECHILD: no longer ours */
			return 1;
		}
		enum stopkind k = classify(status, &sig);
		if (k == SK_DEAD) {
			drop_thread(ps, t);
			return 1;
		}
		if (t->late && (k == SK_TRAP || k == SK_SIGNAL))
			ptrace_stack_late_unwind(ps, t);
		if (ptrace_stack_resume(ps, t, k, sig)) {
			drop_thread(ps, t);
			return 1;
		}
	}
}

int ptrace_sigchld_open(sigset_t *oldmask)
{
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, oldmask);
	return signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
}

void ptrace_sigchld_drain(int fd)
{
	struct signalfd_siginfo si[16];

	while (fd >= 0 && read(fd, si, sizeof(si)) > 0)
		;
}

void ptrace_sigchld_close(int fd, const sigset_t *oldmask)
{
	if (fd >= 0) {
		ptrace_sigchld_drain(fd);
		close(fd);
	}
	sigprocmask(SIG_SETMASK, oldmask, NULL);
}

void ptrace_stack_events(struct ptrace_stack *ps)
{
	size_t it = 0;
	struct pthread *t;

	ptrace_sigchld_drain(ps->sigfd);
	while ((t = taskmap_next(ps->threads, &it, NULL, NULL)))
		if (t->st == TS_RUNNING || t->st == TS_LISTENING)
			ptrace_stack_reap(ps, t);
}

int ptrace_stack_fd(const struct ptrace_stack *ps)
{
	return ps->sigfd;
}

struct ptrace_stack *ptrace_stack_new(const struct ptrace_stack_config *cfg, char *err,
				      size_t errlen)
{
	struct ptrace_stack *ps = calloc(1, sizeof(*ps));

	if (!ps) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ps->cfg = *cfg;
	if (!ps->cfg.hz)
		ps->cfg.hz = PTRACE_STACK_DEFAULT_HZ;
	if (!ps->cfg.max_per_tick)
		ps->cfg.max_per_tick = 256;
	ps->period_ns = NS_PER_S / ps->cfg.hz;
	ps->self = getpid();
	ps->threads = taskmap_new(sizeof(struct pthread));
	ps->procs = taskmap_new(sizeof(struct pproc));
	/* a stopped target is resumed within microseconds of its stop */
	ps->sigfd = ptrace_sigchld_open(&ps->oldmask);
	if (!ps->threads || !ps->procs || ps->sigfd < 0) {
		snprintf(err, errlen, "cannot set up the ptrace sampler: %s", strerror(errno));
		ptrace_stack_free(ps);
		return NULL;
	}
	return ps;
}

static void free_procs(struct ptrace_stack *ps)
{
	size_t it = 0;
	struct pproc *p;

	while (ps->procs && (p = taskmap_next(ps->procs, &it, NULL, NULL)))
		unwind_proc_free(p->up);
}

void ptrace_stack_free(struct ptrace_stack *ps)
{
	if (!ps)
		return;
	if (ps->threads) {
		ptrace_stack_detach_all(ps);
		taskmap_free(ps->threads);
	}
	free_procs(ps);
	taskmap_free(ps->procs);
	ptrace_sigchld_close(ps->sigfd, &ps->oldmask);
	unwind_demangler_close(&ps->dm);
	free(ps->noted);
	free(ps);
}

static struct pthread *thread_get(struct ptrace_stack *ps, int32_t tgid, int32_t tid)
{
	int created;
	struct pthread *t = taskmap_put(ps->threads, tid, 0, &created);

	if (t && created) {
		t->tgid = tgid;
		t->tid = tid;
		t->pcs = malloc(UNWIND_MAX_FRAMES * sizeof(*t->pcs));
		if (!t->pcs) {
			taskmap_del(ps->threads, tid, 0);
			return NULL;
		}
	}
	return t;
}

int ptrace_stack_seize_thread(struct ptrace_stack *ps, struct pthread *t)
{
	if (ptrace(PTRACE_SEIZE, t->tid, 0, (void *)(long)PTRACE_O_TRACEEXEC) == 0) {
		t->st = TS_RUNNING;
		ps->stats.threads++;
		return 0;
	}
	int e = errno;
	t->st = TS_FAILED;
	ps->stats.seize_failed++;
	if (e != ESRCH && !ps->err[0]) {
		char why[200];
		if (e == EPERM && ptrace_stack_check(t->tgid, why, sizeof(why)) == 0)
			snprintf(why, sizeof(why),
				 "refused (EPERM) by the kernel or a security module");
		snprintf(ps->err, sizeof(ps->err), "cannot ptrace pid %d: %s", t->tgid,
			 e == EPERM ? why : strerror(e));
	}
	return -e;
}

int ptrace_stack_seize_process(struct ptrace_stack *ps, pid_t tgid, char *why, size_t len)
{
	struct pthread *t;

	if (tgid == ps->self) {
		snprintf(why, len, "procimage cannot sample its own stacks");
		return -EINVAL;
	}
	t = thread_get(ps, tgid, tgid);
	if (!t)
		return -ENOMEM;
	if (t->st != TS_NEW)
		return t->st == TS_FAILED ? -EPERM : 0;
	int rc = ptrace_stack_seize_thread(ps, t);
	if (rc) {
		snprintf(why, len, "%s", ps->err[0] ? ps->err : strerror(-rc));
		drop_thread(ps, t);
	}
	return rc;
}

static uint64_t str_hash(const char *s)
{
	return fnv1a(HASH_SEED, s ? s : "", s ? strlen(s) : 0);
}

void ptrace_stack_note(struct ptrace_stack *ps, const struct task_key *key, const char *comm,
		       char state, uint64_t run_ns, int have_run, const char *wchan)
{
	struct pthread *t;

	if (key->tgid == ps->self)
		return;
	t = thread_get(ps, key->tgid, key->tid);
	if (!t || t->noted)
		return;
	if (t->start != key->start_ticks) { /* first sight, or a reused tid */
		t->start = key->start_ticks;
		t->have_pcs = 0;
		t->have_run = 0;
	}
	t->tgid = key->tgid; /* -p TID may have named a thread as a process */
	memcpy(t->comm, comm, sizeof(t->comm));
	t->pstate = state;
	t->run_ns = run_ns;
	t->have_run = (uint8_t)have_run;
	t->wchan_hash = str_hash(wchan);
	t->noted = 1;
	if (ps->nnoted == ps->capnoted) {
		size_t cap = ps->capnoted ? ps->capnoted * 2 : 64;
		int32_t *n = realloc(ps->noted, cap * sizeof(*n));
		if (!n)
			return;
		ps->noted = n;
		ps->capnoted = cap;
	}
	ps->noted[ps->nnoted++] = key->tid;
}

/* Sleep until some tracee reports (SIGCHLD, blocked, taken here) or the
 * deadline. Other tracees' reports are then picked up by the sweep that
 * follows every tick. */
static void wait_remaining(uint64_t deadline)
{
	uint64_t now = clock_mono_ns();
	struct timespec ts;
	sigset_t chld;

	if (now >= deadline)
		return;
	ts.tv_sec = (time_t)((deadline - now) / NS_PER_S);
	ts.tv_nsec = (long)((deadline - now) % NS_PER_S);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigtimedwait(&chld, NULL, &ts);
}

/* Wait until t reports a stop (or dies) before deadline. */
enum stopkind ptrace_stack_wait_stop(struct pthread *t, uint64_t deadline, int *sig)
{
	return ptrace_wait_tid(t->tid, deadline, sig);
}

/* The same for any tid we trace (ptrace_syscall.c attaches per sample). */
enum stopkind ptrace_wait_tid(int32_t tid, uint64_t deadline, int *sig)
{
	int status;

	for (;;) {
		pid_t r = waitpid(tid, &status, __WALL | WNOHANG);
		if (r == tid)
			return classify(status, sig);
		if (r < 0 && errno != EINTR)
			return SK_DEAD;
		if (r == 0 && clock_mono_ns() >= deadline)
			return SK_NONE;
		if (r == 0)
			wait_remaining(deadline);
	}
}

void ptrace_stack_forget(struct ptrace_stack *ps, int32_t tid)
{
	struct pthread *t = taskmap_get(ps->threads, tid, 0);

	if (!t)
		return;
	/* A traced thread is dropped once waitpid reports its death (now or
	 * at a later sweep); an untraced one at once. */
	if (t->st == TS_RUNNING || t->st == TS_LISTENING)
		ptrace_stack_reap(ps, t);
	else
		drop_thread(ps, t);
}

static void detach_one(struct ptrace_stack *ps, struct pthread *t, uint64_t deadline)
{
	int sig;

	for (;;) {
		enum stopkind k = ptrace_stack_wait_stop(t, deadline, &sig);
		if (k == SK_NONE) {
			ps->stats.undetached++;
			return;
		}
		if (k == SK_DEAD || k == SK_OTHER)
			return;
		/* A group-stopped thread stays stopped after detach, as it should. */
		if (ptrace(PTRACE_DETACH, t->tid, 0, (void *)(long)(k == SK_SIGNAL ? sig : 0)) ==
			0 ||
		    errno == ESRCH)
			return;
	}
}

uint64_t ptrace_stack_detach_all(struct ptrace_stack *ps)
{
	size_t it = 0;
	struct pthread *t;
	uint64_t deadline = clock_mono_ns() + DETACH_WAIT_NS, before = ps->stats.undetached;

	/* Interrupt all first so the waits overlap. */
	while ((t = taskmap_next(ps->threads, &it, NULL, NULL)))
		if (t->st == TS_RUNNING || t->st == TS_LISTENING)
			ptrace(PTRACE_INTERRUPT, t->tid, 0, 0);
	it = 0;
	while ((t = taskmap_next(ps->threads, &it, NULL, NULL))) {
		if (t->st == TS_RUNNING || t->st == TS_LISTENING)
			detach_one(ps, t, deadline);
		drop_thread(ps, t);
	}
	return ps->stats.undetached - before;
}

const struct ptrace_stack_stats *ptrace_stack_get_stats(const struct ptrace_stack *ps)
{
	return &ps->stats;
}

const char *ptrace_stack_error(const struct ptrace_stack *ps)
{
	return ps->err;
}
