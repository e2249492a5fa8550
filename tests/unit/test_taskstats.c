/* Unit tests: taskstats messages of versions 8, 13 and 16 (and a longer
 * future one), built byte by byte at the kernel's documented offsets, through
 * the decoder and the netlink walk (libnl's, with the taskstats policies);
 * the requests built with libnl. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>
#include <netlink/msg.h>

#include "sources/taskstats.h"

#define FAMILY 27

/* Offsets in struct taskstats (include/uapi/linux/taskstats.h). */
enum {
	O_VERSION = 0,
	O_EXITCODE = 4,
	O_FLAG = 8,
	O_CPU_COUNT = 16,
	O_CPU_DELAY = 24,
	O_BLKIO_COUNT = 32,
	O_BLKIO_DELAY = 40,
	O_SWAPIN_COUNT = 48,
	O_RUN_REAL = 64,
	O_RUN_VIRT = 72,
	O_COMM = 80,
	O_UID = 120,
	O_PID = 128,
	O_PPID = 132,
	O_BTIME = 136,
	O_ETIME = 144,
	O_UTIME = 152,
	O_STIME = 160,
	O_MINFLT = 168,
	O_MAJFLT = 176,
	O_HIWATER_RSS = 200,
	O_READ_CHAR = 216,
	O_READ_BYTES = 248,
	O_WRITE_BYTES = 256,
	O_NVCSW = 272,
	O_NIVCSW = 280,
	O_FREEPAGES_COUNT = 312,
	O_FREEPAGES_DELAY = 320,
	O_THRASHING_COUNT = 328,
	O_BTIME64 = 344,
	O_COMPACT_COUNT = 352,
	O_TGID = 368,
	O_WPCOPY_COUNT = 400,
	O_WPCOPY_DELAY = 408,
	O_IRQ_COUNT = 416,
	O_CPU_MAX = 432,
	O_BLKIO_MAX = 448,
	O_WPCOPY_MAX = 528,
};

static void put64(uint8_t *p, size_t off, uint64_t v)
{
	memcpy(p + off, &v, 8);
}

static void put32(uint8_t *p, size_t off, uint32_t v)
{
	memcpy(p + off, &v, 4);
}

/* A struct taskstats of `len` bytes claiming `version`. */
static void fill_stats(uint8_t *p, size_t len, uint16_t version)
{
	memset(p, 0, len);
	memcpy(p + O_VERSION, &version, 2);
	put32(p, O_EXITCODE, 768);
	p[O_FLAG] = 0x21;
	put64(p, O_CPU_COUNT, 130);
	put64(p, O_CPU_DELAY, 95300000);
	put64(p, O_BLKIO_COUNT, 84);
	put64(p, O_BLKIO_DELAY, 9100000);
	put64(p, O_SWAPIN_COUNT, 3);
	put64(p, O_RUN_REAL, 214000000);
	put64(p, O_RUN_VIRT, 214150890);
	memcpy(p + O_COMM, "writer", 7);
	put32(p, O_UID, 1000);
	put32(p, O_PID, 4242);
	put32(p, O_PPID, 1);
	put32(p, O_BTIME, 1700000000);
	put64(p, O_ETIME, 5000000);
	put64(p, O_UTIME, 8000);
	put64(p, O_STIME, 36000);
	put64(p, O_MINFLT, 3404);
	put64(p, O_MAJFLT, 2);
	put64(p, O_HIWATER_RSS, 3868);
	put64(p, O_READ_CHAR, 153600); /* rounded by the kernel: never used */
	put64(p, O_READ_BYTES, 4096);
	put64(p, O_WRITE_BYTES, 67108864);
	put64(p, O_NVCSW, 81);
	put64(p, O_NIVCSW, 24);
	put64(p, O_FREEPAGES_COUNT, 70);
	put64(p, O_FREEPAGES_DELAY, 900000);
	if (len >= O_THRASHING_COUNT + 16)
		put64(p, O_THRASHING_COUNT, 5);
	if (len >= O_BTIME64 + 8)
		put64(p, O_BTIME64, 1700000001);
	if (len >= O_COMPACT_COUNT + 16)
		put64(p, O_COMPACT_COUNT, 6);
	if (len >= O_TGID + 4)
		put32(p, O_TGID, 4240);
	if (len >= O_WPCOPY_DELAY + 8) {
		put64(p, O_WPCOPY_COUNT, 7);
		put64(p, O_WPCOPY_DELAY, 70000);
	}
	if (len >= O_IRQ_COUNT + 16)
		put64(p, O_IRQ_COUNT, 0);
	if (len >= TS_SIZE_V16) {
		put64(p, O_CPU_MAX, 8000000);
		put64(p, O_BLKIO_MAX, 2800000);
		put64(p, O_WPCOPY_MAX, 20000);
	}
}

