/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Task map (see taskmap.h): open addressing with linear probing and
 * tombstones, grown at 70% load and shrunk when mostly empty. The slots hold
 * the keys and the index of each value; the values live in a pool of
 * fixed-size chunks, so growing the table moves 24-byte slots, never the
 * values (an image's per-task state is kilobytes: copying every one at each
 * doubling was a fifth of a 10,000-process start-up). A freed value's index
 * is reused, so a steady-state run allocates nothing.
 */
#include "core/taskmap.h"

#include <stdlib.h>
#include <string.h>

enum { SLOT_EMPTY = 0, SLOT_USED = 1, SLOT_DEAD = 2 };
enum { MAP_MIN_CAP = 64, CHUNK_VALUES = 256 };

struct slot {
	int32_t tid;
	uint8_t state;
	uint32_t val; /* index in the value pool */
	uint64_t start;
};

/* Values: chunks of CHUNK_VALUES, never moved while the map grows; the
 * indices of freed values, reused first. */
struct pool {
	unsigned char **chunks;
	size_t nchunks;
	uint32_t *free_ids;
	size_t nfree, next; /* next: first index never handed out */
};

struct taskmap {
	size_t vsize, cap, used, dead;
	struct slot *slots;
	struct pool pool;
};

static unsigned char *pool_at(const struct pool *p, size_t vsize, uint32_t id)
{
	return p->chunks[id / CHUNK_VALUES] + (size_t)(id % CHUNK_VALUES) * vsize;
}

/* A value index, its chunk allocated; UINT32_MAX on ENOMEM. */
static uint32_t pool_take(struct pool *p, size_t vsize)
{
	if (p->nfree)
		return p->free_ids[--p->nfree];
	if (p->next == (size_t)p->nchunks * CHUNK_VALUES) {
		unsigned char **chunks = realloc(p->chunks, (p->nchunks + 1) * sizeof(*chunks));
		if (!chunks)
			return UINT32_MAX;
		p->chunks = chunks;
		uint32_t *ids =
		    realloc(p->free_ids, (p->nchunks + 1) * CHUNK_VALUES * sizeof(*ids));
		if (!ids)
			return UINT32_MAX;
		p->free_ids = ids;
		p->chunks[p->nchunks] = malloc(CHUNK_VALUES * vsize);
		if (!p->chunks[p->nchunks])
			return UINT32_MAX;
		p->nchunks++;
	}
	return (uint32_t)p->next++;
}

/* free_ids has room for every index handed out (pool_take grew it). */
static void pool_give(struct pool *p, uint32_t id)
{
	p->free_ids[p->nfree++] = id;
}

static void pool_free(struct pool *p)
{
	for (size_t i = 0; i < p->nchunks; i++)
		free(p->chunks[i]);
	free(p->chunks);
	free(p->free_ids);
	*p = (struct pool){0};
}

static size_t hash_tid(int32_t tid, uint64_t start, size_t cap)
{
	uint64_t h =
	    (uint64_t)(uint32_t)tid * 0x9E3779B97F4A7C15ULL ^ start * 0xC2B2AE3D27D4EB4FULL;
	return (size_t)(h >> 17) & (cap - 1);
}

static int taskmap_alloc(struct taskmap *m, size_t cap)
{
	m->slots = calloc(cap, sizeof(*m->slots));
	if (!m->slots)
		return -1;
	m->cap = cap;
	m->used = m->dead = 0;
	return 0;
}

struct taskmap *taskmap_new(size_t value_size)
{
	struct taskmap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->vsize = value_size ? value_size : 1;
	if (taskmap_alloc(m, MAP_MIN_CAP)) {
		free(m);
		return NULL;
	}
	return m;
}

void taskmap_free(struct taskmap *m)
{
	if (!m)
		return;
	free(m->slots);
	pool_free(&m->pool);
	free(m);
}

static size_t find(const struct taskmap *m, int32_t tid, uint64_t start, int *found)
{
	size_t i = hash_tid(tid, start, m->cap), tomb = SIZE_MAX;

	for (;;) {
		const struct slot *s = &m->slots[i];
		if (s->state == SLOT_EMPTY) {
			*found = 0;
			return tomb != SIZE_MAX ? tomb : i;
		}
		if (s->state == SLOT_DEAD) {
			if (tomb == SIZE_MAX)
				tomb = i;
		} else if (s->tid == tid && s->start == start) {
			*found = 1;
			return i;
		}
		i = (i + 1) & (m->cap - 1);
	}
}

void *taskmap_get(struct taskmap *m, int32_t tid, uint64_t start_ticks)
{
	int found;
	size_t i = find(m, tid, start_ticks, &found);
	return found ? pool_at(&m->pool, m->vsize, m->slots[i].val) : NULL;
}

