/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The procfs source (see procfs.h): its ticks. Per tick: find the processes
 * (procfs_discover.c), read each process's stat through its kept fd
 * (procfs_read.c), decide which processes are deep-sampled (targets) or
 * hot, read their threads' files, and sweep what vanished; host-wide, the
 * active and idle tiers and their budget. Reading a sample allocates
 * nothing once slots exist; listing a process's threads again
 * (list_threads) builds a new tid array.
 */
#include "sources/procfs_int.h"

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
	p->budget.repay = p->baseline;
	p->self_tgid = p->same_pidns ? (int32_t)getpid() : 0;
	/* The light first read: in the baseline mode, when nothing but the
	 * images' thread samples is consumed, on a real procfs of our own pid
	 * namespace (where task/'s link count is the thread count). */
	p->threads_only = p->cfg.threads_only && (!p->cfg.targets || targets_empty(p->cfg.targets));
	p->light = p->baseline && p->threads_only && p->real_proc && p->same_pidns;
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
	p->own_sched_fd = FD_NONE;
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
	pf_fd_budget_init(p);
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

int pf_list_add(int32_t **v, int *n, int *cap, int32_t x)
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

static int fd_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Every descriptor the slots hold into v (NULL: only count them). */
static size_t list_kept(struct procfs *p, int *v)
{
	size_t n = 0, it = 0;
	struct pslot *ps;
	struct tslot *ts;

	while ((ps = taskmap_next(p->procs, &it, NULL, NULL))) {
		if (ps->dirfd >= 0 && v)
			v[n] = ps->dirfd;
		n += ps->dirfd >= 0;
		for (int i = 0; i < NFILES; i++) {
			if (ps->fds[i] >= 0 && v)
				v[n] = ps->fds[i];
			n += ps->fds[i] >= 0;
		}
	}
	for (it = 0; (ts = taskmap_next(p->threads, &it, NULL, NULL));)
		for (int i = 0; i < NFILES; i++) {
			if (ts->fds[i] >= 0 && v)
				v[n] = ts->fds[i];
			n += ts->fds[i] >= 0;
		}
	return n;
}

/* Close every kept descriptor, runs of consecutive numbers with one
 * close_range each: at 10,000 processes one close a descriptor was about
 * twice the CPU (each call's own entry and exit). Our descriptors only:
 * a run is made of numbers this source holds. Without close_range (before
 * Linux 5.9) a run is closed one by one; without memory for the list, the
 * caller closes each. */
static void close_kept(struct procfs *p)
{
	size_t n = list_kept(p, NULL), it = 0;
	int *v = n ? malloc(n * sizeof(*v)) : NULL;
	struct pslot *ps;
	struct tslot *ts;

	if (!v)
		return;
	list_kept(p, v);
	qsort(v, n, sizeof(*v), fd_cmp);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && v[j + 1] == v[j] + 1)
			j++;
		/* no close_range (ENOSYS before 5.9, or a seccomp filter): one by one */
		if (close_range((unsigned)v[i], (unsigned)v[j], 0) != 0)
			for (size_t k = i; k <= j; k++)
				close(v[k]);
		i = j + 1;
	}
	free(v);
	/* closed: forget them so that drop_process closes nothing twice */
	for (it = 0; (ps = taskmap_next(p->procs, &it, NULL, NULL));) {
		ps->dirfd = -1;
		for (int i = 0; i < NFILES; i++)
			if (ps->fds[i] >= 0)
				ps->fds[i] = FD_NONE;
	}
	for (it = 0; (ts = taskmap_next(p->threads, &it, NULL, NULL));)
		for (int i = 0; i < NFILES; i++)
			if (ts->fds[i] >= 0)
				ts->fds[i] = FD_NONE;
	p->nkept = 0;
}

