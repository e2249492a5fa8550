/* Unit tests: the proc connector decoder on synthetic netlink datagrams
 * (every event type, the thread-clone quirk, sequence gaps per CPU, the ack,
 * malformed input) and the LISTEN control message. No kernel needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <netlink/msg.h>

#include "sources/connector.h"

#define MAXREC 16

struct got {
	struct record r[MAXREC];
	int n;
};

static void collect(void *ctx, struct record *r)
{
	struct got *g = ctx;
	if (g->n < MAXREC)
		g->r[g->n++] = *r;
}

/* One datagram: nlmsghdr + cn_msg + proc_event, as the kernel builds it. */
static size_t build(void *buf, uint32_t seq, const struct proc_event *ev)
{
	struct nlmsghdr *nh = buf;
	struct cn_msg *cn;
	size_t plen = sizeof(*cn) + sizeof(*ev);

	memset(buf, 0, NLMSG_SPACE(plen));
	nh->nlmsg_len = NLMSG_LENGTH(plen);
	nh->nlmsg_type = NLMSG_DONE;
	cn = NLMSG_DATA(nh);
	cn->id.idx = CN_IDX_PROC;
	cn->id.val = CN_VAL_PROC;
	cn->seq = seq;
	cn->len = sizeof(*ev);
	memcpy(cn->data, ev, sizeof(*ev));
	return nh->nlmsg_len;
}

static int feed(struct cn_decoder *d, struct got *g, uint32_t seq, const struct proc_event *ev)
{
	char buf[256];
	size_t n = build(buf, seq, ev);
	return cn_decode(d, buf, n, collect, g);
}

static struct proc_event mk(uint32_t what, uint32_t cpu, uint64_t ts)
{
	struct proc_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.what = what;
	ev.cpu = cpu;
	ev.timestamp_ns = ts;
	return ev;
}

static void test_fork_exec_exit(void **state)
{
	struct cn_decoder d;
	struct got g = {0};
	struct proc_event ev;
	(void)state;

	cn_decoder_init(&d, 1);
	ev = mk(PROC_EVENT_FORK, 1, 1000);
	ev.event_data.fork.parent_pid = 100;
	ev.event_data.fork.parent_tgid = 100;
	ev.event_data.fork.child_pid = 101;
	ev.event_data.fork.child_tgid = 101;
	assert_int_equal(feed(&d, &g, 0, &ev), 1);
	ev = mk(PROC_EVENT_EXEC, 1, 2000);
	ev.event_data.exec.process_pid = 101;
	ev.event_data.exec.process_tgid = 101;
	feed(&d, &g, 1, &ev);
	ev = mk(PROC_EVENT_EXIT, 0, 3000);
	ev.event_data.exit.process_pid = 101;
	ev.event_data.exit.process_tgid = 101;
	ev.event_data.exit.exit_code = 3 << 8;
	ev.event_data.exit.exit_signal = 17;
	ev.event_data.exit.parent_pid = 100;
	ev.event_data.exit.parent_tgid = 100;
	feed(&d, &g, 0, &ev);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.r[0].kind, REC_FORK);
	assert_int_equal(g.r[0].source, SRC_CONNECTOR);
	assert_int_equal(g.r[0].key.tgid, 100);
	assert_int_equal(g.r[0].u.fork.child_tgid, 101);
	assert_int_equal(g.r[0].cpu, 1);
	assert_int_equal(g.r[0].t_ns, 1000);
	assert_int_equal(g.r[1].kind, REC_EXEC);
	assert_int_equal(g.r[1].key.tgid, 101);
	assert_null(g.r[1].text);
	assert_int_equal(g.r[2].kind, REC_EXIT);
	assert_int_equal(g.r[2].u.exit.status, 768);
	assert_int_equal(g.r[2].u.exit.exit_signal, 17);
	assert_false(g.r[2].u.exit.is_thread);
	assert_int_equal(cn_decoder_take_loss(&d, &(uint64_t){0}, &(uint64_t){0}), 0);
}

/* The kernel names real_parent (the parent of the whole process) as the
 * parent of a new thread: the clone must be keyed to the thread's group. */
static void test_clone_keyed_to_group(void **state)
{
	struct cn_decoder d;
	struct got g = {0};
	struct proc_event ev = mk(PROC_EVENT_FORK, 0, 5);
	(void)state;

	cn_decoder_init(&d, 1);
	ev.event_data.fork.parent_pid = 1; /* bash, the process's parent */
	ev.event_data.fork.parent_tgid = 1;
	ev.event_data.fork.child_pid = 501; /* new thread of 500 */
	ev.event_data.fork.child_tgid = 500;
	feed(&d, &g, 0, &ev);
	assert_int_equal(g.r[0].kind, REC_CLONE);
	assert_int_equal(g.r[0].key.tgid, 500);
	assert_int_equal(g.r[0].u.fork.child_tid, 501);
	ev = mk(PROC_EVENT_EXIT, 0, 6);
	ev.event_data.exit.process_pid = 501;
	ev.event_data.exit.process_tgid = 500;
	ev.event_data.exit.exit_signal = (uint32_t)-1;
	feed(&d, &g, 1, &ev);
	assert_true(g.r[1].u.exit.is_thread);
	assert_int_equal(g.r[1].u.exit.exit_signal, -1);
}

