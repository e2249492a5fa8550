/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kmsg source: placeholder until it is implemented; it reports itself
 * unavailable so no image pretends to have its data. */
#include "core/run.h"

static int kmsg_start(struct run *r, void **state, struct source_status *st)
{
	(void)r;
	*state = NULL;
	source_set(st, SOURCE_UNAVAILABLE, "not implemented in this build");
	return -1;
}

static void kmsg_stop(void *state, struct source_status *st)
{
	(void)state;
	(void)st;
}

const struct source_ops source_kmsg = {
	.name = "kmsg",
	.id = SRC_KMSG,
	.start = kmsg_start,
	.stop = kmsg_stop,
};
