/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The proc connector socket on libnl-3 (see connector.h), opened the same
 * way by the source and by doctor's probe: an nl_sock on NETLINK_CONNECTOR,
 * its receive buffer, membership of CN_IDX_PROC, the LISTEN/IGNORE control
 * messages (built with nlmsg_alloc_simple / nlmsg_append, sent with
 * nl_send), the wait for the kernel's ack, and the reading of batches.
 *
 * Events are read with recvmmsg on the nl_sock's descriptor into a
 * preallocated cn_batch and decoded in place: libnl's nl_recvmsgs would
 * allocate a buffer per datagram and copy every message into a new nl_msg,
 * which under a fork storm (tens of thousands of events a second, one
 * datagram each) is the reader's whole budget.
 */
#include "sources/connector.h"

#include <errno.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/hostcaps.h"
#include "sources/nlerr.h"

static int fail(struct cn_sock *c, const char *step, int err)
{
	c->step = step;
	return -err;
}

int cn_sock_open(struct cn_sock *c, int rcvbuf, int force)
{
	socklen_t sl = sizeof(c->rcvbuf);
	int rc;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->sk = nl_socket_alloc();
	c->batch = cn_batch_new();
	if (!c->sk || !c->batch)
		return fail(c, "socket", ENOMEM);
	/* Only the kernel sends on this socket: no ACK requests, no sequence
	 * numbers to check (the per-CPU ones are the decoder's). */
	nl_socket_disable_seq_check(c->sk);
	nl_socket_disable_auto_ack(c->sk);
	errno = 0;
	rc = nl_connect(c->sk, NETLINK_CONNECTOR);
	if (rc < 0)
		return fail(c, "socket", nlerr_errno(rc, errno));
	c->fd = nl_socket_get_fd(c->sk);
	nl_socket_set_nonblocking(c->sk);
	/* nl_connect leaves 32 KiB; a fork storm fills that in microseconds. */
	if (rcvbuf > 0 &&
	    (!force || setsockopt(c->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0))
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	getsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &c->rcvbuf, &sl);
	errno = 0;
	rc = nl_socket_add_membership(c->sk, CN_IDX_PROC);
	if (rc < 0)
		return fail(c, "join", nlerr_errno(rc, errno));
	return 0;
}

struct nl_msg *cn_control_msg(uint32_t op, uint32_t mask, uint32_t seq, uint32_t nonce)
{
	struct cn_proc_input in = {op, mask};
	size_t plen = mask == CN_EV_ALL ? sizeof(op) : sizeof(in);
	char body[sizeof(struct cn_msg) + sizeof(in)];
	struct cn_msg cn = {.id = {.idx = CN_IDX_PROC, .val = CN_VAL_PROC},
			    .seq = seq,
			    .ack = nonce,
			    .len = (uint16_t)plen};
	struct nl_msg *m = nlmsg_alloc_simple(NLMSG_DONE, 0);

