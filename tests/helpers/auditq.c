/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * auditq: query (and prime) the kernel's audit state over raw netlink, for
 * tests and the test runner's leftover check (no libaudit, no project lib).
 *   auditq rules    one line per loaded rule: list, action, fields, key
 *   auditq status   enabled= failure= pid= backlog_limit= lost= backlog= backlog_wait_time=
 *   auditq delkey K delete every rule whose key is K (test cleanup)
 *   auditq enable N set enabled to N (test cleanup)
 *   auditq backlog LIMIT WAIT  set backlog_limit and backlog_wait_time (test cleanup)
 *   auditq addrule PID KEY  add an exit rule for getppid of PID (native arch)
 *                   keyed KEY: plants a rule as a killed run would leave it
 *   auditq hold     stand in for auditd: register as the audit pid, drain
 *                   records until SIGTERM/SIGINT, then unregister
 *   auditq prime    enable audit once and restore the previous value, so
 *                   every process forked afterwards can be audited (what
 *                   contrib/procimage-audit-boot.service does at boot)
 * Exit 0, 1 on error (message on stderr), 77 when audit is unreachable.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int seq;
static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static int nl_send(int fd, int type, int flags, const void *data, size_t len)
{
	static char buf[NLMSG_SPACE(sizeof(struct audit_rule_data) + 4096)];
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};

	if (len > 4096 + sizeof(struct audit_rule_data))
		return -E2BIG;
	memset(buf, 0, sizeof(buf));
	h->nlmsg_len = (uint32_t)NLMSG_LENGTH(len);
	h->nlmsg_type = (uint16_t)type;
	h->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	h->nlmsg_seq = (uint32_t)++seq;
	if (len)
		memcpy(NLMSG_DATA(h), data, len);
	return sendto(fd, buf, h->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno
											: 0;
}

/* Receive until a message of `want` type (or DONE/ERROR); calls fn for each. */
static int nl_recv(int fd, int want, void (*fn)(const struct nlmsghdr *h))
{
	static char buf[65536];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != (uint32_t)seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);
				if (e->error)
					return e->error;
				if (!want)
					return 0;
				continue;
			}
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == want) {
				fn(h);
				if (want == AUDIT_GET)
					return 0;
			}
		}
	}
}

static struct audit_status st;

static int is_string_field(uint32_t f);

static void got_rule_key(const struct audit_rule_data *r, char *key, size_t len)
{
	uint32_t off = 0;

	for (uint32_t i = 0; i < r->field_count && i < AUDIT_MAX_FIELDS; i++) {
		if (!is_string_field(r->fields[i]))
			continue;
		if (r->fields[i] == AUDIT_FILTERKEY && off + r->values[i] <= r->buflen &&
		    r->values[i] < len) {
			memcpy(key, r->buf + off, r->values[i]);
			key[r->values[i]] = 0;
		}
		off += r->values[i];
	}
}

static void got_status(const struct nlmsghdr *h)
{
	memcpy(&st, NLMSG_DATA(h),
	       sizeof(st) < h->nlmsg_len - NLMSG_HDRLEN ? sizeof(st) : h->nlmsg_len - NLMSG_HDRLEN);
}

static int is_string_field(uint32_t f)
{
	return (f >= AUDIT_SUBJ_USER && f <= AUDIT_OBJ_LEV_HIGH && f != 18) || f == AUDIT_WATCH ||
	       f == AUDIT_DIR || f == AUDIT_FILTERKEY || f == AUDIT_EXE;
}

static const char *del_key;
static struct audit_rule_data *to_del[256];
static int ndel;

static void got_rule(const struct nlmsghdr *h)
{
	const struct audit_rule_data *r = NLMSG_DATA(h);
	uint32_t off = 0;
	char key[256] = "";

	if (del_key) {
		got_rule_key(r, key, sizeof(key));
		size_t sz = sizeof(*r) + r->buflen;
		if (!strcmp(key, del_key) && ndel < 256 && (to_del[ndel] = malloc(sz)))
			memcpy(to_del[ndel++], r, sz);
		return;
	}

	printf("list=%u action=%u", r->flags, r->action);
	for (uint32_t i = 0; i < r->field_count && i < AUDIT_MAX_FIELDS; i++) {
		uint32_t f = r->fields[i];
		if (is_string_field(f)) {
			if (f == AUDIT_FILTERKEY && off + r->values[i] <= r->buflen &&
			    r->values[i] < sizeof(key)) {
				memcpy(key, r->buf + off, r->values[i]);
				key[r->values[i]] = 0;
			}
			off += r->values[i];
			continue;
		}
		if (f == AUDIT_ARCH)
			printf(" arch=0x%x", r->values[i]);
		else if (f == AUDIT_PID)
			printf(" pid=%u", r->values[i]);
		else
			printf(" f%u=%u", f, r->values[i]);
	}
	printf(" key=%s\n", key[0] ? key : "(none)");
}

static int get_status(int fd)
{
	int rc = nl_send(fd, AUDIT_GET, 0, NULL, 0);
	return rc ? rc : nl_recv(fd, AUDIT_GET, got_status);
}

static int set_enabled(int fd, uint32_t v)
{
	struct audit_status s = {.mask = AUDIT_STATUS_ENABLED, .enabled = v};
	int rc = nl_send(fd, AUDIT_SET, NLM_F_ACK, &s, sizeof(s));
	return rc ? rc : nl_recv(fd, 0, NULL);
}

