/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Capability hygiene: after the sources are set up, keep only the
 * capabilities the rest of the run still uses and drop the others from the
 * effective and permitted sets (libcap). The bounding set is left alone so a
 * program procimage execs on purpose (a capture, a hook) is not crippled.
 */
#ifndef PROCIMAGE_PRIVS_H
#define PROCIMAGE_PRIVS_H

#include <stddef.h>
#include <stdint.h>

enum privs_need {
	PRIV_NET_ADMIN = 1u << 0,   /* taskstats queries */
	PRIV_AUDIT = 1u << 1,	    /* audit rules and reader, cleanup at stop */
	PRIV_PROC_OTHERS = 1u << 2, /* io/syscall/wchan of other users */
	PRIV_STACK = 1u << 3,	    /* /proc/<tid>/stack, writing sysctls */
	PRIV_SYSLOG = 1u << 4,	    /* /dev/kmsg */
	PRIV_KILL = 1u << 5,	    /* signalling other users' processes */
	PRIV_PTRACE = 1u << 6,	    /* user stacks */
};

/* Drop what `needs` does not cover. Writes the names kept ("cap_net_admin,...",
 * or "none") into kept. 0, or -errno (nothing dropped). */
int privs_drop_unneeded(uint32_t needs, char *kept, size_t len);

/* Why audit answered EPERM/EACCES here, judged from what we hold: the
 * capability not held, or held in a pid or user namespace where the kernel
 * refuses audit. One sentence; shared by the audit source and doctor. */
const char *privs_audit_why(int e);

#endif
