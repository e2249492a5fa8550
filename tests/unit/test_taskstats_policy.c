/* Unit tests: taskstats replies built with libnl (nested AGGR_PID / AGGR_TGID)
 * through taskstats_parse_msg, which parses them with genlmsg_parse and
 * nla_parse_nested against the taskstats policies: a truncated struct
 * taskstats is refused by the policy (and only its aggregate), an oversized
 * one of a future version is read up to what we know. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <linux/taskstats.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "sources/taskstats.h"

#define FAMILY 27

/* Offsets in struct taskstats (include/uapi/linux/taskstats.h). */
#define O_CPU_DELAY 24
#define O_COMM	    80
#define O_CPU_MAX   432

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

/* A struct taskstats of len bytes claiming version, with a few known fields. */
static void fill(uint8_t *p, size_t len, uint16_t version)
{
	uint64_t delay = 95300000, max = 8000000;

	memset(p, 0xa5, len); /* past what a version defines: noise */
	memset(p, 0, len < TS_SIZE_V17 ? len : TS_SIZE_V17);
	memcpy(p, &version, 2);
	memcpy(p + O_CPU_DELAY, &delay, 8);
	memcpy(p + O_COMM, "writer", 7);
	if (len >= O_CPU_MAX + 8)
		memcpy(p + O_CPU_MAX, &max, 8);
}

static void put_aggr(struct nl_msg *m, int type, int id_type, uint32_t id, size_t slen,
		     uint16_t version)
{
	uint8_t stats[2048];
	struct nlattr *nest = nla_nest_start(m, type);

	assert_non_null(nest);
	fill(stats, slen, version);
	assert_int_equal(nla_put_u32(m, id_type, id), 0);
	assert_int_equal(nla_put(m, TASKSTATS_TYPE_STATS, (int)slen, stats), 0);
	nla_nest_end(m, nest);
}

/* A TASKSTATS_CMD_NEW: the thread's aggregate, and the group's when tgid. */
static struct nl_msg *reply(size_t pid_len, uint16_t pid_ver, uint32_t tgid, size_t tgid_len)
{
	struct nl_msg *m = nlmsg_alloc_size(8192);

	assert_non_null(m);
	assert_non_null(genlmsg_put(m, 1, 7, FAMILY, 0, 0, TASKSTATS_CMD_NEW, 1));
	put_aggr(m, TASKSTATS_TYPE_AGGR_PID, TASKSTATS_TYPE_PID, 4242, pid_len, pid_ver);
	if (tgid)
		put_aggr(m, TASKSTATS_TYPE_AGGR_TGID, TASKSTATS_TYPE_TGID, tgid, tgid_len, 16);
	return m;
}

static void test_truncated_record(void **state)
{
	struct got g = {0};
	(void)state;
	struct nl_msg *m = reply(100, 16, 0, 0);

	/* 100 bytes: below the policy's minimum (v8's 328): refused. */
	assert_int_equal(taskstats_parse_msg(nlmsg_hdr(m), FAMILY, collect, &g), 0);
	assert_int_equal(g.n, 0);
	nlmsg_free(m);

	/* One byte short of v8 likewise; exactly v8 passes. */
	m = reply(TS_SIZE_V8 - 1, 8, 0, 0);
	assert_int_equal(taskstats_parse_msg(nlmsg_hdr(m), FAMILY, collect, &g), 0);
	nlmsg_free(m);
	m = reply(TS_SIZE_V8, 8, 0, 0);
	assert_int_equal(taskstats_parse_msg(nlmsg_hdr(m), FAMILY, collect, &g), 1);
	assert_int_equal(g.it[0].ts.payload_len, TS_SIZE_V8);
	nlmsg_free(m);

	/* A truncated thread aggregate does not take the group's with it. */
	g.n = 0;
	m = reply(100, 16, 4240, TS_SIZE_V16);
	assert_int_equal(taskstats_parse_msg(nlmsg_hdr(m), FAMILY, collect, &g), 1);
	assert_int_equal(g.it[0].is_tgid, 1);
	assert_int_equal(g.it[0].id, 4240);
	assert_int_equal(g.it[0].ts.version, 16);
	nlmsg_free(m);
}

static void test_oversized_record(void **state)
{
	struct got g = {0};
	(void)state;
	/* A future v19 of 1200 bytes: longer than the headers' and ours. */
	struct nl_msg *m = reply(1200, 19, 4240, 1200);

	assert_int_equal(taskstats_parse_msg(nlmsg_hdr(m), FAMILY, collect, &g), 2);
	assert_int_equal(g.it[0].id, 4242);
	assert_int_equal(g.it[0].is_tgid, 0);
	assert_int_equal(g.it[0].seq, 7);
	assert_int_equal(g.it[0].cmd, TASKSTATS_CMD_NEW);
	assert_int_equal(g.it[0].ts.version, 19);
	assert_int_equal(g.it[0].ts.payload_len, 1200);
	assert_int_equal(g.it[0].ts.cpu_delay_ns, 95300000);
	assert_int_equal(g.it[0].ts.cpu_delay_max_ns, 8000000);
	assert_string_equal(g.it[0].ts.comm, "writer");
	assert_true(g.it[0].ts.have & TS_HAVE_MAX);
	assert_int_equal(g.it[1].id, 4240);
	assert_int_equal(g.it[1].is_tgid, 1);

	/* The same bytes as one received datagram, through the walk. */
	g.n = 0;
	struct nlmsghdr *nh = nlmsg_hdr(m);
	assert_int_equal(taskstats_parse(nh, nh->nlmsg_len, FAMILY, collect, &g), 2);
	/* Cut short: the last attribute no longer fits and is not read. */
	g.n = 0;
	nh->nlmsg_len -= 600;
	assert_int_equal(taskstats_parse(nh, nh->nlmsg_len, FAMILY, collect, &g), 1);
	nlmsg_free(m);
}

static void test_missing_stats(void **state)
{
	struct got g = {0};
	(void)state;
	struct nl_msg *m = nlmsg_alloc();
	struct nlattr *nest;

	assert_non_null(genlmsg_put(m, 1, 7, FAMILY, 0, 0, TASKSTATS_CMD_NEW, 1));
	nest = nla_nest_start(m, TASKSTATS_TYPE_AGGR_PID);
	nla_put_u32(m, TASKSTATS_TYPE_PID, 1);
	nla_nest_end(m, nest);
	assert_int_equal(taskstats_parse_msg(nlmsg_hdr(m), FAMILY, collect, &g), 0);
	/* A PID attribute too short for its u32: the policy refuses it. */
	nlmsg_free(m);
	m = nlmsg_alloc();
	assert_non_null(genlmsg_put(m, 1, 7, FAMILY, 0, 0, TASKSTATS_CMD_NEW, 1));
	nest = nla_nest_start(m, TASKSTATS_TYPE_AGGR_PID);
	nla_put_u16(m, TASKSTATS_TYPE_PID, 1);
	uint8_t stats[TS_SIZE_V16];
	fill(stats, sizeof(stats), 16);
	nla_put(m, TASKSTATS_TYPE_STATS, sizeof(stats), stats);
	nla_nest_end(m, nest);
	assert_int_equal(taskstats_parse_msg(nlmsg_hdr(m), FAMILY, collect, &g), 0);
	nlmsg_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_truncated_record),
	    cmocka_unit_test(test_oversized_record),
	    cmocka_unit_test(test_missing_stats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
