/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Taskstats over generic netlink with libnl-genl-3: the sockets, queries and
 * exit listener (taskstats_nl.c), the messages and their policy-checked
 * parsing (taskstats_msg.c, no I/O), the struct taskstats versions
 * (taskstats_decode.c, no I/O, unit-tested), and the kernel.task_delayacct
 * switch (taskstats_delayacct.c).
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
#include <sys/types.h>

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

/* Decode a struct taskstats payload of len bytes (taskstats_decode.c). 0, or
 * -EINVAL when it is too short or its version is not one we can read. */
int taskstats_decode_stats(const void *payload, size_t len, struct rec_taskstats *out);

/* --- messages through libnl-genl, no I/O (taskstats_msg.c) --- */
struct nlmsghdr;
struct nl_msg;
/* One netlink message: an NLMSG_ERROR becomes an error item (an ACK none);
 * a message of `family` is parsed with genlmsg_parse and nla_parse_nested
 * against the taskstats policies (a STATS shorter than v8 is refused there,
 * a longer one of any size accepted) and each aggregate is passed to fn.
 * Returns the number of items. */
int taskstats_parse_msg(struct nlmsghdr *nh, uint16_t family, ts_item_fn fn, void *ctx);
/* Every message of one received datagram, walked with libnl's nlmsg_ok /
 * nlmsg_next, through taskstats_parse_msg. Returns the number of items. */
int taskstats_parse(void *buf, size_t len, uint16_t family, ts_item_fn fn, void *ctx);
/* A TASKSTATS_CMD_GET request carrying one attribute (TASKSTATS_CMD_ATTR_PID
 * or _TGID with a u32, or a cpumask string), built with libnl; flags adds to
 * NLM_F_REQUEST (NLM_F_ACK for the cpumask). NULL when out of memory. */
struct nl_msg *taskstats_msg_get(uint16_t family, int attr, const void *data, size_t len,
				 int flags);

/* --- the sockets (taskstats_nl.c): the source and doctor's probe open and
 * use them the same way --- */
struct ts_sock;
/* A generic netlink socket, its family resolved with genl_ctrl_resolve (or
 * `family` when not 0), a 200 ms receive timeout, and rcvbuf bytes of receive
 * buffer when not 0 (SO_RCVBUFFORCE, else SO_RCVBUF). 0 or -errno. */
int ts_sock_open(struct ts_sock **out, uint16_t family, int rcvbuf);
void ts_sock_close(struct ts_sock *s);
uint16_t ts_sock_family(const struct ts_sock *s);
int ts_sock_fd(const struct ts_sock *s);
/* One TASKSTATS_CMD_GET (attr PID or TGID), answered by one message (no
 * NLM_F_ACK on this path): its aggregates go to fn. The message and the
 * callbacks are made once per socket. 0, or -errno (-ESRCH: the task is gone;
 * -EAGAIN: no answer within the timeout). */
int ts_sock_query(struct ts_sock *s, int attr, uint32_t id, ts_item_fn fn, void *ctx);
/* Register (or deregister) this socket as the exit listener of the CPUs in
 * cpulist (TASKSTATS_CMD_ATTR_REGISTER_CPUMASK / _DEREGISTER_CPUMASK) and
 * wait for the ACK. 0 or -errno. */
int ts_sock_cpumask(struct ts_sock *s, int attr, const char *cpulist);
/* One datagram into buf without waiting (the exit listener's hot path reads
 * into the caller's buffer: no allocation per record). Bytes, or -errno
 * (-ENOBUFS: the kernel dropped records; -EAGAIN: nothing queued). */
ssize_t ts_sock_recv(struct ts_sock *s, void *buf, size_t len);

/* kernel.task_delayacct (taskstats_delayacct.c). The value, or -errno. */
int delayacct_read(void);
/* Switch it on; remember the old value so delayacct_restore() (also run at
 * exit and on fatal signals) puts it back. 0, or -errno. */
int delayacct_enable(void);
/* Put back what delayacct_enable() found; harmless when nothing was changed.
 * 0, or -errno when the write failed. */
int delayacct_restore(void);

#endif
