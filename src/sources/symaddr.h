/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where the functions of a folded-stack aggregate live, for the pprof
 * writer: for each process given, its modules from /proc/<pid>/maps (with
 * libdwfl, as the unwinder reads them) become mappings with their ELF build
 * ids, and the symbol tables give each user frame its function's address;
 * the kernel is one mapping "[kernel.kallsyms]" with the build id of
 * /sys/kernel/notes, its frames at their /proc/kallsyms addresses when the
 * kernel shows them (root, kernel.kptr_restrict < 2), else at 0.
 * Names are matched as the unwinder writes them (demangled, sanitized).
 * Only the frames of the aggregate are looked for. Reads files; no ptrace.
 */
#ifndef PROCIMAGE_SYMADDR_H
#define PROCIMAGE_SYMADDR_H

#include <sys/types.h>

#include "render/folded.h"
#include "render/pprof.h"

struct symaddr;

/* The frames of agg to look for. NULL on ENOMEM. */
struct symaddr *symaddr_new(const struct stack_agg *agg);
void symaddr_free(struct symaddr *s);
/* Resolve user frames in the modules of process pid (first match wins). */
void symaddr_add_process(struct symaddr *s, pid_t pid);
/* The kernel mapping, and kernel frames' addresses where readable. The
 * kernel decides what /proc/kallsyms shows when it is opened (addresses
 * only with CAP_SYSLOG): kallsyms, if not NULL, was opened before the
 * capabilities were dropped (it is read, not closed); NULL opens it now. */
void symaddr_add_kernel(struct symaddr *s, FILE *kallsyms);
/* A pprof_resolve_fn (ctx is the symaddr) and the mappings it indexes. */
int symaddr_resolve(void *ctx, const char *name, int kernel, uint64_t *addr, size_t *map);
const struct pprof_mapping *symaddr_maps(const struct symaddr *s, size_t *n);

#endif
