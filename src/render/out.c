/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The field API (see out.h). JSON is written compactly with commas tracked
 * per nesting level; every string goes through one escaper, because comm,
 * argv and file names are attacker-controlled text: esc_json in JSON,
 * out_printf's text form in text (render/escape.h).
 */
#include "procimage/out.h"

#include "render/escape.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

/* tfmt is the caller's text format for one value of the function's type:
 * the compiler cannot check it here (-Wformat=2 would refuse every call). */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

void out_init(struct out *o, FILE *fp, enum out_format fmt)
{
	memset(o, 0, sizeof(*o));
	o->fp = fp;
	o->fmt = fmt;
	o->first[0] = true;
}

bool out_is_json(const struct out *o)
{
	return o->fmt == OUT_JSON;
}

void out_json_string(FILE *fp, const char *s)
{
	fputc('"', fp);
	if (s)
		esc_json(fp, s, strlen(s));
	fputc('"', fp);
}

/* Comma and key before a member. */
static void member(struct out *o, const char *key)
{
	if (!o->first[o->depth])
		fputc(',', o->fp);
	o->first[o->depth] = false;
	if (key) {
		out_json_string(o->fp, key);
		fputc(':', o->fp);
	}
}

static void open_container(struct out *o, const char *key, char c)
{
	if (o->fmt != OUT_JSON)
		return;
	if (o->depth > 0 || !o->first[0])
		member(o, key);
	else
		o->first[0] = false;
	fputc(c, o->fp);
	if (o->depth < OUT_MAX_DEPTH - 1)
		o->depth++;
	o->first[o->depth] = true;
}

static void close_container(struct out *o, char c)
{
	if (o->fmt != OUT_JSON)
		return;
	fputc(c, o->fp);
	if (o->depth > 0)
		o->depth--;
	if (o->depth == 0)
		fputc('\n', o->fp);
}

void out_obj_open(struct out *o, const char *key)
{
	open_container(o, key, '{');
}

void out_obj_close(struct out *o)
{
	close_container(o, '}');
}

void out_arr_open(struct out *o, const char *key)
{
	open_container(o, key, '[');
}

void out_arr_close(struct out *o)
{
	close_container(o, ']');
}

void out_u64(struct out *o, const char *key, const char *tfmt, uint64_t v)
{
	if (o->fmt == OUT_JSON) {
		member(o, key);
		fprintf(o->fp, "%" PRIu64, v);
	} else if (tfmt && o->fmt == OUT_TEXT) {
		fprintf(o->fp, tfmt, v);
	}
}

void out_i64(struct out *o, const char *key, const char *tfmt, int64_t v)
{
	if (o->fmt == OUT_JSON) {
		member(o, key);
		fprintf(o->fp, "%" PRId64, v);
	} else if (tfmt && o->fmt == OUT_TEXT) {
		fprintf(o->fp, tfmt, v);
	}
}

void out_f64(struct out *o, const char *key, const char *tfmt, double v)
{
	if (o->fmt == OUT_JSON) {
		member(o, key);
		if (isfinite(v))
			fprintf(o->fp, "%.6g", v);
		else
			fputs("null", o->fp);
	} else if (tfmt && o->fmt == OUT_TEXT) {
		fprintf(o->fp, tfmt, v);
	}
}

void out_str(struct out *o, const char *key, const char *tfmt, const char *s)
{
	if (o->fmt == OUT_JSON) {
		member(o, key);
		if (s)
			out_json_string(o->fp, s);
		else
			fputs("null", o->fp);
	} else if (tfmt && o->fmt == OUT_TEXT) {
		out_printf(o->fp, tfmt, s ? s : "-");
	}
}

void out_bool(struct out *o, const char *key, const char *tfmt, bool v)
{
	if (o->fmt == OUT_JSON) {
		member(o, key);
		fputs(v ? "true" : "false", o->fp);
	} else if (tfmt && o->fmt == OUT_TEXT) {
		fprintf(o->fp, tfmt, v ? "yes" : "no");
	}
}

void out_null(struct out *o, const char *key, const char *ttext)
{
	if (o->fmt == OUT_JSON) {
		member(o, key);
		fputs("null", o->fp);
	} else if (ttext && o->fmt == OUT_TEXT) {
		fputs(ttext, o->fp);
	}
}

void out_text(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->fmt != OUT_TEXT)
		return;
	va_start(ap, fmt);
	out_vprintf(o->fp, fmt, ap);
	va_end(ap);
}
