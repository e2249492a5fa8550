/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parsers for /proc/<pid>/oom_score and oom_score_adj (PF_OOM_SCORE,
 * PF_OOM_ADJ): one signed decimal each. No I/O, no allocation; kept apart
 * from procfs_parse.c so the exits image's needs touch the procfs source in
 * two rows of procfs_files.c only.
 */
#ifndef PROCIMAGE_PROCFS_OOM_H
#define PROCIMAGE_PROCFS_OOM_H

#include <stdint.h>

#include "procimage/sample.h"

/* buf holds the file named by bit (PF_OOM_SCORE or PF_OOM_ADJ). 0, or
 * -EINVAL (the bit stays clear in s->have). */
int procfs_parse_oom(const char *buf, uint32_t bit, struct proc_sample *s);

#endif
