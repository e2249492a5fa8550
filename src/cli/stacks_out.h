/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The stacks image as a pprof profile, for `stacks -f pprof` and for
 * `report FILE stacks -f pprof` (cli/stacks.c). */
#ifndef PROCIMAGE_STACKS_OUT_H
#define PROCIMAGE_STACKS_OUT_H

#include <stdint.h>
#include <stdio.h>

/* img: the stacks image. 0, or -errno. */
int stacks_pprof_write(FILE *fp, const void *img, uint64_t started_wall_ns, uint64_t duration_ns);

#endif
