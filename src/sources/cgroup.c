/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cgroup source: for each target process (learnt from the procfs samples
 * the run dispatches), its cgroup's memory limit and usage, memory.events
 * (v2) or oom_control and failcnt (v1), CPU quota and throttling, pids, and
 * PSI where the kernel has it (v2 *.pressure); plus the host facts the images
 * may not read themselves: MemTotal and /proc/pressure. Emitted as REC_CGROUP
 * (one per process, text = the cgroup path) and REC_HOST, at most once a
 * second: these are slow-moving gauges and counters, read with plain reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procimage/hash.h"
#include "core/clock.h"
#include "core/fileio.h"
#include "core/run.h"
#include "core/taskmap.h"
#include "sources/procfs_parse.h"

#define CG_PERIOD_NS NS_PER_S
#define CG_UNLIMITED (1ULL << 62) /* v1 "no limit" is PAGE_COUNTER_MAX * page size */

enum { M_MEM = 0, M_CPU, M_PIDS, M_V2, M_COUNT };

struct cg_proc {
	int32_t tgid, tid; /* tid: the sample's (a -p TID's thread standing for it) */
	uint64_t start;
	char path[M_COUNT][160]; /* relative to each mount; "" = not in that hierarchy */
	uint8_t known;		 /* its cgroup file was read (not in a bare fixture tree) */
	uint8_t learnt;		 /* its cgroup file was tried */
	uint64_t hash;		 /* of the paths: the cache key */
};

/* Processes mostly share a few cgroups: read each once per period. */
#define CG_CACHE 32

struct cg_cached {
	uint64_t hash;
	struct rec_cgroup cg;
};

struct cg_src {
	struct cg_cached cache[CG_CACHE];
	int ncache;
	struct run *run;
	struct source_status *st;
	int procfd;
	int mnt[M_COUNT]; /* dirfds of the v1 memory, cpu, pids and the v2 mount */
	int v2_controllers;
	struct taskmap *procs;
	uint64_t next_ns;
	char buf[8192];
};

static const char *const v1_names[M_COUNT] = {"memory", "cpu", "pids", NULL};

/* name is one of the comma-separated tokens of list ("cpu" is not "cpuset"). */
static int has_token(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p; p = strchr(p, ','), p = p ? p + 1 : NULL)
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0' || p[n] == '\n'))
			return 1;
	return 0;
}

/* Find the mounts of the v1 controllers and of cgroup2 in mountinfo. */
static void find_mounts(struct cg_src *s)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char mnt[512], fstype[64], opts[512];
		const char *dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*s %*s %*s %*s %511s", mnt) != 1 ||
		    sscanf(dash + 3, "%63s %*s %511s", fstype, opts) != 2)
			continue;
		for (int m = 0; m < M_COUNT; m++) {
			int want = m == M_V2 ? strcmp(fstype, "cgroup2") == 0
					     : strcmp(fstype, "cgroup") == 0 &&
						   has_token(opts, v1_names[m]);
			if (want && s->mnt[m] < 0)
				s->mnt[m] = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		}
	}
	fclose(f);
	if (s->mnt[M_V2] >= 0 &&
	    slurp(s->mnt[M_V2], "cgroup.controllers", s->buf, sizeof(s->buf)) > 1)
		s->v2_controllers = 1;
}

static int read_rel(struct cg_src *s, int m, const char *path, const char *file)
{
	char rel[400];

	if (s->mnt[m] < 0)
		return -ENOENT;
	snprintf(rel, sizeof(rel), "%s%s%s", path[0] ? path : "", path[0] ? "/" : "", file);
	return slurp(s->mnt[m], rel[0] ? rel : ".", s->buf, sizeof(s->buf)) > 0 ? 0 : -ENOENT;
}

/* "key value" lines (also "key=value" tokens): the value of key. */
static int kv_u64(const char *buf, const char *key, char sep, uint64_t *v)
{
	size_t kl = strlen(key);
	unsigned long long x;

	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *q = p;
		if (strncmp(q, key, kl) != 0 || q[kl] != sep)
			continue;
		q += kl + 1;
		if (parse_u64(&q, &x) == 0) {
			*v = x;
			return 0;
		}
	}
	return -ENOENT;
}

static uint64_t limit_of(const char *buf)
{
	unsigned long long x;
	const char *p = buf;

	if (strncmp(buf, "max", 3) == 0 || strncmp(buf, "-1", 2) == 0)
		return UINT64_MAX;
	if (parse_u64(&p, &x))
		return UINT64_MAX;
	return x >= CG_UNLIMITED ? UINT64_MAX : x;
}

