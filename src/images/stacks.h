/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The stacks image: one folded stack per thread and sample, from the procfs
 * source's thread samples (state, kernel stack or wchan) and the ptrace
 * source's user stacks (REC_STACK). The aggregate it builds is a stack_agg
 * (render/folded.h), so folded text and the SVG flame graph come from the
 * same writers every command uses.
 *
 * Folded form: comm[-pid/tid];[on-cpu|off-cpu];user frames;kernel frames_[k]
 * (the state marker only when both states are kept).
 */
#ifndef PROCIMAGE_STACKS_IMAGE_H
#define PROCIMAGE_STACKS_IMAGE_H

#include <stdint.h>

#include "render/folded.h"

enum stacks_flags {
	STACKS_USER = 1u << 0,	  /* user frames (ptrace source) */
	STACKS_KERNEL = 1u << 1,  /* kernel frames (/proc/<tid>/stack, else wchan) */
	STACKS_ONCPU = 1u << 2,	  /* keep samples of running threads */
	STACKS_OFFCPU = 1u << 3,  /* keep samples of blocked threads */
	STACKS_THREADS = 1u << 4, /* root frame "comm-pid/tid" instead of "comm" */
	STACKS_ALL = STACKS_USER | STACKS_KERNEL | STACKS_ONCPU | STACKS_OFFCPU,
};

struct stacks_summary {
	uint64_t samples, oncpu, offcpu;
	uint64_t with_user, with_kernel, kernel_from_wchan;
	/* user stacks of a single frame: the unwinder found no way past the
	 * leaf (no frame pointer, no unwind table there): truncated */
	uint64_t user_one_frame;
	uint32_t threads;
	unsigned flags;
	uint32_t hz;
};

/* Before the run: what to keep and the sampling rate (for the report). */
void stacks_image_configure(void *img, unsigned flags, uint32_t hz);
const struct stack_agg *stacks_image_agg(const void *img);
void stacks_image_summary(const void *img, struct stacks_summary *out);
/* The image's report (images/stacks_report.c), through the out_* API. */
struct out;
void stacks_image_report(void *img, struct out *o);

#endif
