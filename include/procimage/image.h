/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The image interface: an image consumes records and describes a report.
 *
 * Images never read /proc, sockets or clocks: the same code runs live, from a
 * recording, and in unit tests fed with synthetic records. `needs` tells the
 * procfs source which files to read for the tasks the image deep-samples
 * (the metric-table idea of libproc2: only what some image asks for is read).
 */
#ifndef PROCIMAGE_IMAGE_H
#define PROCIMAGE_IMAGE_H

#include <stdint.h>

#include "procimage/out.h"
#include "procimage/record.h"

struct image_params {
	uint64_t interval_ns;
	uint64_t threshold_ns; /* sched: occupancy threshold; keytime: blocked */
	int threads;	       /* report per thread */
	int children;	       /* keytime: follow descendants */
	int stacks;	       /* capture kernel stacks */
	int sequence;	       /* syscall: last N per thread */
	int verbose;
	int top;		 /* rows to show (0 = default) */
	const char *syscalls;	 /* syscall: comma list to restrict to, or NULL */
	const char *source_mode; /* syscall: auto|audit|sample */
	long ticks_per_s;	 /* USER_HZ of the host the records came from */
	long page_size;
	/* migrate: CPU -> NUMA node (from sysfs, read by the run); NULL if unknown */
	const int16_t *cpu_node;
	int ncpu_node;
	/* report: wall minus CLOCK_MONOTONIC of the recording host when it
	 * recorded (have_wall_offset 1), so replayed times are the live ones
	 * whatever this host's clocks; live runs leave it 0 (this host's). */
	int have_wall_offset;
	int64_t wall_offset_ns;
	/* -a: every process is a target (resource lists short-lived processes
	 * from their taskstats exit records) */
	int hostwide;
};

struct image_ops {
	const char *name; /* "sched", "resource", ... */
	/* PF_* read per thread of target processes, every tick. PF_STAT must be
	 * listed to get state/CPU/faults each tick: otherwise stat is read only
	 * once per thread, for its identity. */
	uint32_t needs;
	uint32_t pneeds;  /* PF_* read at process scope for targets */
	uint32_t sources; /* 1 << SRC_* this image can use */
	/* With -a: read only stat for every process and deep-sample the threads
	 * of processes that used CPU (sched, triage), instead of treating every
	 * process as a target. */
	int hostwide_hot;
	void *(*create)(const struct image_params *p);
	void (*consume)(void *img, const struct record *r);
	/* Write the image's fields (inside the envelope object opened by the caller). */
	void (*report)(void *img, struct out *o);
	void (*destroy)(void *img);
};

/* The registry of images (src/images/registry.c). NULL when unknown. */
const struct image_ops *image_find(const char *name);
/* The i-th registered image (0..), NULL past the end: for the store, which
 * records what every image could use. */
const struct image_ops *image_at(int i);

#endif
