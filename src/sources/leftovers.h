/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What killed runs of ours left on the host, undone at the next start of any
 * command: keyed audit rules, audit settings, kernel.task_delayacct. Each is
 * announced in a host session file (core/hostsess.h) before it changes, so
 * the start-up check is a look at three small directories; netlink and
 * sysctl writes happen only when a file's owner is dead (pid, start time
 * and pid namespace checked: other runs of ours stay untouched).
 */
#ifndef PROCIMAGE_LEFTOVERS_H
#define PROCIMAGE_LEFTOVERS_H

#include <sys/types.h>

#define DELAYACCT_KIND "delayacct" /* host sessions: the value to restore */

struct leftover {
	pid_t owner;	/* the dead run */
	int undone;	/* 1: removed/restored; 0: found, could not be undone */
	char what[200]; /* "audit rule for pid 123 (key procimage-456) removed" */
};

/* The start-up sweep (every command). Number of leftovers seen. */
int leftovers_sweep(void);
/* What this process's sweeps found, oldest first. Count. */
int leftovers_seen(const struct leftover **out);
/* doctor's deeper look: also keyed rules that no file announces (an audit
 * rule listing), removed when their owner is dead. Count of new ones. */
int leftovers_scan_rules(void);

/* The delayacct part (taskstats_delayacct.c): restore the value a dead run
 * set when no live run needs it. Calls note() for what it did. */
void delayacct_sweep(void (*note)(pid_t owner, int undone, const char *what));

#endif
