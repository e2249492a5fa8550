/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The audit source: exact per-syscall records for target processes.
 *
 * One narrow exit rule per target process (its arch, -F pid=TGID, key
 * procimage-<our pid>), and a reader that never makes the target wait:
 *  - preferred: the read-only multicast group (CAP_AUDIT_READ). A stalled
 *    reader only loses records (ENOBUFS, counted), and it is the only way
 *    when auditd (or anyone) already owns the audit pid;
 *  - fallback, when nobody owns the audit pid: register as the audit pid.
 * When we own the host's audit we set backlog_wait_time=0 for the capture,
 * so a full queue drops records (counted by the kernel) instead of putting
 * the target in D state. Everything we change is undone at stop (which the
 * run loop reaches on the duration, SIGINT, SIGTERM, SIGHUP and when every
 * target is gone), a rule as soon as its process exits, and what a killed
 * run left behind at the next start (see audit.h).
 * Without pid targets start() touches nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <libaudit.h>
#include <linux/netlink.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/fileio.h"
#include "core/run.h"
#include "core/syscall_names.h"
#include "sources/audit.h"
#include "sources/audit_parse.h"

#define MAX_ARMED	16
#define BATCH		32
#define MSG_BUF		8992 /* MAX_AUDIT_MESSAGE_LENGTH + header */
#define DRAIN_BUDGET	8192
#define RCVBUF		(32 << 20)
#define CAPTURE_BACKLOG 32768
#define DRAIN_MAX_MS	2000

enum reader_mode { READER_MCAST = 1, READER_UNICAST };

struct armed {
	int32_t tgid;
	uint32_t arch;
	int active;
	int announce; /* 1: emit "on", -1: emit "off" at the next tick */
};

struct audit_src {
	struct run *run;
	struct source_status *st;
	int ctl, rd;
	enum reader_mode mode;
	int own_host;	/* we changed host settings (session file written) */
	int announced;	/* our rules are announced (rules/<pid>) */
	int registered; /* we are the audit pid */
	struct audit_session sess;
	struct audit_host start;
	char key[32];
	int lazy; /* arm target processes seen in samples (--comm, --cgroup) */
	struct armed armed[MAX_ARMED];
	int narmed, refused;
	int ready;  /* host audit set up (first target armed) */
	int broken; /* setup failed: never try again */
	const char *syscalls;
	int64_t wall_minus_mono;
	uint64_t records, enobufs, parse_errors, kernel_lost;
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	char bufs[BATCH][MSG_BUF];
};

static void emit_capture(struct audit_src *a, int32_t tgid, int on, int ok, uint32_t arch,
			 const char *why)
{
	struct record r = {.kind = REC_CAPTURE, .source = SRC_AUDIT, .cpu = -1};

	r.t_ns = clock_mono_ns();
	r.key.tgid = r.key.tid = tgid;
	r.u.capture = (struct rec_capture){.on = (uint8_t)on, .ok = (uint8_t)ok, .arch = arch};
	r.text = why;
	r.text_len = (uint32_t)strlen(why);
	run_dispatch(a->run, &r);
}

/* The arch of a process from its executable's ELF header. */
static uint32_t process_arch(int32_t tgid)
{
	unsigned char h[20];
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return syscall_native_arch();
	ssize_t n = read(fd, h, sizeof(h));
	close(fd);
	if (n == (ssize_t)sizeof(h) && !memcmp(h, "\177ELF", 4) && h[18] == 3 && h[4] == 1)
		return SC_ARCH_I386;
	return syscall_native_arch();
}

/* Syscall numbers for --syscalls in this arch; n == 0 means all. */
static int resolve_list(const char *list, uint32_t arch, int *nrs, int max)
{
	char buf[1024], *save = NULL;
	int n = 0;

	if (!list || !*list)
		return 0;
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t && n < max; t = strtok_r(NULL, ",", &save)) {
		char *end;
		long v = strtol(t, &end, 10);
		int nr = (*end || end == t) ? syscall_nr(arch, t) : (int)v;
		if (nr >= 0)
			nrs[n++] = nr;
	}
	return n ? n : -1;
}

