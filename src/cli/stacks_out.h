/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The stacks image as a pprof profile, for `stacks -f pprof` and for
 * `report FILE stacks -f pprof` (cli/stacks.c). */
#ifndef PROCIMAGE_STACKS_OUT_H
#define PROCIMAGE_STACKS_OUT_H

#include <stdint.h>
#include <stdio.h>

struct run_opts;

/* img: the stacks image; pids: the live targets whose modules and symbols
 * give addresses and mappings (NULL, 0 for a replay: names only); kallsyms:
 * /proc/kallsyms opened before capabilities were dropped, or NULL.
 * 0, or -errno. */
int stacks_pprof_write(FILE *fp, const void *img, uint64_t started_wall_ns, uint64_t duration_ns,
		       const int32_t *pids, int npids, FILE *kallsyms);

/* report's -f pprof: image must be the stacks image alone (name says which
 * image it is); else EXIT_USAGE with o->err set. Opens and closes o's
 * output. 0, EXIT_USAGE, or 1 with o->err set. */
int stacks_pprof_report(struct run_opts *o, const void *img, const char *name,
			uint64_t started_wall_ns, double duration_s);

#endif
