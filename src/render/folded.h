/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Folded stacks: the aggregate every stack consumer shares (stacks, sched
 * --stacks, watch captures, the HTML report) and its text form, the input of
 * FlameGraph's flamegraph.pl and of speedscope:
 *
 *     comm;root_frame;...;leaf_frame 42
 *
 * A stack_agg maps a folded stack (frames joined by ';', root first) to a
 * sample count. Adding a stack already seen allocates nothing, so it can sit
 * on a sampling path. Frame names never contain ';' or a newline: callers pass
 * names through stack_frame_sanitize() (the adders also refuse a newline),
 * and the folded writer writes lines in the text form of render/escape.h.
 */
#ifndef PROCIMAGE_FOLDED_H
#define PROCIMAGE_FOLDED_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct stack_agg;

struct stack_agg *stack_agg_new(void);
void stack_agg_free(struct stack_agg *a);
void stack_agg_clear(struct stack_agg *a);
/* Count `count` samples of `folded` (len bytes, no trailing count).
 * 0, -EINVAL (empty or contains a newline) or -ENOMEM. */
int stack_agg_add(struct stack_agg *a, const char *folded, size_t len, uint64_t count);
/* Parse one line "a;b;c 12" (trailing newline allowed) and add it.
 * 0, or -EINVAL when the line has no count. */
int stack_agg_add_line(struct stack_agg *a, const char *line);
/* Add every line of a folded file; the number of lines refused, or -errno. */
int stack_agg_read_folded(struct stack_agg *a, FILE *fp);
/* Add all of src to dst. 0 or -ENOMEM. */
int stack_agg_merge(struct stack_agg *dst, const struct stack_agg *src);

uint64_t stack_agg_total(const struct stack_agg *a);
size_t stack_agg_size(const struct stack_agg *a); /* distinct stacks */
/* Frames of all distinct stacks together: a bound on the distinct frames. */
size_t stack_agg_frames(const struct stack_agg *a);
/* The count of one folded stack, 0 when absent. */
uint64_t stack_agg_get(const struct stack_agg *a, const char *folded);
/* Samples whose stack has a frame equal to `frame`. */
uint64_t stack_agg_count_frame(const struct stack_agg *a, const char *frame);

enum stack_order {
	STACK_ORDER_NAME,  /* lexicographic: what flamegraph.pl expects */
	STACK_ORDER_COUNT, /* most samples first, then by name */
};
typedef int (*stack_agg_fn)(void *ctx, const char *folded, size_t len, uint64_t count);
/* Visit every stack in the given order; stops at the first non-zero return of
 * fn and returns it. -ENOMEM if the sort index cannot be built. */
int stack_agg_foreach(const struct stack_agg *a, enum stack_order order, stack_agg_fn fn,
		      void *ctx);
/* Write "stack count\n" lines sorted by name. 0 or -errno. */
int stack_agg_write_folded(const struct stack_agg *a, FILE *fp);

/* Make a symbol usable as a frame: ';' becomes ':', a control byte or a byte
 * that is not valid UTF-8 "\xNN" (render/escape.h). Writes at most outlen-1
 * bytes, cut between characters; out may be name. Returns the length. */
size_t stack_frame_sanitize(const char *name, char *out, size_t outlen);
/* Turn /proc/<tid>/stack text ("[<0>] func+0x1a/0x40" lines, leaf first) into
 * root-first frames "func<suffix>;..." in out (e.g. suffix "_[k]", the
 * FlameGraph kernel annotation). Returns the length written (0: no frames). */
size_t stack_fold_kernel(const char *text, const char *suffix, char *out, size_t outlen);

#endif
