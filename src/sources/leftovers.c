/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The start-up sweep (see leftovers.h): for each kind of host session, a
 * lock-free look at its directory; only a file whose owner is dead leads to
 * the lock, the netlink requests or the sysctl write that undo it. Order:
 * the dead runs' keyed rules first (they slow their targets), then the audit
 * settings, then kernel.task_delayacct.
 */
#include "sources/leftovers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hostsess.h"
#include "sources/audit.h"

#define MAX_SEEN 32

static struct leftover seen[MAX_SEEN];
static int nseen;

static void note(pid_t owner, int undone, const char *what)
{
	if (nseen >= MAX_SEEN)
		return;
	seen[nseen].owner = owner;
	seen[nseen].undone = undone;
	size_t n = strnlen(what, sizeof(seen[nseen].what) - 1); /* cut long ones */
	memcpy(seen[nseen].what, what, n);
	seen[nseen].what[n] = 0;
	nseen++;
}

int leftovers_seen(const struct leftover **out)
{
	*out = seen;
	return nseen;
}

/* Any file of this kind whose owner is dead? No lock: a miss is caught by
 * the next start, a false alarm only costs the locked look. */
static int has_dead(const char *kind)
{
	struct hs_entry *e = calloc(HS_MAX, sizeof(*e));
	int n = e ? hs_list(kind, e, HS_MAX) : 0, dead = 0;

	for (int i = 0; i < n; i++)
		dead |= e[i].alive == HS_DEAD;
	free(e);
	return dead;
}

/* Describe and delete the rules keyed procimage-<owner>. */
static void remove_rules_of(int fd, pid_t owner, const struct audit_stale *st, int nst)
{
	char key[32], what[200];
	size_t off = 0;
	int rc;

	snprintf(key, sizeof(key), AUDIT_KEY_PREFIX "%d", (int)owner);
	what[0] = 0;
	for (int i = 0; i < nst && off < sizeof(what) - 40; i++)
		if (st[i].owner == owner)
			off += (size_t)snprintf(what + off, sizeof(what) - off, "%s%d",
						off ? "," : "", st[i].target);
	rc = auditctl_del_rules(fd, key, 0);
	if (rc < 0) {
		snprintf(what, sizeof(what),
			 "audit rules keyed %s of a killed run: cannot remove: %s", key,
			 audit_errstr(-rc));
		note(owner, 0, what);
		return;
	}
	hs_remove(AUDIT_RULES_KIND, owner);
	if (rc == 0)
		note(owner, 1,
		     "rules announcement of a killed run removed (no rule of it was left)");
	if (rc > 0) {
		char msg[400];
		snprintf(msg, sizeof(msg),
			 "%d audit rule%s on pid %.120s (key %s) of a killed run removed", rc,
			 rc > 1 ? "s" : "", off ? what : "?", key);
		note(owner, 1, msg);
	}
}

static void sweep_rules(void)
{
	struct hs_entry *e = calloc(HS_MAX, sizeof(*e));
	struct audit_stale st[64];
	int lk = hs_lock(AUDIT_RULES_KIND, 0), n, nst = 0, fd = -1;

	if (lk < 0 || !e)
		goto out;
	n = hs_list(AUDIT_RULES_KIND, e, HS_MAX);
	for (int i = 0; i < n; i++) {
		if (e[i].alive != HS_DEAD)
			continue;
		if (fd < 0) {
			fd = auditctl_open();
			if (fd < 0) {
				char what[200];
				snprintf(what, sizeof(what),
					 "audit rules keyed " AUDIT_KEY_PREFIX
					 "%d of a killed run: cannot look: %s",
					 (int)e[i].pid, audit_errstr(-fd));
				note(e[i].pid, 0, what);
				break;
			}
			nst = auditctl_list_stale(fd, st, 64);
			if (nst < 0)
				nst = 0;
		}
		remove_rules_of(fd, e[i].pid, st, nst);
	}
out:
	auditctl_close(fd);
	hs_unlock(lk);
	free(e);
}

