/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The audit control plane (see audit.h): status, keyed per-pid rules and the
 * session files, through libaudit's request/ack helpers.
 *
 * Rules are filled by hand rather than with audit_rule_fieldpair_data():
 * that call writes into its string argument (a literal crashes it) and
 * refuses "key=" outside auditctl. Listing and deleting are separate passes,
 * because the list reply must be drained before the socket takes new requests.
 */
#include "sources/audit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libaudit.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/hostsess.h"
#include "core/privs.h"

#define REPLY_TIMEOUT_MS 1000
#define MAX_LISTED	 512

int auditctl_open(void)
{
	int fd = audit_open();

	return fd < 0 ? -(errno ? errno : EPROTONOSUPPORT) : fd;
}

void auditctl_close(int fd)
{
	if (fd >= 0)
		audit_close(fd);
}

/* One reply, waiting at most REPLY_TIMEOUT_MS. 0, or -errno. */
static int get_reply(int fd, struct audit_reply *rep)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int rc;

	do {
		rc = poll(&p, 1, REPLY_TIMEOUT_MS);
	} while (rc < 0 && errno == EINTR);
	if (rc == 0)
		return -ETIMEDOUT;
	if (rc < 0)
		return -errno;
	rc = audit_get_reply(fd, rep, GET_REPLY_NONBLOCKING, 0);
	return rc > 0 ? 0 : (rc < 0 ? rc : -EAGAIN);
}

int auditctl_status(int fd, struct audit_host *h)
{
	struct audit_reply rep;
	int rc = audit_request_status(fd);

	if (rc < 0)
		return rc;
	for (int tries = 0; tries < 16; tries++) {
		rc = get_reply(fd, &rep);
		if (rc == -EAGAIN)
			continue;
		if (rc)
			return rc;
		if (rep.type == NLMSG_ERROR && rep.error->error)
			return rep.error->error;
		if (rep.type != AUDIT_GET)
			continue;
		h->enabled = rep.status->enabled;
		h->failure = rep.status->failure;
		h->pid = rep.status->pid;
		h->rate_limit = rep.status->rate_limit;
		h->backlog_limit = rep.status->backlog_limit;
		h->lost = rep.status->lost;
		h->backlog = rep.status->backlog;
		h->backlog_wait_time = rep.status->backlog_wait_time;
		return 0;
	}
	return -EPROTO;
}

int auditctl_set_enabled(int fd, uint32_t v)
{
	int rc = audit_set_enabled(fd, v);

	return rc < 0 ? rc : 0;
}

int auditctl_set_backlog(int fd, uint32_t limit, uint32_t wait_time)
{
	int rc = audit_set_backlog_limit(fd, limit);

	if (rc >= 0)
		rc = audit_set_backlog_wait_time(fd, wait_time);
	return rc < 0 ? rc : 0;
}

static void add_field(struct audit_rule_data *r, uint32_t field, uint32_t value)
{
	r->fields[r->field_count] = field;
	r->values[r->field_count] = value;
	r->fieldflags[r->field_count] = AUDIT_EQUAL;
	r->field_count++;
}

int auditctl_add_pid_rule(int fd, uint32_t arch, int32_t pid, const int *nrs, int n,
			  const char *key)
{
	size_t klen = strlen(key);
	struct audit_rule_data *r = calloc(1, sizeof(*r) + klen);
	int rc;

	if (!r)
		return -ENOMEM;
	if (n == 0)
		memset(r->mask, 0xff, sizeof(r->mask));
	for (int i = 0; i < n; i++)
		if (nrs[i] >= 0 && nrs[i] < AUDIT_BITMASK_SIZE * 32)
			r->mask[nrs[i] / 32] |= 1u << (nrs[i] % 32);
	add_field(r, AUDIT_ARCH, arch);
	add_field(r, AUDIT_PID, (uint32_t)pid);
	add_field(r, AUDIT_FILTERKEY, (uint32_t)klen);
	memcpy(r->buf, key, klen);
	r->buflen = (uint32_t)klen;
	rc = audit_add_rule_data(fd, r, AUDIT_FILTER_EXIT, AUDIT_ALWAYS);
	free(r);
	return rc < 0 ? rc : 0;
}

