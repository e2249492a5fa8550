/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The record codec (see codec.h). The encoder finds a record's slot in an
 * open-addressing hash table; the decoder needs no lookup because the slot
 * number is written. Both keep the last flattened record of every slot,
 * without its trailing zero words (a process sample read from stat alone
 * is ~20 of the 79 words, an exit record 9), so the steady state allocates
 * little. The encoder holds at most max_slots slots: past that a new slot
 * replaces one not used since the clock hand last passed it (a task that
 * exited, mostly), and says which, so memory stays bounded however many
 * tasks come and go within a segment.
 */
#include "procimage/hash.h"
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

/* Slot words live in blocks of BLK_WORDS from the codec's pool: every block
 * has the same size, so a block a slot gives back is the next one taken and
 * the allocator never fragments, however the records' sizes mix. */
#define BLK_WORDS  16
#define SLOT_BLKS  ((CODEC_WORDS + BLK_WORDS - 1) / BLK_WORDS)
#define ARENA_BLKS 1024 /* blocks per allocation (128 KiB) */
#define BLK_NONE   UINT32_MAX

/* A slot: the words of its last record up to the last non-zero one (the
 * others are zero), in nblk blocks, and its last text. */
struct slot {
	uint32_t blk[SLOT_BLKS];
	uint16_t len, nblk;
	struct slot_text text;
};

struct codec {
	struct slot *slots; /* cap of them, nslots in use */
	size_t nslots, cap;
	uint64_t **arena; /* the block pool: narena x ARENA_BLKS blocks */
	size_t narena;
	uint32_t carved, free_blk; /* blocks handed out so far; free list head */
	struct slot_key *keys;	   /* encoder hash: key -> slot index */
	uint32_t *idx;
	size_t hcap;
	uint8_t *ref; /* encoder: used since the clock hand last passed */
	size_t max_slots, hand;
	uint64_t replaced;
	uint64_t prev_t;
	/* 1 + the last slot of each (kind, source), 0 = none: a new task's
	 * first record is coded against the last record of its kind, not zero. */
	uint32_t last[REC_KIND_COUNT][SRC_COUNT];
};

struct codec *codec_new(void)
{
	struct codec *c = calloc(1, sizeof(struct codec));

	if (c) {
		c->max_slots = CODEC_MAX_SLOTS;
		c->free_blk = BLK_NONE;
	}
	return c;
}

void codec_set_max_slots(struct codec *c, size_t n)
{
	c->max_slots = n < 2 ? 2 : n;
}

uint64_t codec_replaced(const struct codec *c)
{
	return c->replaced;
}

void codec_free(struct codec *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->cap; i++)
		free(c->slots[i].text.p);
	for (size_t i = 0; i < c->narena; i++)
		free(c->arena[i]);
	free(c->arena);
	free(c->slots);
	free(c->keys);
	free(c->idx);
	free(c->ref);
	free(c);
}

void codec_reset(struct codec *c)
{
	c->nslots = 0;
	c->hand = 0;
	c->prev_t = 0;
	memset(c->last, 0, sizeof(c->last));
	if (c->keys)
		memset(c->keys, 0, c->hcap * sizeof(*c->keys));
}

size_t codec_slots(const struct codec *c)
{
	return c->nslots;
}

