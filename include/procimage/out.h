/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One field API for text and JSON (in the manner of iproute2's json_print).
 *
 * Each call names a JSON key and a printf format for text. In JSON mode the key
 * and value are written (strings escaped); in text mode the value is printed
 * with the format, or nothing when the format is NULL; string values (and
 * out_text's %s arguments) are escaped for a terminal (see out_printf). out_text() is text only;
 * out_obj/out_arr open JSON containers and print nothing in text mode.
 * A NULL key means an array element. Images describe their report with these
 * calls; a few look at the format: sched and syscall write folded stacks
 * for -f folded, and some shorten long text lists that JSON gives whole.
 */
#ifndef PROCIMAGE_OUT_H
#define PROCIMAGE_OUT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum out_format {
	OUT_TEXT = 0,
	OUT_JSON,
	OUT_FOLDED,
	OUT_PROM,
	OUT_CSV,
	OUT_SVG,
	OUT_HTML,
	OUT_PPROF
};

#define OUT_MAX_DEPTH 32

struct out {
	FILE *fp;
	enum out_format fmt;
	int depth;
	bool first[OUT_MAX_DEPTH]; /* no comma needed before the next member */
	bool pretty;
};

void out_init(struct out *o, FILE *fp, enum out_format fmt);
bool out_is_json(const struct out *o);

void out_obj_open(struct out *o, const char *key);
void out_obj_close(struct out *o);
void out_arr_open(struct out *o, const char *key);
void out_arr_close(struct out *o);

void out_u64(struct out *o, const char *key, const char *tfmt, uint64_t v);
void out_i64(struct out *o, const char *key, const char *tfmt, int64_t v);
void out_f64(struct out *o, const char *key, const char *tfmt, double v);
void out_str(struct out *o, const char *key, const char *tfmt, const char *s);
void out_bool(struct out *o, const char *key, const char *tfmt, bool v);
void out_null(struct out *o, const char *key, const char *ttext);

/* Text only; ignored in JSON. */
void out_text(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Write s as a JSON string literal (quotes included) to fp: a byte that is
 * not valid UTF-8 as \ufffd, controls (C0, DEL, C1) escaped. */
void out_json_string(FILE *fp, const char *s);

/*
 * Text that reaches a terminal. A task chooses its comm, argv and paths: a
 * control byte in them would retitle or clear the terminal, or forge report
 * lines with a newline. out_printf is fprintf whose %s (and %c) arguments are
 * written with every control byte (C0 including newline and tab, DEL, C1)
 * and every byte that is not valid UTF-8 as \xNN; the format's own
 * characters are written as they are. A %s precision counts input bytes and
 * the escaped form is never cut. Returns 0, or -1 after a write error.
 * Every text writer (out_str, out_text) goes through it; use it wherever a
 * task's string is printed directly.
 */
int out_printf(FILE *fp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int out_vprintf(FILE *fp, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* The same escaped form of s into buf (len > 0), NUL-terminated, cut
 * between characters when too long; returns its length. */
size_t out_escape(char *buf, size_t len, const char *s);

#endif
