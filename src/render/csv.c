/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CSV from a report's JSON document (RFC 4180 quoting), generic over images:
 * when elements of an image's arrays carry a time series (series[]), one row
 * per point, prefixed with the element's identity (image, pid, tid, comm);
 * otherwise one row per element of every array of objects (tasks, hogs,
 * syscalls, events...), with an "image" and "table" column; an element that
 * holds rows of its own (the syscall sequence's calls[], see
 * jdoc_nested_rows) gives one row per nested row, prefixed with the
 * element's identity. A report of several images (report with IMAGEs,
 * triage) decides series or not per image. An image with a declared
 * schema (schemas[] below, documented in docs/formats.md) has the same
 * header every run, rows or not: its columns, in that order, and nothing
 * else; otherwise the header is the union of the keys seen, in first-seen
 * order. Every field goes through esc_csv (valid
 * UTF-8, no control byte, quoted when it must be: render/escape.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "render/escape.h"
#include "render/jdoc.h"

#define CSV_MAX_COLS 128

struct csv {
	const char *cols[CSV_MAX_COLS];
	int ncols;
	int series; /* any series[] seen: only series rows */
	int fixed;  /* the columns are an image's schema: no others */
};

/* The columns of an image's CSV after "image" and "table", whatever the
 * run saw: every key any of its tables can have (exits: exits[] and
 * oom_kills_in_log[]). A key an image adds must be added here (the CSV
 * test fails on a JSON key the CSV lacks). */
static const struct {
	const char *image;
	const char *cols[CSV_MAX_COLS];
} schemas[] = {
    {"exits",
     {"pid",
      "comm",
      "cause",
      "confidence",
      "status",
      "t_ns",
      "time",
      "exit_code",
      "signal",
      "signal_name",
      "core_dumped",
      "status_source",
      "lifetime_s",
      "lifetime_exact",
      "last_seen_before_exit_s",
      "hiwater_rss_bytes",
      "last_rss_bytes",
      "oom_score",
      "oom_score_adj",
      "kernel_time_s",
      NULL}},
};

static int col(struct csv *c, const char *k)
{
	for (int i = 0; i < c->ncols; i++)
		if (!strcmp(c->cols[i], k))
			return i;
	if (c->ncols == CSV_MAX_COLS || c->fixed)
		return -1;
	c->cols[c->ncols] = k;
	return c->ncols++;
}

static const char *scalar(const struct jv *v)
{
	if (v->type == J_STR || v->type == J_NUM)
		return v->str;
	if (v->type == J_BOOL)
		return v->num ? "true" : "false";
	return NULL;
}

static const char *const ident[] = {"pid", "tid", "tgid", "comm", "cpu", NULL};

/* Seed the columns with img's schema, if it has one. */
static void schema(struct csv *c, const char *img)
{
	for (size_t i = 0; img && i < sizeof(schemas) / sizeof(schemas[0]); i++) {
		if (strcmp(schemas[i].image, img))
			continue;
		col(c, "image");
		col(c, "table");
		for (int k = 0; schemas[i].cols[k]; k++)
			col(c, schemas[i].cols[k]);
		c->fixed = 1;
	}
}

/* pass 0: collect columns; pass 1: print rows. */
static void row(struct csv *c, FILE *fp, int pass, const char *image, const char *table,
		const struct jv *parent, const struct jv *e)
{
	const char *vals[CSV_MAX_COLS] = {0};

	vals[col(c, "image")] = image; /* every schema starts with both */
	vals[col(c, "table")] = table;
	for (int i = 0; parent && ident[i]; i++) {
		const struct jv *v = jdoc_get(parent, ident[i]);
		int k = v && scalar(v) ? col(c, ident[i]) : -1;
		if (k >= 0)
			vals[k] = scalar(v);
	}
	for (const struct jv *m = e->kids; m; m = m->next) {
		int k = m->key && scalar(m) ? col(c, m->key) : -1;
		if (k >= 0)
			vals[k] = scalar(m);
	}
	if (pass == 0)
		return;
	for (int i = 0; i < c->ncols; i++) {
		if (i)
			fputc(',', fp);
		if (vals[i])
			esc_csv(fp, vals[i]);
	}
	fputc('\n', fp);
}

static int has_series(const struct jv *o)
{
	for (const struct jv *m = o->kids; m; m = m->next) {
		if (m->type == J_OBJ && has_series(m))
			return 1;
		for (const struct jv *e = m->type == J_ARR ? m->kids : NULL; e; e = e->next) {
			const struct jv *s = jdoc_get(e, "series");
			if (s && s->type == J_ARR && s->n)
				return 1;
		}
	}
	return 0;
}

static void walk(struct csv *c, FILE *fp, int pass, const char *image, const struct jv *o)
{
	for (const struct jv *m = o->kids; m; m = m->next) {
		if (m->type != J_ARR || !m->key)
			continue;
		for (const struct jv *e = m->kids; e; e = e->next) {
			const struct jv *s = jdoc_get(e, "series"), *nested = jdoc_nested_rows(e);
			if (e->type != J_OBJ)
				continue;
			if (!c->series && nested && nested->n) {
				for (const struct jv *r = nested->kids; r; r = r->next)
					if (r->type == J_OBJ)
						row(c, fp, pass, image, m->key, e, r);
				continue;
			}
			if (!c->series) {
				row(c, fp, pass, image, m->key, NULL, e);
				continue;
			}
			for (const struct jv *pt = s && s->type == J_ARR ? s->kids : NULL; pt;
			     pt = pt->next)
				if (pt->type == J_OBJ)
					row(c, fp, pass, image, m->key, e, pt);
		}
	}
}

/* An image's rows: series points when it has series, else its elements. */
static void walk_image(struct csv *c, FILE *fp, int pass, const char *image, const struct jv *o)
{
	c->series = has_series(o);
	walk(c, fp, pass, image, o);
	for (const struct jv *m = o->kids; m; m = m->next)
		if (m->type == J_OBJ && m->key && strcmp(m->key, "sources"))
			walk(c, fp, pass, m->key, m);
}

int render_csv(FILE *fp, const struct jv *doc)
{
	struct csv c = {0};
	const char *img;

	if (!doc || doc->type != J_OBJ)
		return -EINVAL;
	img = jdoc_str(doc, "image");
	col(&c, "image"); /* a header even with no rows */
	col(&c, "table");
	if (img && jdoc_is_image(img))
		schema(&c, img);
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			for (int i = 0; i < c.ncols; i++) {
				if (i)
					fputc(',', fp);
				esc_csv(fp, c.cols[i]);
			}
			fputc('\n', fp);
		}
		if (img && jdoc_is_image(img)) {
			walk_image(&c, fp, pass, img, doc);
			continue;
		}
		/* Several images (report IMAGE IMAGE, triage): the document's own
		 * rows (triage's offenders), then each image's, series or not
		 * as that image has them. */
		c.series = 0;
		walk(&c, fp, pass, img ? img : "report", doc);
		for (const struct jv *m = doc->kids; m; m = m->next) {
			if (m->type != J_OBJ || !m->key || !strcmp(m->key, "sources"))
				continue;
			if (!jdoc_image_set(m)) {
				walk_image(&c, fp, pass, m->key, m);
				continue;
			}
			for (const struct jv *k = m->kids; k; k = k->next)
				walk_image(&c, fp, pass, k->key, k);
		}
	}
	return 0;
}