static size_t put_nla(uint8_t *buf, size_t off, uint16_t type, const void *data, size_t len)
{
	struct nlattr a = {.nla_len = (uint16_t)(NLA_HDRLEN + len), .nla_type = type};

	memcpy(buf + off, &a, sizeof(a));
	if (data)
		memcpy(buf + off + NLA_HDRLEN, data, len);
	return off + NLA_HDRLEN + NLA_ALIGN(len);
}

/* One AGGR attribute: {PID|TGID id, STATS}. */
static size_t put_aggr(uint8_t *buf, size_t off, int tgid, uint32_t id, const uint8_t *stats,
		       size_t slen)
{
	size_t start = off, in = off + NLA_HDRLEN;

	in = put_nla(buf, in, tgid ? TASKSTATS_TYPE_TGID : TASKSTATS_TYPE_PID, &id, 4);
	in = put_nla(buf, in, TASKSTATS_TYPE_STATS, stats, slen);
	struct nlattr a = {
	    .nla_len = (uint16_t)(in - start),
	    .nla_type = (uint16_t)(tgid ? TASKSTATS_TYPE_AGGR_TGID : TASKSTATS_TYPE_AGGR_PID)};
	memcpy(buf + start, &a, sizeof(a));
	return in;
}

/* A TASKSTATS_CMD_NEW message; the tgid aggregate is added when tgid_id != 0. */
static size_t build_msg(uint8_t *buf, uint16_t version, size_t slen, uint32_t pid, uint32_t tgid_id)
{
	uint8_t stats[1024];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct genlmsghdr *g = (struct genlmsghdr *)(buf + NLMSG_HDRLEN);
	size_t off = NLMSG_LENGTH(GENL_HDRLEN);

	memset(buf, 0, 4096);
	fill_stats(stats, slen, version);
	off = put_aggr(buf, off, 0, pid, stats, slen);
	if (tgid_id)
		off = put_aggr(buf, off, 1, tgid_id, stats, slen);
	nh->nlmsg_len = (uint32_t)off;
	nh->nlmsg_type = FAMILY;
	nh->nlmsg_seq = 7;
	g->cmd = TASKSTATS_CMD_NEW;
	return off;
}

struct got {
	int n;
	struct ts_item it[4];
};

static void collect(void *ctx, const struct ts_item *it)
{
	struct got *g = ctx;
	if (g->n < 4)
		g->it[g->n] = *it;
	g->n++;
}

static void check_common(const struct ts_item *it, uint16_t version)
{
	const struct rec_taskstats *t = &it->ts;

	assert_int_equal(t->version, version);
	assert_int_equal(t->exitcode, 768);
	assert_int_equal(t->ac_flag, 0x21);
	assert_int_equal(t->cpu_count, 130);
	assert_int_equal(t->cpu_delay_ns, 95300000);
	assert_int_equal(t->blkio_count, 84);
	assert_int_equal(t->blkio_delay_ns, 9100000);
	assert_int_equal(t->swapin_count, 3);
	assert_int_equal(t->cpu_run_virtual_ns, 214150890);
	assert_string_equal(t->comm, "writer");
	assert_int_equal(t->ac_uid, 1000);
	assert_int_equal(t->ac_ppid, 1);
	assert_int_equal(t->ac_utime_us, 8000);
	assert_int_equal(t->ac_stime_us, 36000);
	assert_int_equal(t->minflt, 3404);
	assert_int_equal(t->majflt, 2);
	assert_int_equal(t->hiwater_rss_kb, 3868);
	assert_int_equal(t->read_bytes, 4096);
	assert_int_equal(t->write_bytes, 67108864);
	assert_int_equal(t->nvcsw, 81);
	assert_int_equal(t->nivcsw, 24);
	assert_int_equal(t->freepages_count, 70);
	assert_int_equal(t->freepages_delay_ns, 900000);
}

