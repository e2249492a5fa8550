/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The procfs source (see procfs.h). Per tick: list processes (or look up the
 * named pids), read each process's stat through its kept fd, decide which
 * processes are deep-sampled (targets) or hot, read their threads' files, and
 * sweep what vanished. Reading a sample allocates nothing once slots exist;
 * listing a process's threads again (list_threads) builds a new tid array.
 */
#include "sources/procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/fileio.h"
#include "core/taskmap.h"
#include "sources/procfs_budget.h"
#include "sources/procfs_coverage.h"
#include "sources/procfs_files.h"
#include "sources/procfs_parse.h"

#define NFILES	  PROCFS_NFILES
#define FD_NONE	  (-1)
#define FD_DENIED (-2)
#define FD_ABSENT (-3)
/* Probe at most this many new pids instead of listing /proc (a probe costs
 * about as much as listing 8-30 entries). */
#define PROBE_MAX     512
#define PROBE_RETRIES 64
#define IDX_STAT      0
#define IDX_SCHEDSTAT 1
/* Descriptors kept below the soft RLIMIT_NOFILE: the rest of procimage (the
 * store, sockets, the report) and one-off opens need room too. */
#define FD_MARGIN_MIN 256

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
	uint8_t hot;	      /* in the active tier (p->hot) */
	uint8_t reads;	      /* reads so far, up to 2: at 1 no change could be seen */
	uint8_t running;      /* stat's state was R at its last read */
	uint32_t fresh_gen;   /* tick it was first seen */
};

struct tslot {
	int32_t tgid;
	uint64_t start;
	int fds[NFILES];
	uint32_t seen_gen;
	char comm[16];
	uint64_t last_run_ns; /* schedstat at its last read */
	uint32_t hot_until;   /* read every tick until then (its run time moved) */
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
	/* Descriptor budget: kept fds (dirfds and files) stay below fd_cap;
	 * the idle tier may keep them only below fd_idle_cap, so that the
	 * active tier always finds room. Beyond, files are opened, read and
	 * closed. */
	int nkept, fd_cap, fd_idle_cap, keep_hot;
	int promoting; /* every thread is read once when its process turns active */
	/* Host-wide tiers (scan_all): the active processes, the ones first
	 * seen this tick, the idle tier's round-robin cursor. */
	int tiered, baseline;
	int32_t *hot, *fresh;
	int nhot, caphot, nfresh, capfresh;
	size_t idle_it;
	uint32_t period_min, thread_hold, full_every;
	int32_t self_tgid;			 /* procimage itself: never in the active tier */
	uint32_t hot_threads, idle_thread_reads; /* this tick */
	struct procfs_budget budget;
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

/* Raise the soft RLIMIT_NOFILE to the hard one and budget below it. */
static void fd_budget_init(struct procfs *p)
{
	struct rlimit rl;
	long cur = 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
			getrlimit(RLIMIT_NOFILE, &rl);
		}
		cur = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1 << 24) ? (1 << 24)
									      : (long)rl.rlim_cur;
	}
	long margin = cur / 10 > FD_MARGIN_MIN ? cur / 10 : FD_MARGIN_MIN;
	p->fd_cap = cur > 2 * margin ? (int)(cur - margin) : (int)(cur / 2);
	p->fd_idle_cap = p->fd_cap - p->fd_cap / 4;
}

/* Host-wide tiers: the idle period's bounds and how long activity keeps a
 * process or thread in the active tier. Below 100 ms intervals (sched,
 * triage) the idle tier is read every 250 ms at best and threads' first
 * reads are baselines for runs that begin before a promotion; at 100 ms and
 * above (resource, record) every process is probed every interval while the
 * budget allows. */
