/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * report FILE triage: triage's steps over a recording, with the code the
 * live triage runs. 1) the window is replayed through the sched image and
 * triage's facts (every task the recording holds); 2) the offenders are
 * picked as live (triage_pick); 3) the window is replayed again through the
 * offenders' images (the CMD_OFFENDERS rows), filtered to the offenders and
 * their descendants; 4) the same report is printed (triage_out.c). Live, the
 * scan and the deep look split -d; here both see the whole window, and the
 * report says it was replayed. A recording has no scan coverage: what it
 * holds is what was recorded (record's own report says what it covered).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command_table.h"
#include "cli/report_int.h"
#include "cli/triage.h"
#include "core/clock.h"

/* One replay of c's window through c's images and facts; the images stay in
 * p (the caller destroys them). 0, or an exit code with o->err set. */
static int replay_once(struct replay_ctx *p, struct run_opts *o, struct report_cfg *c,
		       struct store_reader *rd, struct triage_facts *facts)
{
	char err[512];
	int rc = replay_create_images(p, o, c);

	p->extra = (struct record_sink){triage_facts_consume, facts};
	if (!rc && store_replay(rd, c->from_ns, c->to_ns, replay_consume, p, err, sizeof(err))) {
		snprintf(o->err, sizeof(o->err), "%s", err);
		rc = 1;
	}
	return rc;
}

static void destroy_images(struct replay_ctx *p)
{
	for (int i = 0; i < p->n; i++)
		p->ops[i]->destroy(p->img[i]);
	replay_filter_free(p->filter);
	p->n = 0;
	p->filter = NULL;
}

/* Step 3's options, as live triage builds them (triage.c deep): the
 * defaults but --threshold and --stacks, the offenders (those that exited
 * too: their records are in the recording) and their descendants. 0, or -1
 * with o2->err set. */
static int deep_opts(const struct triage *t, struct run_opts *o2)
{
	char pids[TRIAGE_MAX * 12];

	opts_defaults(o2, "triage");
	o2->threshold_ns = t->o.threshold_ns;
	o2->stacks = t->o.stacks;
	o2->children = 1; /* keytime follows the offenders' descendants, as live */
	triage_offender_pids(t, 1, pids, sizeof(pids));
	return targets_add_pids(&o2->targets, pids, o2->err, sizeof(o2->err)) ? -1 : 0;
}

static int replay_triage(struct triage *t, struct report_cfg *c, struct store_reader *rd,
			 struct replay_ctx *scan, struct replay_ctx *deep, struct run_opts *o2)
{
	struct run_opts *o = &t->o;
	struct report_cfg c1 = *c, c2 = *c;
	int rc;

	/* 1: every task the recording holds, through sched */
	c1.nimages = 1;
	c1.images[0] = "sched";
	o->targets.all = 1;
	t->f1 = triage_facts_new(scan->in->ticks_per_s);
	if (!t->f1)
		return snprintf(o->err, sizeof(o->err), "out of memory"), 1;
	if ((rc = replay_once(scan, o, &c1, rd, t->f1)))
		return rc;
	if ((rc = replay_nothing_matched(o, &c1, scan)))
		return rc;
	if (!scan->matched) /* no task's record at all: no verdict to give */
		return snprintf(o->err, sizeof(o->err),
				"nothing matched: no task's record in '%s'%s: nothing to triage",
				c->path, c->from || c->to ? " in this window" : ""),
		       EXIT_NOTARGET;
	replay_fill_envelope(scan, &c1);
	t->scan_sched = scan->img[0];
	t->scan_ns = (uint64_t)(scan->duration_s * 1e9);
	/* 2 */
	triage_pick(t);
	if (!t->noff)
		return 0;
	/* 3: the images that look at the offenders, in the table's order */
	triage_offender_images(t);
	c2.nimages = t->nnames;
	for (int i = 0; i < t->nnames; i++)
		c2.images[i] = t->names[i];
	if (deep_opts(t, o2))
		return snprintf(o->err, sizeof(o->err), "%s", o2->err), 1;
	t->f2 = triage_facts_new(scan->in->ticks_per_s);
	if (!t->f2 || replay_once(deep, o2, &c2, rd, t->f2)) {
		/* the diagnosis from the scan still stands, as live */
		fprintf(stderr, "procimage %s: the offenders' images could not be rebuilt: %s\n",
			o->cmd, t->f2 ? o2->err : "out of memory");
		snprintf(t->not_imaged, sizeof(t->not_imaged),
			 "the offenders' images could not be rebuilt from the recording");
		return 0;
	}
	for (int i = 0; i < deep->n; i++)
		t->deep_img[i] = deep->img[i];
	t->deep_ns = t->scan_ns;
	return 0;
}

int report_triage(struct run_opts *o, struct report_cfg *c)
{
	struct triage t;
	struct run_opts o2 = {0};
	struct replay_ctx scan = {.o = o}, deep = {.o = &o2};
	const struct command *row = command_find("triage");
	char err[512];
	int code, rc;

	if (!(row->fmts & FMT(o->fmt))) { /* the advice for a recording, not triage's live one */
		fprintf(stderr,
			"procimage %s: -f %s: report FILE triage writes text, json, prom, csv or "
			"html; a recording's stacks come from 'procimage report FILE sched -f "
			"folded' (or -f svg), or 'procimage report FILE stacks -f pprof'\n",
			o->cmd, opts_format_name(o->fmt));
		return EXIT_USAGE;
	}
	if ((rc = replay_refuse_own_store(o, c->path)))
		return rc;
	struct store_reader *rd = store_open(c->path, err, sizeof(err), &code);
	if (!rd)
		return fprintf(stderr, "procimage %s: %s\n", o->cmd, err), code;
	memset(&t, 0, sizeof(t));
	t.o = *o; /* --top, --exclude, --threshold, -f, -o as given (a copy:
		   * o keeps what is to be freed) */
	scan.in = deep.in = store_reader_info(rd);
	store_reader_sources(rd, scan.src);
	store_reader_sources(rd, deep.src);
	rc = replay_window(&t.o, c, scan.in);
	if (!rc)
		rc = replay_triage(&t, c, rd, &scan, &deep, &o2);
	if (!rc) {
		memcpy(t.src, scan.src, sizeof(t.src));
		t.host = scan.in->host;
		t.kernel = scan.in->kernel;
		t.wall0_ns = scan.started_wall;
		t.total_s = scan.duration_s;
		t.recording = c->path;
		t.o.interval_ns = scan.in->interval_ns;
		rc = triage_print(&t);
	}
	if (rc && t.o.err[0])
		fprintf(stderr, "procimage %s: %s\n", o->cmd, t.o.err);
	destroy_images(&deep);
	destroy_images(&scan);
	targets_free(&o2.targets);
	triage_facts_free(t.f1);
	triage_facts_free(t.f2);
	store_reader_close(rd);
	/* nothing of t.o goes back: its targets are pids (no regex to free),
	 * and -o's FILE is the caller's (its slot, o->out_fp, was cleared by
	 * the close; opts_free(o) discards it if never written) */
	return rc;
}
