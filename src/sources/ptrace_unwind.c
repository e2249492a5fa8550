/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libdwfl unwinding and a per-process symbol cache (see ptrace_unwind.h).
 * dwfl_linux_proc_attach(..., assume_ptrace_stopped = true) makes libdwfl
 * read registers and memory of a thread we already stopped, without
 * attaching or detaching itself: the ptrace state machine stays ours.
 */
#include "sources/ptrace_unwind.h"

#include <dlfcn.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "render/folded.h"

#define NAME_MAX_LEN 512

struct sym_slot {
	uint64_t pc; /* 0: empty */
	uint32_t off;
};

struct unwind_proc {
	Dwfl *dwfl;
	pid_t tgid;
	struct demangler *dm;
	struct sym_slot *syms;
	size_t nsyms, used;
	char *names;
	size_t names_len, names_cap;
	int stale;
};

struct walk {
	uint64_t *pcs;
	int n, max, truncated;
};

/* Local debug files only (never debuginfod: no network, no stalls). */
static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_build_id_find_debuginfo,
    .debuginfo_path = NULL,
};

int unwind_demangle(struct demangler *d, const char *name, char *out, size_t outlen)
{
	char *dem = NULL;
	int status = -1;

	if (name[0] == '_' && name[1] == 'Z') {
		if (!d->tried) {
			d->tried = 1;
			d->handle = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
			if (d->handle)
				*(void **)&d->fn = dlsym(d->handle, "__cxa_demangle");
		}
		if (d->fn)
			dem = d->fn(name, NULL, NULL, &status);
	}
	if (dem && status == 0) {
		stack_frame_sanitize(dem, out, outlen);
		free(dem);
		return 1;
	}
	free(dem);
	stack_frame_sanitize(name, out, outlen);
	return 0;
}

void unwind_demangler_close(struct demangler *d)
{
	if (d->handle)
		dlclose(d->handle);
	memset(d, 0, sizeof(*d));
}

struct unwind_proc *unwind_proc_new(pid_t tgid, struct demangler *dm, char *err, size_t errlen)
{
	struct unwind_proc *u = calloc(1, sizeof(*u));
	int rc;

	if (!u)
		return NULL;
	u->tgid = tgid;
	u->dm = dm;
	u->nsyms = 1024;
	u->syms = calloc(u->nsyms, sizeof(*u->syms));
	u->dwfl = dwfl_begin(&callbacks);
	if (!u->syms || !u->dwfl) {
		snprintf(err, errlen, "libdwfl: %s", dwfl_errmsg(-1));
		goto fail;
	}
	dwfl_report_begin(u->dwfl);
	rc = dwfl_linux_proc_report(u->dwfl, tgid);
	dwfl_report_end(u->dwfl, NULL, NULL);
	if (rc) {
		snprintf(err, errlen, "cannot read the memory map of %d: %s", tgid,
			 rc > 0 ? strerror(rc) : dwfl_errmsg(-1));
		goto fail;
	}
	rc = dwfl_linux_proc_attach(u->dwfl, tgid, true);
	if (rc) {
		snprintf(err, errlen, "libdwfl cannot attach to %d: %s", tgid,
			 rc > 0 ? strerror(rc) : dwfl_errmsg(-1));
		goto fail;
	}
	return u;
fail:
	unwind_proc_free(u);
	return NULL;
}

void unwind_proc_free(struct unwind_proc *u)
{
	if (!u)
		return;
	if (u->dwfl)
		dwfl_end(u->dwfl);
	free(u->syms);
	free(u->names);
	free(u);
}

int unwind_proc_stale(const struct unwind_proc *u)
{
	return u->stale;
}

static int frame_cb(Dwfl_Frame *f, void *arg)
{
	struct walk *w = arg;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(f, &pc, &activation))
		return DWARF_CB_ABORT;
	if (w->n >= w->max) {
		w->truncated = 1;
		return DWARF_CB_ABORT;
	}
	/* A return address points after the call: look the caller up at pc-1. */
	w->pcs[w->n++] = activation || pc == 0 ? pc : pc - 1;
	return DWARF_CB_OK;
}

