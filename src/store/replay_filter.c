/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The replay's record filter: host-wide event streams pass whole, per-task
 * polling only for the targets (and their descendants with --children,
 * learnt from the fork events as the live run learns them).
 */
#include <stdlib.h>

#include "core/taskmap.h"
#include "store/replay_filter.h"

struct replay_filter {
	const struct targets *t;
	int children;
	struct taskmap *tree; /* key (tgid, 0): targets and their descendants seen */
};

struct replay_filter *replay_filter_new(const struct targets *t, int children)
{
	struct replay_filter *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->t = t;
	f->children = children;
	if (children && !(f->tree = taskmap_new(1))) {
		free(f);
		return NULL;
	}
	return f;
}

void replay_filter_free(struct replay_filter *f)
{
	if (!f)
		return;
	taskmap_free(f->tree);
	free(f);
}

/* Records a live run receives for every task on the host, whatever its
 * targets: the images choose among them. */
static int host_wide(const struct record *r)
{
	switch (r->kind) {
	case REC_FORK:
	case REC_CLONE:
	case REC_EXEC:
	case REC_EXIT:
	case REC_COMM:
	case REC_UID:
	case REC_SID:
	case REC_PTRACE:
	case REC_COREDUMP:
	case REC_LOST:
	case REC_TICK:
	case REC_KMSG:
	case REC_HOST:
		return 1;
	case REC_TASKSTATS: /* the exit listener has no pid filter */
		return r->u.ts.is_exit;
	case REC_CGROUP: /* re-read by the kmsg source after an exit */
		return r->source == SRC_KMSG;
	default:
		return 0;
	}
}

static int is_target(const struct targets *t, const struct record *r)
{
	if (t->all || targets_empty(t))
		return 1;
	return targets_match_process(t, r->key.tgid, r->comm[0] ? r->comm : NULL, NULL) ||
	       targets_has_pid(t, r->key.tid);
}

int replay_filter_pass(struct replay_filter *f, const struct record *r, int *own)
{
	int created;

	*own = 0;
	if (r->key.tid == 0 && r->key.tgid == 0)
		return 1;
	*own = is_target(f->t, r);
	if (f->tree) {
		if (*own && r->key.tgid > 0)
			taskmap_put(f->tree, r->key.tgid, 0, &created);
		if (r->kind == REC_FORK && r->u.fork.child_tgid > 0 &&
		    taskmap_get(f->tree, r->u.fork.parent_tgid, 0))
			taskmap_put(f->tree, r->u.fork.child_tgid, 0, &created);
		/* A child forked before the recording began: the live run
		 * finds it by its parent pid in /proc, as this does. */
		if (r->kind == REC_SAMPLE && (r->u.sample.s.have & PF_STAT) &&
		    r->u.sample.s.ppid > 0 && r->key.tgid > 0 &&
		    taskmap_get(f->tree, r->u.sample.s.ppid, 0))
			taskmap_put(f->tree, r->key.tgid, 0, &created);
	}
	if (*own || host_wide(r))
		return 1;
	return f->tree && r->key.tgid > 0 && taskmap_get(f->tree, r->key.tgid, 0) != NULL;
}
