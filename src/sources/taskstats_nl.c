/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The taskstats sockets on libnl-genl-3 (see taskstats.h), shared by the
 * source and doctor's probe so that doctor reports what a run will get:
 * family resolution (genl_ctrl_resolve), GET queries, cpumask
 * (de)registration through nl_recvmsgs with callbacks set once per socket
 * (our own sequence check: a late answer to a timed-out query is skipped),
 * and the exit listener's receive into the caller's buffer.
 *
 * Queries reuse one prebuilt GET message: only the attribute type, the id and
 * the sequence number change. nl_recvmsgs allocates a buffer per datagram and
 * copies every message into a new nl_msg: the hot paths (a query's answer,
 * exit records) read into a buffer of their own instead and walk it in place
 * with libnl's nlmsg_ok / nlmsg_next, into the same policy-checked parsing
 * (taskstats_parse_msg) and the same handler as nl_recvmsgs' callback.
 */
#include "sources/taskstats.h"

#include <errno.h>
#include <linux/taskstats.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "sources/nlerr.h"

#define TS_MSG_BUF 16384 /* one reply (< 1 KiB today), read without MSG_PEEK */

struct ts_sock {
	struct nl_sock *sk;
	struct nl_cb *cb;
	uint16_t family;
	uint32_t seq;
	struct nl_msg *get;	 /* the reused GET */
	struct nlattr *get_attr; /* its PID/TGID attribute */
	int done, err;		 /* the exchange in progress */
	ts_item_fn fn;		 /* NULL: replies are not wanted (cpumask) */
	void *ctx;
	char rbuf[TS_MSG_BUF] __attribute__((aligned(8))); /* queries' answers */
};

/* One received message of the exchange in progress: another sequence number
 * (a late answer to a timed-out query, an exit record queued ahead of an
 * ACK) is skipped; an NLMSG_ERROR ends the exchange with the kernel's own
 * errno (libnl's codes fold ESRCH into ENOENT); a reply goes to fn. */
static int handle(struct ts_sock *s, struct nlmsghdr *nh)
{
	if (nh->nlmsg_seq != s->seq)
		return NL_SKIP;
	if (nh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = nlmsg_data(nh);
		s->err = nlmsg_valid_hdr(nh, sizeof(*e)) ? e->error : -EBADMSG;
	} else if (s->fn) {
		taskstats_parse_msg(nh, s->family, s->fn, s->ctx);
	} else {
		return NL_SKIP; /* an ACK is wanted, not data */
	}
	s->done = 1;
	return NL_STOP;
}

/* nl_recvmsgs hands every message here first (NL_CB_MSG_IN), so that
 * nothing else in libnl's receive path judges it. */
static int on_msg(struct nl_msg *msg, void *arg)
{
	return handle(arg, nlmsg_hdr(msg));
}

/* A query's answer, read into the socket's own buffer and walked in place:
 * nl_recvmsgs would allocate a buffer and copy the message into a new
 * nl_msg for every answer (measured: +1.4 us on a 4.9 us query). 0 or
 * -errno (-EAGAIN: the receive timeout passed). */
static int recv_in_place(struct ts_sock *s)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)s->rbuf;
	ssize_t n;
	int left;

	do
		n = recv(nl_socket_get_fd(s->sk), s->rbuf, sizeof(s->rbuf), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (left = (int)n; nlmsg_ok(nh, left) && !s->done; nh = nlmsg_next(nh, &left))
		handle(s, nh);
	return 0;
}

static void set_rcvbuf(int fd, int bytes)
{
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
}

