/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The proc connector source (NETLINK_CONNECTOR, CN_IDX_PROC), split in parts
 * that can be tested alone:
 *  - connector_decode.c: datagrams -> records, per-CPU sequence checking
 *    (no I/O: unit-tested with synthetic netlink messages and fuzzed);
 *  - connector_sock.c: the nl_sock (libnl-3) on NETLINK_CONNECTOR, group
 *    CN_IDX_PROC, its receive buffer, LISTEN/IGNORE and the reading of
 *    batches; the source and doctor's probe open it the same way;
 *  - connector_enrich.c: a worker thread that reads /proc/<pid>/exe and
 *    cmdline for exec events, so a target's mm lock never stalls the reader;
 *  - connector_scan.c: the followed tree (--children) and the /proc diff that
 *    heals it after a loss, and replaces the connector when it is unavailable;
 *  - connector.c: the socket and the source_ops glue.
 * Event times are the kernel's timestamp_ns (ktime_get_ns = CLOCK_MONOTONIC).
 */
#ifndef PROCIMAGE_CONNECTOR_H
#define PROCIMAGE_CONNECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "core/targets.h"
#include "procimage/record.h"

/* The uapi header of older build hosts lacks these (kernel >= 6.6). */
#define CN_EV_NONZERO_EXIT 0x20000000u
#define CN_EV_ALL	   0xffffffffu

/* struct proc_input of kernel 6.6+: LISTEN with an event-type filter. */
struct cn_proc_input {
	uint32_t mcast_op;
	uint32_t event_type;
};

#define CN_MAX_CPUS 4096

struct cn_decoder {
	int check_seq; /* 0 when a kernel filter hides events (seq gaps are normal) */
	uint8_t seen[CN_MAX_CPUS];
	uint32_t next_seq[CN_MAX_CPUS];
	uint64_t last_ts[CN_MAX_CPUS];
	uint64_t events, bad, acks;
	uint32_t want_ack; /* the ack our LISTEN will carry (0: any) */
	int got_ack, ack_err;
	/* Losses found since cn_decoder_take_loss(): count and time window. */
	uint64_t lost, lost_since_ns, lost_until_ns;
	uint32_t gaps;
};

typedef void (*cn_record_fn)(void *ctx, struct record *r);

void cn_decoder_init(struct cn_decoder *d, int check_seq);
/* Decode one received datagram (one or more netlink messages). Each event
 * becomes a record passed to fn (text unset); acks set got_ack/ack_err.
 * Returns the number of records, or -EINVAL for a malformed datagram. */
int cn_decode(struct cn_decoder *d, const void *buf, size_t len, cn_record_fn fn, void *ctx);
/* Losses found by sequence gaps since the last call: 0 if none; otherwise the
 * count, with the window in *since and *until (CLOCK_MONOTONIC ns). */
uint64_t cn_decoder_take_loss(struct cn_decoder *d, uint64_t *since, uint64_t *until);

/* A batch of received datagrams with their senders (connector_decode.c):
 * filled by one recvmmsg, decoded in place, so an event costs no copy and no
 * allocation. */
#define CN_BATCH  64
#define CN_RCVBUF (32 << 20) /* the source's receive buffer */
struct cn_batch;
struct mmsghdr;
struct cn_batch *cn_batch_new(void);
void cn_batch_free(struct cn_batch *b);
/* The CN_BATCH message headers to pass to recvmmsg (reset for a new read). */
struct mmsghdr *cn_batch_msgs(struct cn_batch *b);
/* Decode the first n datagrams read; those not from the kernel are dropped.
 * Returns the number of records. */
int cn_batch_decode(struct cn_decoder *d, struct cn_batch *b, int n, cn_record_fn fn, void *ctx);

/* --- the socket (connector_sock.c) --- */
struct nl_sock;
struct cn_sock {
	struct nl_sock *sk;
	int fd;
	int rcvbuf;	  /* bytes the kernel granted */
	int listens;	  /* LISTENs in force: each gets an IGNORE at close */
	uint32_t nonce;	  /* of the last LISTEN: its ack carries nonce + 1 */
	uint32_t seq;	  /* of our control messages */
	const char *step; /* the step that failed: "socket", "join", "LISTEN", "ack" */
	int ack_wait_ms;  /* how long the last wait for the ack lasted */
	struct cn_batch *batch;
};
/* Open a non-blocking NETLINK_CONNECTOR socket with rcvbuf bytes of receive
 * buffer (force: SO_RCVBUFFORCE first, which needs CAP_NET_ADMIN; else plain
 * SO_RCVBUF, capped by net.core.rmem_max) and join CN_IDX_PROC. 0 or -errno
 * (c->step says where). */
