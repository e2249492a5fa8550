/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The /proc files the procfs source reads, one row each (procfs_files.h). */
#include "sources/procfs_files.h"

#include "sources/procfs_oom.h"
#include "sources/procfs_parse.h"

static int parse_oom_score(const char *buf, struct proc_sample *s)
{
	return procfs_parse_oom(buf, PF_OOM_SCORE, s);
}

static int parse_oom_adj(const char *buf, struct proc_sample *s)
{
	return procfs_parse_oom(buf, PF_OOM_ADJ, s);
}

#define PTRACE_NEEDS "needs ptrace access: CAP_SYS_PTRACE+CAP_DAC_READ_SEARCH for other users"

const struct procfs_file procfs_files[PROCFS_NFILES] = {
    {PF_STAT, "stat", NULL, NULL, NULL, NULL, 1},
    {PF_SCHEDSTAT, "schedstat", procfs_parse_schedstat, NULL, NULL,
     "no schedstat (CONFIG_SCHED_INFO off): sched falls back to tick-resolution CPU time", 1},
    {PF_SCHED, "sched", procfs_parse_sched, NULL, NULL,
     "no sched file (CONFIG_SCHED_DEBUG off): migrate/resource lose nr_migrations and load "
     "averages",
     1},
    {PF_STATUS, "status", procfs_parse_status, NULL, NULL, NULL, 1},
    {PF_IO, "io", procfs_parse_io, PTRACE_NEEDS, "resource: no I/O counters for denied tasks",
     "no io (CONFIG_TASK_IO_ACCOUNTING off)", 1},
    {PF_SYSCALL, "syscall", procfs_parse_syscall, "needs ptrace access",
     "syscall (sampled): nothing for denied tasks", NULL, 1},
    {PF_WCHAN, "wchan", procfs_parse_wchan, NULL, NULL, NULL, 1},
    {PF_STATM, "statm", procfs_parse_statm, NULL, NULL, NULL, 0},
    {PF_FDS, "fd", NULL, NULL, NULL, NULL, 0},
    {PF_STACK, "stack", NULL, "needs CAP_SYS_ADMIN", "sched, stacks: no kernel stacks", NULL, 1},
    {PF_OOM_SCORE, "oom_score", parse_oom_score, NULL, NULL, NULL, 0},
    {PF_OOM_ADJ, "oom_score_adj", parse_oom_adj, NULL, NULL, NULL, 0},
};
