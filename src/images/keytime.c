/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The keytime image: placeholder until it is implemented. */
#include <stdlib.h>

#include "procimage/image.h"

struct keytime_img {
	uint64_t records;
};

static void *keytime_create(const struct image_params *p)
{
	(void)p;
	return calloc(1, sizeof(struct keytime_img));
}

static void keytime_consume(void *img, const struct record *r)
{
	(void)r;
	((struct keytime_img *)img)->records++;
}

static void keytime_report(void *img, struct out *o)
{
	out_str(o, "status", "%s\n", "the keytime image is not implemented in this build");
	out_u64(o, "records_seen", NULL, ((struct keytime_img *)img)->records);
}

static void keytime_destroy(void *img)
{
	free(img);
}

const struct image_ops image_keytime = {
	.name = "keytime",
	.needs = PF_STAT,
	.create = keytime_create,
	.consume = keytime_consume,
	.report = keytime_report,
	.destroy = keytime_destroy,
};
