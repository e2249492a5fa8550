/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench/taskstats.sh's driver: N back-to-back TASKSTATS_CMD_GET queries for
 * a pid (TGID) through the taskstats source's own query path, then the CPU
 * (user + system) per query. Built against a tree's libprocimage.a: on the
 * libnl tree that path is ts_sock_query; with -DRAW_TREE (the tree before
 * it) it is that tree's query code, restated here since it was static there:
 * its request builder, sendto, recv until the sequence number matches, and
 * its parser.
 * usage: taskstats_query N PID
 */
#include <errno.h>
#include <linux/taskstats.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sources/taskstats.h"

static unsigned long answers;

static void on_item(void *ctx, const struct ts_item *it)
{
	(void)ctx;
	if (!it->err)
		answers++;
}

#ifdef RAW_TREE
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>

static int fd;
static uint16_t family;
static uint32_t seq;
static char rbuf[65536] __attribute__((aligned(8)));

static int raw_send(const void *msg, size_t len)
{
	struct sockaddr_nl to = {.nl_family = AF_NETLINK};
	return sendto(fd, msg, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0 ? -errno : 0;
}

static int setup(void)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	struct timeval tv = {0, 200000};
	char msg[64];
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -errno;
	if (raw_send(msg, taskstats_build_getfamily(msg, sizeof(msg), TASKSTATS_GENL_NAME, ++seq)))
		return -errno;
	n = recv(fd, rbuf, sizeof(rbuf), 0);
	return n < 0 ? -errno : taskstats_parse_family(rbuf, (size_t)n, &family);
}

static int query(uint32_t id)
{
	char msg[64];
	size_t len =
	    taskstats_build_get(msg, sizeof(msg), family, TASKSTATS_CMD_ATTR_TGID, id, ++seq);
	int rc = raw_send(msg, len);

	if (rc)
		return rc;
	for (;;) {
		ssize_t n = recv(fd, rbuf, sizeof(rbuf), 0);
		const struct nlmsghdr *nh = (const struct nlmsghdr *)rbuf;
		if (n < 0)
			return -errno;
		if ((size_t)n < sizeof(*nh) || nh->nlmsg_seq != seq)
			continue;
		if (nh->nlmsg_type == NLMSG_ERROR)
			return ((const struct nlmsgerr *)NLMSG_DATA(nh))->error;
		taskstats_parse(rbuf, (size_t)n, family, on_item, NULL);
		return 0;
	}
}
#else
static struct ts_sock *sock;

static int setup(void)
{
	return ts_sock_open(&sock, 0, 0);
}

static int query(uint32_t id)
{
	return ts_sock_query(sock, TASKSTATS_CMD_ATTR_TGID, id, on_item, NULL);
}
#endif

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	uint32_t pid = argc > 2 ? (uint32_t)atol(argv[2]) : (uint32_t)getpid();
	struct rusage a, b;
	int rc = setup();

	if (rc) {
		fprintf(stderr, "taskstats: %d\n", rc);
		return 1;
	}
	getrusage(RUSAGE_SELF, &a);
	for (long i = 0; i < n; i++)
		if ((rc = query(pid)) != 0) {
			fprintf(stderr, "query: %d\n", rc);
			return 1;
		}
	getrusage(RUSAGE_SELF, &b);
	double us = (double)(b.ru_utime.tv_sec - a.ru_utime.tv_sec + b.ru_stime.tv_sec -
			     a.ru_stime.tv_sec) *
			1e6 +
		    (double)(b.ru_utime.tv_usec - a.ru_utime.tv_usec + b.ru_stime.tv_usec -
			     a.ru_stime.tv_usec);
	printf("%ld queries, %lu answers, %.3f us CPU per query\n", n, answers, us / (double)n);
	return answers == (unsigned long)n ? 0 : 1;
}