/* A PSI file: "some avg10=0.12 avg60=... total=N\nfull avg10=...". */
static void parse_psi(const char *buf, struct rec_psi *psi)
{
	for (int full = 0; full < 2; full++) {
		const char *l = strstr(buf, full ? "full " : "some ");
		const char *a = l ? strstr(l, "avg10=") : NULL;
		const char *t = l ? strstr(l, "total=") : NULL;
		unsigned long long ip = 0, fp = 0, tot = 0;
		if (a) {
			a += 6;
			parse_u64(&a, &ip);
			if (*a == '.') {
				a++;
				parse_u64(&a, &fp);
			}
		}
		if (t) {
			t += 6;
			parse_u64(&t, &tot);
		}
		uint32_t v = (uint32_t)(ip * 100 + fp % 100);
		if (full) {
			psi->full_avg10_x100 = v;
			psi->full_total_us = tot;
		} else {
			psi->some_avg10_x100 = v;
			psi->some_total_us = tot;
		}
	}
}

static void read_v1(struct cg_src *s, const struct cg_proc *p, struct rec_cgroup *c)
{
	uint64_t v;

	c->version = 1;
	if (p->path[M_MEM][0] || s->mnt[M_MEM] >= 0) {
		const char *mp = p->path[M_MEM];
		if (!read_rel(s, M_MEM, mp, "memory.limit_in_bytes")) {
			c->have |= CG_HAVE_MEM;
			c->mem_limit = limit_of(s->buf);
			c->mem_high = UINT64_MAX;
		}
		if (!read_rel(s, M_MEM, mp, "memory.usage_in_bytes"))
			c->mem_usage = limit_of(s->buf);
		if (!read_rel(s, M_MEM, mp, "memory.max_usage_in_bytes"))
			c->mem_max_usage = limit_of(s->buf);
		if (!read_rel(s, M_MEM, mp, "memory.failcnt"))
			c->mem_failcnt = limit_of(s->buf);
		c->swap_limit = !read_rel(s, M_MEM, mp, "memory.memsw.limit_in_bytes")
				    ? limit_of(s->buf)
				    : UINT64_MAX;
		if (!read_rel(s, M_MEM, mp, "memory.oom_control")) {
			c->have |= CG_HAVE_MEM_EVENTS;
			kv_u64(s->buf, "oom_kill", ' ', &c->ev_oom_kill);
			if (!kv_u64(s->buf, "under_oom", ' ', &v))
				c->under_oom = (uint8_t)v;
			if (!kv_u64(s->buf, "oom_kill_disable", ' ', &v))
				c->oom_kill_disable = (uint8_t)v;
			c->ev_max = c->mem_failcnt; /* hits of the limit */
		}
	}
	if (!read_rel(s, M_CPU, p->path[M_CPU], "cpu.cfs_quota_us")) {
		c->have |= CG_HAVE_CPU;
		c->cpu_quota_us = limit_of(s->buf);
		if (!read_rel(s, M_CPU, p->path[M_CPU], "cpu.cfs_period_us"))
			c->cpu_period_us = limit_of(s->buf);
	}
	if (!read_rel(s, M_CPU, p->path[M_CPU], "cpu.stat")) {
		c->have |= CG_HAVE_CPU_STAT;
		kv_u64(s->buf, "nr_periods", ' ', &c->cpu_nr_periods);
		kv_u64(s->buf, "nr_throttled", ' ', &c->cpu_nr_throttled);
		if (!kv_u64(s->buf, "throttled_time", ' ', &v))
			c->cpu_throttled_us = v / 1000;
	}
	if (!read_rel(s, M_PIDS, p->path[M_PIDS], "pids.max")) {
		c->have |= CG_HAVE_PIDS;
		c->pids_max = limit_of(s->buf);
		if (!read_rel(s, M_PIDS, p->path[M_PIDS], "pids.current"))
			c->pids_current = limit_of(s->buf);
	}
}