/* Fields whose value is the length of a string stored in buf. */
static int is_string_field(uint32_t f)
{
	return (f >= AUDIT_SUBJ_USER && f <= AUDIT_OBJ_LEV_HIGH && f != 18) || f == AUDIT_WATCH ||
	       f == AUDIT_DIR || f == AUDIT_FILTERKEY || f == AUDIT_EXE;
}

/* The key of a listed rule and its pid field (0 if none). */
static void rule_key(const struct audit_rule_data *r, char *key, size_t len, int32_t *pid)
{
	uint32_t off = 0;

	key[0] = 0;
	*pid = 0;
	for (uint32_t i = 0; i < r->field_count && i < AUDIT_MAX_FIELDS; i++) {
		uint32_t f = r->fields[i] & ~AUDIT_OPERATORS;
		if (f == AUDIT_PID)
			*pid = (int32_t)r->values[i];
		if (!is_string_field(f))
			continue;
		if (f == AUDIT_FILTERKEY && off + r->values[i] <= r->buflen) {
			size_t n = r->values[i] < len - 1 ? r->values[i] : len - 1;
			memcpy(key, r->buf + off, n);
			key[n] = 0;
		}
		off += r->values[i];
	}
}

/* List every rule into a malloc'ed array of copies. Count, or -errno. */
static int list_rules(int fd, struct audit_rule_data **out, int max)
{
	struct audit_reply rep;
	int n = 0, rc = audit_request_rules_list_data(fd);

	if (rc < 0)
		return rc;
	for (;;) {
		rc = get_reply(fd, &rep);
		if (rc == -EAGAIN)
			continue;
		if (rc)
			break;
		if (rep.type == NLMSG_DONE)
			return n;
		if (rep.type == NLMSG_ERROR) {
			if (rep.error->error)
				return rep.error->error;
			continue;
		}
		if (rep.type != AUDIT_LIST_RULES || n >= max)
			continue;
		size_t sz = sizeof(*rep.ruledata) + rep.ruledata->buflen;
		out[n] = malloc(sz);
		if (out[n])
			memcpy(out[n++], rep.ruledata, sz);
	}
	for (int i = 0; i < n; i++)
		free(out[i]);
	return rc;
}

pid_t audit_key_owner(const char *key)
{
	size_t pl = strlen(AUDIT_KEY_PREFIX);
	char *end;
	long v;

	if (strncmp(key, AUDIT_KEY_PREFIX, pl) != 0 || !key[pl])
		return -1;
	v = strtol(key + pl, &end, 10);
	return (*end || v <= 0) ? -1 : (pid_t)v;
}

int audit_pid_is_procimage(pid_t pid)
{
	return hs_owner_alive(pid, 0, 0) == HS_ALIVE;
}

/* Delete listed rules chosen by `want`. */
static int del_matching(int fd, int (*want)(const char *key, int32_t pid, const void *ctx),
			const void *ctx)
{
	struct audit_rule_data **rules = calloc(MAX_LISTED, sizeof(*rules));
	int n, deleted = 0;
	char key[128];
	int32_t pid;

	if (!rules)
		return -ENOMEM;
	n = list_rules(fd, rules, MAX_LISTED);
	for (int i = 0; i < n; i++) {
		rule_key(rules[i], key, sizeof(key), &pid);
		if (want(key, pid, ctx) &&
		    audit_delete_rule_data(fd, rules[i], rules[i]->flags, rules[i]->action) >= 0)
			deleted++;
		free(rules[i]);
	}
	free(rules);
	return n < 0 ? n : deleted;
}

struct key_pid {
	const char *key;
	int32_t pid;
};

static int want_key_pid(const char *key, int32_t pid, const void *ctx)
{
	const struct key_pid *kp = ctx;
	return strcmp(key, kp->key) == 0 && (kp->pid == 0 || kp->pid == pid);
}

int auditctl_del_rules(int fd, const char *key, int32_t pid)
{
	struct key_pid kp = {key, pid};
	return del_matching(fd, want_key_pid, &kp);
}

