/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Capabilities and namespaces of this process (see hostcaps.h). */
#include "core/hostcaps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>

int host_has_cap(int cap)
{
	cap_t c = cap_get_proc();
	cap_flag_value_t v = CAP_CLEAR;

	if (!c)
		return 0;
	if (CAP_IS_SUPPORTED(cap))
		cap_get_flag(c, cap, CAP_EFFECTIVE, &v);
	cap_free(c);
	return v == CAP_SET;
}

int host_caps(struct host_cap *out, int max)
{
	static const struct {
		int cap;
		const char *name, *used_for;
	} caps[] = {
	    {CAP_NET_ADMIN, "cap_net_admin", "taskstats; large connector buffers"},
	    {CAP_AUDIT_CONTROL, "cap_audit_control", "audit status and rules (syscall image)"},
	    {CAP_AUDIT_READ, "cap_audit_read", "audit multicast reader (with auditd)"},
	    {CAP_SYS_PTRACE, "cap_sys_ptrace", "io, syscall, wchan of other users' tasks"},
	    {CAP_DAC_READ_SEARCH, "cap_dac_read_search", "the 0400 io/syscall files of others"},
	    {CAP_SYS_ADMIN, "cap_sys_admin", "/proc/<tid>/stack"},
	    {CAP_SYSLOG, "cap_syslog", "/dev/kmsg when dmesg_restrict=1"},
	    {CAP_SYS_RESOURCE, "cap_sys_resource", "PSI triggers with windows under 2 s"},
	};
	int n = 0;

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]) && n < max; i++, n++) {
		out[n].name = caps[i].name;
		out[n].used_for = caps[i].used_for;
		out[n].effective = host_has_cap(caps[i].cap);
	}
	return n;
}

static unsigned long ns_ino(const char *path)
{
	char buf[64];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	const char *p;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strchr(buf, '[');
	return p ? strtoul(p + 1, NULL, 10) : 0;
}

int host_namespaces(struct host_ns *out, int max)
{
	/* The initial user and pid namespaces have fixed inode numbers
	 * (PROC_USER_INIT_INO, PROC_PID_INIT_INO); the initial netns does not,
	 * so ours is compared with pid 1's. */
	static const struct {
		const char *name;
		unsigned long init_ino;
	} ns[] = {{"user", 0xEFFFFFFDUL}, {"pid", 0xEFFFFFFCUL}, {"net", 0}};
	int n = 0;

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]) && n < max; i++, n++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns[i].name);
		out[n].name = ns[i].name;
		out[n].ino = ns_ino(path);
		if (!out[n].ino) {
			out[n].initial = -1;
			out[n].how = "unreadable";
		} else if (ns[i].init_ino) {
			out[n].initial = out[n].ino == ns[i].init_ino;
			out[n].how = "fixed inode of the initial namespace";
		} else {
			snprintf(path, sizeof(path), "/proc/1/ns/%s", ns[i].name);
			unsigned long one = ns_ino(path);
			out[n].initial = one ? out[n].ino == one : -1;
			out[n].how = one ? "compared with pid 1's" : "pid 1's is unreadable";
		}
	}
	return n;
}

const char *host_errname(int e)
{
	const char *n = e ? strerrorname_np(e) : "0";
	return n ? n : "errno ?";
}

void host_cap_cause(int cap, const char *name, char *buf, size_t len)
{
	const char *ns = host_noninitial_ns();

	if (!host_has_cap(cap))
		snprintf(buf, len, "%s is not held", name);
	else if (ns && strncmp(ns, "user", 4) == 0)
		snprintf(buf, len,
			 "%s is held, but this process is in a non-initial user namespace, where "
			 "it does not count",
			 name);
	else
		snprintf(buf, len, "%s is held and refused all the same (a security module?)",
			 name);
}

const char *host_noninitial_ns(void)
{
	struct host_ns ns[2];

	if (host_namespaces(ns, 2) != 2)
		return NULL;
	if (ns[0].initial == 0 && ns[1].initial == 0)
		return "user and pid";
	if (ns[0].initial == 0)
		return "user";
	if (ns[1].initial == 0)
		return "pid";
	return NULL;
}
