/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pprof writer (see pprof.h): builds the Profile message from a stack_agg
 * with the protobuf-c structs generated from profile.proto, packs it and
 * gzips it with zlib. Strings, functions and locations are interned with
 * glibc's hsearch_r (tables sized from a first pass over the stacks, since
 * they cannot grow). One location per distinct frame: the aggregate knows a
 * frame by its name, so a function is one location, at the address the
 * resolver gives (its entry point) or at 0.
 */
#include "render/pprof.h"

#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__ValueType ValueType;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Label Label;
typedef Perftools__Profiles__Mapping Mapping;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Function Function;

/* A growable array of pointers, each owned by it. */
struct vec {
	void **v;
	size_t n, cap;
};

/* A location with its one line (the function), allocated together. */
struct loc {
	Location l;
	Line ln;
	Line *lines[1];
};

struct builder {
	const struct pprof_meta *m;
	struct hsearch_data strs, locs; /* string -> index, frame -> location */
	int have_strs, have_locs;
	struct vec str, fn, loc, smp, map, keys;
	uint64_t kmap; /* the kernel mapping when the resolver has none */
	int64_t k_comm, k_state, v_on, v_off;
};

static int push(struct vec *a, void *p)
{
	if (!p)
		return -ENOMEM;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		void **nv = realloc(a->v, cap * sizeof(*nv));
		if (!nv) {
			free(p);
			return -ENOMEM;
		}
		a->v = nv;
		a->cap = cap;
	}
	a->v[a->n++] = p;
	return 0;
}

static void vec_free(struct vec *a, void (*fn)(void *))
{
	for (size_t i = 0; i < a->n; i++)
		fn(a->v[i]);
	free(a->v);
}

/* The string table index of s (len bytes), added if new; -1 on ENOMEM. */
static int64_t str_id(struct builder *b, const char *s, size_t len)
{
	char *k = strndup(s, len);
	ENTRY e = {.key = k}, *found = NULL;

	if (!k)
		return -1;
	if (hsearch_r(e, FIND, &found, &b->strs) && found) {
		free(k);
		return (int64_t)(intptr_t)found->data;
	}
	e.data = (void *)(intptr_t)b->str.n;
	if (push(&b->str, k) || !hsearch_r(e, ENTER, &found, &b->strs))
		return -1;
	return (int64_t)(b->str.n - 1);
}

/* Kernel frames the resolver did not place still belong to the kernel:
 * a mapping without addresses or build id. Its id, 0 on ENOMEM. */
static uint64_t kernel_map(struct builder *b)
{
	Mapping *mp;

	if (b->kmap)
		return b->kmap;
	mp = calloc(1, sizeof(*mp));
	if (push(&b->map, mp))
		return 0;
	perftools__profiles__mapping__init(mp);
	mp->id = b->map.n;
	mp->filename = str_id(b, "[kernel.kallsyms]", 17);
	mp->has_functions = 1;
	if (mp->filename < 0)
		return 0;
	return b->kmap = mp->id;
}

/* The location id (1-based) of one frame; 0 on ENOMEM. The root (a comm,
 * not a function: never resolved) is keyed apart from a function of the
 * same name. */
static uint64_t loc_id(struct builder *b, const char *frame, size_t len, int root)
{
	static const char ksuf[] = "_[k]";
	const size_t kl = sizeof(ksuf) - 1;
	int kernel = !root && len > kl && memcmp(frame + len - kl, ksuf, kl) == 0;
	char *k = malloc(len + 2);
	ENTRY e = {.key = k}, *found = NULL;
	Function *f;
	struct loc *lc;
	Location *l;
	size_t map = 0;
	uint64_t addr = 0;
	int64_t name;

	if (!k)
		return 0;
	k[0] = root ? 'r' : 'f';
	memcpy(k + 1, frame, len);
	k[len + 1] = '\0';
	if (hsearch_r(e, FIND, &found, &b->locs) && found) {
		free(k);
		return (uint64_t)(uintptr_t)found->data;
	}
	if (push(&b->keys, k))
		return 0;
	name = str_id(b, frame, kernel ? len - kl : len);
	f = calloc(1, sizeof(*f));
	lc = calloc(1, sizeof(*lc));
	if (name < 0 || push(&b->fn, f) || push(&b->loc, lc))
		return 0;
	perftools__profiles__function__init(f);
	f->id = b->fn.n;
	f->name = f->system_name = name;
	l = &lc->l;
	perftools__profiles__location__init(l);
	perftools__profiles__line__init(&lc->ln);
	lc->ln.function_id = f->id;
	lc->lines[0] = &lc->ln;
	l->id = b->loc.n;
	l->n_line = 1;
	l->line = lc->lines;
	k[1 + (kernel ? len - kl : len)] = '\0'; /* the name alone, for the resolver */
	if (!root && b->m->resolve &&
	    b->m->resolve(b->m->resolve_ctx, k + 1, kernel, &addr, &map) == 0 &&
	    map < b->m->nmaps) {
		l->mapping_id = map + 1;
		l->address = addr;
	}
	if (kernel && !l->mapping_id && !(l->mapping_id = kernel_map(b)))
		return 0;
	if (kernel) /* the key is the frame as folded: put the suffix back */
		k[1 + len - kl] = ksuf[0];
	e.data = (void *)(uintptr_t)l->id;
	if (!hsearch_r(e, ENTER, &found, &b->locs))
		return 0;
	return l->id;
}