static void test_v8(void **state)
{
	uint8_t buf[4096];
	struct got g = {0};
	(void)state;
	size_t len = build_msg(buf, 8, TS_SIZE_V8, 4242, 0);

	assert_int_equal(taskstats_parse(buf, len, FAMILY, collect, &g), 1);
	assert_int_equal(g.it[0].id, 4242);
	assert_int_equal(g.it[0].is_tgid, 0);
	assert_int_equal(g.it[0].seq, 7);
	check_common(&g.it[0], 8);
	/* v8 has no thrashing, compact, tgid, wpcopy, irq or maxima. */
	assert_int_equal(g.it[0].ts.have, 0);
	assert_int_equal(g.it[0].ts.thrashing_count, 0);
	assert_int_equal(g.it[0].ts.ac_tgid, 0);
	assert_int_equal(g.it[0].ts.cpu_delay_max_ns, 0);
	assert_int_equal(g.it[0].ts.ac_btime, 1700000000);
	assert_int_equal(g.it[0].ts.payload_len, TS_SIZE_V8);
}

static void test_v13(void **state)
{
	uint8_t buf[4096];
	struct got g = {0};
	(void)state;
	size_t len = build_msg(buf, 13, TS_SIZE_V13, 4242, 0);

	assert_int_equal(taskstats_parse(buf, len, FAMILY, collect, &g), 1);
	check_common(&g.it[0], 13);
	assert_int_equal(g.it[0].ts.have,
			 TS_HAVE_THRASHING | TS_HAVE_COMPACT | TS_HAVE_TGID | TS_HAVE_WPCOPY);
	assert_int_equal(g.it[0].ts.thrashing_count, 5);
	assert_int_equal(g.it[0].ts.compact_count, 6);
	assert_int_equal(g.it[0].ts.ac_tgid, 4240);
	assert_int_equal(g.it[0].ts.wpcopy_count, 7);
	assert_int_equal(g.it[0].ts.wpcopy_delay_ns, 70000);
	assert_int_equal(g.it[0].ts.ac_btime, 1700000001); /* the 64-bit field of v10+ */
	assert_int_equal(g.it[0].ts.cpu_delay_max_ns, 0);
}

/* A group exit under v16: the last thread's AGGR_PID and the AGGR_TGID in one message. */
static void test_v16_group_exit(void **state)
{
	uint8_t buf[4096];
	struct got g = {0};
	(void)state;
	size_t len = build_msg(buf, 16, TS_SIZE_V16, 4242, 4240);

	assert_int_equal(taskstats_parse(buf, len, FAMILY, collect, &g), 2);
	check_common(&g.it[0], 16);
	assert_int_equal(g.it[0].ts.have, TS_HAVE_THRASHING | TS_HAVE_COMPACT | TS_HAVE_TGID |
					      TS_HAVE_WPCOPY | TS_HAVE_IRQ | TS_HAVE_MAX);
	assert_int_equal(g.it[0].ts.cpu_delay_max_ns, 8000000);
	assert_int_equal(g.it[0].ts.blkio_delay_max_ns, 2800000);
	assert_int_equal(g.it[0].ts.wpcopy_delay_max_ns, 20000);
	assert_int_equal(g.it[0].ts.payload_len, TS_SIZE_V16);
	assert_int_equal(g.it[1].is_tgid, 1);
	assert_int_equal(g.it[1].ts.is_tgid, 1);
	assert_int_equal(g.it[1].id, 4240);
	assert_int_equal(g.it[1].cmd, TASKSTATS_CMD_NEW);
}

/* A kernel newer than we know: the known prefix is read, the rest ignored. */
static void test_future_version(void **state)
{
	uint8_t buf[4096];
	struct got g = {0};
	(void)state;
	size_t len = build_msg(buf, 19, TS_SIZE_V17 + 64, 4242, 0);

	assert_int_equal(taskstats_parse(buf, len, FAMILY, collect, &g), 1);
	check_common(&g.it[0], 19);
	assert_int_equal(g.it[0].ts.cpu_delay_max_ns, 8000000);
}

