/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Taskstats messages without I/O (see taskstats.h): our own layout of struct
 * taskstats v1..v17, the version-tolerant decoder, the netlink walk over a
 * receive buffer, and the request builders. The layout is ours, checked
 * against the sizes the kernel documents per version, so a build host with an
 * older <linux/taskstats.h> still reads what a newer kernel sends.
 */
#include "sources/taskstats.h"

#include <errno.h>
#include <limits.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>
#include <stddef.h>
#include <string.h>

#define A8 __attribute__((aligned(8)))

struct ts_delay_mm {
	uint64_t max, min;
};

struct ts_timespec {
	int64_t sec, nsec;
};

/* struct taskstats as of version 17, field for field. */
struct ts_v17 {
	uint16_t version;
	uint32_t ac_exitcode;
	uint8_t ac_flag, ac_nice;
	uint64_t cpu_count A8, cpu_delay_total;
	uint64_t blkio_count, blkio_delay_total;
	uint64_t swapin_count, swapin_delay_total;
	uint64_t cpu_run_real_total, cpu_run_virtual_total;
	char ac_comm[32];
	uint8_t ac_sched A8, ac_pad[3];
	uint32_t ac_uid A8, ac_gid, ac_pid, ac_ppid, ac_btime;
	uint64_t ac_etime A8, ac_utime, ac_stime, ac_minflt, ac_majflt;
	uint64_t coremem, virtmem, hiwater_rss, hiwater_vm;
	uint64_t read_char, write_char, read_syscalls, write_syscalls; /* rounded: unused */
	uint64_t read_bytes, write_bytes, cancelled_write_bytes;
	uint64_t nvcsw, nivcsw;
	uint64_t ac_utimescaled, ac_stimescaled, cpu_scaled_run_real_total;
	uint64_t freepages_count, freepages_delay_total;
	uint64_t thrashing_count, thrashing_delay_total; /* v9 */
	uint64_t ac_btime64;				 /* v10 */
	uint64_t compact_count, compact_delay_total;	 /* v11 */
	uint32_t ac_tgid;				 /* v12 */
	uint64_t ac_tgetime A8, ac_exe_dev, ac_exe_inode;
	uint64_t wpcopy_count, wpcopy_delay_total; /* v13 */
	uint64_t irq_count, irq_delay_total;	   /* v14 */
	/* v16: cpu blkio swapin freepages thrashing compact wpcopy irq */
	struct ts_delay_mm mm[8];
	struct ts_timespec max_ts[8]; /* v17 */
};

_Static_assert(offsetof(struct ts_v17, ac_comm) == TS_SIZE_V1, "v1 layout");
_Static_assert(offsetof(struct ts_v17, thrashing_count) == TS_SIZE_V8, "v8 layout");
_Static_assert(offsetof(struct ts_v17, irq_count) == TS_SIZE_V13, "v13 layout");
_Static_assert(offsetof(struct ts_v17, mm) == TS_SIZE_V14, "v14 layout");
_Static_assert(offsetof(struct ts_v17, max_ts) == TS_SIZE_V16, "v16 layout");
_Static_assert(sizeof(struct ts_v17) == TS_SIZE_V17, "v17 layout");

/* A field counts only when the message is long enough to hold it. */
#define HAS(len, field)                                                                            \
	((len) >= offsetof(struct ts_v17, field) + sizeof(((struct ts_v17 *)0)->field))

static void copy_delays(const struct ts_v17 *k, size_t len, struct rec_taskstats *o)
{
	o->cpu_count = k->cpu_count;
	o->cpu_delay_ns = k->cpu_delay_total;
	o->blkio_count = k->blkio_count;
	o->blkio_delay_ns = k->blkio_delay_total;
	o->swapin_count = k->swapin_count;
	o->swapin_delay_ns = k->swapin_delay_total;
	o->freepages_count = k->freepages_count;
	o->freepages_delay_ns = k->freepages_delay_total;
	if (HAS(len, thrashing_delay_total) && k->version >= 9) {
		o->have |= TS_HAVE_THRASHING;
		o->thrashing_count = k->thrashing_count;
		o->thrashing_delay_ns = k->thrashing_delay_total;
	}
	if (HAS(len, compact_delay_total) && k->version >= 11) {
		o->have |= TS_HAVE_COMPACT;
		o->compact_count = k->compact_count;
		o->compact_delay_ns = k->compact_delay_total;
	}
	if (HAS(len, ac_exe_inode) && k->version >= 12) {
		o->have |= TS_HAVE_TGID;
		o->ac_tgid = k->ac_tgid;
	}
	if (HAS(len, wpcopy_delay_total) && k->version >= 13) {
		o->have |= TS_HAVE_WPCOPY;
		o->wpcopy_count = k->wpcopy_count;
		o->wpcopy_delay_ns = k->wpcopy_delay_total;
	}
	if (HAS(len, irq_delay_total) && k->version >= 14) {
		o->have |= TS_HAVE_IRQ;
		o->irq_count = k->irq_count;
		o->irq_delay_ns = k->irq_delay_total;
	}
	if (HAS(len, mm) && k->version >= 16) {
		o->have |= TS_HAVE_MAX;
		o->cpu_delay_max_ns = k->mm[0].max;
		o->blkio_delay_max_ns = k->mm[1].max;
		o->swapin_delay_max_ns = k->mm[2].max;
		o->freepages_delay_max_ns = k->mm[3].max;
		o->thrashing_delay_max_ns = k->mm[4].max;
		o->compact_delay_max_ns = k->mm[5].max;
		o->wpcopy_delay_max_ns = k->mm[6].max;
		o->irq_delay_max_ns = k->mm[7].max;
	}
}

