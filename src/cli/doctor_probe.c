/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * doctor's netlink probes (see doctor_probe.h): taskstats and the proc
 * connector through the very sockets the sources open (taskstats_nl.c,
 * connector_sock.c, on libnl), so that what doctor reports is what a run
 * gets; audit through libaudit. The EPERM causes are shared with the
 * sources' reasons. Every probe closes what it opened.
 */
#include "cli/doctor_probe.h"
#include "core/hostcaps.h"

#include "core/privs.h"

#include <errno.h>
#include <libaudit.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sources/connector.h"
#include "sources/nlerr.h"
#include "sources/taskstats.h"

static void item_set(struct doctor_item *it, enum source_state st, int err, const char *impact)
{
	it->state = st;
	it->err = err;
	snprintf(it->impact, sizeof(it->impact), "%s", st == SOURCE_OK ? "" : impact);
}

/* ---- taskstats: the source's sockets (taskstats_nl.c) --------------- */

static void on_version(void *ctx, const struct ts_item *it)
{
	if (!it->err)
		*(int *)ctx = it->ts.version;
}

/* The exit listener as the source registers it (its own socket), for one
 * CPU we may run on, then deregistered. */
static int probe_exit_listener(uint16_t fam)
{
	struct ts_sock *l;
	char cpu[16] = "0";
	cpu_set_t set;
	int rc;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &set)) {
				snprintf(cpu, sizeof(cpu), "%d", c);
				break;
			}
	rc = ts_sock_open(&l, fam, 0);
	if (rc)
		return rc;
	rc = ts_sock_cpumask(l, TASKSTATS_CMD_ATTR_REGISTER_CPUMASK, cpu);
	if (rc == 0)
		ts_sock_cpumask(l, TASKSTATS_CMD_ATTR_DEREGISTER_CPUMASK, cpu);
	ts_sock_close(l);
	return rc;
}

void doctor_probe_taskstats(struct doctor_item *it)
{
	static const char lost[] =
	    "resource: no delay accounting (blkio, swapin, reclaim, "
	    "thrashing), no storage read/write bytes from taskstats; exits: no "
	    "exit records (short-lived tasks' accounting)";
	struct ts_sock *q;
	char cause[160];
	int rc, ver = -1;

	it->name = "taskstats";
	rc = ts_sock_open(&q, 0, 0);
	if (rc == -ENOENT) {
		item_set(it, SOURCE_UNAVAILABLE, -rc, lost);
		snprintf(it->reason, sizeof(it->reason),
			 "%s: generic netlink family \"TASKSTATS\" not found: kernel built "
			 "without CONFIG_TASKSTATS",
			 host_errname(-rc));
		return;
	}
	if (rc) {
		item_set(it, SOURCE_UNAVAILABLE, -rc, lost);
		snprintf(it->reason, sizeof(it->reason), "%s: generic netlink socket: %s",
			 host_errname(-rc), strerror(-rc));
		return;
	}
	rc = ts_sock_query(q, TASKSTATS_CMD_ATTR_PID, (uint32_t)getpid(), on_version, &ver);
	if (rc == 0 && ver < 0)
		rc = -EBADMSG;
	if (rc) {
		item_set(it, SOURCE_UNAVAILABLE, -rc, lost);
		host_cap_cause(CAP_NET_ADMIN, "CAP_NET_ADMIN", cause, sizeof(cause));
		if (rc == -EPERM)
			snprintf(it->reason, sizeof(it->reason),
				 "EPERM: TASKSTATS_CMD_GET needs CAP_NET_ADMIN in the initial user "
				 "namespace: %s",
				 cause);
		else
			snprintf(it->reason, sizeof(it->reason),
				 "%s: TASKSTATS_CMD_GET for our pid: %s", host_errname(-rc),
				 strerror(-rc));
		ts_sock_close(q);
		return;
	}
	uint16_t fam = ts_sock_family(q);
	ts_sock_close(q);
	rc = probe_exit_listener(fam);
	if (rc < 0) {
		const char *ns = host_noninitial_ns();
		item_set(it, SOURCE_DEGRADED, -rc,
			 "exits and keytime: no taskstats exit records (exit accounting of "
			 "tasks that ended between ticks)");
		snprintf(it->reason, sizeof(it->reason),
			 "queries work (struct version %d) but the exit listener "
			 "(REGISTER_CPUMASK) fails with %s%s",
			 ver, host_errname(-rc),
			 rc == -EINVAL && ns && strstr(ns, "pid")
			     ? ": this process is in a non-initial pid namespace"
			     : "");
	} else {
		item_set(it, SOURCE_OK, 0, "");
		snprintf(it->reason, sizeof(it->reason),
			 "TASKSTATS_CMD_GET answered (struct version %d); exit listener registers",
			 ver);
	}
	snprintf(it->detail, sizeof(it->detail), "family id %u, version %d", fam, ver);
}