static void sample_free(void *p)
{
	Sample *s = p;

	for (size_t i = 0; i < s->n_label; i++)
		free(s->label[i]);
	free(s->label);
	free(s->location_id);
	free(s->value);
	free(s);
}

static Label *label(int64_t key, int64_t str)
{
	Label *l = calloc(1, sizeof(*l));

	if (l) {
		perftools__profiles__label__init(l);
		l->key = key;
		l->str = str;
	}
	return l;
}

/* One folded stack: root;[state;]frame;...;leaf -> a Sample. */
static int add_stack(void *ctx, const char *s, size_t len, uint64_t count)
{
	struct builder *b = ctx;
	const char *end = s + len, *p = s;
	size_t nfr = 1, w;
	int oncpu = b->m->unmarked_oncpu, marked = 0;
	Sample *smp = calloc(1, sizeof(*smp));
	int64_t period = (int64_t)b->m->period_ns;

	if (push(&b->smp, smp))
		return -ENOMEM;
	perftools__profiles__sample__init(smp);
	for (const char *q = s; q < end; q++)
		nfr += *q == ';';
	smp->location_id = calloc(nfr, sizeof(*smp->location_id));
	smp->value = calloc(3, sizeof(*smp->value));
	smp->label = calloc(2, sizeof(*smp->label));
	if (!smp->location_id || !smp->value || !smp->label)
		return -ENOMEM;
	/* Frames are root first; pprof wants the leaf first: fill from the end. */
	w = nfr;
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		size_t fl = (size_t)((semi ? semi : end) - p);
		if (p == s) { /* the root: comm (or comm-pid/tid), a frame and a label */
			int64_t root = str_id(b, p, fl);
			if (root < 0 || !(smp->label[smp->n_label++] = label(b->k_comm, root)))
				return -ENOMEM;
		}
		if (p != s && !marked && fl > 2 && p[0] == '[' && (fl == 8 || fl == 9) &&
		    (!memcmp(p, "[on-cpu]", 8) || !memcmp(p, "[off-cpu]", 9))) {
			marked = 1;
			oncpu = fl == 8;
		} else if (fl) {
			uint64_t id = loc_id(b, p, fl, p == s);
			if (!id)
				return -ENOMEM;
			smp->location_id[--w] = id;
		}
		p += fl + 1;
	}
	/* Shift the ids down over the slots the marker or empty frames left. */
	smp->n_location_id = nfr - w;
	memmove(smp->location_id, smp->location_id + w, smp->n_location_id * sizeof(uint64_t));
	if ((smp->label[smp->n_label++] = label(b->k_state, oncpu ? b->v_on : b->v_off)) == NULL)
		return -ENOMEM;
	smp->n_value = 3;
	smp->value[0] = (int64_t)count;
	smp->value[oncpu ? 1 : 2] = (int64_t)count * period;
	return 0;
}

static int add_mappings(struct builder *b)
{
	for (size_t i = 0; i < b->m->nmaps; i++) {
		const struct pprof_mapping *pm = &b->m->maps[i];
		Mapping *mp = calloc(1, sizeof(*mp));
		if (push(&b->map, mp))
			return -ENOMEM;
		perftools__profiles__mapping__init(mp);
		mp->id = i + 1;
		mp->memory_start = pm->start;
		mp->memory_limit = pm->limit;
		mp->file_offset = pm->offset;
		mp->filename = str_id(b, pm->file, strlen(pm->file));
		mp->build_id = pm->build_id ? str_id(b, pm->build_id, strlen(pm->build_id)) : 0;
		mp->has_functions = 1; /* symbolized already: readers must not retry */
		if (mp->filename < 0 || mp->build_id < 0)
			return -ENOMEM;
	}
	return 0;
}

