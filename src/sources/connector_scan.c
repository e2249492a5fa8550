/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The followed tree and /proc diffing (see connector.h).
 *
 * Members are the target processes and, with --children, their descendants.
 * With a working connector the tree follows fork and exit events, and a diff
 * of /proc runs only after a loss, to find the children whose fork was lost
 * and the members whose exit was lost. Without the connector (network, user
 * or pid namespace) the diff runs every tick and also compares threads and
 * comm: what it reports is sampled (a task that lived less than one tick is
 * never seen, and no exit code is known), and records carry SRC_PROCFS.
 */
#include "sources/connector.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/taskmap.h"
#include "sources/procfs.h"
#include "sources/procfs_parse.h"

struct member {
	int32_t tgid;
	uint64_t start;
	char comm[16];
	uint32_t seen_gen;
	int32_t *tids;
	int ntids;
};

struct known {
	uint64_t start;
	uint32_t seen_gen;
};

struct cand {
	int32_t pid, ppid;
	uint64_t start;
	char comm[16];
};

struct cn_scan {
	struct cn_scan_config cfg;
	struct taskmap *members; /* key: tgid */
	struct taskmap *known;	 /* every other pid of the last listing */
	uint32_t gen;
	uint64_t scans;
	void (*follow_fn)(void *ctx, int32_t tgid);
	void *follow_ctx;
	struct cand *cands;
	size_t ncands, capcands;
	char buf[4096];
};

struct cn_scan *cn_scan_new(const struct cn_scan_config *cfg)
{
	struct cn_scan *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->cfg = *cfg;
	s->members = taskmap_new(sizeof(struct member));
	s->known = taskmap_new(sizeof(struct known));
	if (!s->members || !s->known) {
		cn_scan_free(s);
		return NULL;
	}
	return s;
}

void cn_scan_free(struct cn_scan *s)
{
	size_t it = 0;
	struct member *m;

	if (!s)
		return;
	while (s->members && (m = taskmap_next(s->members, &it, NULL, NULL)))
		free(m->tids);
	taskmap_free(s->members);
	taskmap_free(s->known);
	free(s->cands);
	free(s);
}

void cn_scan_on_follow(struct cn_scan *s, void (*fn)(void *ctx, int32_t tgid), void *ctx)
{
	s->follow_fn = fn;
	s->follow_ctx = ctx;
}

uint64_t cn_scan_count(const struct cn_scan *s)
{
	return s->scans;
}

int cn_scan_is_member(struct cn_scan *s, int32_t tgid)
{
	return taskmap_get(s->members, tgid, 0) != NULL;
}

/* stat of pid: ppid, start time, comm. 0, or -1 when gone. */
static int read_stat(struct cn_scan *s, const char *rel, struct proc_sample *ps, char comm[16])
{
	memset(ps, 0, sizeof(*ps));
	if (slurp(s->cfg.rootfd, rel, s->buf, sizeof(s->buf)) <= 0)
		return -1;
	return procfs_parse_stat(s->buf, ps, comm, 16) ? -1 : 0;
}

static struct member *add_member(struct cn_scan *s, int32_t tgid, uint64_t start, const char *comm)
{
	int created;
	struct member *m = taskmap_put(s->members, tgid, 0, &created);

	if (!m)
		return NULL;
	if (created) {
		m->tgid = tgid;
		m->start = start;
		if (comm)
			memcpy(m->comm, comm, sizeof(m->comm));
		m->seen_gen = s->gen;
		if (s->follow_fn)
			s->follow_fn(s->follow_ctx, tgid);
	}
	return m;
}

static void del_member(struct cn_scan *s, int32_t tgid)
{
	struct member *m = taskmap_get(s->members, tgid, 0);

	if (m) {
		free(m->tids);
		taskmap_del(s->members, tgid, 0);
	}
}

static void emit(const struct record_sink *sink, int kind, uint64_t now, int32_t tgid, int32_t tid,
		 const char *comm, struct record *r)
{
	r->kind = (uint16_t)kind;
	r->source = SRC_PROCFS;
	r->cpu = -1;
	r->t_ns = now;
	r->key.tgid = tgid;
	r->key.tid = tid;
	if (comm)
		memcpy(r->comm, comm, sizeof(r->comm));
	record_emit(sink, r);
}

