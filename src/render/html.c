/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One self-contained HTML report from a report's JSON document: inline CSS
 * and SVG, no script, no network. Generic over images: the envelope and
 * sources; per image, a bar chart of the heaviest elements for each known
 * resource figure (CPU, RSS, I/O, waits...), line charts of any series[]
 * (CPU/RSS/I/O over time), a per-CPU timeline of runs[] (the sched hogs'
 * occupancy runs), the flame graph of every stacks_folded[] (as an SVG image
 * in a data: URI, so its script stays inert), and a table of every array of
 * objects (an element holding rows of its own, the syscall sequence's
 * calls[], gives one row per nested row under its identity). Every string is
 * escaped: comm and argv are hostile text.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "render/escape.h"
#include "render/flamegraph.h"
#include "render/folded.h"
#include "render/jdoc.h"

#define TOP_BARS   15
#define TABLE_ROWS 200

/* The figures charted when present, with their axis label. */
static const struct {
	const char *key, *label;
} charted[] = {
    {"cpu_pct", "CPU %"},
    {"rss_bytes", "RSS bytes"},
    {"read_bytes", "read bytes"},
    {"write_bytes", "write bytes"},
    {"longest_run_ms", "longest run ms"},
    {"wait_ms", "wait ms"},
    {"migrations", "migrations"},
    {"count", "calls"},
};

/* Text and attribute values: XML's escaping serves HTML too (valid UTF-8,
 * no control byte, render/escape.h). */
static void esc(FILE *fp, const char *s)
{
	if (s)
		esc_xml(fp, s, strlen(s));
}

static void label_of(const struct jv *e, char *buf, size_t len)
{
	const char *comm = jdoc_str(e, "comm"), *name = jdoc_str(e, "name");
	const struct jv *pid = jdoc_get(e, "tid") ? jdoc_get(e, "tid") : jdoc_get(e, "pid");

	snprintf(buf, len, "%s%s%s",
		 comm	? comm
		 : name ? name
			: "",
		 pid && pid->str ? " " : "", pid && pid->str ? pid->str : "");
}

static int by_value_desc(const void *a, const void *b)
{
	const double *x = a, *y = b;

	return x[0] < y[0] ? 1 : x[0] > y[0] ? -1 : 0;
}

static void bar_chart(FILE *fp, const struct jv *arr, const char *key, const char *label)
{
	double v[TOP_BARS * 64][2];
	size_t n = 0, i = 0;
	const struct jv *els[TOP_BARS * 64];

	for (const struct jv *e = arr->kids; e && n < TOP_BARS * 64; e = e->next, i++) {
		const struct jv *x = jdoc_get(e, key);
		if (x && x->type == J_NUM && x->num > 0) {
			v[n][0] = x->num;
			v[n][1] = (double)n;
			els[n++] = e;
		}
	}
	if (!n)
		return;
	qsort(v, n, sizeof(v[0]), by_value_desc);
	size_t shown = n < TOP_BARS ? n : TOP_BARS;
	double max = v[0][0];
	fprintf(fp,
		"<figure><figcaption>%s (top %zu)</figcaption>\n"
		"<svg class=\"chart bar\" xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" "
		"height=\"%zu\" role=\"img\">\n",
		label, shown, shown * 20 + 10);
	for (size_t k = 0; k < shown; k++) {
		char lab[96];
		double w = max > 0 ? 400.0 * v[k][0] / max : 0;
		label_of(els[(size_t)v[k][1]], lab, sizeof(lab));
		fprintf(fp, "<text x=\"0\" y=\"%zu\">", k * 20 + 18);
		esc(fp, lab);
		fprintf(fp,
			"</text><rect x=\"170\" y=\"%zu\" width=\"%.1f\" height=\"14\"/>"
			"<text x=\"%.1f\" y=\"%zu\">%g</text>\n",
			k * 20 + 6, w, 175 + w, k * 20 + 18, v[k][0]);
	}
	fputs("</svg></figure>\n", fp);
}