static struct armed *find_armed(struct audit_src *a, int32_t tgid)
{
	for (int i = 0; i < a->narmed; i++)
		if (a->armed[i].tgid == tgid)
			return &a->armed[i];
	return NULL;
}

static int ensure_ready(struct audit_src *a);

static void arm(struct audit_src *a, int32_t tgid)
{
	int nrs[512];
	struct armed *m = find_armed(a, tgid);

	if (m || tgid <= 0 || ensure_ready(a) < 0)
		return;
	if (a->narmed >= MAX_ARMED) {
		a->refused++;
		return;
	}
	m = &a->armed[a->narmed++];
	m->tgid = tgid;
	m->arch = process_arch(tgid);
	int n = resolve_list(a->syscalls, m->arch, nrs, 512);
	int rc = n < 0 ? -ENOENT : auditctl_add_pid_rule(a->ctl, m->arch, tgid, nrs, n, a->key);
	m->active = rc == 0;
	m->announce = rc == 0 ? 1 : 0;
	if (rc)
		source_set(a->st, SOURCE_DEGRADED, "adding the rule for pid %d failed: %s", tgid,
			   strerror(-rc));
}

static void disarm(struct audit_src *a, struct armed *m)
{
	if (!m->active)
		return;
	auditctl_del_rules(a->ctl, a->key, m->tgid);
	m->active = 0;
	m->announce = -1;
}

/* Resolve -p TIDs to their thread group (rules match the tgid). */
static int32_t tgid_of(int32_t pid)
{
	char path[64], buf[1024];

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (slurp(AT_FDCWD, path, buf, sizeof(buf)) <= 0)
		return -1;
	char *p = strstr(buf, "\nTgid:");
	return p ? (int32_t)strtol(p + 6, NULL, 10) : -1;
}

static void deliver(struct audit_src *a, const char *txt, size_t len)
{
	struct audit_sc sc;
	struct record r = {.kind = REC_SYSCALL, .source = SRC_AUDIT, .cpu = -1};

	if (audit_parse_syscall(txt, len, &sc)) {
		a->parse_errors++;
		return;
	}
	/* Records of a process whose rule is already gone are still ours: the
	 * kernel queued them before the rule went. */
	if (!find_armed(a, sc.pid))
		return;
	r.t_ns = (uint64_t)((int64_t)(sc.wall_ms * NS_PER_MS) - a->wall_minus_mono);
	r.key.tgid = sc.pid;
	r.key.tid = 0; /* audit names the thread group only */
	memcpy(r.comm, sc.comm, sizeof(r.comm));
	r.u.sc.nr = sc.nr;
	r.u.sc.arch = sc.arch;
	r.u.sc.ret = sc.exit;
	r.u.sc.success = sc.success == 1 || (sc.success < 0 && sc.exit >= 0);
	r.u.sc.serial = sc.serial;
	r.u.sc.wall_ms = sc.wall_ms;
	memcpy(r.u.sc.args, sc.args, sizeof(r.u.sc.args));
	a->records++;
	a->st->events++;
	run_dispatch(a->run, &r);
}

static void note_enobufs(struct audit_src *a)
{
	struct record r = {.kind = REC_LOST, .source = SRC_AUDIT, .cpu = -1};

	a->enobufs++;
	r.t_ns = clock_mono_ns();
	r.u.lost.episodes = 1;
	source_note_loss(a->st, 0, r.t_ns);
	run_dispatch(a->run, &r);
}