static void test_other_events(void **state)
{
	struct cn_decoder d;
	struct got g = {0};
	struct proc_event ev;
	(void)state;

	cn_decoder_init(&d, 1);
	ev = mk(PROC_EVENT_COMM, 0, 1);
	ev.event_data.comm.process_pid = 7;
	ev.event_data.comm.process_tgid = 7;
	memcpy(ev.event_data.comm.comm, "0123456789abcdefXX", 16); /* no NUL */
	feed(&d, &g, 0, &ev);
	ev = mk(PROC_EVENT_GID, 0, 2);
	ev.event_data.id.process_pid = 7;
	ev.event_data.id.process_tgid = 7;
	ev.event_data.id.r.rgid = 10;
	ev.event_data.id.e.egid = 20;
	feed(&d, &g, 1, &ev);
	ev = mk(PROC_EVENT_PTRACE, 0, 3);
	ev.event_data.ptrace.process_pid = 7;
	ev.event_data.ptrace.process_tgid = 7;
	ev.event_data.ptrace.tracer_pid = 9;
	ev.event_data.ptrace.tracer_tgid = 9;
	feed(&d, &g, 2, &ev);
	ev = mk(PROC_EVENT_SID, 0, 4);
	ev.event_data.sid.process_pid = 7;
	ev.event_data.sid.process_tgid = 7;
	feed(&d, &g, 3, &ev);
	ev = mk(PROC_EVENT_COREDUMP, 0, 5);
	ev.event_data.coredump.process_pid = 7;
	ev.event_data.coredump.process_tgid = 7;
	feed(&d, &g, 4, &ev);
	assert_int_equal(g.n, 5);
	assert_int_equal(g.r[0].kind, REC_COMM);
	assert_string_equal(g.r[0].comm, "0123456789abcde"); /* terminated */
	assert_int_equal(g.r[1].kind, REC_UID);
	assert_int_equal(g.r[1].u.id.which, 'g');
	assert_int_equal(g.r[1].u.id.a, 10);
	assert_int_equal(g.r[1].u.id.b, 20);
	assert_int_equal(g.r[2].kind, REC_PTRACE);
	assert_int_equal(g.r[2].u.id.which, 'a');
	assert_int_equal(g.r[2].u.id.a, 9);
	assert_int_equal(g.r[3].kind, REC_SID);
	assert_int_equal(g.r[4].kind, REC_COREDUMP);
}

static void test_ack(void **state)
{
	struct cn_decoder d;
	struct got g = {0};
	struct proc_event ev = mk(PROC_EVENT_NONE, 0, 1);
	char buf[256];
	size_t n;
	(void)state;

	cn_decoder_init(&d, 1);
	ev.event_data.ack.err = 1; /* EPERM on old kernels */
	assert_int_equal(feed(&d, &g, 0, &ev), 0);
	assert_int_equal(g.n, 0);
	assert_true(d.got_ack);
	assert_int_equal(d.ack_err, 1);
	/* Another listener's ack is not ours. */
	cn_decoder_init(&d, 1);
	d.want_ack = 1001;
	ev.event_data.ack.err = 0;
	n = build(buf, 1, &ev);
	((struct cn_msg *)NLMSG_DATA((struct nlmsghdr *)buf))->ack = 5;
	cn_decode(&d, buf, n, collect, &g);
	assert_false(d.got_ack);
	((struct cn_msg *)NLMSG_DATA((struct nlmsghdr *)buf))->ack = 1001;
	cn_decode(&d, buf, n, collect, &g);
	assert_true(d.got_ack);
	assert_int_equal(d.acks, 2);
}

/* Per-CPU sequences: a jump on one CPU is that many lost events, with the
 * window from that CPU's previous event to the one after the gap. */
static void test_seq_gaps(void **state)
{
	struct cn_decoder d;
	struct got g = {0};
	struct proc_event ev;
	uint64_t since = 0, until = 0;
	(void)state;

	cn_decoder_init(&d, 1);
	ev = mk(PROC_EVENT_SID, 0, 100);
	feed(&d, &g, 10, &ev); /* first on CPU 0: baseline */
	ev = mk(PROC_EVENT_SID, 1, 110);
	feed(&d, &g, 500, &ev); /* first on CPU 1: baseline */
	ev = mk(PROC_EVENT_SID, 0, 200);
	feed(&d, &g, 11, &ev); /* no gap */
	ev = mk(PROC_EVENT_SID, 1, 300);
	feed(&d, &g, 504, &ev); /* 501..503 lost */
	ev = mk(PROC_EVENT_SID, 0, 400);
	feed(&d, &g, 14, &ev); /* 12, 13 lost */
	assert_int_equal(cn_decoder_take_loss(&d, &since, &until), 5);
	assert_int_equal(since, 110);
	assert_int_equal(until, 400);
	assert_int_equal(d.gaps, 2);
	ev = mk(PROC_EVENT_SID, 0, 500);
	feed(&d, &g, 15, &ev);
	assert_int_equal(cn_decoder_take_loss(&d, &since, &until), 0);
	/* A stale (older) number is not a gap and does not rewind. */
	feed(&d, &g, 12, &ev);
	feed(&d, &g, 16, &ev);
	assert_int_equal(cn_decoder_take_loss(&d, &since, &until), 0);
}