int ts_sock_open(struct ts_sock **out, uint16_t family, int rcvbuf)
{
	struct ts_sock *s = calloc(1, sizeof(*s));
	struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
	uint32_t zero = 0;
	int rc;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->sk = nl_socket_alloc();
	s->cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!s->sk || !s->cb) {
		ts_sock_close(s);
		return -ENOMEM;
	}
	errno = 0;
	rc = genl_connect(s->sk);
	if (rc < 0) {
		rc = -nlerr_errno(rc, errno);
		ts_sock_close(s);
		return rc;
	}
	/* A reply that never comes must not hang the run. */
	setsockopt(nl_socket_get_fd(s->sk), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (rcvbuf)
		set_rcvbuf(nl_socket_get_fd(s->sk), rcvbuf);
	nl_socket_set_msg_buf_size(s->sk, TS_MSG_BUF);
	nl_socket_disable_msg_peek(s->sk);
	if (!family) {
		errno = 0;
		rc = genl_ctrl_resolve(s->sk, TASKSTATS_GENL_NAME);
		if (rc < 0) {
			rc = -nlerr_errno(rc, errno);
			ts_sock_close(s);
			return rc;
		}
		family = (uint16_t)rc;
	}
	s->family = family;
	/* From here on the exchanges are ours: no automatic ACK request, our
	 * sequence check, our handlers. */
	nl_socket_disable_auto_ack(s->sk);
	nl_cb_set(s->cb, NL_CB_MSG_IN, NL_CB_CUSTOM, on_msg, s);
	s->seq = (uint32_t)nl_socket_use_seq(s->sk);
	s->get = taskstats_msg_get(family, TASKSTATS_CMD_ATTR_PID, &zero, sizeof(zero), 0);
	if (s->get)
		s->get_attr =
		    nlmsg_find_attr(nlmsg_hdr(s->get), GENL_HDRLEN, TASKSTATS_CMD_ATTR_PID);
	if (!s->get_attr) {
		ts_sock_close(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void ts_sock_close(struct ts_sock *s)
{
	if (!s)
		return;
	nlmsg_free(s->get);
	nl_cb_put(s->cb);
	nl_socket_free(s->sk); /* closes the socket */
	free(s);
}

uint16_t ts_sock_family(const struct ts_sock *s)
{
	return s->family;
}

int ts_sock_fd(const struct ts_sock *s)
{
	return nl_socket_get_fd(s->sk);
}

/* Send m (its sequence number already s->seq) and read until the answer with
 * that number: a reply (fn), an ACK or an error. A query's answer is read in
 * place; the cpumask's ACK, rare and possibly behind exit records, through
 * nl_recvmsgs and the callbacks. 0 or -errno. */
static int exchange(struct ts_sock *s, struct nl_msg *m, ts_item_fn fn, void *ctx)
{
	int rc;

	s->done = s->err = 0;
	s->fn = fn;
	s->ctx = ctx;
	errno = 0;
	/* nl_sendto: one sendto of the message as built (nl_send's sendmsg
	 * costs the kernel an iovec import per query). */
	rc = nl_sendto(s->sk, nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len);
	if (rc < 0)
		return -nlerr_errno(rc, errno);
	/* Bounded: records queued ahead of an ACK, or late answers to queries
	 * that timed out, are skipped one datagram at a time. */
	for (int i = 0; i < 64 && !s->done; i++) {
		if (fn) {
			rc = recv_in_place(s);
			if (rc)
				return rc;
			continue;
		}
		errno = 0;
		rc = nl_recvmsgs(s->sk, s->cb);
		if (!s->done && rc < 0)
			return -nlerr_errno(rc, errno);
	}
	return s->done ? s->err : -EAGAIN;
}

int ts_sock_query(struct ts_sock *s, int attr, uint32_t id, ts_item_fn fn, void *ctx)
{
	s->get_attr->nla_type = (uint16_t)attr;
	memcpy(nla_data(s->get_attr), &id, sizeof(id));
	nlmsg_hdr(s->get)->nlmsg_seq = ++s->seq;
	return exchange(s, s->get, fn, ctx);
}

int ts_sock_cpumask(struct ts_sock *s, int attr, const char *cpulist)
{
	struct nl_msg *m =
	    taskstats_msg_get(s->family, attr, cpulist, strlen(cpulist) + 1, NLM_F_ACK);
	int rc;

	if (!m)
		return -ENOMEM;
	nlmsg_hdr(m)->nlmsg_seq = ++s->seq;
	rc = exchange(s, m, NULL, NULL);
	nlmsg_free(m);
	return rc;
}

ssize_t ts_sock_recv(struct ts_sock *s, void *buf, size_t len)
{
	ssize_t n;

	do
		n = recv(nl_socket_get_fd(s->sk), buf, len, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}
