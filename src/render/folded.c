/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The folded-stack aggregate (see folded.h): an open-addressing hash table of
 * (offset, length, count) over one growing text arena. Stacks are interned
 * once; counting a known stack is a hash and a compare. Sorting happens only
 * when writing, on an index array.
 */
#include "procimage/hash.h"
#include "render/folded.h"

#include "render/escape.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	uint64_t hash;
	uint64_t count;
	uint32_t off, len; /* len 0: empty slot */
};

struct stack_agg {
	struct slot *slots;
	size_t nslots, used;
	char *arena;
	size_t arena_len, arena_cap;
	uint64_t total;
};

/* FNV-1a: short keys, no need for anything stronger. */
static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = fnv1a(HASH_SEED, s, n);

	return h ? h : 1;
}

struct stack_agg *stack_agg_new(void)
{
	struct stack_agg *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->nslots = 256;
	a->slots = calloc(a->nslots, sizeof(*a->slots));
	if (!a->slots) {
		free(a);
		return NULL;
	}
	return a;
}

void stack_agg_free(struct stack_agg *a)
{
	if (!a)
		return;
	free(a->slots);
	free(a->arena);
	free(a);
}

void stack_agg_clear(struct stack_agg *a)
{
	memset(a->slots, 0, a->nslots * sizeof(*a->slots));
	a->used = 0;
	a->arena_len = 0;
	a->total = 0;
}

static struct slot *find(const struct stack_agg *a, const char *s, size_t n, uint64_t h)
{
	size_t mask = a->nslots - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct slot *sl = &a->slots[i];
		if (!sl->len)
			return sl;
		if (sl->hash == h && sl->len == n && memcmp(a->arena + sl->off, s, n) == 0)
			return sl;
	}
}

static int grow(struct stack_agg *a)
{
	size_t n = a->nslots * 2;
	struct slot *ns = calloc(n, sizeof(*ns));
	struct slot *old = a->slots;
	size_t oldn = a->nslots;

	if (!ns)
		return -ENOMEM;
	a->slots = ns;
	a->nslots = n;
	for (size_t i = 0; i < oldn; i++)
		if (old[i].len)
			*find(a, a->arena + old[i].off, old[i].len, old[i].hash) = old[i];
	free(old);
	return 0;
}

static int intern(struct stack_agg *a, const char *s, size_t n, uint32_t *off)
{
	if (a->arena_len + n + 1 > a->arena_cap) {
		size_t cap = a->arena_cap ? a->arena_cap : 4096;
		while (cap < a->arena_len + n + 1)
			cap *= 2;
		if (cap > UINT32_MAX)
			return -ENOMEM;
		char *na = realloc(a->arena, cap);
		if (!na)
			return -ENOMEM;
		a->arena = na;
		a->arena_cap = cap;
	}
	memcpy(a->arena + a->arena_len, s, n);
	a->arena[a->arena_len + n] = '\0';
	*off = (uint32_t)a->arena_len;
	a->arena_len += n + 1;
	return 0;
}

int stack_agg_add(struct stack_agg *a, const char *folded, size_t len, uint64_t count)
{
	uint64_t h;
	struct slot *sl;

	if (!len || len > UINT32_MAX || memchr(folded, '\n', len))
		return -EINVAL;
	h = hash_bytes(folded, len);
	sl = find(a, folded, len, h);
	if (!sl->len) {
		if ((a->used + 1) * 2 > a->nslots) {
			if (grow(a))
				return -ENOMEM;
			sl = find(a, folded, len, h);
		}
		if (intern(a, folded, len, &sl->off))
			return -ENOMEM;
		sl->hash = h;
		sl->len = (uint32_t)len;
		a->used++;
	}
	sl->count += count;
	a->total += count;
	return 0;
}

int stack_agg_add_line(struct stack_agg *a, const char *line)
{
	size_t n = strlen(line);
	const char *sp;
	char *end;
	unsigned long long c;

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	sp = n ? memrchr(line, ' ', n) : NULL;
	if (!sp || sp == line || sp + 1 == line + n)
		return -EINVAL;
	errno = 0;
	c = strtoull(sp + 1, &end, 10);
	if (errno || end != line + n)
		return -EINVAL;
	return stack_agg_add(a, line, (size_t)(sp - line), c);
}

int stack_agg_read_folded(struct stack_agg *a, FILE *fp)
{
	char *line = NULL;
	size_t cap = 0;
	int bad = 0;

	while (getline(&line, &cap, fp) > 0) {
		int rc = stack_agg_add_line(a, line);
		if (rc == -ENOMEM) {
			free(line);
			return rc;
		}
		bad += rc != 0 && line[0] != '\n';
	}
	free(line);
	return bad;
}

int stack_agg_merge(struct stack_agg *dst, const struct stack_agg *src)
{
	for (size_t i = 0; i < src->nslots; i++) {
		const struct slot *sl = &src->slots[i];
		if (sl->len && stack_agg_add(dst, src->arena + sl->off, sl->len, sl->count))
			return -ENOMEM;
	}
	return 0;
}

uint64_t stack_agg_total(const struct stack_agg *a)
{
	return a->total;
}

size_t stack_agg_size(const struct stack_agg *a)
{
	return a->used;
}

size_t stack_agg_frames(const struct stack_agg *a)
{
	size_t n = a->used;

	for (size_t i = 0; i < a->arena_len; i++)
		n += a->arena[i] == ';';
	return n;
}

