/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Frame name -> (address, mapping) for the pprof writer (see symaddr.h).
 * The wanted names are the aggregate's frames, interned once in a glibc
 * hsearch_r table (sized from the aggregate: it cannot grow); the module
 * symbol tables and /proc/kallsyms are walked once each and only wanted
 * names are filled in, so memory follows the profile, not the binaries.
 */
#include "sources/symaddr.h"

#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sources/ptrace_unwind.h"

#define KSUFFIX	 "_[k]"
#define MAPS_MAX 512

struct want {
	char *name; /* the key: "k:" or "u:" then the frame's name */
	uint64_t addr;
	size_t map;
	int found;
};

struct symaddr {
	struct hsearch_data tab;
	struct want *w;
	size_t n, cap;
	struct pprof_mapping maps[MAPS_MAX];
	char *strs[2 * MAPS_MAX]; /* the maps' file names and build ids */
	size_t nmaps, kernel_map;
	int have_kernel;
	struct demangler dm;
};

static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_build_id_find_debuginfo,
};

static struct want *lookup(struct symaddr *s, int kernel, const char *name)
{
	char key[1024];
	ENTRY e = {.key = key}, *found = NULL;

	snprintf(key, sizeof(key), "%c:%s", kernel ? 'k' : 'u', name);
	if (!hsearch_r(e, FIND, &found, &s->tab) || !found)
		return NULL;
	return &s->w[(size_t)(uintptr_t)found->data];
}

static int add_want(struct symaddr *s, const char *frame, size_t len)
{
	size_t kl = strlen(KSUFFIX);
	int kernel = len > kl && memcmp(frame + len - kl, KSUFFIX, kl) == 0;
	char key[1024];
	ENTRY e = {.key = key}, *found = NULL;

	if (kernel)
		len -= kl;
	if (len + 3 > sizeof(key))
		return 0;
	snprintf(key, sizeof(key), "%c:%.*s", kernel ? 'k' : 'u', (int)len, frame);
	if (hsearch_r(e, FIND, &found, &s->tab) && found)
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		struct want *nw = realloc(s->w, cap * sizeof(*nw));
		if (!nw)
			return -ENOMEM;
		s->w = nw;
		s->cap = cap;
	}
	s->w[s->n] = (struct want){.name = strdup(key)};
	if (!s->w[s->n].name)
		return -ENOMEM;
	e.key = s->w[s->n].name;
	e.data = (void *)(uintptr_t)s->n;
	if (!hsearch_r(e, ENTER, &found, &s->tab)) {
		free(s->w[s->n].name);
		return -ENOMEM;
	}
	s->n++;
	return 0;
}

static int want_stack(void *ctx, const char *st, size_t len, uint64_t count)
{
	const char *end = st + len;

	(void)count;
	for (const char *p = st; p < end;) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		size_t fl = (size_t)((semi ? semi : end) - p);
		if (fl && add_want(ctx, p, fl))
			return -ENOMEM;
		p += fl + 1;
	}
	return 0;
}

struct symaddr *symaddr_new(const struct stack_agg *agg)
{
	struct symaddr *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (!hcreate_r(2 * stack_agg_frames(agg) + 64, &s->tab)) {
		free(s);
		return NULL;
	}
	if (stack_agg_foreach(agg, STACK_ORDER_NAME, want_stack, s)) {
		symaddr_free(s);
		return NULL;
	}
	return s;
}

void symaddr_free(struct symaddr *s)
{
	if (!s)
		return;
	hdestroy_r(&s->tab);
	for (size_t i = 0; i < s->n; i++)
		free(s->w[i].name);
	free(s->w);
	for (size_t i = 0; i < 2 * MAPS_MAX; i++)
		free(s->strs[i]);
	unwind_demangler_close(&s->dm);
	free(s);
}

