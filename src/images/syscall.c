/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The syscall image: placeholder until it is implemented. */
#include <stdlib.h>

#include "procimage/image.h"

struct syscall_img {
	uint64_t records;
};

static void *syscall_create(const struct image_params *p)
{
	(void)p;
	return calloc(1, sizeof(struct syscall_img));
}

static void syscall_consume(void *img, const struct record *r)
{
	(void)r;
	((struct syscall_img *)img)->records++;
}

static void syscall_report(void *img, struct out *o)
{
	out_str(o, "status", "%s\n", "the syscall image is not implemented in this build");
	out_u64(o, "records_seen", NULL, ((struct syscall_img *)img)->records);
}

static void syscall_destroy(void *img)
{
	free(img);
}

const struct image_ops image_syscall = {
	.name = "syscall",
	.needs = PF_STAT,
	.create = syscall_create,
	.consume = syscall_consume,
	.report = syscall_report,
	.destroy = syscall_destroy,
};
