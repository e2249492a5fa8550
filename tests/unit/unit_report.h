/* Shared by the unit tests: write into a string (open_memstream), through the
 * field API, and an image's report as the text of one object, for substring
 * checks. Header-only (static inline), so each test stays one .c file. */
#ifndef UNIT_REPORT_H
#define UNIT_REPORT_H

#include <stdio.h>
#include <stdlib.h>

#include "procimage/image.h"
#include "procimage/out.h"

/* A FILE that writes into a string. */
struct unit_mem {
	char *buf;
	size_t len;
	FILE *fp;
};

static inline FILE *unit_mem_open(struct unit_mem *m)
{
	m->buf = NULL;
	m->len = 0;
	m->fp = open_memstream(&m->buf, &m->len);
	if (!m->fp)
		abort();
	return m->fp;
}

/* Closes the FILE; the string is the caller's to free. */
static inline char *unit_mem_close(struct unit_mem *m)
{
	fclose(m->fp);
	return m->buf;
}

/* The field API writing one object (the envelope a command opens) into a string. */
struct unit_out {
	struct unit_mem mem;
	struct out o;
};

static inline struct out *unit_out_open(struct unit_out *u, enum out_format f)
{
	out_init(&u->o, unit_mem_open(&u->mem), f);
	out_obj_open(&u->o, NULL);
	return &u->o;
}

static inline char *unit_out_close(struct unit_out *u)
{
	out_obj_close(&u->o);
	return unit_mem_close(&u->mem);
}

/* The image's report in format f, inside one object; the caller frees it. */
static inline char *unit_report(const struct image_ops *ops, void *img, enum out_format f)
{
	struct unit_out u;

	ops->report(img, unit_out_open(&u, f));
	return unit_out_close(&u);
}

static inline char *unit_report_json(const struct image_ops *ops, void *img)
{
	return unit_report(ops, img, OUT_JSON);
}

#endif
