/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The HTML report's charts, as inline SVG (no script, no network): bars of
 * the heaviest elements for a figure, lines of series[] over time, the
 * per-CPU occupancy runs of runs[], and the timeline of timed records
 * (events with a type: keytime's fork/exec/exit/on-off CPU/blocked; records
 * with a cause: exits). Every chart has its axes with round ticks, axis
 * titles with their unit, and a legend when colours tell series or
 * categories apart; values are in human units (html_fmt.c). Shapes carry a
 * <title> (the browser's tooltip) naming the task: escaped, being host text.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "render/html_int.h"

#define TOP_BARS 15

/* "label (unit)", or the label alone for a bare number. */
static void axis_title(char *buf, size_t len, const char *label, const char *suffix)
{
	snprintf(buf, len, *suffix ? "%s (%s)" : "%s", label, suffix);
}

/* The horizontal axis at y under a plot from x0, w wide, 0 to a->top. */
void html_axis_x(FILE *fp, double x0, double y, double w, const struct haxis *a, const char *title)
{
	char t[64];

	fprintf(fp, "<g class=\"axis x\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
		x0, y, x0 + w, y);
	for (int k = 0; k * a->step <= a->top * (1 + 1e-9); k++) {
		double x = x0 + w * k * a->step / a->top;
		html_tick(a, k * a->step, t, sizeof(t));
		fprintf(
		    fp,
		    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/><text class=\"tick\" "
		    "x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
		    x, y, x, y + 4, x, y + 15);
		html_esc(fp, t);
		fputs("</text>\n", fp);
	}
	axis_title(t, sizeof(t), title, a->suffix);
	fprintf(fp, "<text class=\"title\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
		x0 + w / 2, y + 31);
	html_esc(fp, t);
	fputs("</text></g>\n", fp);
}

/* The vertical value axis at x, from y0 (top) h high, with grid lines
 * gw wide, and its title turned along it. */
static void axis_y(FILE *fp, double x, double y0, double h, double gw, const struct haxis *a,
		   const char *title)
{
	char t[64];

	fprintf(fp, "<g class=\"axis y\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
		x, y0, x, y0 + h);
	for (int k = 0; k * a->step <= a->top * (1 + 1e-9); k++) {
		double y = y0 + h - h * k * a->step / a->top;
		html_tick(a, k * a->step, t, sizeof(t));
		fprintf(fp,
			"<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			"<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
			x, y, x + gw, y, x - 5, y + 4);
		html_esc(fp, t);
		fputs("</text>\n", fp);
	}
	axis_title(t, sizeof(t), title, a->suffix);
	fprintf(fp,
		"<text class=\"title\" text-anchor=\"middle\" transform=\"translate(13,%.1f) "
		"rotate(-90)\">",
		y0 + h / 2);
	html_esc(fp, t);
	fputs("</text></g>\n", fp);
}

/* A title for the category axis of bars and lanes. */
void html_axis_y_name(FILE *fp, double y0, double h, const char *title)
{
	fprintf(fp,
		"<text class=\"title\" text-anchor=\"middle\" transform=\"translate(13,%.1f) "
		"rotate(-90)\">",
		y0 + h / 2);
	html_esc(fp, title);
	fputs("</text>\n", fp);
}

/* The legend from y: a swatch of colour k (line or box) and names[k] each,
 * three to a row; returns its height. */
double html_legend(FILE *fp, double y, const char *const *names, int n, int line)
{
	fputs("<g class=\"legend\">", fp);
	for (int k = 0; k < n; k++) {
		double x = 70 + (k % 3) * 230, yy = y + (k / 3) * 16;
		if (line)
			fprintf(fp,
				"<line class=\"s%d\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				"y2=\"%.1f\"/>",
				k, x, yy - 4, x + 18, yy - 4);
		else
			fprintf(fp,
				"<rect class=\"f%d\" x=\"%.1f\" y=\"%.1f\" width=\"12\" "
				"height=\"10\"/>",
				k, x + 3, yy - 9);
		fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\">", x + 24, yy);
		html_esc(fp, names[k]);
		fputs("</text>\n", fp);
	}
	fputs("</g>\n", fp);
	return n ? ((n + 2) / 3) * 16 + 6 : 0;
}

void html_svg_open(FILE *fp, const char *cls, double height)
{
	fprintf(fp,
		"<svg class=\"chart %s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%.0f\" role=\"img\">\n",
		cls, HTML_WIDTH, height);
}

static int by_value_desc(const void *a, const void *b)
{
	const double *x = a, *y = b;

	return x[0] < y[0] ? 1 : x[0] > y[0] ? -1 : 0;
}

