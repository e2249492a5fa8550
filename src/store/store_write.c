/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store writer (see store.h): records are encoded in memory and written
 * as one chunk row per transaction. WAL with synchronous=NORMAL: a committed
 * chunk survives the death of the process (kill -9), only a power loss can
 * take the last commits. Retention runs when a segment ends, so it costs
 * nothing per record.
 */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <zlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/codec.h"

/* A chunk is committed at least every flush_ns, or at this many encoded
 * bytes (a burst of events): the encode buffer and its deflated copy stay
 * under ~2 MiB. Deflate's window is 32 KiB, so bigger chunks would not
 * compress better. */
#define FLUSH_BYTES (1u << 20)
/* SQLite's page cache for the writer, KiB. It only appends (and deletes
 * whole old segments now and then): a small cache costs nothing, the
 * default (2 MiB) was a tenth of record's memory. */
#define CACHE_KIB 512

struct store_writer {
	sqlite3 *db;
	sqlite3_stmt *ins;
	struct codec *codec;
	struct codec_buf buf;
	uint8_t *zbuf; /* the chunk, deflated */
	size_t zcap;
	struct store_limits lim;
	struct store_stats stats;
	uint64_t nrec, t_first, t_last, last_flush;
	uint64_t segment, seg_start, seg_bytes;
	int failed;
	char err[256];
};

static const char schema_sql[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE sources(id INTEGER PRIMARY KEY, name TEXT NOT NULL, state INTEGER NOT NULL,"
    " reason TEXT NOT NULL, events INTEGER NOT NULL, lost INTEGER NOT NULL,"
    " loss_episodes INTEGER NOT NULL, first_loss_ns INTEGER NOT NULL,"
    " last_loss_ns INTEGER NOT NULL);"
    "CREATE TABLE chunks(seq INTEGER PRIMARY KEY, segment INTEGER NOT NULL,"
    " t_first INTEGER NOT NULL, t_last INTEGER NOT NULL, nrec INTEGER NOT NULL,"
    " raw_len INTEGER NOT NULL, data BLOB NOT NULL, chk INTEGER NOT NULL);"
    "CREATE INDEX chunks_segment ON chunks(segment);"
    "CREATE VIEW segments AS SELECT segment, min(t_first) AS t_first, max(t_last) AS t_last,"
    " sum(nrec) AS records, sum(length(data)) AS bytes FROM chunks GROUP BY segment;";

static int fail(struct store_writer *w, const char *what)
{
	snprintf(w->err, sizeof(w->err), "%s: %s", what, sqlite3_errmsg(w->db));
	w->failed = 1;
	return -EIO;
}

static int exec(struct store_writer *w, const char *sql)
{
	return sqlite3_exec(w->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : fail(w, sql);
}

static int meta_put(struct store_writer *w, const char *key, const char *val)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(w->db, "INSERT OR REPLACE INTO meta VALUES(?,?)", -1, &st, NULL))
		return fail(w, "prepare meta");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, val, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(w, "write meta");
}

static int meta_put_u64(struct store_writer *w, const char *key, uint64_t v)
{
	char b[32];

	snprintf(b, sizeof(b), "%" PRIu64, v);
	return meta_put(w, key, b);
}

static int write_meta(struct store_writer *w, const struct store_info *in)
{
	char layout[160];

	codec_layout(layout, sizeof(layout));
	return meta_put_u64(w, "schema_version", STORE_SCHEMA_VERSION) ||
	       meta_put(w, "record_layout", layout) || meta_put(w, "host", in->host) ||
	       meta_put(w, "kernel", in->kernel) ||
	       meta_put_u64(w, "started_wall_ns", in->started_wall_ns) ||
	       meta_put_u64(w, "started_mono_ns", in->started_mono_ns) ||
	       meta_put_u64(w, "interval_ns", in->interval_ns) ||
	       meta_put_u64(w, "ticks_per_s", (uint64_t)in->ticks_per_s) ||
	       meta_put_u64(w, "page_size", (uint64_t)in->page_size) ||
	       meta_put(w, "command", in->command) || meta_put(w, "images", in->images);
}

/* A fresh file of our own, 0600: recordings hold command lines. */
static int create_file(const char *path, char *err, size_t errlen)
{
	char side[4096];
	int fd;

	for (int i = 0; i < 2; i++) {
		snprintf(side, sizeof(side), "%s%s", path, i ? "-shm" : "-wal");
		unlink(side);
	}
	if (unlink(path) && errno != ENOENT) {
		snprintf(err, errlen, "cannot replace '%s': %s", path, strerror(errno));
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create '%s': %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static int setup(struct store_writer *w, const struct store_info *info)
{
	char pragmas[320];

	snprintf(pragmas, sizeof(pragmas),
		 "PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL;"
		 " PRAGMA synchronous=NORMAL; PRAGMA application_id=%d; PRAGMA user_version=%d;"
		 " PRAGMA journal_size_limit=8388608; PRAGMA cache_size=-%d;",
		 STORE_APP_ID, STORE_SCHEMA_VERSION, CACHE_KIB);
	if (exec(w, pragmas) || exec(w, "BEGIN") || exec(w, schema_sql) || write_meta(w, info) ||
	    exec(w, "COMMIT"))
		return -1;
	if (sqlite3_prepare_v2(w->db,
			       "INSERT INTO chunks(segment,t_first,t_last,nrec,raw_len,data,chk)"
			       " VALUES(?,?,?,?,?,?,?)",
			       -1, &w->ins, NULL))
		return fail(w, "prepare insert");
	return 0;
}

struct store_writer *store_create(const char *path, const struct store_info *info,
				  const struct store_limits *lim, char *err, size_t errlen)
{
	struct store_writer *w;

	if (create_file(path, err, errlen))
		return NULL;
	w = calloc(1, sizeof(*w));
	if (!w || !(w->codec = codec_new())) {
		snprintf(err, errlen, "out of memory");
		free(w);
		return NULL;
	}
	w->lim = *lim;
	if (!w->lim.flush_ns)
		w->lim.flush_ns = 1000000000ull;
	if (!w->lim.segment_ns)
		w->lim.segment_ns = 60000000000ull;
	if (sqlite3_open_v2(path, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) ||
	    setup(w, info)) {
		snprintf(err, errlen, "cannot set up the recording '%s': %s", path,
			 w->err[0] ? w->err : sqlite3_errmsg(w->db));
		sqlite3_finalize(w->ins);
		sqlite3_close(w->db);
		codec_free(w->codec);
		free(w);
		return NULL;
	}
	return w;
}

static int drop_segments(struct store_writer *w, const char *where, uint64_t arg)
{
	char sql[320];
	sqlite3_stmt *st;
	int rc;

	snprintf(sql, sizeof(sql),
		 "DELETE FROM chunks WHERE segment IN (SELECT segment FROM chunks WHERE segment<?1"
		 " GROUP BY segment %s)",
		 where);
	if (sqlite3_prepare_v2(w->db, sql, -1, &st, NULL))
		return fail(w, "prepare retention");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)w->segment);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)arg);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fail(w, "retention");
	w->stats.segments_dropped += (uint64_t)sqlite3_changes(w->db) ? 1 : 0;
	return 0;
}

