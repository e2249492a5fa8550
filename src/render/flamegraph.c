/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SVG flame graph writer (see flamegraph.h). The folded stacks become a
 * tree (children found through a (parent, name) hash, so stacks need not be
 * adjacent to merge); each node's width is its share of all samples, the root
 * "all" sits at the bottom as in flamegraph.pl. The interactive part is a
 * small inline script written for procimage: zoom, search, details line.
 * Output is plain XML with every name escaped, so xmllint accepts it.
 */
#include "procimage/hash.h"
#include "render/flamegraph.h"

#include "render/escape.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FG_FRAME_H 16
#define FG_FONT	   12
#define FG_XPAD	   10
#define FG_TOP	   64
#define FG_BOTTOM  34
#define FG_CHAR_W  (FG_FONT * 0.59)

struct node {
	const char *name;
	uint32_t len;
	int parent, child, last, sibling;
	uint32_t depth;
	uint64_t value;
};

struct tree {
	struct node *n;
	size_t count, cap;
	int *map; /* (parent, name) -> node, -1 empty */
	size_t mapn;
	uint32_t maxdepth;
};

static uint64_t key_hash(int parent, const char *s, size_t len)
{
	return fnv1a(HASH_SEED ^ (uint64_t)(uint32_t)parent * 0x9E3779B97F4A7C15ULL, s, len);
}

static int map_find(const struct tree *t, int parent, const char *s, size_t len, size_t *pos)
{
	size_t mask = t->mapn - 1;

	for (size_t i = key_hash(parent, s, len) & mask;; i = (i + 1) & mask) {
		int id = t->map[i];
		if (id < 0) {
			*pos = i;
			return -1;
		}
		const struct node *nd = &t->n[id];
		if (nd->parent == parent && nd->len == len && memcmp(nd->name, s, len) == 0)
			return id;
	}
}

static int map_grow(struct tree *t)
{
	size_t n = t->mapn ? t->mapn * 2 : 1024, pos;
	int *m = malloc(n * sizeof(*m));

	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		m[i] = -1;
	free(t->map);
	t->map = m;
	t->mapn = n;
	for (size_t id = 1; id < t->count; id++) {
		map_find(t, t->n[id].parent, t->n[id].name, t->n[id].len, &pos);
		t->map[pos] = (int)id;
	}
	return 0;
}

static int node_add(struct tree *t, int parent, const char *s, size_t len)
{
	size_t pos;
	int id;

	if ((t->count + 1) * 2 > t->mapn && map_grow(t))
		return -1;
	id = map_find(t, parent, s, len, &pos);
	if (id >= 0)
		return id;
	if (t->count == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct node *nn = realloc(t->n, cap * sizeof(*nn));
		if (!nn)
			return -1;
		t->n = nn;
		t->cap = cap;
	}
	id = (int)t->count++;
	t->n[id] = (struct node){s, (uint32_t)len, parent, -1, -1, -1, 0, 0};
	if (parent >= 0) {
		struct node *p = &t->n[parent];
		t->n[id].depth = p->depth + 1;
		if (p->last >= 0)
			t->n[p->last].sibling = id;
		else
			p->child = id;
		p->last = id;
		if (t->n[id].depth > t->maxdepth)
			t->maxdepth = t->n[id].depth;
	}
	t->map[pos] = id;
	return id;
}

static int tree_add(void *ctx, const char *s, size_t len, uint64_t count)
{
	struct tree *t = ctx;
	int cur = 0;
	const char *p = s, *end = s + len;

	t->n[0].value += count;
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *e = semi ? semi : end;
		if (e > p) {
			cur = node_add(t, cur, p, (size_t)(e - p));
			if (cur < 0)
				return -ENOMEM;
			t->n[cur].value += count;
		}
		p = e + 1;
	}
	return 0;
}

void flamegraph_xml_escape(FILE *fp, const char *s, size_t len)
{
	esc_xml(fp, s, len); /* valid UTF-8, no control byte: render/escape.h */
}

static int ends_with(const char *s, size_t n, const char *suf)
{
	size_t k = strlen(suf);
	return n >= k && memcmp(s + n - k, suf, k) == 0;
}

