/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * User-stack unwinding and symbolization for the ptrace stack source, with
 * elfutils libdwfl (the library eu-stack uses): modules from
 * /proc/<pid>/maps, CFI from each ELF's .eh_frame (frame-pointer fallback
 * by libdwfl), memory through process_vm_readv. The caller owns the ptrace
 * stop: unwind_thread() requires the thread to be in a ptrace-stop.
 * Symbols are cached per process (pc -> name), so a steady state allocates
 * nothing. No debuginfod: only the ELF files and /usr/lib/debug/.build-id.
 */
#ifndef PROCIMAGE_PTRACE_UNWIND_H
#define PROCIMAGE_PTRACE_UNWIND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define UNWIND_MAX_FRAMES 128

/* C++ demangling through libstdc++'s __cxa_demangle, found at run time with
 * dlopen: procimage is C and does not link libstdc++. */
struct demangler {
	void *handle;
	char *(*fn)(const char *mangled, char *buf, size_t *len, int *status);
	int tried;
};

/* Demangle into out; 1 if demangled, 0 if copied as is (not mangled, or no
 * libstdc++ on the host). Loads libstdc++ on first use of a mangled name. */
int unwind_demangle(struct demangler *d, const char *name, char *out, size_t outlen);
void unwind_demangler_close(struct demangler *d);

struct unwind_proc;

/* Report the modules of process tgid and attach libdwfl's unwinder in
 * "already ptrace-stopped" mode. NULL with err set on failure. */
struct unwind_proc *unwind_proc_new(pid_t tgid, struct demangler *dm, char *err, size_t errlen);
void unwind_proc_free(struct unwind_proc *u);
/* Unwind a ptrace-stopped thread: pcs[0] is the leaf. Return addresses are
 * stored minus one (they point after the call). Frames beyond max are cut and
 * *truncated set. The number of frames, or -1 (err set). */
int unwind_thread(struct unwind_proc *u, pid_t tid, uint64_t *pcs, int max, int *truncated);
/* Root-first frames "main;work;hot" for pcs (leaf first) into out. Unknown
 * addresses become "[module]" or "[unknown]". Returns the length. */
size_t unwind_symbolize(struct unwind_proc *u, const uint64_t *pcs, int n, int truncated, char *out,
			size_t outlen);
/* A pc outside every known module was seen (dlopen, JIT): the module list is
 * worth re-reading. */
int unwind_proc_stale(const struct unwind_proc *u);

#endif
