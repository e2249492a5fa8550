/* Unit tests: the store's record codec, the SQLite writer/reader round trip,
 * windows, retention, and the JSON-derived renderers (prom, csv, html). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "procimage/image.h"
#include "render/jdoc.h"
#include "store/codec.h"
#include "store/store.h"

/* A deterministic stream: samples of 50 tasks with growing counters, plus
 * every other kind with text, as sources would emit them. */
static void make_record(int i, struct record *r, char *text, size_t tl)
{
	memset(r, 0, sizeof(*r));
	r->t_ns = 1000000000ull + (uint64_t)(i / 60) * 100000000ull;
	r->cpu = i % 4;
	r->key.tgid = 100 + i % 50;
	r->key.tid = 100 + i % 50;
	r->key.start_ticks = 5000 + (uint64_t)(i % 50);
	snprintf(r->comm, sizeof(r->comm), "task%d", i % 50);
	if (i % 60 < 50) {
		r->kind = REC_SAMPLE;
		r->u.sample.scope = SCOPE_PROCESS;
		r->u.sample.s.utime = (uint64_t)i * 3;
		r->u.sample.s.vm_rss_kb = 4096 + (uint64_t)(i % 7);
		r->u.sample.s.state = 'R';
		return;
	}
	r->kind = (uint16_t)(REC_GONE + i % (REC_KIND_COUNT - REC_GONE));
	r->source = (uint16_t)(i % SRC_COUNT);
	r->u.sc.nr = i;
	r->u.sc.ret = -(int64_t)i;
	snprintf(text, tl, "text of record %d", i);
	r->text = text;
	r->text_len = (uint32_t)strlen(text);
}

static void assert_same(const struct record *a, const struct record *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->source, b->source);
	assert_int_equal(a->cpu, b->cpu);
	assert_int_equal(a->t_ns, b->t_ns);
	assert_memory_equal(&a->key, &b->key, sizeof(a->key));
	assert_memory_equal(a->comm, b->comm, sizeof(a->comm));
	assert_memory_equal(&a->u, &b->u, sizeof(a->u));
	assert_int_equal(a->text_len, b->text_len);
	if (a->text_len)
		assert_memory_equal(a->text, b->text, a->text_len);
}

static void test_codec_roundtrip(void **state)
{
	struct codec *enc = codec_new(), *dec = codec_new();
	struct codec_buf buf = {0};
	struct record r, back;
	char text[64];
	(void)state;

	for (int i = 0; i < 3000; i++) {
		make_record(i, &r, text, sizeof(text));
		assert_int_equal(codec_encode(enc, &r, &buf), 0);
	}
	/* Delta coding: a task sample whose counters moved costs a few bytes,
	 * not the ~600 of the struct. */
	struct codec *only = codec_new();
	struct codec_buf sb = {0};
	int nsamples = 0;
	for (int i = 0; i < 3000; i++) {
		make_record(i, &r, text, sizeof(text));
		if (r.kind == REC_SAMPLE && ++nsamples)
			assert_int_equal(codec_encode(only, &r, &sb), 0);
	}
	print_message("%zu bytes for %d samples\n", sb.len, nsamples);
	assert_true(sb.len < (size_t)nsamples * 24);
	codec_buf_free(&sb);
	codec_free(only);
	const uint8_t *p = buf.p, *end = buf.p + buf.len;
	for (int i = 0; i < 3000; i++) {
		make_record(i, &r, text, sizeof(text));
		assert_int_equal(codec_decode(dec, &p, end, &back), 0);
		assert_same(&r, &back);
	}
	assert_ptr_equal(p, end);
	assert_int_equal(codec_decode(dec, &p, end, &back), -EBADMSG);
	/* Truncated input is an error, never a crash. */
	codec_reset(dec);
	p = buf.p;
	for (int i = 0; i < 3000 && codec_decode(dec, &p, buf.p + buf.len / 2, &back) == 0; i++)
		;
	assert_true(p <= buf.p + buf.len / 2);
	codec_buf_free(&buf);
	codec_free(enc);
	codec_free(dec);
}

/* Past its slot limit the encoder reuses slots; the decoder follows and
 * every record comes back exact: 20 live tasks sampled every round (with a
 * text that repeats), 20 short-lived ones per round (clone, exit, with a
 * fresh text), and every 50th round 90 live tasks for 64 slots (thrash). */
