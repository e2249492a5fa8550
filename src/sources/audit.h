/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The audit control plane (audit_ctl.c) used by the audit source (audit.c):
 * the host's audit status, our keyed per-pid syscall rules, and the session
 * files that let a later run undo what a SIGKILLed run left behind.
 *
 * Every rule we add carries the key "procimage-<our pid>", so concurrent runs
 * never delete each other's rules: a rule is stale only when its owner is
 * dead. Before its first rule a run announces it in /run/procimage/rules/<pid>
 * (a host session, core/hostsess.h, with the owner's start time), removed
 * once its rules are gone. Each run that changes host settings writes
 * /run/procimage/audit/<pid> with the settings it found *before any
 * procimage run changed them*; the last live run restores them. What a
 * killed run left is undone by the next start of any command
 * (sources/leftovers.h).
 */
#ifndef PROCIMAGE_AUDIT_H
#define PROCIMAGE_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define AUDIT_KEY_PREFIX   "procimage-"
#define AUDIT_SESSION_KIND "audit" /* host sessions: settings to restore */
#define AUDIT_RULES_KIND   "rules" /* host sessions: keyed rules held */

struct audit_host {
	uint32_t enabled, failure, pid, rate_limit, backlog_limit, lost, backlog;
	uint32_t backlog_wait_time;
};

/* Open the control socket (libaudit). fd, or -errno. */
int auditctl_open(void);
void auditctl_close(int fd);
/* Reader sockets (non-blocking, close-on-exec, receive buffer rcvbuf):
 * the read-only multicast group (needs CAP_AUDIT_READ), or a socket
 * registered as the audit pid (checked against the kernel's ack). fd or -errno. */
int auditctl_open_mcast(int rcvbuf);
int auditctl_open_unicast(int rcvbuf);
/* What an errno from audit means here, in words: for EPERM the real cause
 * (capability not held, or held in a pid namespace audit refuses). */
const char *audit_errstr(int e);
/* AUDIT_GET. 0 or -errno. */
int auditctl_status(int fd, struct audit_host *h);
int auditctl_set_enabled(int fd, uint32_t v);
int auditctl_set_backlog(int fd, uint32_t limit, uint32_t wait_time);
/* Add an exit rule: arch, pid (thread group), syscalls nrs[n] (n == 0: all),
 * key. 0 or -errno. */
int auditctl_add_pid_rule(int fd, uint32_t arch, int32_t pid, const int *nrs, int n,
			  const char *key);
/* Delete the rules for pid (all when pid == 0) whose key is `key`. Number
 * deleted, or -errno. */
int auditctl_del_rules(int fd, const char *key, int32_t pid);
/* Delete the rules keyed procimage-N of every N that is no longer a live
 * procimage process. Number deleted, or -errno. */
int auditctl_del_stale_rules(int fd);
struct audit_stale {
	pid_t owner;	/* the dead run of the key procimage-<owner> */
	int32_t target; /* the rule's pid field (0 if none) */
};
/* The keyed rules whose owner is dead, without deleting them. Count, or
 * -errno. */
int auditctl_list_stale(int fd, struct audit_stale *out, int max);
/* Is pid a live procimage process (judged by its name)? */
int audit_pid_is_procimage(pid_t pid);
/* "procimage-123" -> 123; -1 when the key is not one of ours. */
pid_t audit_key_owner(const char *key);

/* Settings sessions (kind "audit"). */
struct audit_session {
	int lockfd;
	struct audit_host orig; /* the host before any procimage run changed it */
	int have_orig;
	int others_alive; /* other live runs hold sessions */
};
/* Lock, adopt the original settings (from a live run, a dead run's file, or
 * `now`), restore a dead run's changes when no run is alive, write our file,
 * unlock. 0 or -errno (no persistence: we still restore at stop). */
int audit_session_begin(struct audit_session *s, int fd, const struct audit_host *now);
/* Lock, remove our file; 1 when we are the last run (restore now), else 0. */
int audit_session_end(struct audit_session *s);
/* Restore enabled and backlog settings to s->orig. */
int audit_session_restore(const struct audit_session *s, int fd);
/* "enabled=N backlog_limit=N backlog_wait_time=N" -> h. 0 or -EINVAL. */
int audit_host_parse(const char *payload, struct audit_host *h);
/* Announce our keyed rules before adding the first one; retire the
 * announcement once they are deleted. */
int audit_rules_announce(void);
void audit_rules_retire(void);

#endif
