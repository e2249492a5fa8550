/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The sched image: placeholder until it is implemented. */
#include <stdlib.h>

#include "procimage/image.h"

struct sched_img {
	uint64_t records;
};

static void *sched_create(const struct image_params *p)
{
	(void)p;
	return calloc(1, sizeof(struct sched_img));
}

static void sched_consume(void *img, const struct record *r)
{
	(void)r;
	((struct sched_img *)img)->records++;
}

static void sched_report(void *img, struct out *o)
{
	out_str(o, "status", "%s\n", "the sched image is not implemented in this build");
	out_u64(o, "records_seen", NULL, ((struct sched_img *)img)->records);
}

static void sched_destroy(void *img)
{
	free(img);
}

const struct image_ops image_sched = {
	.name = "sched",
	.needs = PF_STAT,
	.create = sched_create,
	.consume = sched_consume,
	.report = sched_report,
	.destroy = sched_destroy,
};
