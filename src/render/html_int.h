/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the HTML report's files share (render/html*.c): the page and its
 * tables (html.c), the SVG charts and timelines (html_chart.c), and the
 * human form of values and statuses (html_fmt.c). Not a public interface.
 */
#ifndef PROCIMAGE_RENDER_HTML_INT_H
#define PROCIMAGE_RENDER_HTML_INT_H

#include <stddef.h>
#include <stdio.h>

#include "render/jdoc.h"

/* What a figure measures, from its key's suffix (_pct, _bytes, _ms...). */
enum hkind { HK_NONE, HK_PCT, HK_BYTES, HK_BYTES_S, HK_SEC, HK_MS_S, HK_PER_S };

struct hunit {
	enum hkind kind;
	double mul; /* the key's unit in the kind's base (ms: 1e-3 s) */
};

/* An axis's display unit: values divided by div, labelled with suffix. */
struct haxis {
	double div;
	const char *suffix; /* "" for a bare number */
	double step;	    /* between ticks, in display units */
	double top;	    /* the axis's end, in display units (a tick) */
};

/* Escaped text or attribute value (render/escape.h esc_xml); NULL: nothing. */
void html_esc(FILE *fp, const char *s);

struct hunit html_unit_of(const char *key);
/* v (in the key's unit) with a human unit: "8.45 MiB", "1.2 ms", "37 %". */
void html_human(double v, struct hunit u, char *buf, size_t len);
/* A number in plain decimal notation, never an exponent ("0.00001"). */
void html_plain(double v, char *buf, size_t len);
/* The axis from 0 to at least max (in the key's unit), 3 to 5 intervals. */
struct haxis html_axis(double max, struct hunit u);
/* A tick's label (x in display units) without the unit. */
void html_tick(const struct haxis *a, double x, char *buf, size_t len);

/* A decoded exit status of a row, in words, when the row has one: a raw
 * wait status ("status": 768 beside exit_code or signal), or exit_code,
 * signal and core_dumped. 0 when the row tells no exit status. */
int html_row_status(const struct jv *row, char *buf, size_t len);
/* "name 1234" of a row (comm or name, then tid or pid). */
void html_label_of(const struct jv *e, char *buf, size_t len);

#define HTML_WIDTH   760
#define HTML_NCOLORS 12 /* the palette: the style's .s0-.s11 (lines), .f0-.f11 (fills) */

/* SVG pieces (html_chart.c): the <svg> of a chart of class cls; the
 * horizontal axis at y under a plot from x0, w wide, ticks from 0 to a->top
 * and its title with the unit; a title for a vertical axis of categories
 * (tasks, causes) y0..y0+h; a legend from y: a swatch of colour k (a line,
 * or a box) and names[k] each, three to a row, returning its height. */
void html_svg_open(FILE *fp, const char *cls, double height);
void html_axis_x(FILE *fp, double x0, double y, double w, const struct haxis *a, const char *title);
void html_axis_y_name(FILE *fp, double y0, double h, const char *title);
double html_legend(FILE *fp, double y, const char *const *names, int n, int line);

/* The charts (html_chart.c, html_timeline.c) of an array of objects arr; each draws nothing
 * when arr lacks what it needs. */
void html_bar_chart(FILE *fp, const struct jv *arr, const char *key, const char *label);
void html_series_chart(FILE *fp, const struct jv *arr, const char *key, const char *label);
void html_runs_timeline(FILE *fp, const struct jv *arr);
void html_event_timeline(FILE *fp, const struct jv *arr);

#endif