int unwind_thread(struct unwind_proc *u, pid_t tid, uint64_t *pcs, int max, int *truncated)
{
	struct walk w = {pcs, 0, max, 0};

	/* The walk ends in an error at the outermost frame (no CFI for _start,
	 * a zero return address): only "no frame at all" is a failure. */
	dwfl_getthread_frames(u->dwfl, tid, frame_cb, &w);
	*truncated = w.truncated;
	return w.n > 0 ? w.n : -1;
}

static uint32_t intern(struct unwind_proc *u, const char *s)
{
	size_t n = strlen(s) + 1;

	if (u->names_len + n > u->names_cap) {
		size_t cap = u->names_cap ? u->names_cap * 2 : 16384;
		while (cap < u->names_len + n)
			cap *= 2;
		char *nn = realloc(u->names, cap);
		if (!nn)
			return UINT32_MAX;
		u->names = nn;
		u->names_cap = cap;
	}
	memcpy(u->names + u->names_len, s, n);
	u->names_len += n;
	return (uint32_t)(u->names_len - n);
}

static void sym_grow(struct unwind_proc *u)
{
	size_t n = u->nsyms * 2;
	struct sym_slot *ns = calloc(n, sizeof(*ns));

	if (!ns)
		return;
	for (size_t i = 0; i < u->nsyms; i++) {
		if (!u->syms[i].pc)
			continue;
		size_t j = (u->syms[i].pc * 0x9E3779B97F4A7C15ULL) >> 20 & (n - 1);
		while (ns[j].pc)
			j = (j + 1) & (n - 1);
		ns[j] = u->syms[i];
	}
	free(u->syms);
	u->syms = ns;
	u->nsyms = n;
}

/* What a pc is called: function, "[module]" or "[unknown]". */
static void resolve(struct unwind_proc *u, uint64_t pc, char *out, size_t outlen)
{
	Dwfl_Module *mod = dwfl_addrmodule(u->dwfl, pc);
	const char *name = NULL, *mname;
	GElf_Off off;
	GElf_Sym sym;

	if (!mod) {
		u->stale = 1;
		snprintf(out, outlen, "[unknown]");
		return;
	}
	name = dwfl_module_addrinfo(mod, pc, &off, &sym, NULL, NULL, NULL);
	if (name && *name) {
		unwind_demangle(u->dm, name, out, outlen);
		return;
	}
	mname = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	if (mname && strrchr(mname, '/'))
		mname = strrchr(mname, '/') + 1;
	snprintf(out, outlen, "[%s]", mname && *mname ? mname : "unknown");
	stack_frame_sanitize(out, out, outlen);
}

static const char *lookup(struct unwind_proc *u, uint64_t pc)
{
	char buf[NAME_MAX_LEN];
	size_t mask, i;

	if (!pc)
		return "[unknown]";
	if ((u->used + 1) * 2 > u->nsyms)
		sym_grow(u);
	mask = u->nsyms - 1;
	for (i = (pc * 0x9E3779B97F4A7C15ULL) >> 20 & mask; u->syms[i].pc; i = (i + 1) & mask)
		if (u->syms[i].pc == pc)
			return u->names + u->syms[i].off;
	resolve(u, pc, buf, sizeof(buf));
	uint32_t off = intern(u, buf);
	if (off == UINT32_MAX || (u->used + 1) * 2 > u->nsyms)
		return "[unknown]";
	u->syms[i] = (struct sym_slot){pc, off};
	u->used++;
	return u->names + off;
}

size_t unwind_symbolize(struct unwind_proc *u, const uint64_t *pcs, int n, int truncated, char *out,
			size_t outlen)
{
	size_t w = 0;

	if (!outlen)
		return 0;
	out[0] = '\0';
	if (truncated)
		w = (size_t)snprintf(out, outlen, "[truncated]");
	for (int i = n - 1; i >= 0; i--) {
		const char *name = lookup(u, pcs[i]);
		size_t len = strlen(name);
		if (w + len + 2 > outlen)
			break;
		if (w)
			out[w++] = ';';
		memcpy(out + w, name, len + 1);
		w += len;
	}
	return w;
}
