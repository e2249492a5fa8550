/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The table of images: a command names an image, the registry finds it. */
#include <string.h>

#include "procimage/image.h"

extern const struct image_ops image_sched, image_resource, image_keytime, image_syscall,
    image_migrate;
extern const struct image_ops image_exits;
extern const struct image_ops image_stacks; /* images/stacks.c */

static const struct image_ops *const images[] = {
    &image_sched,   &image_resource, &image_keytime, &image_syscall,
    &image_migrate, &image_exits,    &image_stacks,
};

const struct image_ops *image_find(const char *name)
{
	for (size_t i = 0; i < sizeof(images) / sizeof(images[0]); i++)
		if (strcmp(images[i]->name, name) == 0)
			return images[i];
	return NULL;
}

const struct image_ops *image_at(int i)
{
	return i >= 0 && (size_t)i < sizeof(images) / sizeof(images[0]) ? images[i] : NULL;
}
