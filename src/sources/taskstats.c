/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The taskstats source: placeholder until it is implemented; it reports itself
 * unavailable so no image pretends to have its data. */
#include "core/run.h"

static int taskstats_start(struct run *r, void **state, struct source_status *st)
{
	(void)r;
	*state = NULL;
	source_set(st, SOURCE_UNAVAILABLE, "not implemented in this build");
	return -1;
}

static void taskstats_stop(void *state, struct source_status *st)
{
	(void)state;
	(void)st;
}

const struct source_ops source_taskstats = {
	.name = "taskstats",
	.id = SRC_TASKSTATS,
	.start = taskstats_start,
	.stop = taskstats_stop,
};
