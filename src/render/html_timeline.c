/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The timeline of an array of timed records (t_ns, CLOCK_MONOTONIC): those
 * with a "type" (keytime's fork, exec, exit, oncpu, offcpu, blocked...) get
 * one lane per task, those with a "cause" (exits: exit, signal, crash,
 * oom_kill) one lane per cause. A record with a duration_ms is a bar of its
 * length, any other a diamond at its time; the colour is its type or cause
 * (the legend names them), the x axis the time since the first record. Exit
 * statuses are decoded (html_row_status): in each shape's tooltip, and
 * written beside the mark when it is not a plain "exit 0".
 */
#include <math.h>
#include <string.h>

#include "render/html_int.h"

#define LANES  40
#define SHAPES 5000 /* drawn at most: a storm of exits leaves the page usable */
#define LABELS 40   /* statuses written beside their mark */

struct tl {
	const char *catkey; /* "type" or "cause" */
	int by_task;	    /* lanes: tasks, else categories */
	double tmin, tend;  /* ns */
	const char *cats[HTML_NCOLORS];
	int ncat;
	char lanes[LANES][96];
	int nlanes;
	double label_end[LANES]; /* x where a lane's last status label ends */
	struct {
		double x, y;
		char st[64];
	} lab[LABELS]; /* written over the shapes, once all are drawn */
	int nlab;
};

/* The colour of category c: in order of first appearance, the last colour
 * for all the categories past the palette. */
static int cat_of(struct tl *t, const char *c)
{
	for (int i = 0; i < t->ncat; i++)
		if (!strcmp(t->cats[i], c))
			return i;
	if (t->ncat == HTML_NCOLORS - 1 && c) {
		t->cats[t->ncat++] = "other";
		return t->ncat - 1;
	}
	if (t->ncat == HTML_NCOLORS)
		return HTML_NCOLORS - 1;
	t->cats[t->ncat++] = c;
	return t->ncat - 1;
}

/* The lane of record e, -1 when the lanes are all taken by others. */
static int lane_of(struct tl *t, const struct jv *e, const char *cat)
{
	char lab[96];

	if (t->by_task)
		html_label_of(e, lab, sizeof(lab));
	else
		snprintf(lab, sizeof(lab), "%s", cat);
	for (int i = 0; i < t->nlanes; i++)
		if (!strcmp(t->lanes[i], lab))
			return i;
	if (t->nlanes == LANES)
		return -1;
	memcpy(t->lanes[t->nlanes], lab, sizeof(lab));
	return t->nlanes++;
}

/* Which key names the records' category, NULL when arr is no timeline. */
static const char *timeline_key(const struct jv *arr, int *by_task)
{
	for (const struct jv *e = arr->kids; e; e = e->next) {
		const struct jv *t = jdoc_get(e, "t_ns");
		if (!t || t->type != J_NUM)
			continue;
		*by_task = jdoc_str(e, "type") != NULL;
		if (*by_task)
			return "type";
		if (jdoc_str(e, "cause"))
			return "cause";
	}
	return NULL;
}

static void scan(struct tl *t, const struct jv *arr)
{
	t->tmin = INFINITY, t->tend = -INFINITY;
	for (const struct jv *e = arr->kids; e; e = e->next) {
		double ns = jdoc_num(e, "t_ns", NAN), dur = jdoc_num(e, "duration_ms", 0);
		const char *cat = jdoc_str(e, t->catkey);
		if (isnan(ns) || !cat)
			continue;
		t->tmin = fmin(t->tmin, ns);
		t->tend = fmax(t->tend, ns + (dur > 0 ? dur * 1e6 : 0));
		cat_of(t, cat);
		lane_of(t, e, cat);
	}
}

/* One record's shape and its tooltip; its status is kept for a label
 * beside it when it says more than a plain exit and the lane has room left
 * of the last label. */
static void shape(FILE *fp, struct tl *t, const struct jv *e, int cat, int lane, double x, double w,
		  double y)
{
	double dur = jdoc_num(e, "duration_ms", 0);
	char lab[96], when[48], st[64];
	int has_st = html_row_status(e, st, sizeof(st));

	if (dur > 0)
		fprintf(fp,
			"<rect class=\"ev f%d\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"12\"><title>",
			cat, x, y + 3, fmax(2, w));
	else
		fprintf(fp, "<path class=\"ev f%d\" d=\"M%.1f %.1fl5 6-5 6-5-6z\"><title>", cat, x,
			y + 3);
	html_label_of(e, lab, sizeof(lab));
	html_esc(fp, lab);
	fputs(": ", fp);
	html_esc(fp, t->cats[cat]);
	html_human((jdoc_num(e, "t_ns", 0) - t->tmin) / 1e9, (struct hunit){HK_SEC, 1}, when,
		   sizeof(when));
	fprintf(fp, " at +%s", when);
	if (dur > 0) {
		html_human(dur, (struct hunit){HK_SEC, 1e-3}, when, sizeof(when));
		fprintf(fp, " for %s", when);
	}
	if (has_st)
		fputs(": ", fp), html_esc(fp, st);
	fputs(dur > 0 ? "</title></rect>\n" : "</title></path>\n", fp);
	if (!has_st || t->nlab == LABELS || !strcmp(st, "exit 0") || x < t->label_end[lane])
		return;
	t->label_end[lane] = x + 12 + 5.5 * (double)strlen(st); /* 10px text */
	t->lab[t->nlab].x = x + 7, t->lab[t->nlab].y = y + 13;
	memcpy(t->lab[t->nlab++].st, st, sizeof(st));
}

static void labels(FILE *fp, const struct tl *t)
{
	for (int i = 0; i < t->nlab; i++) {
		fprintf(fp, "<text class=\"status\" x=\"%.1f\" y=\"%.1f\">", t->lab[i].x,
			t->lab[i].y);
		html_esc(fp, t->lab[i].st);
		fputs("</text>\n", fp);
	}
}

void html_event_timeline(FILE *fp, const struct jv *arr)
{
	struct tl t = {0};
	size_t drawn = 0, left = 0;

	t.catkey = timeline_key(arr, &t.by_task);
	if (!t.catkey)
		return;
	scan(&t, arr);
	if (!t.nlanes)
		return;
	struct hunit sec = {HK_SEC, 1};
	struct haxis ax = html_axis((t.tend - t.tmin) / 1e9, sec);
	double x0 = 170, y0 = 10, w = HTML_WIDTH - x0 - 20, h = t.nlanes * 18;
	double lh = ((t.ncat + 2) / 3) * 16 + 6;

	fputs("<figure><figcaption>timeline of the ", fp);
	html_esc(fp, arr->key);
	fprintf(fp, " by %s (bars: periods, diamonds: instants; colour: %s)</figcaption>\n",
		t.by_task ? "task" : t.catkey, t.catkey);
	html_svg_open(fp, "events", y0 + h + 54 + lh);
	for (int i = 0; i < t.nlanes; i++) {
		fprintf(fp,
			"<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
			x0, y0 + i * 18 + 9, x0 + w, y0 + i * 18 + 9, x0 - 6, y0 + i * 18 + 13);
		html_esc(fp, t.lanes[i]);
		fputs("</text>\n", fp);
	}
	for (const struct jv *e = arr->kids; e; e = e->next) {
		double ns = jdoc_num(e, "t_ns", NAN), dur = jdoc_num(e, "duration_ms", 0);
		const char *cat = jdoc_str(e, t.catkey);
		if (isnan(ns) || !cat)
			continue;
		int lane = lane_of(&t, e, cat);
		if (lane < 0 || drawn >= SHAPES) {
			left++;
			continue;
		}
		double x = x0 + w * (ns - t.tmin) / 1e9 / ax.div / ax.top;
		double bw = dur > 0 ? w * dur / 1e3 / ax.div / ax.top : 0;
		shape(fp, &t, e, cat_of(&t, cat), lane, x, bw, y0 + lane * 18);
		drawn++;
	}
	labels(fp, &t);
	html_axis_x(fp, x0, y0 + h + 4, w, &ax, "time");
	html_axis_y_name(fp, y0, h, t.by_task ? "task" : t.catkey);
	html_legend(fp, y0 + h + 58, t.cats, t.ncat, 0);
	fputs("</svg>", fp);
	if (left)
		fprintf(fp,
			"<p class=\"note\">%zu records not drawn (past %d lanes or %d shapes): "
			"the table has them.</p>",
			left, LANES, SHAPES);
	fputs("</figure>\n", fp);
}
