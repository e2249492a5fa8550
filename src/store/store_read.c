/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store reader (see store.h). Before anything is decoded the file must
 * prove it is ours and of our schema and record layout; a recording of
 * another version is refused, never misread. Corruption found later (SQLite
 * says so, or a chunk does not decode to exactly its record count) is also
 * an error: a report never silently skips data.
 */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <zlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/codec.h"

struct store_reader {
	sqlite3 *db;
	const char *path;
	struct store_info info;
	struct source_status src[SRC_COUNT];
};

static int bad_file(char *err, size_t n, const char *path, const char *why, int *code)
{
	snprintf(err, n, "'%s' %s", path, why);
	*code = 2;
	return -1;
}

static int q_u64(sqlite3 *db, const char *sql, uint64_t *v)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*v = (uint64_t)sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

static void meta_get(sqlite3 *db, const char *key, char *buf, size_t len)
{
	sqlite3_stmt *st;

	buf[0] = 0;
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key=?", -1, &st, NULL))
		return;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

static uint64_t meta_u64(sqlite3 *db, const char *key)
{
	char b[32];

	meta_get(db, key, b, sizeof(b));
	return strtoull(b, NULL, 10);
}

/* Ours, our schema, our record layout? */
static int check_identity(struct store_reader *r, char *err, size_t n, int *code)
{
	uint64_t app = 0, ver = 0;
	char layout[160], want[160];
	int rc = q_u64(r->db, "PRAGMA application_id", &app);

	if (rc == SQLITE_OK)
		rc = q_u64(r->db, "PRAGMA user_version", &ver);
	if (rc != SQLITE_OK) {
		snprintf(err, n, "'%s' is not a procimage recording or is corrupted (%s)", r->path,
			 sqlite3_errstr(rc));
		return *code = 2, -1;
	}
	if (app != STORE_APP_ID)
		return bad_file(err, n, r->path,
				"is not a procimage recording (empty, or an SQLite"
				" file of another application)",
				code);
	if (ver != STORE_SCHEMA_VERSION) {
		snprintf(err, n,
			 "'%s' was recorded with store schema %llu, this procimage reads"
			 " schema %d: report it with the %s procimage that recorded it",
			 r->path, (unsigned long long)ver, STORE_SCHEMA_VERSION,
			 ver > STORE_SCHEMA_VERSION ? "newer" : "older");
		return *code = 2, -1;
	}
	meta_get(r->db, "record_layout", layout, sizeof(layout));
	codec_layout(want, sizeof(want));
	if (strcmp(layout, want)) {
		snprintf(err, n,
			 "'%s' holds records of layout \"%s\"; this procimage reads \"%s\":"
			 " report it with the procimage build that recorded it",
			 r->path, layout, want);
		return *code = 2, -1;
	}
	return 0;
}

static void read_info(struct store_reader *r)
{
	struct store_info *in = &r->info;

	meta_get(r->db, "host", in->host, sizeof(in->host));
	meta_get(r->db, "kernel", in->kernel, sizeof(in->kernel));
	meta_get(r->db, "command", in->command, sizeof(in->command));
	meta_get(r->db, "images", in->images, sizeof(in->images));
	in->started_wall_ns = meta_u64(r->db, "started_wall_ns");
	in->started_mono_ns = meta_u64(r->db, "started_mono_ns");
	in->ended_mono_ns = meta_u64(r->db, "ended_mono_ns");
	in->interval_ns = meta_u64(r->db, "interval_ns");
	in->ticks_per_s = (long)meta_u64(r->db, "ticks_per_s");
	in->page_size = (long)meta_u64(r->db, "page_size");
	in->clean_end = in->ended_mono_ns != 0;
}

static int read_sources(struct store_reader *r)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(r->db,
			       "SELECT id,state,reason,events,lost,loss_episodes,"
			       "first_loss_ns,last_loss_ns FROM sources",
			       -1, &st, NULL))
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int id = sqlite3_column_int(st, 0);
		if (id < 0 || id >= SRC_COUNT)
			continue;
		struct source_status *s = &r->src[id];
		s->state = (enum source_state)sqlite3_column_int(st, 1);
		if (sqlite3_column_text(st, 2))
			snprintf(s->reason, sizeof(s->reason), "%s", sqlite3_column_text(st, 2));
		s->events = (uint64_t)sqlite3_column_int64(st, 3);
		s->lost = (uint64_t)sqlite3_column_int64(st, 4);
		s->loss_episodes = (uint32_t)sqlite3_column_int64(st, 5);
		s->first_loss_ns = (uint64_t)sqlite3_column_int64(st, 6);
		s->last_loss_ns = (uint64_t)sqlite3_column_int64(st, 7);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int read_extent(struct store_reader *r)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(r->db, "SELECT min(t_first), max(t_last), sum(nrec) FROM chunks", -1,
			       &st, NULL))
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r->info.first_ns = (uint64_t)sqlite3_column_int64(st, 0);
		r->info.last_ns = (uint64_t)sqlite3_column_int64(st, 1);
		r->info.nrec = (uint64_t)sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int open_db(struct store_reader *r, char *err, size_t n, int *code)
{
	int fd = open(r->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, n, "cannot read '%s': %s", r->path, strerror(errno));
		*code = errno == ENOENT || errno == EISDIR ? 2 : 1;
		return -1;
	}
	close(fd);
	/* Read-write so that a recording still being written (WAL) or left by a
	 * killed recorder can be read; read-only where we may not write. */
	if (sqlite3_open_v2(r->path, &r->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sqlite3_close(r->db);
		r->db = NULL;
		if (sqlite3_open_v2(r->path, &r->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
			snprintf(err, n, "cannot open '%s': %s", r->path, sqlite3_errmsg(r->db));
			*code = 1;
			return -1;
		}
	}
	sqlite3_busy_timeout(r->db, 2000);
	return 0;
}

struct store_reader *store_open(const char *path, char *err, size_t n, int *code)
{
	struct store_reader *r = calloc(1, sizeof(*r));

	*code = 1;
	if (!r) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	r->path = path;
	if (open_db(r, err, n, code) || check_identity(r, err, n, code))
		goto fail;
	read_info(r);
	if (read_sources(r) || read_extent(r)) {
		snprintf(err, n, "'%s' is corrupted: %s", path, sqlite3_errmsg(r->db));
		*code = 2;
		goto fail;
	}
	if (!r->info.started_mono_ns || !r->info.interval_ns) {
		bad_file(err, n, path, "is corrupted: its meta table lacks the start time", code);
		goto fail;
	}
	return r;
fail:
	sqlite3_close(r->db);
	free(r);
	return NULL;
}

void store_reader_close(struct store_reader *r)
{
	if (!r)
		return;
	sqlite3_close(r->db);
	free(r);
}

const struct store_info *store_reader_info(const struct store_reader *r)
{
	return &r->info;
}

void store_reader_sources(const struct store_reader *r, struct source_status *st)
{
	memcpy(st, r->src, sizeof(r->src));
}

struct replay {
	struct codec *codec;
	uint64_t from, to;
	record_fn fn;
	void *ctx;
	uint64_t *count, *bytes; /* per kind, when sizing */
	uint8_t *raw;		 /* the inflated chunk */
	size_t raw_cap;
};

/* Inflate a chunk into p->raw. 0, or -1 (corrupted). */
static int inflate_chunk(struct replay *p, const uint8_t *z, size_t zlen, uint64_t raw_len,
			 size_t *out_len)
{
	if (raw_len > (1ull << 31))
		return -1;
	if (raw_len > p->raw_cap) {
		uint8_t *nr = realloc(p->raw, raw_len);
		if (!nr)
			return -1;
		p->raw = nr;
		p->raw_cap = raw_len;
	}
	uLongf n = (uLongf)raw_len;
	if (uncompress(p->raw, &n, z, (uLong)zlen) != Z_OK || n != raw_len)
		return -1;
	*out_len = n;
	return 0;
}

static int replay_chunk(struct replay *p, const uint8_t *data, size_t len, uint64_t nrec)
{
	const uint8_t *pos = data, *end = data + len;
	struct record rec;

	for (uint64_t i = 0; i < nrec; i++) {
		const uint8_t *before = pos;
		if (codec_decode(p->codec, &pos, end, &rec))
			return -1;
		if (p->count) {
			p->count[rec.kind]++;
			p->bytes[rec.kind] += (uint64_t)(pos - before);
			continue;
		}
		if (rec.t_ns >= p->from && (!p->to || rec.t_ns <= p->to))
			p->fn(p->ctx, &rec);
	}
	return pos == end ? 0 : -1;
}

static int replay(struct store_reader *r, struct replay *p, char *err, size_t n);

int store_replay(struct store_reader *r, uint64_t from, uint64_t to, record_fn fn, void *ctx,
		 char *err, size_t n)
{
	struct replay p = {.from = from, .to = to, .fn = fn, .ctx = ctx};

	return replay(r, &p, err, n);
}

int store_kind_bytes(struct store_reader *r, uint64_t *count, uint64_t *bytes, char *err, size_t n)
{
	struct replay p = {.count = count, .bytes = bytes};

	return replay(r, &p, err, n);
}

static int replay(struct store_reader *r, struct replay *pp, char *err, size_t n)
{
	static const char sql[] =
	    "SELECT seq, segment, t_first, nrec, data, chk, raw_len FROM chunks WHERE segment IN"
	    " (SELECT segment FROM chunks GROUP BY segment HAVING max(t_last) >= ?1"
	    " AND min(t_first) <= ?2) ORDER BY seq";
	struct replay p = *pp;
	uint64_t from = p.from, to = p.to;
	sqlite3_stmt *st = NULL;
	int64_t segment = -1;
	int rc;

	p.codec = codec_new();
	if (!p.codec || sqlite3_prepare_v2(r->db, sql, -1, &st, NULL)) {
		snprintf(err, n, "'%s' is corrupted: %s", r->path, sqlite3_errmsg(r->db));
		codec_free(p.codec);
		return 2;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)from);
	sqlite3_bind_int64(st, 2, to ? (sqlite3_int64)to : INT64_MAX);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seg = sqlite3_column_int64(st, 1);
		if (to && (uint64_t)sqlite3_column_int64(st, 2) > to)
			continue; /* later chunks of the last segment */
		if (seg != segment)
			codec_reset(p.codec);
		segment = seg;
		const uint8_t *data = sqlite3_column_blob(st, 4);
		size_t len = (size_t)sqlite3_column_bytes(st, 4);
		int sum_ok = (uint64_t)sqlite3_column_int64(st, 5) == codec_checksum(data, len);
		size_t rlen = 0;
		if (!sum_ok ||
		    inflate_chunk(&p, data, len, (uint64_t)sqlite3_column_int64(st, 6), &rlen) ||
		    replay_chunk(&p, p.raw, rlen, (uint64_t)sqlite3_column_int64(st, 3))) {
			snprintf(err, n, "'%s' is corrupted: chunk %lld %s", r->path,
				 (long long)sqlite3_column_int64(st, 0),
				 sum_ok ? "does not decode" : "fails its checksum");
			rc = SQLITE_CORRUPT;
			break;
		}
	}
	if (rc != SQLITE_DONE && rc != SQLITE_CORRUPT)
		snprintf(err, n, "'%s' is corrupted: %s", r->path, sqlite3_errmsg(r->db));
	sqlite3_finalize(st);
	codec_free(p.codec);
	free(p.raw);
	return rc == SQLITE_DONE ? 0 : 2;
}
