/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The built-in flame graph: a stack_agg written as one self-contained SVG
 * (no network, no external script), with a tooltip title on every frame,
 * click to zoom, and a search box (regex; also ?s=TERM in the URL) that
 * highlights matching frames and says what share of samples they cover.
 * Frames ending in "_[k]" (kernel) and "[...]" markers get their own colours.
 */
#ifndef PROCIMAGE_FLAMEGRAPH_H
#define PROCIMAGE_FLAMEGRAPH_H

#include <stdio.h>

#include "render/folded.h"

struct flamegraph_opts {
	const char *title;    /* NULL: "Flame Graph" */
	const char *subtitle; /* NULL: none */
	const char *unit;     /* what a count is: NULL = "samples" */
	int width;	      /* px; 0 = 1200 */
	int min_width_px10;   /* frames narrower than this/10 px are left out; 0 = 1 */
};

/* 0, or -errno (ENOMEM, EIO). An empty aggregate gives a valid SVG that
 * says "no samples". */
int flamegraph_write_svg(FILE *fp, const struct stack_agg *agg, const char *title);
int flamegraph_write_svg_ex(FILE *fp, const struct stack_agg *agg,
			    const struct flamegraph_opts *opts);
/* Write s with XML's five special characters escaped. */
void flamegraph_xml_escape(FILE *fp, const char *s, size_t len);

#endif