void procfs_free(struct procfs *p)
{
	size_t it = 0;
	void *v;

	if (!p)
		return;
	if (p->procs && p->threads)
		close_kept(p);
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
	if (p->own_sched_fd >= 0)
		close(p->own_sched_fd);
	free(p->hot);
	free(p->fresh);
	free(p->second);
	free(p);
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
	int32_t *fresh = NULL, tid;
	int n = 0, cap = 0;

	if (!d)
		return;
	p->stats.listings++;
	while ((tid = pf_next_pid(d))) {
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

/* Where a thread sits in the kernel (wchan, stack, syscall) matters to the
 * sched image only for a thread in a run that pauses. With only thread
 * samples consumed, these files are read while the thread is busy (its run
 * time grew by half an interval or more, this tick or the last) rather than
 * at every tick of every active thread: wchan's symbol lookup was the
 * dearest read of a quiet host's active tier. */
#define PAUSE_FILES (PF_WCHAN | PF_STACK | PF_SYSCALL)

/* Read the pause files of a task (`*busy` its flag) if it is busy now or
 * was at its last read; `last_run` is its run time at that read. */
static void read_if_busy(struct procfs *p, int dirfd, const char *prefix, int *fds, uint32_t pause,
			 struct proc_sample *s, const char **stack, uint64_t last_run,
			 uint8_t *busy)
{
	uint64_t d =
	    (s->have & PF_SCHEDSTAT) && last_run && s->run_ns > last_run ? s->run_ns - last_run : 0;
	int now = 2 * d >= p->cfg.interval_ns;

	if (pause && (now || *busy))
		pf_read_files(p, dirfd, prefix, fds, pause, s, NULL, stack);
	*busy = (uint8_t)now;
}

/* Is this thread read this tick? Outside the tiers always; inside, while it
 * is active (its run time moved lately), else once an idle period,
 * staggered by tid. */
static int thread_due(const struct procfs *p, const struct tslot *ts, int32_t tid, int created)
{
	if (!p->tiered || created || (!ts->start && !ts->light) || p->gen <= ts->hot_until ||
	    p->promoting)
		return 1;
	return (p->gen + (uint32_t)tid) % p->budget.period == 0;
}

/* A light task (process or thread) runs: its identity is known now (its
 * stat was read). Its last quiet schedstat goes to the images as its
 * thread's sample at the time it was read, before this tick's, so that a
 * run that began in the idle tier is measured from there as for any other. */
static void emit_light_base(struct procfs *p, const struct record_sink *sink,
			    const struct light_base *b, struct task_key key, const char *comm)
{
	struct record r = {0};

	r.u.sample.scope = SCOPE_THREAD;
	r.u.sample.s.run_ns = b->run;
	r.u.sample.s.wait_ns = b->wait;
	r.u.sample.s.slices = b->slices;
	r.u.sample.s.have = PF_SCHEDSTAT;
	memcpy(r.comm, comm, sizeof(r.comm));
	r.key = key;
	emit_sample(p, sink, b->t, &r, NULL);
}

/* A quiet schedstat read at t: the base a light task's run is measured from. */
static struct light_base light_base_of(const struct proc_sample *s, uint64_t t)
{
	return (struct light_base){t, s->run_ns, s->wait_ns, s->slices};
}

/* A light thread's schedstat was read into r: quiet, it is its new base
 * (1: nothing to emit); it ran, its stat is read now and its base goes to
 * the images at the time it was read, before this read's sample (0, r
 * then holds stat too); -ESRCH: gone. */
static int light_thread(struct procfs *p, const struct pslot *ps, struct tslot *ts, int32_t tid,
			const char *prefix, struct record *r, const struct record_sink *sink,
			uint64_t now)
{
	const struct proc_sample *s = &r->u.sample.s;

	if (!(s->have & PF_SCHEDSTAT)) { /* no schedstat here: read in full from now */
		ts->light = 0;
		return pf_read_files(p, ps->dirfd, prefix, ts->fds, PF_STAT, &r->u.sample.s,
				     r->comm, NULL);
	}
	if (!ts->light || s->run_ns == ts->base.run) {
		ts->light = 1;
		ts->base = light_base_of(s, now);
		ts->last_run_ns = s->run_ns;
		p->idle_thread_reads++;
		return 1;
	}
	int rc =
	    pf_read_files(p, ps->dirfd, prefix, ts->fds, PF_STAT, &r->u.sample.s, r->comm, NULL);
	if (rc)
		return rc;
	emit_light_base(p, sink, &ts->base, (struct task_key){ps->tgid, tid, s->starttime},
			r->comm);
	ts->light = 0;
	return 0;
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
		/* The light first read of a group's threads (p->light: sched -a):
		 * schedstat alone, its stat (identity) read once it runs, as for a
		 * light process; 20,000 threads were two opens and reads each. */
		int light = ts->light || (created && all && p->light);
		int active = !p->tiered || (created && !light) || (!ts->start && !light) ||
			     p->gen <= ts->hot_until;
		int keep_was = p->keep_hot;
		snprintf(prefix, sizeof(prefix), "task/%d/", tid);
		r.u.sample.scope = SCOPE_THREAD;
		/* stat is read once for identity (start time) and comm; after
		 * that only what the images asked for: a schedstat-only tier
		 * costs one pread per thread. A dead thread's kept fd reads
		 * ESRCH, so exits are still seen. An idle thread of the tiers
		 * is read for its schedstat alone. */
		uint32_t want = active && !light ? files : PF_SCHEDSTAT;
		uint32_t pause = p->threads_only && ts->start ? want & PAUSE_FILES : 0;
		want &= ~pause;
		if (!ts->start && !light)
			want |= PF_STAT;
		p->keep_hot = active && !all;
		int rc = pf_read_files(p, ps->dirfd, prefix, ts->fds, want, &r.u.sample.s, r.comm,
				       &stack);
		p->keep_hot = keep_was;
		if (rc == -EAGAIN)
			continue; /* no descriptor now: next time */
		if (!rc && light)
			rc = light_thread(p, ps, ts, tid, prefix, &r, sink, now);
		if (rc == 1 || rc == -EAGAIN)
			continue; /* quiet, or its stat has no descriptor now: next time */
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
			pf_read_files(p, ps->dirfd, prefix, ts->fds, files & ~(want | PF_STAT),
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
		if (pause)
			read_if_busy(p, ps->dirfd, prefix, ts->fds, pause, &r.u.sample.s, &stack,
				     ts->last_run_ns, &ts->busy);
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
	const char *stack = NULL;
	/* Only thread samples consumed (sched -a): an active single-thread
	 * process is read once, at process scope, and given to the images as
	 * its one thread: the same task's files, which were read twice (at
	 * process and at thread scope: 5 reads a tick instead of 3). */
	int as_thread = p->threads_only && ps->hot && ps->nthreads == 1 && !ps->only_tid &&
			ps->matched == 0 && ps->tgid != p->self_tgid;

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
	uint32_t pause = 0;
	if (as_thread) {
		files |= p->cfg.hot_files & ~(probe ? PF_SCHEDSTAT : 0u);
		pause = files & PAUSE_FILES;
		files &= ~PAUSE_FILES;
	}
	r.u.sample.scope = SCOPE_PROCESS;
	/* -p TID of a non-leader: the "process" is that thread, read from its
	 * own files (its CPU, faults, I/O; memory and fds are the process's),
	 * keyed by its tid so that no consumer takes it for the whole group. */
	char prefix[32] = "";
	if (ps->only_tid)
		snprintf(prefix, sizeof(prefix), "task/%d/", ps->only_tid);
	int rc = pf_read_files(p, ps->dirfd, prefix, ps->fds, files, &r.u.sample.s, r.comm,
			       as_thread ? &stack : NULL);
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
		ps->matched = pf_decide_match(p, ps);
		if (ps->matched == 1 && (p->cfg.process_files & ~files)) {
			files |= p->cfg.process_files;
			pf_read_files(p, ps->dirfd, prefix, ps->fds, files & ~PF_STAT, s, NULL,
				      NULL);
		}
	}
	ps->nthreads = s->num_threads;
	ps->running = (s->have & PF_STAT) && s->state == 'R';
	if (as_thread)
		read_if_busy(p, ps->dirfd, prefix, ps->fds, pause, s, &stack, ps->last_run_ns,
			     &ps->busy);
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
	if (first && ps->light)
		/* before this tick's sample */
		emit_light_base(p, sink, &ps->base,
				(struct task_key){ps->tgid, ps->tgid, ps->start}, ps->comm);
	if (as_thread && ps->nthreads == 1) {
		ps->light = 0;
		r.u.sample.scope = SCOPE_THREAD;
		emit_sample(p, sink, now, &r, stack);
		p->hot_threads++;
		return 0;
	}
	if (ps->matched == 1 || p->cfg.scan_all)
		emit_sample(p, sink, now, &r, NULL);
	if (first && p->tiered && ps->nthreads == 1 && !ps->light)
		emit_as_thread(p, sink, now, ps, s);
	ps->light = 0;

	sample_hot_threads(p, ps, sink, now);
	return ps->matched == 1;
}

static uint64_t cpu_clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static uint64_t thread_cpu_ns(void)
{
	return cpu_clock_ns(CLOCK_THREAD_CPUTIME_ID);
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
	if (ps->fds[keep] >= 0 && p->nkept > p->fd_idle_cap && !ps->light) {
		close(ps->fds[keep]);
		ps->fds[keep] = FD_NONE;
		p->nkept--;
	} else if (ps->fds[keep] == FD_NONE && ps->dirfd >= 0 && p->nkept <= p->fd_idle_cap) {
		int fd = openat(ps->dirfd, procfs_files[keep].name,
				O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		p->stats.opens++;
		if (fd >= 0 && (p->real_proc || pf_is_regular(fd))) {
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

/* The process's directory, opened by its pid: 0, -ESRCH, -EAGAIN. */
static int open_dirfd(struct procfs *p, struct pslot *ps)
{
	char name[16];

	if (ps->dirfd >= 0)
		return 0;
	snprintf(name, sizeof(name), "%d", ps->tgid);
	ps->dirfd = openat(p->rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	p->stats.opens++;
	if (ps->dirfd < 0)
		return pf_fd_exhausted(p, errno) ? -EAGAIN : -ESRCH;
	p->nkept++;
	return 0;
}

/* Into the active tier: its dirfd back (a pid reused meanwhile is caught
 * by the start time of the stat read that follows). 0, -ESRCH, -EAGAIN. */
static int promote(struct procfs *p, struct pslot *ps)
{
	if (ps->tgid == p->self_tgid)
		return 0;
	int rc = open_dirfd(p, ps);
	if (rc)
		return rc;
	if (!ps->hot) {
		ps->hot = 1;
		ps->quiet = 0; /* back at the idle period when it is demoted */
		pf_list_add(&p->hot, &p->nhot, &p->caphot, ps->tgid);
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
		n = pf_pread(p, ps->fds[idx]);
	} else {
		char rel[32];
		idx = IDX_STAT;
		snprintf(rel, sizeof(rel), "%d/stat", ps->tgid);
		int fd = openat(p->rootfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		p->stats.opens++;
		p->stats.transient++;
		if (fd < 0)
			return pf_fd_exhausted(p, errno) ? -EAGAIN : -ESRCH;
		n = pf_pread(p, fd);
		close(fd);
	}
	if (n <= 0)
		return -ESRCH; /* ESRCH: it died; empty: reaped */
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
	if (slurp(p->rootfd, rel, p->buf, sizeof(p->buf)) <= 0)
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

/* The light first read of a listed process (p->light): its schedstat
 * alone, opened by path and kept as its idle probe, if it has one thread.
 * Its start time and name (stat) are read when it first runs: until then no
 * image needs them, and the stat read was over half of the first read of a
 * big host. The kept fd stands for its identity (it reads ESRCH once the
 * task is gone, whoever gets the pid). The thread count is task/'s link
 * count, taken after the read: a thread created later makes the leader run
 * (clone), which its next probe sees. 1: read lightly; 0: it needs the full
 * read; -ESRCH: gone. */
static int light_first(struct procfs *p, struct pslot *ps)
{
	char rel[32];
	struct stat st;
	struct proc_sample s = {0};
	ssize_t n;

	if (!pf_may_keep(p))
		return 0;
	snprintf(rel, sizeof(rel), "%d/schedstat", ps->tgid);
	int fd = openat(p->rootfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	p->stats.opens++;
	if (fd < 0) {
		int e = errno;
		if (pf_fd_exhausted(p, e) || e != ENOENT)
			return 0; /* refused (hidepid): the full read says so */
		snprintf(rel, sizeof(rel), "%d", ps->tgid);
		if (fstatat(p->rootfd, rel, &st, 0) != 0)
			return -ESRCH;
		p->light = 0; /* no schedstat on this kernel: full reads */
		return 0;
	}
	n = pf_pread(p, fd);
	if (n > 0)
		procfs_parse_schedstat(p->buf, &s);
	snprintf(rel, sizeof(rel), "%d/task", ps->tgid);
	if (n <= 0 || !(s.have & PF_SCHEDSTAT) || fstatat(p->rootfd, rel, &st, 0) != 0 ||
	    st.st_nlink != 3) {
		close(fd);
		return n == 0 || (n < 0 && errno == ESRCH) ? -ESRCH : 0;
	}
	ps->fds[IDX_SCHEDSTAT] = fd;
	p->nkept++;
	ps->light = 1;
	ps->nthreads = 1;
	ps->reads = 1;
	ps->last_run_ns = s.run_ns;
	/* stamped at the read itself: the first read of a host is long */
	ps->base = light_base_of(&s, clock_mono_ns());
	pf_list_add(&p->second, &p->nsecond, &p->capsecond, ps->tgid);
	return 1;
}

/* A process seen for the first time: a full read (its identity, and the
 * baseline of every thread for the sched image), then the idle tier unless
 * its CPU is already moving; or the light read of a single-thread process
 * (listed without a dirfd). */
static void tier_first(struct procfs *p, struct pslot *ps, const struct record_sink *sink,
		       uint64_t now)
{
	if (ps->dirfd < 0 && !ps->start) {
		int lr = p->light ? light_first(p, ps) : 0;
		if (lr == 1)
			return;
		/* never sampled: gone, or no descriptor now (the next listing
		 * finds it again) */
		if (lr < 0 || open_dirfd(p, ps)) {
			drop_process(p, ps);
			return;
		}
	}
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
	/* looked at again next tick, as a light one is: a group whose leader
	 * sleeps while a thread spins has no R to show at first sight */
	if (p->baseline && ps->tgid != p->self_tgid)
		pf_list_add(&p->second, &p->nsecond, &p->capsecond, ps->tgid);
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
		struct pslot *ps = pf_open_process(p, pids[i], OPEN_LISTED);
		if (ps) {
			ps->seen_gen = p->gen;
			tier_first(p, ps, sink, now);
		}
	}
}

static void tier_discover(struct procfs *p, const struct record_sink *sink, uint64_t now)
{
	int full = p->gen == 1 || p->gen - p->full_gen >= p->full_every;

	if (!full && pf_probe_new(p))
		return;
	if (!full && p->gen - p->full_gen < p->period_min)
		return; /* no cursor: list once an idle period */
	p->last_pid = pf_read_last_pid(p);
	p->full_gen = p->gen;
	p->nretry = 0;
	pf_discover(p);
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
		if (ps->tgid == p->self_tgid || (!ps->start && !ps->light))
			continue;
		c->procs++;
		/* first seen long enough ago to be read again at the idle
		 * tier's best period: not read again means not seen */
		c->procs_read_once += ps->reads < 2 && p->gen - ps->fresh_gen > p->period_min + 1;
	}
}

/* Pids whose slot died this tick: each may already name a new task. */
struct reopen {
	int32_t pids[32];
	int n;
};

/* Probe an idle process and act on what it shows: gone (its pid to
 * reopen), moved (into the active tier, read fully now), or quiet. Returns
 * the CPU of a promotion (the active tier's, not the idle tier's). */
static uint64_t visit_idle(struct procfs *p, struct pslot *ps, const struct record_sink *sink,
			   uint64_t now, struct reopen *ro)
{
	struct proc_sample s;
	int rc = probe_idle(p, ps, &s);

	if (rc == -EAGAIN)
		return 0;
	if (rc == -ESRCH) {
		if (ro->n < 32)
			ro->pids[ro->n++] = ps->tgid;
		process_gone(p, ps, sink, now);
		return 0;
	}
	if (rc == 0 && rss_moved(p, ps))
		rc = 1;
	if (rc == 1)
		ps->quiet = 0;
	else if (ps->quiet < UINT8_MAX)
		ps->quiet++;
	if (rc == 1 && ps->tgid != p->self_tgid) {
		uint64_t cp = thread_cpu_ns();
		tier_promote(p, ps, sink, now, (s.have & PF_SCHEDSTAT) ? &s : NULL);
		return thread_cpu_ns() - cp;
	}
	/* Quiet: the stat probe is still a process sample; the schedstat
	 * probe of a single-thread process is the sched baseline, kept in
	 * the slot of a light one (no image knows it yet). */
	if (ps->light) {
		ps->base = light_base_of(&s, now);
	} else if (s.have & PF_STAT) {
		struct record r = {0};
		r.u.sample.scope = SCOPE_PROCESS;
		r.u.sample.s = s;
		memcpy(r.comm, ps->comm, sizeof(r.comm));
		r.key = (struct task_key){ps->tgid, ps->tgid, ps->start};
		emit_sample(p, sink, now, &r, NULL);
	} else {
		emit_as_thread(p, sink, now, ps, &s);
	}
	return 0;
}

/* The second look: processes first read at an earlier tick (lightly, or
 * fully and not found running) are probed once more, so that one already
 * running at its first read (a hog when the scan starts, or a thread of a
 * group whose leader sleeps) is in the active tier from here, its run
 * measured from that read, not from a probe one idle period later: the
 * budget's repayment stretches that period in the first seconds. After the
 * first read of a big host that is one read per process: spread over the
 * next ticks, half an interval's worth of reads at a time, so that it does
 * not make a tick late (10,000 reads were a 30 ms tick at 10 ms). A run
 * needs no haste here: it is measured from the first read either way. */
#define SECOND_LOOK_MIN 256 /* reads a tick, whatever one costs */
static void tier_second_look(struct procfs *p, const struct record_sink *sink, uint64_t now,
			     struct reopen *ro)
{
	double read_ns = p->budget.read_ns > 0 ? p->budget.read_ns : 3000.0;
	double fit = (double)p->budget.interval_ns / 2 / read_ns;
	int left = p->nsecond - p->second_head;
	int n = fit > left ? left : fit > SECOND_LOOK_MIN ? (int)fit : SECOND_LOOK_MIN;

	for (int i = 0; i < n && p->second_head < p->nsecond; i++) {
		int32_t tgid = p->second[p->second_head];
		struct pslot *ps = taskmap_get(p->procs, tgid, 0);
		p->second_head++;
		/* (a pid reused since: its first read, later this tick, lists it again) */
		if (ps && (ps->light || ps->start) && !ps->hot && ps->fresh_gen != p->gen)
			visit_idle(p, ps, sink, now, ro);
	}
	if (p->second_head == p->nsecond)
		p->nsecond = p->second_head = 0;
}

/* The calling (tick) thread's wait for a CPU so far, from its schedstat's
 * run_delay; -1 when it cannot be read (another pid namespace's /proc, a
 * fixture tree). Opened on the first call, in the thread that ticks. */
static int64_t own_wait_ns(struct procfs *p)
{
	const struct procfs_file *f = procfs_file_of(PF_SCHEDSTAT);
	struct proc_sample s = {0};
	char buf[128];

	if (p->own_sched_fd == FD_NONE) {
		int fd = -1;
		snprintf(buf, sizeof(buf), "thread-self/%s", f->name);
		if (p->same_pidns)
			fd = openat(p->rootfd, buf, O_RDONLY | O_CLOEXEC);
		p->own_sched_fd = fd >= 0 ? fd : -2; /* -2: tried, not to be tried again */
	}
	/* not pf_pread: --stats' preads count the reads of the host */
	if (p->own_sched_fd < 0 || pread_text(p->own_sched_fd, buf, sizeof(buf)) <= 0 ||
	    f->parse(buf, &s))
		return -1;
	return (int64_t)s.wait_ns;
}

static int tick_tiered(struct procfs *p, uint64_t now, const struct record_sink *sink)
{
	uint64_t c0 = thread_cpu_ns();
	struct reopen ro = {.n = 0};

	pb_tick_start(&p->budget, now);
	pb_tick_wait(&p->budget, own_wait_ns(p));
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
			if (ro.n < 32)
				ro.pids[ro.n++] = ps->tgid;
			process_gone(p, ps, sink, now);
		}
	}
	uint64_t hot_procs = (uint64_t)p->nhot;

	/* First sight and the second look: a one-time cost (the first tick
	 * reads the whole host), kept out of the budget's estimate of a tick. */
	uint64_t cf = thread_cpu_ns();
	tier_second_look(p, sink, now, &ro);
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
	uint32_t quota = pb_quota(&p->budget, n_idle), done = 0, quiet_visits = 0, skips = 0;
	/* the quiet rate: only below 100 ms intervals, where runs are recovered
	 * across a gap (the baseline mode); at 100 ms and above (per-interval
	 * rates) every process is probed every interval the budget allows */
	uint32_t stride = p->baseline ? pb_quiet_stride(&p->budget) : 1;
	uint64_t promote_ns = 0;
	for (size_t visits = 0; done < quota && visits < count; visits++) {
		struct pslot *ps = taskmap_next(p->procs, &p->idle_it, NULL, NULL);
		if (!ps) {
			p->idle_it = 0;
			ps = taskmap_next(p->procs, &p->idle_it, NULL, NULL);
			if (!ps)
				break;
		}
		if (ps->hot || ps->fresh_gen == p->gen || (!ps->start && !ps->light))
			continue;
		done++;
		if (stride > 1 && ps->quiet >= PB_QUIET_PROBES) {
			quiet_visits++;
			/* staggered by pid: each tick reads the same share */
			if ((uint32_t)(ps->visits++ + ps->tgid) % stride) {
				p->stats.quiet_skips++;
				skips++;
				continue;
			}
		}
		promote_ns += visit_idle(p, ps, sink, now, &ro);
	}
	uint64_t c2 = thread_cpu_ns();
	tier_reopen(p, ro.pids, ro.n, sink, now);
	uint64_t c3 = thread_cpu_ns();

	uint64_t idle_ns = c2 - c1 - promote_ns, other = (c3 - c0) - idle_ns;
	other = other > fresh_ns ? other - fresh_ns : 0;
	if (p->gen == 1) /* listing and opening the whole host: not a tick's cost */
		other = 0;
	/* idle threads of active processes cost about what an idle probe does;
	 * read_ns is per visit of the idle tier, and a quiet process's skipped
	 * visit costs next to nothing: per read, it is done / reads of it */
	double per_read = p->budget.read_ns * (done > skips ? (double)done / (done - skips) : 1.0);
	uint64_t thr_ns = (uint64_t)(per_read * p->idle_thread_reads);
	other = other > thr_ns ? other - thr_ns : 0;
	uint64_t hot_tids = 0;
	for (int i = 0; i < p->nhot; i++) {
		const struct pslot *h = taskmap_get(p->procs, p->hot[i], 0);
		if (h)
			hot_tids += (uint64_t)(h->ntids > 0 ? h->ntids : 1);
	}
	uint64_t idle_threads = hot_tids > p->hot_threads ? hot_tids - p->hot_threads : 0;
	pb_tick_quiet(&p->budget, done ? (double)n_idle * quiet_visits / done : 0, stride);
	/* procimage's whole CPU: its start-up before the scan, and the close
	 * of every kept descriptor that its exit will cost (at 10,000
	 * processes the two were ~0.6% of a 4 s run, beyond the budget) */
	pb_tick_owed(&p->budget,
		     cpu_clock_ns(CLOCK_PROCESS_CPUTIME_ID) + (uint64_t)p->nkept * PB_CLOSE_NS,
		     clock_mono_ns());
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
	pf_discover(p);
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
		ps = pf_open_process(p, reopen[i], OPEN_LISTED);
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
	c->cpu_wait_ns = -1;
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
	c->idle_period_need_ns = (uint64_t)(pb_need_period(b) * (double)b->interval_ns);
	c->cpu_wait_ns = b->wait_first_ns >= 0 && b->wait_last_ns >= b->wait_first_ns
			     ? b->wait_last_ns - b->wait_first_ns
			     : -1;
	c->ticks_late_waiting = b->late_waiting;
	c->idle_period_min_ns = (uint64_t)b->period_min * b->interval_ns;
	c->quiet_rate = p->baseline;
	c->quiet_procs = b->sum_quiet_procs / t;
	c->quiet_period_ns = (uint64_t)((double)b->sum_quiet_period / t * (double)b->interval_ns);
	tier_counts(p, c);
	c->ticks_over_budget = b->over_budget;
	c->cpu_pct =
	    b->ticks ? 100.0 * (double)b->cpu_ns / ((double)b->ticks * (double)b->interval_ns) : 0;
	c->repay = b->repay;
	c->owed_max_ns = (uint64_t)b->owed_max_ns;
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
