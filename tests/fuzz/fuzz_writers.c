/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the writers, not the parsers. Arbitrary bytes (a comm, argv,
 * a path, a symbol: anything a local user chooses) go through each escaper
 * of render/escape.h and through the writers built on them: the field API
 * in JSON and text (out.c, out_printf.c), the renderers of the JSON document
 * (prom.c, csv.c, html.c), folded stacks and the SVG flame graph. Each
 * output is checked against its format with checkers written here, not
 * with the escapers' own helpers (an escaper and its checker sharing a bug
 * would agree):
 *   all     valid UTF-8 (strict: no overlong form, surrogate or code point
 *           above U+10FFFF)
 *   text    no C0 control (a format's own newline aside), DEL, C1 or
 *           U+2028/U+2029; a bounded copy is a prefix of the whole form
 *   json    a string literal by RFC 8259: no raw control, known escapes;
 *           the whole document parses again (jdoc)
 *   prom    every line '# TYPE' or name{label="value",...} number, label
 *           values with only \\ and \" escapes
 *   csv     RFC 4180 records, all of the header's width, no raw control
 *   xml     (HTML, SVG) XML 1.0 characters only, no raw '<' or '&' in text,
 *           tags balanced
 *   frame   no ';', no newline
 * The first byte picks options (widths, bounds, whether the whole
 * documents are written);
 * the rest is the hostile string (and, split at its middle, a second one).
 */
#include "fuzz_common.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>

#include "procimage/out.h"
#include "render/escape.h"
#include "render/flamegraph.h"
#include "render/folded.h"
#include "render/jdoc.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "%s:%d: %s fails\n", __FILE__, __LINE__, #c);              \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* ---- checkers, independent of render/escape.c -------------------------- */

/* Length of the valid UTF-8 character at p (n > 0 bytes left), 0 if none;
 * its code point in *cp. */
static size_t utf8_char(const unsigned char *p, size_t n, uint32_t *cp)
{
	/* the well-formed sequences of Unicode's Table 3-7 */
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] == 0xe0)
		len = 3, lo = 0xa0;
	else if (p[0] == 0xed)
		len = 3, hi = 0x9f;
	else if (p[0] >= 0xe1 && p[0] <= 0xef)
		len = 3;
	else if (p[0] == 0xf0)
		len = 4, lo = 0x90;
	else if (p[0] == 0xf4)
		len = 4, hi = 0x8f;
	else if (p[0] >= 0xf1 && p[0] <= 0xf3)
		len = 4;
	else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	uint32_t c = p[0] & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	*cp = c;
	return len;
}

/* A character a terminal or a line reader acts on. */
static int control(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029;
}

/* Valid UTF-8; no control but those in `allowed`. */
static void check_utf8(const char *s, size_t n, const char *allowed)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		uint32_t c;
		size_t l = utf8_char(p + i, n - i, &c);
		CHECK(l > 0);
		CHECK(!control(c) || (c && c < 0x80 && strchr(allowed, (int)c)));
		i += l;
	}
}

/* XML 1.0 Char production (with tab, LF, CR) */
static void check_xml_chars(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		uint32_t c;
		size_t l = utf8_char(p + i, n - i, &c);
		CHECK(l > 0);
		CHECK(c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0xd7ff) ||
		      (c >= 0xe000 && c <= 0xfffd) || c >= 0x10000);
		i += l;
	}
}

/* The inside of a JSON string literal (RFC 8259 section 7). */
static void check_json_inside(const char *s, size_t n)
{
	check_utf8(s, n, "");
	for (size_t i = 0; i < n; i++) {
		CHECK(s[i] != '"');
		if (s[i] != '\\')
			continue;
		CHECK(i + 1 < n);
		char e = s[++i];
		if (e == 'u') {
			CHECK(i + 4 < n);
			for (int k = 1; k <= 4; k++)
				CHECK(strchr("0123456789abcdefABCDEF", s[i + k]) && s[i + k]);
			/* never half a surrogate pair: \ud800 alone is no text */
			unsigned v = (unsigned)strtoul(
			    (char[5]){s[i + 1], s[i + 2], s[i + 3], s[i + 4], 0}, NULL, 16);
			CHECK(v < 0xd800 || v > 0xdfff);
			i += 4;
		} else {
			CHECK(e && strchr("\"\\/bfnrt", e));
		}
	}
}

/* A Prometheus label value (between its quotes). */
static void check_prom_value(const char *s, size_t n)
{
	check_utf8(s, n, "");
	for (size_t i = 0; i < n; i++) {
		CHECK(s[i] != '"' && s[i] != '\n');
		if (s[i] == '\\') {
			CHECK(i + 1 < n &&
			      (s[i + 1] == '\\' || s[i + 1] == '"' || s[i + 1] == 'n'));
			i++;
		}
	}
}

