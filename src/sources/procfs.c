/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The procfs source (see procfs.h). Per tick: list processes (or look up the
 * named pids), read each process's stat through its kept fd, decide which
 * processes are deep-sampled (targets) or hot, read their threads' files, and
 * sweep what vanished. Nothing is allocated per sample once slots exist.
 */
#include "sources/procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/fileio.h"
#include "core/taskmap.h"
#include "sources/procfs_oom.h"
#include "sources/procfs_parse.h"

#define NFILES	  12
#define FD_NONE	  (-1)
#define FD_DENIED (-2)
#define FD_ABSENT (-3)
/* Probe at most this many new pids instead of listing /proc (a probe costs
 * about as much as listing 8-30 entries). */
#define PROBE_MAX     512
#define PROBE_RETRIES 64

static const char *const file_names[NFILES] = {
    "stat", "schedstat", "sched",     "status",	       "io", "syscall", "wchan", "statm",
    "fd",   "stack",	 "oom_score", "oom_score_adj", /* PF_OOM_*: parsed in procfs_oom.c */
};

struct pslot {
	int32_t tgid, only_tid;
	uint64_t start;
	int dirfd;
	int fds[NFILES];
	int matched; /* -1 unknown, 0 no, 1 target */
	uint32_t seen_gen, hot_until, threads_gen;
	int32_t nthreads;
	uint64_t last_cpu_ticks;
	char comm[16];
	int32_t *tids; /* threads being deep-sampled */
	int ntids, captids;
	uint64_t last_run_ns; /* cheap tier: the leader's schedstat run time */
	uint64_t last_statm;  /* cheap tier: statm resident at the last refresh */
};

struct tslot {
	int32_t tgid;
	uint64_t start;
	int fds[NFILES];
	uint32_t seen_gen;
	char comm[16];
};

struct procfs {
	struct procfs_config cfg;
	int rootfd;
	struct taskmap *procs;	 /* key: tgid */
	struct taskmap *threads; /* key: tid */
	uint32_t gen;
	struct procfs_stats stats;
	uint64_t denied[NFILES]; /* tasks whose file could not be opened */
	int32_t follow[256];
	int nfollow, follow_opened;
	/* A real procfs lists only thread-group leaders. Its loadavg names the
	 * last pid allocated in the *reader's* pid namespace (the pid cursor):
	 * usable only when that is the mount's (a container reading the host's
	 * /proc through --proc-root is not). */
	int real_proc, same_pidns, loadavg_fd;
	int64_t last_pid;	      /* cursor at the last listing or probe; -1 unknown */
	uint32_t full_gen;	      /* tick of the last full listing */
	int32_t retry[PROBE_RETRIES]; /* probed pids not yet visible */
	int nretry;
	char buf[65536];
};

ssize_t procfs_read_file(int dirfd, const char *name, char *buf, size_t len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	ssize_t n;
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	do
		n = read(fd, buf, len - 1);
	while (n < 0 && errno == EINTR);
	n = n < 0 ? -errno : n;
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

int procfs_check_root(const char *root, char *err, size_t errlen)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	DIR *d;
	struct dirent *de;
	int ok = 0;

	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot open proc root '%s': %s", root, strerror(e));
		return -e;
	}
	if (fstatat(fd, "stat", &st, 0) == 0 && S_ISREG(st.st_mode))
		ok = 1;
	d = fdopendir(dup(fd));
	while (!ok && d && (de = readdir(d))) {
		char name[300];
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(name, sizeof(name), "%s/stat", de->d_name);
		if (fstatat(fd, name, &st, 0) == 0)
			ok = 1;
	}
	if (d)
		closedir(d);
	close(fd);
	if (!ok) {
		snprintf(err, errlen,
			 "'%s' is not a proc tree (no stat and no <pid>/stat inside): "
			 "point --proc-root at a mounted /proc or a fixture tree",
			 root);
		return -ENOTDIR;
	}
	return 0;
}

struct procfs *procfs_new(const struct procfs_config *cfg, char *err, size_t errlen)
{
	struct procfs *p;