/* Drain the reader without blocking; a budget keeps the tick on time. */
static void on_readable(void *ctx, int fd, uint32_t events)
{
	struct audit_src *a = ctx;
	int total = 0;

	(void)events;
	while (total < DRAIN_BUDGET) {
		for (int i = 0; i < BATCH; i++) {
			a->iov[i] = (struct iovec){a->bufs[i], MSG_BUF - 1};
			memset(&a->msgs[i].msg_hdr, 0, sizeof(a->msgs[i].msg_hdr));
			a->msgs[i].msg_hdr.msg_iov = &a->iov[i];
			a->msgs[i].msg_hdr.msg_iovlen = 1;
		}
		int n = recvmmsg(fd, a->msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == ENOBUFS) {
				note_enobufs(a);
				continue;
			}
			break; /* EAGAIN, EINTR: the next wakeup drains the rest */
		}
		for (int i = 0; i < n; i++) {
			struct nlmsghdr *h = (struct nlmsghdr *)a->bufs[i];
			size_t len = a->msgs[i].msg_len;
			if (len < NLMSG_HDRLEN || h->nlmsg_type != AUDIT_SYSCALL)
				continue;
			size_t plen =
			    h->nlmsg_len <= len ? h->nlmsg_len - NLMSG_HDRLEN : len - NLMSG_HDRLEN;
			deliver(a, (const char *)NLMSG_DATA(h), plen);
		}
		total += n;
		if (n < BATCH)
			break;
	}
}

/* After the rules are gone: read what the kernel still queues (kauditd
 * sends asynchronously), until its backlog is empty and the socket quiet,
 * for at most DRAIN_MAX_MS. */
static void drain_queue(struct audit_src *a)
{
	uint64_t end = clock_mono_ns() + DRAIN_MAX_MS * NS_PER_MS;
	struct audit_host h;
	uint64_t before;
	int quiet = 0;

	while (clock_mono_ns() < end && quiet < 3) {
		before = a->records + a->parse_errors;
		on_readable(a, a->rd, 0);
		int idle = a->records + a->parse_errors == before;
		if (idle && auditctl_status(a->ctl, &h) == 0 && h.backlog == 0)
			quiet++;
		else
			quiet = 0;
		if (idle)
			usleep(10000);
	}
}

static int unavailable(struct audit_src *a, const char *why)
{
	source_set(a->st, SOURCE_UNAVAILABLE, "%s", why);
	emit_capture(a, 0, 0, 0, 0, why);
	return -1;
}

/* Someone else (auditd) owns the audit pid and is alive. */
static int pid_owned_by_other(const struct audit_host *h)
{
	return h->pid && (pid_t)h->pid != getpid() && kill((pid_t)h->pid, 0) == 0;
}

/* Take the host's audit for the capture: session file first (so a kill
 * from here on is undone by the next start), then the settings. */
static int take_host(struct audit_src *a)
{
	uint32_t limit =
	    a->start.backlog_limit > CAPTURE_BACKLOG ? a->start.backlog_limit : CAPTURE_BACKLOG;
	int rc;

	audit_session_begin(&a->sess, a->ctl, &a->start);
	a->own_host = 1;
	rc = auditctl_set_backlog(a->ctl, limit, 0);
	if (rc == 0 && !a->start.enabled)
		rc = auditctl_set_enabled(a->ctl, 1);
	return rc;
}

static int open_reader(struct audit_src *a)
{
	const char *force = getenv("PROCIMAGE_AUDIT_READER");
	int other = pid_owned_by_other(&a->start);

	if (!force || strcmp(force, "unicast") != 0) {
		a->rd = auditctl_open_mcast(RCVBUF);
		if (a->rd >= 0) {
			a->mode = READER_MCAST;
			return 0;
		}
	}
	if (other)
		return -EEXIST;
	a->mode = READER_UNICAST;
	return 0; /* registered after the host settings are taken */
}

