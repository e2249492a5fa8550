/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ptrace stack sampler as a run source (SRC_PTRACE): threads come from
 * the procfs source's thread samples (observe), sampling happens in tick,
 * tracee stops wake the loop through the sampler's SIGCHLD signalfd, and
 * stop detaches everything. Named pids are seized at start, so a refusal
 * (Yama, capabilities, another tracer) is known before the run begins.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/run.h"
#include "sources/ptrace_stack.h"

struct psrc {
	struct ptrace_stack *ps;
	struct run *run;
	int fd_added;
};

static void on_fd(void *ctx, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	ptrace_stack_events(ctx);
}

static void psrc_free(struct psrc *s)
{
	if (s->fd_added)
		loop_del_fd(run_loop_handle(s->run), ptrace_stack_fd(s->ps));
	ptrace_stack_free(s->ps);
	free(s);
}

static int psrc_start(struct run *r, void **state, struct source_status *st)
{
	const struct run_opts *o = run_opts(r);
	struct ptrace_stack_config cfg = {.hz = o->stack_hz > 0 ? (uint32_t)o->stack_hz : 0,
					  .flags = o->stack_flags};
	struct psrc *s = calloc(1, sizeof(*s));
	char why[256];

	*state = NULL;
	if (!s || !(s->ps = ptrace_stack_new(&cfg, why, sizeof(why)))) {
		source_set(st, SOURCE_UNAVAILABLE, "%s", s ? why : "out of memory");
		free(s);
		return -1;
	}
	s->run = r;
	if (run_add_fd(r, ptrace_stack_fd(s->ps), on_fd, s->ps) == 0)
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
	ptrace_stack_tick(((struct psrc *)state)->ps, now_ns, sink);
}

static void psrc_stop(void *state, struct source_status *st)
{
	struct psrc *s = state;

	if (!s)
		return;
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
