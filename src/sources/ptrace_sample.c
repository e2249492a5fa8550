/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One sampling tick of the ptrace sampler (see ptrace_stack.h): for each
 * noted thread, decide (reuse the last stack, skip, or interrupt), interrupt
 * and unwind, resume, and emit a REC_STACK. Late stops (a thread that had no
 * CPU to reach the trap in time) are unwound when they come.
 */
#include <errno.h>
#include <string.h>
#include <sys/ptrace.h>

#include "sources/ptrace_stack_priv.h"

static struct unwind_proc *proc_unwinder(struct ptrace_stack *ps, int32_t tgid, uint64_t now)
{
	int created;
	struct pproc *p = taskmap_put(ps->procs, tgid, 0, &created);
	char err[256];

	if (!p)
		return NULL;
	/* After an exec, or when pcs fall outside every known module (dlopen),
	 * read the maps again, but not more than every REBUILD_GAP_NS. */
	if (p->up && (p->exec_seen || unwind_proc_stale(p->up)) &&
	    now - p->built_ns > REBUILD_GAP_NS) {
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
		ptrace_stack_reap(ps, t);
		return -1;
	}
	k = ptrace_stack_wait_stop(t, t0 + WAIT_STOP_NS, &sig);
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
	if (ptrace_stack_resume(ps, t, k, sig))
		return -2;
	ps->stats.held_ns += clock_mono_ns() - t1;
	if (rc == 0)
		ps->stats.unwinds++;
	return rc;
}

/* count 0 tells the image to drop this tick's sample of the thread: what
 * procfs saw was our own doing (a stop of ours not yet collected). */
void ptrace_stack_late_unwind(struct ptrace_stack *ps, struct pthread *t)
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
	struct record r = {.kind = REC_STACK, .source = SRC_PTRACE, .cpu = -1, .t_ns = now};

	r.key = (struct task_key){t->tgid, t->tid, t->start};
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
	if (t->st == TS_NEW && ptrace_stack_seize_thread(ps, t))
		return 0;
	if (c == 't' && t->st == TS_RUNNING) {
		/* In a stop of ours not yet collected (a late interrupt): it ran to
		 * reach it. Collect, unwind, resume; else drop what procfs saw. */
		if (ptrace_stack_reap(ps, t))
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
	int still =
	    c != 'R' && t->have_pcs && !ran && (t->woken || t->wchan_hash == t->unwound_wchan);
	if (still) {
		ps->stats.reused++;
	} else if (c == 'D' || c == 'T' || c == 't' || t->st == TS_LISTENING) {
		why = c == 'D' ? "[user stack not sampled: D state]"
			       : "[user stack not sampled: stopped]";
		ps->stats.skipped++;
	} else if (!budget) {
		why = "[user stack not sampled: over budget]";
		ps->stats.skipped++;
	} else {
		interrupted = 1;
		t->woken = c != 'R';
		int rc = interrupt_unwind(ps, t, now);
		if (rc == -2) {
			ptrace_stack_reap(ps, t);
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