static int setup(struct audit_src *a)
{
	int rc;
	char why[200];

	a->ctl = auditctl_open();
	if (a->ctl < 0)
		return unavailable(a, audit_errstr(-a->ctl));
	rc = auditctl_status(a->ctl, &a->start);
	if (rc)
		return unavailable(a, audit_errstr(-rc));
	if (a->start.enabled == 2)
		return unavailable(a, "audit rules are locked (enabled=2) until reboot");
	if (a->start.failure == AUDIT_FAIL_PANIC)
		return unavailable(
		    a, "audit failure mode is 'panic': a lost record would panic the host");
	/* Announced before anything changes: a kill from here on is undone by
	 * the next start of any command. */
	a->announced = audit_rules_announce() == 0;
	if (open_reader(a) < 0) {
		snprintf(why, sizeof(why),
			 "pid %u (auditd) owns audit and the multicast reader needs CAP_AUDIT_READ",
			 a->start.pid);
		return unavailable(a, why);
	}
	if (pid_owned_by_other(&a->start)) {
		if (!a->start.enabled)
			return unavailable(a, "audit is disabled and another process (auditd) owns "
					      "it: enable it with 'auditctl -e 1'");
	} else if ((rc = take_host(a)) != 0) {
		return unavailable(a, audit_errstr(-rc));
	}
	if (a->mode == READER_UNICAST) {
		a->rd = auditctl_open_unicast(RCVBUF);
		if (a->rd < 0)
			return unavailable(a, audit_errstr(-a->rd));
		a->registered = 1;
	}
	auditctl_del_stale_rules(a->ctl);
	return 0;
}

/* Audit slows every audited syscall of the target ~40x: only runs that ask
 * (--source audit, or the syscall image's commands: audit_by_default) use it. */
static int opted_in(const struct run_config *o)
{
	return o->audit_by_default || (o->source_mode && !strcmp(o->source_mode, "audit"));
}

/* Touch the host's audit only once there is a process to capture. */
static int ensure_ready(struct audit_src *a)
{
	if (a->ready)
		return 0;
	if (a->broken)
		return -1;
	if (setup(a) < 0 || run_add_fd(a->run, a->rd, on_readable, a) < 0) {
		if (a->st->state != SOURCE_UNAVAILABLE)
			unavailable(a, "cannot watch the audit socket");
		a->broken = 1;
		return -1;
	}
	a->ready = 1;
	source_set(
	    a->st, SOURCE_OK, "%s",
	    a->mode == READER_MCAST
		? "multicast reader: a slow reader loses records (counted), never blocks the target"
		: "registered as audit pid with backlog_wait_time=0: a full queue drops records "
		  "(counted), never blocks the target");
	return 0;
}

static void audit_stop(void *state, struct source_status *st);