struct owners {
	struct hs_entry e[HS_MAX];
	int n;
};

/* Is the owner of a keyed rule dead? Its announcement (with its start
 * time) decides; without one, a live procimage of that pid counts as it. */
static int owner_dead(pid_t owner, const struct owners *known)
{
	if (owner <= 0 || owner == getpid())
		return 0;
	for (int i = 0; i < known->n; i++)
		if (known->e[i].pid == owner)
			return known->e[i].alive == HS_DEAD;
	return !audit_pid_is_procimage(owner);
}

static int want_stale(const char *key, int32_t pid, const void *ctx)
{
	(void)pid;
	return owner_dead(audit_key_owner(key), ctx);
}

int auditctl_del_stale_rules(int fd)
{
	struct owners *known = calloc(1, sizeof(*known));
	int rc;

	if (!known)
		return -ENOMEM;
	known->n = hs_list(AUDIT_RULES_KIND, known->e, HS_MAX);
	if (known->n < 0)
		known->n = 0;
	rc = del_matching(fd, want_stale, known);
	free(known);
	return rc;
}

int auditctl_list_stale(int fd, struct audit_stale *out, int max)
{
	struct audit_rule_data **rules = calloc(MAX_LISTED, sizeof(*rules));
	struct owners *known = calloc(1, sizeof(*known));
	int n, found = 0;
	char key[128];
	int32_t pid;

	if (!rules || !known) {
		free(rules);
		free(known);
		return -ENOMEM;
	}
	known->n = hs_list(AUDIT_RULES_KIND, known->e, HS_MAX);
	if (known->n < 0)
		known->n = 0;
	n = list_rules(fd, rules, MAX_LISTED);
	for (int i = 0; i < n; i++) {
		rule_key(rules[i], key, sizeof(key), &pid);
		pid_t owner = audit_key_owner(key);
		if (owner_dead(owner, known) && found < max)
			out[found++] = (struct audit_stale){.owner = owner, .target = pid};
		free(rules[i]);
	}
	free(rules);
	free(known);
	return n < 0 ? n : found;
}

/* A non-blocking audit socket with a receive buffer of rcvbuf bytes (beyond
 * rmem_max when allowed). fd or -errno. */
static int audit_socket(int rcvbuf)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_AUDIT);

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return fd;
}

/* The read-only multicast group: needs CAP_AUDIT_READ. fd or -errno. */
int auditctl_open_mcast(int rcvbuf)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK,
				 .nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1)};
	int fd = audit_socket(rcvbuf);

	if (fd < 0)
		return fd;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* The kernel's answer to request seq on a non-blocking socket: 0 or errno. */
static int wait_ack(int fd, uint32_t seq)
{
	char buf[8192];
	struct pollfd p = {.fd = fd, .events = POLLIN};

	for (int tries = 0; tries < 64; tries++) {
		if (poll(&p, 1, 1000) <= 0)
			return ETIMEDOUT;
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			continue;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n))
			if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq == seq)
				return -((struct nlmsgerr *)NLMSG_DATA(h))->error;
	}
	return ETIMEDOUT;
}

/* A socket of our own that registers as the audit pid (records arrive on it). */
int auditctl_open_unicast(int rcvbuf)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	struct {
		struct nlmsghdr h;
		struct audit_status s;
	} req = {0};
	int fd = audit_socket(rcvbuf);

	if (fd < 0)
		return fd;
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = AUDIT_SET;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.h.nlmsg_seq = 1;
	req.s.mask = AUDIT_STATUS_PID;
	req.s.pid = (uint32_t)getpid();
	int e =
	    sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? errno : 0;
	if (!e)
		e = wait_ack(fd, 1);
	if (e) {
		close(fd);
		return -e;
	}
	return fd;
}

const char *audit_errstr(int e)
{
	switch (e) {
	case EPERM:
	case EACCES:
		return privs_audit_why(e);
	case ECONNREFUSED:
		return "audit does not work inside a user namespace (container)";
	case EPROTONOSUPPORT:
	case EAFNOSUPPORT:
		return "the kernel has no audit support (CONFIG_AUDIT)";
	default:
		return strerror(e);
	}
}