size_t codec_memory(const struct codec *c)
{
	size_t n = sizeof(*c) + c->cap * (sizeof(struct slot) + (c->ref ? 1 : 0)) +
		   c->hcap * (sizeof(struct slot_key) + sizeof(uint32_t)) +
		   c->narena * (ARENA_BLKS * BLK_WORDS * sizeof(uint64_t) + sizeof(uint64_t *));

	for (size_t i = 0; i < c->cap; i++)
		n += c->slots[i].text.cap;
	return n;
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

static int grow_slots(struct codec *c, int encoder)
{
	if (c->nslots < c->cap)
		return 0;
	size_t ncap = c->cap ? c->cap * 2 : 256;
	if (encoder && ncap > c->max_slots)
		ncap = c->max_slots; /* the encoder never holds more */
	if (encoder) {
		uint8_t *nr = realloc(c->ref, ncap);
		if (!nr)
			return -ENOMEM;
		c->ref = nr;
	}
	struct slot *ns = realloc(c->slots, ncap * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	memset(ns + c->cap, 0, (ncap - c->cap) * sizeof(*ns));
	c->slots = ns;
	c->cap = ncap;
	return 0;
}

static uint64_t *blk_words(const struct codec *c, uint32_t b)
{
	return c->arena[b / ARENA_BLKS] + (size_t)(b % ARENA_BLKS) * BLK_WORDS;
}

static int blk_get(struct codec *c, uint32_t *b)
{
	if (c->free_blk != BLK_NONE) {
		*b = c->free_blk;
		memcpy(&c->free_blk, blk_words(c, *b), sizeof(uint32_t));
		return 0;
	}
	if (c->carved == c->narena * ARENA_BLKS) {
		if (c->carved >= BLK_NONE - ARENA_BLKS)
			return -ENOMEM;
		uint64_t **na = realloc(c->arena, (c->narena + 1) * sizeof(*na));
		if (!na)
			return -ENOMEM;
		c->arena = na;
		if (!(na[c->narena] = malloc(ARENA_BLKS * BLK_WORDS * sizeof(uint64_t))))
			return -ENOMEM;
		c->narena++;
	}
	*b = c->carved++;
	return 0;
}

static void blk_put(struct codec *c, uint32_t b)
{
	memcpy(blk_words(c, b), &c->free_blk, sizeof(uint32_t));
	c->free_blk = b;
}

/* The full words of slot s into b. */
static void slot_load(const struct codec *c, size_t s, uint64_t *b)
{
	const struct slot *sl = &c->slots[s];

	for (size_t i = 0, at = 0; at < sl->len; i++, at += BLK_WORDS) {
		size_t n = sl->len - at < BLK_WORDS ? sl->len - at : BLK_WORDS;
		memcpy(b + at, blk_words(c, sl->blk[i]), n * sizeof(uint64_t));
	}
	memset(b + sl->len, 0, (CODEC_WORDS - sl->len) * sizeof(uint64_t));
}

/* Keep w as slot s's last record. A new slot (fresh) gives back the blocks
 * its record does not need. */
static int slot_store(struct codec *c, size_t s, const uint64_t *w, int fresh)
{
	struct slot *sl = &c->slots[s];
	size_t n = CODEC_WORDS;

	while (n && !w[n - 1])
		n--;
	size_t need = (n + BLK_WORDS - 1) / BLK_WORDS;
	while (sl->nblk < need)
		if (blk_get(c, &sl->blk[sl->nblk++])) {
			sl->nblk--;
			sl->len = 0; /* what it held is lost: the caller fails */
			return -ENOMEM;
		}
	while (fresh && sl->nblk > need)
		blk_put(c, sl->blk[--sl->nblk]);
	for (size_t i = 0, at = 0; at < n; i++, at += BLK_WORDS)
		memcpy(blk_words(c, sl->blk[i]), w + at,
		       (n - at < BLK_WORDS ? n - at : BLK_WORDS) * sizeof(uint64_t));
	sl->len = (uint16_t)n;
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

/* The key of slot s, from its last record (the key's fields never change
 * within a slot). */
static void slot_key_of(const struct codec *c, size_t s, struct slot_key *k)
{
	uint64_t b[CODEC_WORDS];

	slot_load(c, s, b);
	memset(k, 0, sizeof(*k));
	k->start = b[3];
	k->tid = (int32_t)(uint32_t)(b[2] >> 32);
	k->kind = (uint16_t)(b[0] >> 32);
	k->source = (uint16_t)(b[0] >> 48);
	memcpy(&k->byte0, &b[CODEC_HDR_WORDS], 1);
	k->used = 1;
}

/* Remove slot s from the hash (linear probing: shift the entries that
 * follow back, so no tombstone is left). */
static void hash_del(struct codec *c, size_t s)
{
	struct slot_key k;
	size_t mask = c->hcap - 1, i;

	slot_key_of(c, s, &k);
	for (i = key_hash(&k) & mask; c->keys[i].used; i = (i + 1) & mask)
		if (c->idx[i] == s)
			break;
	if (!c->keys[i].used)
		return; /* cannot happen: every slot is in the hash */
	for (;;) {
		size_t j = i;
		c->keys[i].used = 0;
		for (;;) {
			j = (j + 1) & mask;
			if (!c->keys[j].used)
				return;
			size_t h = key_hash(&c->keys[j]) & mask;
			/* Stays if its home is cyclically in (i, j]. */
			if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
				continue;
			break;
		}
		c->keys[i] = c->keys[j];
		c->idx[i] = c->idx[j];
		i = j;
	}
}

/* The clock: the first slot not used since the hand last passed it. */
static size_t clock_victim(struct codec *c)
{
	for (;;) {
		size_t v = c->hand;
		c->hand = (c->hand + 1) % c->nslots;
		if (!c->ref[v])
			return v;
		c->ref[v] = 0;
	}
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

/* The slot of r: an existing one, or a new one (*created): appended, or at
 * max_slots one that replaces the clock's victim (*replaced; the slot still
 * holds the victim's last record until the caller writes the baseline).
 * -1 on ENOMEM. */
static long find_slot(struct codec *c, const struct record *r, int *created, int *replaced)
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
	*created = *replaced = 0;
	for (j = key_hash(&k) & (c->hcap - 1); c->keys[j].used; j = (j + 1) & (c->hcap - 1))
		if (key_eq(&c->keys[j], &k)) {
			c->ref[c->idx[j]] = 1;
			return c->idx[j];
		}
	*created = 1;
	size_t s;
	if (c->nslots >= c->max_slots) {
		s = clock_victim(c);
		hash_del(c, s); /* entries moved: probe again for the free place */
		for (j = key_hash(&k) & (c->hcap - 1); c->keys[j].used; j = (j + 1) & (c->hcap - 1))
			;
		*replaced = 1;
		c->replaced++;
	} else {
		if (grow_slots(c, 1))
			return -1;
		s = c->nslots++;
	}
	c->keys[j] = k;
	c->idx[j] = (uint32_t)s;
	c->ref[s] = 1;
	c->slots[s].text.len = TEXT_NONE;
	return (long)s;
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
	uint64_t w[CODEC_WORDS], b[CODEC_WORDS];
	int created, replaced;
	long s = find_slot(c, r, &created, &replaced);
	size_t tl = r->text ? r->text_len : 0;

	if (s < 0 || reserve(out, 4 * 10 + CODEC_WORDS * 12 + 10 + tl))
		return -ENOMEM;
	flatten(r, w);
	uint8_t *p = out->p + out->len;
	uint32_t *kl =
	    r->kind < REC_KIND_COUNT && r->source < SRC_COUNT ? &c->last[r->kind][r->source] : NULL;
	if (!created) {
		p = put_varint(p, (uint64_t)s);
		slot_load(c, (size_t)s, b);
	} else {
		/* New: the slot count, then 0 (appended) or 1 + the slot it
		 * replaces, then the baseline. */
		uint32_t tmpl = kl && *kl ? *kl : 0;
		p = put_varint(p, replaced ? c->nslots : (uint64_t)s);
		p = put_varint(p, replaced ? (uint64_t)s + 1 : 0);
		p = put_varint(p, tmpl);
		if (replaced && c->slots[s].len) {
			/* The replaced slot no longer holds the last record of its
			 * kind (unless it is the template of its successor). */
			uint64_t w0 = blk_words(c, c->slots[s].blk[0])[0];
			uint16_t vk = (uint16_t)(w0 >> 32), vs = (uint16_t)(w0 >> 48);
			if (vk < REC_KIND_COUNT && vs < SRC_COUNT && c->last[vk][vs] == s + 1 &&
			    tmpl != s + 1)
				c->last[vk][vs] = 0;
		}
		if (tmpl)
			slot_load(c, tmpl - 1, b);
		else
			memset(b, 0, sizeof(b));
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
	struct slot_text *st = &c->slots[s].text;
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
	if (slot_store(c, (size_t)s, w, created))
		return -ENOMEM;
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
	uint64_t s, dt, tl, b[CODEC_WORDS];
	int fresh = 0;

	if (get_varint(pos, end, &s) || s > c->nslots)
		return -EBADMSG;
	if (s == c->nslots) {
		uint64_t at, tmpl;
		if (get_varint(pos, end, &at) || at > c->nslots || get_varint(pos, end, &tmpl) ||
		    tmpl > c->nslots)
			return -EBADMSG;
		if (tmpl)
			slot_load(c, tmpl - 1, b);
		else
			memset(b, 0, sizeof(b));
		if (at) {
			s = at - 1; /* replaces slot s */
		} else {
			if (grow_slots(c, 0))
				return -ENOMEM;
			c->slots[c->nslots].len = 0;
			c->nslots++;
		}
		c->slots[s].text.len = TEXT_NONE;
		fresh = 1;
	} else {
		slot_load(c, s, b);
	}
	if (get_varint(pos, end, &dt))
		return -EBADMSG;
	c->prev_t += unzigzag(dt);
	b[1] = c->prev_t;
	if (decode_words(pos, end, b) || get_varint(pos, end, &tl))
		return -EBADMSG;
	if (slot_store(c, s, b, fresh))
		return -ENOMEM;
	unflatten(b, r);
	struct slot_text *st = &c->slots[s].text;
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
	return fnv1a(FNV1A_BASIS, p, len) >> 1; /* fits an SQLite INTEGER without sign games */
}
