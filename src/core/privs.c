/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Capability dropping (see privs.h). */
#include "core/privs.h"

#include "core/hostcaps.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>

static const struct {
	uint32_t need;
	cap_value_t cap;
} map[] = {
    {PRIV_NET_ADMIN, CAP_NET_ADMIN},
    {PRIV_AUDIT, CAP_AUDIT_CONTROL},
    {PRIV_AUDIT, CAP_AUDIT_READ},
    {PRIV_PROC_OTHERS, CAP_SYS_PTRACE},
    {PRIV_PROC_OTHERS, CAP_DAC_READ_SEARCH},
    {PRIV_PTRACE, CAP_SYS_PTRACE},
    {PRIV_STACK, CAP_SYS_ADMIN},
    {PRIV_SYSLOG, CAP_SYSLOG},
    {PRIV_KILL, CAP_KILL},
};

int privs_drop_unneeded(uint32_t needs, char *kept, size_t len)
{
	cap_t cur = cap_get_proc(), next = cap_init();
	size_t off = 0;
	int rc = 0;

	if (!cur || !next) {
		rc = -errno;
		goto out;
	}
	kept[0] = '\0';
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		cap_flag_value_t have = CAP_CLEAR;
		if (!(needs & map[i].need) || cap_get_flag(cur, map[i].cap, CAP_PERMITTED, &have) ||
		    have != CAP_SET)
			continue;
		cap_set_flag(next, CAP_PERMITTED, 1, &map[i].cap, CAP_SET);
		cap_set_flag(next, CAP_EFFECTIVE, 1, &map[i].cap, CAP_SET);
		char *name = cap_to_name(map[i].cap);
		if (name && !strstr(kept, name) && off < len)
			off +=
			    (size_t)snprintf(kept + off, len - off, "%s%s", off ? "," : "", name);
		cap_free(name);
	}
	if (!off)
		snprintf(kept, len, "none");
	if (cap_set_proc(next))
		rc = -errno;
out:
	if (cur)
		cap_free(cur);
	if (next)
		cap_free(next);
	return rc;
}

const char *privs_audit_why(int e)
{
	struct host_ns ns[2]; /* user, pid */
	int n;

	if (e != EPERM && e != EACCES)
		return strerror(e);
	if (!host_has_cap(CAP_AUDIT_CONTROL))
		return "needs CAP_AUDIT_CONTROL, which this process does not hold (and "
		       "CAP_AUDIT_READ for the multicast reader)";
	n = host_namespaces(ns, 2);
	if (n == 2 && ns[1].initial == 0)
		return "CAP_AUDIT_CONTROL is held, but this process is in a non-initial pid "
		       "namespace, where the kernel refuses audit control";
	if (n >= 1 && ns[0].initial == 0)
		return "CAP_AUDIT_CONTROL is held, but only in a non-initial user namespace, "
		       "where the kernel refuses audit";
	return "refused although CAP_AUDIT_CONTROL is held in the initial namespaces (a "
	       "security module, e.g. SELinux or a seccomp filter, denies it)";
}