static char *hex(const unsigned char *b, size_t n)
{
	char *out = malloc(2 * n + 1);

	for (size_t i = 0; out && i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	if (out)
		out[2 * n] = '\0';
	return out;
}

/* A new mapping; its index, or -1 when the table is full. */
static long add_map(struct symaddr *s, uint64_t start, uint64_t limit, const char *file,
		    char *build_id)
{
	size_t i = s->nmaps;

	if (i >= MAPS_MAX) {
		free(build_id);
		return -1;
	}
	s->strs[2 * i] = strdup(file);
	s->strs[2 * i + 1] = build_id;
	s->maps[i] = (struct pprof_mapping){start, limit, 0, s->strs[2 * i] ? s->strs[2 * i] : "?",
					    build_id};
	s->nmaps++;
	return (long)i;
}

static void fill(struct symaddr *s, int kernel, const char *name, uint64_t addr, size_t map)
{
	struct want *w = lookup(s, kernel, name);

	if (w && !w->found) {
		w->found = 1;
		w->addr = addr;
		w->map = map;
	}
}

static int module_cb(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start, void *arg)
{
	struct symaddr *s = arg;
	const unsigned char *bits = NULL;
	GElf_Addr vaddr;
	Dwarf_Addr end = 0, bias;
	const char *file = NULL;
	int nb, nsym;
	char bracket[512], frame[512];
	long map;

	(void)ud;
	dwfl_module_getelf(mod, &bias); /* the build id is read with the ELF file */
	nb = dwfl_module_build_id(mod, &bits, &vaddr);
	dwfl_module_info(mod, NULL, NULL, &end, NULL, NULL, &file, NULL);
	map = add_map(s, start, end, file ? file : name, nb > 0 ? hex(bits, (size_t)nb) : NULL);
	if (map < 0)
		return DWARF_CB_ABORT;
	/* an unresolved pc is written "[module]": it lives in this mapping */
	snprintf(bracket, sizeof(bracket), "[%s]", name);
	stack_frame_sanitize(bracket, frame, sizeof(frame));
	fill(s, 0, frame, 0, (size_t)map);
	nsym = dwfl_module_getsymtab(mod);
	for (int i = 1; i < nsym; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		const char *sn = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);
		if (!sn || !*sn || GELF_ST_TYPE(sym.st_info) != STT_FUNC || !addr)
			continue;
		unwind_demangle(&s->dm, sn, frame, sizeof(frame));
		fill(s, 0, frame, addr, (size_t)map);
	}
	return DWARF_CB_OK;
}

void symaddr_add_process(struct symaddr *s, pid_t pid)
{
	Dwfl *dwfl = dwfl_begin(&callbacks);

	if (!dwfl)
		return;
	dwfl_report_begin(dwfl);
	if (dwfl_linux_proc_report(dwfl, pid) == 0 && dwfl_report_end(dwfl, NULL, NULL) == 0)
		dwfl_getmodules(dwfl, module_cb, s, 0);
	dwfl_end(dwfl);
}

/* The GNU build id note of /sys/kernel/notes (ELF notes, 4-byte aligned). */
static char *kernel_build_id(void)
{
	unsigned char buf[4096];
	int fd = open("/sys/kernel/notes", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	size_t off = 0;

	if (fd >= 0)
		close(fd);
	while (n > 0 && off + 12 <= (size_t)n) {
		uint32_t namesz, descsz, type;
		memcpy(&namesz, buf + off, 4);
		memcpy(&descsz, buf + off + 4, 4);
		memcpy(&type, buf + off + 8, 4);
		size_t name_at = off + 12, desc_at = name_at + ((namesz + 3) & ~3u);
		if (desc_at + descsz > (size_t)n)
			break;
		if (type == NT_GNU_BUILD_ID && namesz == 4 && memcmp(buf + name_at, "GNU", 4) == 0)
			return hex(buf + desc_at, descsz);
		off = desc_at + ((descsz + 3) & ~3u);
	}
	return NULL;
}

void symaddr_add_kernel(struct symaddr *s, FILE *kallsyms)
{
	FILE *fp;
	char line[512];
	long map;

	if (s->have_kernel)
		return;
	map = add_map(s, 0, 0, "[kernel.kallsyms]", kernel_build_id());
	if (map < 0)
		return;
	s->have_kernel = 1;
	s->kernel_map = (size_t)map;
	for (size_t i = 0; i < s->n; i++) /* every kernel frame is in it */
		if (s->w[i].name[0] == 'k') {
			s->w[i].found = 1;
			s->w[i].map = (size_t)map;
		}
	fp = kallsyms ? kallsyms : fopen("/proc/kallsyms", "re");
	while (fp && fgets(line, sizeof(line), fp)) {
		unsigned long long a;
		char type, name[256];
		struct want *w;
		if (sscanf(line, "%llx %c %255s", &a, &type, name) != 3 || !a)
			continue;
		if ((w = lookup(s, 1, name)) && !w->addr)
			w->addr = a;
	}
	if (fp && fp != kallsyms)
		fclose(fp);
}

int symaddr_resolve(void *ctx, const char *name, int kernel, uint64_t *addr, size_t *map)
{
	struct want *w = lookup(ctx, kernel, name);

	if (!w || !w->found)
		return -1;
	*addr = w->addr;
	*map = w->map;
	return 0;
}

const struct pprof_mapping *symaddr_maps(const struct symaddr *s, size_t *n)
{
	*n = s->nmaps;
	return s->maps;
}
