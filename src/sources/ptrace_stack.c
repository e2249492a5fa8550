/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ptrace sampler's state machine (see ptrace_stack.h): seize, interrupt,
 * wait for the stop, unwind, resume; pass signals on; detach on the way out.
 * Every waitpid names a tid we trace (never -1), so procimage's own children,
 * if any, are not reaped behind anybody's back.
 */
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
#include "sources/ptrace_unwind.h"

#define WAIT_STOP_NS (50 * NS_PER_MS)
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
	uint8_t woken; /* our interrupt woke it from a sleep (it was not on CPU) */
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
	uint64_t pcs_scratch[UNWIND_MAX_FRAMES];
};

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
static int resume(struct ptrace_stack *ps, struct pthread *t, enum stopkind k, int sig)
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

static void late_unwind(struct ptrace_stack *ps, struct pthread *t);

/* Handle whatever the kernel reported for t. Returns 1 if t was dropped. */
static int reap_one(struct ptrace_stack *ps, struct pthread *t)
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
			late_unwind(ps, t);
		if (resume(ps, t, k, sig)) {
			drop_thread(ps, t);
			return 1;
		}
	}
}

static void drain_sigfd(struct ptrace_stack *ps)
{
	struct signalfd_siginfo si[16];

	while (read(ps->sigfd, si, sizeof(si)) > 0)
		;
}

void ptrace_stack_events(struct ptrace_stack *ps)
{
	size_t it = 0;
	struct pthread *t;

	drain_sigfd(ps);
	while ((t = taskmap_next(ps->threads, &it, NULL, NULL)))
		if (t->st == TS_RUNNING || t->st == TS_LISTENING)
			reap_one(ps, t);
}

int ptrace_stack_fd(const struct ptrace_stack *ps)
{
	return ps->sigfd;
}

struct ptrace_stack *ptrace_stack_new(const struct ptrace_stack_config *cfg, char *err,
				      size_t errlen)
{
	struct ptrace_stack *ps = calloc(1, sizeof(*ps));
	sigset_t chld;

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
	/* Tracee stops arrive as SIGCHLD: read them from a signalfd so the event
	 * loop wakes at once and a stopped target is resumed within microseconds. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &ps->oldmask);
	ps->sigfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
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
	if (ps->sigfd >= 0) {
		drain_sigfd(ps);
		close(ps->sigfd);
	}
	sigprocmask(SIG_SETMASK, &ps->oldmask, NULL);
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

static int seize(struct ptrace_stack *ps, struct pthread *t)
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
			snprintf(why, sizeof(why), "refused (EPERM) by the kernel or a security module");
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
	int rc = seize(ps, t);
	if (rc) {
		snprintf(why, len, "%s", ps->err[0] ? ps->err : strerror(-rc));
		drop_thread(ps, t);
	}
	return rc;
}

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (s && *s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
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
static enum stopkind wait_stop(struct pthread *t, uint64_t deadline, int *sig)
{
	int status;

	for (;;) {
		pid_t r = waitpid(t->tid, &status, __WALL | WNOHANG);
		if (r == t->tid)
			return classify(status, sig);
		if (r < 0 && errno != EINTR)
			return SK_DEAD;
		if (r == 0 && clock_mono_ns() >= deadline)
			return SK_NONE;
		if (r == 0)
			wait_remaining(deadline);
	}
}

static struct unwind_proc *proc_unwinder(struct ptrace_stack *ps, int32_t tgid, uint64_t now)
{
	int created;
	struct pproc *p = taskmap_put(ps->procs, tgid, 0, &created);
	char err[256];

	if (!p)
		return NULL;
	/* After an exec, or when pcs fall outside every known module (dlopen),
	 * read the maps again, but not more than every REBUILD_GAP_NS. */
	if (p->up && (p->exec_seen || unwind_proc_stale(p->up)) && now - p->built_ns > REBUILD_GAP_NS) {
		unwind_proc_free(p->up);
		p->up = NULL;
	}
	if (!p->up && (created || now - p->built_ns > REBUILD_GAP_NS || p->exec_seen)) {
		p->built_ns = now;
		p->exec_seen = 0;
		p->up = unwind_proc_new(tgid, &ps->dm, err, sizeof(err));
		if (!p->up && !ps->err[0])
			snprintf(ps->err, sizeof(ps->err), "%s", err);
	}
	return p->up;
}

