/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * doctor's netlink probes (see doctor_probe.h): taskstats over raw generic
 * netlink, the proc connector, and audit through libaudit. Raw sockets and
 * their own tiny message builders, so that doctor does not share a bug with
 * the sources it judges. Every probe closes what it opened.
 */
#include "core/doctor_probe.h"

#include "core/privs.h"

#include <errno.h>
#include <libaudit.h>
#include <linux/audit.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

const char *doctor_errname(int e)
{
	const char *n = e ? strerrorname_np(e) : "0";
	return n ? n : "errno ?";
}

static void item_set(struct doctor_item *it, enum source_state st, int err, const char *impact)
{
	it->state = st;
	it->err = err;
	snprintf(it->impact, sizeof(it->impact), "%s", st == SOURCE_OK ? "" : impact);
}

/* A note for EPERM answers: a capability held but refused means we are in
 * a user namespace, where capabilities do not count for these interfaces. */
static const char *userns_note(void)
{
	struct doctor_ns ns[3];
	int n = doctor_namespaces(ns, 3);

	for (int i = 0; i < n; i++)
		if (!strcmp(ns[i].name, "user") && ns[i].initial == 0)
			return "; this process is in a non-initial user namespace, where "
			       "capabilities do not count";
	return "";
}

static int initial_user_and_pid_ns(void)
{
	struct doctor_ns ns[2];

	return doctor_namespaces(ns, 2) == 2 && ns[0].initial == 1 && ns[1].initial == 1;
}

/* ---- taskstats ------------------------------------------------------ */

struct nlreq {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char buf[256];
};

static void put_attr(struct nlreq *r, uint16_t type, const void *data, uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->n.nlmsg_len));

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->n.nlmsg_len = NLMSG_ALIGN(r->n.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static void req_init(struct nlreq *r, uint16_t family, uint8_t cmd, uint16_t flags)
{
	memset(r, 0, sizeof(*r));
	r->n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->n.nlmsg_type = family;
	r->n.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	r->n.nlmsg_seq = (uint32_t)time(NULL);
	r->g.cmd = cmd;
	r->g.version = 1;
}

/* Send r and read one answer into buf. Returns bytes of a non-error reply,
 * 0 for an ACK (error 0), or -errno (send error, NLMSG_ERROR, timeout). */
static int nl_call(int fd, struct nlreq *r, char *buf, size_t len)
{
	struct sockaddr_nl to = {.nl_family = AF_NETLINK};
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	ssize_t n;

	if (sendto(fd, r, r->n.nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	if (poll(&pfd, 1, 1000) <= 0)
		return -ETIMEDOUT;
	n = recv(fd, buf, len, 0);
	if (n < 0)
		return -errno;
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(h, (size_t)n))
		return -EBADMSG;
	if (h->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = NLMSG_DATA(h);
		return e->error;
	}
	return (int)n;
}

/* Find attribute `type` in [p, p+len). */
static const struct nlattr *find_attr(const char *p, size_t len, uint16_t type)
{
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const struct nlattr *)p;
		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			return NULL;
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		size_t step = NLA_ALIGN(a->nla_len);
		if (step >= len)
			return NULL;
		p += step;
		len -= step;
	}
	return NULL;
}

