/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * procimage doctor's probes: each one really tries a kernel interface (opens
 * the socket, sends the request, reads the answer) and says whether it works
 * here, the exact reason when it does not (errno, missing capability,
 * namespace, sysctl, kernel config) and what the images lose without it.
 * They are self-contained on purpose: doctor must tell the truth even when a
 * source's own code is broken. No probe leaves a change behind: the
 * connector LISTEN is undone with IGNORE, the taskstats exit listener is
 * deregistered, PSI triggers are closed, audit is only asked for its status.
 */
#ifndef PROCIMAGE_DOCTOR_PROBE_H
#define PROCIMAGE_DOCTOR_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "procimage/source.h"

struct doctor_item {
	const char *name;
	enum source_state state;
	int err;	  /* errno of the step that failed, 0 if none */
	char reason[384]; /* why degraded/unavailable, or what works */
	char impact[256]; /* what the images lose ("" when nothing) */
	char detail[256]; /* facts: versions, auditd pid, ... */
};

/* Source probes. */
void doctor_probe_procfs(struct doctor_item *it, const char *root, int32_t other_pid);
void doctor_probe_taskstats(struct doctor_item *it);
void doctor_probe_connector(struct doctor_item *it, int timeout_ms);
void doctor_probe_audit(struct doctor_item *it);
void doctor_probe_kmsg(struct doctor_item *it);
void doctor_probe_cgroup(struct doctor_item *it);
void doctor_probe_psi(struct doctor_item *it);
void doctor_probe_delayacct(struct doctor_item *it);

struct doctor_cap {
	const char *name;     /* "cap_net_admin" */
	int effective;	      /* held in the effective set */
	const char *used_for; /* what procimage uses it for */
};
/* The capabilities that matter to procimage. Number written to out. */
int doctor_caps(struct doctor_cap *out, int max);
/* Is this capability (CAP_*) in our effective set? */
int doctor_has_cap(int cap);

struct doctor_ns {
	const char *name;  /* "user", "pid", "net" */
	int initial;	   /* 1 initial, 0 not, -1 unknown */
	unsigned long ino; /* our namespace's inode, 0 if unreadable */
	const char *how;   /* how "initial" was decided */
};
int doctor_namespaces(struct doctor_ns *out, int max);

/* Why an interface that wants capability `cap` (named `name`) in the initial
 * user namespace refused us, for an EPERM reason: "<name> is not held", or
 * held but in a non-initial user namespace (where it does not count), or
 * held and refused all the same. Shared by the sources and the probes. */
void doctor_cap_cause(int cap, const char *name, char *buf, size_t len);
/* The namespaces among user and pid that are not the initial ones ("user",
 * "pid", "user and pid"), or NULL when both are (or cannot be told). */
const char *doctor_noninitial_ns(void);

/* "EPERM" for EPERM; "errno N" for unknown values. */
const char *doctor_errname(int e);

#endif