static int gzip_write(FILE *fp, const uint8_t *buf, size_t len)
{
	z_stream z = {0};
	uint8_t out[16384] = {0};
	int rc;

	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)(uintptr_t)buf;
	z.avail_in = (uInt)len;
	do {
		z.next_out = out;
		z.avail_out = sizeof(out);
		rc = deflate(&z, Z_FINISH);
		if (rc == Z_STREAM_ERROR ||
		    fwrite(out, 1, sizeof(out) - z.avail_out, fp) != sizeof(out) - z.avail_out) {
			deflateEnd(&z);
			return -EIO;
		}
	} while (rc != Z_STREAM_END);
	deflateEnd(&z);
	return 0;
}

int pprof_write(FILE *fp, const struct stack_agg *agg, const struct pprof_meta *m)
{
	struct builder b = {.m = m};
	Profile p;
	ValueType vt[3], per, *vtp[3];
	size_t frames = stack_agg_frames(agg), len;
	uint8_t *buf = NULL;
	int rc = -ENOMEM;

	/* every frame, mapping file, build id and label may be a string */
	if (!hcreate_r(2 * (frames + 2 * m->nmaps) + 64, &b.strs))
		return -ENOMEM;
	b.have_strs = 1;
	if (!hcreate_r(2 * frames + 64, &b.locs))
		goto out;
	b.have_locs = 1;
	perftools__profiles__profile__init(&p);
	perftools__profiles__value_type__init(&per);
	if (str_id(&b, "", 0) != 0) /* the table's entry 0 is "" */
		goto out;
	static const char *const types[3][2] = {
	    {"samples", "count"}, {"on_cpu", "nanoseconds"}, {"off_cpu", "nanoseconds"}};
	for (int i = 0; i < 3; i++) {
		perftools__profiles__value_type__init(&vt[i]);
		vt[i].type = str_id(&b, types[i][0], strlen(types[i][0]));
		vt[i].unit = str_id(&b, types[i][1], strlen(types[i][1]));
		vtp[i] = &vt[i];
	}
	per.type = str_id(&b, "wall", 4);
	per.unit = vt[1].unit;
	b.k_comm = str_id(&b, "comm", 4);
	b.k_state = str_id(&b, "state", 5);
	b.v_on = str_id(&b, "on-cpu", 6);
	b.v_off = str_id(&b, "off-cpu", 7);
	if (per.type < 0 || b.k_comm < 0 || b.k_state < 0 || b.v_on < 0 || b.v_off < 0 ||
	    add_mappings(&b))
		goto out;
	rc = stack_agg_foreach(agg, STACK_ORDER_COUNT, add_stack, &b);
	if (rc)
		goto out;
	p.n_sample_type = 3;
	p.sample_type = vtp;
	p.default_sample_type = vt[0].type;
	p.period_type = &per;
	p.period = (int64_t)m->period_ns;
	p.time_nanos = (int64_t)m->time_ns;
	p.duration_nanos = (int64_t)m->duration_ns;
	p.n_sample = b.smp.n;
	p.sample = (Sample **)b.smp.v;
	p.n_mapping = b.map.n;
	p.mapping = (Mapping **)b.map.v;
	p.n_location = b.loc.n;
	p.location = (Location **)b.loc.v;
	p.n_function = b.fn.n;
	p.function = (Function **)b.fn.v;
	p.n_string_table = b.str.n;
	p.string_table = (char **)b.str.v;
	len = perftools__profiles__profile__get_packed_size(&p);
	buf = malloc(len ? len : 1);
	rc = -ENOMEM;
	if (buf && perftools__profiles__profile__pack(&p, buf) == len)
		rc = gzip_write(fp, buf, len);
out:
	free(buf);
	if (b.have_strs)
		hdestroy_r(&b.strs);
	if (b.have_locs)
		hdestroy_r(&b.locs);
	vec_free(&b.str, free);
	vec_free(&b.keys, free);
	vec_free(&b.fn, free);
	vec_free(&b.loc, free);
	vec_free(&b.map, free);
	vec_free(&b.smp, sample_free);
	return rc;
}
