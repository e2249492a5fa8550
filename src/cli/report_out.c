/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where a report goes and in which format (see store_cmd.h report_write):
 * text and JSON straight through the field API; prom, csv and html derived
 * from the JSON document. -o was opened before the run (options.h): the file
 * appears whole when the report is complete, so node_exporter never reads
 * half a prom file, and a report that fails half way leaves -o as it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/store_cmd.h"
#include "procimage/image.h"
#include "render/jdoc.h"

static int render(enum out_format fmt, FILE *fp, const struct jv *doc)
{
	static const char *names[16];

	for (int i = 0; (size_t)i + 1 < sizeof(names) / sizeof(names[0]) && image_at(i); i++)
		names[i] = image_at(i)->name;
	jdoc_set_images(names);
	switch (fmt) {
	case OUT_PROM:
		return render_prom(fp, doc);
	case OUT_CSV:
		return render_csv(fp, doc);
	case OUT_HTML:
		return render_html(fp, doc);
	default:
		return -EINVAL;
	}
}

static int write_derived(struct run_opts *o, const char *json, size_t len)
{
	char err[128];
	struct jv *doc = jdoc_parse(json, len, err, sizeof(err));
	FILE *fp;
	int rc;

	if (!doc) {
		snprintf(o->err, sizeof(o->err), "internal error: the report is not JSON (%s)",
			 err);
		return 1;
	}
	fp = opts_open_output(o);
	if (!fp) {
		jdoc_free(doc);
		return 1;
	}
	rc = render(o->fmt, fp, doc);
	if (ferror(fp)) /* a failed write (full disk): say why, not just EIO */
		rc = -(errno ? errno : EIO);
	jdoc_free(doc);
	if (rc) {
		opts_abort_output(o, fp); /* -o keeps what it had */
		snprintf(o->err, sizeof(o->err), "cannot write the report to '%s': %s",
			 o->output && strcmp(o->output, "-") ? o->output : "stdout", strerror(-rc));
		return 1;
	}
	return opts_close_output(o, fp);
}

/* The report in o->fmt. 0, or 1 with o->err set. */
static int write_report(struct run_opts *o, report_fn fn, void *ctx)
{
	struct out out;
	FILE *fp;

	if (o->fmt == OUT_PROM || o->fmt == OUT_CSV || o->fmt == OUT_HTML) {
		char *buf = NULL;
		size_t len = 0;
		FILE *ms = open_memstream(&buf, &len);
		if (!ms)
			return snprintf(o->err, sizeof(o->err), "out of memory"), 1;
		out_init(&out, ms, OUT_JSON);
		fn(ctx, &out);
		fclose(ms);
		int rc = write_derived(o, buf, len);
		free(buf);
		return rc;
	}
	if (o->fmt == OUT_SVG) {
		/* a command that draws a flame graph does it itself, and
		 * options.c refuses svg for the others: never text instead */
		snprintf(o->err, sizeof(o->err), "-f svg: %s does not draw flame graphs", o->cmd);
		return EXIT_USAGE;
	}
	fp = opts_open_output(o);
	if (!fp)
		return 1;
	/* folded: only the lines an image writes in folded mode (sched's hogs) */
	out_init(&out, fp, o->fmt);
	fn(ctx, &out);
	return opts_close_output(o, fp);
}

int report_write(struct run_opts *o, report_fn fn, void *ctx)
{
	int rc = write_report(o, fn, ctx);

	/* Said here, because not every caller prints o->err (record's live
	 * report); cleared so that the ones that do do not say it twice. */
	if (rc && o->err[0]) {
		fprintf(stderr, "procimage %s: %s\n", o->cmd, o->err);
		o->err[0] = 0;
	}
	return rc;
}

static void run_report_fn(void *ctx, struct out *o)
{
	run_report(ctx, o);
}

int report_write_run(struct run_opts *o, struct run *r)
{
	return report_write(o, run_report_fn, r);
}

void report_image_list(char *buf, size_t len)
{
	size_t n = 0;
	int count = 0;

	while (image_at(count))
		count++;
	buf[0] = 0;
	for (int i = 0; i < count && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s",
				      i == 0	       ? ""
				      : i == count - 1 ? " or "
						       : ", ",
				      image_at(i)->name);
}
