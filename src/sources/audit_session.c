/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Audit session files (see audit.h), kept as host sessions of kind "audit"
 * (core/hostsess.h): one file per run that changed the host's audit
 * settings, holding the settings as they were before any procimage run
 * touched them ("enabled=N backlog_limit=N backlog_wait_time=N", then the
 * owner's identity). A file whose owner is dead belongs to a run that was
 * SIGKILLed: its original settings are adopted, the file removed; when no
 * run is left, the start-up sweep (leftovers.c) restores them.
 */
#include "sources/audit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/hostsess.h"

int audit_host_parse(const char *payload, struct audit_host *h)
{
	long long en = hs_get(payload, "enabled", -1), bl = hs_get(payload, "backlog_limit", -1),
		  bw = hs_get(payload, "backlog_wait_time", -1);

	if (en < 0 || bl < 0 || bw < 0)
		return -EINVAL;
	h->enabled = (uint32_t)en;
	h->backlog_limit = (uint32_t)bl;
	h->backlog_wait_time = (uint32_t)bw;
	return 0;
}

/* Walk the session files: adopt an original from a live run (preferred) or
 * a dead one, remove dead ones, count live ones other than us. */
static void scan_sessions(struct audit_session *s)
{
	struct hs_entry e[HS_MAX];
	struct audit_host h;
	int from_live = 0, n = hs_list(AUDIT_SESSION_KIND, e, HS_MAX);

	s->others_alive = 0;
	for (int i = 0; i < n; i++) {
		int alive = e[i].alive != HS_DEAD;
		if (audit_host_parse(e[i].payload, &h) == 0 &&
		    (!s->have_orig || (alive && !from_live))) {
			s->orig = h;
			s->have_orig = 1;
			from_live = alive;
		}
		if (alive)
			s->others_alive++;
		else
			hs_remove(AUDIT_SESSION_KIND, e[i].pid);
	}
}

int audit_session_begin(struct audit_session *s, int fd, const struct audit_host *now)
{
	char payload[128];
	int rc;

	(void)fd;
	memset(s, 0, sizeof(*s));
	s->lockfd = hs_lock(AUDIT_SESSION_KIND, 1);
	if (s->lockfd < 0) {
		rc = s->lockfd;
		s->orig = *now;
		s->have_orig = 1;
		s->lockfd = -1;
		return rc;
	}
	scan_sessions(s);
	if (!s->have_orig) {
		s->orig = *now;
		s->have_orig = 1;
	}
	snprintf(payload, sizeof(payload), "enabled=%u backlog_limit=%u backlog_wait_time=%u",
		 s->orig.enabled, s->orig.backlog_limit, s->orig.backlog_wait_time);
	rc = hs_write(AUDIT_SESSION_KIND, payload);
	hs_unlock(s->lockfd);
	s->lockfd = -1;
	return rc;
}

int audit_session_end(struct audit_session *s)
{
	struct audit_session cur = *s;
	int lk = hs_lock(AUDIT_SESSION_KIND, 0);

	hs_remove(AUDIT_SESSION_KIND, getpid());
	if (lk >= 0) {
		cur.have_orig = 1; /* keep ours: only count the others */
		scan_sessions(&cur);
	}
	hs_unlock(lk);
	s->others_alive = cur.others_alive;
	return cur.others_alive == 0;
}

int audit_session_restore(const struct audit_session *s, int fd)
{
	int rc = auditctl_set_backlog(fd, s->orig.backlog_limit, s->orig.backlog_wait_time);
	int rc2 = auditctl_set_enabled(fd, s->orig.enabled);

	return rc ? rc : rc2;
}

int audit_rules_announce(void)
{
	char payload[64];
	int lk = hs_lock(AUDIT_RULES_KIND, 1), rc;

	if (lk < 0)
		return lk;
	snprintf(payload, sizeof(payload), "key=" AUDIT_KEY_PREFIX "%d", (int)getpid());
	rc = hs_write(AUDIT_RULES_KIND, payload);
	hs_unlock(lk);
	return rc;
}

void audit_rules_retire(void)
{
	int lk = hs_lock(AUDIT_RULES_KIND, 0);

	hs_remove(AUDIT_RULES_KIND, getpid());
	hs_unlock(lk);
}
