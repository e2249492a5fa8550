/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Source status bookkeeping and its JSON/text form (see procimage/source.h). */
#include <stdarg.h>
#include <stdio.h>

#include "procimage/record.h"
#include "procimage/source.h"

const char *source_state_name(enum source_state s)
{
	switch (s) {
	case SOURCE_OK:
		return "ok";
	case SOURCE_DEGRADED:
		return "degraded";
	case SOURCE_UNAVAILABLE:
		return "unavailable";
	default:
		return "unused";
	}
}

void source_set(struct source_status *st, enum source_state state, const char *fmt, ...)
{
	va_list ap;

	st->state = state;
	va_start(ap, fmt);
	vsnprintf(st->reason, sizeof(st->reason), fmt, ap);
	va_end(ap);
}

void source_note_loss(struct source_status *st, uint64_t count, uint64_t t_ns)
{
	if (!st->loss_episodes)
		st->first_loss_ns = t_ns;
	st->last_loss_ns = t_ns;
	st->loss_episodes++;
	st->lost += count;
}

void source_status_out(struct out *o, const char *key, const struct source_status *st)
{
	out_obj_open(o, key);
	out_str(o, "status", NULL, source_state_name(st->state));
	if (st->reason[0])
		out_str(o, "reason", NULL, st->reason);
	out_u64(o, "events", NULL, st->events);
	out_u64(o, "lost", NULL, st->lost);
	if (st->loss_episodes) {
		out_u64(o, "loss_episodes", NULL, st->loss_episodes);
		out_u64(o, "first_loss_t_ns", NULL, st->first_loss_ns);
		out_u64(o, "last_loss_t_ns", NULL, st->last_loss_ns);
	}
	out_obj_close(o);
}

static const char *const kind_names[REC_KIND_COUNT] = {
    [REC_NONE] = "none",
    [REC_SAMPLE] = "sample",
    [REC_GONE] = "gone",
    [REC_FORK] = "fork",
    [REC_CLONE] = "clone",
    [REC_EXEC] = "exec",
    [REC_EXIT] = "exit",
    [REC_COMM] = "comm",
    [REC_UID] = "uid",
    [REC_SID] = "sid",
    [REC_PTRACE] = "ptrace",
    [REC_COREDUMP] = "coredump",
    [REC_TASKSTATS] = "taskstats",
    [REC_SYSCALL] = "syscall",
    [REC_LOST] = "lost",
    [REC_TICK] = "tick",
    [REC_KMSG] = "kmsg",
    [REC_STACK] = "stack",
    [REC_HOST] = "host",
    [REC_CGROUP] = "cgroup",
    [REC_CAPTURE] = "capture",
};

static const char *const source_names[SRC_COUNT] = {
    [SRC_PROCFS] = "procfs", [SRC_TASKSTATS] = "taskstats", [SRC_CONNECTOR] = "connector",
    [SRC_AUDIT] = "audit",   [SRC_KMSG] = "kmsg",	    [SRC_CGROUP] = "cgroup",
    [SRC_PTRACE] = "ptrace",
};

const char *record_kind_name(int kind)
{
	return kind >= 0 && kind < REC_KIND_COUNT && kind_names[kind] ? kind_names[kind] : "?";
}

const char *record_source_name(int source)
{
	return source >= 0 && source < SRC_COUNT ? source_names[source] : "?";
}