/* Move every live entry into a table of cap slots (a power of two that holds
 * them under the 70% load): growing, dropping tombstones, or shrinking. The
 * values stay where they are, except when shrinking (compact): then they are
 * copied into a pool of their own size, so that the memory of a burst of
 * tasks is returned. */
static int rehash(struct taskmap *m, size_t cap, int compact)
{
	struct taskmap old = *m;

	if (taskmap_alloc(m, cap)) {
		*m = old;
		return -1;
	}
	if (compact)
		memset(&m->pool, 0, sizeof(m->pool));
	else
		m->pool = old.pool;
	for (size_t i = 0; i < old.cap; i++) {
		int found;
		if (old.slots[i].state != SLOT_USED)
			continue;
		size_t j = find(m, old.slots[i].tid, old.slots[i].start, &found);
		m->slots[j] = old.slots[i];
		if (compact) {
			uint32_t id = pool_take(&m->pool, m->vsize);
			if (id == UINT32_MAX) {
				pool_free(&m->pool);
				free(m->slots);
				*m = old;
				return -1;
			}
			memcpy(pool_at(&m->pool, m->vsize, id),
			       pool_at(&old.pool, m->vsize, old.slots[i].val), m->vsize);
			m->slots[j].val = id;
		}
		m->used++;
	}
	if (compact)
		pool_free(&old.pool);
	free(old.slots);
	return 0;
}

/* The table to use before one more insertion: doubled when full of live
 * entries, rebuilt at its size when tombstones fill it, halved (or less)
 * when a burst of tasks has come and gone. The last is why a long watch or
 * record does not keep the memory of its busiest minute: a map left at one
 * eighth of its capacity is shrunk to a quarter load or more, never below
 * MAP_MIN_CAP, so growing again takes a doubling of the live tasks. */
static int make_room(struct taskmap *m)
{
	size_t cap = m->cap;

	if ((m->used + 1) * 8 < m->cap && m->cap > MAP_MIN_CAP) {
		while (cap / 2 >= MAP_MIN_CAP && (m->used + 1) * 4 <= cap / 2)
			cap /= 2;
		return rehash(m, cap, 1);
	}
	if ((m->used + m->dead + 1) * 10 <= m->cap * 7)
		return 0;
	if ((m->used * 2 + 1) * 2 > m->cap)
		cap *= 2;
	return rehash(m, cap, 0);
}

void *taskmap_put(struct taskmap *m, int32_t tid, uint64_t start_ticks, int *created)
{
	int found;
	size_t i;

	/* Only an insertion may move the values (taskmap.h): an existing key
	 * is returned where it is. */
	i = find(m, tid, start_ticks, &found);
	if (!found) {
		if (make_room(m))
			return NULL;
		i = find(m, tid, start_ticks, &found);
	}
	if (created)
		*created = !found;
	if (!found) {
		uint32_t id = pool_take(&m->pool, m->vsize);
		if (id == UINT32_MAX)
			return NULL;
		if (m->slots[i].state == SLOT_DEAD)
			m->dead--;
		m->slots[i] =
		    (struct slot){.tid = tid, .state = SLOT_USED, .val = id, .start = start_ticks};
		memset(pool_at(&m->pool, m->vsize, id), 0, m->vsize);
		m->used++;
	}
	return pool_at(&m->pool, m->vsize, m->slots[i].val);
}

void taskmap_del(struct taskmap *m, int32_t tid, uint64_t start_ticks)
{
	int found;
	size_t i = find(m, tid, start_ticks, &found);

	if (!found)
		return;
	m->slots[i].state = SLOT_DEAD;
	pool_give(&m->pool, m->slots[i].val);
	m->used--;
	m->dead++;
}

size_t taskmap_count(const struct taskmap *m)
{
	return m->used;
}

size_t taskmap_capacity(const struct taskmap *m)
{
	return m->cap;
}

void *taskmap_next(struct taskmap *m, size_t *iter, int32_t *tid, uint64_t *start_ticks)
{
	for (size_t i = *iter; i < m->cap; i++) {
		if (m->slots[i].state != SLOT_USED)
			continue;
		*iter = i + 1;
		if (tid)
			*tid = m->slots[i].tid;
		if (start_ticks)
			*start_ticks = m->slots[i].start;
		return pool_at(&m->pool, m->vsize, m->slots[i].val);
	}
	*iter = m->cap;
	return NULL;
}

void taskmap_clear(struct taskmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].state == SLOT_USED)
			pool_give(&m->pool, m->slots[i].val);
	memset(m->slots, 0, m->cap * sizeof(*m->slots));
	m->used = m->dead = 0;
}
