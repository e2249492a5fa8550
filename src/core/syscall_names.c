/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Syscall number <-> name look-ups for the architectures audit and
 * /proc/<tid>/syscall report on x86 hosts: x86_64 (AUDIT_ARCH_X86_64) and
 * i386 (AUDIT_ARCH_I386, also what a 64-bit task's int 0x80 uses). The
 * tables themselves are generated (syscall_tables.h, by
 * tools/gen_syscall_tables.sh from the kernel's uapi headers).
 * A number is resolved for the arch the record names, never the host's.
 */
#include "core/syscall_names.h"
#include "core/syscall_tables.h"

#include <stddef.h>
#include <string.h>

struct sc_table {
	uint32_t arch;
	const char *const *names;
	int n;
};

static const struct sc_table tables[] = {
    {SC_ARCH_X86_64, x86_64_names, (int)(sizeof(x86_64_names) / sizeof(x86_64_names[0]))},
    {SC_ARCH_I386, i386_names, (int)(sizeof(i386_names) / sizeof(i386_names[0]))},
};

static const struct sc_table *table_for(uint32_t arch)
{
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (tables[i].arch == arch)
			return &tables[i];
	return NULL;
}

const char *syscall_name(uint32_t arch, int nr)
{
	const struct sc_table *t = table_for(arch);

	if (!t || nr < 0 || nr >= t->n)
		return NULL;
	return t->names[nr];
}

int syscall_nr(uint32_t arch, const char *name)
{
	const struct sc_table *t = table_for(arch);

	if (!t || !name)
		return -1;
	for (int i = 0; i < t->n; i++)
		if (t->names[i] && strcmp(t->names[i], name) == 0)
			return i;
	return -1;
}

uint32_t syscall_native_arch(void)
{
#if defined(__x86_64__)
	return SC_ARCH_X86_64;
#elif defined(__i386__)
	return SC_ARCH_I386;
#else
	return 0;
#endif
}

const char *syscall_arch_name(uint32_t arch)
{
	switch (arch) {
	case SC_ARCH_X86_64:
		return "x86_64";
	case SC_ARCH_I386:
		return "i386";
	default:
		return "unknown";
	}
}
