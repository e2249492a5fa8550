/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Buffer parsers for /proc/<pid>/... files: no I/O, no allocation, no stdio.
 * Each takes a NUL-terminated buffer and fills its part of a proc_sample,
 * setting the matching PF_* bit in `have`. They return 0, or -EINVAL when the
 * buffer is not that file (truncated, garbage). Fields a kernel generation
 * does not print are left zero and their *_have bit clear.
 */
#ifndef PROCIMAGE_PROCFS_PARSE_H
#define PROCIMAGE_PROCFS_PARSE_H

#include <stddef.h>

#include "core/cursor_parse.h"
#include "procimage/sample.h"

int procfs_parse_stat(const char *buf, struct proc_sample *s, char *comm, size_t comm_len);
int procfs_parse_schedstat(const char *buf, struct proc_sample *s);
int procfs_parse_sched(const char *buf, struct proc_sample *s);
int procfs_parse_status(const char *buf, struct proc_sample *s);
int procfs_parse_io(const char *buf, struct proc_sample *s);
int procfs_parse_syscall(const char *buf, struct proc_sample *s);
int procfs_parse_wchan(const char *buf, struct proc_sample *s);
int procfs_parse_statm(const char *buf, struct proc_sample *s);
/* The cgroup path of the first matching line: the v2 line ("0::") or the
 * line of a v1 controller (e.g. "memory"); out gets the path. */
int procfs_parse_cgroup(const char *buf, const char *controller, char *out, size_t len);

#endif