/* A line chart of key over the t-ish member of each point of every series. */
static void series_chart(FILE *fp, const struct jv *arr, const char *key, const char *label)
{
	double tmin = INFINITY, tmax = -INFINITY, vmax = 0;
	static const char *const tkeys[] = {"t_s", "t_ns", "t", "time_s"};
	const char *tk = NULL;

	for (const struct jv *e = arr->kids; e; e = e->next)
		for (const struct jv *p = jdoc_get(e, "series") ? jdoc_get(e, "series")->kids
								: NULL;
		     p; p = p->next) {
			for (size_t i = 0; !tk && i < 4; i++)
				if (jdoc_get(p, tkeys[i]))
					tk = tkeys[i];
			double t = tk ? jdoc_num(p, tk, NAN) : NAN, y = jdoc_num(p, key, NAN);
			if (isnan(t) || isnan(y))
				continue;
			tmin = fmin(tmin, t), tmax = fmax(tmax, t), vmax = fmax(vmax, y);
		}
	if (!tk || !(tmax > tmin))
		return;
	fprintf(fp,
		"<figure><figcaption>%s over time (max %g)</figcaption>\n"
		"<svg class=\"chart line\" xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" "
		"height=\"220\" role=\"img\"><rect class=\"frame\" x=\"40\" y=\"10\" width=\"580\" "
		"height=\"180\"/>\n",
		label, vmax);
	int k = 0;
	for (const struct jv *e = arr->kids; e && k < 12; e = e->next) {
		const struct jv *s = jdoc_get(e, "series");
		if (!s || !s->n)
			continue;
		fprintf(fp, "<polyline class=\"s%d\" points=\"", k++);
		for (const struct jv *p = s->kids; p; p = p->next) {
			double t = jdoc_num(p, tk, NAN), y = jdoc_num(p, key, NAN);
			if (!isnan(t) && !isnan(y))
				fprintf(fp, "%.1f,%.1f ", 40 + 580 * (t - tmin) / (tmax - tmin),
					190 - (vmax > 0 ? 180 * y / vmax : 0));
		}
		fputs("\"><title>", fp);
		char lab[96];
		label_of(e, lab, sizeof(lab));
		esc(fp, lab);
		fputs("</title></polyline>\n", fp);
	}
	fputs("</svg></figure>\n", fp);
}

/* runs[] {start_s, length_ms, cpus[]} of the elements of arr, one row per CPU. */
static void timeline(FILE *fp, const struct jv *arr)
{
	double tmax = 0;
	int maxcpu = -1, nruns = 0;

	for (const struct jv *e = arr->kids; e; e = e->next)
		for (const struct jv *r = jdoc_get(e, "runs") ? jdoc_get(e, "runs")->kids : NULL; r;
		     r = r->next) {
			const struct jv *c = jdoc_get(r, "cpus");
			double end =
			    jdoc_num(r, "start_s", NAN) + jdoc_num(r, "length_ms", NAN) / 1e3;
			int cpu = c && c->kids ? (int)c->kids->num : (int)jdoc_num(e, "cpu", 0);
			if (isnan(end) || cpu < 0 || cpu > 1023)
				continue;
			tmax = fmax(tmax, end), maxcpu = cpu > maxcpu ? cpu : maxcpu, nruns++;
		}
	if (!nruns || tmax <= 0)
		return;
	fprintf(fp,
		"<figure><figcaption>runs per CPU over %.2f s</figcaption>\n<svg class=\"chart "
		"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"%d\" "
		"role=\"img\">\n",
		tmax, (maxcpu + 1) * 22 + 10);
	for (int c = 0; c <= maxcpu; c++)
		fprintf(fp, "<text x=\"0\" y=\"%d\">CPU %d</text>\n", c * 22 + 20, c);
	int k = 0;
	for (const struct jv *e = arr->kids; e; e = e->next, k++)
		for (const struct jv *r = jdoc_get(e, "runs") ? jdoc_get(e, "runs")->kids : NULL; r;
		     r = r->next) {
			const struct jv *c = jdoc_get(r, "cpus");
			double t0 = jdoc_num(r, "start_s", NAN),
			       len = jdoc_num(r, "length_ms", NAN);
			int cpu = c && c->kids ? (int)c->kids->num : (int)jdoc_num(e, "cpu", 0);
			char lab[96];
			if (isnan(t0) || isnan(len) || cpu < 0 || cpu > maxcpu)
				continue;
			label_of(e, lab, sizeof(lab));
			fprintf(fp,
				"<rect class=\"run s%d\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
				"height=\"16\"><title>",
				k % 12, 60 + 570 * t0 / tmax, cpu * 22 + 6,
				fmax(1, 570 * len / 1e3 / tmax));
			esc(fp, lab);
			fprintf(fp, " %.0f ms</title></rect>\n", len);
		}
	fputs("</svg></figure>\n", fp);
}

static void collect_stacks(struct stack_agg *agg, const struct jv *v)
{
	for (const struct jv *m = v ? v->kids : NULL; m; m = m->next) {
		if (m->type == J_ARR && m->key && !strcmp(m->key, "stacks_folded")) {
			for (const struct jv *l = m->kids; l; l = l->next)
				if (l->type == J_STR)
					stack_agg_add_line(agg, l->str);
		} else if (m->type == J_ARR || m->type == J_OBJ) {
			collect_stacks(agg, m);
		}
	}
}