static int churn_skip(int round, int j)
{
	return j >= 40 && round % 50 != 49;
}

static void churn_record(int round, int j, struct record *r, char *text, size_t tl)
{
	memset(r, 0, sizeof(*r));
	r->t_ns = 1000000000ull + (uint64_t)round * 1000000ull + (uint64_t)j;
	r->cpu = j % 3;
	if (j < 20 || (round % 50 == 49 && j < 90)) { /* live (90 at once: thrash) */
		r->kind = REC_SAMPLE;
		r->key = (struct task_key){1000 + j, 1000 + j, 77};
		r->u.sample.scope = SCOPE_PROCESS;
		r->u.sample.s.utime = (uint64_t)round * (uint64_t)(j + 1);
		r->u.sample.s.state = 'S';
		snprintf(text, tl, "/live/%d", j % 4);
	} else {
		int id = 100000 + round * 100 + (j - 20) / 2;
		r->kind = (j & 1) ? REC_EXIT : REC_CLONE;
		r->source = SRC_CONNECTOR;
		r->key = (struct task_key){1000, id, (uint64_t)id};
		r->u.sc.nr = id;
		snprintf(text, tl, "/short/%d", id);
	}
	snprintf(r->comm, sizeof(r->comm), "t%d", j);
	r->text = text;
	r->text_len = (uint32_t)strlen(text);
}

static void test_codec_slot_limit(void **state)
{
	struct codec *enc = codec_new(), *dec = codec_new();
	struct codec_buf buf = {0};
	struct record r, back;
	char text[64];
	int n = 0;
	(void)state;

	codec_set_max_slots(enc, 64);
	for (int round = 0; round < 200; round++)
		for (int j = 0; j < 90; j++) {
			if (churn_skip(round, j))
				continue;
			churn_record(round, j, &r, text, sizeof(text));
			assert_int_equal(codec_encode(enc, &r, &buf), 0);
			assert_true(codec_slots(enc) <= 64);
			n++;
		}
	/* The short-lived tasks' slots (20 per round) are the ones reused, not
	 * the live ones, apart from the thrash rounds. */
	print_message("%d records, %llu slots replaced, %zu bytes\n", n,
		      (unsigned long long)codec_replaced(enc), buf.len);
	assert_true(codec_replaced(enc) > 4000 - 64 && codec_replaced(enc) < 4000 + 4 * 2 * 90);
	const uint8_t *p = buf.p, *end = buf.p + buf.len;
	for (int round = 0; round < 200; round++)
		for (int j = 0; j < 90; j++) {
			if (churn_skip(round, j))
				continue;
			churn_record(round, j, &r, text, sizeof(text));
			assert_int_equal(codec_decode(dec, &p, end, &back), 0);
			assert_same(&r, &back);
		}
	assert_ptr_equal(p, end);
	assert_true(codec_slots(dec) <= 64);
	/* A place past the slots is corruption, never a write out of bounds. */
	uint8_t bad[] = {0, 5, 0, 0, 0, 0};
	codec_reset(dec);
	p = bad;
	assert_int_equal(codec_decode(dec, &p, bad + sizeof(bad), &back), -EBADMSG);
	codec_buf_free(&buf);
	codec_free(enc);
	codec_free(dec);
}

/* The encoder's memory stops growing at its slot limit: 100,000 short-lived
 * tasks (a clone, a taskstats-sized exit, a small exit each) next to 2,000
 * live ones sampled in turn. */