static int audit_start(struct run *r, void **state, struct source_status *st)
{
	const struct run_config *o = run_cfg(r);
	struct audit_src *a;

	*state = NULL;
	if (o->source_mode && strcmp(o->source_mode, "sample") == 0) {
		source_set(st, SOURCE_UNAVAILABLE, "not used: --source sample");
		return -1;
	}
	if (!opted_in(o)) {
		source_set(st, SOURCE_UNAVAILABLE,
			   "opt-in (each audited syscall costs the target ~40x): use 'procimage "
			   "syscall' or --source audit");
		return -1;
	}
	if (o->targets.all) {
		source_set(st, SOURCE_UNAVAILABLE,
			   "audit captures named processes only (-p, --comm, --cgroup), not -a");
		return -1;
	}
	if (targets_empty(&o->targets)) {
		source_set(st, SOURCE_UNAVAILABLE,
			   "no process targets: audit state left untouched");
		return -1;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return -1;
	a->run = r;
	a->st = st;
	a->ctl = a->rd = -1;
	a->syscalls = o->syscalls;
	a->lazy = 1;
	a->wall_minus_mono = (int64_t)clock_wall_ns() - (int64_t)clock_mono_ns();
	snprintf(a->key, sizeof(a->key), AUDIT_KEY_PREFIX "%d", (int)getpid());
	for (int i = 0; i < o->targets.npids; i++)
		arm(a, tgid_of(o->targets.pids[i]));
	if (a->broken) {
		struct source_status keep = *st;
		audit_stop(a, st);
		*st = keep;
		return -1;
	}
	if (!a->ready)
		source_set(st, SOURCE_OK,
			   "waiting for a target process: audit untouched until one is seen");
	*state = a;
	return 0;
}

static void audit_tick(void *state, uint64_t now_ns, const struct record_sink *sink)
{
	struct audit_src *a = state;
	char why[160];

	(void)now_ns;
	(void)sink;
	if (a->rd >= 0)
		on_readable(a, a->rd, 0);
	for (int i = 0; i < a->narmed; i++) {
		struct armed *m = &a->armed[i];
		if (!m->announce)
			continue;
		snprintf(why, sizeof(why), "%s rule for pid %d (%s), %s reader",
			 m->announce > 0 ? "added" : "removed", m->tgid, syscall_arch_name(m->arch),
			 a->mode == READER_MCAST ? "multicast" : "audit-pid");
		m->announce = 0;
		emit_capture(a, m->tgid, m->active, 1, m->arch, why);
	}
}

static void audit_observe(void *state, const struct record *rec)
{
	struct audit_src *a = state;
	struct armed *m;

	switch (rec->kind) {
	case REC_GONE:
		if (rec->u.sample.scope == SCOPE_PROCESS && (m = find_armed(a, rec->key.tgid)))
			disarm(a, m);
		break;
	case REC_EXIT:
		if (!rec->u.exit.is_thread && (m = find_armed(a, rec->key.tgid)))
			disarm(a, m);
		break;
	case REC_SAMPLE:
		/* --comm / --cgroup targets become known through samples. */
		if (a->lazy && !find_armed(a, rec->key.tgid))
			arm(a, rec->key.tgid);
		break;
	default:
		break;
	}
}

static void audit_stop(void *state, struct source_status *st)
{
	struct audit_src *a = state;
	struct audit_host now;

	if (!a)
		return;
	if (a->ctl >= 0) {
		int del = auditctl_del_rules(a->ctl, a->key, 0);
		if (a->rd >= 0 && a->narmed)
			drain_queue(a);
		if (a->registered)
			audit_set_pid(a->ctl, 0, WAIT_NO);
		/* The kernel's lost counter is host-wide: with another rule set
		 * active it may include their losses too; better over than under. */
		if (auditctl_status(a->ctl, &now) == 0 && now.lost > a->start.lost) {
			uint64_t lost = now.lost - a->start.lost;
			struct record r = {.kind = REC_LOST, .source = SRC_AUDIT, .cpu = -1};
			r.t_ns = clock_mono_ns();
			r.u.lost.count = lost;
			r.u.lost.episodes = 1;
			run_dispatch(a->run, &r);
			source_note_loss(st, lost, r.t_ns);
			a->kernel_lost = lost;
		}
		if (a->own_host && audit_session_end(&a->sess))
			audit_session_restore(&a->sess, a->ctl);
		/* Our rules are gone: nothing of ours is left to undo. Kept when
		 * the deletion failed, so the next start tries again. */
		if (a->announced && del >= 0)
			audit_rules_retire();
	}
	const char *mode = a->mode == READER_MCAST ? "multicast reader" : "audit-pid reader";
	if (a->enobufs && st->state == SOURCE_OK)
		source_set(st, SOURCE_DEGRADED,
			   "%s fell behind %llu times (ENOBUFS): records lost, count unknown", mode,
			   (unsigned long long)a->enobufs);
	if (a->kernel_lost)
		source_set(st, SOURCE_DEGRADED,
			   "%s; the kernel dropped %llu audit records during the capture (queue "
			   "full%s): counts are lower bounds",
			   mode, (unsigned long long)a->kernel_lost,
			   a->own_host ? "; backlog_wait_time=0 keeps the target running" : "");
	if (a->refused)
		source_set(st, SOURCE_DEGRADED,
			   "%d target processes beyond the first %d were not audited", a->refused,
			   MAX_ARMED);
	if (a->rd >= 0)
		close(a->rd);
	auditctl_close(a->ctl);
	free(a);
}

const struct source_ops source_audit = {
    .name = "audit",
    .id = SRC_AUDIT,
    .start = audit_start,
    .tick = audit_tick,
    .observe = audit_observe,
    .stop = audit_stop,
};