static uint64_t pragma_u64(struct store_writer *w, const char *sql)
{
	sqlite3_stmt *st;
	uint64_t v = 0;

	if (sqlite3_prepare_v2(w->db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static uint64_t used_bytes(struct store_writer *w)
{
	uint64_t pages = pragma_u64(w, "PRAGMA page_count");
	uint64_t free_pages = pragma_u64(w, "PRAGMA freelist_count");

	return (pages - (free_pages < pages ? free_pages : pages)) *
	       pragma_u64(w, "PRAGMA page_size");
}

/* Inside the transaction of the chunk that closed a segment. */
static int retention(struct store_writer *w)
{
	if (w->lim.max_age_ns && w->t_last > w->lim.max_age_ns &&
	    drop_segments(w, "HAVING max(t_last) < ?2", w->t_last - w->lim.max_age_ns))
		return -1;
	while (w->lim.max_size && used_bytes(w) > w->lim.max_size) {
		uint64_t before = w->stats.segments_dropped;
		if (drop_segments(w, "ORDER BY segment LIMIT 1", 0))
			return -1;
		if (w->stats.segments_dropped == before)
			break; /* only the current segment is left */
	}
	return 0;
}

/* Deflate level 1: the delta-coded stream still halves, for little CPU. */
static int deflate_chunk(struct store_writer *w, uLongf *zlen)
{
	uLong bound = compressBound((uLong)w->buf.len);

	if (bound > w->zcap) {
		uint8_t *nz = realloc(w->zbuf, bound);
		if (!nz)
			return -ENOMEM;
		w->zbuf = nz;
		w->zcap = bound;
	}
	*zlen = bound;
	return compress2(w->zbuf, zlen, w->buf.p, (uLong)w->buf.len, 1) == Z_OK ? 0 : -EIO;
}

static int insert_chunk(struct store_writer *w)
{
	uLongf zlen;

	if (deflate_chunk(w, &zlen)) {
		snprintf(w->err, sizeof(w->err), "cannot compress a chunk");
		w->failed = 1;
		return -EIO;
	}
	sqlite3_bind_int64(w->ins, 1, (sqlite3_int64)w->segment);
	sqlite3_bind_int64(w->ins, 2, (sqlite3_int64)w->t_first);
	sqlite3_bind_int64(w->ins, 3, (sqlite3_int64)w->t_last);
	sqlite3_bind_int64(w->ins, 4, (sqlite3_int64)w->nrec);
	sqlite3_bind_int64(w->ins, 5, (sqlite3_int64)w->buf.len);
	sqlite3_bind_blob(w->ins, 6, w->zbuf, (int)zlen, SQLITE_STATIC);
	sqlite3_bind_int64(w->ins, 7, (sqlite3_int64)codec_checksum(w->zbuf, zlen));
	int rc = sqlite3_step(w->ins);
	sqlite3_reset(w->ins);
	return rc == SQLITE_DONE ? 0 : fail(w, "write chunk");
}

int store_flush(struct store_writer *w)
{
	int roll;

	if (w->failed)
		return -EIO;
	if (!w->nrec)
		return 0;
	w->seg_bytes += w->buf.len;
	/* The codec's memory does not depend on the segment's length: past
	 * CODEC_MAX_SLOTS, the slots of tasks not seen for a while are reused. */
	roll = w->t_last - w->seg_start >= w->lim.segment_ns ||
	       (w->lim.max_size && w->seg_bytes >= w->lim.max_size / 8);
	if (exec(w, "BEGIN") || insert_chunk(w) || (roll && retention(w)) || exec(w, "COMMIT")) {
		sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
		return -EIO;
	}
	if (roll && (w->lim.max_size || w->lim.max_age_ns))
		sqlite3_exec(w->db, "PRAGMA incremental_vacuum", NULL, NULL, NULL);
	w->stats.chunks++;
	w->stats.bytes += w->buf.len; /* before compression */
	w->last_flush = w->t_last;
	w->buf.len = 0;
	w->nrec = 0;
	if (roll) {
		codec_reset(w->codec);
		w->segment++;
		w->seg_bytes = 0;
		w->seg_start = 0;
	}
	return 0;
}

int store_append(struct store_writer *w, const struct record *r)
{
	if (w->failed)
		return -EIO;
	if (!w->nrec || r->t_ns < w->t_first)
		w->t_first = r->t_ns; /* events may arrive slightly out of order */
	if (!w->last_flush)
		w->last_flush = r->t_ns;
	if (!w->seg_start)
		w->seg_start = r->t_ns;
	if (codec_encode(w->codec, r, &w->buf)) {
		snprintf(w->err, sizeof(w->err), "out of memory");
		w->failed = 1;
		return -ENOMEM;
	}
	w->nrec++;
	w->stats.records++;
	if (r->t_ns > w->t_last)
		w->t_last = r->t_ns;
	if (w->t_last - w->last_flush >= w->lim.flush_ns || w->buf.len >= FLUSH_BYTES)
		return store_flush(w);
	return 0;
}

void store_set_sources(struct store_writer *w, const struct source_status *st)
{
	sqlite3_stmt *ins;

	if (w->failed || exec(w, "BEGIN") || exec(w, "DELETE FROM sources"))
		return;
	if (sqlite3_prepare_v2(w->db, "INSERT INTO sources VALUES(?,?,?,?,?,?,?,?,?)", -1, &ins,
			       NULL)) {
		fail(w, "prepare sources");
		sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
		return;
	}
	for (int s = 0; s < SRC_COUNT; s++) {
		sqlite3_bind_int(ins, 1, s);
		sqlite3_bind_text(ins, 2, record_source_name(s), -1, SQLITE_STATIC);
		sqlite3_bind_int(ins, 3, (int)st[s].state);
		sqlite3_bind_text(ins, 4, st[s].reason, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 5, (sqlite3_int64)st[s].events);
		sqlite3_bind_int64(ins, 6, (sqlite3_int64)st[s].lost);
		sqlite3_bind_int64(ins, 7, (sqlite3_int64)st[s].loss_episodes);
		sqlite3_bind_int64(ins, 8, (sqlite3_int64)st[s].first_loss_ns);
		sqlite3_bind_int64(ins, 9, (sqlite3_int64)st[s].last_loss_ns);
		if (sqlite3_step(ins) != SQLITE_DONE)
			fail(w, "write sources");
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	exec(w, w->failed ? "ROLLBACK" : "COMMIT");
}

int store_close(struct store_writer *w, uint64_t ended_mono_ns, char *err, size_t errlen)
{
	int rc = 0;

	if (!w)
		return 0;
	if (store_flush(w) || (ended_mono_ns && meta_put_u64(w, "ended_mono_ns", ended_mono_ns)))
		rc = -EIO;
	sqlite3_exec(w->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	sqlite3_finalize(w->ins);
	if (sqlite3_close(w->db) != SQLITE_OK && !rc) {
		snprintf(w->err, sizeof(w->err), "close: %s", sqlite3_errmsg(w->db));
		rc = -EIO;
	}
	if (rc && err)
		snprintf(err, errlen, "%s", w->err);
	codec_free(w->codec);
	codec_buf_free(&w->buf);
	free(w->zbuf);
	free(w);
	return rc;
}

const char *store_error(const struct store_writer *w)
{
	return w->err;
}
