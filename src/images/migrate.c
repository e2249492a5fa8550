/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The migrate image: placeholder until it is implemented. */
#include <stdlib.h>

#include "procimage/image.h"

struct migrate_img {
	uint64_t records;
};

static void *migrate_create(const struct image_params *p)
{
	(void)p;
	return calloc(1, sizeof(struct migrate_img));
}

static void migrate_consume(void *img, const struct record *r)
{
	(void)r;
	((struct migrate_img *)img)->records++;
}

static void migrate_report(void *img, struct out *o)
{
	out_str(o, "status", "%s\n", "the migrate image is not implemented in this build");
	out_u64(o, "records_seen", NULL, ((struct migrate_img *)img)->records);
}

static void migrate_destroy(void *img)
{
	free(img);
}

const struct image_ops image_migrate = {
	.name = "migrate",
	.needs = PF_STAT,
	.create = migrate_create,
	.consume = migrate_consume,
	.report = migrate_report,
	.destroy = migrate_destroy,
};
