/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Taskstats over raw generic netlink: building the requests and decoding the
 * replies (taskstats_decode.c, no I/O, unit-tested on synthetic buffers), and
 * the kernel.task_delayacct switch (taskstats_delayacct.c).
 *
 * The kernel may send a struct taskstats of any version, newer or older than
 * the build host's header (v16 here, 560 bytes, against a v13 header): the
 * decoder copies min(payload, what it knows), checks the version and the
 * length, and says in rec_taskstats.have which fields the version carries.
 */
#ifndef PROCIMAGE_TASKSTATS_H
#define PROCIMAGE_TASKSTATS_H

#include <stddef.h>
#include <stdint.h>

#include "procimage/record.h"

/* Sizes of struct taskstats by version (bytes). */
#define TS_SIZE_V1  80u	 /* up to cpu_run_virtual_total */
#define TS_SIZE_V8  328u /* up to freepages_delay_total */
#define TS_SIZE_V13 416u /* up to wpcopy_delay_total */
#define TS_SIZE_V14 432u /* + irq */
#define TS_SIZE_V16 560u /* + *_delay_max/min */
#define TS_SIZE_V17 688u /* + *_delay_max_ts */

/* One decoded aggregate of a reply or an exit message. */
struct ts_item {
	int err;      /* -errno of an NLMSG_ERROR (then only seq is valid) */
	uint32_t seq; /* nlmsg_seq: matches a query */
	uint8_t cmd;  /* TASKSTATS_CMD_NEW for exits and replies */
	uint8_t is_tgid;
	uint32_t id; /* pid or tgid of the aggregate */
	struct rec_taskstats ts;
};

typedef void (*ts_item_fn)(void *ctx, const struct ts_item *it);

/* Decode a struct taskstats payload of len bytes. 0, or -EINVAL when it is
 * too short or its version is not one we can read. */
int taskstats_decode_stats(const void *payload, size_t len, struct rec_taskstats *out);

/* Walk the netlink messages in buf (one recv), calling fn for each taskstats
 * aggregate and each error. Returns the number of items, or -EINVAL when the
 * buffer is malformed. */
int taskstats_parse(const void *buf, size_t len, uint16_t family, ts_item_fn fn, void *ctx);

/* Request builders: return the message length, or 0 when buf is too small.
 * attr is TASKSTATS_CMD_ATTR_PID or _TGID. No NLM_F_ACK: a successful GET is
 * answered by one message, a failed one by NLMSG_ERROR. */
size_t taskstats_build_get(void *buf, size_t len, uint16_t family, int attr, uint32_t id,
			   uint32_t seq);
size_t taskstats_build_cpumask(void *buf, size_t len, uint16_t family, int attr,
			       const char *cpulist, uint32_t seq);
size_t taskstats_build_getfamily(void *buf, size_t len, const char *name, uint32_t seq);
/* The family id from a CTRL_CMD_NEWFAMILY reply; 0 or -errno (an NLMSG_ERROR). */
int taskstats_parse_family(const void *buf, size_t len, uint16_t *family);

/* kernel.task_delayacct (taskstats_delayacct.c). The value, or -errno. */
int delayacct_read(void);
/* Switch it on; remember the old value so delayacct_restore() (also run at
 * exit and on fatal signals) puts it back. 0, or -errno. */
int delayacct_enable(void);
/* Put back what delayacct_enable() found; harmless when nothing was changed.
 * 0, or -errno when the write failed. */
int delayacct_restore(void);

#endif
