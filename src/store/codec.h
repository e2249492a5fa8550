/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The record codec of the store: struct record <-> compact bytes.
 *
 * Generic on purpose: a record is flattened to 64-bit words (header fields,
 * then the payload union as raw bytes), and each record is written as the
 * difference to the previous record of the same "slot" (same kind, source,
 * task and first payload byte, e.g. the sample scope). Counters that grew and
 * a time that moved are all that is left of an idle task's sample: a few
 * bytes instead of ~600. No kind gets special treatment, so a record kind or
 * payload member added later goes through unchanged.
 *
 * Encoding of one record (all integers LEB128 varints, d = zigzag):
 *   slot [place template] | d(t_ns - previous t_ns) | {gap, d(word delta)}* 0 |
 *   text: 0 (none), 1 (the slot's previous text again), 2 + len, bytes
 * A new slot is announced by slot == number of slots so far, followed by
 * where it goes: 0 (appended: one slot more) or 1 + the slot it replaces
 * (the encoder holds at most CODEC_MAX_SLOTS and then reuses the slot of a
 * task not seen for a while, usually one that exited), and its baseline:
 * 0 (zero) or 1 + the slot to copy (the encoder picks the last record of
 * the same kind and source, so a new task's first sample or an exit record
 * of yet another short-lived task costs a small delta too).
 * A segment (codec_reset) starts from empty slots, so it decodes on its own.
 */
#ifndef PROCIMAGE_STORE_CODEC_H
#define PROCIMAGE_STORE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "procimage/record.h"

/* Words of a flattened record: 6 header words and the payload union. */
#define CODEC_HDR_WORDS 6
#define CODEC_WORDS	(CODEC_HDR_WORDS + (sizeof(((struct record *)0)->u) + 7) / 8)
/* Bump when the flattening or the encoding changes; the store refuses other
 * layouts. 5: a new slot says where it goes (appended or replacing one). */
#define CODEC_LAYOUT_VERSION 5
/* The encoder's slots at most. A slot keeps its last record up to the last
 * non-zero word (a stat-only process sample ~160 bytes, a deep one up to
 * 632, an exit record 72) plus ~70 bytes of bookkeeping and hash. A
 * host-wide recording needs about 2 per live process (its sample and its
 * cgroup record) and one per sampled thread; tasks seen once (churn) use
 * theirs briefly. Past this many live slots, records cost more bytes on disk
 * (coded against another task's), never more memory. */
#define CODEC_MAX_SLOTS 16384

struct codec;

struct codec *codec_new(void);
void codec_free(struct codec *c);
/* Forget every slot: the next record starts a self-contained segment. */
void codec_reset(struct codec *c);
size_t codec_slots(const struct codec *c);
/* Encoder: hold at most n slots (default CODEC_MAX_SLOTS; at least 2). */
void codec_set_max_slots(struct codec *c, size_t n);
/* Encoder: new slots that replaced another so far (never reset). */
uint64_t codec_replaced(const struct codec *c);
/* Bytes the codec holds (slots, their words and texts, the hash). */
size_t codec_memory(const struct codec *c);

/* A growable byte buffer the encoder appends to. */
struct codec_buf {
	uint8_t *p;
	size_t len, cap;
};
void codec_buf_free(struct codec_buf *b);

/* Append r to out. 0, or -ENOMEM. */
int codec_encode(struct codec *c, const struct record *r, struct codec_buf *out);
/* Decode one record from [*pos, end). r->text points into the codec's own
 * buffers (NUL-terminated), valid until the next call. 0, or -EBADMSG. */
int codec_decode(struct codec *c, const uint8_t **pos, const uint8_t *end, struct record *r);

/* FNV-1a 64 of a chunk, stored next to it: corruption inside a blob (which
 * SQLite cannot see) is found before it is decoded. */
uint64_t codec_checksum(const uint8_t *p, size_t len);

/* "procimage-record/1 words=N union=N sample=N taskstats=N": what a reader
 * must match to decode the payload bytes the same way. */
void codec_layout(char *buf, size_t len);

#endif
