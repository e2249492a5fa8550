/* SPDX-License-Identifier: GPL-2.0-or-later */
/* report's replay, shared by report.c (the images) and report_triage.c
 * (the triage workflow over a recording): not for other files. */
#ifndef PROCIMAGE_CLI_REPORT_INT_H
#define PROCIMAGE_CLI_REPORT_INT_H

#include "cli/options.h"
#include "cli/store_cmd.h"
#include "store/replay_filter.h"
#include "store/store.h"

struct replay_ctx {
	const struct run_opts *o;
	const struct image_ops *ops[RUN_MAX_IMAGES];
	void *img[RUN_MAX_IMAGES];
	int n;
	uint64_t matched, seen;
	const struct store_info *in;
	const char *name;
	double duration_s;
	uint64_t started_wall;
	struct source_status src[SRC_COUNT];
	struct replay_filter *filter;
	struct record_sink extra; /* also every record that passes (triage's facts) */
};

/* Every record of the replay: through the targets filter, to the images and
 * p->extra. A store_replay callback. */
void replay_consume(void *ctx, const struct record *r);
/* c's images created for o into p (its filter from o's targets). 0, or 1
 * with o->err set. */
int replay_create_images(struct replay_ctx *p, struct run_opts *o, const struct report_cfg *c);
/* The images the recording was made for, else every registered one. */
void replay_default_images(struct report_cfg *c, const struct store_info *in);
/* --from/--to into c->from_ns/to_ns. 0, or EXIT_USAGE with o->err set. */
int replay_window(struct run_opts *o, struct report_cfg *c, const struct store_info *in);
/* The envelope's name, start and span (the window within the recording). */
void replay_fill_envelope(struct replay_ctx *p, const struct report_cfg *c);
/* EXIT_USAGE, said, when -o is the recording being read; else 0. */
int replay_refuse_own_store(const struct run_opts *o, const char *path);
/* EXIT_NOTARGET with o->err set when the window or the targets matched no
 * record; else 0. */
int replay_nothing_matched(struct run_opts *o, const struct report_cfg *c,
			   const struct replay_ctx *p);

#endif
