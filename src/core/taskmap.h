/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A hash map from task identity (tid, start time) to a fixed-size value that
 * the owner defines: the procfs source keeps its fds there, each image its
 * per-task state. Values are zeroed on creation. A value pointer stays valid
 * until the next insertion (the table may grow, or shrink after a burst of
 * tasks has gone, then).
 */
#ifndef PROCIMAGE_TASKMAP_H
#define PROCIMAGE_TASKMAP_H

#include <stddef.h>
#include <stdint.h>

#include "procimage/record.h"

struct taskmap;

struct taskmap *taskmap_new(size_t value_size);
void taskmap_free(struct taskmap *m);
/* The value for (tid, start_ticks), or NULL. */
void *taskmap_get(struct taskmap *m, int32_t tid, uint64_t start_ticks);
/* Get or create; *created (if not NULL) says which. NULL only on ENOMEM. */
void *taskmap_put(struct taskmap *m, int32_t tid, uint64_t start_ticks, int *created);
void taskmap_del(struct taskmap *m, int32_t tid, uint64_t start_ticks);
size_t taskmap_count(const struct taskmap *m);
/* Slots allocated (for tests and --stats: churn must not grow it). */
size_t taskmap_capacity(const struct taskmap *m);
/* Iterate: start with *iter = 0; returns NULL at the end. Deleting the entry
 * just returned is allowed; inserting during iteration is not. */
void *taskmap_next(struct taskmap *m, size_t *iter, int32_t *tid, uint64_t *start_ticks);
void taskmap_clear(struct taskmap *m);

#endif
