/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The audit control plane (audit_ctl.c) used by the audit source (audit.c):
 * the host's audit status, our keyed per-pid syscall rules, and the session
 * files that let a later run undo what a SIGKILLed run left behind.
 *
 * Every rule we add carries the key "procimage-<our pid>", so concurrent runs
 * never delete each other's rules: a rule is stale only when its pid is dead.
 * Each run that changes host settings writes /run/procimage/audit/<pid> with
 * the settings it found *before any procimage run changed them*; the last
 * live run restores them, and a later start restores them for a dead one.
 */
#ifndef PROCIMAGE_AUDIT_H
#define PROCIMAGE_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define AUDIT_KEY_PREFIX "procimage-"

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
/* What an errno from audit means here, in words. */
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
/* Is pid a live procimage process? */
int audit_pid_is_procimage(pid_t pid);
/* "procimage-123" -> 123; -1 when the key is not one of ours. */
pid_t audit_key_owner(const char *key);

/* Session files. dir NULL = $PROCIMAGE_RUN_DIR or /run/procimage/audit. */
struct audit_session {
	char dir[200];
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

#endif