static void read_v2(struct cg_src *s, const struct cg_proc *p, struct rec_cgroup *c)
{
	static const char *const psi_files[PSI_COUNT] = {"cpu.pressure", "memory.pressure",
							 "io.pressure"};
	const char *cp = p->path[M_V2];
	uint64_t v;

	c->version = 2;
	if (!read_rel(s, M_V2, cp, "memory.max")) {
		c->have |= CG_HAVE_MEM;
		c->mem_limit = limit_of(s->buf);
		if (!read_rel(s, M_V2, cp, "memory.high"))
			c->mem_high = limit_of(s->buf);
		if (!read_rel(s, M_V2, cp, "memory.current"))
			c->mem_usage = limit_of(s->buf);
		c->swap_limit =
		    !read_rel(s, M_V2, cp, "memory.swap.max") ? limit_of(s->buf) : UINT64_MAX;
	}
	if (!read_rel(s, M_V2, cp, "memory.events")) {
		c->have |= CG_HAVE_MEM_EVENTS;
		kv_u64(s->buf, "low", ' ', &c->ev_low);
		kv_u64(s->buf, "high", ' ', &c->ev_high);
		kv_u64(s->buf, "max", ' ', &c->ev_max);
		kv_u64(s->buf, "oom", ' ', &c->ev_oom);
		kv_u64(s->buf, "oom_kill", ' ', &c->ev_oom_kill);
	}
	if (!read_rel(s, M_V2, cp, "cpu.max")) {
		const char *q = strchr(s->buf, ' ');
		c->have |= CG_HAVE_CPU;
		c->cpu_quota_us = limit_of(s->buf);
		c->cpu_period_us = q ? limit_of(q + 1) : 0;
	}
	if (!read_rel(s, M_V2, cp, "cpu.stat")) {
		c->have |= CG_HAVE_CPU_STAT;
		kv_u64(s->buf, "nr_periods", ' ', &c->cpu_nr_periods);
		kv_u64(s->buf, "nr_throttled", ' ', &c->cpu_nr_throttled);
		if (!kv_u64(s->buf, "throttled_usec", ' ', &v))
			c->cpu_throttled_us = v;
	}
	if (!read_rel(s, M_V2, cp, "pids.max")) {
		c->have |= CG_HAVE_PIDS;
		c->pids_max = limit_of(s->buf);
		if (!read_rel(s, M_V2, cp, "pids.current"))
			c->pids_current = limit_of(s->buf);
	}
	for (int i = 0; i < PSI_COUNT; i++)
		if (!read_rel(s, M_V2, cp, psi_files[i])) {
			c->have |= CG_HAVE_PSI;
			parse_psi(s->buf, &c->psi[i]);
		}
}

static void emit_cgroup(struct cg_src *s, const struct cg_proc *p, uint64_t now,
			const struct record_sink *sink)
{
	struct record r = {.kind = REC_CGROUP, .source = SRC_CGROUP, .cpu = -1, .t_ns = now};
	int v2 = s->v2_controllers && (p->path[M_V2][0] || s->mnt[M_MEM] < 0);
	const char *path = v2 ? p->path[M_V2] : p->path[M_MEM];
	char shown[170];

	r.key = (struct task_key){p->tgid, p->tid, p->start};
	uint64_t h = p->hash;
	int hit = -1;
	for (int i = 0; i < s->ncache && hit < 0; i++)
		if (s->cache[i].hash == h)
			hit = i;
	if (hit >= 0) {
		r.u.cg = s->cache[hit].cg;
	} else {
		if (v2)
			read_v2(s, p, &r.u.cg);
		else
			read_v1(s, p, &r.u.cg);
		if (s->ncache < CG_CACHE)
			s->cache[s->ncache++] = (struct cg_cached){h, r.u.cg};
	}
	if (!r.u.cg.have)
		return;
	snprintf(shown, sizeof(shown), "/%s", path);
	r.text = shown;
	r.text_len = (uint32_t)strlen(shown);
	s->st->events++;
	record_emit(sink, &r);
}

static void emit_host(struct cg_src *s, uint64_t now, const struct record_sink *sink)
{
	static const char *const files[PSI_COUNT] = {"pressure/cpu", "pressure/memory",
						     "pressure/io"};
	struct record r = {.kind = REC_HOST, .source = SRC_CGROUP, .cpu = -1, .t_ns = now};
	uint64_t kb;

	if (slurp(s->procfd, "meminfo", s->buf, sizeof(s->buf)) > 0 &&
	    !kv_u64(s->buf, "MemTotal", ':', &kb)) {
		r.u.host.have |= HOST_HAVE_MEM;
		r.u.host.mem_total_kb = kb;
	}
	for (int i = 0; i < PSI_COUNT; i++)
		if (slurp(s->procfd, files[i], s->buf, sizeof(s->buf)) > 0) {
			r.u.host.have |= HOST_HAVE_PSI;
			parse_psi(s->buf, &r.u.host.psi[i]);
		}
	if (r.u.host.have)
		record_emit(sink, &r);
}

