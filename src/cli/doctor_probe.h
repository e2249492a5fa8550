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

#endif