static void tiers_init(struct procfs *p)
{
	uint64_t iv = p->cfg.interval_ns ? p->cfg.interval_ns : NS_PER_S;
	uint32_t pmax;

	p->tiered = 1;
	p->baseline = !p->cfg.sample_on_run;
	p->period_min = p->baseline ? (uint32_t)((250 * NS_PER_MS + iv - 1) / iv) : 1;
	if (!p->period_min)
		p->period_min = 1;
	/* The idle tier is read every 2 s (5 s at per-interval rates) even
	 * when that costs more than the budget: a hog is then found within
	 * 2 s whatever the host, and the report says the budget was exceeded. */
	pmax = (uint32_t)((p->baseline ? 2 : 5) * NS_PER_S / iv);
	p->thread_hold = p->period_min > 2 ? p->period_min : 2;
	/* a full listing every 5 s; the pid cursor finds new pids between */
	p->full_every = (uint32_t)(5 * NS_PER_S / iv);
	if (p->full_every < 1)
		p->full_every = 1;
	pb_init(&p->budget, iv, p->cfg.budget_pct, p->period_min, pmax);
	p->self_tgid = p->same_pidns ? (int32_t)getpid() : 0;
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
	fd_budget_init(p);
	if (p->cfg.scan_all)
		tiers_init(p);
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

static void close_fds(struct procfs *p, int *fds)
{
	for (int i = 0; i < NFILES; i++) {
		if (fds[i] >= 0) {
			close(fds[i]);
			p->nkept--;
		}
		fds[i] = FD_NONE;
	}
}

/* Close the kept fds but remember the files that are denied or absent. */
static void release_fds(struct procfs *p, int *fds, int keep_idx)
{
	for (int i = 0; i < NFILES; i++)
		if (fds[i] >= 0 && i != keep_idx) {
			close(fds[i]);
			p->nkept--;
			fds[i] = FD_NONE;
		}
}

static int list_add(int32_t **v, int *n, int *cap, int32_t x)
{
	if (*n == *cap) {
		int nc = *cap ? *cap * 2 : 64;
		int32_t *nv = realloc(*v, (size_t)nc * sizeof(*nv));
		if (!nv)
			return -1;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = x;
	return 0;
}

static void hot_remove(struct procfs *p, struct pslot *ps)
{
	if (!ps->hot)
		return;
	ps->hot = 0;
	for (int i = 0; i < p->nhot; i++)
		if (p->hot[i] == ps->tgid) {
			p->hot[i] = p->hot[--p->nhot];
			break;
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
		close_fds(p, ts->fds);
		taskmap_del(p->threads, ps->tids[i], 0);
	}
	free(ps->tids);
	ps->tids = NULL;
	ps->ntids = ps->captids = 0;
}

static void drop_process(struct procfs *p, struct pslot *ps)
{
	drop_threads(p, ps, NULL, 0);
	close_fds(p, ps->fds);
	if (ps->dirfd >= 0) {
		close(ps->dirfd);
		p->nkept--;
	}
	ps->dirfd = -1;
	hot_remove(p, ps);
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
			close_fds(p, ((struct tslot *)v)->fds);
	taskmap_free(p->procs);
	taskmap_free(p->threads);
	if (p->rootfd >= 0)
		close(p->rootfd);
	if (p->loadavg_fd >= 0)
		close(p->loadavg_fd);
	free(p->hot);
	free(p->fresh);
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

/* May one more fd be kept? The active tier up to fd_cap, the idle one up to
 * fd_idle_cap. */
static int may_keep(const struct procfs *p)
{
	return p->nkept < (p->keep_hot || !p->tiered ? p->fd_cap : p->fd_idle_cap);
}

/* Out of descriptors (EMFILE/ENFILE): never a sign that the task is gone.
 * Keep fewer from now on. */
static int fd_exhausted(struct procfs *p, int e)
{
	if (e != EMFILE && e != ENFILE)
		return 0;
	p->stats.emfile++;
	if (p->nkept > 2 * FD_MARGIN_MIN) {
		p->fd_cap = p->nkept - FD_MARGIN_MIN;
		p->fd_idle_cap = p->fd_cap - p->fd_cap / 4;
	}
	return 1;
}

/* Read one file through its kept fd (opened on first use relative to dirfd;
 * when the descriptor budget is spent, opened, read and closed). Returns
 * bytes, or -errno; ESRCH/ENOENT mean the task is gone, -EAGAIN that it
 * could not be read now (no descriptor). */
static ssize_t read_kept(struct procfs *p, int dirfd, const char *rel, int *fdp, int idx)
{
	ssize_t n;
	int transient = 0, rfd = *fdp;

	if (*fdp == FD_DENIED || *fdp == FD_ABSENT)
		return -EACCES;
	if (*fdp == FD_NONE) {
		/* /proc files are regular files, never symlinks: a --proc-root tree
		 * must not lead us to a FIFO (would block), a device or outside. */
		int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		p->stats.opens++;
		if (fd < 0 && fd_exhausted(p, errno))
			return -EAGAIN;
		if (fd >= 0 && !p->real_proc && !is_regular(fd)) {
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
		rfd = fd;
		if (may_keep(p)) {
			*fdp = fd;
			p->nkept++;
		} else {
			transient = 1;
			p->stats.transient++;
		}
	}
	do
		n = pread(rfd, p->buf, sizeof(p->buf) - 1, 0);
	while (n < 0 && errno == EINTR);
	p->stats.preads++;
	if (transient)
		close(rfd);
	if (n < 0) {
		int e = errno;
		if (e == EACCES || e == EPERM) {
			if (!transient) {
				close(*fdp);
				p->nkept--;
			}
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
			snprintf(rel, sizeof(rel), "%s%s", prefix, procfs_files[idx].name);
		if (bit == PF_FDS) {
			int n = count_fds(dirfd, rel);
			if (n >= 0) {
				s->nr_fds = n;
				s->have |= PF_FDS;
			}
			continue;
		}
		ssize_t n = read_kept(p, dirfd, rel, &fds[idx], idx);
		if (n == -EAGAIN)
			return -EAGAIN; /* no descriptor: not read this time */
		if (idx == 0 && (n == -EACCES || n == -EPERM || n == -EINVAL))
			return -EACCES; /* stat refused (hidepid=1, odd tree): no identity */
		if (n == -ESRCH || (n < 0 && idx == 0))
			return -ESRCH;
		if (n < 0)
			continue;
		if (n == 0 && idx == 0)
			return -ESRCH; /* a reaped task reads empty */
		if (procfs_files[idx].parse) {
			procfs_files[idx].parse(p->buf, s);
		} else if (bit == PF_STAT) {
			if (procfs_parse_stat(p->buf, s, comm, 16))
				return -ESRCH;
		} else if (bit == PF_STACK) {
			/* Kept in the shared buffer: copy to the tail for the record. */
			if (stack_text && n > 0 && (size_t)n < sizeof(p->buf) / 2) {
				char *dst = p->buf + sizeof(p->buf) / 2;
				memcpy(dst, p->buf, (size_t)n + 1);
				*stack_text = dst;
			}
			s->have |= PF_STACK;
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
	if (dfd < 0) {
		fd_exhausted(p, errno);
		return NULL;
	}
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
	p->nkept++;
	ps->matched = -1;
	for (int i = 0; i < NFILES; i++)
		ps->fds[i] = FD_NONE;
	if (p->tiered) {
		ps->fresh_gen = p->gen;
		list_add(&p->fresh, &p->nfresh, &p->capfresh, tgid);
	}
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
			close_fds(p, ts->fds);
			taskmap_del(p->threads, ps->tids[i], 0);
		}
	}
	free(ps->tids);
	ps->tids = fresh;
	ps->ntids = n;
	ps->captids = cap;
	ps->threads_gen = p->gen;
}

/* Is this thread read this tick? Outside the tiers always; inside, while it
 * is active (its run time moved lately), else once an idle period,
 * staggered by tid. */
static int thread_due(const struct procfs *p, const struct tslot *ts, int32_t tid, int created)
{
	if (!p->tiered || created || !ts->start || p->gen <= ts->hot_until || p->promoting)
		return 1;
	return (p->gen + (uint32_t)tid) % p->budget.period == 0;
}

static void sample_threads(struct procfs *p, struct pslot *ps, uint32_t files,
			   const struct record_sink *sink, uint64_t now, int all)
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
		if (!all && !thread_due(p, ts, tid, created))
			continue;
		int active = !p->tiered || created || !ts->start || p->gen <= ts->hot_until;
		int keep_was = p->keep_hot;
		snprintf(prefix, sizeof(prefix), "task/%d/", tid);
		r.u.sample.scope = SCOPE_THREAD;
		/* stat is read once for identity (start time) and comm; after
		 * that only what the images asked for: a schedstat-only tier
		 * costs one pread per thread. A dead thread's kept fd reads
		 * ESRCH, so exits are still seen. An idle thread of the tiers
		 * is read for its schedstat alone. */
		uint32_t want = active ? files : PF_SCHEDSTAT;
		if (!ts->start)
			want |= PF_STAT;
		p->keep_hot = active && !all;
		int rc =
		    read_files(p, ps->dirfd, prefix, ts->fds, want, &r.u.sample.s, r.comm, &stack);
		p->keep_hot = keep_was;
		if (rc == -EAGAIN)
			continue; /* no descriptor now: next time */
		if (rc) {
			/* Never sampled: it vanished between readdir and open. */
			if (ts->start) {
				emit_gone(sink, now, ps->tgid, tid, ts->start, NULL, SCOPE_THREAD);
				p->stats.gone++;
			}
			close_fds(p, ts->fds);
			taskmap_del(p->threads, tid, 0);
			ps->tids[i--] = ps->tids[--ps->ntids];
			continue;
		}
		/* Promoted and this thread ran: the rest of its files now, so that
		 * its counters share the window of its CPU (not a tick later). */
		if (!active && p->promoting && (r.u.sample.s.have & PF_SCHEDSTAT) &&
		    ts->last_run_ns && r.u.sample.s.run_ns != ts->last_run_ns &&
		    (files & ~(want | PF_STAT))) {
			p->keep_hot = 1;
			read_files(p, ps->dirfd, prefix, ts->fds, files & ~(want | PF_STAT),
				   &r.u.sample.s, NULL, NULL);
			p->keep_hot = keep_was;
		}
		if (active)
			p->hot_threads++;
		else
			p->idle_thread_reads++;
		if (r.u.sample.s.have & PF_STAT) {
			ts->start = r.u.sample.s.starttime;
			memcpy(ts->comm, r.comm, sizeof(ts->comm));
		} else {
			memcpy(r.comm, ts->comm, sizeof(r.comm));
		}
		if (r.u.sample.s.have & PF_SCHEDSTAT) {
			if (ts->last_run_ns && r.u.sample.s.run_ns != ts->last_run_ns)
				ts->hot_until = p->gen + p->thread_hold;
			ts->last_run_ns = r.u.sample.s.run_ns;
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
	if (p->tiered && ps->tgid == p->self_tgid)
		tfiles = 0; /* procimage is never its own hog */
	if (tfiles)
		sample_threads(p, ps, tfiles, sink, now, 0);
	else if (ps->tids && !p->tiered)
		drop_threads(p, ps, NULL, 0); /* cooled down: forget quietly */
}

/* A thread-scope copy of a single-thread process's sample: the same task's
 * schedstat, the sched image's baseline for a run that begins while the
 * process is in the idle tier. */
static void emit_as_thread(struct procfs *p, const struct record_sink *sink, uint64_t now,
			   const struct pslot *ps, const struct proc_sample *s)
{
	struct record r = {0};

	if (!p->baseline || ps->tgid == p->self_tgid || !(s->have & PF_SCHEDSTAT))
		return;
	r.u.sample.scope = SCOPE_THREAD;
	r.u.sample.s = *s;
	memcpy(r.comm, ps->comm, sizeof(r.comm));
	r.key = (struct task_key){ps->tgid, ps->tgid, ps->start};
	emit_sample(p, sink, now, &r, NULL);
}

/* Process one process for this tick. 1 if it is a live target, 0 if not,
 * -ESRCH if it vanished. `probe`: its schedstat, already read this tick. */
static int sample_process(struct procfs *p, struct pslot *ps, const struct record_sink *sink,
			  uint64_t now, const struct proc_sample *probe)
{
	struct record r = {0};
	uint32_t files = PF_STAT;

	if (probe) { /* the idle tier's schedstat, read this tick */
		r.u.sample.s.run_ns = probe->run_ns;
		r.u.sample.s.wait_ns = probe->wait_ns;
		r.u.sample.s.slices = probe->slices;
		r.u.sample.s.have |= PF_SCHEDSTAT;
	}

	if (ps->matched == 1)
		files |= p->cfg.process_files;
	else if (p->tiered && (ps->hot || !ps->start))
		files |= p->cfg.hot_process_files;
	/* Host-wide, a single-thread process carries its schedstat in every
	 * sample: it tells consumers (taskstats) that a sample comes whenever
	 * the process ran, and it is the probe of the idle tier. */
	if (!probe && p->tiered && (!ps->start || (ps->nthreads == 1 && ps->matched == 0)) &&
	    ps->fds[IDX_SCHEDSTAT] != FD_DENIED && ps->fds[IDX_SCHEDSTAT] != FD_ABSENT)
		files |= PF_SCHEDSTAT;
	r.u.sample.scope = SCOPE_PROCESS;
	/* -p TID of a non-leader: the "process" is that thread, read from its
	 * own files (its CPU, faults, I/O; memory and fds are the process's),
	 * keyed by its tid so that no consumer takes it for the whole group. */
	char prefix[32] = "";
	if (ps->only_tid)
		snprintf(prefix, sizeof(prefix), "task/%d/", ps->only_tid);
	int rc = read_files(p, ps->dirfd, prefix, ps->fds, files, &r.u.sample.s, r.comm, NULL);
	if (rc == -EAGAIN || (rc == -EACCES && !ps->start))
		return 0; /* keep the slot: reopening it every tick would cost more */
	if (rc)
		return -ESRCH;
	struct proc_sample *s = &r.u.sample.s;
	/* Kept fds of a real task die with it (ESRCH); a changed start time
	 * behind the same fd means another task (a rewritten tree): the old one
	 * is gone and the new one is opened afresh. */
	if (ps->start && s->starttime != ps->start)
		return -ESRCH;
	int first = !ps->start;
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
	ps->running = (s->have & PF_STAT) && s->state == 'R';
	if (ps->reads < 2)
		ps->reads++;
	uint64_t cpu = s->utime + s->stime;
	if (cpu > ps->last_cpu_ticks ||
	    (!first && (s->have & PF_SCHEDSTAT) && ps->last_run_ns && s->run_ns != ps->last_run_ns))
		ps->hot_until = p->gen + p->cfg.hot_hold_ticks;
	if (s->have & PF_SCHEDSTAT)
		ps->last_run_ns = s->run_ns;
	ps->last_cpu_ticks = cpu;
	r.key = (struct task_key){ps->tgid, ps->only_tid ? ps->only_tid : ps->tgid, ps->start};
	if (ps->matched == 1 || p->cfg.scan_all)
		emit_sample(p, sink, now, &r, NULL);
	if (first && p->tiered && ps->nthreads == 1)
		emit_as_thread(p, sink, now, ps, s);

	sample_hot_threads(p, ps, sink, now);
	return ps->matched == 1;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* --- host-wide tiers (scan_all) --- */

/* The file an idle process is probed with: schedstat when it has one thread
 * (its run time in ns: any run moves it), else stat (the group's CPU). */
static int probe_index(const struct pslot *ps)
{
	return ps->nthreads == 1 && ps->fds[IDX_SCHEDSTAT] != FD_DENIED &&
		       ps->fds[IDX_SCHEDSTAT] != FD_ABSENT
		   ? IDX_SCHEDSTAT
		   : IDX_STAT;
}

/* Into the idle tier: keep at most the probe's fd (opened through the
 * dirfd, so that it is bound to this task), close the dirfd, the other files
 * and the threads' fds. */
static void demote(struct procfs *p, struct pslot *ps)
{
	int keep = probe_index(ps);

	hot_remove(p, ps);
	release_fds(p, ps->fds, keep);
	for (int i = 0; i < ps->ntids; i++) {
		struct tslot *ts = taskmap_get(p->threads, ps->tids[i], 0);
		if (ts)
			release_fds(p, ts->fds, -1);
	}
	if (ps->fds[keep] >= 0 && p->nkept > p->fd_idle_cap) {
		close(ps->fds[keep]);
		ps->fds[keep] = FD_NONE;
		p->nkept--;
	} else if (ps->fds[keep] == FD_NONE && ps->dirfd >= 0 && p->nkept <= p->fd_idle_cap) {
		int fd = openat(ps->dirfd, procfs_files[keep].name,
				O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		p->stats.opens++;
		if (fd >= 0 && (p->real_proc || is_regular(fd))) {
			ps->fds[keep] = fd;
			p->nkept++;
		} else if (fd >= 0) {
			close(fd);
		}
	}
	if (ps->dirfd >= 0) {
		close(ps->dirfd);
		ps->dirfd = -1;
		p->nkept--;
	}
}

/* Into the active tier: its dirfd back (a pid reused meanwhile is caught
 * by the start time of the stat read that follows). 0, -ESRCH, -EAGAIN. */
static int promote(struct procfs *p, struct pslot *ps)
{
	if (ps->tgid == p->self_tgid)
		return 0;
	if (ps->dirfd < 0) {
		char name[16];
		snprintf(name, sizeof(name), "%d", ps->tgid);
		ps->dirfd =
		    openat(p->rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		p->stats.opens++;
		if (ps->dirfd < 0)
			return fd_exhausted(p, errno) ? -EAGAIN : -ESRCH;
		p->nkept++;
	}
	if (!ps->hot) {
		ps->hot = 1;
		list_add(&p->hot, &p->nhot, &p->caphot, ps->tgid);
	}
	return 0;
}

/* Read an idle process's probe. Fills s; 1 if it ran (or its RSS moved),
 * 0 if not, -ESRCH if it is gone, -EAGAIN if it could not be read. Without
 * a kept fd the probe is its stat by path, whose start time says that the
 * pid still names the same task. */
static int probe_idle(struct procfs *p, struct pslot *ps, struct proc_sample *s)
{
	int idx = probe_index(ps);
	ssize_t n;

	s->have = 0;
	if (ps->fds[idx] >= 0) {
		do
			n = pread(ps->fds[idx], p->buf, sizeof(p->buf) - 1, 0);
		while (n < 0 && errno == EINTR);
		p->stats.preads++;
	} else {
		char rel[32];
		idx = IDX_STAT;
		snprintf(rel, sizeof(rel), "%d/stat", ps->tgid);
		int fd = openat(p->rootfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		p->stats.opens++;
		p->stats.transient++;
		if (fd < 0)
			return fd_exhausted(p, errno) ? -EAGAIN : -ESRCH;
		do
			n = read(fd, p->buf, sizeof(p->buf) - 1);
		while (n < 0 && errno == EINTR);
		p->stats.preads++;
		close(fd);
	}
	if (n <= 0)
		return -ESRCH; /* ESRCH: it died; empty: reaped */
	p->buf[n] = '\0';
	p->stats.idle_reads++;
	if (ps->reads < 2)
		ps->reads++;
	if (idx == IDX_SCHEDSTAT) {
		procfs_parse_schedstat(p->buf, s);
		if (!(s->have & PF_SCHEDSTAT))
			return -EAGAIN;
		int ran = s->run_ns != ps->last_run_ns;
		ps->last_run_ns = s->run_ns;
		return ran;
	}
	char comm[16];
	if (procfs_parse_stat(p->buf, s, comm, sizeof(comm)) || s->starttime != ps->start)
		return -ESRCH;
	uint64_t cpu = s->utime + s->stime;
	/* strncmp, not memcmp: the bytes after the name's NUL are not part of
	 * it (comparing them promoted every multi-thread process at every
	 * probe, and read all its threads each time). */
	int ran = cpu != ps->last_cpu_ticks || s->num_threads != ps->nthreads ||
		  strncmp(comm, ps->comm, sizeof(comm)) != 0;
	ps->last_cpu_ticks = cpu;
	return ran;
}

/* resource and record (sample_on_run): a process that did not run keeps
 * its gauges but RSS, which reclaim and swap move: statm every ~5 s. */
static int rss_moved(struct procfs *p, struct pslot *ps)
{
	char rel[32];
	struct proc_sample s;

	if (!p->cfg.sample_on_run || p->cfg.cheap_stat_every < 2 || ps->nthreads != 1 ||
	    (p->gen + (uint32_t)ps->tgid) % p->cfg.cheap_stat_every)
		return 0;
	snprintf(rel, sizeof(rel), "%d/statm", ps->tgid);
	s.have = 0;
	if (procfs_read_file(p->rootfd, rel, p->buf, sizeof(p->buf)) <= 0)
		return 0;
	p->stats.opens++;
	p->stats.transient++;
	procfs_parse_statm(p->buf, &s);
	int moved = ps->last_statm && s.statm_resident != ps->last_statm;
	ps->last_statm = s.statm_resident;
	return moved;
}

static void process_gone(struct procfs *p, struct pslot *ps, const struct record_sink *sink,
			 uint64_t now)
{
	drop_threads(p, ps, sink, now);
	if (ps->start) {
		emit_gone(sink, now, ps->tgid, ps->only_tid ? ps->only_tid : ps->tgid, ps->start,
			  ps->comm, SCOPE_PROCESS);
		p->stats.gone++;
	}
	drop_process(p, ps);
}

/* A process seen for the first time: a full read (its identity, and the
 * baseline of every thread for the sched image), then the idle tier unless
 * its CPU is already moving. */
static void tier_first(struct procfs *p, struct pslot *ps, const struct record_sink *sink,
		       uint64_t now)
{
	int rc = sample_process(p, ps, sink, now, NULL);

	if (rc == -ESRCH) {
		process_gone(p, ps, sink, now);
		return;
	}
	if (!ps->start) /* refused (hidepid, odd tree) or no descriptor yet */
		return;
	if (p->baseline && ps->nthreads > 1 && ps->tgid != p->self_tgid && ps->dirfd >= 0)
		sample_threads(p, ps, PF_SCHEDSTAT, sink, now, 1);
	/* Per-interval rates (resource, record): the threads' counters too,
	 * once, so that a process already running has a baseline of every
	 * counter from the first tick (else its first active interval is lost). */
	else if (p->cfg.sample_on_run && ps->tgid != p->self_tgid && ps->dirfd >= 0 &&
		 (p->cfg.hot_files & (PF_SCHEDSTAT | PF_IO | PF_STATUS)))
		sample_threads(p, ps, p->cfg.hot_files & (PF_SCHEDSTAT | PF_IO | PF_STATUS), sink,
			       now, 1);
	/* On CPU or runnable at first sight (a hog already running when the
	 * scan starts): active from the next tick, so that its run is measured
	 * from here rather than cut at a promotion one idle period later. It
	 * goes back to the idle tier after hot_hold_ticks if it does not move. */
	if (p->baseline && ps->running && ps->tgid != p->self_tgid && promote(p, ps) == 0) {
		ps->hot_until = p->gen + p->cfg.hot_hold_ticks;
		return;
	}
	demote(p, ps);
}

/* An idle process's probe moved: into the active tier, read fully now. */
static void tier_promote(struct procfs *p, struct pslot *ps, const struct record_sink *sink,
			 uint64_t now, const struct proc_sample *probe)
{
	int rc = promote(p, ps);

	if (rc == 0) {
		ps->hot_until = p->gen + p->cfg.hot_hold_ticks;
		p->keep_hot = 1;
		p->promoting = 1; /* which of its threads moved? each one's schedstat */
		rc = sample_process(p, ps, sink, now, probe && probe->have ? probe : NULL);
		p->keep_hot = p->promoting = 0;
	}
	if (rc == -ESRCH)
		process_gone(p, ps, sink, now);
	else if (!ps->hot)
		demote(p, ps); /* procimage itself, or no descriptor */
}

/* The pid named by a dead slot may already be a new task: open it. */
static void tier_reopen(struct procfs *p, const int32_t *pids, int n,
			const struct record_sink *sink, uint64_t now)
{
	for (int i = 0; i < n; i++) {
		if (taskmap_get(p->procs, pids[i], 0))
			continue;
		struct pslot *ps = open_process(p, pids[i], OPEN_LISTED);
		if (ps) {
			ps->seen_gen = p->gen;
			tier_first(p, ps, sink, now);
		}
	}
}

static void tier_discover(struct procfs *p, const struct record_sink *sink, uint64_t now)
{
	int full = p->gen == 1 || p->gen - p->full_gen >= p->full_every;

	if (!full && probe_new(p))
		return;
	if (!full && p->gen - p->full_gen < p->period_min)
		return; /* no cursor: list once an idle period */
	p->last_pid = read_last_pid(p);
	p->full_gen = p->gen;
	p->nretry = 0;
	discover(p);
	/* What the listing did not show is gone. */
	size_t it = 0;
	struct pslot *ps;
	while ((ps = taskmap_next(p->procs, &it, NULL, NULL)))
		if (ps->seen_gen != p->gen)
			process_gone(p, ps, sink, now);
}

/* Threads of idle groups (not read), processes held, and those read only
 * at first sight (a hog among them could not be seen). */
static void tier_counts(const struct procfs *p, struct procfs_coverage *c)
{
	size_t it = 0;
	struct pslot *ps;

	while ((ps = taskmap_next(p->procs, &it, NULL, NULL))) {
		if (!ps->hot && ps->nthreads > 1)
			c->threads_unread += (uint64_t)ps->nthreads;
		if (ps->tgid == p->self_tgid || !ps->start)
			continue;
		c->procs++;
		/* first seen long enough ago to be read again at the idle
		 * tier's best period: not read again means not seen */
		c->procs_read_once += ps->reads < 2 && p->gen - ps->fresh_gen > p->period_min + 1;
	}
}

static int tick_tiered(struct procfs *p, uint64_t now, const struct record_sink *sink)
{
	uint64_t c0 = thread_cpu_ns();
	int32_t reopen[32];
	int nreopen = 0;

	pb_tick_start(&p->budget, now);
	p->hot_threads = p->idle_thread_reads = 0;
	p->nfresh = 0;
	tier_discover(p, sink, now);

	/* The active tier: every tick, whatever the budget. */
	for (int i = p->nhot - 1; i >= 0; i--) {
		struct pslot *ps = i < p->nhot ? taskmap_get(p->procs, p->hot[i], 0) : NULL;
		if (!ps) {
			if (i < p->nhot)
				p->hot[i] = p->hot[--p->nhot];
			continue;
		}
		if (ps->fresh_gen == p->gen)
			continue;
		if (p->gen > ps->hot_until) {
			demote(p, ps);
			continue;
		}
		p->keep_hot = 1;
		int rc = sample_process(p, ps, sink, now, NULL);
		p->keep_hot = 0;
		if (rc == -ESRCH) {
			if (nreopen < 32)
				reopen[nreopen++] = ps->tgid;
			process_gone(p, ps, sink, now);
		}
	}
	uint64_t hot_procs = (uint64_t)p->nhot;

	/* First sight: a one-time cost (the first tick reads the whole host),
	 * kept out of the budget's estimate of a tick. */
	uint64_t cf = thread_cpu_ns();
	for (int i = 0; i < p->nfresh; i++) {
		struct pslot *ps = taskmap_get(p->procs, p->fresh[i], 0);
		if (ps && ps->fresh_gen == p->gen && !ps->start)
			tier_first(p, ps, sink, now);
	}

	/* The idle tier: round-robin, the same share every tick. */
	uint64_t c1 = thread_cpu_ns();
	uint64_t fresh_ns = c1 - cf;
	size_t count = taskmap_count(p->procs);
	uint64_t n_idle = count > (size_t)p->nhot ? count - (size_t)p->nhot : 0;
	uint32_t quota = pb_quota(&p->budget, n_idle), done = 0;
	uint64_t promote_ns = 0;
	struct pslot *ps;
	for (size_t visits = 0; done < quota && visits < count; visits++) {
		ps = taskmap_next(p->procs, &p->idle_it, NULL, NULL);
		if (!ps) {
			p->idle_it = 0;
			ps = taskmap_next(p->procs, &p->idle_it, NULL, NULL);
			if (!ps)
				break;
		}
		if (ps->hot || ps->fresh_gen == p->gen || !ps->start)
			continue;
		struct proc_sample s;
		int rc = probe_idle(p, ps, &s);
		done++;
		if (rc == -EAGAIN)
			continue;
		if (rc == -ESRCH) {
			if (nreopen < 32)
				reopen[nreopen++] = ps->tgid;
			process_gone(p, ps, sink, now);
			continue;
		}
		if (rc == 0 && rss_moved(p, ps))
			rc = 1;
		if (rc == 1 && ps->tgid != p->self_tgid) {
			uint64_t cp = thread_cpu_ns();
			tier_promote(p, ps, sink, now, (s.have & PF_SCHEDSTAT) ? &s : NULL);
			promote_ns += thread_cpu_ns() - cp; /* the active tier's */
			continue;
		}
		/* Quiet: the stat probe is still a process sample; the schedstat
		 * probe of a single-thread process is the sched baseline. */
		if (s.have & PF_STAT) {
			struct record r = {0};
			r.u.sample.scope = SCOPE_PROCESS;
			r.u.sample.s = s;
			memcpy(r.comm, ps->comm, sizeof(r.comm));
			r.key = (struct task_key){ps->tgid, ps->tgid, ps->start};
			emit_sample(p, sink, now, &r, NULL);
		} else {
			emit_as_thread(p, sink, now, ps, &s);
		}
	}
	uint64_t c2 = thread_cpu_ns();
	tier_reopen(p, reopen, nreopen, sink, now);
	uint64_t c3 = thread_cpu_ns();

	uint64_t idle_ns = c2 - c1 - promote_ns, other = (c3 - c0) - idle_ns;
	other = other > fresh_ns ? other - fresh_ns : 0;
	if (p->gen == 1) /* listing and opening the whole host: not a tick's cost */
		other = 0;
	/* idle threads of active processes cost about what an idle probe does */
	uint64_t thr_ns = (uint64_t)(p->budget.read_ns * p->idle_thread_reads);
	other = other > thr_ns ? other - thr_ns : 0;
	uint64_t hot_tids = 0;
	for (int i = 0; i < p->nhot; i++) {
		const struct pslot *h = taskmap_get(p->procs, p->hot[i], 0);
		if (h)
			hot_tids += (uint64_t)(h->ntids > 0 ? h->ntids : 1);
	}
	uint64_t idle_threads = hot_tids > p->hot_threads ? hot_tids - p->hot_threads : 0;
	pb_tick_end(&p->budget, idle_ns + thr_ns, done + p->idle_thread_reads, other,
		    n_idle + idle_threads, hot_procs, p->hot_threads, n_idle, idle_threads);
	p->stats.tick_ns_total += c3 - c0;
	p->stats.alive = 0;
	pb_tick_done(&p->budget, clock_mono_ns());
	return 0;
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
	if (p->tiered)
		return tick_tiered(p, now_ns, sink);
	discover(p);
	while ((ps = taskmap_next(p->procs, &it, NULL, NULL))) {
		int rc = (listed && ps->seen_gen != p->gen)
			     ? -ESRCH
			     : sample_process(p, ps, sink, now_ns, NULL);
		if (rc == -ESRCH) {
			/* Listed this tick but its old files are dead: the pid may
			 * already belong to a new task. */
			if (listed && ps->seen_gen == p->gen && ps->start && nreopen < 32)
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
	char msg[256] = "";
	size_t off = 0;

	for (int i = 0; i < NFILES; i++) {
		if (!p->denied[i] || off >= sizeof(msg))
			continue;
		const struct procfs_file *f = &procfs_files[i];
		off += (size_t)snprintf(msg + off, sizeof(msg) - off,
					"%s%s%s%s%s denied for %llu tasks", off ? "; " : "",
					f->name, f->needs ? " (" : "", f->needs ? f->needs : "",
					f->needs ? ")" : "", (unsigned long long)p->denied[i]);
	}
	st->events = p->stats.samples;
	if (msg[0])
		source_set(st, SOURCE_DEGRADED, "%s", msg);
	else
		source_set(st, SOURCE_OK, "%s", "");
}

void procfs_coverage(const struct procfs *p, struct procfs_coverage *c)
{
	const struct procfs_budget *b = &p->budget;
	double t = b->ticks ? (double)b->ticks : 1;
	memset(c, 0, sizeof(*c));
	c->tiered = p->tiered;
	c->interval_ns = p->cfg.interval_ns;
	c->fds_kept = p->nkept;
	c->fd_cap = p->fd_cap;
	c->transient = p->stats.transient;
	c->emfile = p->stats.emfile;
	if (!p->tiered)
		return;
	c->ticks = b->ticks;
	c->budget_pct = b->pct;
	c->tick_max_ns = b->max_period_ns;
	/* a quantile is its histogram bucket's upper edge: never above the
	 * longest period actually seen */
	c->tick_median_ns = pb_period_quantile(b, 0.5);
	c->tick_p99_ns = pb_period_quantile(b, 0.99);
	if (c->tick_p99_ns > c->tick_max_ns)
		c->tick_p99_ns = c->tick_max_ns;
	if (c->tick_median_ns > c->tick_max_ns)
		c->tick_median_ns = c->tick_max_ns;
	c->ticks_late = b->late;
	c->hot_procs = (double)b->sum_hot_procs / t;
	c->hot_threads = (double)b->sum_hot_threads / t;
	c->idle_procs = (double)b->sum_idle_procs / t;
	c->idle_threads = (double)b->sum_idle_threads / t;
	c->idle_period_ns = (uint64_t)((double)b->sum_period / t * (double)b->interval_ns);
	c->idle_period_max_ns = (uint64_t)b->max_idle_period * b->interval_ns;
	c->idle_period_min_ns = (uint64_t)b->period_min * b->interval_ns;
	tier_counts(p, c);
	c->ticks_over_budget = b->over_budget;
	c->cpu_pct =
	    b->ticks ? 100.0 * (double)b->cpu_ns / ((double)b->ticks * (double)b->interval_ns) : 0;
	c->self_tgid = p->self_tgid;
	c->periods = b->periods;
	c->ticks_due = pb_ticks_due(b);
	c->first_tick_ns = b->first_end > b->first_now ? b->first_end - b->first_now : 0;
	procfs_coverage_judge(c);
}

const struct procfs_stats *procfs_get_stats(const struct procfs *p)
{
	return &p->stats;
}

int procfs_root_fd(const struct procfs *p)
{
	return p->rootfd;
}
