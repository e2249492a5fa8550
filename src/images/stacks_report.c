/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The stacks image's report: totals, on/off-CPU split, the hottest functions
 * (self = leaf frame, total = anywhere in the stack) and the stacks by count.
 * Text for a terminal, JSON for scripts; folded and SVG output are written by
 * the command from the same aggregate.
 */
#include <stdlib.h>
#include <string.h>

#include "images/stacks.h"
#include "procimage/out.h"

#define TOP_TEXT 15

struct fn_ctx {
	struct stack_agg *self, *total;
};

static int is_marker(const char *s, size_t n)
{
	return (n == 8 && memcmp(s, "[on-cpu]", 8) == 0) ||
	       (n == 9 && memcmp(s, "[off-cpu]", 9) == 0);
}

/* Split one stack; skip the root (comm) and state markers. */
static int add_functions(void *ctx, const char *s, size_t len, uint64_t count)
{
	struct fn_ctx *c = ctx;
	const char *p = memchr(s, ';', len), *end = s + len;
	const char *seen[256];
	size_t seenl[256], nseen = 0;
	const char *leaf = NULL;
	size_t leafl = 0;

	while (p && p < end) {
		p++;
		const char *e = memchr(p, ';', (size_t)(end - p));
		size_t n = (size_t)((e ? e : end) - p);
		if (n && !is_marker(p, n)) {
			int dup = 0;
			for (size_t i = 0; i < nseen && !dup; i++)
				dup = seenl[i] == n && memcmp(seen[i], p, n) == 0;
			if (!dup && nseen < 256) {
				seen[nseen] = p;
				seenl[nseen++] = n;
				stack_agg_add(c->total, p, n, count);
			}
			leaf = p;
			leafl = n;
		}
		p = e;
	}
	if (leaf)
		stack_agg_add(c->self, leaf, leafl, count);
	return 0;
}

struct row_ctx {
	struct out *o;
	const struct stack_agg *self;
	uint64_t all;
	int left;
	int json_all;
};

static double pct(uint64_t n, uint64_t all)
{
	return all ? 100.0 * (double)n / (double)all : 0.0;
}

static int fn_row(void *ctx, const char *s, size_t n, uint64_t total)
{
	struct row_ctx *c = ctx;
	char name[512];
	uint64_t self;

	if (c->left-- <= 0)
		return 1;
	snprintf(name, sizeof(name), "%.*s", (int)(n < 511 ? n : 511), s);
	self = stack_agg_get(c->self, name);
	out_obj_open(c->o, NULL);
	out_str(c->o, "function", NULL, name);
	out_u64(c->o, "total", NULL, total);
	out_f64(c->o, "total_pct", "  %6.1f", pct(total, c->all));
	out_u64(c->o, "self", NULL, self);
	out_f64(c->o, "self_pct", "  %6.1f", pct(self, c->all));
	out_text(c->o, "  %s\n", name);
	out_obj_close(c->o);
	return 0;
}

static int stack_row(void *ctx, const char *s, size_t n, uint64_t count)
{
	struct row_ctx *c = ctx;
	char *line;

	if (!c->json_all && c->left-- <= 0)
		return 1;
	line = strndup(s, n);
	if (!line)
		return 1;
	out_obj_open(c->o, NULL);
	out_u64(c->o, "count", "  %6llu", count);
	out_f64(c->o, "pct", "  %5.1f  ", pct(count, c->all));
	out_str(c->o, "stack", NULL, line);
	/* Text: the leaf end is what matters; cut from the root side. */
	out_text(c->o, "%s%s\n", n > 110 ? ".." : "", n > 110 ? line + n - 108 : line);
	out_obj_close(c->o);
	free(line);
	return 0;
}

static void report_functions(struct out *o, const struct stack_agg *agg, uint64_t all)
{
	struct fn_ctx c = {stack_agg_new(), stack_agg_new()};

	if (c.self && c.total && stack_agg_foreach(agg, STACK_ORDER_NAME, add_functions, &c) == 0) {
		struct row_ctx rc = {o, c.self, all, out_is_json(o) ? 50 : TOP_TEXT, 0};
		out_text(o,
			 "\nhottest functions (total = anywhere in the stack, self = its leaf):\n"
			 "  total%%   self%%  function\n");
		out_arr_open(o, "functions");
		stack_agg_foreach(c.total, STACK_ORDER_COUNT, fn_row, &rc);
		out_arr_close(o);
	}
	stack_agg_free(c.self);
	stack_agg_free(c.total);
}

void stacks_image_report(void *img, struct out *o)
{
	struct stacks_summary s;
	const struct stack_agg *agg = stacks_image_agg(img);

	stacks_image_summary(img, &s);
	out_u64(o, "rate_hz", "%llu Hz sampling", s.hz);
	out_bool(o, "sampled", NULL, true);
	out_u64(o, "samples", ": %llu samples", s.samples);
	out_u64(o, "threads", " from %llu threads", s.threads);
	out_u64(o, "oncpu_samples", "; on CPU %llu", s.oncpu);
	out_f64(o, "oncpu_pct", " (%.1f%%)", pct(s.oncpu, s.samples));
	out_u64(o, "offcpu_samples", ", off CPU %llu\n", s.offcpu);
	out_bool(o, "user_stacks", NULL, (s.flags & STACKS_USER) != 0);
	out_bool(o, "kernel_stacks", NULL, (s.flags & STACKS_KERNEL) != 0);
	out_u64(o, "samples_with_user_stack", "with a user stack: %llu", s.with_user);
	out_u64(o, "samples_with_kernel_stack", ", with a kernel stack: %llu", s.with_kernel);
	out_u64(o, "kernel_from_wchan", " (%llu from wchan only)\n", s.kernel_from_wchan);
	out_u64(o, "user_one_frame", NULL, s.user_one_frame);
	/* Most user stacks stop at their leaf: they are not "unwound" stacks
	 * but truncated ones, and their callers are missing from every row. */
	if (s.with_user && s.user_one_frame * 2 > s.with_user)
		out_str(o, "user_stacks_truncated", "user stacks TRUNCATED: %s\n",
			"most user stacks have a single frame: the unwinder could not get past "
			"the leaf, whose code has neither frame pointers nor unwind tables "
			"(.eh_frame/.debug_frame); callers are missing. Rebuild with "
			"-fno-omit-frame-pointer or without -fno-asynchronous-unwind-tables");
	else
		out_null(o, "user_stacks_truncated", NULL);
	report_functions(o, agg, s.samples);
	struct row_ctx rc = {o, NULL, s.samples, TOP_TEXT, out_is_json(o)};
	out_text(o, "\ntop stacks (root first, leaf last):\n   count      %%  stack\n");
	out_arr_open(o, "stacks");
	stack_agg_foreach(agg, STACK_ORDER_COUNT, stack_row, &rc);
	out_arr_close(o);
	if (!out_is_json(o) && stack_agg_size(agg) > TOP_TEXT)
		out_text(o, "  (%zu more: -f folded or -f svg for all)\n",
			 stack_agg_size(agg) - TOP_TEXT);
}