int taskstats_decode_stats(const void *payload, size_t len, struct rec_taskstats *o)
{
	struct ts_v17 k;

	memset(o, 0, sizeof(*o));
	/* v8 (Linux 2.6.3x .. 4.19) is the oldest layout still met in the field. */
	if (len < TS_SIZE_V8)
		return -EINVAL;
	memset(&k, 0, sizeof(k));
	memcpy(&k, payload, len < sizeof(k) ? len : sizeof(k));
	if (k.version < 8)
		return -EINVAL;
	o->version = k.version;
	o->payload_len = (uint16_t)(len > 0xffff ? 0xffff : len);
	o->exitcode = k.ac_exitcode;
	o->ac_flag = k.ac_flag;
	o->ac_uid = k.ac_uid;
	o->ac_ppid = k.ac_ppid;
	o->ac_btime = HAS(len, ac_btime64) && k.version >= 10 ? k.ac_btime64 : k.ac_btime;
	o->ac_etime_us = k.ac_etime;
	o->ac_utime_us = k.ac_utime;
	o->ac_stime_us = k.ac_stime;
	o->cpu_run_real_ns = k.cpu_run_real_total;
	o->cpu_run_virtual_ns = k.cpu_run_virtual_total;
	o->hiwater_rss_kb = k.hiwater_rss;
	o->hiwater_vm_kb = k.hiwater_vm;
	o->read_bytes = k.read_bytes;
	o->write_bytes = k.write_bytes;
	o->cancelled_write_bytes = k.cancelled_write_bytes;
	o->nvcsw = k.nvcsw;
	o->nivcsw = k.nivcsw;
	o->minflt = k.ac_minflt;
	o->majflt = k.ac_majflt;
	memcpy(o->comm, k.ac_comm, sizeof(o->comm) - 1);
	copy_delays(&k, len, o);
	return 0;
}

static const struct nlattr *nla_next(const struct nlattr *a, size_t *rem)
{
	size_t step = NLA_ALIGN(a->nla_len);

	if (step > *rem)
		step = *rem;
	*rem -= step;
	return (const struct nlattr *)((const char *)a + step);
}

static int nla_ok(const struct nlattr *a, size_t rem)
{
	return rem >= sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= rem;
}

/* One AGGR_PID / AGGR_TGID: a PID or TGID u32 and a STATS payload. */
static int parse_aggr(const struct nlattr *aggr, struct ts_item *it)
{
	size_t rem = aggr->nla_len - NLA_HDRLEN;
	const struct nlattr *a = (const struct nlattr *)((const char *)aggr + NLA_HDRLEN);
	int have_stats = 0;

	it->is_tgid = (aggr->nla_type & NLA_TYPE_MASK) == TASKSTATS_TYPE_AGGR_TGID;
	for (; nla_ok(a, rem); a = nla_next(a, &rem)) {
		const void *pl = (const char *)a + NLA_HDRLEN;
		size_t plen = a->nla_len - NLA_HDRLEN;
		switch (a->nla_type & NLA_TYPE_MASK) {
		case TASKSTATS_TYPE_PID:
		case TASKSTATS_TYPE_TGID:
			if (plen >= 4)
				memcpy(&it->id, pl, 4);
			break;
		case TASKSTATS_TYPE_STATS:
			if (taskstats_decode_stats(pl, plen, &it->ts))
				return -EINVAL;
			have_stats = 1;
			break;
		}
	}
	it->ts.is_tgid = it->is_tgid;
	return have_stats ? 0 : -EINVAL;
}

