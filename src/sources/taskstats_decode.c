/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * struct taskstats of any version -> rec_taskstats (see taskstats.h), no I/O
 * and no netlink: our own layout of struct taskstats v1..v17 and the
 * version-tolerant decoder. The layout is ours, checked against the sizes the
 * kernel documents per version, so a build host with an older
 * <linux/taskstats.h> still reads what a newer kernel sends. The netlink
 * messages around it are taskstats_msg.c's.
 */
#include "sources/taskstats.h"

#include <errno.h>
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