void html_bar_chart(FILE *fp, const struct jv *arr, const char *key, const char *label)
{
	double v[TOP_BARS * 64][2];
	const struct jv *els[TOP_BARS * 64];
	struct hunit u = html_unit_of(key);
	size_t n = 0;
	char lab[96], val[48];

	for (const struct jv *e = arr->kids; e && n < TOP_BARS * 64; e = e->next) {
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
	struct haxis a = html_axis(v[0][0], u);
	double x0 = 190, w = HTML_WIDTH - x0 - 90, h = (double)shown * 20;

	html_human(v[0][0], u, val, sizeof(val));
	fputs("<figure><figcaption>", fp);
	html_esc(fp, label);
	fprintf(fp, " (top %zu of %zu; most: ", shown, n);
	html_esc(fp, val);
	fputs(")</figcaption>\n", fp);
	html_svg_open(fp, "bar", h + 56);
	for (size_t k = 0; k < shown; k++) {
		double bw = w * v[k][0] / a.div / a.top;
		html_label_of(els[(size_t)v[k][1]], lab, sizeof(lab));
		html_human(v[k][0], u, val, sizeof(val));
		fprintf(fp, "<text x=\"%.1f\" y=\"%zu\" text-anchor=\"end\">", x0 - 6, k * 20 + 22);
		html_esc(fp, lab);
		fprintf(fp,
			"</text><rect class=\"bar\" x=\"%.1f\" y=\"%zu\" width=\"%.1f\" "
			"height=\"14\"/><text class=\"value\" x=\"%.1f\" y=\"%zu\">",
			x0, k * 20 + 10, bw, x0 + bw + 4, k * 20 + 22);
		html_esc(fp, val);
		fputs("</text>\n", fp);
	}
	html_axis_x(fp, x0, h + 12, w, &a, label);
	html_axis_y_name(fp, 10, h, jdoc_get(arr->kids, "comm") ? "task" : "name");
	fputs("</svg></figure>\n", fp);
}

/* The time key of series points, and its unit (t_ns is a clock reading,
 * but its differences are durations). */
static const char *series_time_key(const struct jv *arr, struct hunit *tu)
{
	static const char *const tkeys[] = {"t_s", "t_ns", "t", "time_s"};

	for (const struct jv *e = arr->kids; e; e = e->next) {
		const struct jv *s = jdoc_get(e, "series");
		for (const struct jv *p = s ? s->kids : NULL; p; p = p->next)
			for (size_t i = 0; i < sizeof(tkeys) / sizeof(tkeys[0]); i++)
				if (jdoc_get(p, tkeys[i])) {
					*tu = (struct hunit){HK_SEC, i == 1 ? 1e-9 : 1};
					return tkeys[i];
				}
	}
	return NULL;
}

/* A line chart of key over the time of each point of every series[]. */
void html_series_chart(FILE *fp, const struct jv *arr, const char *key, const char *label)
{
	double tmin = INFINITY, tmax = -INFINITY, vmax = 0;
	struct hunit tu, vu = html_unit_of(key);
	const char *tk = series_time_key(arr, &tu);
	const char *names[HTML_NCOLORS];
	char labs[HTML_NCOLORS][96], val[48];
	int ns = 0;

	for (const struct jv *e = tk ? arr->kids : NULL; e; e = e->next) {
		const struct jv *s = jdoc_get(e, "series");
		int any = 0;
		for (const struct jv *p = s ? s->kids : NULL; p; p = p->next) {
			double t = jdoc_num(p, tk, NAN), y = jdoc_num(p, key, NAN);
			if (isnan(t) || isnan(y))
				continue;
			tmin = fmin(tmin, t), tmax = fmax(tmax, t), vmax = fmax(vmax, y), any = 1;
		}
		if (any && ns < HTML_NCOLORS) {
			html_label_of(e, labs[ns], sizeof(labs[ns]));
			names[ns] = labs[ns];
			ns++;
		}
	}
	if (!tk || !(tmax > tmin) || !ns || !(vmax > 0)) /* no line of zeros */
		return;
	struct haxis ax = html_axis(tmax - tmin, tu), ay = html_axis(vmax, vu);
	double x0 = 70, y0 = 10, w = HTML_WIDTH - x0 - 20, h = 180;
	double lh = ns > 1 ? ((ns + 2) / 3) * 16 + 6 : 0;

	html_human(vmax, vu, val, sizeof(val));
	fputs("<figure><figcaption>", fp);
	html_esc(fp, label);
	fputs(" over time (peak ", fp);
	html_esc(fp, val);
	fputs(")</figcaption>\n", fp);
	html_svg_open(fp, "line", y0 + h + 44 + lh);
	axis_y(fp, x0, y0, h, w, &ay, label);
	html_axis_x(fp, x0, y0 + h, w, &ax, "time");
	int k = 0;
	for (const struct jv *e = arr->kids; e && k < ns; e = e->next) {
		const struct jv *s = jdoc_get(e, "series");
		int started = 0;
		for (const struct jv *p = s ? s->kids : NULL; p; p = p->next) {
			double t = jdoc_num(p, tk, NAN), y = jdoc_num(p, key, NAN);
			if (isnan(t) || isnan(y))
				continue;
			if (!started++)
				fprintf(fp, "<polyline class=\"s%d\" points=\"", k);
			fprintf(fp, "%.1f,%.1f ", x0 + w * (t - tmin) / ax.div / ax.top,
				y0 + h - h * y / ay.div / ay.top);
		}
		if (!started)
			continue;
		fputs("\"><title>", fp);
		html_esc(fp, names[k]);
		fputs("</title></polyline>\n", fp);
		k++;
	}
	if (ns > 1)
		html_legend(fp, y0 + h + 52, names, ns, 1);
	fputs("</svg></figure>\n", fp);
}

/* The CPU of a run: its first cpus[], else its element's cpu. */
static int run_cpu(const struct jv *e, const struct jv *r)
{
	const struct jv *c = jdoc_get(r, "cpus");

	return c && c->kids ? (int)c->kids->num : (int)jdoc_num(e, "cpu", 0);
}

/* runs[] {start_s, length_ms, cpus[]} of the elements of arr, one row per CPU. */
void html_runs_timeline(FILE *fp, const struct jv *arr)
{
	double tmax = 0;
	int maxcpu = -1, nruns = 0, ntasks = 0;
	const char *names[HTML_NCOLORS];
	char labs[HTML_NCOLORS][96];

	for (const struct jv *e = arr->kids; e; e = e->next) {
		const struct jv *runs = jdoc_get(e, "runs");
		for (const struct jv *r = runs ? runs->kids : NULL; r; r = r->next) {
			double end =
			    jdoc_num(r, "start_s", NAN) + jdoc_num(r, "length_ms", NAN) / 1e3;
			int cpu = run_cpu(e, r);
			if (isnan(end) || cpu < 0 || cpu > 1023)
				continue;
			tmax = fmax(tmax, end), maxcpu = cpu > maxcpu ? cpu : maxcpu, nruns++;
		}
		if (ntasks < HTML_NCOLORS) { /* colour k is the k-th element's */
			html_label_of(e, labs[ntasks], sizeof(labs[ntasks]));
			names[ntasks] = labs[ntasks];
			ntasks++;
		}
	}
	if (!nruns || tmax <= 0)
		return;
	struct haxis ax = html_axis(tmax, (struct hunit){HK_SEC, 1});
	double h = (maxcpu + 1) * 22, lh = ntasks > 1 ? ((ntasks + 2) / 3) * 16 + 6 : 0;

	fprintf(fp, "<figure><figcaption>occupancy runs per CPU over %.2f s</figcaption>\n", tmax);
	html_svg_open(fp, "timeline", h + 50 + lh);
	for (int c = 0; c <= maxcpu; c++)
		fprintf(fp, "<text x=\"0\" y=\"%d\">CPU %d</text>\n", c * 22 + 20, c);
	int k = 0;
	for (const struct jv *e = arr->kids; e; e = e->next, k++) {
		const struct jv *runs = jdoc_get(e, "runs");
		for (const struct jv *r = runs ? runs->kids : NULL; r; r = r->next) {
			double t0 = jdoc_num(r, "start_s", NAN),
			       len = jdoc_num(r, "length_ms", NAN);
			int cpu = run_cpu(e, r);
			char lab[96];
			if (isnan(t0) || isnan(len) || cpu < 0 || cpu > maxcpu)
				continue;
			html_label_of(e, lab, sizeof(lab));
			fprintf(fp,
				"<rect class=\"run f%d\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
				"height=\"16\"><title>",
				k % HTML_NCOLORS, 60 + 570 * t0 / ax.div / ax.top, cpu * 22 + 6,
				fmax(1, 570 * len / 1e3 / ax.div / ax.top));
			html_esc(fp, lab);
			fprintf(fp, ": %.0f ms from %.2f s</title></rect>\n", len, t0);
		}
	}
	html_axis_x(fp, 60, h + 4, 570, &ax, "time");
	if (ntasks > 1)
		html_legend(fp, h + 54, names, ntasks, 0);
	fputs("</svg></figure>\n", fp);
}