static void base64(FILE *fp, const unsigned char *p, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);
		fputc(tab[v >> 18 & 63], fp);
		fputc(tab[v >> 12 & 63], fp);
		fputc(i + 1 < n ? tab[v >> 6 & 63] : '=', fp);
		fputc(i + 2 < n ? tab[v & 63] : '=', fp);
	}
}

/* The flame graph of every stacks_folded[] in the document, if any. */
static void flame(FILE *fp, const struct jv *doc)
{
	struct stack_agg *agg = stack_agg_new();
	struct flamegraph_opts fo = {.title = "stacks captured", .width = 960};
	char *svg = NULL;
	size_t len = 0;

	if (!agg)
		return;
	collect_stacks(agg, doc);
	FILE *ms = stack_agg_total(agg) ? open_memstream(&svg, &len) : NULL;
	int ok = ms && flamegraph_write_svg_ex(ms, agg, &fo) == 0;
	if (ms && fclose(ms) != 0) /* closed once, whatever happened */
		ok = 0;
	if (ok) {
		fprintf(fp,
			"<h2>flame graph</h2>\n<figure><figcaption>%llu samples of %zu stacks"
			"</figcaption><img class=\"flamegraph\" alt=\"flame graph\" width=\"960\" "
			"src=\"data:image/svg+xml;base64,",
			(unsigned long long)stack_agg_total(agg), stack_agg_size(agg));
		base64(fp, (const unsigned char *)svg, len);
		fputs("\"></figure>\n", fp);
	}
	free(svg);
	stack_agg_free(agg);
}

static void cell(FILE *fp, const struct jv *v)
{
	fputs("<td>", fp);
	if (v && (v->type == J_STR || v->type == J_NUM))
		esc(fp, v->str);
	else if (v && v->type == J_BOOL)
		fputs(v->num ? "yes" : "no", fp);
	fputs("</td>", fp);
}

static void add_cols(const struct jv *o, const char **cols, int *nc)
{
	for (const struct jv *m = o->type == J_OBJ ? o->kids : NULL; m && *nc < 64; m = m->next) {
		int seen = m->type == J_ARR || m->type == J_OBJ;
		for (int i = 0; !seen && i < *nc; i++)
			seen = !strcmp(cols[i], m->key);
		if (!seen)
			cols[(*nc)++] = m->key;
	}
}

/* One row per element, or per nested row (jdoc_nested_rows) led by the
 * columns of its element. */
static void table(FILE *fp, const struct jv *arr)
{
	const char *cols[64];
	int nc = 0, ne = 0, nested = 0;
	size_t rows = 0, total = 0;

	for (const struct jv *e = arr->kids; e; e = e->next)
		nested |= jdoc_nested_rows(e) != NULL;
	for (const struct jv *e = arr->kids; e; e = e->next)
		add_cols(e, cols, &nc);
	ne = nested ? nc : 0;
	for (const struct jv *e = arr->kids; nested && e; e = e->next)
		for (const struct jv *r = jdoc_nested_rows(e) ? jdoc_nested_rows(e)->kids : NULL; r;
		     r = r->next)
			add_cols(r, cols, &nc);
	fputs("<table><tr>", fp);
	for (int i = 0; i < nc; i++)
		fputs("<th>", fp), esc(fp, cols[i]), fputs("</th>", fp);
	fputs("</tr>\n", fp);
	for (const struct jv *e = arr->kids; e; e = e->next) {
		const struct jv *sub = nested ? jdoc_nested_rows(e) : NULL;
		const struct jv *r = sub ? sub->kids : NULL;
		do { /* the element alone when it has no nested row */
			if (rows++ < TABLE_ROWS) {
				fputs("<tr>", fp);
				for (int i = 0; i < nc; i++)
					cell(fp, jdoc_get(i < ne || !nested ? e : r, cols[i]));
				fputs("</tr>\n", fp);
			}
			total++;
			r = r ? r->next : NULL;
		} while (r);
	}
	fputs("</table>\n", fp);
	if (total > TABLE_ROWS)
		fprintf(fp, "<p>%zu more rows in the JSON report.</p>\n", total - TABLE_ROWS);
}

static int is_envelope(const char *k)
{
	static const char *const env[] = {"schema",  "image",	   "host",	 "kernel",
					  "started", "duration_s", "interval_ms"};
	for (size_t i = 0; k && i < sizeof(env) / sizeof(env[0]); i++)
		if (!strcmp(env[i], k))
			return 1;
	return 0;
}

