/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One escaper per output format, for text procimage does not control: comm,
 * argv, paths, cgroup names, kernel log lines and symbol names are any bytes
 * a local user chose. Every writer in src/render/ goes through these (and
 * src/cli, src/images through out_printf/out_escape of out.h), so each
 * format's rule lives in one place (docs/formats.md):
 *
 *   text    a byte that is not part of valid UTF-8, a C0 control (tab and
 *           newline included), DEL, and each byte of a C1 control
 *           (U+0080..U+009F), of U+FFFE/U+FFFF or of the line and paragraph
 *           separators U+2028/U+2029: "\xNN" (lower-case hex).
 *           Backslash is left alone, so escaping twice changes nothing.
 *   json    short escapes (\" \\ \n \t \r \b \f), other C0, DEL, C1, U+2028
 *           and U+2029 as \uXXXX, a byte that is not valid UTF-8 as \ufffd.
 *   prom    label value: the text form, then \\ and \" (it never holds a
 *           newline, being text-escaped).
 *   csv     the text form, quoted (RFC 4180, "" for ") when it holds a comma
 *           or a quote.
 *   xml     (SVG and HTML) the text form with & < > " ' as entities.
 *   frame   (folded stacks) the text form with ';' as ':'.
 *
 * UTF-8 is decoded strictly (no overlong forms, no surrogates, nothing above
 * U+10FFFF), as Python's decoder and XML parsers do.
 */
#ifndef PROCIMAGE_RENDER_ESCAPE_H
#define PROCIMAGE_RENDER_ESCAPE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Length (1..4) of the valid UTF-8 character at p (n bytes available), its
 * code point in *cp; 0 when p[0] does not start one. n > 0. */
size_t esc_utf8(const unsigned char *p, size_t n, uint32_t *cp);

/* The text form of s (len bytes) to fp. */
void esc_text(FILE *fp, const char *s, size_t len);
/* The text form into out (outlen > 0), NUL-terminated, never cutting an
 * escape or a character; returns its length. *used (may be NULL) is how
 * many bytes of s it covers. */
size_t esc_text_buf(char *out, size_t outlen, const char *s, size_t len, size_t *used);
/* Whether the text form of s is s itself. */
int esc_text_clean(const char *s, size_t len);

/* The inside of a JSON string literal (no quotes). */
void esc_json(FILE *fp, const char *s, size_t len);
/* Text, then XML's five special characters as entities. */
void esc_xml(FILE *fp, const char *s, size_t len);
/* One CSV field (NUL-terminated), quoted when it must be. */
void esc_csv(FILE *fp, const char *s);
/* A Prometheus label value (without its quotes) into out, NUL-terminated,
 * never cutting an escape or a character; returns its length. */
size_t esc_prom(char *out, size_t outlen, const char *s);
/* A folded-stack frame into out (see esc_text_buf); returns its length. */
size_t esc_frame(char *out, size_t outlen, const char *s, size_t len);

#endif
