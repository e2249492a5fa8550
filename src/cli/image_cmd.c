/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shared body of the image commands: parse options, check targets, run
 * the pipeline for the duration (or until Ctrl-C), print the report, and map
 * the outcome to the exit codes (each command's page in docs/commands/).
 *
 * Formats: text, json, prom, csv and html through report_write (the last
 * three derived from the JSON report). folded and svg only where the image
 * has stacks (sched: where its hogs paused); options.c refuses them for the
 * others with exit 2, so a format is never silently ignored.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command_table.h"
#include "cli/options.h"
#include "cli/store_cmd.h"
#include "core/clock.h"
#include "core/run.h"
#include "render/flamegraph.h"
#include "render/folded.h"

static int usage_error(const struct run_opts *o)
{
	fprintf(stderr, "procimage %s: %s\n", o->cmd, o->err);
	return EXIT_USAGE;
}

static void run_fn(void *ctx, struct out *o)
{
	run_report(ctx, o);
}

/* The folded lines of the report (sched: the hogs' stacks) in an aggregate.
 * NULL when out of memory. */
static struct stack_agg *folded_agg(struct run *r)
{
	struct stack_agg *agg = stack_agg_new();

	if (agg && report_fold(agg, run_fn, r)) {
		stack_agg_free(agg);
		agg = NULL;
	}
	return agg;
}

/* -f folded and -f svg: the image's folded lines (sched: where its hogs
 * paused), sorted as flamegraph.pl wants them, or drawn as a flame graph.
 * Exit code, message said. */
static int write_graph(struct run *r, struct run_opts *o, const char *image)
{
	struct stack_agg *agg = folded_agg(r);
	char title[256], sub[256];
	FILE *fp;
	int rc;

	if (!agg)
		return fprintf(stderr, "procimage %s: out of memory\n", o->cmd), 1;
	if (!stack_agg_total(agg))
		fprintf(stderr,
			"procimage %s: no thread held a CPU for %g ms or more: no stacks to %s "
			"(lower --threshold?)\n",
			o->cmd, (double)o->threshold_ns / 1e6, o->fmt == OUT_SVG ? "draw" : "fold");
	if (o->targets.npids)
		snprintf(title, sizeof(title), "procimage %s: pid %d%s", image, o->targets.pids[0],
			 o->targets.npids > 1 ? " and more" : "");
	else if (o->targets.have_comm || o->targets.cgroup[0])
		snprintf(title, sizeof(title), "procimage %s: %.200s", image,
			 o->targets.have_comm ? o->targets.comm_src : o->targets.cgroup);
	else
		snprintf(title, sizeof(title), "procimage %s: all processes", image);
	snprintf(sub, sizeof(sub),
		 "where threads in runs of %g ms or more were seen: %s; [on-cpu]: running",
		 (double)o->threshold_ns / 1e6,
		 o->stacks ? "kernel stacks, else wchan" : "wchan (--stacks: kernel stacks)");
	struct flamegraph_opts fo = {.title = title, .subtitle = sub};
	fp = opts_open_output(o);
	if (!fp) {
		stack_agg_free(agg);
		return fprintf(stderr, "procimage %s: %s\n", o->cmd, o->err), 1;
	}
	rc = o->fmt == OUT_SVG ? flamegraph_write_svg_ex(fp, agg, &fo)
			       : stack_agg_write_folded(agg, fp);
	stack_agg_free(agg);
	if (rc) { /* -o keeps what it had */
		opts_abort_output(o, fp);
		snprintf(o->err, sizeof(o->err), "cannot write the report to '%s': %s",
			 o->output ? o->output : "stdout", strerror(-rc));
	} else if (opts_close_output(o, fp)) {
		rc = -EIO; /* o->err says what failed */
	}
	if (rc)
		return fprintf(stderr, "procimage %s: %s\n", o->cmd, o->err), 1;
	return 0;
}

/* The report in -f: exit code, message said. */
static int write_report(struct run *r, struct run_opts *o, const char *image)
{
	if (o->fmt == OUT_FOLDED || o->fmt == OUT_SVG)
		return write_graph(r, o, image);
	return report_write_run(o, r); /* text, json; prom/csv/html from the JSON */
}

int image_cmd_run(int argc, char **argv, const char *image, const char *help)
{
	struct run_opts o;
	int first, rc;
	const char *names[1] = {image};

	opts_defaults(&o, argv[0]);
	rc = opts_parse(&o, argc, argv, help, &first);
	if (rc < 0) {
		opts_free(&o);
		return 0;
	}
	if (rc)
		return opts_free(&o), usage_error(&o);
	if (first < argc) {
		snprintf(o.err, sizeof(o.err),
			 "unexpected argument '%s': targets are given with -p PID, --comm, "
			 "--cgroup or -a",
			 argv[first]);
		return opts_free(&o), usage_error(&o);
	}
	if (targets_empty(&o.targets)) {
		if (strcmp(image, "sched") != 0) {
			snprintf(o.err, sizeof(o.err),
				 "no target: give -p PID, --comm REGEX, --cgroup PATH or -a");
			return opts_free(&o), usage_error(&o);
		}
		o.targets.all = 1; /* sched is host-wide by default */
	}
	if (!o.duration_set && o.interval_ns > o.duration_ns) {
		snprintf(o.err, sizeof(o.err),
			 "-i is longer than the default duration (%llus): no interval would end "
			 "within the run; give -d as long as -i or more",
			 (unsigned long long)(o.duration_ns / NS_PER_S));
		return opts_free(&o), usage_error(&o);
	}
	struct run *r = run_new(&o.run, names, 1);
	if (!r)
		return fprintf(stderr, "procimage %s: %s\n", o.cmd, o.err), opts_free(&o), 1;
	rc = run_start(r);
	if (rc) {
		fprintf(stderr, "procimage %s: %s\n", o.cmd, o.err);
		run_free(r);
		opts_free(&o);
		return rc;
	}
	rc = run_loop(r);
	if (rc == 0 && (rc = run_exit_code(r)) == EXIT_NOTARGET)
		fprintf(stderr, "procimage %s: %s\n", o.cmd, targets_none_matched(&o.targets));
	if (rc == 0)
		rc = write_report(r, &o, image);
	if (o.stats)
		run_print_stats(r, stderr);
	run_free(r);
	opts_free(&o);
	return rc;
}