static int resolve_family(int fd, uint16_t *id)
{
	struct nlreq r;
	char buf[4096];
	int n;

	req_init(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	put_attr(&r, CTRL_ATTR_FAMILY_NAME, TASKSTATS_GENL_NAME, sizeof(TASKSTATS_GENL_NAME));
	n = nl_call(fd, &r, buf, sizeof(buf));
	if (n <= 0)
		return n ? n : -EBADMSG;
	const char *p = buf + NLMSG_LENGTH(GENL_HDRLEN);
	const struct nlattr *a =
	    find_attr(p, (size_t)n - NLMSG_LENGTH(GENL_HDRLEN), CTRL_ATTR_FAMILY_ID);
	if (!a)
		return -EBADMSG;
	memcpy(id, (const char *)a + NLA_HDRLEN, sizeof(*id));
	return 0;
}

/* The version (first u16 of struct taskstats) in a TASKSTATS_CMD_NEW reply. */
static int reply_version(const char *buf, int n)
{
	const char *p = buf + NLMSG_LENGTH(GENL_HDRLEN);
	size_t len = (size_t)n - NLMSG_LENGTH(GENL_HDRLEN);
	const struct nlattr *aggr = find_attr(p, len, TASKSTATS_TYPE_AGGR_PID);
	uint16_t v;

	if (!aggr)
		return -1;
	const struct nlattr *st = find_attr((const char *)aggr + NLA_HDRLEN,
					    aggr->nla_len - NLA_HDRLEN, TASKSTATS_TYPE_STATS);
	if (!st || st->nla_len < NLA_HDRLEN + 2)
		return -1;
	memcpy(&v, (const char *)st + NLA_HDRLEN, sizeof(v));
	return v;
}

/* The exit listener: register for one CPU we may run on, then deregister. */
static int probe_exit_listener(int fd, uint16_t fam)
{
	struct nlreq r;
	char buf[1024], cpu[16] = "0";
	cpu_set_t set;
	int rc;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &set)) {
				snprintf(cpu, sizeof(cpu), "%d", c);
				break;
			}
	req_init(&r, fam, TASKSTATS_CMD_GET, NLM_F_ACK);
	put_attr(&r, TASKSTATS_CMD_ATTR_REGISTER_CPUMASK, cpu, (uint16_t)(strlen(cpu) + 1));
	rc = nl_call(fd, &r, buf, sizeof(buf));
	if (rc < 0)
		return rc;
	req_init(&r, fam, TASKSTATS_CMD_GET, NLM_F_ACK);
	put_attr(&r, TASKSTATS_CMD_ATTR_DEREGISTER_CPUMASK, cpu, (uint16_t)(strlen(cpu) + 1));
	nl_call(fd, &r, buf, sizeof(buf));
	return 0;
}

void doctor_probe_taskstats(struct doctor_item *it)
{
	static const char lost[] =
	    "resource: no delay accounting (blkio, swapin, reclaim, "
	    "thrashing), no storage read/write bytes from taskstats; exits: no "
	    "exit records (short-lived tasks' accounting)";
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	uint16_t fam;
	struct nlreq r;
	char buf[8192];
	int rc;
	uint32_t pid = (uint32_t)getpid();

	it->name = "taskstats";
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		item_set(it, SOURCE_UNAVAILABLE, e, lost);
		snprintf(it->reason, sizeof(it->reason), "%s: generic netlink socket: %s",
			 doctor_errname(e), strerror(e));
		if (fd >= 0)
			close(fd);
		return;
	}
	rc = resolve_family(fd, &fam);
	if (rc < 0) {
		item_set(it, SOURCE_UNAVAILABLE, -rc, lost);
		snprintf(it->reason, sizeof(it->reason),
			 "%s: generic netlink family \"TASKSTATS\" not found: kernel built "
			 "without CONFIG_TASKSTATS",
			 doctor_errname(-rc));
		close(fd);
		return;
	}
	req_init(&r, fam, TASKSTATS_CMD_GET, 0);
	put_attr(&r, TASKSTATS_CMD_ATTR_PID, &pid, sizeof(pid));
	rc = nl_call(fd, &r, buf, sizeof(buf));
	if (rc <= 0) {
		int e = rc ? -rc : EBADMSG;
		item_set(it, SOURCE_UNAVAILABLE, e, lost);
		if (e == EPERM)
			snprintf(it->reason, sizeof(it->reason),
				 "EPERM: TASKSTATS_CMD_GET needs CAP_NET_ADMIN in the initial user "
				 "namespace (CAP_NET_ADMIN %s)%s",
				 doctor_has_cap(CAP_NET_ADMIN) ? "held" : "not held",
				 userns_note());
		else
			snprintf(it->reason, sizeof(it->reason),
				 "%s: TASKSTATS_CMD_GET for our pid: %s", doctor_errname(e),
				 strerror(e));
		close(fd);
		return;
	}
	int ver = reply_version(buf, rc);
	rc = probe_exit_listener(fd, fam);
	if (rc < 0) {
		item_set(it, SOURCE_DEGRADED, -rc,
			 "exits and keytime: no taskstats exit records (exit accounting of "
			 "tasks that ended between ticks)");
		snprintf(it->reason, sizeof(it->reason),
			 "queries work (struct version %d) but the exit listener "
			 "(REGISTER_CPUMASK) fails with %s%s",
			 ver, doctor_errname(-rc),
			 -rc == EINVAL ? ": this process is in a non-initial pid namespace" : "");
	} else {
		item_set(it, SOURCE_OK, 0, "");
		snprintf(it->reason, sizeof(it->reason),
			 "TASKSTATS_CMD_GET answered (struct version %d); exit listener registers",
			 ver);
	}
	snprintf(it->detail, sizeof(it->detail), "family id %u, version %d", fam, ver);
	close(fd);
}

