/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which processes the procfs source holds (procfs_int.h): the named pids,
 * a listing of the root, or between listings the pids allocated since the
 * last look (the pid cursor in loadavg); and whether each one is a target.
 */
#include "sources/procfs_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"
#include "sources/procfs_parse.h"

static int pf_is_pid_name(const char *s)
{
	if (*s < '1' || *s > '9')
		return 0;
	while (*s >= '0' && *s <= '9')
		s++;
	return *s == '\0';
}

int32_t pf_next_pid(DIR *d)
{
	struct dirent *de;

	while ((de = readdir(d)))
		if (pf_is_pid_name(de->d_name))
			return (int32_t)strtol(de->d_name, NULL, 10);
	return 0;
}

/* Create a process slot; resolves -p TID of a non-leader thread to its tgid.
 * OPEN_LISTED: the id came from a listing of root, where the kernel shows
 * only thread-group leaders: on a real procfs that needs no check, in any
 * other tree a non-leader is hostile or odd and refused. OPEN_PROBED: a new
 * pid from the cursor, which may be a thread's: refused unless a leader. */
struct pslot *pf_open_process(struct procfs *p, int32_t id, int how)
{
	char name[16];
	int32_t tgid = id, only_tid = 0;
	int dfd, created;
	int listed = how != OPEN_NAMED;

