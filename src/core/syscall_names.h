/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Syscall names per architecture. Audit records name their arch
 * (AUDIT_ARCH_* values, repeated here so this header needs no kernel
 * header); /proc/<tid>/syscall numbers are in the task's own arch.
 */
#ifndef PROCIMAGE_SYSCALL_NAMES_H
#define PROCIMAGE_SYSCALL_NAMES_H

#include <stdint.h>

#define SC_ARCH_X86_64 0xc000003eu
#define SC_ARCH_I386   0x40000003u

/* The name, or NULL when the arch or number is unknown. */
const char *syscall_name(uint32_t arch, int nr);
/* The number, or -1. */
int syscall_nr(uint32_t arch, const char *name);
/* The arch this binary runs as (0 if no table exists for it). */
uint32_t syscall_native_arch(void);
const char *syscall_arch_name(uint32_t arch);

#endif