/* The process's path in each hierarchy, from <pid>/cgroup (read once). */
static void learn_paths(struct cg_src *s, struct cg_proc *p)
{
	char name[32];
	const char *line = s->buf;

	snprintf(name, sizeof(name), "%d/cgroup", p->tgid);
	if (slurp(s->procfd, name, s->buf, sizeof(s->buf)) <= 0)
		return;
	p->known = 1;
	while (line && *line) {
		const char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		const char *eol = strchr(line, '\n');
		if (!eol)
			eol = line + strlen(line);
		if (c1 && c2 && c2 < eol) {
			char ctl[128];
			size_t cl = (size_t)(c2 - c1 - 1), n = (size_t)(eol - c2 - 1);
			snprintf(ctl, sizeof(ctl), "%.*s",
				 (int)(cl < sizeof(ctl) ? cl : sizeof(ctl) - 1), c1 + 1);
			for (int m = 0; m < M_COUNT; m++) {
				int hit = m == M_V2 ? cl == 0 : has_token(ctl, v1_names[m]);
				const char *path = c2 + 1;
				if (!hit)
					continue;
				while (n && *path == '/')
					path++, n--; /* relative to the mount */
				snprintf(p->path[m], sizeof(p->path[m]), "%.*s", (int)n, path);
			}
		}
		line = *eol ? eol + 1 : NULL;
	}
}

static void cgroup_observe(void *state, const struct record *rec)
{
	struct cg_src *s = state;
	int created;
	struct cg_proc *p;

	if ((rec->kind != REC_SAMPLE && rec->kind != REC_GONE) ||
	    rec->u.sample.scope != SCOPE_PROCESS)
		return;
	if (rec->kind == REC_GONE) {
		taskmap_del(s->procs, rec->key.tgid, rec->key.start_ticks);
		return;
	}
	p = taskmap_put(s->procs, rec->key.tgid, rec->key.start_ticks, &created);
	if (!p || !created)
		return;
	p->tgid = rec->key.tgid;
	p->tid = rec->key.tid;
	p->start = rec->key.start_ticks;
	/* Its cgroup is learnt at the next period, if it still lives then: on
	 * a host that forks a lot, most new processes are gone by then. */
}

static void learn(struct cg_src *s, struct cg_proc *p)
{
	p->learnt = 1;
	learn_paths(s, p);
	p->hash = fnv1a(HASH_SEED, p->path, sizeof(p->path));
}

static void cgroup_tick(void *state, uint64_t now, const struct record_sink *sink)
{
	struct cg_src *s = state;
	size_t it = 0;
	struct cg_proc *p;

	if (now < s->next_ns)
		return;
	s->next_ns = now + CG_PERIOD_NS;
	s->ncache = 0;
	emit_host(s, now, sink);
	while ((p = taskmap_next(s->procs, &it, NULL, NULL))) {
		if (!p->learnt)
			learn(s, p);
		if (p->known)
			emit_cgroup(s, p, now, sink);
	}
}

static int cgroup_start(struct run *r, void **state, struct source_status *st)
{
	struct cg_src *s = calloc(1, sizeof(*s));

	*state = NULL;
	if (!s)
		return source_set(st, SOURCE_UNAVAILABLE, "out of memory"), -1;
	s->run = r;
	s->st = st;
	for (int m = 0; m < M_COUNT; m++)
		s->mnt[m] = -1;
	s->procfd = open(run_cfg(r)->proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	s->procs = taskmap_new(sizeof(struct cg_proc));
	if (s->procfd < 0 || !s->procs) {
		source_set(st, SOURCE_UNAVAILABLE, "cannot open %s: %s", run_cfg(r)->proc_root,
			   strerror(errno));
		taskmap_free(s->procs);
		if (s->procfd >= 0)
			close(s->procfd);
		free(s);
		return -1;
	}
	find_mounts(s);
	if (s->mnt[M_MEM] < 0 && s->mnt[M_CPU] < 0 && !s->v2_controllers)
		source_set(st, SOURCE_DEGRADED,
			   "no cgroup hierarchy with memory, cpu or pids controllers "
			   "is mounted: host facts only");
	else
		source_set(st, SOURCE_OK, "%s", "");
	*state = s;
	return 0;
}

static void cgroup_stop(void *state, struct source_status *st)
{
	struct cg_src *s = state;

	(void)st;
	if (!s)
		return;
	for (int m = 0; m < M_COUNT; m++)
		if (s->mnt[m] >= 0)
			close(s->mnt[m]);
	close(s->procfd);
	taskmap_free(s->procs);
	free(s);
}

const struct source_ops source_cgroup = {
    .name = "cgroup",
    .id = SRC_CGROUP,
    .start = cgroup_start,
    .tick = cgroup_tick,
    .observe = cgroup_observe,
    .stop = cgroup_stop,
};