int main(int argc, char **argv)
{
	int fd, rc;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: auditq rules|status|prime|hold|delkey KEY|enable N|backlog "
				"LIMIT WAIT|addrule PID KEY\n");
		return 2;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	if (fd < 0) {
		fprintf(stderr, "auditq: socket: %s\n", strerror(errno));
		return 77;
	}
	if (!strcmp(argv[1], "rules")) {
		rc = nl_send(fd, AUDIT_LIST_RULES, 0, NULL, 0);
		if (!rc)
			rc = nl_recv(fd, AUDIT_LIST_RULES, got_rule);
	} else if (!strcmp(argv[1], "status")) {
		rc = get_status(fd);
		if (!rc)
			printf("enabled=%u failure=%u pid=%u backlog_limit=%u lost=%u backlog=%u "
			       "backlog_wait_time=%u\n",
			       st.enabled, st.failure, st.pid, st.backlog_limit, st.lost,
			       st.backlog, st.backlog_wait_time);
	} else if (!strcmp(argv[1], "delkey") && argc == 3) {
		del_key = argv[2];
		rc = nl_send(fd, AUDIT_LIST_RULES, 0, NULL, 0);
		if (!rc)
			rc = nl_recv(fd, AUDIT_LIST_RULES, got_rule);
		for (int i = 0; i < ndel && !rc; i++) {
			rc = nl_send(fd, AUDIT_DEL_RULE, NLM_F_ACK, to_del[i],
				     sizeof(*to_del[i]) + to_del[i]->buflen);
			if (!rc)
				rc = nl_recv(fd, 0, NULL);
		}
		if (!rc)
			printf("deleted %d\n", ndel);
	} else if (!strcmp(argv[1], "backlog") && argc == 4) {
		struct audit_status s = {.mask = AUDIT_STATUS_BACKLOG_LIMIT |
						 AUDIT_STATUS_BACKLOG_WAIT_TIME,
					 .backlog_limit = (uint32_t)atoi(argv[2]),
					 .backlog_wait_time = (uint32_t)atoi(argv[3])};
		rc = nl_send(fd, AUDIT_SET, NLM_F_ACK, &s, sizeof(s));
		if (!rc)
			rc = nl_recv(fd, 0, NULL);
	} else if (!strcmp(argv[1], "addrule") && argc == 4) {
		static char rb[sizeof(struct audit_rule_data) + 256];
		struct audit_rule_data *r = (struct audit_rule_data *)rb;
		size_t kl = strlen(argv[3]) < 255 ? strlen(argv[3]) : 255;
		r->flags = AUDIT_FILTER_EXIT;
		r->action = AUDIT_ALWAYS;
		r->mask[SYS_getppid / 32] |= 1u << (SYS_getppid % 32);
#if defined(__aarch64__)
		r->fields[0] = AUDIT_ARCH, r->values[0] = AUDIT_ARCH_AARCH64;
#else
		r->fields[0] = AUDIT_ARCH, r->values[0] = AUDIT_ARCH_X86_64;
#endif
		r->fields[1] = AUDIT_PID, r->values[1] = (uint32_t)atoi(argv[2]);
		r->fields[2] = AUDIT_FILTERKEY, r->values[2] = (uint32_t)kl;
		for (int i = 0; i < 3; i++)
			r->fieldflags[i] = AUDIT_EQUAL;
		r->field_count = 3;
		memcpy(r->buf, argv[3], kl);
		r->buflen = (uint32_t)kl;
		rc = nl_send(fd, AUDIT_ADD_RULE, NLM_F_ACK, r, sizeof(*r) + kl);
		if (!rc)
			rc = nl_recv(fd, 0, NULL);
	} else if (!strcmp(argv[1], "enable") && argc == 3) {
		rc = set_enabled(fd, (uint32_t)atoi(argv[2]));
	} else if (!strcmp(argv[1], "hold")) {
		struct audit_status s = {.mask = AUDIT_STATUS_PID, .pid = (uint32_t)getpid()};
		static char buf[65536];
		signal(SIGTERM, on_stop);
		signal(SIGINT, on_stop);
		rc = nl_send(fd, AUDIT_SET, NLM_F_ACK, &s, sizeof(s));
		if (!rc)
			rc = nl_recv(fd, 0, NULL);
		if (!rc) {
			printf("held\n");
			fflush(stdout);
		}
		while (!rc && !stop) {
			struct pollfd p = {.fd = fd, .events = POLLIN};
			if (poll(&p, 1, 100) > 0)
				recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		}
		if (!rc) {
			s.pid = 0;
			rc = nl_send(fd, AUDIT_SET, NLM_F_ACK, &s, sizeof(s));
			while (!rc && (rc = nl_recv(fd, 0, NULL)) == -EAGAIN)
				;
		}
	} else if (!strcmp(argv[1], "prime")) {
		rc = get_status(fd);
		if (!rc && st.enabled == 0) {
			uint32_t was = st.enabled;
			rc = set_enabled(fd, 1);
			if (!rc)
				rc = set_enabled(fd, was);
		}
	} else {
		fprintf(stderr, "auditq: unknown command '%s'\n", argv[1]);
		return 2;
	}
	close(fd);
	if (rc) {
		fprintf(stderr, "auditq %s: %s\n", argv[1], strerror(-rc));
		return rc == -ECONNREFUSED || rc == -EPERM ? 77 : 1;
	}
	return 0;
}