/* ---- proc connector: the source's socket (connector_sock.c) --------- */

static void count_event(void *ctx, struct record *r)
{
	(void)r;
	(*(int *)ctx)++;
}

void doctor_probe_connector(struct doctor_item *it, int timeout_ms)
{
	static const char lost[] = "keytime, exits: no fork/exec/exit/comm events; new and "
				   "exiting tasks are found by /proc diffing each tick (tasks that "
				   "live shorter than the interval are missed)";
	struct cn_decoder *d = malloc(sizeof(*d));
	struct cn_sock c;
	int rc, events = 0;

	it->name = "connector";
	if (!d) {
		item_set(it, SOURCE_UNAVAILABLE, ENOMEM, lost);
		snprintf(it->reason, sizeof(it->reason), "out of memory");
		return;
	}
	cn_decoder_init(d, 0);
	rc = cn_sock_open(&c, CN_RCVBUF, 1);
	if (rc == 0)
		rc = cn_sock_listen(&c, d);
	if (rc == 0) {
		rc = cn_sock_wait_ack(&c, d, timeout_ms, count_event, &events);
		/* An ack is due in the initial namespaces: a loaded host may be slow. */
		if (rc == -ETIMEDOUT && !host_noninitial_ns())
			rc = cn_sock_wait_ack(&c, d, 4 * timeout_ms, count_event, &events);
	}
	if (rc == 0) {
		item_set(it, SOURCE_OK, 0, "");
		snprintf(it->reason, sizeof(it->reason), "LISTEN acknowledged (err 0)");
	} else if (rc == -ETIMEDOUT && events) {
		item_set(it, SOURCE_DEGRADED, 0,
			 "keytime, exits: events arrive only while another listener in the initial "
			 "namespace keeps the connector on; losses cannot be told from silence");
		cn_sock_reason(&c, rc, it->reason, sizeof(it->reason));
		size_t n = strlen(it->reason);
		snprintf(it->reason + n, sizeof(it->reason) - n,
			 "; %d events arrived because another listener exists", events);
	} else {
		item_set(it, SOURCE_UNAVAILABLE, rc == -ETIMEDOUT && host_noninitial_ns() ? 0 : -rc,
			 lost);
		cn_sock_reason(&c, rc, it->reason, sizeof(it->reason));
	}
	cn_sock_close(&c);
	free(d);
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

/* Can we join the read-only audit multicast group (CAP_AUDIT_READ)? */
static int audit_mcast_bind(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int rc;

	if (!sk)
		return -ENOMEM;
	errno = 0;
	rc = nl_connect(sk, NETLINK_AUDIT);
	if (rc == 0) {
		errno = 0;
		rc = nl_socket_add_membership(sk, AUDIT_NLGRP_READLOG);
	}
	rc = rc < 0 ? -nlerr_errno(rc, errno) : 0;
	nl_socket_free(sk);
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
	snprintf(it->reason, sizeof(it->reason), "%s: %s%s%s", host_errname(e), step,
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
		 st.enabled, st.pid, st.backlog_limit, st.lost, mc ? host_errname(-mc) : "ok");
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
			 who, st.pid, host_errname(-mc));
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
