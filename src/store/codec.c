/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The record codec (see codec.h). The encoder finds a record's slot in an
 * open-addressing hash table; the decoder needs no lookup because the slot
 * number is written. Both keep the last flattened record of every slot, so
 * the steady state allocates nothing (tables grow only for new tasks).
 */
#include "store/codec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct slot_key {
	uint64_t start;
	int32_t tid;
	uint16_t kind, source;
	uint8_t byte0;
	uint8_t used;
};

/* The last text of a slot: its hash for the encoder (a repeated cgroup path
 * or stack is written once per segment), the bytes for the decoder. */
struct slot_text {
	uint64_t hash;
	uint32_t len; /* TEXT_NONE: nothing yet */
	uint32_t cap;
	char *p;
};

#define TEXT_NONE UINT32_MAX

struct codec {
	uint64_t *base;		   /* nslots x CODEC_WORDS: last record of each slot */
	struct slot_text *text_of; /* nslots */
	size_t nslots, cap;
	struct slot_key *keys; /* encoder hash: key -> slot index */
	uint32_t *idx;
	size_t hcap;
	uint64_t prev_t;
	/* 1 + the last slot of each (kind, source), 0 = none: a new task's
	 * first record is coded against the last record of its kind, not zero. */
	uint32_t last[REC_KIND_COUNT][SRC_COUNT];
};

struct codec *codec_new(void)
{
	return calloc(1, sizeof(struct codec));
}

void codec_free(struct codec *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->cap; i++)
		free(c->text_of[i].p);
	free(c->text_of);
	free(c->base);
	free(c->keys);
	free(c->idx);
	free(c);
}

void codec_reset(struct codec *c)
{
	c->nslots = 0;
	c->prev_t = 0;
	memset(c->last, 0, sizeof(c->last));
	if (c->keys)
		memset(c->keys, 0, c->hcap * sizeof(*c->keys));
}

size_t codec_slots(const struct codec *c)
{
	return c->nslots;
}