/* Stable colours: a frame keeps its colour from one graph to the next. */
static void frame_color(const struct node *nd, char *buf, size_t len)
{
	uint64_t h = key_hash(0, nd->name, nd->len);
	unsigned v1 = (unsigned)(h & 0xff), v2 = (unsigned)((h >> 8) & 0xff),
		 v3 = (unsigned)((h >> 16) & 0xff);

	if (nd->len && nd->name[0] == '[' && nd->name[nd->len - 1] == ']')
		snprintf(buf, len, "rgb(%u,%u,%u)", 160 + v1 / 8, 160 + v1 / 8, 160 + v1 / 8);
	else if (ends_with(nd->name, nd->len, "_[k]"))
		snprintf(buf, len, "rgb(%u,%u,%u)", 50 + v1 * 60 / 255, 165 + v2 * 55 / 255,
			 165 + v3 * 55 / 255);
	else
		snprintf(buf, len, "rgb(%u,%u,%u)", 205 + v1 * 50 / 255, v2 * 230 / 255,
			 v3 * 55 / 255);
}

struct layout {
	FILE *fp;
	const struct tree *t;
	double scale; /* px per sample */
	double minw;
	int height;
	const char *unit;
};

static void write_frame(const struct layout *L, const struct node *nd, double x)
{
	double w = (double)nd->value * L->scale;
	double y = L->height - FG_BOTTOM - (double)(nd->depth + 1) * FG_FRAME_H;
	double pct = 100.0 * (double)nd->value / (double)L->t->n[0].value;
	size_t fit = w > 6 ? (size_t)((w - 6) / FG_CHAR_W) : 0;
	char color[32];

	frame_color(nd, color, sizeof(color));
	fputs("<g><title>", L->fp);
	flamegraph_xml_escape(L->fp, nd->name, nd->len);
	fprintf(L->fp, " (%llu %s, %.2f%%)</title>", (unsigned long long)nd->value, L->unit, pct);
	fprintf(L->fp,
		"<rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%d\" fill=\"%s\" rx=\"2\" "
		"ry=\"2\" data-x=\"%.2f\" data-w=\"%.2f\"/>",
		x, y, w, FG_FRAME_H - 1, color, x, w);
	fprintf(L->fp, "<text x=\"%.1f\" y=\"%.1f\">", x + 3, y + FG_FRAME_H - 4.5);
	if (fit >= 3) {
		if (nd->len <= fit) {
			flamegraph_xml_escape(L->fp, nd->name, nd->len);
		} else {
			/* cut between characters: a cut one would read as \xNN */
			size_t cut = fit - 2;
			while (cut && ((unsigned char)nd->name[cut] & 0xc0) == 0x80)
				cut--;
			flamegraph_xml_escape(L->fp, nd->name, cut);
			fputs("..", L->fp);
		}
	}
	fputs("</text></g>\n", L->fp);
}

static void write_subtree(const struct layout *L, int id, double x)
{
	const struct node *nd = &L->t->n[id];

	if ((double)nd->value * L->scale < L->minw)
		return;
	write_frame(L, nd, x);
	for (int c = nd->child; c >= 0; c = L->t->n[c].sibling) {
		write_subtree(L, c, x);
		x += (double)L->t->n[c].value * L->scale;
	}
}

