/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The table of event sources: the run starts the ones its images can use. A
 * new source is one row here (and its SRC_* id in procimage/source.h). The
 * sampler read at every tick is procfs. */
#include "core/run.h"

extern const struct source_ops source_connector, source_taskstats, source_audit, source_kmsg;
extern const struct source_ops source_cgroup;
extern const struct source_ops source_ptrace_stack; /* user stacks (ptrace_source.c) */
extern const struct sampler_ops sampler_procfs;	    /* procfs_sampler.c */

const struct sampler_ops *const run_sampler = &sampler_procfs;

const struct source_ops *const source_table[SRC_COUNT] = {
    [SRC_CONNECTOR] = &source_connector, [SRC_TASKSTATS] = &source_taskstats,
    [SRC_AUDIT] = &source_audit,	 [SRC_KMSG] = &source_kmsg,
    [SRC_CGROUP] = &source_cgroup,	 [SRC_PTRACE] = &source_ptrace_stack,
};
