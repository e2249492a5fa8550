/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ptrace stack sampler as a run source (SRC_PTRACE): threads come from
 * the procfs source's thread samples (observe), sampling happens in tick,
 * tracee stops wake the loop through the sampler's SIGCHLD signalfd, and
 * stop detaches everything. Named pids are seized at start, so a refusal
 * (Yama, capabilities, another tracer) is known before the run begins.
 *
 * Two modes, one source: user stacks, or, when the command set
 * run_config.ptrace_syscalls (syscall, triage's deep phase), the on-CPU
 * syscall sampler of ptrace_syscall.c, which attaches only for each sample. For that one the named
 * pids are checked (not seized) at start: the same refusal, said before the run.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/run.h"
#include "sources/ptrace_stack.h"
#include "sources/ptrace_syscall.h"

struct psrc {
	struct ptrace_stack *ps;
	struct ptrace_syscall *sc; /* instead of ps: on-CPU syscall mode */
	struct run *run;
	int fd_added;
	uint64_t t0;
	char refused[200]; /* named pids refused at start (syscall mode) */
	/* --source audit: audit is the exact counter; a process is sampled only
	 * once audit shows it cannot see it (armed 1 s ago, no record yet),
	 * or when audit could not capture at all. */
	int audit_mode, audit_failed;
	struct {
		int32_t tgid;
		uint64_t armed_ns;
		int records;
	} aud[64];
	int naud;
};

#define AUDIT_GRACE_NS (1 * NS_PER_S)

static int audit_slot(struct psrc *s, int32_t tgid)
{
	for (int i = 0; i < s->naud; i++)
		if (s->aud[i].tgid == tgid)
			return i;
	if (s->naud == (int)(sizeof(s->aud) / sizeof(s->aud[0])))
		return -1;
	s->aud[s->naud].tgid = tgid;
	s->aud[s->naud].armed_ns = 0;
	s->aud[s->naud].records = 0;
	return s->naud++;
}

/* In --source audit mode, whether audit leaves this process to us. */
static int audit_blind(struct psrc *s, int32_t tgid, uint64_t now)
{
	if (!s->audit_mode || s->audit_failed)
		return 1;
	for (int i = 0; i < s->naud; i++)
		if (s->aud[i].tgid == tgid)
			return s->aud[i].armed_ns && !s->aud[i].records &&
			       now - s->aud[i].armed_ns >= AUDIT_GRACE_NS;
	return 0;
}

static void audit_watch(struct psrc *s, const struct record *rec)
{
	int i;

	if (rec->source != SRC_AUDIT)
		return;
	if (rec->kind == REC_CAPTURE && rec->key.tgid == 0 && !rec->u.capture.ok)
		s->audit_failed = 1;
	else if (rec->kind == REC_CAPTURE && rec->u.capture.on &&
		 (i = audit_slot(s, rec->key.tgid)) >= 0)
		s->aud[i].armed_ns = rec->t_ns;
	else if (rec->kind == REC_SYSCALL && (i = audit_slot(s, rec->key.tgid)) >= 0)
		s->aud[i].records++;
}

/* On-CPU syscall mode: the command asked for it (syscall, triage). */
static int syscall_mode(struct run *r)
{
	return run_cfg(r)->ptrace_syscalls;
}

static void on_fd(void *ctx, int fd, uint32_t events)
{
	struct psrc *s = ctx;

	(void)fd;
	(void)events;
	if (s->sc)
		ptrace_syscall_events(s->sc);
	else
		ptrace_stack_events(s->ps);
}

static int psrc_fd(const struct psrc *s)
{
	return s->sc ? ptrace_syscall_fd(s->sc) : ptrace_stack_fd(s->ps);
}

static void psrc_free(struct psrc *s)
{
	if (s->fd_added)
		loop_del_fd(run_loop_handle(s->run), psrc_fd(s));
	ptrace_stack_free(s->ps);
	ptrace_syscall_free(s->sc);
	free(s);
}

static int sc_start(struct run *r, struct psrc *s, struct source_status *st)
{
	const struct run_config *o = run_cfg(r);
	struct ptrace_syscall_config cfg = {0};
	char why[256];

	s->audit_mode = o->source_mode && !strcmp(o->source_mode, "audit");
	if (!(s->sc = ptrace_syscall_new(&cfg, why, sizeof(why)))) {
		source_set(st, SOURCE_UNAVAILABLE, "%s", why);
		return -1;
	}
	/* Refused for a named pid (another user, Yama, another tracer): say so
	 * now and never attach to it; the syscall image falls back to what
	 * procfs and audit give for it. Unavailable when every pid is refused. */
	int refused = 0, tried = 0;
	size_t off = 0;
	s->refused[0] = '\0';
	for (int i = 0; i < o->targets.npids; i++) {
		int rc = ptrace_stack_check(o->targets.pids[i], why, sizeof(why));
		if (rc == -ESRCH || rc == -ENOENT)
			continue; /* gone: nothing to refuse */
		tried++;
		if (!rc)
			continue;
		refused++;
		ptrace_syscall_exclude(s->sc, o->targets.pids[i]);
		if (off < sizeof(s->refused))
			off += (size_t)snprintf(s->refused + off, sizeof(s->refused) - off, "%s%s",
						off ? "; " : "", why);
	}
	if (refused && refused == tried) {
		source_set(st, SOURCE_UNAVAILABLE,
			   "no on-CPU syscall samples: %s; the syscall image shows the "
			   "blocked-time table and the exact procfs counters only",
			   s->refused);
		return -1;
	}
	return 0;
}

static int psrc_start(struct run *r, void **state, struct source_status *st)
{
	const struct run_config *o = run_cfg(r);
	struct ptrace_stack_config cfg = {.hz = o->stack_hz > 0 ? (uint32_t)o->stack_hz : 0,
					  .flags = o->stack_flags};
	struct psrc *s = calloc(1, sizeof(*s));
	char why[256];

	*state = NULL;
	if (s && syscall_mode(r)) {
		s->run = r;
		s->t0 = clock_mono_ns();
		if (sc_start(r, s, st)) {
			psrc_free(s);
			return -1;
		}
		if (run_add_fd(r, psrc_fd(s), on_fd, s) == 0)
			s->fd_added = 1;
		*state = s;
		return 0;
	}
	if (!s || !(s->ps = ptrace_stack_new(&cfg, why, sizeof(why)))) {
		source_set(st, SOURCE_UNAVAILABLE, "%s", s ? why : "out of memory");
		free(s);
		return -1;
	}
	s->run = r;
	if (run_add_fd(r, ptrace_stack_fd(s->ps), on_fd, s) == 0)
		s->fd_added = 1;
	for (int i = 0; i < o->targets.npids; i++) {
		int rc = ptrace_stack_seize_process(s->ps, o->targets.pids[i], why, sizeof(why));
		if (rc && rc != -ESRCH) {
			source_set(st, SOURCE_UNAVAILABLE, "%s", why);
			psrc_free(s);
			return -1;
		}
	}
	*state = s;
	return 0;
}

static void psrc_observe(void *state, const struct record *rec)
{
	struct psrc *s = state;

	if (s->sc) {
		if (s->audit_mode)
			audit_watch(s, rec);
		if (rec->kind == REC_SAMPLE && rec->u.sample.scope == SCOPE_THREAD &&
		    (rec->u.sample.s.have & PF_STAT) && audit_blind(s, rec->key.tgid, rec->t_ns))
			ptrace_syscall_note(s->sc, &rec->key, rec->comm, rec->u.sample.s.state);
		else if (rec->kind == REC_GONE && rec->u.sample.scope == SCOPE_THREAD)
			ptrace_syscall_forget(s->sc, rec->key.tid);
		return;
	}
	if (rec->kind == REC_SAMPLE && rec->u.sample.scope == SCOPE_THREAD &&
	    (rec->u.sample.s.have & PF_STAT))
		ptrace_stack_note(s->ps, &rec->key, rec->comm, rec->u.sample.s.state,
				  rec->u.sample.s.run_ns,
				  (rec->u.sample.s.have & PF_SCHEDSTAT) != 0,
				  rec->u.sample.s.have & PF_WCHAN ? rec->u.sample.s.wchan : NULL);
	else if (rec->kind == REC_GONE && rec->u.sample.scope == SCOPE_THREAD)
		ptrace_stack_forget(s->ps, rec->key.tid);
}

static void psrc_tick(void *state, uint64_t now_ns, const struct record_sink *sink)
{
	struct psrc *s = state;

	if (s->sc)
		ptrace_syscall_tick(s->sc, now_ns, sink);
	else
		ptrace_stack_tick(s->ps, now_ns, sink);
}

static void sc_stop(struct psrc *s, struct source_status *st)
{
	uint64_t undetached = ptrace_syscall_detach_all(s->sc);
	const struct ptrace_syscall_stats *x = ptrace_syscall_get_stats(s->sc);
	const char *err = ptrace_syscall_error(s->sc);
	char cost[512];

	ptrace_syscall_cost(x, (double)(clock_mono_ns() - s->t0) / 1e9, cost, sizeof(cost));
	st->events = x->samples;
	if (x->over_budget)
		source_note_loss(st, x->over_budget, 0);
	if (!err[0] && s->refused[0])
		err = s->refused;
	if (err[0] || undetached)
		source_set(st, SOURCE_DEGRADED, "%s%s%s; %s", err, err[0] && undetached ? "; " : "",
			   undetached ? "some threads did not stop in time to detach: the kernel "
					"releases them when procimage exits"
				      : "",
			   cost);
	else
		source_set(st, SOURCE_OK, "attached per sample: %s", cost);
}

static void psrc_stop(void *state, struct source_status *st)
{
	struct psrc *s = state;

	if (!s)
		return;
	if (s->sc) {
		sc_stop(s, st);
		psrc_free(s);
		return;
	}
	uint64_t undetached = ptrace_stack_detach_all(s->ps);
	const struct ptrace_stack_stats *x = ptrace_stack_get_stats(s->ps);
	const char *err = ptrace_stack_error(s->ps);
	st->events = x->samples;
	if (x->skipped)
		source_note_loss(st, x->skipped, 0);
	if (err[0] || undetached)
		source_set(st, SOURCE_DEGRADED, "%s%s%s", err, err[0] && undetached ? "; " : "",
			   undetached ? "some threads did not stop in time to detach: the kernel "
					"releases them when procimage exits"
				      : "");
	else
		source_set(
		    st, SOURCE_OK,
		    "%llu user stacks from %llu threads: %llu unwound (held stopped %.0f us each "
		    "on "
		    "average; %.0f us from interrupt to stop), %llu unchanged since the "
		    "last unwind, %llu not sampled (no CPU to reach the stop in time, D state, "
		    "stopped, over budget)",
		    (unsigned long long)x->samples, (unsigned long long)x->threads,
		    (unsigned long long)x->unwinds,
		    x->unwinds ? (double)x->held_ns / 1e3 / (double)x->unwinds : 0.0,
		    x->interrupts ? (double)x->wait_ns / 1e3 / (double)x->interrupts : 0.0,
		    (unsigned long long)x->reused, (unsigned long long)x->skipped);
	psrc_free(s);
}

const struct source_ops source_ptrace_stack = {
    .name = "ptrace",
    .id = SRC_PTRACE,
    .start = psrc_start,
    .tick = psrc_tick,
    .observe = psrc_observe,
    .stop = psrc_stop,
};