	snprintf(name, sizeof(name), "%d", id);
	/* The light first read needs no directory: a listed leader's schedstat
	 * is opened by path (tier_first), its dirfd only if it runs. */
	if (p->light && how == OPEN_LISTED && id != p->self_tgid)
		dfd = -1;
	else if ((dfd = openat(p->rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) <
		 0) {
		pf_fd_exhausted(p, errno);
		return NULL;
	}
	if (dfd >= 0 && !(how == OPEN_LISTED && p->real_proc) &&
	    slurp(dfd, "status", p->buf, sizeof(p->buf)) > 0) {
		const char *t = strstr(p->buf, "\nTgid:");
		long long v;
		if (t) {
			t += 6;
			if (parse_i64(&t, &v) == 0 && v > 0 && v <= INT32_MAX && v != id) {
				if (listed) {
					close(dfd);
					return NULL;
				}
				tgid = (int32_t)v;
				only_tid = id;
				close(dfd);
				snprintf(name, sizeof(name), "%d", tgid);
				dfd = openat(p->rootfd, name,
					     O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
				if (dfd < 0)
					return NULL;
			}
		}
	}
	struct pslot *ps = taskmap_put(p->procs, tgid, 0, &created);
	if (!ps || !created) {
		/* -p 100,101 with 101 a thread of 100: the process is already
		 * held (whole); keep that slot and its fds. */
		if (dfd >= 0)
			close(dfd);
		return ps;
	}
	ps->tgid = tgid;
	ps->only_tid = only_tid;
	ps->dirfd = dfd;
	p->nkept += dfd >= 0;
	ps->matched = -1;
	for (int i = 0; i < NFILES; i++)
		ps->fds[i] = FD_NONE;
	if (p->tiered) {
		ps->fresh_gen = p->gen;
		pf_list_add(&p->fresh, &p->nfresh, &p->capfresh, tgid);
	}
	return ps;
}

/* Which processes exist this tick: the named pids, or a listing of root. */
void pf_discover(struct procfs *p)
{
	const struct targets *t = p->cfg.targets;

	if (!p->cfg.scan_all && t && targets_only_pids(t)) {
		for (int i = 0; i < t->npids + p->nfollow; i++) {
			int32_t id = i < t->npids ? t->pids[i] : p->follow[i - t->npids];
			struct pslot *ps = taskmap_get(p->procs, id, 0);
			if (!ps) {
				size_t it = 0;
				struct pslot *q;
				/* A -p TID may already be held under its tgid. */
				while ((q = taskmap_next(p->procs, &it, NULL, NULL)))
					if (q->only_tid == id)
						break;
				/* Open each named pid once: after it is gone its
				 * number may belong to another task. */
				if (!q &&
				    (i < t->npids ? p->gen == 1 : i - t->npids >= p->follow_opened))
					q = pf_open_process(p, id, OPEN_NAMED);
				ps = q;
			}
			if (ps)
				ps->seen_gen = p->gen;
		}
		p->follow_opened = p->nfollow;
		return;
	}
	DIR *d = opendir_at(p->rootfd, NULL, 0);
	int32_t tgid;

	if (!d)
		return;
	p->stats.listings++;
	while ((tgid = pf_next_pid(d))) {
		struct pslot *ps = taskmap_get(p->procs, tgid, 0);
		if (!ps)
			ps = pf_open_process(p, tgid, OPEN_LISTED);
		if (ps)
			ps->seen_gen = p->gen;
	}
	closedir(d);
}

/* The pid cursor of root's namespace: loadavg's last field. -1 if unknown. */
int64_t pf_read_last_pid(struct procfs *p)
{
	char buf[128];
	ssize_t n;

	if (p->loadavg_fd == FD_NONE)
		p->loadavg_fd = openat(p->rootfd, "loadavg", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (p->loadavg_fd < 0)
		return -1;
	n = pread_text(p->loadavg_fd, buf, sizeof(buf));
	if (n <= 0)
		return -1;
	const char *c = strrchr(buf, ' ');
	long long v;
	if (!c || (c++, parse_i64(&c, &v)) || v < 0)
		return -1;
	return v;
}

/* Open one pid the cursor says is new; a pid whose task is not visible yet
 * (fork still wiring it up) is tried once more next tick. */
static void probe_pid(struct procfs *p, int32_t pid, int retry)
{
	struct pslot *ps = taskmap_get(p->procs, pid, 0);

	if (!ps) {
		errno = 0; /* a refused thread id leaves it 0: no retry */
		ps = pf_open_process(p, pid, OPEN_PROBED);
		if (!ps && errno == ENOENT && !retry && p->nretry < PROBE_RETRIES)
			p->retry[p->nretry++] = pid;
	}
	/* A slot under a new pid: the old task is dead and the pid reused, or
	 * it is new itself; either way, reopen it if its fds read dead. */
	if (ps)
		ps->seen_gen = p->gen;
}

/* Host-wide discovery between full listings: the pids allocated since the
 * last look are (last_pid, cursor]. 1 if probed, 0 if a listing is due. */
int pf_probe_new(struct procfs *p)
{
	int64_t cur = pf_read_last_pid(p), last = p->last_pid;
	int32_t retry[PROBE_RETRIES];
	int nretry = p->nretry;
	uint32_t every = p->full_every > 1 ? p->full_every : 1;

	if (cur < 0)
		return 0;
	p->last_pid = cur;
	/* Unknown, wrapped past pid_max or set back (ns_last_pid), too many
	 * new pids, or the periodic safety listing: list. */
	if (!p->same_pidns || last < 0 || cur < last || cur - last > PROBE_MAX ||
	    (int64_t)(cur - last) * 8 > (int64_t)taskmap_count(p->procs) ||
	    p->gen - p->full_gen >= every)
		return 0;
	memcpy(retry, p->retry, sizeof(retry));
	p->nretry = 0;
	for (int i = 0; i < nretry; i++)
		probe_pid(p, retry[i], 1);
	for (int64_t pid = last + 1; pid <= cur; pid++)
		probe_pid(p, (int32_t)pid, 0);
	p->stats.probes += (uint64_t)(cur - last);
	return 1;
}

/* --cgroup matches the path of any hierarchy: the v2 "0::" line or a v1
 * controller's line (on a hybrid host the v2 path is often just "/"). */
static int cgroup_lines_match(const struct targets *t, int32_t tgid, char *buf)
{
	for (char *line = buf; line && *line;) {
		char *eol = strchr(line, '\n');
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (eol)
			*eol = '\0';
		if (c2 && targets_match_process(t, tgid, NULL, c2 + 1))
			return 1;
		line = eol ? eol + 1 : NULL;
	}
	return 0;
}

int pf_decide_match(struct procfs *p, struct pslot *ps)
{
	const struct targets *t = p->cfg.targets;

	if (!t)
		return 0;
	if (ps->only_tid)
		return targets_has_pid(t, ps->only_tid);
	for (int i = 0; i < p->nfollow; i++) /* descendants followed (keytime --children) */
		if (p->follow[i] == ps->tgid)
			return 1;
	if (targets_match_process(t, ps->tgid, ps->comm, NULL))
		return 1;
	return t->cgroup[0] && slurp(ps->dirfd, "cgroup", p->buf, sizeof(p->buf)) > 0 &&
	       cgroup_lines_match(t, ps->tgid, p->buf);
}