	if (procfs_check_root(cfg->root, err, errlen))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		goto nomem;
	p->cfg = *cfg;
	if (!p->cfg.thread_refresh_ticks)
		p->cfg.thread_refresh_ticks = 1;
	p->rootfd = open(cfg->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	p->loadavg_fd = FD_NONE;
	p->last_pid = -1;
	struct statfs sfs;
	p->real_proc =
	    p->rootfd >= 0 && fstatfs(p->rootfd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
	char self[24];
	ssize_t sl = p->real_proc ? readlinkat(p->rootfd, "self", self, sizeof(self) - 1) : -1;
	if (sl > 0) {
		self[sl] = '\0';
		p->same_pidns = strtol(self, NULL, 10) == (long)getpid();
	}
	p->procs = taskmap_new(sizeof(struct pslot));
	p->threads = taskmap_new(sizeof(struct tslot));
	if (p->rootfd < 0 || !p->procs || !p->threads) {
		procfs_free(p);
		goto nomem;
	}
	return p;
nomem:
	snprintf(err, errlen, "out of memory or file descriptors opening '%s'", cfg->root);
	return NULL;
}

static void emit_gone(const struct record_sink *sink, uint64_t now, int32_t tgid, int32_t tid,
		      uint64_t start, const char *comm, int scope);

static void close_fds(int *fds)
{
	for (int i = 0; i < NFILES; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = FD_NONE;
	}
}

static void drop_threads(struct procfs *p, struct pslot *ps, const struct record_sink *gone_to,
			 uint64_t now)
{
	for (int i = 0; i < ps->ntids; i++) {
		struct tslot *ts = taskmap_get(p->threads, ps->tids[i], 0);
		if (!ts)
			continue;
		if (gone_to) {
			emit_gone(gone_to, now, ps->tgid, ps->tids[i], ts->start, NULL,
				  SCOPE_THREAD);
			p->stats.gone++;
		}
		close_fds(ts->fds);
		taskmap_del(p->threads, ps->tids[i], 0);
	}
	free(ps->tids);
	ps->tids = NULL;
	ps->ntids = ps->captids = 0;
}

static void drop_process(struct procfs *p, struct pslot *ps)
{
	drop_threads(p, ps, NULL, 0);
	close_fds(ps->fds);
	if (ps->dirfd >= 0)
		close(ps->dirfd);
	ps->dirfd = -1;
	taskmap_del(p->procs, ps->tgid, 0);
}

void procfs_free(struct procfs *p)
{
	size_t it = 0;
	void *v;

	if (!p)
		return;
	if (p->procs)
		while ((v = taskmap_next(p->procs, &it, NULL, NULL)))
			drop_process(p, v);
	it = 0;
	if (p->threads)
		while ((v = taskmap_next(p->threads, &it, NULL, NULL)))
			close_fds(((struct tslot *)v)->fds);
	taskmap_free(p->procs);
	taskmap_free(p->threads);
	if (p->rootfd >= 0)
		close(p->rootfd);
	if (p->loadavg_fd >= 0)
		close(p->loadavg_fd);
	free(p);
}

static int file_index(uint32_t bit)
{
	return __builtin_ctz(bit);
}

static int is_regular(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* Read one file through its kept fd (opened on first use relative to dirfd).
 * Returns bytes, or -errno; ESRCH/ENOENT mean the task is gone. */
static ssize_t read_kept(struct procfs *p, int dirfd, const char *rel, int *fdp, int idx)
{
	ssize_t n;

	if (*fdp == FD_DENIED || *fdp == FD_ABSENT)
		return -EACCES;
	if (*fdp == FD_NONE) {
		/* /proc files are regular files, never symlinks: a --proc-root tree
		 * must not lead us to a FIFO (would block), a device or outside. */
		int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		p->stats.opens++;
		if (fd >= 0 && !is_regular(fd)) {
			close(fd);
			fd = -1;
			errno = EINVAL;
		}
		if (fd < 0) {
			int e = errno;
			if (e == EACCES || e == EPERM || e == EINVAL) {
				*fdp = FD_DENIED; /* EINVAL: not a regular file */
				p->denied[idx]++;
			} else if ((e == ENOENT || e == ELOOP) && idx != 0) {
				/* File absent on this kernel (e.g. no sched without
				 * SCHED_DEBUG): don't retry; the task itself may live. */
				struct stat st;
				if (fstatat(dirfd, ".", &st, 0) == 0)
					*fdp = FD_ABSENT;
			}
			return -e;
		}
		*fdp = fd;
	}
	do
		n = pread(*fdp, p->buf, sizeof(p->buf) - 1, 0);
	while (n < 0 && errno == EINTR);
	p->stats.preads++;
	if (n < 0) {
		int e = errno;
		if (e == EACCES || e == EPERM) {
			close(*fdp);
			*fdp = FD_DENIED;
			p->denied[idx]++;
		}
		return -e;
	}
	p->buf[n] = '\0';
	return n;
}

static int count_fds(int dirfd, const char *rel)
{
	DIR *d = opendir_at(dirfd, rel, O_NOFOLLOW);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) /* descriptors only: a foreign tree may hold more */
		if (de->d_name[0] && !de->d_name[strspn(de->d_name, "0123456789")])
			n++;
	closedir(d);
	return n;
}

/* Read the files in `want` into s. `prefix` is "" for the process or
 * "task/<tid>/" for a thread. Returns 0, or -ESRCH when the task is gone. */
static int read_files(struct procfs *p, int dirfd, const char *prefix, int *fds, uint32_t want,
		      struct proc_sample *s, char *comm, const char **stack_text)
{
	char rel[64];

	rel[0] = '\0';
	for (uint32_t bits = want; bits; bits &= bits - 1) {
		uint32_t bit = bits & -bits;
		int idx = file_index(bit);
		/* the path is only needed to open: kept fds skip the formatting */
		if (fds[idx] == FD_NONE || bit == PF_FDS)
			snprintf(rel, sizeof(rel), "%s%s", prefix, file_names[idx]);
		if (bit == PF_FDS) {
			int n = count_fds(dirfd, rel);
			if (n >= 0) {
				s->nr_fds = n;
				s->have |= PF_FDS;
			}
			continue;
		}
		ssize_t n = read_kept(p, dirfd, rel, &fds[idx], idx);
		if (idx == 0 && (n == -EACCES || n == -EPERM || n == -EINVAL))
			return -EACCES; /* stat refused (hidepid=1, odd tree): no identity */
		if (n == -ESRCH || (n < 0 && idx == 0))
			return -ESRCH;
		if (n < 0)
			continue;
		if (n == 0 && idx == 0)
			return -ESRCH; /* a reaped task reads empty */
		switch (bit) {
		case PF_STAT:
			if (procfs_parse_stat(p->buf, s, comm, 16))
				return -ESRCH;
			break;
		case PF_SCHEDSTAT:
			procfs_parse_schedstat(p->buf, s);
			break;
		case PF_SCHED:
			procfs_parse_sched(p->buf, s);
			break;
		case PF_STATUS:
			procfs_parse_status(p->buf, s);
			break;
		case PF_IO:
			procfs_parse_io(p->buf, s);
			break;
		case PF_SYSCALL:
			procfs_parse_syscall(p->buf, s);
			break;
		case PF_WCHAN:
			procfs_parse_wchan(p->buf, s);
			break;
		case PF_STATM:
			procfs_parse_statm(p->buf, s);
			break;
		case PF_OOM_SCORE:
		case PF_OOM_ADJ:
			procfs_parse_oom(p->buf, bit, s); /* procfs_oom.c */
			break;
		case PF_STACK:
			/* Kept in the shared buffer: copy to the tail for the record. */
			if (stack_text && n > 0 && (size_t)n < sizeof(p->buf) / 2) {
				char *dst = p->buf + sizeof(p->buf) / 2;
				memcpy(dst, p->buf, (size_t)n + 1);
				*stack_text = dst;
			}
			s->have |= PF_STACK;
			break;
		}
	}
	return 0;
}

static void emit_gone(const struct record_sink *sink, uint64_t now, int32_t tgid, int32_t tid,
		      uint64_t start, const char *comm, int scope)
{
	struct record r = {.kind = REC_GONE, .source = SRC_PROCFS, .cpu = -1, .t_ns = now};

	r.key = (struct task_key){tgid, tid, start};
	r.u.sample.scope = (uint8_t)scope;
	if (comm)
		memcpy(r.comm, comm, sizeof(r.comm));
	record_emit(sink, &r);
}

static void emit_sample(struct procfs *p, const struct record_sink *sink, uint64_t now,
			struct record *r, const char *stack)
{
	r->kind = REC_SAMPLE;
	r->source = SRC_PROCFS;
	r->t_ns = now;
	r->cpu = r->u.sample.s.have & PF_STAT ? r->u.sample.s.processor : -1;
	if (stack) {
		r->text = stack;
		r->text_len = (uint32_t)strlen(stack);
	}
	p->stats.samples++;
	record_emit(sink, r);
}

static int is_pid_name(const char *s)
{
	if (*s < '1' || *s > '9')
		return 0;
	while (*s >= '0' && *s <= '9')
		s++;
	return *s == '\0';
}

/* How open_process learnt of an id. */
enum { OPEN_NAMED, OPEN_LISTED, OPEN_PROBED };

/* Create a process slot; resolves -p TID of a non-leader thread to its tgid.
 * OPEN_LISTED: the id came from a listing of root, where the kernel shows
 * only thread-group leaders: on a real procfs that needs no check, in any
 * other tree a non-leader is hostile or odd and refused. OPEN_PROBED: a new
 * pid from the cursor, which may be a thread's: refused unless a leader. */
static struct pslot *open_process(struct procfs *p, int32_t id, int how)
{
	char name[16];
	int32_t tgid = id, only_tid = 0;
	int dfd, created;
	int listed = how != OPEN_NAMED;

	snprintf(name, sizeof(name), "%d", id);
	dfd = openat(p->rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0)
		return NULL;
	if (!(how == OPEN_LISTED && p->real_proc) &&
	    procfs_read_file(dfd, "status", p->buf, sizeof(p->buf)) > 0) {
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
		close(dfd);
		return ps;
	}
	ps->tgid = tgid;
	ps->only_tid = only_tid;
	ps->dirfd = dfd;
	ps->matched = -1;
	for (int i = 0; i < NFILES; i++)
		ps->fds[i] = FD_NONE;
	return ps;
}

/* Which processes exist this tick: the named pids, or a listing of root. */
static void discover(struct procfs *p)
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
					q = open_process(p, id, OPEN_NAMED);
				ps = q;
			}
			if (ps)
				ps->seen_gen = p->gen;
		}
		p->follow_opened = p->nfollow;
		return;
	}
	DIR *d = opendir_at(p->rootfd, NULL, 0);
	struct dirent *de;

	if (!d)
		return;
	p->stats.listings++;
	while ((de = readdir(d))) {
		if (!is_pid_name(de->d_name))
			continue;
		int32_t tgid = (int32_t)strtol(de->d_name, NULL, 10);
		struct pslot *ps = taskmap_get(p->procs, tgid, 0);
		if (!ps)
			ps = open_process(p, tgid, OPEN_LISTED);
		if (ps)
			ps->seen_gen = p->gen;
	}
	closedir(d);
}