/* The interactive part; "data-ready" tells a test the script ran. */
static const char script[] =
    "var svg, frames, details, matched, unzoom, input, zoomed = null;\n"
    "function fname(g) { var t = g.querySelector('title').textContent;\n"
    "  var m = t.match(/^([\\s\\S]*) \\([0-9]+ [^,]*, [0-9.]+%\\)$/); return m ? m[1] : t; }\n"
    "function label(g, w) { var n = fname(g), fit = Math.floor((w - 6) / 7.08);\n"
    "  var t = g.querySelector('text');\n"
    "  t.textContent = fit < 3 ? '' : (n.length <= fit ? n : n.substring(0, fit - 2) + '..'); }\n"
    "function place(g, x, w) { var r = g.querySelector('rect'), t = g.querySelector('text');\n"
    "  r.setAttribute('x', x.toFixed(1)); r.setAttribute('width', w.toFixed(1));\n"
    "  t.setAttribute('x', (x + 3).toFixed(1)); label(g, w); }\n"
    "function zoom(g) { var r = g.querySelector('rect');\n"
    "  var x0 = +r.getAttribute('data-x'), w0 = +r.getAttribute('data-w'), y0 = "
    "+r.getAttribute('y');\n"
    "  var full = +svg.getAttribute('width') - 20, s = full / w0;\n"
    "  for (var i = 0; i < frames.length; i++) { var f = frames[i], fr = f.querySelector('rect');\n"
    "    var x = +fr.getAttribute('data-x'), w = +fr.getAttribute('data-w'), y = "
    "+fr.getAttribute('y');\n"
    "    f.classList.remove('hide'); f.classList.remove('parent');\n"
    "    if (y > y0 && x <= x0 + 1e-6 && x + w >= x0 + w0 - 1e-6) { f.classList.add('parent'); "
    "place(f, 10, full); }\n"
    "    else if (y <= y0 && x >= x0 - 1e-6 && x + w <= x0 + w0 + 1e-6) place(f, 10 + (x - x0) * "
    "s, w * s);\n"
    "    else f.classList.add('hide'); }\n"
    "  zoomed = g; unzoom.classList.remove('hide'); }\n"
    "function reset() { for (var i = 0; i < frames.length; i++) { var f = frames[i], r = "
    "f.querySelector('rect');\n"
    "    f.classList.remove('hide'); f.classList.remove('parent');\n"
    "    place(f, +r.getAttribute('data-x'), +r.getAttribute('data-w')); }\n"
    "  zoomed = null; unzoom.classList.add('hide'); }\n"
    "function search(term) { var re = null, hits = [];\n"
    "  if (term) { try { re = new RegExp(term); } catch (e) {\n"
    "    re = new RegExp(term.replace(/[.*+?^${}()|[\\]\\\\]/g, '\\\\$&')); } }\n"
    "  for (var i = 0; i < frames.length; i++) { var f = frames[i], r = f.querySelector('rect');\n"
    "    if (!r.hasAttribute('data-fill')) r.setAttribute('data-fill', r.getAttribute('fill'));\n"
    "    if (re && re.test(fname(f))) { r.setAttribute('fill', 'rgb(230,0,230)');\n"
    "      hits.push([+r.getAttribute('data-x'), +r.getAttribute('data-w')]); }\n"
    "    else r.setAttribute('fill', r.getAttribute('data-fill')); }\n"
    "  hits.sort(function (a, b) { return a[0] - b[0]; });\n"
    "  var cover = 0, end = -1;\n"
    "  for (var j = 0; j < hits.length; j++) { var a = hits[j][0], b = a + hits[j][1];\n"
    "    if (a >= end) { cover += b - a; end = b; } else if (b > end) { cover += b - end; end = b; "
    "} }\n"
    "  var root = frames.length ? +frames[0].querySelector('rect').getAttribute('data-w') : 1;\n"
    "  matched.textContent = re ? 'Matched: ' + (100 * cover / root).toFixed(1) + '% (' + "
    "hits.length + ' frames)' : ' ';\n"
    "  svg.setAttribute('data-matched', re ? (100 * cover / root).toFixed(1) : ''); }\n"
    "function init() { svg = document.documentElement;\n"
    "  frames = Array.prototype.slice.call(document.querySelectorAll('#frames > g'));\n"
    "  details = document.getElementById('details'); matched = "
    "document.getElementById('matched');\n"
    "  unzoom = document.getElementById('unzoom'); input = document.getElementById('search');\n"
    "  frames.forEach(function (g) {\n"
    "    g.addEventListener('mouseover', function () { details.textContent = "
    "g.querySelector('title').textContent; });\n"
    "    g.addEventListener('mouseout', function () { details.textContent = ' '; });\n"
    "    g.addEventListener('click', function () { zoom(g); }); });\n"
    "  unzoom.addEventListener('click', reset);\n"
    "  if (input) input.addEventListener('input', function () { search(input.value); });\n"
    "  document.getElementById('searchbtn').addEventListener('click', function () {\n"
    "    var t = window.prompt('Search (regular expression):', input ? input.value : '');\n"
    "    if (t !== null) { if (input) input.value = t; search(t); } });\n"
    "  window.addEventListener('keydown', function (e) {\n"
    "    if (e.key === 'f' && (e.ctrlKey || e.metaKey) && input) { e.preventDefault(); "
    "input.focus(); }\n"
    "    if (e.key === 'Escape') { if (input) input.value = ''; search(''); reset(); } });\n"
    "  var q = /[?&]s=([^&]*)/.exec(window.location.search);\n"
    "  if (q) { var s = decodeURIComponent(q[1]); if (input) input.value = s; search(s); }\n"
    "  svg.setAttribute('data-ready', '1'); }\n"
    "window.addEventListener('load', init);\n";