static int name_char(char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

/* A whole exposition: TYPE lines and samples. */
static void check_prom(const char *s, size_t n)
{
	check_utf8(s, n, "\n");
	CHECK(n == 0 || s[n - 1] == '\n');
	for (const char *l = s, *end = s + n; l < end;) {
		const char *eol = memchr(l, '\n', (size_t)(end - l)), *p = l;
		CHECK(eol);
		if (!strncmp(l, "# TYPE ", 7)) {
			l = eol + 1;
			continue;
		}
		CHECK(name_char(*p, 1));
		while (p < eol && name_char(*p, 0))
			p++;
		if (*p == '{') {
			for (p++; *p != '}';) {
				CHECK(name_char(*p, 1));
				while (name_char(*p, 0))
					p++;
				CHECK(p[0] == '=' && p[1] == '"');
				const char *v = p += 2;
				while (p < eol && *p != '"')
					p += *p == '\\' ? 2 : 1;
				CHECK(p < eol);
				check_prom_value(v, (size_t)(p - v));
				p++;
				if (*p == ',')
					p++;
				else
					CHECK(*p == '}');
			}
			p++;
		}
		CHECK(*p == ' ');
		char *num_end;
		strtod(p + 1, &num_end);
		CHECK(num_end == eol && num_end > p + 1);
		l = eol + 1;
	}
}

/* RFC 4180: every record as wide as the first; fields with no raw control.
 * Returns the number of records. */
static size_t check_csv(const char *s, size_t n)
{
	size_t width = 0, fields = 1, records = 0;

	check_utf8(s, n, "\n");
	for (size_t i = 0; i < n;) {
		if (s[i] == '"') { /* a quoted field: "" is a quote, ends at a lone " */
			for (i++;; i++) {
				CHECK(i < n);
				if (s[i] == '"' && i + 1 < n && s[i + 1] == '"')
					i++;
				else if (s[i] == '"')
					break;
				else
					CHECK(s[i] != '\n');
			}
			i++;
			CHECK(i < n && (s[i] == ',' || s[i] == '\n'));
		}
		while (i < n && s[i] != ',' && s[i] != '\n')
			CHECK(s[i++] != '"');
		CHECK(i < n);
		if (s[i] == ',') {
			fields++;
		} else {
			if (!records++)
				width = fields;
			CHECK(fields == width);
			fields = 1;
		}
		i++;
	}
	return records;
}

static const char *const void_tags[] = {"meta", "img", "br", "hr", "input", "link", NULL};

/* XML or HTML: characters, entities, balanced tags; <style>, <script>
 * CDATA and comments skipped. */
static void check_markup(const char *s, size_t n, int xml)
{
	char stack[64][16];
	int depth = 0;

	check_xml_chars(s, n);
	for (size_t i = 0; i < n;) {
		if (s[i] == '&') {
			static const char *const ent[] = {"&amp;",  "&lt;",   "&gt;",
							  "&quot;", "&apos;", NULL};
			int ok = 0;
			for (int k = 0; ent[k] && !ok; k++)
				ok = !strncmp(s + i, ent[k], strlen(ent[k]));
			CHECK(ok);
			i++;
			continue;
		}
		if (s[i] == '>') /* text never holds one raw (escaped as &gt;) */
			CHECK(0);
		if (s[i] != '<') {
			i++;
			continue;
		}
		const char *skip_to = NULL;
		if (!strncmp(s + i, "<![CDATA[", 9))
			skip_to = "]]>";
		else if (!strncmp(s + i, "<!--", 4))
			skip_to = "-->";
		else if (!strncmp(s + i, "<?", 2))
			skip_to = "?>";
		else if (!strncmp(s + i, "<!DOCTYPE", 9))
			skip_to = ">";
		else if (!strncmp(s + i, "<style", 6) && !xml)
			skip_to = "</style>";
		if (skip_to) {
			const char *e = memmem(s + i, n - i, skip_to, strlen(skip_to));
			CHECK(e);
			i = (size_t)(e - s) + strlen(skip_to);
			continue;
		}
		int close = s[i + 1] == '/';
		size_t k = i + 1 + (size_t)close, t = 0;
		char name[16];
		while (k < n && t < sizeof(name) - 1 &&
		       (isalnum((unsigned char)s[k]) || s[k] == ':'))
			name[t++] = s[k++];
		name[t] = 0;
		CHECK(t > 0);
		/* attributes: quoted values, no raw '<' or '>' inside */
		int self = 0;
		while (k < n && s[k] != '>') {
			if (s[k] == '"' || s[k] == '\'') {
				char q = s[k++];
				while (k < n && s[k] != q) {
					CHECK(s[k] != '<' && s[k] != '>');
					k++;
				}
				CHECK(k < n);
			}
			self = s[k] == '/';
			k++;
		}
		CHECK(k < n);
		int is_void = 0;
		for (int v = 0; !xml && void_tags[v]; v++)
			is_void |= !strcmp(void_tags[v], name);
		if (close) {
			CHECK(depth > 0 && !strcmp(stack[depth - 1], name));
			depth--;
		} else if (!self && !is_void) {
			CHECK(depth < 64);
			strcpy(stack[depth++], name);
		}
		i = k + 1;
	}
	CHECK(depth == 0);
}

/* ---- capture a writer's output ------------------------------------------ */

struct buf {
	char *p;
	size_t n;
	FILE *fp;
};

static FILE *buf_open(struct buf *b)
{
	b->p = NULL;
	b->n = 0;
	b->fp = open_memstream(&b->p, &b->n);
	CHECK(b->fp);
	return b->fp;
}

static void buf_close(struct buf *b)
{
	CHECK(fclose(b->fp) == 0);
}

/* ---- the targets --------------------------------------------------------- */

static void escapers(const char *s, size_t n, unsigned opt)
{
	struct buf whole, b;
	char *copy = fuzz_cstr((const uint8_t *)s, n);
	size_t clen = strlen(copy); /* the C-string writers stop at a NUL */

	/* text: and a bounded copy is a prefix, cut between escapes */
	esc_text(buf_open(&whole), s, n);
	buf_close(&whole);
	check_utf8(whole.p, whole.n, "");
	CHECK(esc_text_clean(s, n) == (whole.n == n && !memcmp(whole.p, s, n)));
	size_t outlen = 1 + opt % 64, used = 0;
	char *small = malloc(outlen);
	size_t sl = esc_text_buf(small, outlen, s, n, &used);
	CHECK(sl < outlen && small[sl] == 0 && sl <= whole.n && !memcmp(small, whole.p, sl));
	CHECK(used <= n);
	if (used == n)
		CHECK(sl == whole.n);
	/* a prefix of the whole that is cut between units: what is left
	 * would not have fitted */
	free(small);
	free(whole.p);

	/* json */
	esc_json(buf_open(&b), s, n);
	buf_close(&b);
	check_json_inside(b.p, b.n);
	free(b.p);

	/* xml */
	esc_xml(buf_open(&b), s, n);
	buf_close(&b);
	check_markup(b.p, b.n, 1);
	check_utf8(b.p, b.n, "");
	free(b.p);

	/* csv: one field, then a record of two */
	esc_csv(buf_open(&b), copy);
	fputc(',', b.fp);
	esc_csv(b.fp, copy);
	fputc('\n', b.fp);
	buf_close(&b);
	CHECK(check_csv(b.p, b.n) == 1);
	free(b.p);

	/* prom label value, bounded */
	char lab[300], fr[300];
	size_t pl = esc_prom(lab, 1 + opt % sizeof(lab), copy);
	CHECK(pl == strlen(lab));
	check_prom_value(lab, pl);

	/* folded frame */
	size_t fl = esc_frame(fr, 1 + (opt * 7) % sizeof(fr), s, n);
	CHECK(fl == strlen(fr));
	check_utf8(fr, fl, "");
	CHECK(!memchr(fr, ';', fl));
	fl = stack_frame_sanitize(copy, fr, sizeof(fr));
	CHECK(!memchr(fr, ';', fl) && fl == strlen(fr));
	(void)clen;
	free(copy);
}

/* out_printf: the format's own characters as they are, every %s / %c
 * argument in the text form, whatever the width and precision. */
static void printf_writer(const char *s, unsigned opt)
{
	struct buf b;
	int w = (int)(opt % 40) - 20, pr = (int)(opt / 40 % 20);

	out_printf(buf_open(&b), "[%s|%-12s|%*s|%.*s|%c|%5.3s|%d|%%]\n", s, s, w, s, pr, s, s[0], s,
		   (int)opt);
	buf_close(&b);
	CHECK(b.n > 0 && b.p[b.n - 1] == '\n');
	check_utf8(b.p, b.n - 1, "");
	CHECK(!memchr(b.p, '\n', b.n - 1));
	free(b.p);
}

/* A report through the field API: the hostile strings as keys and values,
 * in an array of objects (labels, rows), beside numbers. */
static void report(struct out *o, const char *k, const char *v)
{
	out_obj_open(o, NULL);
	out_str(o, "schema", NULL, "procimage/1");
	out_str(o, "image", NULL, "resource");
	out_str(o, "host", "host %s\n", v);
	out_obj_open(o, "sources");
	out_obj_open(o, k);
	out_str(o, "status", NULL, v);
	out_str(o, "reason", "%s\n", v);
	out_u64(o, "lost", NULL, 1);
	out_obj_close(o);
	out_obj_close(o);
	out_arr_open(o, "tasks");
	for (int i = 0; i < 2; i++) {
		out_obj_open(o, NULL);
		out_i64(o, "pid", "%5lld ", 100 + i);
		out_str(o, "comm", "%-16s ", i ? k : v);
		out_str(o, k, "%s", v);
		out_f64(o, "cpu_pct", "%.1f\n", 12.5);
		out_arr_open(o, "stacks_folded");
		out_str(o, NULL, NULL, v);
		out_arr_close(o);
		out_obj_close(o);
	}
	out_arr_close(o);
	out_obj_open(o, "errnos");
	out_u64(o, k, NULL, 3);
	out_obj_close(o);
	out_text(o, "%s|%s\n", k, v);
	out_obj_close(o);
}

static void field_writers(const char *k, const char *v)
{
	struct buf js, b;
	struct out o;
	char err[128];

	/* text: no control but the formats' own newlines, one per line
	 * written above (a forged line would add one) */
	out_init(&o, buf_open(&b), OUT_TEXT);
	report(&o, k, v);
	buf_close(&b);
	check_utf8(b.p, b.n, "\n");
	size_t lines = 0;
	for (size_t i = 0; i < b.n; i++)
		lines += b.p[i] == '\n';
	CHECK(lines == 5);
	free(b.p);

	out_init(&o, buf_open(&js), OUT_JSON);
	report(&o, k, v);
	buf_close(&js);
	check_utf8(js.p, js.n, "\n");
	struct jv *doc = jdoc_parse(js.p, js.n, err, sizeof(err));
	if (!doc)
		fprintf(stderr, "%s\n%.*s\n", err, (int)js.n, js.p);
	CHECK(doc);
	free(js.p);

	CHECK(render_prom(buf_open(&b), doc) == 0);
	buf_close(&b);
	check_prom(b.p, b.n);
	free(b.p);

	CHECK(render_csv(buf_open(&b), doc) == 0);
	buf_close(&b);
	CHECK(check_csv(b.p, b.n) >= 3); /* header, two tasks */
	free(b.p);

	CHECK(render_html(buf_open(&b), doc) == 0);
	buf_close(&b);
	check_markup(b.p, b.n, 0);
	check_utf8(b.p, b.n, "\n");
	free(b.p);
	jdoc_free(doc);
}

/* Folded lines and the SVG flame graph of stacks whose frames are the
 * hostile strings, raw (an adder that forgot stack_frame_sanitize). */
static void stack_writers(const char *k, const char *v, unsigned opt)
{
	struct stack_agg *a = stack_agg_new();
	struct buf b;
	char line[1200];

	CHECK(a);
	snprintf(line, sizeof(line), "%s;%s", k, v);
	line[strcspn(line, "\n")] = 0; /* the adders refuse a newline */
	if (line[0])
		stack_agg_add(a, line, strlen(line), 1 + opt);
	stack_agg_add(a, "main;leaf", 9, 2);

	CHECK(stack_agg_write_folded(a, buf_open(&b)) == 0);
	buf_close(&b);
	check_utf8(b.p, b.n, "\n");
	for (char *l = b.p, *e; l < b.p + b.n; l = e + 1) {
		e = memchr(l, '\n', (size_t)(b.p + b.n - l));
		CHECK(e);
		char *sp = e;
		while (sp > l && sp[-1] >= '0' && sp[-1] <= '9')
			sp--;
		CHECK(sp < e && sp > l && sp[-1] == ' ');
	}
	free(b.p);

	struct flamegraph_opts fo = {.title = v, .subtitle = k, .width = 200 + (int)opt * 4};
	CHECK(flamegraph_write_svg_ex(buf_open(&b), a, &fo) == 0);
	buf_close(&b);
	check_markup(b.p, b.n, 1);
	free(b.p);
	stack_agg_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 1024) /* per-unit rules: longer adds time, not cases */
		return 0;
	unsigned opt = data[0];
	const char *s = (const char *)data + 1;
	size_t n = size - 1, half = n / 2;
	char *k = fuzz_cstr((const uint8_t *)s, half),
	     *v = fuzz_cstr((const uint8_t *)s + half, n - half);

	escapers(s, n, opt);
	printf_writer(v, opt);
	/* the whole documents cost ~20x the escapers: one input in eight (the
	 * option byte is the fuzzer's to choose), so the suite's fixed runs
	 * stay short */
	if (opt % 8 == 0) {
		field_writers(k, v);
		stack_writers(k, v, opt);
	}
	free(k);
	free(v);
	return 0;
}
