/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Taskstats netlink messages through libnl-genl-3, no I/O (see taskstats.h):
 * the policies that validate a reply or an exit message, the walk over one
 * received datagram, and the GET request. The struct inside the STATS
 * attribute is taskstats_decode.c's. Real replies (through nl_recvmsgs),
 * exit records (the listener's own buffer) and the fuzz target all come
 * through taskstats_parse_msg.
 */
#include "sources/taskstats.h"

#include <errno.h>
#include <linux/taskstats.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <string.h>

/* The top level of a TASKSTATS_CMD_NEW: one or two aggregates (a group's
 * last exit carries the thread's AGGR_PID and the group's AGGR_TGID). */
static struct nla_policy top_policy[TASKSTATS_TYPE_MAX + 1] = {
    [TASKSTATS_TYPE_AGGR_PID] = {.type = NLA_NESTED},
    [TASKSTATS_TYPE_AGGR_TGID] = {.type = NLA_NESTED},
};

/* Inside an aggregate: the id and struct taskstats. The struct may be of any
 * version: at least v8's size (the oldest layout we read), no upper bound (a
 * newer kernel's is longer; the decoder reads the prefix it knows). */
static struct nla_policy aggr_policy[TASKSTATS_TYPE_MAX + 1] = {
    [TASKSTATS_TYPE_PID] = {.type = NLA_U32},
    [TASKSTATS_TYPE_TGID] = {.type = NLA_U32},
    [TASKSTATS_TYPE_STATS] = {.type = NLA_UNSPEC, .minlen = TS_SIZE_V8},
};

/* One AGGR_PID / AGGR_TGID; 0, or -EINVAL when the policy or the decoder
 * refuses it (the other aggregate of the message may still be good). */
static int parse_aggr(struct nlattr *aggr, struct ts_item *it)
{
	struct nlattr *tb[TASKSTATS_TYPE_MAX + 1];
	struct nlattr *id;

	if (nla_parse_nested(tb, TASKSTATS_TYPE_MAX, aggr, aggr_policy) < 0 ||
	    !tb[TASKSTATS_TYPE_STATS])
		return -EINVAL;
	it->is_tgid = nla_type(aggr) == TASKSTATS_TYPE_AGGR_TGID;
	id = tb[it->is_tgid ? TASKSTATS_TYPE_TGID : TASKSTATS_TYPE_PID];
	if (!id)
		id = tb[it->is_tgid ? TASKSTATS_TYPE_PID : TASKSTATS_TYPE_TGID];
	if (id)
		it->id = nla_get_u32(id);
	if (taskstats_decode_stats(nla_data(tb[TASKSTATS_TYPE_STATS]),
				   (size_t)nla_len(tb[TASKSTATS_TYPE_STATS]), &it->ts))
		return -EINVAL;
	it->ts.is_tgid = it->is_tgid;
	return 0;
}

int taskstats_parse_msg(struct nlmsghdr *nh, uint16_t family, ts_item_fn fn, void *ctx)
{
	static const int order[2] = {TASKSTATS_TYPE_AGGR_PID, TASKSTATS_TYPE_AGGR_TGID};
	struct nlattr *tb[TASKSTATS_TYPE_MAX + 1];
	struct ts_item it;
	int n = 0;

	if (nh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = nlmsg_data(nh);
		if (!nlmsg_valid_hdr(nh, sizeof(*e)) || e->error == 0)
			return 0; /* truncated, or an ACK */
		memset(&it, 0, sizeof(it));
		it.err = e->error;
		it.seq = nh->nlmsg_seq;
		fn(ctx, &it);
		return 1;
	}
	if (nh->nlmsg_type != family || genlmsg_parse(nh, 0, tb, TASKSTATS_TYPE_MAX, top_policy))
		return 0;
	for (int i = 0; i < 2; i++) {
		if (!tb[order[i]])
			continue;
		memset(&it, 0, sizeof(it));
		it.seq = nh->nlmsg_seq;
		it.cmd = ((const struct genlmsghdr *)nlmsg_data(nh))->cmd;
		if (parse_aggr(tb[order[i]], &it) == 0) {
			fn(ctx, &it);
			n++;
		}
	}
	return n;
}

int taskstats_parse(void *buf, size_t len, uint16_t family, ts_item_fn fn, void *ctx)
{
	struct nlmsghdr *nh = buf;
	int left = len > (size_t)(1 << 30) ? 1 << 30 : (int)len;
	int total = 0;

	for (; nlmsg_ok(nh, left); nh = nlmsg_next(nh, &left))
		total += taskstats_parse_msg(nh, family, fn, ctx);
	return total;
}

struct nl_msg *taskstats_msg_get(uint16_t family, int attr, const void *data, size_t len, int flags)
{
	struct nl_msg *m = nlmsg_alloc();

	if (!m)
		return NULL;
	if (!genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_REQUEST | flags,
			 TASKSTATS_CMD_GET, TASKSTATS_GENL_VERSION) ||
	    nla_put(m, attr, (int)len, data) < 0) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}
