/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Cursor parsers of the kernel's text files (cursor_parse.c). */
#ifndef PROCIMAGE_CURSOR_PARSE_H
#define PROCIMAGE_CURSOR_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* p past blanks (spaces and tabs). */
const char *parse_skip_spaces(const char *p);
/* Parse an unsigned decimal at *p (after blanks), advance *p; -EINVAL if no
 * digit. Saturates at UINT64_MAX rather than wrapping. */
int parse_u64(const char **p, unsigned long long *v);
/* A signed decimal at *p ("-5", not "- 5"), advance *p; -EINVAL if none.
 * Saturates at INT64_MAX (and its negative). */
int parse_i64(const char **p, long long *v);
/* "1-3,5,7-8" (a kernel CPU list: Cpus_allowed_list, a NUMA node's cpulist)
 * into a bit set of `words` 64-bit words; CPUs beyond it are left out.
 * 0, or -EINVAL. */
int parse_cpulist(const char *buf, uint64_t *set, size_t words);

#endif