static void test_codec_memory_bounded(void **state)
{
	struct codec *enc = codec_new();
	struct codec_buf buf = {0};
	struct record r;
	size_t at40k = 0;
	(void)state;

	for (int t = 0; t < 100000; t++) {
		for (int k = 0; k < 4; k++) {
			memset(&r, 0, sizeof(r));
			r.t_ns = 1000000000ull + (uint64_t)t * 1000ull + (uint64_t)k;
			if (k == 3) { /* a live task's sample */
				r.kind = REC_SAMPLE;
				r.key = (struct task_key){10 + t % 2000, 10 + t % 2000, 5};
				r.u.sample.scope = SCOPE_PROCESS;
				r.u.sample.s.utime = (uint64_t)t;
			} else {
				r.kind = k == 0 ? REC_CLONE : k == 1 ? REC_TASKSTATS : REC_EXIT;
				r.key = (struct task_key){5, 100000 + t, (uint64_t)t};
				memset(&r.u, 0x11 + k, k == 1 ? sizeof(r.u.ts) : 16);
			}
			assert_int_equal(codec_encode(enc, &r, &buf), 0);
		}
		buf.len = 0; /* as if committed */
		if (t == 40000)
			at40k = codec_memory(enc);
	}
	print_message("codec memory %zu KiB after 40,000 tasks, %zu KiB after 100,000\n",
		      at40k >> 10, codec_memory(enc) >> 10);
	assert_true(codec_slots(enc) <= CODEC_MAX_SLOTS);
	assert_true(codec_memory(enc) <= at40k);
	assert_true(codec_memory(enc) < (size_t)CODEC_MAX_SLOTS * 800);
	codec_buf_free(&buf);
	codec_free(enc);
}

struct collect {
	int n;
	uint64_t first, last;
	int bad;
};

static void collect_fn(void *ctx, const struct record *r)
{
	struct collect *c = ctx;
	struct record want;
	char text[64];

	if (!c->n)
		c->first = r->t_ns;
	c->last = r->t_ns;
	c->n++;
	/* t_ns identifies the record index range; check the payload of samples. */
	if (r->kind == REC_SAMPLE && r->u.sample.s.state != 'R')
		c->bad++;
	(void)want, (void)text;
}

static char *tmp_path(const char *name)
{
	static char buf[256];
	const char *dir = getenv("PROCIMAGE_TEST_TMP");

	snprintf(buf, sizeof(buf), "%s/test_store_%d_%s", dir && *dir ? dir : "/tmp", getpid(),
		 name);
	return buf;
}

static void write_stream(const char *path, int n, const struct store_limits *lim)
{
	struct store_info in = {.host = "h",
				.kernel = "k",
				.started_wall_ns = 1,
				.started_mono_ns = 1000000000ull,
				.interval_ns = 100000000ull,
				.ticks_per_s = 100,
				.page_size = 4096};
	char err[256], text[64];
	struct record r;
	struct store_writer *w = store_create(path, &in, lim, err, sizeof(err));

	assert_non_null(w);
	for (int i = 0; i < n; i++) {
		make_record(i, &r, text, sizeof(text));
		assert_int_equal(store_append(w, &r), 0);
	}
	assert_int_equal(store_close(w, r.t_ns + 1, err, sizeof(err)), 0);
}

