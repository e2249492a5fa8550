/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * printf for a terminal (out_printf, see out.h): the format is ours, the
 * %s and %c arguments may be a task's (comm, argv, a path), so they are
 * written in the text form of render/escape.h (a control byte or a byte that
 * is not UTF-8 as \xNN) and cannot retitle, clear or forge lines on the
 * terminal reading the report. The format is walked one conversion at a
 * time; every other conversion is handed to fprintf unchanged.
 */
#include "procimage/out.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "render/escape.h"

/* spec is one conversion cut from a format the compiler checked at the
 * out_printf call (its prototype carries the printf attribute). */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

size_t out_escape(char *buf, size_t len, const char *s)
{
	return esc_text_buf(buf, len, s ? s : "", s ? strlen(s) : 0, NULL);
}

enum lenmod { LM_NONE, LM_HH, LM_H, LM_L, LM_LL, LM_Z, LM_J, LM_T, LM_BIG_L };

/* One conversion whose width and precision may come from '*' arguments. */
#define PUT(T)                                                                                     \
	do {                                                                                       \
		T v_ = va_arg(*ap, T);                                                             \
		if (sw && sp)                                                                      \
			fprintf(fp, spec, w, pr, v_);                                              \
		else if (sw || sp)                                                                 \
			fprintf(fp, spec, sw ? w : pr, v_);                                        \
		else                                                                               \
			fprintf(fp, spec, v_);                                                     \
	} while (0)

/* %s: the first `precision` bytes of s (all when none), escaped, padded to
 * the width (the precision was a byte count, the escaped form may be
 * longer: it is never cut). */
static void put_string(FILE *fp, const char *flags, size_t nflags, int sw, int w, int has_w, int sp,
		       int pr, int has_pr, const char *s)
{
	char spec[24], stackbuf[512], *buf = stackbuf;
	size_t n, cap;

	if (!s)
		s = "(null)";
	n = has_pr && pr >= 0 ? strnlen(s, (size_t)pr) : strlen(s);
	(void)sp;
	cap = n * 4 + 1; /* the longest text form: every byte as \xNN */
	if (cap > sizeof(stackbuf) && !(buf = malloc(cap)))
		buf = stackbuf, cap = sizeof(stackbuf);
	esc_text_buf(buf, cap, s, n, NULL);
	snprintf(spec, sizeof(spec), "%%%.*s%s", (int)(nflags < 8 ? nflags : 8), flags,
		 sw || has_w ? "*s" : "s");
	if (sw || has_w)
		fprintf(fp, spec, w, buf);
	else
		fprintf(fp, spec, buf);
	if (buf != stackbuf)
		free(buf);
}

int out_vprintf(FILE *fp, const char *fmt, va_list args)
{
	va_list aq, *ap;
	int saved_errno = errno;

	va_copy(aq, args);
	ap = &aq; /* taken after va_copy (cppcheck) */
	for (const char *p = fmt; *p;) {
		const char *start = p, *flags;
		size_t nflags;
		int sw = 0, sp = 0, w = 0, pr = 0, has_w = 0, has_pr = 0;
		enum lenmod lm = LM_NONE;
		char spec[48];

		if (*p != '%') {
			const char *q = strchr(p, '%');
			size_t n = q ? (size_t)(q - p) : strlen(p);
			fwrite(p, 1, n, fp);
			p += n;
			continue;
		}
		p++;
		if (*p == '%') {
			fputc('%', fp);
			p++;
			continue;
		}
		flags = p;
		while (*p && strchr("-+ #0'", *p))
			p++;
		nflags = (size_t)(p - flags);
		if (*p == '*') {
			sw = 1, p++;
			w = va_arg(*ap, int);
		} else {
			for (; *p >= '0' && *p <= '9'; p++)
				w = w * 10 + (*p - '0'), has_w = 1;
		}
		if (*p == '.') {
			p++;
			has_pr = 1;
			if (*p == '*') {
				sp = 1, p++;
				pr = va_arg(*ap, int);
			} else {
				for (; *p >= '0' && *p <= '9'; p++)
					pr = pr * 10 + (*p - '0');
			}
		}
		if (*p == 'h')
			lm = p[1] == 'h' ? (p += 2, LM_HH) : (p++, LM_H);
		else if (*p == 'l')
			lm = p[1] == 'l' ? (p += 2, LM_LL) : (p++, LM_L);
		else if (*p == 'z' || *p == 'j' || *p == 't' || *p == 'L' || *p == 'q')
			lm = *p == 'z'	 ? LM_Z
			     : *p == 'j' ? LM_J
			     : *p == 't' ? LM_T
			     : *p == 'L' ? LM_BIG_L
					 : LM_LL,
			p++;
		if (!*p)
			break;
		char conv = *p++;
		snprintf(spec, sizeof(spec), "%.*s", (int)(p - start < 47 ? p - start : 47), start);
		switch (conv) {
		case 'd':
		case 'i':
			switch (lm) {
			case LM_L:
				PUT(long);
				break;
			case LM_LL:
				PUT(long long);
				break;
			case LM_Z:
			case LM_T:
				PUT(ptrdiff_t);
				break;
			case LM_J:
				PUT(intmax_t);
				break;
			default: /* char and short arrive as int */
				PUT(int);
			}
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			switch (lm) {
			case LM_L:
				PUT(unsigned long);
				break;
			case LM_LL:
				PUT(unsigned long long);
				break;
			case LM_Z:
			case LM_T:
				PUT(size_t);
				break;
			case LM_J:
				PUT(uintmax_t);
				break;
			default:
				PUT(unsigned);
			}
			break;
		case 'f':
		case 'F':
		case 'e':
		case 'E':
		case 'g':
		case 'G':
		case 'a':
		case 'A':
			if (lm == LM_BIG_L)
				PUT(long double);
			else
				PUT(double);
			break;
		case 'p':
			PUT(void *);
			break;
		case 'c': {
			char c[2] = {(char)va_arg(*ap, int), 0};
			put_string(fp, flags, nflags, sw, w, has_w, 0, 0, 0, c);
			break;
		}
		case 's':
			put_string(fp, flags, nflags, sw, w, has_w, sp, pr, has_pr,
				   va_arg(*ap, const char *));
			break;
		case 'm':
			put_string(fp, flags, nflags, sw, w, has_w, sp, pr, has_pr,
				   strerror(saved_errno));
			break;
		default: /* %n and unknown conversions: nothing */
			break;
		}
	}
	va_end(aq);
	return ferror(fp) ? -1 : 0;
}

int out_printf(FILE *fp, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = out_vprintf(fp, fmt, ap);
	va_end(ap);
	return rc;
}