static int parse_genl(const struct nlmsghdr *nh, ts_item_fn fn, void *ctx)
{
	const struct genlmsghdr *g = NLMSG_DATA(nh);
	size_t rem;
	const struct nlattr *a;
	int n = 0;

	if (nh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return -EINVAL;
	rem = nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	a = (const struct nlattr *)((const char *)g + GENL_HDRLEN);
	for (; nla_ok(a, rem); a = nla_next(a, &rem)) {
		int type = a->nla_type & NLA_TYPE_MASK;
		struct ts_item it;
		if (type != TASKSTATS_TYPE_AGGR_PID && type != TASKSTATS_TYPE_AGGR_TGID)
			continue;
		memset(&it, 0, sizeof(it));
		it.seq = nh->nlmsg_seq;
		it.cmd = g->cmd;
		if (parse_aggr(a, &it) == 0) {
			fn(ctx, &it);
			n++;
		}
	}
	return n;
}

int taskstats_parse(const void *buf, size_t len, uint16_t family, ts_item_fn fn, void *ctx)
{
	const struct nlmsghdr *nh = buf;
	int total = 0;

	/* Signed: NLMSG_NEXT subtracts the aligned length, which would wrap a
	 * size_t past a last message whose length is not aligned. */
	long left = len > INT_MAX ? INT_MAX : (long)len;

	for (; NLMSG_OK(nh, left); nh = NLMSG_NEXT(nh, left)) {
		if (nh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nh);
			struct ts_item it;
			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EINVAL;
			if (e->error == 0)
				continue; /* an ACK */
			memset(&it, 0, sizeof(it));
			it.err = e->error;
			it.seq = nh->nlmsg_seq;
			fn(ctx, &it);
			total++;
			continue;
		}
		if (nh->nlmsg_type != family)
			continue;
		int n = parse_genl(nh, fn, ctx);
		if (n < 0)
			return n;
		total += n;
	}
	return total;
}

static size_t put_attr(void *buf, size_t off, size_t len, int type, const void *data, size_t dlen)
{
	struct nlattr *a = (struct nlattr *)((char *)buf + off);

	if (off + NLA_HDRLEN + NLA_ALIGN(dlen) > len)
		return 0;
	a->nla_type = (uint16_t)type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + dlen);
	memcpy((char *)a + NLA_HDRLEN, data, dlen);
	memset((char *)a + NLA_HDRLEN + dlen, 0, NLA_ALIGN(dlen) - dlen);
	return off + NLA_HDRLEN + NLA_ALIGN(dlen);
}

static size_t build(void *buf, size_t len, uint16_t type, uint8_t cmd, uint8_t version, int attr,
		    const void *data, size_t dlen, uint32_t seq)
{
	struct nlmsghdr *nh = buf;
	struct genlmsghdr *g;
	size_t off = NLMSG_LENGTH(GENL_HDRLEN);

	if (len < off)
		return 0;
	memset(buf, 0, off);
	nh->nlmsg_type = type;
	nh->nlmsg_flags = NLM_F_REQUEST;
	nh->nlmsg_seq = seq;
	g = NLMSG_DATA(nh);
	g->cmd = cmd;
	g->version = version;
	off = put_attr(buf, off, len, attr, data, dlen);
	if (!off)
		return 0;
	nh->nlmsg_len = (uint32_t)off;
	return off;
}

size_t taskstats_build_get(void *buf, size_t len, uint16_t family, int attr, uint32_t id,
			   uint32_t seq)
{
	return build(buf, len, family, TASKSTATS_CMD_GET, TASKSTATS_GENL_VERSION, attr, &id,
		     sizeof(id), seq);
}

size_t taskstats_build_cpumask(void *buf, size_t len, uint16_t family, int attr,
			       const char *cpulist, uint32_t seq)
{
	return build(buf, len, family, TASKSTATS_CMD_GET, TASKSTATS_GENL_VERSION, attr, cpulist,
		     strlen(cpulist) + 1, seq);
}

size_t taskstats_build_getfamily(void *buf, size_t len, const char *name, uint32_t seq)
{
	return build(buf, len, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, CTRL_ATTR_FAMILY_NAME, name,
		     strlen(name) + 1, seq);
}

int taskstats_parse_family(const void *buf, size_t len, uint16_t *family)
{
	const struct nlmsghdr *nh = buf;

	/* Signed: NLMSG_NEXT subtracts the aligned length, which would wrap a
	 * size_t past a last message whose length is not aligned. */
	long left = len > INT_MAX ? INT_MAX : (long)len;

	for (; NLMSG_OK(nh, left); nh = NLMSG_NEXT(nh, left)) {
		if (nh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nh);
			if (nh->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error)
				return e->error;
			continue;
		}
		if (nh->nlmsg_type != GENL_ID_CTRL || nh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
			continue;
		size_t rem = nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
		const struct nlattr *a =
		    (const struct nlattr *)((const char *)NLMSG_DATA(nh) + GENL_HDRLEN);
		for (; nla_ok(a, rem); a = nla_next(a, &rem))
			if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID &&
			    a->nla_len >= NLA_HDRLEN + 2) {
				memcpy(family, (const char *)a + NLA_HDRLEN, 2);
				return 0;
			}
	}
	return -ENOENT;
}