/* The pid cursor of root's namespace: loadavg's last field. -1 if unknown. */
static int64_t read_last_pid(struct procfs *p)
{
	char buf[128];
	ssize_t n;

	if (p->loadavg_fd == FD_NONE)
		p->loadavg_fd = openat(p->rootfd, "loadavg", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (p->loadavg_fd < 0)
		return -1;
	n = pread(p->loadavg_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
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
		ps = open_process(p, pid, OPEN_PROBED);
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
static int probe_new(struct procfs *p)
{
	int64_t cur = read_last_pid(p), last = p->last_pid;
	int32_t retry[PROBE_RETRIES];
	int nretry = p->nretry;
	uint32_t every = p->cfg.cheap_stat_every > 1 ? p->cfg.cheap_stat_every : 1;

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

static int decide_match(struct procfs *p, struct pslot *ps)
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
	return t->cgroup[0] && procfs_read_file(ps->dirfd, "cgroup", p->buf, sizeof(p->buf)) > 0 &&
	       cgroup_lines_match(t, ps->tgid, p->buf);
}

static int tid_cmp(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* Relist task/: threads that disappeared get REC_GONE. */
static void list_threads(struct procfs *p, struct pslot *ps, const struct record_sink *sink,
			 uint64_t now)
{
	DIR *d = opendir_at(ps->dirfd, "task", O_NOFOLLOW);
	struct dirent *de;
	int32_t *fresh = NULL;
	int n = 0, cap = 0;

	if (!d)
		return;
	p->stats.listings++;
	while ((de = readdir(d))) {
		if (!is_pid_name(de->d_name))
			continue;
		int32_t tid = (int32_t)strtol(de->d_name, NULL, 10);
		if (ps->only_tid && tid != ps->only_tid)
			continue;
		if (n == cap) {
			int32_t *nf =
			    realloc(fresh, (size_t)(cap = cap ? cap * 2 : 16) * sizeof(*nf));
			if (!nf)
				break;
			fresh = nf;
		}
		fresh[n++] = tid;
	}
	closedir(d);
	if (n > 1)
		qsort(fresh, (size_t)n, sizeof(*fresh), tid_cmp);
	for (int i = 0; i < ps->ntids; i++) {
		if (fresh && bsearch(&ps->tids[i], fresh, (size_t)n, sizeof(*fresh), tid_cmp))
			continue;
		struct tslot *ts = taskmap_get(p->threads, ps->tids[i], 0);
		if (ts) {
			if (ts->start) {
				emit_gone(sink, now, ps->tgid, ps->tids[i], ts->start, NULL,
					  SCOPE_THREAD);
				p->stats.gone++;
			}
			close_fds(ts->fds);
			taskmap_del(p->threads, ps->tids[i], 0);
		}
	}
	free(ps->tids);
	ps->tids = fresh;
	ps->ntids = n;
	ps->captids = cap;
	ps->threads_gen = p->gen;
}

static void sample_threads(struct procfs *p, struct pslot *ps, uint32_t files,
			   const struct record_sink *sink, uint64_t now)
{
	char prefix[32];

	if (!ps->tids || p->gen - ps->threads_gen >= p->cfg.thread_refresh_ticks ||
	    (!ps->only_tid && ps->nthreads != ps->ntids))
		list_threads(p, ps, sink, now);
	for (int i = 0; i < ps->ntids; i++) {
		int32_t tid = ps->tids[i];
		int created;
		struct tslot *ts = taskmap_put(p->threads, tid, 0, &created);
		struct record r = {0};
		const char *stack = NULL;

		if (!ts)
			continue;
		if (created) {
			ts->tgid = ps->tgid;
			for (int k = 0; k < NFILES; k++)
				ts->fds[k] = FD_NONE;
		}
		snprintf(prefix, sizeof(prefix), "task/%d/", tid);
		r.u.sample.scope = SCOPE_THREAD;
		/* stat is read once for identity (start time) and comm; after
		 * that only what the images asked for: a schedstat-only tier
		 * costs one pread per thread. A dead thread's kept fd reads
		 * ESRCH, so exits are still seen. */
		uint32_t want = ts->start ? files : files | PF_STAT;
		if (read_files(p, ps->dirfd, prefix, ts->fds, want, &r.u.sample.s, r.comm,
			       &stack)) {
			/* Never sampled: it vanished between readdir and open. */
			if (ts->start) {
				emit_gone(sink, now, ps->tgid, tid, ts->start, NULL, SCOPE_THREAD);
				p->stats.gone++;
			}
			close_fds(ts->fds);
			taskmap_del(p->threads, tid, 0);
			ps->tids[i--] = ps->tids[--ps->ntids];
			continue;
		}
		if (r.u.sample.s.have & PF_STAT) {
			ts->start = r.u.sample.s.starttime;
			memcpy(ts->comm, r.comm, sizeof(ts->comm));
		} else {
			memcpy(r.comm, ts->comm, sizeof(r.comm));
		}
		r.key = (struct task_key){ps->tgid, tid, ts->start};
		emit_sample(p, sink, now, &r, stack);
	}
}

/* The per-thread files of a target or of a process that is hot. */
static void sample_hot_threads(struct procfs *p, struct pslot *ps, const struct record_sink *sink,
			       uint64_t now)
{
	uint32_t tfiles = 0;

	if (ps->matched == 1 && p->cfg.deep_files)
		tfiles = p->cfg.deep_files;
	else if (p->cfg.hot_files && p->gen <= ps->hot_until)
		tfiles = p->cfg.hot_files;
	if (tfiles)
		sample_threads(p, ps, tfiles, sink, now);
	else if (ps->tids)
		drop_threads(p, ps, NULL, 0); /* cooled down: forget quietly */
}

/* Process one process for this tick. 1 if it is a live target, 0 if not,
 * -ESRCH if it vanished. `probe`: its schedstat, already read this tick. */
static int sample_process(struct procfs *p, struct pslot *ps, const struct record_sink *sink,
			  uint64_t now, const struct proc_sample *probe)
{
	struct record r = {0};
	uint32_t files = PF_STAT;

	if (probe) { /* the cheap tier's schedstat, read this tick */
		r.u.sample.s.run_ns = probe->run_ns;
		r.u.sample.s.wait_ns = probe->wait_ns;
		r.u.sample.s.slices = probe->slices;
		r.u.sample.s.have |= PF_SCHEDSTAT;
	}

	if (ps->matched == 1)
		files |= p->cfg.process_files;
	/* Cheap-tier candidates carry their schedstat in every sample: it tells
	 * consumers (taskstats) that a sample comes whenever the process ran. */
	if (!probe && p->cfg.sample_on_run && p->cfg.scan_all &&
	    (!ps->start || (ps->nthreads == 1 && ps->matched == 0)))
		files |= PF_SCHEDSTAT;
	r.u.sample.scope = SCOPE_PROCESS;
	/* -p TID of a non-leader: the "process" is that thread, read from its
	 * own files (its CPU, faults, I/O; memory and fds are the process's),
	 * keyed by its tid so that no consumer takes it for the whole group. */
	char prefix[32] = "";
	if (ps->only_tid)
		snprintf(prefix, sizeof(prefix), "task/%d/", ps->only_tid);
	int rc = read_files(p, ps->dirfd, prefix, ps->fds, files, &r.u.sample.s, r.comm, NULL);
	if (rc == -EACCES && !ps->start)
		return 0; /* keep the slot: reopening it every tick would cost more */
	if (rc)
		return -ESRCH;
	struct proc_sample *s = &r.u.sample.s;
	/* Kept fds of a real task die with it (ESRCH); a changed start time
	 * behind the same fd means another task (a rewritten tree): the old one
	 * is gone and the new one is opened afresh. */
	if (ps->start && s->starttime != ps->start)
		return -ESRCH;
	if (!ps->start) {
		ps->start = s->starttime;
		memcpy(ps->comm, r.comm, sizeof(ps->comm));
		ps->last_cpu_ticks = s->utime + s->stime;
	}
	if (memcmp(ps->comm, r.comm, sizeof(ps->comm)) != 0) {
		memcpy(ps->comm, r.comm, sizeof(ps->comm)); /* exec or prctl: re-match */
		ps->matched = -1;
	}
	if (ps->matched < 0) {
		ps->matched = decide_match(p, ps);
		if (ps->matched == 1 && (p->cfg.process_files & ~files)) {
			files |= p->cfg.process_files;
			read_files(p, ps->dirfd, prefix, ps->fds, files & ~PF_STAT, s, NULL, NULL);
		}
	}
	ps->nthreads = s->num_threads;
	if (s->have & PF_SCHEDSTAT)
		ps->last_run_ns = s->run_ns;
	uint64_t cpu = s->utime + s->stime;
	if (cpu > ps->last_cpu_ticks)
		ps->hot_until = p->gen + p->cfg.hot_hold_ticks;
	ps->last_cpu_ticks = cpu;
	r.key = (struct task_key){ps->tgid, ps->only_tid ? ps->only_tid : ps->tgid, ps->start};
	if (ps->matched == 1 || p->cfg.scan_all)
		emit_sample(p, sink, now, &r, NULL);

	sample_hot_threads(p, ps, sink, now);
	return ps->matched == 1;
}

/* Host-wide cheap tier for a single-thread process that is not a target: the
 * leader's schedstat (one short pread, a fifth of stat's cost) tells whether
 * it ran. Every cheap_stat_every ticks, staggered by pid, it is looked at
 * again: without sample_on_run by a stat read (comm, thread count: a thread
 * it started is noticed then); with it, by statm, and sampled only if its
 * RSS moved (reclaim, swap), since whatever else can change needs it to run,
 * and a run is sampled at once. */
static int cheap_eligible(const struct procfs *p, const struct pslot *ps)
{
	return p->cfg.cheap_stat_every > 1 && p->cfg.scan_all && ps->matched == 0 && ps->start &&
	       ps->nthreads == 1 && ps->fds[file_index(PF_SCHEDSTAT)] != FD_DENIED &&
	       ps->fds[file_index(PF_SCHEDSTAT)] != FD_ABSENT;
}

static int refresh_tick(const struct procfs *p, const struct pslot *ps)
{
	return (p->gen + (uint32_t)ps->tgid) % p->cfg.cheap_stat_every == 0;
}

static int sample_cheap(struct procfs *p, struct pslot *ps, const struct record_sink *sink,
			uint64_t now, int refresh)
{
	struct proc_sample s;
	uint32_t want = PF_SCHEDSTAT;

	s.have = 0;
	if (refresh && ps->fds[file_index(PF_STATM)] != FD_DENIED &&
	    ps->fds[file_index(PF_STATM)] != FD_ABSENT)
		want |= PF_STATM;
	if (read_files(p, ps->dirfd, "", ps->fds, want, &s, NULL, NULL))
		return -ESRCH;
	if (!(s.have & PF_SCHEDSTAT) || (refresh && !(s.have & PF_STATM)))
		return sample_process(p, ps, sink, now, NULL); /* unreadable: the stat way */
	int ran = ps->last_run_ns && s.run_ns != ps->last_run_ns;
	if (ran)
		ps->hot_until = p->gen + p->cfg.hot_hold_ticks;
	ps->last_run_ns = s.run_ns;
	/* A process that did not run cannot have faulted, switched, done I/O
	 * or accrued a delay: only its RSS can drift, which statm shows (its
	 * per-CPU counters are summed differently from stat's: compare statm
	 * with statm). */
	int rss_moved = 0;
	if (refresh) {
		rss_moved = ps->last_statm && s.statm_resident != ps->last_statm;
		ps->last_statm = s.statm_resident;
	}
	if (p->cfg.sample_on_run && (ran || rss_moved))
		return sample_process(p, ps, sink, now, &s);
	sample_hot_threads(p, ps, sink, now);
	return 0;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

int procfs_tick(struct procfs *p, uint64_t now_ns, const struct record_sink *sink)
{
	uint64_t c0 = thread_cpu_ns();
	size_t it = 0;
	struct pslot *ps;
	int alive = 0;
	int listed = !(!p->cfg.scan_all && p->cfg.targets && targets_only_pids(p->cfg.targets));

	int32_t reopen[32];
	int nreopen = 0;

	p->gen++;
	p->stats.ticks++;
	/* With the cheap tier, /proc is listed every list_every ticks: in
	 * between, a vanished process is seen by its kept fd (ESRCH). */
	uint32_t list_every = p->cfg.list_every ? p->cfg.list_every : p->cfg.cheap_stat_every;
	int probed = 0;
	if (listed && list_every > 1 && p->gen % list_every != 1) {
		listed = 0;
	} else if (listed && list_every == 1 && p->cfg.cheap_stat_every > 1 && probe_new(p)) {
		listed = 0, probed = 1; /* new pids opened, the dead seen by their fds */
	} else {
		/* the cursor is read before the listing: a pid allocated during
		 * it is probed next tick (an already open one is skipped) */
		if (listed && list_every == 1 && p->cfg.cheap_stat_every > 1) {
			p->last_pid = read_last_pid(p);
			p->full_gen = p->gen;
			p->nretry = 0;
		}
		discover(p);
	}
	while ((ps = taskmap_next(p->procs, &it, NULL, NULL))) {
		int cheap = cheap_eligible(p, ps), refresh = cheap && refresh_tick(p, ps);
		int rc = (listed && ps->seen_gen != p->gen) ? -ESRCH
			 : cheap && (!refresh || p->cfg.sample_on_run)
			     ? sample_cheap(p, ps, sink, now_ns, refresh)
			     : sample_process(p, ps, sink, now_ns, NULL);
		if (rc == -ESRCH) {
			/* Listed this tick but its old files are dead: the pid may
			 * already belong to a new task. */
			if ((listed || probed) && ps->seen_gen == p->gen && ps->start &&
			    nreopen < 32)
				reopen[nreopen++] = ps->tgid;
			drop_threads(p, ps, sink, now_ns);
			if (ps->start && (ps->matched == 1 || p->cfg.scan_all)) {
				emit_gone(sink, now_ns, ps->tgid,
					  ps->only_tid ? ps->only_tid : ps->tgid, ps->start,
					  ps->comm, SCOPE_PROCESS);
				p->stats.gone++;
			}
			drop_process(p, ps);
			continue;
		}
		alive += rc;
	}
	for (int i = 0; i < nreopen; i++) {
		ps = open_process(p, reopen[i], OPEN_LISTED);
		if (!ps)
			continue;
		ps->seen_gen = p->gen;
		int rc = sample_process(p, ps, sink, now_ns, NULL);
		if (rc == -ESRCH)
			drop_process(p, ps);
		else
			alive += rc;
	}
	p->stats.tick_ns_total += thread_cpu_ns() - c0;
	p->stats.alive = (uint64_t)alive;
	return alive;
}

void procfs_follow(struct procfs *p, int32_t tgid)
{
	if (p->nfollow < (int)(sizeof(p->follow) / sizeof(p->follow[0])))
		p->follow[p->nfollow++] = tgid;
}

void procfs_status(const struct procfs *p, struct source_status *st)
{
	static const char *const why[NFILES] = {
	    [4] = "io (needs ptrace access: CAP_SYS_PTRACE+CAP_DAC_READ_SEARCH for other users)",
	    [5] = "syscall (needs ptrace access)",
	    [9] = "stack (needs CAP_SYS_ADMIN)",
	};
	char msg[256] = "";
	size_t off = 0;

	for (int i = 0; i < NFILES; i++) {
		if (!p->denied[i] || off >= sizeof(msg))
			continue;
		off += (size_t)snprintf(msg + off, sizeof(msg) - off, "%s%s denied for %llu tasks",
					off ? "; " : "", why[i] ? why[i] : file_names[i],
					(unsigned long long)p->denied[i]);
	}
	st->events = p->stats.samples;
	if (msg[0])
		source_set(st, SOURCE_DEGRADED, "%s", msg);
	else
		source_set(st, SOURCE_OK, "%s", "");
}

const struct procfs_stats *procfs_get_stats(const struct procfs *p)
{
	return &p->stats;
}

int procfs_root_fd(const struct procfs *p)
{
	return p->rootfd;
}
