/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kmsg source: the kernel's own account of OOM kills.
 *
 *  - /dev/kmsg, opened O_NONBLOCK and positioned at the end (or, with
 *    --since-boot, at SEEK_DATA: the oldest record `dmesg` would show), polled
 *    through the run's loop. Each read returns one record
 *    "prio,seq,ts_usec,flags;message" (+ " KEY=value" continuation lines);
 *    the message goes out as REC_KMSG (t_ns = ts_usec, the kernel's
 *    boot-relative clock). EPIPE means records were overwritten before we
 *    read them: the sequence gap at the next record says how many are lost.
 *    Opening needs CAP_SYSLOG when kernel.dmesg_restrict=1.
 *  - /proc/vmstat oom_kill (4.13+), read each tick: REC_HOST with
 *    HOST_HAVE_OOM_KILL whenever it moves. Needs no privilege, so without
 *    the kernel log the source still runs, degraded, on counters.
 *  - the memory cgroup's oom_kill counter, re-read after a process whose
 *    cgroup the cgroup source reported has exited (the cgroup source stops
 *    reporting a process once it is gone, and the kill is exactly then):
 *    REC_CGROUP keyed by the dead process: the cgroup source's last report
 *    of it with ev_oom_kill read afresh.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/run.h"
#include "core/taskmap.h"
#include "sources/procfs_parse.h"

#define KMSG_MAX_PENDING 64

struct cg_known {
	uint64_t start; /* the process's start time: its pid may be reused */
	uint8_t version;
	char path[160];		/* "/x/y", relative to the memory controller's mount */
	struct rec_cgroup last; /* the cgroup source's last report */
};

struct pending {
	struct task_key key;
	struct cg_known cg;
};

struct kmsg_src {
	struct run *run;
	struct source_status *st;
	int fd, vmfd, v1fd, v2fd;
	uint64_t next_seq;
	int have_seq, have_oom;
	uint64_t oom_kill;
	struct taskmap *cgs; /* key tgid (start in the value): the process's memcg */
	struct pending pend[KMSG_MAX_PENDING];
	int npend;
	char buf[8192];
};

static int parse_record(char *buf, uint64_t *seq, uint64_t *ts_us, char **msg)
{
	const char *p = buf;
	unsigned long long prio, s, ts;
	char *semi = strchr(buf, ';');

	if (!semi || parse_u64(&p, &prio) || *p++ != ',' || parse_u64(&p, &s) || *p++ != ',' ||
	    parse_u64(&p, &ts))
		return -EINVAL;
	*seq = s;
	*ts_us = ts;
	*msg = semi + 1;
	(*msg)[strcspn(*msg, "\n")] = '\0';
	return 0;
}

static void on_kmsg(void *ctx, int fd, uint32_t events)
{
	struct kmsg_src *s = ctx;
	(void)events;

	for (;;) {
		ssize_t n = read(fd, s->buf, sizeof(s->buf) - 1);
		uint64_t seq, ts;
		char *msg;
		if (n < 0 && (errno == EINTR || errno == EPIPE))
			continue; /* EPIPE: overwritten; the seq gap counts them */
		if (n <= 0)
			return;
		s->buf[n] = '\0';
		if (parse_record(s->buf, &seq, &ts, &msg))
			continue;
		if (s->have_seq && seq > s->next_seq)
			source_note_loss(s->st, seq - s->next_seq, ts * 1000);
		s->next_seq = seq + 1;
		s->have_seq = 1;
		struct record r = {
		    .kind = REC_KMSG, .source = SRC_KMSG, .cpu = -1, .t_ns = ts * 1000};
		r.text = msg;
		r.text_len = (uint32_t)strlen(msg);
		s->st->events++;
		record_emit(run_sink(s->run), &r);
	}
}

static int open_kmsg(struct kmsg_src *s, int since_boot)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (lseek(fd, 0, since_boot ? SEEK_DATA : SEEK_END) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	s->fd = fd;
	return 0;
}

static void close_fds(struct kmsg_src *s)
{
	if (s->vmfd >= 0)
		close(s->vmfd);
	if (s->v1fd >= 0)
		close(s->v1fd);
	if (s->v2fd >= 0)
		close(s->v2fd);
	taskmap_free(s->cgs);
	free(s);
}