	if (!m)
		return NULL;
	memcpy(body, &cn, sizeof(cn));
	memcpy(body + sizeof(cn), &in, plen); /* the 4-byte form is op alone */
	nlmsg_hdr(m)->nlmsg_seq = seq;
	if (nlmsg_append(m, body, (int)(sizeof(cn) + plen), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

int cn_sock_control(struct cn_sock *c, uint32_t op, uint32_t mask)
{
	struct nl_msg *m = cn_control_msg(op, mask, ++c->seq, c->nonce);
	int rc;

	if (!m)
		return -ENOMEM;
	errno = 0;
	rc = nl_send(c->sk, m);
	rc = rc < 0 ? -nlerr_errno(rc, errno) : 0;
	nlmsg_free(m);
	if (rc == 0 && op == PROC_CN_MCAST_LISTEN && mask != CN_EV_ALL)
		c->listens++;
	return rc;
}

int cn_sock_listen(struct cn_sock *c, struct cn_decoder *d)
{
	int rc;

	/* Any listener's LISTEN makes the kernel multicast an ack: ours is the
	 * one numbered nonce + 1 (in a user or pid namespace ours never comes). */
	c->nonce = ((uint32_t)getpid() << 12) ^ (uint32_t)clock_mono_ns();
	if (c->nonce == 0 || c->nonce == UINT32_MAX)
		c->nonce = 1;
	d->want_ack = c->nonce + 1;
	d->got_ack = d->ack_err = 0;
	rc = cn_sock_control(c, PROC_CN_MCAST_LISTEN, CN_EV_ALL);
	if (rc)
		c->step = "LISTEN";
	return rc;
}

int cn_sock_read(struct cn_sock *c, struct cn_decoder *d, cn_record_fn fn, void *ctx)
{
	int n = recvmmsg(c->fd, cn_batch_msgs(c->batch), CN_BATCH, MSG_DONTWAIT, NULL);

	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	cn_batch_decode(d, c->batch, n, fn, ctx);
	return n;
}

int cn_sock_wait_ack(struct cn_sock *c, struct cn_decoder *d, int timeout_ms, cn_record_fn fn,
		     void *ctx)
{
	uint64_t t0 = clock_mono_ns(), end = t0 + (uint64_t)timeout_ms * NS_PER_MS;

	while (!d->got_ack) {
		uint64_t now = clock_mono_ns();
		if (now >= end) {
			c->step = "ack";
			c->ack_wait_ms = (int)((now - t0) / NS_PER_MS);
			return -ETIMEDOUT;
		}
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		if (poll(&p, 1, (int)((end - now) / NS_PER_MS) + 1) > 0)
			while (cn_sock_read(c, d, fn, ctx) > 0 && !d->got_ack)
				;
	}
	if (d->ack_err) {
		c->step = "ack";
		return -d->ack_err;
	}
	c->listens++;
	return 0;
}

void cn_sock_close(struct cn_sock *c)
{
	if (c->sk && c->fd >= 0)
		while (c->listens > 0 && cn_sock_control(c, PROC_CN_MCAST_IGNORE, CN_EV_ALL) == 0)
			c->listens--;
	nl_socket_free(c->sk); /* closes the descriptor */
	cn_batch_free(c->batch);
	c->sk = NULL;
	c->batch = NULL;
	c->fd = -1;
}

void cn_sock_reason(const struct cn_sock *c, int err, char *buf, size_t len)
{
	const char *step = c->step ? c->step : "";
	char cause[160];

	/* Short: the source's reason adds what its fallback costs. */
	if (err == -EPROTONOSUPPORT && !strcmp(step, "socket")) {
		snprintf(buf, len, "no proc connector in this kernel (CONFIG_PROC_EVENTS)");
	} else if (err == -EPERM && !strcmp(step, "join")) {
		host_cap_cause(CAP_NET_ADMIN, "CAP_NET_ADMIN", cause, sizeof(cause));
		snprintf(buf, len,
			 "EPERM joining CN_IDX_PROC: needs CAP_NET_ADMIN in the initial user "
			 "namespace; %s",
			 cause);
	} else if (err == -ECONNREFUSED) {
		snprintf(buf, len,
			 "LISTEN refused (ECONNREFUSED): the proc connector exists only in the "
			 "initial network namespace, not this one");
	} else if (err == -ETIMEDOUT) {
		const char *ns = host_noninitial_ns();
		if (ns)
			snprintf(buf, len,
				 "LISTEN ignored (no ack in %d ms): this process is in a "
				 "non-initial %s namespace",
				 c->ack_wait_ms, ns);
		else
			snprintf(buf, len,
				 "no ack to LISTEN in %d ms although this is the initial user and "
				 "pid namespace (a heavily loaded host?)",
				 c->ack_wait_ms);
	} else if (err == -EPERM) {
		host_cap_cause(CAP_NET_ADMIN, "CAP_NET_ADMIN", cause, sizeof(cause));
		snprintf(buf, len, "LISTEN denied (EPERM in the ack): needs CAP_NET_ADMIN; %s",
			 cause);
	} else {
		snprintf(buf, len, "proc connector: %s%s%s (%s)", step, *step ? ": " : "",
			 strerror(-err), host_errname(-err));
	}
}
