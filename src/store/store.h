/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store: a recording of every record of a run, in one SQLite file.
 *
 * Schema (version STORE_SCHEMA_VERSION, also in PRAGMA user_version; PRAGMA
 * application_id is STORE_APP_ID):
 *   meta(key TEXT PRIMARY KEY, value TEXT)       schema_version, record_layout,
 *        host, kernel, started_wall_ns, started_mono_ns, ended_mono_ns (clean
 *        end only), interval_ns, ticks_per_s, page_size, command, images
 *   sources(id INTEGER PRIMARY KEY, name, state, reason, events, lost,
 *        loss_episodes, first_loss_ns, last_loss_ns)     the final status
 *   chunks(seq INTEGER PRIMARY KEY, segment, t_first, t_last, nrec, raw_len,
 *        data BLOB, chk)  records encoded by store/codec.c, then deflated
 *        (zlib, raw_len bytes once inflated); chk = codec_checksum(data);
 *        a segment decodes on its own (its first chunk starts from empty slots).
 *   segments: a view (segment, t_first, t_last, records, bytes).
 * WAL mode, one transaction per chunk, a chunk at least every second: a kill
 * -9 loses at most the last second. Retention deletes whole old segments.
 */
#ifndef PROCIMAGE_STORE_H
#define PROCIMAGE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "procimage/record.h"
#include "procimage/source.h"

#define STORE_SCHEMA_VERSION 1
#define STORE_APP_ID	     0x50724f49 /* "PrOI" */

struct store_info {
	char host[128], kernel[128];
	uint64_t started_wall_ns, started_mono_ns, ended_mono_ns; /* ended: 0 = unknown */
	uint64_t interval_ns;
	long ticks_per_s, page_size;
	char command[512];
	char images[128];
	/* Reader only: time of the first and last record, record count. */
	uint64_t first_ns, last_ns, nrec;
	int clean_end;
};

struct store_limits {
	uint64_t max_size;   /* bytes; 0 = none */
	uint64_t max_age_ns; /* 0 = none */
	uint64_t flush_ns;   /* commit at least this often (default 1 s) */
	uint64_t segment_ns; /* start a new self-contained segment this often */
};

struct store_stats {
	uint64_t records, bytes, chunks, segments_dropped;
};

struct store_writer;

/* Create (or truncate) path. NULL with err set. */
struct store_writer *store_create(const char *path, const struct store_info *info,
				  const struct store_limits *lim, char *err, size_t errlen);
/* Append one record (hot path: encodes in memory; commits when due). */
int store_append(struct store_writer *w, const struct record *r);
/* Commit what is buffered now. 0 or -EIO with the error kept. */
int store_flush(struct store_writer *w);
void store_set_sources(struct store_writer *w, const struct source_status *st /* [SRC_COUNT] */);
/* Flush, write ended_mono_ns, close. 0, or -EIO with err set. */
int store_close(struct store_writer *w, uint64_t ended_mono_ns, char *err, size_t errlen);
/* The last error of the writer (after a failed append or flush). */
const char *store_error(const struct store_writer *w);

struct store_reader;

/* Open for reading. NULL with err set; *exit_code is 2 for a file that is not
 * a recording, is corrupted or has another schema, 1 for an I/O failure. */
struct store_reader *store_open(const char *path, char *err, size_t errlen, int *exit_code);
void store_reader_close(struct store_reader *r);
const struct store_info *store_reader_info(const struct store_reader *r);
void store_reader_sources(const struct store_reader *r, struct source_status *st /* [SRC_COUNT] */);
/* Deliver every record with from_ns <= t_ns <= to_ns (CLOCK_MONOTONIC of the
 * recording host; 0 = open end), in recorded order. 0, or 2 with err set
 * (corrupted data). */
int store_replay(struct store_reader *r, uint64_t from_ns, uint64_t to_ns, record_fn fn, void *ctx,
		 char *err, size_t errlen);

/* Records and encoded bytes per kind over the whole recording (report
 * --info, bench/store.sh). 0, or 2 with err set. */
int store_kind_bytes(struct store_reader *r, uint64_t *count,
		     uint64_t *bytes /* [REC_KIND_COUNT] */, char *err, size_t errlen);

#endif