static int kmsg_start(struct run *r, void **state, struct source_status *st)
{
	const struct run_config *o = run_cfg(r);
	struct kmsg_src *s = calloc(1, sizeof(*s));
	int root, rc;

	*state = s;
	if (!s)
		return source_set(st, SOURCE_UNAVAILABLE, "out of memory"), -1;
	s->run = r;
	s->st = st;
	s->fd = s->vmfd = -1;
	s->cgs = taskmap_new(sizeof(struct cg_known));
	root = open(o->proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	s->vmfd = root >= 0 ? openat(root, "vmstat", O_RDONLY | O_CLOEXEC) : -1;
	if (root >= 0)
		close(root);
	s->v1fd = open("/sys/fs/cgroup/memory", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	s->v2fd = open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rc = open_kmsg(s, o->since_boot);
	if (rc == 0 && (rc = run_add_fd(r, s->fd, on_kmsg, s)) < 0) {
		close(s->fd);
		s->fd = -1;
	}
	if (rc == 0) {
		source_set(st, SOURCE_OK, "%s", "");
		on_kmsg(s, s->fd, 0); /* --since-boot: the backlog now */
		return 0;
	}
	if (s->vmfd < 0) {
		source_set(st, SOURCE_UNAVAILABLE, "/dev/kmsg: %s%s; no /proc/vmstat either",
			   strerror(-rc),
			   rc == -EPERM ? ": needs CAP_SYSLOG (kernel.dmesg_restrict=1)" : "");
		close_fds(s);
		*state = NULL;
		return -1;
	}
	source_set(st, SOURCE_DEGRADED,
		   "no kernel log: /dev/kmsg: %s%s; OOM kills only from the memcg and /proc/vmstat "
		   "counters",
		   strerror(-rc),
		   rc == -EPERM ? ": needs CAP_SYSLOG (kernel.dmesg_restrict=1)" : "");
	return 0;
}

/* "oom_kill N" in memory.oom_control (v1) or memory.events (v2). */
static int read_memcg_oom_kill(const struct kmsg_src *s, const struct cg_known *cg, uint64_t *out)
{
	char rel[200], buf[1024];
	int mnt = cg->version == 2 ? s->v2fd : s->v1fd;
	const char *p;
	unsigned long long v;

	if (mnt < 0)
		return -ENOENT;
	snprintf(rel, sizeof(rel), "%s/%s", cg->path[1] ? cg->path + 1 : ".",
		 cg->version == 2 ? "memory.events" : "memory.oom_control");
	if (slurp(mnt, rel, buf, sizeof(buf)) <= 0 || !(p = strstr(buf, "oom_kill ")))
		return -ENOENT;
	p += 9;
	if (parse_u64(&p, &v))
		return -EINVAL;
	*out = v;
	return 0;
}

static void emit_memcg(struct kmsg_src *s, const struct pending *pd, uint64_t now,
		       const struct record_sink *sink)
{
	struct record r = {.kind = REC_CGROUP, .source = SRC_KMSG, .cpu = -1, .t_ns = now};

	if (read_memcg_oom_kill(s, &pd->cg, &r.u.cg.ev_oom_kill))
		return;
	/* The cgroup source's last report with the fresh counter, so that any
	 * consumer of REC_CGROUP sees a whole record. */
	uint64_t oom_kill = r.u.cg.ev_oom_kill;
	r.u.cg = pd->cg.last;
	r.u.cg.ev_oom_kill = oom_kill;
	r.key = pd->key;
	r.text = pd->cg.path;
	r.text_len = (uint32_t)strlen(pd->cg.path);
	record_emit(sink, &r);
}

static void kmsg_tick(void *state, uint64_t now, const struct record_sink *sink)
{
	struct kmsg_src *s = state;
	char buf[16384];
	const char *p;
	unsigned long long v;
	ssize_t n;

	for (int i = 0; i < s->npend; i++)
		emit_memcg(s, &s->pend[i], now, sink);
	s->npend = 0;
	if (s->vmfd < 0 || (n = pread_text(s->vmfd, buf, sizeof(buf))) <= 0)
		return;
	p = strstr(buf, "\noom_kill ");
	if (!p || (p += 10, parse_u64(&p, &v)))
		return;
	if (!s->have_oom || v != s->oom_kill) {
		struct record r = {.kind = REC_HOST, .source = SRC_KMSG, .cpu = -1, .t_ns = now};
		r.u.host.have = HOST_HAVE_OOM_KILL;
		r.u.host.oom_kill = v;
		s->oom_kill = v;
		s->have_oom = 1;
		record_emit(sink, &r);
	}
}

/* Learn each process's memcg from the cgroup source; after it exits,
 * queue a re-read of its counter for the next tick. */
static void kmsg_observe(void *state, const struct record *rec)
{
	struct kmsg_src *s = state;
	struct cg_known *cg;

	if (!s->cgs)
		return;
	if (rec->kind == REC_CGROUP && rec->source == SRC_CGROUP &&
	    (rec->u.cg.have & CG_HAVE_MEM_EVENTS) && rec->text) {
		cg = taskmap_put(s->cgs, rec->key.tgid, 0, NULL);
		if (cg) {
			cg->start = rec->key.start_ticks;
			cg->last = rec->u.cg;
			cg->version = rec->u.cg.version;
			snprintf(cg->path, sizeof(cg->path), "%.*s", (int)rec->text_len, rec->text);
		}
		return;
	}
	int ended = (rec->kind == REC_GONE && rec->u.sample.scope == SCOPE_PROCESS) ||
		    (rec->kind == REC_EXIT && rec->key.tid == rec->key.tgid);
	if (!ended)
		return;
	/* Keyed by tgid alone so that an exit event, which knows no start
	 * time, finds it without a walk of the map (one per exit: a host
	 * under churn has hundreds a second). A reused pid replaced the
	 * entry when its own cgroup report came. */
	int32_t tgid = rec->key.tgid;
	cg = taskmap_get(s->cgs, tgid, 0);
	if (!cg || (rec->key.start_ticks && cg->start && cg->start != rec->key.start_ticks))
		return;
	if (s->npend < KMSG_MAX_PENDING)
		s->pend[s->npend++] = (struct pending){{tgid, tgid, cg->start}, *cg};
	taskmap_del(s->cgs, tgid, 0);
}

static void kmsg_stop(void *state, struct source_status *st)
{
	struct kmsg_src *s = state;

	(void)st;
	if (!s)
		return;
	if (s->fd >= 0) {
		loop_del_fd(run_loop_handle(s->run), s->fd);
		close(s->fd);
	}
	close_fds(s);
}

const struct source_ops source_kmsg = {
    .name = "kmsg",
    .id = SRC_KMSG,
    .start = kmsg_start,
    .tick = kmsg_tick,
    .observe = kmsg_observe,
    .stop = kmsg_stop,
};