/* Interrupt, unwind, resume. 0 with t->pcs filled, or -1. */
static int interrupt_unwind(struct ptrace_stack *ps, struct pthread *t, uint64_t now)
{
	uint64_t t0 = clock_mono_ns();
	int sig, rc = -1;
	enum stopkind k;

	if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0) {
		reap_one(ps, t);
		return -1;
	}
	k = wait_stop(t, t0 + WAIT_STOP_NS, &sig);
	uint64_t t1 = clock_mono_ns();
	ps->stats.wait_ns += t1 - t0;
	ps->stats.interrupts++;
	if (k == SK_NONE) {
		/* Not stopped yet (no CPU for it on a loaded host): the sweep that
		 * sees the stop unwinds it then, and the next tick counts it. */
		ps->stats.timeouts++;
		t->late = 1;
		return -3;
	}
	if (k == SK_DEAD)
		return -2;
	if (k == SK_TRAP || k == SK_SIGNAL) {
		struct unwind_proc *up = proc_unwinder(ps, t->tgid, now);
		int trunc = 0;
		int n = up ? unwind_thread(up, t->tid, t->pcs, UNWIND_MAX_FRAMES, &trunc) : -1;
		if (n > 0) {
			t->npcs = n;
			t->truncated = (uint8_t)trunc;
			t->have_pcs = 1;
			t->unwound_run_ns = t->run_ns;
			t->unwound_wchan = t->wchan_hash;
			rc = 0;
		}
	}
	if (resume(ps, t, k, sig))
		return -2;
	ps->stats.held_ns += clock_mono_ns() - t1;
	if (rc == 0)
		ps->stats.unwinds++;
	return rc;
}

/* count 0 tells the image to drop this tick's sample of the thread: what
 * procfs saw was our own doing (a stop of ours not yet collected). */
static void late_unwind(struct ptrace_stack *ps, struct pthread *t)
{
	uint64_t t0 = clock_mono_ns();
	struct unwind_proc *up = proc_unwinder(ps, t->tgid, t0);
	int trunc = 0;
	int n = up ? unwind_thread(up, t->tid, t->pcs, UNWIND_MAX_FRAMES, &trunc) : -1;

	t->late = 0;
	if (n <= 0)
		return;
	t->npcs = n;
	t->truncated = (uint8_t)trunc;
	t->have_pcs = t->late_ready = 1;
	t->unwound_run_ns = t->run_ns;
	t->unwound_wchan = t->wchan_hash;
	ps->stats.unwinds++;
	ps->stats.held_ns += clock_mono_ns() - t0;
}

static void emit(struct ptrace_stack *ps, struct pthread *t, const char *text, uint64_t now,
		 const struct record_sink *sink, uint32_t count)
{
	struct record r = { .kind = REC_STACK, .source = SRC_PTRACE, .cpu = -1, .t_ns = now };

	r.key = (struct task_key){ t->tgid, t->tid, t->start };
	memcpy(r.comm, t->comm, sizeof(r.comm));
	r.text = text;
	r.text_len = (uint32_t)strlen(text);
	r.u.stack.kernel = 0;
	r.u.stack.oncpu = t->pstate == 'R';
	r.u.stack.count = count;
	ps->stats.samples += count;
	record_emit(sink, &r);
}

static void emit_pcs(struct ptrace_stack *ps, struct pthread *t, uint64_t now,
		     const struct record_sink *sink)
{
	struct pproc *p = taskmap_get(ps->procs, t->tgid, 0);

	if (!p || !p->up) {
		emit(ps, t, "[user stack unavailable]", now, sink, 1);
		return;
	}
	unwind_symbolize(p->up, t->pcs, t->npcs, t->truncated, ps->text, sizeof(ps->text));
	emit(ps, t, ps->text[0] ? ps->text : "[unknown]", now, sink, 1);
}