static void image_section(FILE *fp, const char *name, const struct jv *o)
{
	fputs("<section class=\"image\"><h2>", fp);
	esc(fp, name);
	fputs("</h2>\n", fp);
	for (const struct jv *m = o->kids; m; m = m->next) {
		if ((m->type == J_STR || m->type == J_NUM) && !is_envelope(m->key)) {
			fputs("<p class=\"field\">", fp), esc(fp, m->key), fputs(": ", fp);
			esc(fp, m->str), fputs("</p>\n", fp);
		}
		if (m->type != J_ARR || !m->n || !m->kids || m->kids->type != J_OBJ)
			continue;
		fputs("<h3>", fp), esc(fp, m->key), fputs("</h3>\n", fp);
		timeline(fp, m);
		for (size_t i = 0; i < sizeof(charted) / sizeof(charted[0]); i++) {
			series_chart(fp, m, charted[i].key, charted[i].label);
			bar_chart(fp, m, charted[i].key, charted[i].label);
		}
		table(fp, m);
	}
	fputs("</section>\n", fp);
}

/* Whether image_section would show any of o's own members. */
static int has_section(const struct jv *o)
{
	for (const struct jv *m = o->kids; m; m = m->next)
		if (((m->type == J_STR || m->type == J_NUM) && !is_envelope(m->key)) ||
		    (m->type == J_ARR && m->n && m->kids && m->kids->type == J_OBJ))
			return 1;
	return 0;
}

static const char style[] =
    "<style>body{font:14px sans-serif;margin:2em;color:#222}table{border-collapse:collapse;"
    "margin:1em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
    "th{background:#eee}svg.chart{background:#fafafa;border:1px solid #ddd}"
    "svg rect{fill:#4a7bd0}svg rect.frame{fill:none;stroke:#999}svg text{font-size:11px}"
    "polyline{fill:none;stroke-width:1.5}.s0{stroke:#c33}.s1{stroke:#36c}.s2{stroke:#393}"
    ".s3{stroke:#c90}.s4{stroke:#909}.s5{stroke:#099}.s6,.s7,.s8,.s9,.s10,.s11{stroke:#666}"
    "figure{margin:1em 0}figcaption{font-weight:bold}rect.run{stroke:none;fill-opacity:.8}"
    "rect.run.s0{fill:#c33}rect.run.s1{fill:#36c}rect.run.s2{fill:#393}rect.run.s3{fill:#c90}"
    "rect.run.s4{fill:#909}</style>\n";

int render_html(FILE *fp, const struct jv *doc)
{
	static const char *const env[] = {"schema",  "image",	   "host",	  "kernel",
					  "started", "duration_s", "interval_ms", "sources"};
	const char *img;

	if (!doc || doc->type != J_OBJ)
		return -EINVAL;
	img = jdoc_str(doc, "image");
	fputs(
	    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>procimage ",
	    fp);
	esc(fp, img);
	fputs("</title>\n", fp);
	fputs(style, fp);
	fputs("</head><body>\n<h1>procimage ", fp);
	esc(fp, img);
	fputs("</h1>\n<table class=\"envelope\">", fp);
	for (size_t i = 1; i < 7; i++) {
		const struct jv *v = jdoc_get(doc, env[i]);
		fputs("<tr><th>", fp), esc(fp, env[i]), fputs("</th><td>", fp);
		esc(fp, v ? v->str : ""), fputs("</td></tr>", fp);
	}
	fputs("</table>\n<h2>sources</h2><table><tr><th>source</th><th>status</th><th>lost</th>"
	      "<th>reason</th></tr>\n",
	      fp);
	const struct jv *src = jdoc_get(doc, "sources");
	for (const struct jv *s = src ? src->kids : NULL; s; s = s->next) {
		const struct jv *lost = jdoc_get(s, "lost");
		fputs("<tr><td>", fp), esc(fp, s->key), fputs("</td><td>", fp);
		esc(fp, jdoc_str(s, "status")), fputs("</td><td>", fp);
		esc(fp, lost ? lost->str : ""), fputs("</td><td>", fp);
		esc(fp, jdoc_str(s, "reason")), fputs("</td></tr>\n", fp);
	}
	fputs("</table>\n", fp);
	/* Several images when the envelope names none: the report's own
	 * fields (triage's diagnosis), then one object each; an object of
	 * images (triage's "images") gives a section per image. */
	if (img && jdoc_is_image(img)) {
		image_section(fp, img, doc);
	} else {
		if (has_section(doc))
			image_section(fp, img ? img : "report", doc);
		for (const struct jv *m = doc->kids; m; m = m->next) {
			if (m->type != J_OBJ || !strcmp(m->key, "sources"))
				continue;
			if (!jdoc_image_set(m)) {
				image_section(fp, m->key, m);
				continue;
			}
			for (const struct jv *k = m->kids; k; k = k->next)
				if (k->type == J_OBJ)
					image_section(fp, k->key, k);
		}
	}
	flame(fp, doc);
	fputs("</body></html>\n", fp);
	return ferror(fp) ? -EIO : 0;
}
