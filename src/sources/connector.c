/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The proc connector source (see connector.h): the socket, the drain, loss
 * accounting and the fallback when the kernel will not talk to us.
 *
 * The socket is connector_sock.c's. The receive buffer is made large (32 MiB
 * through SO_RCVBUFFORCE, which needs CAP_NET_ADMIN; else SO_RCVBUF, capped
 * by net.core.rmem_max) because a fork storm fills the default 208 KiB in a
 * few milliseconds of reader delay. The drain reads batches until the socket
 * is empty. Losses are
 * counted from ENOBUFS and per-CPU sequence gaps, reported as REC_LOST with
 * their window, and followed by a /proc diff that heals the followed tree.
 * Test-only knobs (environment): PROCIMAGE_TEST_CN_RCVBUF=BYTES sets a plain
 * SO_RCVBUF; PROCIMAGE_TEST_CN_STALL_MS=N reads nothing for the first N ms.
 */
#include "sources/connector.h"

#include <errno.h>
#include <linux/cn_proc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/run.h"
#include "sources/procfs.h"

#define CN_ACK_WAIT_MS	  300
#define CN_COALESCE_MIN	  2
#define CN_BUSY_PER_100MS 500
#define CN_COALESCE_NS	  3000000L /* under the 10 ms tick; 3x fewer wake-ups than 1 ms */

struct cn_src {
	struct run *run;
	struct source_status *st;
	int fd, efd, rootfd;
	struct cn_sock sock;
	struct cn_decoder dec;
	struct cn_enrich *enrich;
	struct cn_scan *scan;
	int fallback, need_rescan, children;
	uint32_t mask;
	long stall_ms;
	uint64_t enobufs, lost_records, t_start, t_scan0, scans;
	uint64_t win_start, win_count; /* messages in the current 100 ms */
	int busy;		       /* the last window was a storm */
	char why[384];
};

static long env_long(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? strtol(v, NULL, 10) : 0;
}

static void emit(struct cn_src *s, const struct record *r)
{
	s->st->events++;
	record_emit(run_sink(s->run), r);
}

/* Reading /proc for an exec costs several syscalls: with -p targets only
 * the tree's execs are worth it; with --comm/--cgroup/-a any task may turn
 * out to be a target, so every exec is read. */
static int want_text(struct cn_src *s, const struct record *r)
{
	if (!s->scan || !targets_only_pids(&run_cfg(s->run)->targets))
		return 1;
	return cn_scan_is_member(s->scan, r->key.tgid);
}

static void on_record(void *ctx, struct record *r)
{
	struct cn_src *s = ctx;

	if (r->kind == REC_EXEC && s->enrich && want_text(s, r) &&
	    cn_enrich_push(s->enrich, r) == 0) {
		s->st->events++;
		return;
	}
	emit(s, r);
}

static void emit_lost(struct cn_src *s, uint64_t count, uint64_t since, uint64_t until)
{
	struct record r = {.kind = REC_LOST, .source = SRC_CONNECTOR, .cpu = -1, .t_ns = until};

	r.u.lost.count = count;
	r.u.lost.since_ns = since;
	r.u.lost.episodes = s->dec.gaps;
	s->lost_records++;
	record_emit(run_sink(s->run), &r);
}

static void flush_loss(struct cn_src *s)
{
	uint64_t since = 0, until = 0, n = cn_decoder_take_loss(&s->dec, &since, &until);

	if (!n)
		return;
	source_note_loss(s->st, n, until);
	emit_lost(s, n, since, until);
	s->need_rescan = 1;
}

/* Read what is queued: batches of datagrams until the socket is empty, or
 * 64 batches (the loop calls again: the tick must not starve). Returns the
 * number of datagrams read. */
static int drain(struct cn_src *s, cn_record_fn fn)
{
	int total = 0;

	for (int round = 0; round < 64; round++) {
		int n = cn_sock_read(&s->sock, &s->dec, fn, s);
		if (n == -EINTR)
			continue;
		if (n == -ENOBUFS) {
			/* The kernel dropped messages; sequence gaps will say
			 * how many once later messages arrive. */
			s->enobufs++;
			source_note_loss(s->st, 0, clock_mono_ns());
			s->need_rescan = 1;
			continue;
		}
		if (n <= 0)
			break;
		total += n;
		if (n < CN_BATCH)
			break;
	}
	flush_loss(s);
	return total;
}

