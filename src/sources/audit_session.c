/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Audit session files (see audit.h): one file per run that changed the
 * host's audit settings, holding the settings as they were before any
 * procimage run touched them. The directory is locked (flock) while a run
 * begins or ends, so two runs never both believe they are the last one.
 * A file whose pid is no longer a procimage process belongs to a run that
 * was SIGKILLed: its original settings are adopted, the file removed.
 */
#include "sources/audit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fileio.h"

static void session_dir(struct audit_session *s)
{
	const char *env = getenv("PROCIMAGE_RUN_DIR");

	snprintf(s->dir, sizeof(s->dir), "%s", env && *env ? env : "/run/procimage/audit");
}

static int lock_dir(struct audit_session *s)
{
	char path[256];
	char *slash;

	/* mkdir -p for the two levels we own. */
	snprintf(path, sizeof(path), "%s", s->dir);
	slash = strrchr(path, '/');
	if (slash && slash != path) {
		*slash = 0;
		mkdir(path, 0700);
	}
	if (mkdir(s->dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/.lock", s->dir);
	s->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->lockfd < 0)
		return -errno;
	while (flock(s->lockfd, LOCK_EX) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

static void unlock_dir(struct audit_session *s)
{
	if (s->lockfd >= 0)
		close(s->lockfd);
	s->lockfd = -1;
}

static int read_host(const char *path, struct audit_host *h)
{
	FILE *fp = fopen(path, "re");
	int n;

	if (!fp)
		return -errno;
	n = fscanf(fp, "enabled=%u backlog_limit=%u backlog_wait_time=%u", &h->enabled,
		   &h->backlog_limit, &h->backlog_wait_time);
	fclose(fp);
	return n == 3 ? 0 : -EINVAL;
}

static int write_host(const char *path, const struct audit_host *h)
{
	FILE *fp = fopen_private(path);

	if (!fp)
		return -errno;
	fprintf(fp, "enabled=%u backlog_limit=%u backlog_wait_time=%u\n", h->enabled,
		h->backlog_limit, h->backlog_wait_time);
	return fclose(fp) ? -errno : 0;
}

/* Walk the session files: adopt an original from a live run (preferred) or
 * a dead one, remove dead ones, count live ones other than us. */
static void scan_sessions(struct audit_session *s)
{
	DIR *d = opendir(s->dir);
	struct dirent *e;
	char path[512];
	struct audit_host h;
	int from_live = 0;

	s->others_alive = 0;
	if (!d)
		return;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "%s/%s", s->dir, e->d_name);
		int alive = audit_pid_is_procimage((pid_t)pid);
		if (read_host(path, &h) == 0 && (!s->have_orig || (alive && !from_live))) {
			s->orig = h;
			s->have_orig = 1;
			from_live = alive;
		}
		if (alive)
			s->others_alive++;
		else
			unlink(path);
	}
	closedir(d);
}

int audit_session_begin(struct audit_session *s, int fd, const struct audit_host *now)
{
	char path[256];
	int rc;

	(void)fd;
	memset(s, 0, sizeof(*s));
	s->lockfd = -1;
	session_dir(s);
	rc = lock_dir(s);
	if (rc) {
		s->orig = *now;
		s->have_orig = 1;
		unlock_dir(s);
		return rc;
	}
	scan_sessions(s);
	if (!s->have_orig) {
		s->orig = *now;
		s->have_orig = 1;
	}
	snprintf(path, sizeof(path), "%s/%d", s->dir, (int)getpid());
	rc = write_host(path, &s->orig);
	unlock_dir(s);
	return rc;
}

int audit_session_end(struct audit_session *s)
{
	char path[256];
	struct audit_session cur = *s;
	int rc;

	snprintf(path, sizeof(path), "%s/%d", s->dir, (int)getpid());
	rc = lock_dir(&cur);
	unlink(path);
	if (rc == 0) {
		cur.have_orig = 1; /* keep ours: only count the others */
		scan_sessions(&cur);
	}
	unlock_dir(&cur);
	s->others_alive = cur.others_alive;
	return cur.others_alive == 0;
}

int audit_session_restore(const struct audit_session *s, int fd)
{
	int rc = auditctl_set_backlog(fd, s->orig.backlog_limit, s->orig.backlog_wait_time);
	int rc2 = auditctl_set_enabled(fd, s->orig.enabled);

	return rc ? rc : rc2;
}
