/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The exits image: why processes ended. Beyond the image interface, the
 * exits command tells the image what the run has (so the report can say
 * which evidence was lacking) and, with --follow, prints exits as their
 * evidence window closes.
 */
#ifndef PROCIMAGE_EXITS_H
#define PROCIMAGE_EXITS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "procimage/out.h"
#include "procimage/source.h"

/* What the run could use; EXITS_HAVE_* bits. */
enum {
	EXITS_HAVE_KMSG = 1u << 0,   /* the kernel log is read */
	EXITS_HAVE_VMSTAT = 1u << 1, /* /proc/vmstat oom_kill is read */
	EXITS_HAVE_STATUS = 1u << 2, /* connector or taskstats: exit status */
	EXITS_HAVE_MEMCG = 1u << 3,  /* the cgroup source reports memcgs */
	EXITS_CONTEXT_KNOWN = 1u << 4,
};

/* EXITS_HAVE_* from the sources' status (indexed by SRC_*): live at the
 * start of a run, or as a recording stored them. */
uint32_t exits_have_from_sources(const struct source_status *st);

/* all: every process is a target (exits never sampled are reported too);
 * have: EXITS_HAVE_*; since_boot: list the kernel log's past OOM kills. */
void exits_set_context(void *img, int all, uint32_t have, int since_boot);
/* Print (text rows, or one JSON object per line) every exit whose evidence
 * window has closed by now_ns, or all of them when final; then forget them.
 * Returns how many were printed. */
int exits_flush(void *img, FILE *fp, enum out_format fmt, uint64_t now_ns, int final);
/* 1 when each of these pids has an exit whose evidence window has closed. */
int exits_all_done(void *img, const int32_t *pids, int n);

/* Is msg a kernel log line naming an OOM victim ("oom-kill:...,pid=N,..." or
 * "...Killed process N (comm) ...")? 1 with pid and comm, else 0. */
int exits_parse_oom_line(const char *msg, int32_t *pid, char *comm, size_t commlen);

/* Is msg a kernel log line of a fatal fault of a task: "comm[N]: segfault
 * at ...", "traps: comm[N] trap ...", "traps: comm[N] general protection
 * ...", or audit's ANOM_ABEND ("type=1701 ... pid=N comm=\"x\" ... sig=S")?
 * 1 with pid (the thread's id), comm and *sig (0 when the line names none). */
int exits_parse_crash_line(const char *msg, int32_t *pid, char *comm, size_t commlen, int *sig);

#endif