static void on_readable(void *ctx, int fd, uint32_t events)
{
	struct cn_src *s = ctx;

	(void)fd;
	(void)events;
	if (s->stall_ms > 0) {
		/* Test knob: the reader reads nothing for the first N ms. */
		uint64_t until = s->t_start + (uint64_t)s->stall_ms * NS_PER_MS,
			 now = clock_mono_ns();
		if (now < until) {
			struct timespec ts = {(time_t)((until - now) / NS_PER_S),
					      (long)((until - now) % NS_PER_S)};
			nanosleep(&ts, NULL);
		}
		s->stall_ms = 0;
	}
	/* Under a storm, waking up for every message costs more than reading
	 * it: when messages come in bunches, let them gather for a moment (the
	 * report is at the end; only the receive buffer must not fill, and it
	 * holds tens of thousands). Below 5000 messages/s every message is
	 * read at once, so exec enrichment of short-lived tasks still works. */
	int n = drain(s, on_record);
	uint64_t now = clock_mono_ns();

	if (now - s->win_start > 100 * NS_PER_MS) {
		s->busy = s->win_count > CN_BUSY_PER_100MS;
		s->win_start = now;
		s->win_count = 0;
	}
	s->win_count += (uint64_t)n;
	if (s->busy && n >= CN_COALESCE_MIN) {
		struct timespec ts = {0, CN_COALESCE_NS};
		nanosleep(&ts, NULL);
		s->win_count += (uint64_t)drain(s, on_record);
	}
}

static void on_enriched(void *ctx, int fd, uint32_t events)
{
	struct cn_src *s = ctx;

	(void)fd;
	(void)events;
	cn_enrich_flush(s->enrich, run_sink(s->run));
}

static int kernel_at_least(int maj, int min)
{
	struct utsname u;
	int a = 0, b = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &a, &b) != 2)
		return 0;
	return a > maj || (a == maj && b >= min);
}

/* 0 when the socket is listening; else -errno with s->why set. */
static int open_socket(struct cn_sock *c, struct cn_src *s)
{
	int want = (int)env_long("PROCIMAGE_TEST_CN_RCVBUF");
	int rc = cn_sock_open(c, want > 0 ? want : CN_RCVBUF, want <= 0);

	s->fd = c->fd;
	if (rc == 0)
		rc = cn_sock_listen(c, &s->dec);
	/* Events that arrive before the ack are from before our start and
	 * only seed the sequence numbers. */
	if (rc == 0)
		rc = cn_sock_wait_ack(c, &s->dec, CN_ACK_WAIT_MS, NULL, NULL);
	if (rc == 0 && s->mask != CN_EV_ALL) {
		/* The filter (6.6+) replaces the mask; older kernels ignore the
		 * 8-byte form and keep sending everything. */
		cn_sock_control(c, PROC_CN_MCAST_LISTEN, s->mask);
		if (kernel_at_least(6, 6))
			s->dec.check_seq = 0;
	}
	if (rc == 0)
		return 0;
	cn_sock_reason(c, rc, s->why, sizeof(s->why));
	cn_sock_close(c);
	s->fd = -1;
	return rc;
}

static void follow_child(void *ctx, int32_t tgid)
{
	struct cn_src *s = ctx;

	if (s->children && !targets_has_pid(&run_cfg(s->run)->targets, tgid))
		procfs_follow(run_procfs(s->run), tgid);
}

