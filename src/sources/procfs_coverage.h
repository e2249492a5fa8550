/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host-wide scan's coverage in the report and in --stats (see
 * procfs_coverage.c; the figures come from procfs_coverage()).
 */
#ifndef PROCIMAGE_PROCFS_COVERAGE_H
#define PROCIMAGE_PROCFS_COVERAGE_H

#include <stdio.h>

#include "procimage/out.h"
#include "sources/procfs.h"

/* Decide from c's figures whether the scan fell behind and say how
 * (c->behind, c->behind_why): ticks late or too few for the wall time,
 * the idle tier slower than its 1 s target, processes read only at first
 * sight, reads skipped for want of descriptors. No I/O: unit-tested on
 * synthetic coverage. */
void procfs_coverage_judge(struct procfs_coverage *c);
/* The "coverage" object; nothing unless the scan was host-wide (tiered). */
void procfs_coverage_out(const struct procfs *p, struct out *o);
/* The same for --stats, with the descriptor budget of any run. */
void procfs_coverage_print(const struct procfs *p, FILE *fp);

#endif
