/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A JSON document tree, for the renderers that derive from the JSON report
 * (Prometheus text, CSV, HTML): images describe their report once with the
 * out_* API, and every other format is computed from that JSON, so an image
 * added later gets prom, csv and html output without code of its own.
 * Object members keep their order. Not for the hot path.
 */
#ifndef PROCIMAGE_JDOC_H
#define PROCIMAGE_JDOC_H

#include <stddef.h>
#include <stdio.h>

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype type;
	double num;	 /* J_NUM, J_BOOL (0/1) */
	char *str;	 /* J_STR; for J_NUM the number as written */
	char *key;	 /* member name inside an object, else NULL */
	struct jv *kids; /* J_ARR, J_OBJ: first child */
	struct jv *next; /* next sibling */
	size_t n;	 /* number of children */
};

/* Parse len bytes. NULL with err set on a syntax error or ENOMEM. */
struct jv *jdoc_parse(const char *s, size_t len, char *err, size_t errlen);
void jdoc_free(struct jv *v);
/* Member of an object, or NULL. */
const struct jv *jdoc_get(const struct jv *obj, const char *key);
/* Number member (or def when absent or not a number). */
double jdoc_num(const struct jv *obj, const char *key, double def);
/* String member, or NULL. */
const char *jdoc_str(const struct jv *obj, const char *key);

/* The rows an array element holds of its own (the syscall sequence's
 * calls[]: the last syscalls of one caller), which CSV and HTML flatten into
 * one row each under the element's identity. NULL when e has none. */
const struct jv *jdoc_nested_rows(const struct jv *e);

/* Which keys name an image: render knows no image, so the caller gives
 * their names (a NULL-terminated list; it must outlive the rendering) before
 * it renders. jdoc_is_image: whether name is one of them. */
void jdoc_set_images(const char *const *names);
int jdoc_is_image(const char *name);

/* Whether o is an object of image reports keyed by image name (triage's
 * "images": {"resource": {..}, "syscall": {..}}), which the renderers show
 * as those images. */
int jdoc_image_set(const struct jv *o);

/* The renderers (src/render/{prom,csv,html}.c). 0, or -errno. */
int render_prom(FILE *fp, const struct jv *doc);
int render_csv(FILE *fp, const struct jv *doc);
int render_html(FILE *fp, const struct jv *doc);

#endif