static int connector_start(struct run *r, void **state, struct source_status *st)
{
	struct cn_src *s = calloc(1, sizeof(*s));
	const struct run_config *o = run_cfg(r);

	*state = s;
	if (!s) {
		source_set(st, SOURCE_UNAVAILABLE, "out of memory");
		return -1;
	}
	s->run = r;
	s->st = st;
	s->fd = s->efd = -1;
	s->rootfd = procfs_root_fd(run_procfs(r));
	s->children = o->children;
	s->stall_ms = env_long("PROCIMAGE_TEST_CN_STALL_MS");
	s->t_start = clock_mono_ns();
	/* A run that needs only exits lets the kernel filter (6.6+). A
	 * recording keeps everything: a later report may want any image. */
	s->mask = CN_EV_ALL;
	if (o->exit_events_only)
		s->mask = (uint32_t)PROC_EVENT_EXIT | (uint32_t)PROC_EVENT_COREDUMP;
	cn_decoder_init(&s->dec, 1);
	s->fallback = open_socket(&s->sock, s) != 0;
	struct cn_scan_config sc = {s->rootfd, &o->targets, o->children, s->fallback};
	s->scan = cn_scan_new(&sc);
	if (s->scan) {
		cn_scan_on_follow(s->scan, follow_child, s);
		cn_scan_seed(s->scan);
	}
	s->t_scan0 = clock_mono_ns(); /* after the wait for an ack */
	if (s->fallback) {
		source_set(st, SOURCE_DEGRADED, "%s; fallback: /proc diffed each tick", s->why);
		return s->scan ? 0 : -1;
	}
	if (run_add_fd(r, s->fd, on_readable, s) < 0) {
		source_set(st, SOURCE_UNAVAILABLE, "cannot watch the connector socket");
		return -1;
	}
	s->enrich = cn_enrich_new(s->rootfd, &s->efd);
	if (s->enrich && run_add_fd(r, s->efd, on_enriched, s) < 0) {
		cn_enrich_free(s->enrich, NULL);
		s->enrich = NULL;
	}
	source_set(st, SOURCE_OK, "%s", "");
	return 0;
}

static void connector_tick(void *state, uint64_t now_ns, const struct record_sink *sink)
{
	struct cn_src *s = state;

	if (!s->scan)
		return;
	if (s->fallback) {
		cn_scan_diff(s->scan, now_ns, sink);
		s->scans++;
	} else if (s->need_rescan) {
		s->need_rescan = 0;
		cn_scan_diff(s->scan, now_ns, sink);
		s->scans++;
	}
}

static void connector_observe(void *state, const struct record *rec)
{
	struct cn_src *s = state;

	if (s->scan && rec->source == SRC_CONNECTOR)
		cn_scan_observe(s->scan, rec);
}

static void final_status(struct cn_src *s, struct source_status *st, uint64_t unknown_exec)
{
	double secs = (double)(clock_mono_ns() - s->t_scan0) / 1e9;
	char extra[160] = "";

	if (s->fallback) {
		source_set(st, SOURCE_DEGRADED,
			   "%s; fallback: /proc diffed %.1f times/s: tasks that lived less than "
			   "one scan are missed, exit codes and exact times unknown",
			   s->why, secs > 0 ? (double)s->scans / secs : 0.0);
		return;
	}
	if (unknown_exec)
		snprintf(extra, sizeof(extra),
			 "; %llu exec events without filename/argv "
			 "(task gone before /proc was read)",
			 (unsigned long long)unknown_exec);
	if (st->lost || s->enobufs)
		source_set(st, SOURCE_DEGRADED,
			   "receive buffer overflowed %llu times, at least %llu events lost "
			   "(receive buffer "
			   "%d KiB)%s",
			   (unsigned long long)s->enobufs, (unsigned long long)st->lost,
			   s->sock.rcvbuf / 1024, extra);
	else if (extra[0] || s->sock.rcvbuf < (8 << 20))
		source_set(st, SOURCE_OK, "receive buffer %d KiB%s", s->sock.rcvbuf / 1024, extra);
}

static void connector_stop(void *state, struct source_status *st)
{
	struct cn_src *s = state;
	uint64_t unknown = 0;

	if (!s)
		return;
	if (s->fd >= 0) {
		drain(s, on_record);
		/* ENOBUFS with no later message to measure it: each overflow
		 * dropped at least one message, so that is the lower bound. */
		if (s->enobufs && !st->lost && !s->lost_records) {
			source_note_loss(st, s->enobufs, clock_mono_ns());
			emit_lost(s, s->enobufs, s->t_start, clock_mono_ns());
		}
		cn_sock_close(&s->sock);
		s->fd = -1;
	}
	if (s->enrich) {
		cn_enrich_flush(s->enrich, run_sink(s->run));
		unknown = cn_enrich_free(s->enrich, run_sink(s->run));
	}
	final_status(s, st, unknown);
	cn_scan_free(s->scan);
	free(s);
}

const struct source_ops source_connector = {
    .name = "connector",
    .id = SRC_CONNECTOR,
    .start = connector_start,
    .tick = connector_tick,
    .observe = connector_observe,
    .stop = connector_stop,
};