static void test_seq_wrap_and_filter(void **state)
{
	struct cn_decoder d;
	struct got g = {0};
	struct proc_event ev = mk(PROC_EVENT_SID, 2, 1);
	uint64_t a, b;
	(void)state;

	cn_decoder_init(&d, 1);
	feed(&d, &g, 0xfffffffeu, &ev);
	feed(&d, &g, 0xffffffffu, &ev);
	feed(&d, &g, 0, &ev);
	feed(&d, &g, 2, &ev); /* 1 lost across the wrap */
	assert_int_equal(cn_decoder_take_loss(&d, &a, &b), 1);
	/* With a kernel filter, gaps are events filtered out: not counted. */
	cn_decoder_init(&d, 0);
	feed(&d, &g, 1, &ev);
	feed(&d, &g, 50, &ev);
	assert_int_equal(cn_decoder_take_loss(&d, &a, &b), 0);
}

static void test_malformed(void **state)
{
	struct cn_decoder d;
	struct got g = {0};
	char buf[256];
	struct proc_event ev = mk(PROC_EVENT_EXEC, 0, 1);
	size_t n;
	(void)state;

	cn_decoder_init(&d, 1);
	assert_int_equal(cn_decode(&d, buf, 4, collect, &g), -22);
	n = build(buf, 0, &ev);
	((struct cn_msg *)NLMSG_DATA((struct nlmsghdr *)buf))->id.idx = CN_IDX_PROC + 1;
	assert_int_equal(cn_decode(&d, buf, n, collect, &g), 0); /* another connector user */
	n = build(buf, 0, &ev);
	((struct cn_msg *)NLMSG_DATA((struct nlmsghdr *)buf))->len = 200; /* longer than sent */
	assert_int_equal(cn_decode(&d, buf, n, collect, &g), 0);
	n = build(buf, 0, &ev);
	assert_int_equal(cn_decode(&d, buf, n - 8, collect, &g), 0); /* truncated datagram */
	ev.what = 0x400;					     /* a future event type */
	n = build(buf, 0, &ev);
	assert_int_equal(cn_decode(&d, buf, n, collect, &g), 0);
	assert_int_equal(g.n, 0);
	assert_true(d.bad >= 3);
}

/* The LISTEN messages as connector_sock.c builds them with libnl. */
static void test_control(void **state)
{
	struct nl_msg *m;
	struct nlmsghdr *nh;
	size_t n;
	struct cn_msg *cn;
	uint32_t op;
	struct cn_proc_input in;
	(void)state;

	m = cn_control_msg(PROC_CN_MCAST_LISTEN, CN_EV_ALL, 1, 77);
	assert_non_null(m);
	nh = nlmsg_hdr(m);
	n = nh->nlmsg_len;
	cn = NLMSG_DATA(nh);
	assert_int_equal(n, NLMSG_LENGTH(sizeof(*cn) + 4));
	assert_int_equal(cn->id.idx, CN_IDX_PROC);
	assert_int_equal(cn->len, 4);
	memcpy(&op, cn->data, 4);
	assert_int_equal(op, PROC_CN_MCAST_LISTEN);
	assert_int_equal(cn->ack, 77);
	assert_int_equal(nh->nlmsg_type, NLMSG_DONE);
	nlmsg_free(m);
	m = cn_control_msg(PROC_CN_MCAST_LISTEN, PROC_EVENT_EXIT, 2, 77);
	assert_non_null(m);
	nh = nlmsg_hdr(m);
	n = nh->nlmsg_len;
	cn = NLMSG_DATA(nh);
	assert_int_equal(cn->len, 8);
	memcpy(&in, cn->data, 8);
	assert_int_equal(in.mcast_op, PROC_CN_MCAST_LISTEN);
	assert_int_equal(in.event_type, PROC_EVENT_EXIT);
	assert_int_equal(n, NLMSG_LENGTH(sizeof(*cn) + 8));
	assert_int_equal(cn->ack, 77);
	nlmsg_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fork_exec_exit), cmocka_unit_test(test_clone_keyed_to_group),
	    cmocka_unit_test(test_other_events),   cmocka_unit_test(test_ack),
	    cmocka_unit_test(test_seq_gaps),	   cmocka_unit_test(test_seq_wrap_and_filter),
	    cmocka_unit_test(test_malformed),	   cmocka_unit_test(test_control),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