/* One thread, one sample. Returns 1 if it cost an interrupt. */
static int sample_one(struct ptrace_stack *ps, struct pthread *t, int budget, uint64_t now,
		      const struct record_sink *sink)
{
	const char *why = NULL;
	int interrupted = 0;
	char c = t->pstate;

	if (c == 'Z' || c == 'X' || t->st == TS_FAILED)
		return 0;
	if (t->st == TS_NEW && seize(ps, t))
		return 0;
	if (c == 't' && t->st == TS_RUNNING) {
		/* In a stop of ours not yet collected (a late interrupt): it ran to
		 * reach it. Collect, unwind, resume; else drop what procfs saw. */
		if (reap_one(ps, t))
			return 0;
		t->pstate = c = 'R';
		if (!t->late_ready) {
			emit(ps, t, "", now, sink, 0);
			ps->stats.skipped++;
			return 0;
		}
	}
	if (t->late_ready) { /* unwound at a late stop since the last tick */
		t->late_ready = 0;
		return emit_pcs(ps, t, now, sink), 0;
	}
	if (t->late) {
		/* Still not stopped (waiting for a CPU): no second interrupt, and
		 * no sample: an unknown stack would dilute the known ones. */
		emit(ps, t, "", now, sink, 0);
		ps->stats.skipped++;
		return 0;
	}
	int ran = !t->have_run || t->run_ns - t->unwound_run_ns >= RUN_SLACK_NS;
	/* Runnable only because our interrupt woke it (it waits for a CPU to
	 * restart its sleep): still the sleeper it was. */
	if (c == 'R' && t->woken && !ran)
		t->pstate = c = 'S';
	if (ran)
		t->woken = 0;
	if (c != 'R' && (ps->cfg.flags & PSTACK_ONCPU_ONLY))
		return 0;
	/* A blocked thread that has not run since its last unwind has the same
	 * stack (RUN_SLACK_NS: the restart our interrupt caused). */
	int still = c != 'R' && t->have_pcs && !ran &&
		    (t->woken || t->wchan_hash == t->unwound_wchan);
	if (still) {
		ps->stats.reused++;
	} else if (c == 'D' || c == 'T' || c == 't' || t->st == TS_LISTENING) {
		why = c == 'D' ? "[user stack not sampled: D state]" : "[user stack not sampled: stopped]";
		ps->stats.skipped++;
	} else if (!budget) {
		why = "[user stack not sampled: over budget]";
		ps->stats.skipped++;
	} else {
		interrupted = 1;
		t->woken = c != 'R';
		int rc = interrupt_unwind(ps, t, now);
		if (rc == -2) {
			reap_one(ps, t);
			return 1;
		}
		if (rc == -3) { /* counted when the late stop comes */
			emit(ps, t, "", now, sink, 0);
			ps->stats.skipped++;
			return 1;
		}
		if (rc < 0) {
			why = "[user stack unavailable]";
			ps->stats.skipped++;
		}
	}
	if (why) {
		emit(ps, t, why, now, sink, 1);
		return interrupted;
	}
	emit_pcs(ps, t, now, sink);
	return interrupted;
}

void ptrace_stack_tick(struct ptrace_stack *ps, uint64_t now, const struct record_sink *sink)
{
	uint32_t budget = ps->cfg.max_per_tick;

	/* Rate limit: the run may tick faster than the sampling rate. */
	if (now + ps->period_ns / 2 < ps->next_due)
		goto done;
	ps->next_due = ps->next_due + ps->period_ns > now + ps->period_ns / 2
			       ? ps->next_due + ps->period_ns
			       : now + ps->period_ns / 2;
	for (size_t i = 0; i < ps->nnoted; i++) {
		struct pthread *t = taskmap_get(ps->threads, ps->noted[i], 0);
		if (!t)
			continue;
		t->noted = 0;
		budget -= (uint32_t)sample_one(ps, t, budget > 0, now, sink);
	}
done:
	for (size_t i = 0; i < ps->nnoted; i++) {
		struct pthread *t = taskmap_get(ps->threads, ps->noted[i], 0);
		if (t)
			t->noted = 0;
	}
	ps->nnoted = 0;
	ptrace_stack_events(ps);
}

void ptrace_stack_forget(struct ptrace_stack *ps, int32_t tid)
{
	struct pthread *t = taskmap_get(ps->threads, tid, 0);

	if (!t)
		return;
	/* A traced thread is dropped once waitpid reports its death (now or
	 * at a later sweep); an untraced one at once. */
	if (t->st == TS_RUNNING || t->st == TS_LISTENING)
		reap_one(ps, t);
	else
		drop_thread(ps, t);
}

static void detach_one(struct ptrace_stack *ps, struct pthread *t, uint64_t deadline)
{
	int sig;

	for (;;) {
		enum stopkind k = wait_stop(t, deadline, &sig);
		if (k == SK_NONE) {
			ps->stats.undetached++;
			return;
		}
		if (k == SK_DEAD || k == SK_OTHER)
			return;
		/* A group-stopped thread stays stopped after detach, as it should. */
		if (ptrace(PTRACE_DETACH, t->tid, 0, (void *)(long)(k == SK_SIGNAL ? sig : 0)) == 0 ||
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
