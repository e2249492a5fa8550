/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What record, report and the diagnose-tools front end share: the recording
 * run and the replay, callable without going through argv.
 */
#ifndef PROCIMAGE_STORE_CMD_H
#define PROCIMAGE_STORE_CMD_H

#include <stdint.h>

#include "cli/options.h"
#include "core/run.h"
#include "store/store.h"

struct record_cfg {
	const char *path;
	struct store_limits lim;
	/* Images run live as well (a tee): their report is printed at the end. */
	const char *live[RUN_MAX_IMAGES];
	int nlive;
	/* Record only what these images use (NULL: what every image could use). */
	const char *only[RUN_MAX_IMAGES];
	int nonly;
	const char *command; /* the command line, kept in the meta table */
	int until_stopped;   /* no -d: run until SIGINT/SIGTERM */
	int ready_fd;	     /* >= 0: write one byte here once recording */
	int dry_run;	     /* sample as a recording would, store nothing */
	int stacks;	     /* --stacks: user stacks by ptrace (opt-in) */
};

/* Record until the duration ends or a stop signal. Exit code, message on stderr. */
int record_run(struct run_opts *o, const struct record_cfg *c);

struct report_cfg {
	const char *path;
	const char *images[RUN_MAX_IMAGES];
	int nimages;
	const char *from, *to;	 /* as the user gave them, or NULL */
	uint64_t from_ns, to_ns; /* CLOCK_MONOTONIC of the recording; 0 = open */
	int quiet_empty;	 /* no exit 3 when no target record was found */
	int live;		 /* the recording is still being written */
};

/* Replay the store through the images and print the report to o->output
 * in o->fmt. Exit code, message on stderr. *last_ns (if not NULL) gets the
 * time of the last record of the recording. */
int report_run(struct run_opts *o, struct report_cfg *c, uint64_t *last_ns);

/* "512k", "100M", "1G", "4096": bytes. 0 or -EINVAL. */
int parse_size(const char *s, uint64_t *out);

/* Write the report of run_report-like fn in o->fmt to o->output: text and
 * JSON directly, prom/csv/html through the JSON document; -o replaced whole
 * when complete (options.h), left as it was when the report fails. */
typedef void (*report_fn)(void *ctx, struct out *o);
int report_write(struct run_opts *o, report_fn fn, void *ctx);
/* A live run's report through report_write (the image commands use it for
 * -f prom|csv|html). Exit code; the message is printed. */
int report_write_run(struct run_opts *o, struct run *r);
/* report's -f folded|svg (cli/report_graph.c). Check, before the replay,
 * that the one image named has stacks to fold (its live command's formats
 * in the command table): 0, or EXIT_USAGE with o->err set; 0 for any other
 * format. Then write them from the replayed image img (fn(ctx) prints the
 * report: sched's folded lines come from it): 0, or 1 with o->err set. */
int report_graph_check(struct run_opts *o, const char *const *images, int n);
/* The folded lines fn(ctx) writes in folded mode (sched's hogs' stacks,
 * syscall's comm;syscall), added to agg (a line without a count is left
 * out). 0, or -ENOMEM. The live image commands fold with it too. */
struct stack_agg;
int report_fold(struct stack_agg *agg, report_fn fn, void *ctx);
int report_graph_write(struct run_opts *o, const char *image, void *img, report_fn fn, void *ctx,
		       const char *path);
/* "sched, resource, ... or stacks": every registered image, for messages. */
void report_image_list(char *buf, size_t len);

#endif