/* ---- proc connector ------------------------------------------------- */

/* The kernel answers LISTEN with an ack whose cn_msg.ack is ours + 1 (its
 * seq is the kernel's own counter): a nonce there tells our ack from the
 * acks of other listeners, which are multicast to us too. */
static int cn_send(int fd, enum proc_cn_mcast_op op, uint32_t nonce)
{
	struct {
		struct nlmsghdr n;
		struct cn_msg c;
		enum proc_cn_mcast_op op;
	} __attribute__((packed)) m;

	memset(&m, 0, sizeof(m));
	m.n.nlmsg_len = sizeof(m);
	m.n.nlmsg_type = NLMSG_DONE;
	m.n.nlmsg_pid = (uint32_t)getpid();
	m.c.id.idx = CN_IDX_PROC;
	m.c.id.val = CN_VAL_PROC;
	m.c.seq = nonce;
	m.c.ack = nonce;
	m.c.len = sizeof(op);
	m.op = op;
	return send(fd, &m, sizeof(m), 0) < 0 ? -errno : 0;
}

/* Wait for the LISTEN ack (PROC_EVENT_NONE). 1 + *ack_err on ack, 0 on
 * timeout; *events counts other events seen meanwhile. */
static int cn_wait_ack(int fd, int timeout_ms, uint32_t nonce, int *ack_err, int *events)
{
	struct timespec t0, t;
	char buf[8192] __attribute__((aligned(8)));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		long left = timeout_ms -
			    ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return 0;
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			continue;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			struct cn_msg *c = NLMSG_DATA(h);
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*c) + sizeof(struct proc_event)) ||
			    c->id.idx != CN_IDX_PROC)
				continue;
			struct proc_event ev; /* c->data is only 4-byte aligned */
			memcpy(&ev, c->data, sizeof(ev));
			if (ev.what == PROC_EVENT_NONE && c->ack == nonce + 1) {
				*ack_err = (int)ev.event_data.ack.err;
				return 1;
			}
			(*events)++;
		}
	}
}

