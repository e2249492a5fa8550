/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Proc connector datagrams -> records (see connector.h). No I/O here: the
 * socket is connector_sock.c's nl_sock; what it reads lands in a cn_batch,
 * laid out here, and is decoded in place (libnl has no connector layer, and
 * its nl_recvmsgs would allocate and copy per message).
 *
 * Loss detection: the kernel numbers the messages it sends per CPU
 * (cn_msg.seq, taken under a per-CPU lock together with ev->cpu), acks
 * included. Without an event-type filter this socket sees every message, so a
 * jump in one CPU's sequence is exactly the number of events dropped (receive
 * buffer full, or the kernel's GFP_NOWAIT allocation failing). A loss at the
 * very end of a run only shows as ENOBUFS, since no later message reveals it.
 */
#include "sources/connector.h"

#include <errno.h>
#include <limits.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <netlink/msg.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#define CN_BUFSZ 512 /* one datagram: nlmsghdr + cn_msg + proc_event < 100 bytes */

/* recvmmsg's view of CN_BATCH datagrams and their senders. */
struct cn_batch {
	char bufs[CN_BATCH][CN_BUFSZ] __attribute__((aligned(8)));
	struct mmsghdr mm[CN_BATCH];
	struct iovec iov[CN_BATCH];
	struct sockaddr_nl from[CN_BATCH];
};

struct cn_batch *cn_batch_new(void)
{
	struct cn_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	for (int i = 0; i < CN_BATCH; i++) {
		b->iov[i] = (struct iovec){b->bufs[i], CN_BUFSZ};
		b->mm[i].msg_hdr = (struct msghdr){.msg_name = &b->from[i],
						   .msg_namelen = sizeof(b->from[i]),
						   .msg_iov = &b->iov[i],
						   .msg_iovlen = 1};
	}
	return b;
}

void cn_batch_free(struct cn_batch *b)
{
	free(b);
}

struct mmsghdr *cn_batch_msgs(struct cn_batch *b)
{
	for (int i = 0; i < CN_BATCH; i++)
		b->mm[i].msg_hdr.msg_namelen = sizeof(b->from[i]);
	return b->mm;
}

int cn_batch_decode(struct cn_decoder *d, struct cn_batch *b, int n, cn_record_fn fn, void *ctx)
{
	int total = 0;

	for (int i = 0; i < n && i < CN_BATCH; i++)
		if (b->from[i].nl_pid == 0) { /* only the kernel speaks here */
			int k = cn_decode(d, b->bufs[i], b->mm[i].msg_len, fn, ctx);
			total += k > 0 ? k : 0;
		}
	return total;
}

void cn_decoder_init(struct cn_decoder *d, int check_seq)
{
	memset(d, 0, sizeof(*d));
	d->check_seq = check_seq;
}

static void check_seq(struct cn_decoder *d, uint32_t cpu, uint32_t seq, uint64_t ts)
{
	if (!d->check_seq || cpu >= CN_MAX_CPUS)
		return;
	if (d->seen[cpu]) {
		uint32_t gap = seq - d->next_seq[cpu];
		if (gap >= 0x80000000u)
			return; /* older than expected: a reordered duplicate, keep state */
		if (gap) {
			if (!d->lost || d->last_ts[cpu] < d->lost_since_ns)
				d->lost_since_ns = d->last_ts[cpu];
			if (ts > d->lost_until_ns)
				d->lost_until_ns = ts;
			d->lost += gap;
			d->gaps++;
		}
	}
	d->seen[cpu] = 1;
	d->next_seq[cpu] = seq + 1;
	d->last_ts[cpu] = ts;
}

uint64_t cn_decoder_take_loss(struct cn_decoder *d, uint64_t *since, uint64_t *until)
{
	uint64_t n = d->lost;

	if (n) {
		*since = d->lost_since_ns;
		*until = d->lost_until_ns;
	}
	d->lost = d->lost_since_ns = d->lost_until_ns = 0;
	return n;
}

static void set_key(struct record *r, int32_t pid, int32_t tgid)
{
	r->key.tgid = tgid;
	r->key.tid = pid;
	r->key.start_ticks = 0;
}

static void decode_fork(const struct proc_event *ev, struct record *r)
{
	const struct fork_proc_event *e = &ev->event_data.fork;

	r->u.fork.child_tgid = e->child_tgid;
	r->u.fork.child_tid = e->child_pid;
	if (e->child_pid != e->child_tgid) {
		/* A thread: the kernel reports real_parent, which for
		 * CLONE_THREAD is the parent of the whole process, not
		 * the creator. The creator is in the child's group;
		 * which thread it was is not reported (tid 0). */
		r->kind = REC_CLONE;
		set_key(r, e->child_tgid, e->child_tgid);
		r->u.fork.parent_tgid = e->child_tgid;
		r->u.fork.parent_tid = 0;
		return;
	}
	r->kind = REC_FORK;
	set_key(r, e->parent_pid, e->parent_tgid);
	r->u.fork.parent_tgid = e->parent_tgid;
	r->u.fork.parent_tid = e->parent_pid;
}

