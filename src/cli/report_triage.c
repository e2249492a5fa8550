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
#include "images/keytime.h"

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

/* Step 3: the offenders' pids as the targets of a second replay. */
static int deep_targets(struct triage *t, struct run_opts *o)
{
	char pids[TRIAGE_MAX * 12] = "";
	size_t off = 0;

	for (int i = 0; i < t->noff; i++)
		off += (size_t)snprintf(pids + off, sizeof(pids) - off, "%s%d", off ? "," : "",
					t->off[i].tgid);
	if (!off)
		return 0;
	memset(&o->targets, 0, sizeof(o->targets));
	o->children = 1; /* keytime follows the offenders' descendants, as live */
	return targets_add_pids(&o->targets, pids, o->err, sizeof(o->err)) ? -1 : 1;
}

static int replay_triage(struct triage *t, struct report_cfg *c, struct store_reader *rd,
			 struct replay_ctx *scan, struct replay_ctx *deep)
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
	replay_fill_envelope(scan, &c1);
	t->scan_sched = scan->img[0];
	t->scan_ns = (uint64_t)(scan->duration_s * 1e9);
	/* 2 */
	triage_pick(t);
	/* 3: the images that look at the offenders, in the table's order */
	c2.nimages = 0;
	for (size_t i = 0; i < command_count && c2.nimages < RUN_MAX_IMAGES; i++)
		if ((command_table[i].flags & CMD_OFFENDERS) && image_find(command_table[i].name))
			t->names[t->nnames++] = c2.images[c2.nimages++] = command_table[i].name;
	rc = deep_targets(t, o);
	if (rc <= 0)
		return rc < 0 ? EXIT_USAGE : 0;
	t->f2 = triage_facts_new(scan->in->ticks_per_s);
	if (!t->f2)
		return snprintf(o->err, sizeof(o->err), "out of memory"), 1;
	if ((rc = replay_once(deep, o, &c2, rd, t->f2)))
		return rc;
	for (int i = 0; i < deep->n; i++) {
		t->deep_img[i] = deep->img[i];
		if (!strcmp(deep->ops[i]->name, "keytime"))
			((struct kt_img *)deep->img[i])->p.children = 1;
	}
	t->deep_ns = t->scan_ns;
	return 0;
}

int report_triage(struct run_opts *o, struct report_cfg *c)
{
	struct triage t;
	struct replay_ctx scan = {.o = o}, deep = {.o = o};
	char err[512];
	int code, rc;

	if ((rc = opts_format_check(o, "triage", opts_format_name(o->fmt))))
		return fprintf(stderr, "procimage %s: %s\n", o->cmd, o->err), rc;
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
		rc = replay_triage(&t, c, rd, &scan, &deep);
	if (!rc) {
		memcpy(t.src, scan.src, sizeof(t.src));
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
	triage_facts_free(t.f1);
	triage_facts_free(t.f2);
	store_reader_close(rd);
	/* nothing of t.o goes back: its targets are pids (no regex to free),
	 * and -o's FILE is the caller's (its slot, o->out_fp, was cleared by
	 * the close; opts_free(o) discards it if never written) */
	return rc;
}
