/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The escapers of every output format (rules in escape.h and
 * docs/formats.md). All but JSON start from the text form: one unit at a
 * time, a unit being a valid UTF-8 character or a byte that is not part of
 * one, so that a bounded copy is cut between units, never inside one.
 */
#include "render/escape.h"

#include <string.h>

/* The longest text form of one unit: U+FFFE, 3 bytes as \xNN each. */
#define UNIT_MAX 12

size_t esc_utf8(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t c = p[0];
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, c &= 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, c &= 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, c &= 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Characters shown as their bytes in hex: controls, the two
 * non-characters XML 1.0 refuses, and the Unicode line and paragraph
 * separators (U+2028, U+2029), which Python's splitlines, JavaScript before
 * ES2019 and some terminals take for a line break: a forged line all the
 * same. */
static int hidden(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0xfffe || cp == 0xffff ||
	       cp == 0x2028 || cp == 0x2029;
}

/* The text form of the unit at p into out (UNIT_MAX bytes); returns the
 * bytes of p it covers, *outn the bytes written. */
static size_t text_unit(const unsigned char *p, size_t n, char *out, size_t *outn)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t cp;
	size_t l = esc_utf8(p, n, &cp);

	if (l && !hidden(cp)) {
		memcpy(out, p, l);
		*outn = l;
		return l;
	}
	if (!l)
		l = 1;
	for (size_t i = 0; i < l; i++) {
		out[4 * i] = '\\';
		out[4 * i + 1] = 'x';
		out[4 * i + 2] = hex[p[i] >> 4];
		out[4 * i + 3] = hex[p[i] & 15];
	}
	*outn = 4 * l;
	return l;
}

int esc_text_clean(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t l = esc_utf8(p + i, len - i, &cp);
		if (!l || hidden(cp))
			return 0;
		i += l;
	}
	return 1;
}

void esc_text(FILE *fp, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char u[UNIT_MAX];

	for (size_t i = 0, n; i < len;) {
		i += text_unit(p + i, len - i, u, &n);
		fwrite(u, 1, n, fp);
	}
}

/* The text form of s, each unit passed through map (NULL: as is), into
 * out; stops before a unit whose mapped form does not fit. */
typedef size_t (*unit_map)(const char *u, size_t n, char *out);

static size_t text_buf(char *out, size_t outlen, const char *s, size_t len, size_t *used,
		       unit_map map)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, i = 0;

	if (!outlen)
		return 0;
	while (i < len) {
		char u[UNIT_MAX], m[2 * UNIT_MAX];
		size_t n, c = text_unit(p + i, len - i, u, &n);
		const char *w = u;
		if (map) {
			n = map(u, n, m);
			w = m;
		}
		if (o + n + 1 > outlen)
			break;
		memcpy(out + o, w, n);
		o += n;
		i += c;
	}
	out[o] = '\0';
	if (used)
		*used = i;
	return o;
}

size_t esc_text_buf(char *out, size_t outlen, const char *s, size_t len, size_t *used)
{
	return text_buf(out, outlen, s, len, used, NULL);
}

void esc_json(FILE *fp, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t l = esc_utf8(p + i, len - i, &cp);
		if (!l) {
			fputs("\\ufffd", fp);
			i++;
			continue;
		}
		switch (cp) {
		case '"':
			fputs("\\\"", fp);
			break;
		case '\\':
			fputs("\\\\", fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		case '\r':
			fputs("\\r", fp);
			break;
		case '\b':
			fputs("\\b", fp);
			break;
		case '\f':
			fputs("\\f", fp);
			break;
		default:
			/* U+2028/U+2029: valid JSON, but a line break to
			 * JavaScript before ES2019 */
			if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029)
				fprintf(fp, "\\u%04x", (unsigned)cp);
			else
				fwrite(p + i, 1, l, fp);
		}
		i += l;
	}
}

void esc_xml(FILE *fp, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char u[UNIT_MAX];

	for (size_t i = 0, n; i < len;) {
		i += text_unit(p + i, len - i, u, &n);
		if (n != 1) {
			fwrite(u, 1, n, fp);
			continue;
		}
		switch (u[0]) {
		case '&':
			fputs("&amp;", fp);
			break;
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		case '\'':
			fputs("&apos;", fp);
			break;
		default:
			fputc(u[0], fp);
		}
	}
}

void esc_csv(FILE *fp, const char *s)
{
	size_t len = strlen(s);
	int quote = strpbrk(s, ",\"") != NULL;
	const unsigned char *p = (const unsigned char *)s;
	char u[UNIT_MAX];

	/* The text form has no CR or LF left: only these two need quotes. */
	if (quote)
		fputc('"', fp);
	for (size_t i = 0, n; i < len;) {
		i += text_unit(p + i, len - i, u, &n);
		if (n == 1 && u[0] == '"')
			fputc('"', fp);
		fwrite(u, 1, n, fp);
	}
	if (quote)
		fputc('"', fp);
}

static size_t prom_unit(const char *u, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (u[i] == '\\' || u[i] == '"')
			out[o++] = '\\';
		out[o++] = u[i];
	}
	return o;
}

size_t esc_prom(char *out, size_t outlen, const char *s)
{
	return text_buf(out, outlen, s, strlen(s), NULL, prom_unit);
}

static size_t frame_unit(const char *u, size_t n, char *out)
{
	memcpy(out, u, n);
	if (n == 1 && u[0] == ';')
		out[0] = ':';
	return n;
}

size_t esc_frame(char *out, size_t outlen, const char *s, size_t len)
{
	return text_buf(out, outlen, s, len, NULL, frame_unit);
}