int cn_sock_open(struct cn_sock *c, int rcvbuf, int force);
/* Send LISTEN for every event with a fresh nonce; d will know our ack. */
int cn_sock_listen(struct cn_sock *c, struct cn_decoder *d);
/* Read and decode until our ack comes or timeout_ms pass: 0 (LISTEN in
 * force), -ETIMEDOUT, or the ack's -errno. Events read meanwhile go to fn
 * (NULL: they only seed the sequence numbers). */
int cn_sock_wait_ack(struct cn_sock *c, struct cn_decoder *d, int timeout_ms, cn_record_fn fn,
		     void *ctx);
/* The control message (PROC_CN_MCAST_LISTEN or _IGNORE), built with libnl;
 * the kernel's ack will carry nonce + 1. NULL when out of memory. */
struct nl_msg;
struct nl_msg *cn_control_msg(uint32_t op, uint32_t mask, uint32_t seq, uint32_t nonce);
/* Send a control message (PROC_CN_MCAST_LISTEN or _IGNORE) without waiting;
 * a mask other than CN_EV_ALL uses the 8-byte proc_input form (6.6+), and
 * such a filter LISTEN counts as in force. 0 or -errno. */
int cn_sock_control(struct cn_sock *c, uint32_t op, uint32_t mask);
/* One batch without waiting: datagrams read (their records went to fn), 0
 * when none was queued, or -errno (-ENOBUFS: the kernel dropped messages). */
int cn_sock_read(struct cn_sock *c, struct cn_decoder *d, cn_record_fn fn, void *ctx);
/* IGNORE for every LISTEN in force, then close. */
void cn_sock_close(struct cn_sock *c);
/* What an error of the steps above means here, naming the real cause (the
 * missing capability, the namespace, the kernel configuration). */
void cn_sock_reason(const struct cn_sock *c, int err, char *buf, size_t len);

/* --- exec enrichment worker (connector_enrich.c) --- */
struct cn_enrich;
/* rootfd is the proc root (borrowed). efd_out: an fd that becomes readable
 * when results are ready (register it with the loop). */
struct cn_enrich *cn_enrich_new(int rootfd, int *efd_out);
/* Read exe and comm now, then queue the record for argv. 0 if queued; -1 if
 * the queue is full or the task is gone (the caller emits it as is). */
int cn_enrich_push(struct cn_enrich *e, const struct record *r);
/* Emit every finished record, in the order queued, to sink. */
void cn_enrich_flush(struct cn_enrich *e, const struct record_sink *sink);
/* Stop the worker; records not finished are emitted without text. Returns
 * the number of exec records emitted without filename/argv. */
uint64_t cn_enrich_free(struct cn_enrich *e, const struct record_sink *sink);
/* /proc/<pid>/exe as "filename NUL" (empty when unreadable) and comm: never
 * waits for the target's mm. Returns the length with the NUL, or -1 when the
 * task is gone. */
int cn_read_exe(int rootfd, int32_t pid, char *buf, size_t len, char comm[16]);
/* /proc/<pid>/cmdline (argv0 NUL argv1 NUL ...) bounded to len; takes the
 * target's mmap lock, so only the worker calls it. Returns the length. */
size_t cn_read_cmdline(int rootfd, int32_t pid, char *buf, size_t len);

/* --- the followed tree and /proc diffing (connector_scan.c) --- */
struct cn_scan;
struct cn_scan_config {
	int rootfd;
	const struct targets *targets;
	int children; /* follow descendants */
	int full;     /* fallback: also diff threads and comm, every tick */
};
struct cn_scan *cn_scan_new(const struct cn_scan_config *cfg);
void cn_scan_free(struct cn_scan *s);
/* Seed the tree from /proc (targets, and their descendants with children).
 * Quiet: emits nothing. New members are reported through follow_fn. */
void cn_scan_seed(struct cn_scan *s);
/* Diff /proc against the tree; emit what changed as records with source
 * SRC_PROCFS (sampled: time = now_ns). */
void cn_scan_diff(struct cn_scan *s, uint64_t now_ns, const struct record_sink *sink);
/* Learn from a dispatched record (fork of a member -> new member, exit). */
void cn_scan_observe(struct cn_scan *s, const struct record *r);
/* Called for every process that joins the tree (procfs_follow). */
void cn_scan_on_follow(struct cn_scan *s, void (*fn)(void *ctx, int32_t tgid), void *ctx);
uint64_t cn_scan_count(const struct cn_scan *s);
/* Is tgid a target or a followed descendant? */
int cn_scan_is_member(struct cn_scan *s, int32_t tgid);

#endif