void doctor_probe_connector(struct doctor_item *it, int timeout_ms)
{
	static const char lost[] = "keytime, exits: no fork/exec/exit/comm events; new and "
				   "exiting tasks are found by /proc diffing each tick (tasks that "
				   "live shorter than the interval are missed)";
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC};
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	int rc, ack_err = 0, events = 0;

	it->name = "connector";
	if (fd < 0) {
		int e = errno;
		item_set(it, SOURCE_UNAVAILABLE, e, lost);
		snprintf(it->reason, sizeof(it->reason), "%s: NETLINK_CONNECTOR socket%s",
			 doctor_errname(e),
			 e == EPROTONOSUPPORT
			     ? ": kernel built without CONFIG_CONNECTOR/CONFIG_PROC_EVENTS"
			     : "");
		return;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		item_set(it, SOURCE_UNAVAILABLE, e, lost);
		snprintf(it->reason, sizeof(it->reason), "%s: bind to CN_IDX_PROC: %s",
			 doctor_errname(e), strerror(e));
		close(fd);
		return;
	}
	uint32_t nonce = (uint32_t)getpid() * 2654435761u ^ (uint32_t)time(NULL);
	rc = cn_send(fd, PROC_CN_MCAST_LISTEN, nonce);
	if (rc < 0) {
		item_set(it, SOURCE_UNAVAILABLE, -rc, lost);
		snprintf(it->reason, sizeof(it->reason), "%s: sending PROC_CN_MCAST_LISTEN%s",
			 doctor_errname(-rc),
			 rc == -ECONNREFUSED ? ": the proc connector only exists in the initial "
					       "network namespace (this is a new netns)"
					     : "");
		close(fd);
		return;
	}
	rc = cn_wait_ack(fd, timeout_ms, nonce, &ack_err, &events);
	if (!rc && initial_user_and_pid_ns()) /* an ack is due: a loaded host may be slow */
		rc = cn_wait_ack(fd, 4 * timeout_ms, nonce, &ack_err, &events);
	if (rc && ack_err) {
		item_set(it, SOURCE_UNAVAILABLE, ack_err, lost);
		snprintf(it->reason, sizeof(it->reason), "%s: the LISTEN ack carries an error%s",
			 doctor_errname(ack_err),
			 ack_err == EPERM ? ": this kernel (before 6.6) needs CAP_NET_ADMIN" : "");
	} else if (rc) {
		item_set(it, SOURCE_OK, 0, "");
		snprintf(it->reason, sizeof(it->reason), "LISTEN acknowledged (err 0)");
		cn_send(fd, PROC_CN_MCAST_IGNORE, nonce + 2);
	} else if (events) {
		item_set(it, SOURCE_DEGRADED, 0,
			 "keytime, exits: events arrive only while another listener in the initial "
			 "namespace keeps the connector on; losses cannot be told from silence");
		snprintf(
		    it->reason, sizeof(it->reason),
		    "LISTEN was not acknowledged within %d ms (ignored in a non-initial user or "
		    "pid namespace) but %d events arrived because another listener exists",
		    timeout_ms, events);
	} else if (initial_user_and_pid_ns()) {
		item_set(it, SOURCE_UNAVAILABLE, ETIMEDOUT, lost);
		snprintf(
		    it->reason, sizeof(it->reason),
		    "ETIMEDOUT: no ack to PROC_CN_MCAST_LISTEN within %d ms although this is the "
		    "initial user and pid namespace (a heavily loaded host?)",
		    5 * timeout_ms);
	} else {
		item_set(it, SOURCE_UNAVAILABLE, 0, lost);
		snprintf(it->reason, sizeof(it->reason),
			 "LISTEN silently ignored: no ack within %d ms (the kernel ignores it in a "
			 "non-initial user or pid namespace)",
			 timeout_ms);
	}
	close(fd);
}

/* ---- audit ---------------------------------------------------------- */

static int audit_status_reply(int fd, struct audit_status *st)
{
	struct audit_reply rep;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	for (int i = 0; i < 8; i++) {
		if (poll(&pfd, 1, 500) <= 0)
			return -ETIMEDOUT;
		memset(&rep, 0, sizeof(rep));
		if (audit_get_reply(fd, &rep, GET_REPLY_NONBLOCKING, 0) <= 0)
			continue;
		if (rep.type == NLMSG_ERROR && rep.error && rep.error->error)
			return rep.error->error;
		if (rep.type == AUDIT_GET && rep.status) {
			*st = *rep.status;
			return 0;
		}
	}
	return -ETIMEDOUT;
}

