/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The files under /proc/<pid>/ (and task/<tid>/) the procfs source reads: one
 * row each, indexed by the position of its PF_* bit. A row says the file's
 * name, its parser, what a denial needs and costs, and what its absence (a
 * kernel built without it) costs. The source reads by it (procfs.c), says
 * what was denied by it, and doctor tries the rows it marks. A new /proc
 * file is a row here, its bit and fields in sample.h and its parser.
 */
#ifndef PROCIMAGE_PROCFS_FILES_H
#define PROCIMAGE_PROCFS_FILES_H

#include <stdint.h>

#include "procimage/sample.h"

#define PROCFS_NFILES 12

struct procfs_file {
	uint32_t bit;	  /* PF_* */
	const char *name; /* under the task's directory */
	/* Fills its part of s from a NUL-terminated buffer (procfs_parse.h).
	 * NULL: read_files handles it (stat: the task's identity; fd: a count
	 * of entries; stack: text for the record). */
	int (*parse)(const char *buf, struct proc_sample *s);
	const char *needs;     /* what reading another user's needs, or NULL */
	const char *if_denied; /* what the images lose when it is denied, or NULL */
	const char *if_absent; /* what they lose on a kernel without it, or NULL */
	int doctor;	       /* doctor tries it on its own and another process */
};

/* Indexed by __builtin_ctz(bit). */
extern const struct procfs_file procfs_files[PROCFS_NFILES];

static inline const struct procfs_file *procfs_file_of(uint32_t bit)
{
	return &procfs_files[__builtin_ctz(bit)];
}

#endif
