/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One self-contained HTML report from a report's JSON document: inline CSS
 * and SVG, no script, no network. Generic over images: the page, the
 * envelope and sources; per image, the diagnosis in full-width blocks (a
 * verdict, each row's diagnosis or explanation), its fields and summaries,
 * and per array of objects the charts (html_chart.c: bars of the heaviest
 * elements for each known figure, lines of any series[] over time, a
 * per-CPU timeline of runs[]; html_timeline.c: the timeline of timed records
 * such as keytime's events or exits), then a table; the flame graph of
 * every stacks_folded[] (an SVG image in a data: URI, so its script stays
 * inert). Tables keep numbers as numbers (parsers read them: plain
 * decimals, their human form in the tooltip); exit statuses are in words.
 * Every string is escaped: comm and argv are hostile text.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/wait_status.h"
#include "render/flamegraph.h"
#include "render/folded.h"
#include "render/html_int.h"

#define TABLE_ROWS 200
#define PROSE_LEN  120 /* a string this long is prose: a block, not a cell */

/* The figures charted when present: bars of the elements, lines of their
 * series[] (a rate over time rather than a total). */
static const struct {
	const char *key, *label;
	int bar, series;
} charted[] = {
    {"cpu_pct", "CPU", 1, 1},
    {"rss_bytes", "RSS", 1, 1},
    {"read_bytes", "read", 1, 0},
    {"write_bytes", "written", 1, 0},
    {"read_bytes_per_s", "read rate", 0, 1},
    {"write_bytes_per_s", "write rate", 0, 1},
    {"longest_run_ms", "longest run", 1, 0},
    {"wait_ms", "wait", 1, 0},
    {"migrations", "migrations", 1, 0},
    {"count", "calls", 1, 0},
};

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

/* A number cell: as written unless in exponent notation (then a plain
 * decimal), its human form (with the key's unit) as the tooltip. */
static void num_cell(FILE *fp, const char *key, const struct jv *v)
{
	struct hunit u = html_unit_of(key);
	char buf[64];

	if (u.kind != HK_NONE) {
		html_human(v->num, u, buf, sizeof(buf));
		fputs("<td title=\"", fp), html_esc(fp, buf), fputs("\">", fp);
	} else {
		fputs("<td>", fp);
	}
	if (strpbrk(v->str, "eE")) {
		html_plain(v->num, buf, sizeof(buf));
		html_esc(fp, buf);
	} else {
		html_esc(fp, v->str);
	}
	fputs("</td>", fp);
}

static void cell(FILE *fp, const struct jv *row, const char *key)
{
	const struct jv *v = jdoc_get(row, key);
	char st[64];

	if (!strcmp(key, "status") && html_row_status(row, st, sizeof(st))) {
		fputs("<td class=\"status\">", fp), html_esc(fp, st), fputs("</td>", fp);
		return;
	}
	if (v && v->type == J_NUM && v->str) {
		num_cell(fp, key, v);
		return;
	}
	fputs("<td>", fp);
	if (v && v->type == J_STR)
		html_esc(fp, v->str);
	else if (v && v->type == J_BOOL)
		fputs(v->num ? "yes" : "no", fp);
	fputs("</td>", fp);
}

/* Whether member key of the rows of arr is prose (a diagnosis, or any
 * value too long for a cell): shown as a block above the table. */
static int is_prose(const struct jv *arr, const char *key)
{
	if (!strcmp(key, "diagnosis") || !strcmp(key, "verdict"))
		return 1;
	for (const struct jv *e = arr->kids; e; e = e->next) {
		const char *s = jdoc_str(e, key);
		if (s && strlen(s) > PROSE_LEN)
			return 1;
	}
	return 0;
}

static void add_cols(const struct jv *arr, const struct jv *o, const char **cols, int *nc)
{
	for (const struct jv *m = o->type == J_OBJ ? o->kids : NULL; m && *nc < 64; m = m->next) {
		int seen = m->type == J_ARR || m->type == J_OBJ || is_prose(arr, m->key);
		for (int i = 0; !seen && i < *nc; i++)
			seen = !strcmp(cols[i], m->key);
		if (!seen)
			cols[(*nc)++] = m->key;
	}
}

/* One paragraph of prose: "key: text". */
static void prose_line(FILE *fp, const char *key, const char *text)
{
	fputs("<p><span class=\"key\">", fp), html_esc(fp, key);
	fputs(":</span> ", fp), html_esc(fp, text), fputs("</p>\n", fp);
}

/* The prose of each row (its prose members, and the text of an object it
 * holds: triage's explain.text) as a full-width block, named by the row. */
static void prose_blocks(FILE *fp, const struct jv *arr)
{
	char lab[96];

	for (const struct jv *e = arr->kids; e; e = e->next) {
		int open = 0;
		for (const struct jv *m = e->kids; m; m = m->next) {
			const char *text = m->type == J_STR && is_prose(arr, m->key) ? m->str
					   : m->type == J_OBJ ? jdoc_str(m, "text")
							      : NULL;
			if (!text || !*text)
				continue;
			if (!open++) {
				html_label_of(e, lab, sizeof(lab));
				fputs("<div class=\"prose\"><p class=\"who\">", fp);
				html_esc(fp, lab), fputs("</p>\n", fp);
			}
			prose_line(fp, m->key, text);
		}
		if (open)
			fputs("</div>\n", fp);
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
		add_cols(arr, e, cols, &nc);
	ne = nested ? nc : 0;
	for (const struct jv *e = arr->kids; nested && e; e = e->next) {
		const struct jv *sub = jdoc_nested_rows(e);
		for (const struct jv *r = sub ? sub->kids : NULL; r; r = r->next)
			add_cols(sub, r, cols, &nc);
	}
	fputs("<table><tr>", fp);
	for (int i = 0; i < nc; i++)
		fputs("<th>", fp), html_esc(fp, cols[i]), fputs("</th>", fp);
	fputs("</tr>\n", fp);
	for (const struct jv *e = arr->kids; e; e = e->next) {
		const struct jv *sub = nested ? jdoc_nested_rows(e) : NULL;
		const struct jv *r = sub ? sub->kids : NULL;
		do { /* the element alone when it has no nested row */
			if (rows++ < TABLE_ROWS) {
				fputs("<tr>", fp);
				for (int i = 0; i < nc; i++) {
					const struct jv *row = i < ne || !nested ? e : r;
					if (row)
						cell(fp, row, cols[i]);
					else
						fputs("<td></td>", fp);
				}
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
	static const char *const env[] = {"schema",  "image",	   "host",	  "kernel",
					  "started", "duration_s", "interval_ms", "sources"};
	for (size_t i = 0; k && i < sizeof(env) / sizeof(env[0]); i++)
		if (!strcmp(env[i], k))
			return 1;
	return 0;
}

static int is_scalar(const struct jv *v)
{
	return v->type == J_STR || v->type == J_NUM || v->type == J_BOOL || v->type == J_NULL;
}

/* A summary: an object of scalars, or of objects of scalars (keytime's
 * summary with its exit_codes), shown as a list of key: value. */
static int is_flat(const struct jv *o)
{
	if (o->type != J_OBJ || !o->n || jdoc_image_set(o))
		return 0;
	for (const struct jv *m = o->kids; m; m = m->next) {
		if (m->type == J_ARR)
			return 0;
		for (const struct jv *k = m->type == J_OBJ ? m->kids : NULL; k; k = k->next)
			if (!is_scalar(k))
				return 0;
	}
	return 1;
}

/* A scalar in human form: a number with its key's unit, plain otherwise. */
static void value(FILE *fp, const char *key, const struct jv *v)
{
	char buf[64];

	if (v->type == J_NUM) {
		struct hunit u = html_unit_of(key);
		if (u.kind != HK_NONE)
			html_human(v->num, u, buf, sizeof(buf));
		else if (strpbrk(v->str, "eE"))
			html_plain(v->num, buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf), "%s", v->str);
		html_esc(fp, buf);
	} else if (v->type == J_BOOL) {
		fputs(v->num ? "yes" : "no", fp);
	} else if (v->type == J_STR) {
		html_esc(fp, v->str);
	}
}

/* The members of a summary's inner object, "key: value; ...". Counts by
 * exit code or by signal are named by the status in words. */
static void kv_inner(FILE *fp, const struct jv *o)
{
	int codes = !strcmp(o->key, "exit_codes"), sigs = !strcmp(o->key, "signals");
	char st[64];

	for (const struct jv *k = o->kids; k; k = k->next) {
		if (k->type == J_NULL)
			continue;
		long n = strtol(k->key, NULL, 10);
		if ((codes || sigs) && n > 0 && n < 256) {
			wait_status_text(codes ? (uint32_t)n << 8 : (uint32_t)n, st, sizeof(st));
			html_esc(fp, st);
		} else if (codes && !strcmp(k->key, "0")) {
			fputs("exit 0", fp);
		} else {
			html_esc(fp, k->key);
		}
		fputs(": ", fp), value(fp, k->key, k);
		fputs(k->next ? "; " : "", fp);
	}
}

static void kv_list(FILE *fp, const struct jv *o)
{
	fputs("<h3>", fp), html_esc(fp, o->key), fputs("</h3>\n<dl class=\"kv\">", fp);
	for (const struct jv *m = o->kids; m; m = m->next) {
		if (m->type == J_NULL || (m->type == J_OBJ && !m->n))
			continue;
		fputs("<dt>", fp), html_esc(fp, m->key), fputs("</dt><dd>", fp);
		if (m->type == J_OBJ)
			kv_inner(fp, m);
		else
			value(fp, m->key, m);
		fputs("</dd>\n", fp);
	}
	fputs("</dl>\n", fp);
}

/* A verdict or diagnosis of the report itself, or any long text. */
static int is_prose_field(const struct jv *m)
{
	return m->type == J_STR && m->key &&
	       (!strcmp(m->key, "verdict") || !strcmp(m->key, "diagnosis") ||
		strlen(m->str) > PROSE_LEN);
}

static void array_section(FILE *fp, const struct jv *m)
{
	fputs("<h3>", fp), html_esc(fp, m->key), fputs("</h3>\n", fp);
	prose_blocks(fp, m);
	html_event_timeline(fp, m);
	html_runs_timeline(fp, m);
	for (size_t i = 0; i < sizeof(charted) / sizeof(charted[0]); i++) {
		if (charted[i].series)
			html_series_chart(fp, m, charted[i].key, charted[i].label);
		if (charted[i].bar)
			html_bar_chart(fp, m, charted[i].key, charted[i].label);
	}
	table(fp, m);
}

static void image_section(FILE *fp, const char *name, const struct jv *o)
{
	fputs("<section class=\"image\"><h2>", fp);
	html_esc(fp, name);
	fputs("</h2>\n", fp);
	/* the verdict first, readable across the page */
	int prose = 0;
	for (const struct jv *m = o->kids; m; m = m->next)
		if (is_prose_field(m) && !is_envelope(m->key)) {
			fputs(prose++ ? "" : "<div class=\"verdict\">\n", fp);
			prose_line(fp, m->key, m->str);
		}
	fputs(prose ? "</div>\n" : "", fp);
	for (const struct jv *m = o->kids; m; m = m->next)
		if ((m->type == J_STR || m->type == J_NUM) && !is_envelope(m->key) &&
		    !is_prose_field(m)) {
			fputs("<p class=\"field\">", fp), html_esc(fp, m->key), fputs(": ", fp);
			value(fp, m->key, m), fputs("</p>\n", fp);
		}
	for (const struct jv *m = o->kids; m; m = m->next) {
		if (is_flat(m) && !is_envelope(m->key))
			kv_list(fp, m);
		else if (m->type == J_ARR && m->n && m->kids && m->kids->type == J_OBJ)
			array_section(fp, m);
	}
	fputs("</section>\n", fp);
}

/* Whether image_section would show any of o's own members. */
static int has_section(const struct jv *o)
{
	for (const struct jv *m = o->kids; m; m = m->next)
		if (((m->type == J_STR || m->type == J_NUM || is_flat(m)) &&
		     !is_envelope(m->key)) ||
		    (m->type == J_ARR && m->n && m->kids && m->kids->type == J_OBJ))
			return 1;
	return 0;
}

/* The palette of series and categories: lines (.sN) and fills (.fN). */
static const char *const palette[HTML_NCOLORS] = {
    "#c33", "#36c", "#393", "#c90", "#909", "#099", "#963", "#e7a", "#7a0", "#669", "#f80", "#777",
};

static const char style[] =
    "body{font:14px/1.4 sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 6px;"
    "text-align:right}td.status{text-align:left;white-space:nowrap}th{background:#eee}"
    "td[title]{text-decoration:underline dotted #999}table.sources td:last-child{text-align:left}"
    ".verdict,.prose{display:block;box-sizing:border-box;width:100%;margin:1em 0;"
    "padding:.6em 1em;background:#fff8e0;border-left:4px solid #c90;font-size:15px;"
    "line-height:1.5;overflow-wrap:anywhere}.verdict p,.prose p{margin:.2em 0}"
    ".prose .who{font-weight:bold}.key{font-weight:bold}"
    "dl.kv{display:grid;grid-template-columns:max-content auto;gap:2px 14px}"
    "dl.kv dt{font-weight:bold}dl.kv dd{margin:0}"
    "svg.chart{background:#fafafa;border:1px solid #ddd;display:block}"
    "svg text{font-size:11px;fill:#222}svg text.title{font-size:12px;font-weight:bold}"
    ".axis line{stroke:#555}line.grid{stroke:#e6e6e6}rect.bar{fill:#4a7bd0}"
    "polyline{fill:none;stroke-width:1.5}.legend line{stroke-width:3}"
    "rect.run,rect.ev{fill-opacity:.85}path.ev{stroke:#222;stroke-width:.5}"
    "text.status{font-size:10px;fill:#a00;paint-order:stroke;stroke:#fafafa;stroke-width:3px}"
    "text.value{fill:#333}"
    "figure{margin:1em 0}figcaption{font-weight:bold}p.note{color:#666}";

static void write_style(FILE *fp)
{
	fputs("<style>", fp);
	fputs(style, fp);
	for (int k = 0; k < HTML_NCOLORS; k++)
		fprintf(fp, ".s%d{stroke:%s}.f%d{fill:%s}", k, palette[k], k, palette[k]);
	fputs("</style>\n", fp);
}

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
	html_esc(fp, img);
	fputs("</title>\n", fp);
	write_style(fp);
	fputs("</head><body>\n<h1>procimage ", fp);
	html_esc(fp, img);
	fputs("</h1>\n<table class=\"envelope\">", fp);
	for (size_t i = 1; i < 7; i++) {
		const struct jv *v = jdoc_get(doc, env[i]);
		fputs("<tr><th>", fp), html_esc(fp, env[i]), fputs("</th><td>", fp);
		if (v)
			value(fp, env[i], v);
		fputs("</td></tr>", fp);
	}
	fputs("</table>\n<h2>sources</h2><table "
	      "class=\"sources\"><tr><th>source</th><th>status</th><th>lost</th>"
	      "<th>reason</th></tr>\n",
	      fp);
	const struct jv *src = jdoc_get(doc, "sources");
	for (const struct jv *s = src ? src->kids : NULL; s; s = s->next) {
		const struct jv *lost = jdoc_get(s, "lost");
		fputs("<tr><td>", fp), html_esc(fp, s->key), fputs("</td><td>", fp);
		html_esc(fp, jdoc_str(s, "status")), fputs("</td><td>", fp);
		html_esc(fp, lost ? lost->str : ""), fputs("</td><td>", fp);
		html_esc(fp, jdoc_str(s, "reason")), fputs("</td></tr>\n", fp);
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
			if (m->type != J_OBJ || !strcmp(m->key, "sources") || is_flat(m))
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
