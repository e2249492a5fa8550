/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * report's -f folded and -f svg (see store_cmd.h): from a recording, the
 * stacks a live run of the image folds or draws. sched and syscall write
 * their folded lines when their report is printed in folded mode; the
 * stacks image keeps an aggregate. Which images have them is the live
 * command's row of the command table, so the two paths cannot disagree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command_table.h"
#include "cli/options.h"
#include "cli/store_cmd.h"
#include "images/stacks.h"
#include "images/syscall_img.h"
#include "render/flamegraph.h"
#include "render/folded.h"

static int graph_format(enum out_format f)
{
	return f == OUT_FOLDED || f == OUT_SVG;
}

int report_graph_check(struct run_opts *o, const char *const *images, int n)
{
	const struct command *c = n == 1 ? command_find(images[0]) : NULL;

	if (!graph_format(o->fmt) || (c && (c->fmts & FMT(o->fmt))))
		return 0;
	const char *f = o->fmt == OUT_SVG ? "svg" : "folded";
	char what[80];
	if (n == 1)
		snprintf(what, sizeof(what), "the %s image has no stacks to %s", images[0],
			 o->fmt == OUT_SVG ? "draw" : "fold");
	else
		snprintf(what, sizeof(what), "one image at a time");
	snprintf(o->err, sizeof(o->err),
		 "-f %s: %s: report writes text, json, prom, csv or html for every image, "
		 "folded and svg for sched (the hogs' stacks), syscall (comm;syscall) or stacks "
		 "alone, as in 'procimage report FILE sched -f %s'",
		 f, what, f);
	return EXIT_USAGE;
}

int report_fold(struct stack_agg *agg, report_fn fn, void *ctx)
{
	char *buf = NULL, *save = NULL;
	size_t len = 0;
	FILE *ms = open_memstream(&buf, &len);
	struct out out;

	if (!ms)
		return -ENOMEM;
	out_init(&out, ms, OUT_FOLDED);
	fn(ctx, &out);
	if (fclose(ms)) {
		free(buf);
		return -ENOMEM;
	}
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		stack_agg_add_line(agg, l); /* a line without a count is left out */
	free(buf);
	return 0;
}

int report_graph_write(struct run_opts *o, const char *image, void *img, report_fn fn, void *ctx,
		       const char *path)
{
	struct stack_agg *own = stack_agg_new();
	const struct stack_agg *agg = own;
	char title[256], sub[256];
	const char *unit = NULL;
	int rc = own ? 0 : -ENOMEM;

	snprintf(title, sizeof(title), "procimage report: %s from %.200s", image, path);
	if (!rc && !strcmp(image, "stacks")) {
		struct stacks_summary sum;
		stacks_image_summary(img, &sum);
		agg = stacks_image_agg(img);
		snprintf(sub, sizeof(sub), "%llu samples at %u Hz from %u threads (recorded)",
			 (unsigned long long)sum.samples, sum.hz, sum.threads);
	} else if (!rc && !strcmp(image, "syscall")) {
		int audit = sc_fold_agg(img, own);
		rc = audit < 0 ? audit : 0;
		unit = audit > 0 ? "calls" : "samples";
		snprintf(sub, sizeof(sub), "%s",
			 audit > 0 ? "calls per process name and syscall: exact counts (audit)"
				   : "samples seen in each syscall (sampled: estimates)");
	} else if (!rc) {
		rc = report_fold(own, fn, ctx);
		snprintf(sub, sizeof(sub),
			 "where threads in runs of %g ms or more were seen (recorded); [on-cpu]: "
			 "running",
			 (double)o->threshold_ns / 1e6);
	}
	if (rc) {
		stack_agg_free(own);
		snprintf(o->err, sizeof(o->err), "out of memory");
		return 1;
	}
	if (!stack_agg_total(agg))
		fprintf(stderr, "procimage %s: the recording has no %s stacks to %s\n", o->cmd,
			image, o->fmt == OUT_SVG ? "draw" : "fold");
	FILE *fp = opts_open_output(o);
	if (!fp) {
		stack_agg_free(own);
		return 1; /* o->err says why */
	}
	struct flamegraph_opts fo = {.title = title, .subtitle = sub, .unit = unit};
	rc = o->fmt == OUT_SVG ? flamegraph_write_svg_ex(fp, agg, &fo)
			       : stack_agg_write_folded(agg, fp);
	stack_agg_free(own);
	if (rc) { /* -o keeps what it had */
		opts_abort_output(o, fp);
		snprintf(o->err, sizeof(o->err), "cannot write the report to '%s': %s",
			 o->output && strcmp(o->output, "-") ? o->output : "stdout", strerror(-rc));
		return 1;
	}
	return opts_close_output(o, fp) ? 1 : 0;
}