uint64_t stack_agg_get(const struct stack_agg *a, const char *folded)
{
	size_t n = strlen(folded);
	const struct slot *sl;

	if (!n)
		return 0;
	sl = find(a, folded, n, hash_bytes(folded, n));
	return sl->len ? sl->count : 0;
}

static int has_frame(const char *s, size_t n, const char *frame, size_t fl)
{
	const char *p = s, *end = s + n;

	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *e = semi ? semi : end;
		if ((size_t)(e - p) == fl && memcmp(p, frame, fl) == 0)
			return 1;
		p = e + 1;
	}
	return 0;
}

uint64_t stack_agg_count_frame(const struct stack_agg *a, const char *frame)
{
	size_t fl = strlen(frame);
	uint64_t n = 0;

	for (size_t i = 0; i < a->nslots; i++) {
		const struct slot *sl = &a->slots[i];
		if (sl->len && has_frame(a->arena + sl->off, sl->len, frame, fl))
			n += sl->count;
	}
	return n;
}

/* qsort has no context argument: sort (slot pointer, arena) pairs. */
struct ref {
	const struct slot *sl;
	const char *arena;
};

static int cmp_name(const void *x, const void *y)
{
	const struct ref *a = x, *b = y;
	size_t n = a->sl->len < b->sl->len ? a->sl->len : b->sl->len;
	int c = memcmp(a->arena + a->sl->off, b->arena + b->sl->off, n);

	if (c)
		return c;
	return (a->sl->len > b->sl->len) - (a->sl->len < b->sl->len);
}

static int cmp_count(const void *x, const void *y)
{
	const struct ref *a = x, *b = y;

	if (a->sl->count != b->sl->count)
		return a->sl->count < b->sl->count ? 1 : -1;
	return cmp_name(x, y);
}

int stack_agg_foreach(const struct stack_agg *a, enum stack_order order, stack_agg_fn fn, void *ctx)
{
	struct ref *refs = malloc((a->used ? a->used : 1) * sizeof(*refs));
	size_t n = 0;
	int rc = 0;

	if (!refs)
		return -ENOMEM;
	for (size_t i = 0; i < a->nslots; i++)
		if (a->slots[i].len)
			refs[n++] = (struct ref){&a->slots[i], a->arena};
	qsort(refs, n, sizeof(*refs), order == STACK_ORDER_NAME ? cmp_name : cmp_count);
	for (size_t i = 0; i < n && !rc; i++)
		rc = fn(ctx, a->arena + refs[i].sl->off, refs[i].sl->len, refs[i].sl->count);
	free(refs);
	return rc;
}

static int write_line(void *ctx, const char *s, size_t n, uint64_t count)
{
	FILE *fp = ctx;

	/* Frames were made safe when added (stack_frame_sanitize); the text
	 * form again costs nothing and holds whatever an adder forgot. */
	errno = 0; /* a failed write leaves its reason (ENOSPC) for the caller */
	esc_text(fp, s, n);
	fprintf(fp, " %llu\n", (unsigned long long)count);
	return ferror(fp) ? -(errno ? errno : EIO) : 0;
}

int stack_agg_write_folded(const struct stack_agg *a, FILE *fp)
{
	return stack_agg_foreach(a, STACK_ORDER_NAME, write_line, fp);
}

size_t stack_frame_sanitize(const char *name, char *out, size_t outlen)
{
	size_t len = strlen(name), n;
	char *copy = NULL;

	if (!outlen)
		return 0;
	/* in place (out == name) is allowed: the escaped form is longer */
	if (out < name + len + 1 && name < out + outlen) {
		if (!(copy = strdup(name))) {
			out[0] = '\0';
			return 0;
		}
		name = copy;
	}
	n = esc_frame(out, outlen, name, len);
	free(copy);
	return n;
}

/* One line of /proc/<tid>/stack: "[<0>] name+0x1a/0x40" or, on old kernels,
 * "[<ffffffff81234567>] name+0x1a/0x40". Sets the name span; 0 if none. */
static int kernel_frame(const char *line, const char *eol, const char **name, size_t *len)
{
	const char *p = line, *e;

	if (*p == '[') {
		p = memchr(p, ']', (size_t)(eol - p));
		if (!p)
			return 0;
		p++;
	}
	while (p < eol && *p == ' ')
		p++;
	for (e = p; e < eol && *e != '+' && *e != ' '; e++)
		;
	*name = p;
	*len = (size_t)(e - p);
	return *len > 0;
}

size_t stack_fold_kernel(const char *text, const char *suffix, char *out, size_t outlen)
{
	const char *names[128];
	size_t lens[128], n = 0, w = 0, sl = suffix ? strlen(suffix) : 0;

	if (!outlen)
		return 0;
	for (const char *p = text; p && *p && n < 128;) {
		const char *eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		if (kernel_frame(p, eol, &names[n], &lens[n]))
			n++;
		p = *eol ? eol + 1 : eol;
	}
	out[0] = '\0';
	while (n--) { /* the file is leaf first; folded stacks are root first */
		if (w + lens[n] + sl + 2 > outlen)
			break;
		if (w)
			out[w++] = ';';
		for (size_t i = 0; i < lens[n]; i++)
			out[w++] = names[n][i] == ';' ? ':' : names[n][i];
		memcpy(out + w, suffix ? suffix : "", sl);
		w += sl;
		out[w] = '\0';
	}
	return w;
}
