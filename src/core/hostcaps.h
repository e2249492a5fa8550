/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What this process may do on this host: its effective capabilities, whether
 * its user, pid and net namespaces are the initial ones, and the sentence an
 * EPERM deserves from them. Shared by the sources (their reasons), privs.c
 * (what to keep) and doctor (which prints them).
 */
#ifndef PROCIMAGE_HOSTCAPS_H
#define PROCIMAGE_HOSTCAPS_H

#include <stddef.h>

struct host_cap {
	const char *name;     /* "cap_net_admin" */
	int effective;	      /* held in the effective set */
	const char *used_for; /* what procimage uses it for */
};
/* The capabilities that matter to procimage. Number written to out. */
int host_caps(struct host_cap *out, int max);
/* Is this capability (CAP_*) in our effective set? */
int host_has_cap(int cap);

struct host_ns {
	const char *name;  /* "user", "pid", "net" */
	int initial;	   /* 1 initial, 0 not, -1 unknown */
	unsigned long ino; /* our namespace's inode, 0 if unreadable */
	const char *how;   /* how "initial" was decided */
};
int host_namespaces(struct host_ns *out, int max);

/* Why an interface that wants capability `cap` (named `name`) in the initial
 * user namespace refused us, for an EPERM reason: "<name> is not held", or
 * held but in a non-initial user namespace (where it does not count), or
 * held and refused all the same. Shared by the sources and doctor. */
void host_cap_cause(int cap, const char *name, char *buf, size_t len);
/* The namespaces among user and pid that are not the initial ones ("user",
 * "pid", "user and pid"), or NULL when both are (or cannot be told). */
const char *host_noninitial_ns(void);

/* "EPERM" for EPERM; "errno ?" for unknown values. */
const char *host_errname(int e);

#endif