static int audit_mcast_bind(void)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK,
				 .nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1)};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static void audit_explain(struct doctor_item *it, int e, const char *step)
{
	const char *why = "";

	if (e == EPERM || e == EACCES)
		why = privs_audit_why(e); /* shared with the audit source */
	else if (e == ECONNREFUSED)
		why = "the kernel refuses audit from a non-initial user namespace";
	else if (e == EPROTONOSUPPORT)
		why = "kernel built without CONFIG_AUDIT";
	snprintf(it->reason, sizeof(it->reason), "%s: %s%s%s", doctor_errname(e), step,
		 *why ? ": " : "", why);
}

void doctor_probe_audit(struct doctor_item *it)
{
	static const char lost[] = "syscall: no exact per-syscall counts, errors or sequence; "
				   "falls back to sampling /proc/<tid>/syscall (marked sampled: "
				   "blocked syscalls only)";
	struct audit_status st;
	int fd, rc, mc;

	it->name = "audit";
	set_aumessage_mode(MSG_QUIET, DBG_NO);
	fd = audit_open();
	if (fd < 0) {
		int e = errno;
		item_set(it, SOURCE_UNAVAILABLE, e, lost);
		audit_explain(it, e, "NETLINK_AUDIT socket");
		return;
	}
	rc = audit_request_status(fd);
	if (rc < 0) {
		int e = rc == -1 ? errno : -rc;
		item_set(it, SOURCE_UNAVAILABLE, e, lost);
		audit_explain(it, e, "AUDIT_GET (status request)");
		audit_close(fd);
		return;
	}
	rc = audit_status_reply(fd, &st);
	audit_close(fd);
	if (rc < 0) {
		item_set(it, SOURCE_UNAVAILABLE, -rc, lost);
		audit_explain(it, -rc, "AUDIT_GET reply");
		return;
	}
	mc = audit_mcast_bind();
	char who[40] = "an audit daemon";
	if (st.pid) {
		char path[40], comm[20];
		snprintf(path, sizeof(path), "/proc/%u/comm", st.pid);
		FILE *f = fopen(path, "re");
		if (f && fgets(comm, sizeof(comm), f)) {
			comm[strcspn(comm, "\n")] = '\0';
			snprintf(who, sizeof(who), "'%s'", comm);
		}
		if (f)
			fclose(f);
	}
	snprintf(it->detail, sizeof(it->detail),
		 "enabled %u, audit pid %u, backlog_limit %u, lost %u; multicast reader: %s",
		 st.enabled, st.pid, st.backlog_limit, st.lost, mc ? doctor_errname(-mc) : "ok");
	if (st.enabled == 2) {
		item_set(it, SOURCE_UNAVAILABLE, 0, lost);
		snprintf(it->reason, sizeof(it->reason),
			 "audit configuration is locked (enabled 2, auditctl -e 2): no rule can be "
			 "added until reboot");
	} else if (st.pid && mc) {
		item_set(it, SOURCE_UNAVAILABLE, -mc, lost);
		snprintf(it->reason, sizeof(it->reason),
			 "%s (pid %u) owns the audit socket and the read-only multicast group "
			 "fails with %s (needs CAP_AUDIT_READ)",
			 who, st.pid, doctor_errname(-mc));
	} else if (st.pid) {
		item_set(it, SOURCE_OK, 0, "");
		snprintf(it->reason, sizeof(it->reason),
			 "status readable; %s (pid %u) is registered as the audit daemon, so "
			 "procimage reads through the multicast group (its records also land in "
			 "that daemon's log)",
			 who, st.pid);
	} else {
		item_set(it, SOURCE_OK, 0, "");
		snprintf(it->reason, sizeof(it->reason),
			 "status readable (enabled %u, no auditd)%s", st.enabled,
			 mc ? "; multicast group refused, so procimage registers as the audit "
			      "pid during a capture"
			    : "");
	}
}