static void sweep_audit_settings(void)
{
	struct hs_entry *e = calloc(HS_MAX, sizeof(*e));
	struct audit_host orig, now;
	int lk = hs_lock(AUDIT_SESSION_KIND, 0), n, live = 0, have = 0, fd, rc;
	pid_t dead = 0;
	char what[200];

	if (lk < 0 || !e)
		goto out;
	n = hs_list(AUDIT_SESSION_KIND, e, HS_MAX);
	for (int i = 0; i < n; i++) {
		if (e[i].alive != HS_DEAD)
			live++;
		else if (!dead || !have) {
			dead = e[i].pid;
			have = audit_host_parse(e[i].payload, &orig) == 0;
		}
	}
	if (!dead)
		goto out;
	rc = 0;
	if (!live && have) {
		/* No run of ours holds audit now: put back what the first of
		 * us found. */
		fd = auditctl_open();
		rc = fd < 0 ? fd : auditctl_status(fd, &now);
		if (rc == 0 &&
		    (now.enabled != orig.enabled || now.backlog_limit != orig.backlog_limit ||
		     now.backlog_wait_time != orig.backlog_wait_time)) {
			rc = auditctl_set_backlog(fd, orig.backlog_limit, orig.backlog_wait_time);
			if (rc == 0)
				rc = auditctl_set_enabled(fd, orig.enabled);
			snprintf(what, sizeof(what),
				 "audit settings of a killed run (enabled=%u backlog_limit=%u "
				 "backlog_wait_time=%u): %s enabled=%u backlog_limit=%u "
				 "backlog_wait_time=%u",
				 now.enabled, now.backlog_limit, now.backlog_wait_time,
				 rc ? "could not restore" : "restored to", orig.enabled,
				 orig.backlog_limit, orig.backlog_wait_time);
			note(dead, rc == 0, what);
		} else if (rc) {
			snprintf(what, sizeof(what),
				 "audit settings of a killed run: cannot restore: %s",
				 audit_errstr(-rc));
			note(dead, 0, what);
		} else {
			note(dead, 1,
			     "audit session file of a killed run removed (the settings were "
			     "already as it found them)");
		}
		auditctl_close(fd);
	}
	/* With a live run, it holds the same original settings and restores. */
	if (live)
		note(dead, 1,
		     "audit session file of a killed run removed (a live run holds the same "
		     "original settings and restores them)");
	if (rc == 0)
		for (int i = 0; i < n; i++)
			if (e[i].alive == HS_DEAD)
				hs_remove(AUDIT_SESSION_KIND, e[i].pid);
out:
	hs_unlock(lk);
	free(e);
}

int leftovers_sweep(void)
{
	int before = nseen;

	if (has_dead(AUDIT_RULES_KIND))
		sweep_rules();
	if (has_dead(AUDIT_SESSION_KIND))
		sweep_audit_settings();
	if (has_dead(DELAYACCT_KIND))
		delayacct_sweep(note);
	return nseen - before;
}

int leftovers_scan_rules(void)
{
	struct audit_stale st[64];
	char key[32], what[200];
	int before = nseen, fd = auditctl_open(), n;

	if (fd < 0)
		return 0;
	n = auditctl_list_stale(fd, st, 64);
	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof(key), AUDIT_KEY_PREFIX "%d", (int)st[i].owner);
		int rc = auditctl_del_rules(fd, key, st[i].target);
		snprintf(what, sizeof(what),
			 "audit rule on pid %d keyed %s, whose run is gone: %s%s", st[i].target,
			 key, rc > 0 ? "removed" : "could not remove: ",
			 rc > 0 ? "" : (rc < 0 ? audit_errstr(-rc) : "not found"));
		note(st[i].owner, rc > 0, what);
	}
	auditctl_close(fd);
	return nseen - before;
}
