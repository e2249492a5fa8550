/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Is a --proc-root this host's live /proc, as this process sees it? Only
 * then do the other interfaces (taskstats, the proc connector, audit,
 * cgroups, the kernel log, ptrace), which always speak of the live host in
 * our pid namespace, name the same tasks as the tree.
 */
#ifndef PROCIMAGE_PROCROOT_H
#define PROCIMAGE_PROCROOT_H

#include <stddef.h>

/* 1 when root is a procfs whose "self" is this process; 0 otherwise, with
 * why it is not (for a reason line). */
int procroot_is_live(const char *root, char *why, size_t len);

#endif