/* Fill r from ev; returns 0 for an event that makes no record (ack, unknown). */
static int decode_event(struct cn_decoder *d, const struct proc_event *ev, uint32_t ack,
			struct record *r)
{
	const __typeof__(ev->event_data) *e = &ev->event_data;

	switch (ev->what) {
	case PROC_EVENT_NONE:
		d->acks++;
		if (!d->want_ack || ack == d->want_ack) {
			d->got_ack = 1;
			d->ack_err = (int)e->ack.err;
		}
		return 0;
	case PROC_EVENT_FORK:
		decode_fork(ev, r);
		return 1;
	case PROC_EVENT_EXEC:
		r->kind = REC_EXEC;
		set_key(r, e->exec.process_pid, e->exec.process_tgid);
		return 1;
	case PROC_EVENT_UID:
	case PROC_EVENT_GID:
		r->kind = REC_UID;
		set_key(r, e->id.process_pid, e->id.process_tgid);
		r->u.id.a = e->id.r.ruid;
		r->u.id.b = e->id.e.euid;
		r->u.id.which = ev->what == PROC_EVENT_UID ? 'u' : 'g';
		return 1;
	case PROC_EVENT_SID:
		r->kind = REC_SID;
		set_key(r, e->sid.process_pid, e->sid.process_tgid);
		return 1;
	case PROC_EVENT_PTRACE:
		r->kind = REC_PTRACE;
		set_key(r, e->ptrace.process_pid, e->ptrace.process_tgid);
		r->u.id.a = (uint32_t)e->ptrace.tracer_tgid;
		r->u.id.b = (uint32_t)e->ptrace.tracer_pid;
		r->u.id.which = e->ptrace.tracer_pid ? 'a' : 'd';
		return 1;
	case PROC_EVENT_COMM:
		r->kind = REC_COMM;
		set_key(r, e->comm.process_pid, e->comm.process_tgid);
		memcpy(r->comm, e->comm.comm, sizeof(r->comm));
		r->comm[sizeof(r->comm) - 1] = '\0';
		return 1;
	case PROC_EVENT_COREDUMP:
		r->kind = REC_COREDUMP;
		set_key(r, e->coredump.process_pid, e->coredump.process_tgid);
		r->u.exit.parent_tgid = e->coredump.parent_tgid;
		r->u.exit.parent_tid = e->coredump.parent_pid;
		return 1;
	case PROC_EVENT_EXIT:
		r->kind = REC_EXIT;
		set_key(r, e->exit.process_pid, e->exit.process_tgid);
		r->u.exit.status = e->exit.exit_code;
		r->u.exit.exit_signal = (int32_t)e->exit.exit_signal;
		r->u.exit.parent_tgid = e->exit.parent_tgid;
		r->u.exit.parent_tid = e->exit.parent_pid;
		r->u.exit.is_thread = e->exit.process_pid != e->exit.process_tgid;
		return 1;
	}
	d->bad++;
	return 0;
}

int cn_decode(struct cn_decoder *d, const void *buf, size_t len, cn_record_fn fn, void *ctx)
{
	/* libnl's walk takes the header non-const; nothing here writes to it. */
	struct nlmsghdr *nh = (struct nlmsghdr *)(uintptr_t)buf;
	int left = len > INT_MAX ? INT_MAX : (int)len;
	int n = 0;

	if (len < NLMSG_HDRLEN)
		return -EINVAL;
	for (; nlmsg_ok(nh, left); nh = nlmsg_next(nh, &left)) {
		if (nh->nlmsg_type == NLMSG_NOOP)
			continue;
		if (nh->nlmsg_type == NLMSG_ERROR || nh->nlmsg_type == NLMSG_OVERRUN) {
			d->bad++;
			continue;
		}
		const struct cn_msg *cn = nlmsg_data(nh);
		size_t plen = (size_t)nlmsg_datalen(nh);
		if (plen < sizeof(*cn) || cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC ||
		    plen - sizeof(*cn) < cn->len ||
		    cn->len < offsetof(struct proc_event, event_data)) {
			d->bad++;
			continue;
		}
		/* The payload may be unaligned in a crafted buffer: copy it. */
		struct proc_event ev;
		memset(&ev, 0, sizeof(ev));
		memcpy(&ev, cn->data, cn->len < sizeof(ev) ? cn->len : sizeof(ev));
		check_seq(d, ev.cpu, cn->seq, ev.timestamp_ns);
		struct record r;
		memset(&r, 0, sizeof(r));
		r.source = SRC_CONNECTOR;
		r.cpu = (int32_t)ev.cpu;
		r.t_ns = ev.timestamp_ns;
		if (!decode_event(d, &ev, cn->ack, &r))
			continue;
		d->events++;
		n++;
		if (fn)
			fn(ctx, &r);
	}
	return n;
}
