/* Shared by the unit tests that feed images synthetic record streams: the
 * parts every record of a kind has (kind, source, time, task, comm; a sample's
 * scope and the files it read). Every other field is zero: the caller sets
 * the values its test is about. Header-only (static inline). */
#ifndef UNIT_RECORDS_H
#define UNIT_RECORDS_H

#include <stdint.h>
#include <stdio.h>

#include "procimage/image.h"
#include "procimage/record.h"

/* A record of kind from src at t for the task key; comm copied when not NULL. */
static inline struct record unit_record(enum rec_kind kind, enum rec_source src, uint64_t t,
					struct task_key key, const char *comm)
{
	struct record r = {.kind = kind, .source = src, .t_ns = t, .key = key};

	if (comm)
		snprintf(r.comm, sizeof(r.comm), "%s", comm);
	return r;
}

/* A procfs sample of the task at scope that read the files in have (PF_*). */
static inline struct record unit_sample(enum sample_scope scope, uint64_t t, struct task_key key,
					const char *comm, uint32_t have)
{
	struct record r = unit_record(REC_SAMPLE, SRC_PROCFS, t, key, comm);

	r.u.sample.scope = scope;
	r.u.sample.s.have = have;
	return r;
}

/* procfs: the task, seen before at scope, is no longer in /proc. */
static inline struct record unit_gone(enum sample_scope scope, uint64_t t, struct task_key key,
				      const char *comm)
{
	struct record r = unit_record(REC_GONE, SRC_PROCFS, t, key, comm);

	r.u.sample.scope = scope;
	return r;
}

/* The end of one sampling pass at t, fed to the image. */
static inline void unit_tick(const struct image_ops *ops, void *img, uint64_t t)
{
	struct record r = {.kind = REC_TICK, .source = SRC_PROCFS, .t_ns = t};

	ops->consume(img, &r);
}

#endif