static void test_store_roundtrip_window(void **state)
{
	struct store_limits lim = {.segment_ns = 2000000000ull};
	char *path = strdup(tmp_path("rt.db")), err[256];
	struct collect c = {0};
	int code;
	(void)state;

	write_stream(path, 6000, &lim); /* 10 s of records, 5 segments */
	struct store_reader *rd = store_open(path, err, sizeof(err), &code);
	assert_non_null(rd);
	assert_int_equal(store_reader_info(rd)->nrec, 6000);
	assert_true(store_reader_info(rd)->clean_end);
	assert_int_equal(store_replay(rd, 0, 0, collect_fn, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 6000);
	assert_int_equal(c.bad, 0);
	/* A window in the middle of a segment: exactly the records inside. */
	memset(&c, 0, sizeof(c));
	assert_int_equal(
	    store_replay(rd, 4500000000ull, 6000000000ull, collect_fn, &c, err, sizeof(err)), 0);
	assert_int_equal(c.first, 4500000000ull);
	assert_int_equal(c.last, 6000000000ull);
	assert_int_equal(c.n, 16 * 60);
	store_reader_close(rd);
	unlink(path);
	free(path);
}

static void test_store_retention(void **state)
{
	struct store_limits lim = {.segment_ns = 1000000000ull, .max_age_ns = 3000000000ull};
	char *path = strdup(tmp_path("ret.db")), err[256];
	struct collect c = {0};
	int code;
	(void)state;

	write_stream(path, 6000, &lim);
	struct store_reader *rd = store_open(path, err, sizeof(err), &code);
	assert_non_null(rd);
	assert_int_equal(store_replay(rd, 0, 0, collect_fn, &c, err, sizeof(err)), 0);
	/* Only whole segments younger than ~3 s before the end are kept. */
	assert_true(c.first >= 10900000000ull - 5000000000ull);
	assert_true(c.n < 6000 && c.n > 1000);
	assert_int_equal(c.last, 10900000000ull);
	store_reader_close(rd);
	unlink(path);
	free(path);
}

static void test_store_max_size(void **state)
{
	struct store_limits lim = {.segment_ns = 500000000ull, .max_size = 256 << 10};
	struct store_info in = {.host = "h",
				.kernel = "k",
				.started_mono_ns = 1000000000ull,
				.interval_ns = 100000000ull,
				.ticks_per_s = 100,
				.page_size = 4096};
	char *path = strdup(tmp_path("size.db")), err[256];
	struct collect c = {0};
	struct record r;
	uint64_t x = 88172645463325252ull;
	int code;
	(void)state;

	struct store_writer *w = store_create(path, &in, &lim, err, sizeof(err));
	assert_non_null(w);
	/* 30 s of 2,000 tasks at 10 Hz whose counters move at random: about
	 * 6 MB raw, far over the limit. */
	for (int i = 0; i < 600000; i++) {
		memset(&r, 0, sizeof(r));
		r.kind = REC_SAMPLE;
		r.t_ns = 1000000000ull + (uint64_t)(i / 2000) * 50000000ull;
		r.key.tid = r.key.tgid = 100 + i % 2000;
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		r.u.sample.s.utime = x & 0xffffff;
		assert_int_equal(store_append(w, &r), 0);
	}
	assert_int_equal(store_close(w, r.t_ns, err, sizeof(err)), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	print_message("file %lld bytes for a 256 KiB limit\n", (long long)st.st_size);
	/* Retention drops whole segments: the file stays near the limit. */
	assert_true(st.st_size < 2 * (256 << 10));
	struct store_reader *rd = store_open(path, err, sizeof(err), &code);
	assert_non_null(rd);
	assert_int_equal(store_replay(rd, 0, 0, collect_fn, &c, err, sizeof(err)), 0);
	assert_int_equal(c.last, r.t_ns);			   /* the newest data is kept */
	assert_true(c.first > 1000000000ull + 10 * 1000000000ull); /* the oldest went */
	store_reader_close(rd);
	unlink(path);
	free(path);
}

static void test_store_refuses_garbage(void **state)
{
	char *path = strdup(tmp_path("bad.db")), err[256];
	int code;
	FILE *fp = fopen(path, "w");
	(void)state;

	fputs("this is not a database, it is text long enough to fill a header page.....", fp);
	fclose(fp);
	assert_null(store_open(path, err, sizeof(err), &code));
	assert_int_equal(code, 2);
	assert_non_null(strstr(err, "not a procimage recording"));
	unlink(path);
	assert_null(store_open(path, err, sizeof(err), &code));
	assert_int_equal(code, 2);
	free(path);
}

static const char doc_json[] =
    "{\"schema\":\"procimage/1\",\"image\":\"resource\",\"host\":\"h\",\"kernel\":\"k\","
    "\"started\":\"2026-01-01T00:00:00.000Z\",\"duration_s\":2.5,\"interval_ms\":100,"
    "\"sources\":{\"procfs\":{\"status\":\"ok\",\"events\":3,\"lost\":0},"
    "\"audit\":{\"status\":\"unavailable\",\"reason\":\"no \\\"cap\\\"\",\"lost\":2}},"
    "\"tasks\":[{\"pid\":1,\"comm\":\"a\\\"b\",\"cpu_pct\":12.5,\"rss_bytes\":4096,"
    "\"exited\":false,\"delays\":null,\"series\":[{\"t_s\":0,\"cpu_pct\":10},"
    "{\"t_s\":1,\"cpu_pct\":15}]},{\"pid\":2,\"comm\":\"<x>\",\"cpu_pct\":1e-3,"
    "\"rss_bytes\":8192,\"series\":[]}]}";

static char *render(int (*fn)(FILE *, const struct jv *))
{
	char err[128], *buf = NULL;
	size_t len = 0;
	struct jv *doc = jdoc_parse(doc_json, strlen(doc_json), err, sizeof(err));
	FILE *ms = open_memstream(&buf, &len);

	assert_non_null(doc);
	assert_int_equal(fn(ms, doc), 0);
	fclose(ms);
	jdoc_free(doc);
	return buf;
}

static void test_render_prom(void **state)
{
	char *s = render(render_prom);
	(void)state;

	assert_non_null(strstr(s,
			       "# TYPE procimage_resource_tasks_cpu_ratio gauge\n"
			       "procimage_resource_tasks_cpu_ratio{pid=\"1\",comm=\"a\\\"b\"} 0.125\n"
			       "procimage_resource_tasks_cpu_ratio{pid=\"2\",comm=\"<x>\"} 1e-05\n"));
	assert_non_null(strstr(s, "procimage_source_up{source=\"audit\"} 0\n"));
	assert_non_null(strstr(s, "procimage_source_lost_events{source=\"audit\"} 2\n"));
	assert_non_null(
	    strstr(s, "procimage_resource_tasks_exited{pid=\"1\",comm=\"a\\\"b\"} 0\n"));
	assert_null(strstr(s, "series"));
	free(s);
}

static void test_render_csv_html(void **state)
{
	char *s = render(render_csv);
	(void)state;

	assert_string_equal(s, "image,table,pid,comm,t_s,cpu_pct\n"
			       "resource,tasks,1,\"a\"\"b\",0,10\n"
			       "resource,tasks,1,\"a\"\"b\",1,15\n");
	free(s);
	s = render(render_html);
	assert_non_null(strstr(s, "<svg class=\"chart line\""));
	assert_non_null(strstr(s, "<svg class=\"chart bar\""));
	assert_non_null(strstr(s, "&lt;x&gt;"));
	assert_null(strstr(s, "<x>"));
	assert_null(strstr(s, "http://www.w3.org/1999"));
	free(s);
}

static void test_render_html_sched(void **state)
{
	static const char sched[] =
	    "{\"schema\":\"procimage/1\",\"image\":\"sched\",\"hogs\":[{\"tid\":7,\"pid\":7,"
	    "\"comm\":\"spin\",\"cpu\":1,\"longest_run_ms\":900,\"runs\":[{\"start_s\":0.5,"
	    "\"length_ms\":900,\"cpus\":[1]}],\"stacks_folded\":[\"spin;do_work;loop 3\"]}]}";
	char err[128], *buf = NULL;
	size_t len = 0;
	struct jv *doc = jdoc_parse(sched, strlen(sched), err, sizeof(err));
	FILE *ms = open_memstream(&buf, &len);
	(void)state;

	assert_non_null(doc);
	assert_int_equal(render_html(ms, doc), 0);
	fclose(ms);
	jdoc_free(doc);
	assert_non_null(strstr(buf, "<svg class=\"chart timeline\""));
	assert_non_null(strstr(buf, "<text x=\"0\" y=\"42\">CPU 1</text>"));
	assert_non_null(strstr(buf, "src=\"data:image/svg+xml;base64,"));
	assert_non_null(strstr(buf, "3 samples of 1 stacks"));
	free(buf);
}

static void test_jdoc_bad(void **state)
{
	char err[128];
	const char *bad[] = {"",
			     "{",
			     "[1,]",
			     "{\"a\" 1}",
			     "\"abc",
			     "tru",
			     "{} x",
			     "[[[[[[[[[[[[[["
			     "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]"};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct jv *v = jdoc_parse(bad[i], strlen(bad[i]), err, sizeof(err));
		assert_null(v);
		assert_true(err[0] != 0);
	}
}

int main(void)
{
	/* What the CLI gives the renderers: which keys name an image. */
	static const char *names[16];
	for (int i = 0; i < 15 && image_at(i); i++)
		names[i] = image_at(i)->name;
	jdoc_set_images(names);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_codec_roundtrip),
	    cmocka_unit_test(test_codec_slot_limit),
	    cmocka_unit_test(test_codec_memory_bounded),
	    cmocka_unit_test(test_store_roundtrip_window),
	    cmocka_unit_test(test_store_retention),
	    cmocka_unit_test(test_store_max_size),
	    cmocka_unit_test(test_store_refuses_garbage),
	    cmocka_unit_test(test_render_prom),
	    cmocka_unit_test(test_render_csv_html),
	    cmocka_unit_test(test_render_html_sched),
	    cmocka_unit_test(test_jdoc_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
