/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which stored records a replay hands to the images, so that `report` with
 * targets gives what the live command with the same targets gave: a live
 * run samples only its targets (and, with --children, their descendants),
 * but the proc connector, the taskstats exit listener, the kernel log and
 * the host counters report for the whole host, and each image picks its
 * targets' events from those itself. A replay does the same.
 */
#ifndef PROCIMAGE_REPLAY_FILTER_H
#define PROCIMAGE_REPLAY_FILTER_H

#include "core/targets.h"
#include "procimage/record.h"

struct replay_filter;

/* t is borrowed (it must outlive the filter); children: --children. NULL
 * when out of memory. */
struct replay_filter *replay_filter_new(const struct targets *t, int children);
void replay_filter_free(struct replay_filter *f);
/* 1 when r goes to the images. *own: r is a record of a target itself (for
 * "no record of the given pids"). */
int replay_filter_pass(struct replay_filter *f, const struct record *r, int *own);

#endif