static void test_rejects(void **state)
{
	uint8_t stats[1024];
	struct rec_taskstats t;
	(void)state;

	fill_stats(stats, TS_SIZE_V16, 16);
	assert_int_equal(taskstats_decode_stats(stats, 100, &t), -22); /* too short */
	fill_stats(stats, TS_SIZE_V8, 5);
	assert_int_equal(taskstats_decode_stats(stats, TS_SIZE_V8, &t), -22); /* too old */
	/* A v16 header on a v13-sized payload: the maxima are not there. */
	fill_stats(stats, TS_SIZE_V13, 16);
	assert_int_equal(taskstats_decode_stats(stats, TS_SIZE_V13, &t), 0);
	assert_int_equal(t.have & (TS_HAVE_IRQ | TS_HAVE_MAX), 0);
	assert_int_equal(t.cpu_delay_max_ns, 0);
}

static void test_error_and_garbage(void **state)
{
	uint8_t buf[4096] = {0};
	struct got g = {0};
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct nlmsgerr *e = NLMSG_DATA(nh);
	(void)state;

	nh->nlmsg_len = NLMSG_LENGTH(sizeof(*e));
	nh->nlmsg_type = NLMSG_ERROR;
	nh->nlmsg_seq = 9;
	e->error = -3; /* ESRCH */
	assert_int_equal(taskstats_parse(buf, nh->nlmsg_len, FAMILY, collect, &g), 1);
	assert_int_equal(g.it[0].err, -3);
	assert_int_equal(g.it[0].seq, 9);

	/* An attribute claiming more than the message holds is skipped, not read. */
	size_t len = build_msg(buf, 16, TS_SIZE_V16, 1, 0);
	struct nlattr *a = (struct nlattr *)(buf + NLMSG_LENGTH(GENL_HDRLEN));
	a->nla_len = 4000;
	g.n = 0;
	assert_true(taskstats_parse(buf, len, FAMILY, collect, &g) <= 0);
	assert_int_equal(g.n, 0);
	/* Another family's messages are ignored. */
	len = build_msg(buf, 16, TS_SIZE_V16, 1, 0);
	assert_int_equal(taskstats_parse(buf, len, FAMILY + 1, collect, &g), 0);
}

/* The requests as taskstats_msg.c builds them with libnl. */
static void test_builders(void **state)
{
	uint32_t id = 1234;
	(void)state;
	struct nl_msg *m = taskstats_msg_get(FAMILY, TASKSTATS_CMD_ATTR_TGID, &id, 4, 0);
	assert_non_null(m);
	const struct nlmsghdr *nh = nlmsg_hdr(m);
	const struct genlmsghdr *gh = NLMSG_DATA(nh);
	const struct nlattr *a =
	    (const struct nlattr *)((const char *)nh + NLMSG_LENGTH(GENL_HDRLEN));

	assert_int_equal(nh->nlmsg_len, NLMSG_LENGTH(GENL_HDRLEN) + NLA_HDRLEN + 4);
	assert_int_equal(nh->nlmsg_type, FAMILY);
	assert_int_equal(nh->nlmsg_flags, NLM_F_REQUEST); /* no ACK on the hot path */
	assert_int_equal(gh->cmd, TASKSTATS_CMD_GET);
	assert_int_equal(gh->version, TASKSTATS_GENL_VERSION);
	assert_int_equal(a->nla_type, TASKSTATS_CMD_ATTR_TGID);
	id = 0;
	memcpy(&id, (const char *)a + NLA_HDRLEN, 4);
	assert_int_equal(id, 1234);
	nlmsg_free(m);

	m = taskstats_msg_get(FAMILY, TASKSTATS_CMD_ATTR_REGISTER_CPUMASK, "0-1", 4, NLM_F_ACK);
	assert_non_null(m);
	nh = nlmsg_hdr(m);
	a = (const struct nlattr *)((const char *)nh + NLMSG_LENGTH(GENL_HDRLEN));
	assert_int_equal(nh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_int_equal(a->nla_type, TASKSTATS_CMD_ATTR_REGISTER_CPUMASK);
	assert_string_equal((const char *)a + NLA_HDRLEN, "0-1");
	nlmsg_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_v8),
	    cmocka_unit_test(test_v13),
	    cmocka_unit_test(test_v16_group_exit),
	    cmocka_unit_test(test_future_version),
	    cmocka_unit_test(test_rejects),
	    cmocka_unit_test(test_error_and_garbage),
	    cmocka_unit_test(test_builders),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