void codec_buf_free(struct codec_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void codec_layout(char *buf, size_t len)
{
	struct record r;

	snprintf(buf, len, "procimage-record/%d words=%zu union=%zu sample=%zu taskstats=%zu",
		 CODEC_LAYOUT_VERSION, (size_t)CODEC_WORDS, sizeof(r.u), sizeof(r.u.sample),
		 sizeof(r.u.ts));
}

static void flatten(const struct record *r, uint64_t *w)
{
	/* cpu + 1 in the low bits: -1 becomes 0 and a move between CPUs a small
	 * delta; kind and source never change within a slot. */
	w[0] =
	    (uint64_t)(uint32_t)(r->cpu + 1) | (uint64_t)r->kind << 32 | (uint64_t)r->source << 48;
	w[1] = r->t_ns;
	w[2] = (uint64_t)(uint32_t)r->key.tgid | (uint64_t)(uint32_t)r->key.tid << 32;
	w[3] = r->key.start_ticks;
	memcpy(&w[4], r->comm, sizeof(r->comm));
	w[CODEC_WORDS - 1] = 0; /* the union's tail may not fill the last word */
	memcpy(&w[CODEC_HDR_WORDS], &r->u, sizeof(r->u));
}

static void unflatten(const uint64_t *w, struct record *r)
{
	memset(r, 0, sizeof(*r));
	r->cpu = (int32_t)((uint32_t)w[0] - 1u); /* 0 decodes to -1, never overflows */
	r->kind = (uint16_t)(w[0] >> 32);
	r->source = (uint16_t)(w[0] >> 48);
	r->t_ns = w[1];
	r->key.tgid = (int32_t)(uint32_t)w[2];
	r->key.tid = (int32_t)(uint32_t)(w[2] >> 32);
	r->key.start_ticks = w[3];
	memcpy(r->comm, &w[4], sizeof(r->comm));
	memcpy(&r->u, &w[CODEC_HDR_WORDS], sizeof(r->u));
}

static int grow_slots(struct codec *c)
{
	if (c->nslots < c->cap)
		return 0;
	size_t ncap = c->cap ? c->cap * 2 : 256;
	uint64_t *nb = realloc(c->base, ncap * CODEC_WORDS * sizeof(uint64_t));
	if (!nb)
		return -ENOMEM;
	c->base = nb;
	struct slot_text *nt = realloc(c->text_of, ncap * sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	memset(nt + c->cap, 0, (ncap - c->cap) * sizeof(*nt));
	c->text_of = nt;
	c->cap = ncap;
	return 0;
}

static size_t key_hash(const struct slot_key *k)
{
	uint64_t h = k->start * 0x9E3779B97F4A7C15ull;
	h ^= ((uint64_t)(uint32_t)k->tid << 24 | (uint64_t)k->kind << 8 | k->byte0) *
	     0xC2B2AE3D27D4EB4Full;
	h ^= (uint64_t)k->source * 0x165667B19E3779F9ull;
	return (size_t)(h ^ (h >> 29));
}

static int key_eq(const struct slot_key *a, const struct slot_key *b)
{
	return a->start == b->start && a->tid == b->tid && a->kind == b->kind &&
	       a->source == b->source && a->byte0 == b->byte0;
}

static int rehash(struct codec *c)
{
	size_t ncap = c->hcap ? c->hcap * 2 : 1024;
	struct slot_key *nk = calloc(ncap, sizeof(*nk));
	uint32_t *ni = calloc(ncap, sizeof(*ni));

	if (!nk || !ni) {
		free(nk);
		free(ni);
		return -ENOMEM;
	}
	for (size_t i = 0; i < c->hcap; i++) {
		if (!c->keys[i].used)
			continue;
		size_t j = key_hash(&c->keys[i]) & (ncap - 1);
		while (nk[j].used)
			j = (j + 1) & (ncap - 1);
		nk[j] = c->keys[i];
		ni[j] = c->idx[i];
	}
	free(c->keys);
	free(c->idx);
	c->keys = nk;
	c->idx = ni;
	c->hcap = ncap;
	return 0;
}

/* The slot of r: an existing one, or a new one (zero baseline). -1 on ENOMEM. */
static long find_slot(struct codec *c, const struct record *r, int *created)
{
	struct slot_key k = {.start = r->key.start_ticks,
			     .tid = r->key.tid,
			     .kind = r->kind,
			     .source = r->source,
			     .used = 1};
	size_t j;

	memcpy(&k.byte0, &r->u, 1);
	if ((c->nslots + 1) * 10 >= c->hcap * 7 && rehash(c))
		return -1;
	*created = 0;
	for (j = key_hash(&k) & (c->hcap - 1); c->keys[j].used; j = (j + 1) & (c->hcap - 1))
		if (key_eq(&c->keys[j], &k))
			return c->idx[j];
	*created = 1;
	if (grow_slots(c))
		return -1;
	c->keys[j] = k;
	c->idx[j] = (uint32_t)c->nslots;
	c->text_of[c->nslots].len = TEXT_NONE;
	return (long)c->nslots++;
}

static int reserve(struct codec_buf *b, size_t n)
{
	if (b->len + n <= b->cap)
		return 0;
	size_t ncap = b->cap ? b->cap : 65536;
	while (ncap < b->len + n)
		ncap *= 2;
	uint8_t *np = realloc(b->p, ncap);
	if (!np)
		return -ENOMEM;
	b->p = np;
	b->cap = ncap;
	return 0;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static uint64_t zigzag(uint64_t d)
{
	return (d << 1) ^ (0 - (d >> 63)); /* sign mask without shifting a signed value */
}

static uint64_t unzigzag(uint64_t z)
{
	return (z >> 1) ^ (uint64_t) - (int64_t)(z & 1);
}

int codec_encode(struct codec *c, const struct record *r, struct codec_buf *out)
{
	uint64_t w[CODEC_WORDS];
	int created;
	long s = find_slot(c, r, &created);
	size_t tl = r->text ? r->text_len : 0;

	if (s < 0 || reserve(out, 3 * 10 + CODEC_WORDS * 12 + 10 + tl))
		return -ENOMEM;
	flatten(r, w);
	uint64_t *b = c->base + (size_t)s * CODEC_WORDS;
	uint8_t *p = out->p + out->len;
	uint32_t *kl =
	    r->kind < REC_KIND_COUNT && r->source < SRC_COUNT ? &c->last[r->kind][r->source] : NULL;
	p = put_varint(p, (uint64_t)s);
	if (created) {
		uint32_t tmpl = kl && *kl ? *kl : 0;
		p = put_varint(p, tmpl);
		if (tmpl)
			memcpy(b, c->base + (size_t)(tmpl - 1) * CODEC_WORDS, CODEC_WORDS * 8);
		else
			memset(b, 0, CODEC_WORDS * 8);
	}
	if (kl)
		*kl = (uint32_t)s + 1;
	p = put_varint(p, zigzag(r->t_ns - c->prev_t));
	c->prev_t = r->t_ns;
	size_t last = 1; /* word 1 (time) is coded above */
	for (size_t i = 0; i < CODEC_WORDS; i++) {
		if (i == 1 || w[i] == b[i])
			continue;
		p = put_varint(p, i - last);
		p = put_varint(p, zigzag(w[i] - b[i]));
		last = i;
	}
	*p++ = 0;
	/* Text: 0 none, 1 the slot's previous text again, else 2 + length. */
	struct slot_text *st = &c->text_of[s];
	uint64_t h = tl ? codec_checksum((const uint8_t *)r->text, tl) : 0;
	if (tl && st->len == tl && st->hash == h) {
		*p++ = 1;
	} else {
		p = put_varint(p, tl ? tl + 2 : 0);
		if (tl)
			memcpy(p, r->text, tl);
		p += tl;
		st->len = tl ? (uint32_t)tl : TEXT_NONE;
		st->hash = h;
	}
	memcpy(b, w, sizeof(w));
	out->len = (size_t)(p - out->p);
	return 0;
}

static int get_varint(const uint8_t **pos, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;
	const uint8_t *p = *pos;

	for (int shift = 0; shift < 64; shift += 7) {
		if (p >= end)
			return -EBADMSG;
		x |= (uint64_t)(*p & 0x7f) << shift;
		if (!(*p++ & 0x80)) {
			*pos = p;
			*v = x;
			return 0;
		}
	}
	return -EBADMSG;
}

static int decode_words(const uint8_t **pos, const uint8_t *end, uint64_t *b)
{
	uint64_t gap, d;
	size_t i = 1;

	for (;;) {
		if (get_varint(pos, end, &gap))
			return -EBADMSG;
		if (!gap)
			return 0;
		i += gap;
		if (i >= CODEC_WORDS || get_varint(pos, end, &d))
			return -EBADMSG;
		b[i] += unzigzag(d);
	}
}

int codec_decode(struct codec *c, const uint8_t **pos, const uint8_t *end, struct record *r)
{
	uint64_t s, dt, tl;

	if (get_varint(pos, end, &s) || s > c->nslots)
		return -EBADMSG;
	if (s == c->nslots) {
		uint64_t tmpl;
		if (get_varint(pos, end, &tmpl) || tmpl > c->nslots)
			return -EBADMSG;
		if (grow_slots(c))
			return -ENOMEM;
		uint64_t *nb = c->base + c->nslots * CODEC_WORDS;
		if (tmpl)
			memcpy(nb, c->base + (tmpl - 1) * CODEC_WORDS, CODEC_WORDS * 8);
		else
			memset(nb, 0, CODEC_WORDS * 8);
		c->text_of[c->nslots].len = TEXT_NONE;
		c->nslots++;
	}
	uint64_t *b = c->base + s * CODEC_WORDS;
	if (get_varint(pos, end, &dt))
		return -EBADMSG;
	c->prev_t += unzigzag(dt);
	b[1] = c->prev_t;
	if (decode_words(pos, end, b) || get_varint(pos, end, &tl))
		return -EBADMSG;
	unflatten(b, r);
	struct slot_text *st = &c->text_of[s];
	if (tl == 1) {
		if (st->len == TEXT_NONE)
			return -EBADMSG;
	} else if (tl >= 2) {
		tl -= 2;
		if (tl > (uint64_t)(end - *pos) || tl >= UINT32_MAX)
			return -EBADMSG;
		if (tl + 1 > st->cap) {
			char *np = realloc(st->p, tl + 1);
			if (!np)
				return -ENOMEM;
			st->p = np;
			st->cap = (uint32_t)tl + 1;
		}
		memcpy(st->p, *pos, tl);
		st->p[tl] = 0;
		st->len = (uint32_t)tl;
		*pos += tl;
	} else {
		st->len = TEXT_NONE;
	}
	if (tl && st->len != TEXT_NONE && st->len) {
		r->text = st->p;
		r->text_len = st->len;
	}
	if (r->kind >= REC_KIND_COUNT || r->source >= SRC_COUNT)
		return -EBADMSG;
	return 0;
}

uint64_t codec_checksum(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h >> 1; /* fits an SQLite INTEGER without sign games */
}