static void write_head(FILE *fp, int width, int height, const struct flamegraph_opts *o)
{
	fprintf(fp,
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"xmlns=\"http://www.w3.org/2000/svg\">\n",
		width, height, width, height);
	fputs("<style type=\"text/css\"><![CDATA[\n"
	      "text { font-family: Verdana, sans-serif; font-size: 12px; fill: #000; }\n"
	      "#title { font-size: 17px; } #frames text { pointer-events: none; }\n"
	      "#frames rect { stroke: #fff; stroke-width: 0.5; cursor: pointer; }\n"
	      "#frames g:hover rect { stroke: #000; }\n"
	      ".hide { display: none; } .parent { opacity: 0.5; }\n"
	      "#unzoom, #searchbtn { cursor: pointer; fill: #33c; }\n"
	      "]]></style>\n<script type=\"text/ecmascript\"><![CDATA[\n",
	      fp);
	fputs(script, fp);
	fprintf(
	    fp,
	    "]]></script>\n<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#f4f4ec\"/>\n"
	    "<text id=\"title\" x=\"%d\" y=\"24\" text-anchor=\"middle\">",
	    width, height, width / 2);
	flamegraph_xml_escape(fp, o->title, strlen(o->title));
	fputs("</text>\n", fp);
	if (o->subtitle) {
		fprintf(
		    fp,
		    "<text id=\"subtitle\" x=\"%d\" y=\"44\" text-anchor=\"middle\" fill=\"#555\">",
		    width / 2);
		flamegraph_xml_escape(fp, o->subtitle, strlen(o->subtitle));
		fputs("</text>\n", fp);
	}
	fprintf(fp,
		"<text id=\"unzoom\" class=\"hide\" x=\"%d\" y=\"24\">Reset zoom</text>\n"
		"<text id=\"searchbtn\" x=\"%d\" y=\"24\" text-anchor=\"end\">Search</text>\n"
		"<foreignObject x=\"%d\" y=\"8\" width=\"200\" height=\"24\">"
		"<input xmlns=\"http://www.w3.org/1999/xhtml\" id=\"search\" type=\"search\" "
		"placeholder=\"search (regex)\" style=\"width:190px\"/></foreignObject>\n"
		"<text id=\"details\" x=\"%d\" y=\"%d\"> </text>\n"
		"<text id=\"matched\" x=\"%d\" y=\"%d\" text-anchor=\"end\"> </text>\n",
		FG_XPAD, width - 215, width - 210, FG_XPAD, height - 12, width - FG_XPAD,
		height - 12);
}

int flamegraph_write_svg_ex(FILE *fp, const struct stack_agg *agg,
			    const struct flamegraph_opts *opts)
{
	struct flamegraph_opts o = opts ? *opts : (struct flamegraph_opts){0};
	struct tree t = {0};
	struct layout L;
	int rc;

	if (!o.title)
		o.title = "Flame Graph";
	if (!o.unit)
		o.unit = "samples";
	if (o.width < 200)
		o.width = 1200;
	if (map_grow(&t) || node_add(&t, -1, "all", 3) != 0) {
		rc = -ENOMEM;
		goto out;
	}
	rc = stack_agg_foreach(agg, STACK_ORDER_NAME, tree_add, &t);
	if (rc)
		goto out;
	L = (struct layout){fp,
			    &t,
			    0,
			    (o.min_width_px10 ? o.min_width_px10 : 1) / 10.0,
			    FG_TOP + FG_BOTTOM + (int)(t.maxdepth + 1) * FG_FRAME_H,
			    o.unit};
	errno = 0; /* a failed write leaves its reason (ENOSPC) for the caller */
	write_head(fp, o.width, L.height, &o);
	fputs("<g id=\"frames\">\n", fp);
	if (t.n[0].value) {
		L.scale = (double)(o.width - 2 * FG_XPAD) / (double)t.n[0].value;
		write_subtree(&L, 0, FG_XPAD);
	} else {
		fprintf(
		    fp,
		    "</g>\n<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no samples</text>\n<g>",
		    o.width / 2, L.height / 2);
	}
	fputs("</g>\n</svg>\n", fp);
	rc = ferror(fp) ? -(errno ? errno : EIO) : 0;
out:
	free(t.n);
	free(t.map);
	return rc;
}

int flamegraph_write_svg(FILE *fp, const struct stack_agg *agg, const char *title)
{
	struct flamegraph_opts o = {.title = title};

	return flamegraph_write_svg_ex(fp, agg, &o);
}
