/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pprof output of a folded-stack aggregate: a gzip'd profile.proto (the
 * format of `go tool pprof`, Grafana Pyroscope and Parca), encoded with
 * libprotobuf-c from src/render/profile.proto.
 *
 * Each folded stack "root;[on-cpu|off-cpu];frame;...;leaf_[k] N" becomes one
 * Sample: its frames as Locations (leaf first, as pprof wants), the root
 * (the comm, or comm-pid/tid) as the label "comm", the state marker as the
 * label "state". Three sample types: samples/count, and on_cpu and off_cpu
 * in nanoseconds (count x period; the one the sample's state is not is 0).
 * Frames ending in "_[k]" are kernel frames (the suffix dropped), in the
 * kernel mapping "[kernel.kallsyms]" (the resolver's, else one without
 * addresses).
 * Addresses and mappings come from an optional resolver: without one (a
 * replay of a recording whose processes are gone), every location has
 * address 0 and only the function name, which every reader accepts.
 */
#ifndef PROCIMAGE_PPROF_H
#define PROCIMAGE_PPROF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "render/folded.h"

struct pprof_mapping {
	uint64_t start, limit, offset;
	const char *file;     /* path, or "[kernel.kallsyms]" */
	const char *build_id; /* hex, or NULL when unknown */
};

/* Where a frame lives: address and index into pprof_meta.maps. 0 if found,
 * -1 if not (the location then has no mapping and address 0). name is the
 * frame without the "_[k]" suffix; kernel says it had one. */
typedef int (*pprof_resolve_fn)(void *ctx, const char *name, int kernel, uint64_t *addr,
				size_t *map);

/* What the samples were taken of. state: a folded stack without an
 * [on-cpu]/[off-cpu] marker is of this state (1 on-CPU, 0 off-CPU). */
struct pprof_meta {
	uint64_t time_ns;     /* wall clock at the start, ns since the epoch */
	uint64_t duration_ns; /* of the sampling */
	uint64_t period_ns;   /* wall time one sample stands for (1 s / Hz) */
	int unmarked_oncpu;
	const struct pprof_mapping *maps;
	size_t nmaps;
	pprof_resolve_fn resolve;
	void *resolve_ctx;
};

/* Write the profile to fp, gzip'd. 0, or -errno (-ENOMEM, -EIO). */
int pprof_write(FILE *fp, const struct stack_agg *agg, const struct pprof_meta *m);

#endif