static int tid_cmp(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* The sorted tids of tgid, or NULL (n = 0) when it is gone. */
static int32_t *list_tids(struct cn_scan *s, int32_t tgid, int *n)
{
	char rel[32];
	int cap = 0;
	int32_t *v = NULL;
	DIR *d;
	struct dirent *de;

	*n = 0;
	snprintf(rel, sizeof(rel), "%d/task", tgid);
	d = opendir_at(s->cfg.rootfd, rel, 0);
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (*n == cap) {
			int32_t *nv = realloc(v, (size_t)(cap = cap ? cap * 2 : 16) * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		v[(*n)++] = (int32_t)strtol(de->d_name, NULL, 10);
	}
	closedir(d);
	if (v)
		qsort(v, (size_t)*n, sizeof(*v), tid_cmp);
	return v;
}

/* Fallback only: new and vanished threads of a member. */
static void diff_threads(struct cn_scan *s, struct member *m, uint64_t now,
			 const struct record_sink *sink, int quiet)
{
	int n;
	int32_t *now_tids = list_tids(s, m->tgid, &n);

	for (int i = 0; i < n && !quiet; i++) {
		if (now_tids[i] == m->tgid ||
		    (m->tids &&
		     bsearch(&now_tids[i], m->tids, (size_t)m->ntids, sizeof(int32_t), tid_cmp)))
			continue;
		struct record r = {0};
		r.u.fork = (struct rec_fork){m->tgid, m->tgid, m->tgid, now_tids[i]};
		emit(sink, REC_CLONE, now, m->tgid, m->tgid, m->comm, &r);
	}
	for (int i = 0; i < m->ntids && !quiet && now_tids; i++) {
		if (m->tids[i] == m->tgid ||
		    bsearch(&m->tids[i], now_tids, (size_t)n, sizeof(int32_t), tid_cmp))
			continue;
		struct record r = {0};
		r.u.exit.is_thread = 1;
		r.u.exit.exit_signal = -1;
		emit(sink, REC_EXIT, now, m->tgid, m->tids[i], m->comm, &r);
	}
	free(m->tids);
	m->tids = now_tids;
	m->ntids = n;
}

/* A member still there? Reads its stat (comm change in fallback mode).
 * 0 alive; -1 gone (a zombie's pid stays known so it is not adopted again);
 * -2 its pid now belongs to another process. */
static int check_member(struct cn_scan *s, struct member *m, uint64_t now,
			const struct record_sink *sink, int quiet)
{
	char rel[32], comm[16];
	struct proc_sample ps;

	snprintf(rel, sizeof(rel), "%d/stat", m->tgid);
	int rc = read_stat(s, rel, &ps, comm);
	if (rc == 0 && m->start && ps.starttime != m->start)
		rc = -2;
	else if (rc == 0 && (ps.state == 'Z' || ps.state == 'X'))
		rc = -1;
	if (rc) {
		if (!quiet) {
			struct record r = {0};
			emit(sink, REC_EXIT, now, m->tgid, m->tgid, m->comm, &r);
		}
		return rc;
	}
	m->start = ps.starttime;
	if (s->cfg.full && strcmp(comm, m->comm) != 0 && m->comm[0] && !quiet) {
		struct record r = {0};
		emit(sink, REC_COMM, now, m->tgid, m->tgid, comm, &r);
	}
	memcpy(m->comm, comm, sizeof(m->comm));
	if (s->cfg.full)
		diff_threads(s, m, now, sink, quiet);
	return 0;
}

static int want_listing(const struct cn_scan *s)
{
	return s->cfg.children || !targets_only_pids(s->cfg.targets);
}

/* A pid not seen before: a member if it is a target or a member's child. */
static void consider_new(struct cn_scan *s, int32_t pid)
{
	char rel[32];
	struct proc_sample ps;
	struct cand c = {.pid = pid};
	int created;
	struct known *k = taskmap_put(s->known, pid, 0, &created);

	if (!k)
		return;
	k->seen_gen = s->gen;
	if (!created)
		return;
	snprintf(rel, sizeof(rel), "%d/stat", pid);
	if (read_stat(s, rel, &ps, c.comm))
		return;
	k->start = ps.starttime;
	c.ppid = ps.ppid;
	c.start = ps.starttime;
	if (s->ncands == s->capcands) {
		size_t cap = s->capcands ? s->capcands * 2 : 64;
		struct cand *nc = realloc(s->cands, cap * sizeof(*nc));
		if (!nc)
			return;
		s->cands = nc;
		s->capcands = cap;
	}
	s->cands[s->ncands++] = c;
}

/* Promote candidates to members until no more join (grandchildren listed
 * before their parent join on a later round). */
static void adopt(struct cn_scan *s, uint64_t now, const struct record_sink *sink, int quiet)
{
	int changed = 1;

	while (changed) {
		changed = 0;
		for (size_t i = 0; i < s->ncands; i++) {
			struct cand *c = &s->cands[i];
			int target = targets_match_process(s->cfg.targets, c->pid, c->comm, NULL);
			int child = s->cfg.children && taskmap_get(s->members, c->ppid, 0);
			if (!target && !child)
				continue;
			taskmap_del(s->known, c->pid, 0);
			struct member *m = add_member(s, c->pid, c->start, c->comm);
			if (m && s->cfg.full)
				diff_threads(s, m, now, sink, 1);
			if (!quiet && child) {
				struct record r = {0};
				struct member *pm = taskmap_get(s->members, c->ppid, 0);
				r.u.fork = (struct rec_fork){c->ppid, c->ppid, c->pid, c->pid};
				emit(sink, REC_FORK, now, c->ppid, c->ppid, pm ? pm->comm : NULL,
				     &r);
			}
			s->cands[i--] = s->cands[--s->ncands];
			changed = 1;
		}
	}
	s->ncands = 0;
}

static void list_root(struct cn_scan *s)
{
	DIR *d = opendir_at(s->cfg.rootfd, NULL, 0);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		int32_t pid = (int32_t)strtol(de->d_name, NULL, 10);
		struct member *m = taskmap_get(s->members, pid, 0);
		if (m)
			m->seen_gen = s->gen;
		else
			consider_new(s, pid);
	}
	closedir(d);
}

static void scan(struct cn_scan *s, uint64_t now, const struct record_sink *sink, int quiet)
{
	size_t it = 0;
	struct member *m;
	struct known *k;
	int32_t gone[64];
	int ngone = 0;

	s->gen++;
	s->scans++;
	/* Members first: one that vanished frees its pid for a new process. */
	while ((m = taskmap_next(s->members, &it, NULL, NULL))) {
		int rc = check_member(s, m, now, sink, quiet);
		if (!rc)
			continue;
		int32_t tgid = m->tgid;
		free(m->tids);
		taskmap_del(s->members, tgid, 0);
		if (rc == -1)
			gone[ngone < 64 ? ngone++ : ngone - 1] = tgid;
	}
	for (int i = 0; i < ngone; i++) {
		struct known *kz = taskmap_put(s->known, gone[i], 0, NULL);
		if (kz)
			kz->seen_gen = s->gen;
	}
	if (!want_listing(s))
		return;
	list_root(s);
	adopt(s, now, sink, quiet);
	it = 0;
	int32_t pid;
	while ((k = taskmap_next(s->known, &it, &pid, NULL)))
		if (k->seen_gen != s->gen)
			taskmap_del(s->known, pid, 0);
}

void cn_scan_seed(struct cn_scan *s)
{
	const struct targets *t = s->cfg.targets;
	char rel[32], comm[16];
	struct proc_sample ps;

	for (int i = 0; i < t->npids; i++) {
		snprintf(rel, sizeof(rel), "%d/stat", t->pids[i]);
		if (read_stat(s, rel, &ps, comm) == 0)
			add_member(s, t->pids[i], ps.starttime, comm);
	}
	scan(s, 0, NULL, 1);
}

void cn_scan_diff(struct cn_scan *s, uint64_t now_ns, const struct record_sink *sink)
{
	scan(s, now_ns, sink, 0);
}

void cn_scan_observe(struct cn_scan *s, const struct record *r)
{
	if (r->kind == REC_FORK && s->cfg.children &&
	    taskmap_get(s->members, r->u.fork.parent_tgid, 0)) {
		del_member(s, r->u.fork.child_tgid); /* a reused pid */
		add_member(s, r->u.fork.child_tgid, 0, r->comm);
	} else if (r->kind == REC_EXIT && r->source == SRC_CONNECTOR && !r->u.exit.is_thread &&
		   r->key.tid == r->key.tgid) {
		del_member(s, r->key.tgid);
	}
}
