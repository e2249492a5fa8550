/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * doctor's file-based probes (see doctor_probe.h): /proc readability for our
 * own and another process, /dev/kmsg, the cgroup hierarchy, PSI (files and a
 * trigger), the delay-accounting sysctl, capabilities (libcap) and
 * namespaces. Each opens and reads the real thing rather than guessing from
 * the uid.
 */
#include "cli/doctor_probe.h"
#include "core/hostcaps.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/procroot.h"
#include "sources/procfs.h"
#include "sources/procfs_files.h"

static int cmdline_has(const char *word)
{
	char buf[4096];
	size_t n = strlen(word);

	if (slurp(AT_FDCWD, "/proc/cmdline", buf, sizeof(buf)) <= 0)
		return 0;
	for (const char *p = buf; (p = strstr(p, word)); p += n)
		if ((p == buf || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\n' || p[n] == '\0' || p[n] == '='))
			return 1;
	return 0;
}

/* ---- procfs --------------------------------------------------------- */

/* The procfs source's own table (procfs_files.c) says which files doctor
 * tries, and what their denial or absence costs. */
#define NF	PROCFS_NFILES
#define IX(bit) __builtin_ctz(bit)

/* errno per file for one pid dir (0 = readable or not tried). -1 when the
 * dir is missing. */
static int probe_pid_files(int rootfd, const char *name, int err[NF])
{
	char buf[4096];
	int dfd = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return -1;
	for (int i = 0; i < NF; i++) {
		ssize_t n =
		    procfs_files[i].doctor ? slurp(dfd, procfs_files[i].name, buf, sizeof(buf)) : 0;
		err[i] = n < 0 ? (int)-n : 0;
	}
	close(dfd);
	return 0;
}

/* Append "io EACCES, stack EPERM" for denied files to out. */
static size_t list_denied(const int err[NF], char *out, size_t len, size_t off)
{
	for (int i = 0; i < NF && off < len; i++)
		if (err[i] && err[i] != ENOENT)
			off += (size_t)snprintf(out + off, len - off, "%s%s %s",
						off && out[off - 1] != ' ' ? ", " : "",
						procfs_files[i].name, host_errname(err[i]));
	return off;
}

static void procfs_impact(struct doctor_item *it, const int self[NF], const int other[NF])
{
	size_t off = 0;
	char *o = it->impact;
	size_t len = sizeof(it->impact);

	for (int i = 0; i < NF && off < len; i++) {
		const struct procfs_file *f = &procfs_files[i];
		int denied = (self[i] && self[i] != ENOENT) || (other[i] && other[i] != ENOENT);
		if (self[i] == ENOENT && f->if_absent)
			off += (size_t)snprintf(o + off, len - off, "%s; ", f->if_absent);
		if (denied && f->if_denied && off < len)
			off += (size_t)snprintf(o + off, len - off, "%s; ", f->if_denied);
	}
	off = strlen(o);
	while (off && (o[off - 1] == ' ' || o[off - 1] == ';'))
		o[--off] = '\0';
}

/* The CapPrm (or CapEff) hex mask of pid under root, 0 when unreadable. */
static uint64_t cap_mask(const char *root, const char *pid, const char *key)
{
	char path[300], buf[4096];
	const char *p;

	snprintf(path, sizeof(path), "%s/%s/status", root, pid);
	if (slurp(AT_FDCWD, path, buf, sizeof(buf)) <= 0 || !(p = strstr(buf, key)))
		return 0;
	return strtoull(p + strlen(key), NULL, 16);
}

/* Why another task's files are refused: either we lack the capabilities, or
 * we hold them and the kernel's ptrace access check still says no. */
static size_t denied_why(char *out, size_t len, const char *root, int32_t pid)
{
	char spid[16], lack[160] = "";
	size_t off = 0;

	if (!host_has_cap(CAP_SYS_PTRACE) || !host_has_cap(CAP_DAC_READ_SEARCH))
		return (size_t)snprintf(out, len,
					" (io, syscall need CAP_SYS_PTRACE+"
					"CAP_DAC_READ_SEARCH for other users' tasks; stack also "
					"CAP_SYS_ADMIN)");
	snprintf(spid, sizeof(spid), "%d", pid);
	uint64_t extra = cap_mask(root, spid, "CapPrm:") & ~cap_mask("/proc", "self", "CapEff:");
	for (int b = 0; b < 64 && off < sizeof(lack); b++)
		if (extra >> b & 1) {
			char *n = cap_to_name(b);
			off += (size_t)snprintf(lack + off, sizeof(lack) - off, "%s%s",
						off ? "," : "", n ? n : "?");
			cap_free(n);
		}
	return (size_t)snprintf(
	    out, len,
	    " (refused although CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH are held: "
	    "the kernel's ptrace access check rejects this task%s%s%s)",
	    lack[0] ? "; it holds capabilities we lack: " : ", e.g. it is not dumpable", lack, "");
}

static void procfs_unavailable(struct doctor_item *it, int e, const char *why)
{
	it->state = SOURCE_UNAVAILABLE;
	it->err = e;
	snprintf(it->reason, sizeof(it->reason), "%s: %s", host_errname(e), why);
	snprintf(it->impact, sizeof(it->impact), "every image: nothing can be sampled");
}

void doctor_probe_procfs(struct doctor_item *it, const char *root, int32_t other_pid)
{
	char err[256];
	int self[NF] = {0}, other[NF] = {0};
	int rootfd, have_self, have_other;
	size_t off = 0;

	it->name = "procfs";
	int rc = procfs_check_root(root, err, sizeof(err));
	if (rc) {
		procfs_unavailable(it, -rc, err);
		return;
	}
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		int e = errno;
		snprintf(err, sizeof(err), "cannot open %s: %s", root, strerror(e));
		procfs_unavailable(it, e, err);
		return;
	}
	/* "self", not getpid(): in a new pid namespace our pid names another
	 * task in a /proc mounted outside it. */
	snprintf(err, sizeof(err), "%d", other_pid);
	have_self = probe_pid_files(rootfd, "self", self) == 0;
	have_other = other_pid > 0 && probe_pid_files(rootfd, err, other) == 0;
	close(rootfd);
	if (!have_self)
		for (int i = 0; i < NF; i++)
			self[i] = have_other ? other[i] : 0;
	it->state = SOURCE_OK;
	off += (size_t)snprintf(it->reason + off, sizeof(it->reason) - off, "own process: ");
	if (!have_self)
		off +=
		    (size_t)snprintf(it->reason + off, sizeof(it->reason) - off,
				     "not visible under %s (another pid namespace's /proc?)", root);
	else {
		size_t o2 = list_denied(self, it->reason, sizeof(it->reason), off);
		if (o2 == off)
			o2 += (size_t)snprintf(it->reason + off, sizeof(it->reason) - off,
					       "all readable");
		off = o2;
	}
	if (off < sizeof(it->reason))
		off += (size_t)snprintf(it->reason + off, sizeof(it->reason) - off,
					"; pid %d: ", other_pid);
	if (!have_other && off < sizeof(it->reason))
		off += (size_t)snprintf(it->reason + off, sizeof(it->reason) - off, "not found");
	else if (off < sizeof(it->reason)) {
		size_t o2 = list_denied(other, it->reason, sizeof(it->reason), off);
		if (o2 == off)
			o2 += (size_t)snprintf(it->reason + off, sizeof(it->reason) - off,
					       "all readable");
		else if (o2 < sizeof(it->reason))
			o2 += denied_why(it->reason + o2, sizeof(it->reason) - o2, root, other_pid);
		off = o2;
	}
	for (int i = 0; i < NF; i++)
		if (self[i] || other[i])
			it->state = SOURCE_DEGRADED;
	if (have_self && self[IX(PF_STAT)])
		it->state = SOURCE_UNAVAILABLE;
	if (it->state != SOURCE_OK)
		procfs_impact(it, self, other);
	/* Our own process not in the tree (or not as us): it is not the live
	 * /proc of this pid namespace, and that is not "ok". */
	char why[300];
	if (!procroot_is_live(root, why, sizeof(why))) {
		if (it->state == SOURCE_OK)
			it->state = SOURCE_DEGRADED;
		size_t l = strlen(it->impact);
		snprintf(it->impact + l, sizeof(it->impact) - l,
			 "%s%.160s: taskstats, connector, audit, cgroup and kmsg are not used with "
			 "this tree",
			 l ? "; " : "", why);
	}
	for (int i = 0; i < NF; i++)
		if (!it->err && (other[i] || self[i]))
			it->err = other[i] ? other[i] : self[i];
	off = (size_t)snprintf(it->detail, sizeof(it->detail), "root %s; absent files:", root);
	for (int i = 0; i < NF && off < sizeof(it->detail); i++)
		if (self[i] == ENOENT && procfs_files[i].if_absent)
			off += (size_t)snprintf(it->detail + off, sizeof(it->detail) - off, " %s",
						procfs_files[i].name);
}

static int userns_initial(void)
{
	struct host_ns ns[1];

	return host_namespaces(ns, 1) == 1 && ns[0].initial != 0;
}

/* ---- kmsg ----------------------------------------------------------- */

void doctor_probe_kmsg(struct doctor_item *it)
{
	char buf[2048], restrict_[16] = "?";
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	const char *lost = "exits: no OOM-kill or segfault lines from the kernel log; causes "
			   "come from signals and cgroup memory counters only";

	it->name = "kmsg";
	if (slurp(AT_FDCWD, "/proc/sys/kernel/dmesg_restrict", buf, sizeof(buf)) > 0)
		snprintf(restrict_, sizeof(restrict_), "%.*s", (int)strcspn(buf, "\n"), buf);
	if (fd < 0) {
		int e = errno;
		it->state = SOURCE_UNAVAILABLE;
		it->err = e;
		snprintf(it->impact, sizeof(it->impact), "%s", lost);
		if (e == EPERM || e == EACCES)
			snprintf(it->reason, sizeof(it->reason),
				 "%s: /dev/kmsg: kernel.dmesg_restrict=%s and CAP_SYSLOG %s",
				 host_errname(e), restrict_,
				 !host_has_cap(CAP_SYSLOG) ? "not held"
				 : userns_initial()	   ? "held"
						    : "held in a non-initial user namespace, "
						      "where it does not count");
		else
			snprintf(it->reason, sizeof(it->reason), "%s: /dev/kmsg: %s%s",
				 host_errname(e), strerror(e),
				 e == ENOENT ? " (no /dev/kmsg in this container)" : "");
		return;
	}
	ssize_t n = read(fd, buf, sizeof(buf));
	int e = n < 0 ? errno : 0;
	close(fd);
	if (n < 0 && e != EAGAIN && e != EPIPE) {
		it->state = SOURCE_UNAVAILABLE;
		it->err = e;
		snprintf(it->impact, sizeof(it->impact), "%s", lost);
		snprintf(it->reason, sizeof(it->reason), "%s: reading /dev/kmsg: %s",
			 host_errname(e), strerror(e));
		return;
	}
	it->state = SOURCE_OK;
	snprintf(it->reason, sizeof(it->reason), "/dev/kmsg readable (dmesg_restrict=%s)",
		 restrict_);
}

/* ---- cgroup and PSI ------------------------------------------------- */

void doctor_probe_cgroup(struct doctor_item *it)
{
	struct statfs sf;
	char buf[256] = "";

	it->name = "cgroup";
	if (statfs("/sys/fs/cgroup", &sf) < 0) {
		it->state = SOURCE_UNAVAILABLE;
		it->err = errno;
		snprintf(it->reason, sizeof(it->reason), "%s: /sys/fs/cgroup: %s",
			 host_errname(errno), strerror(errno));
		snprintf(it->impact, sizeof(it->impact),
			 "--cgroup still matches /proc/<pid>/cgroup paths; exits: no memcg OOM "
			 "counters");
		return;
	}
	it->state = SOURCE_OK;
	if ((unsigned long)sf.f_type == CGROUP2_SUPER_MAGIC) {
		slurp(AT_FDCWD, "/sys/fs/cgroup/cgroup.controllers", buf, sizeof(buf));
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(it->reason, sizeof(it->reason), "cgroup v2 (unified), controllers: %s",
			 buf[0] ? buf : "none");
		snprintf(it->detail, sizeof(it->detail), "v2");
		return;
	}
	int hybrid = statfs("/sys/fs/cgroup/unified", &sf) == 0 &&
		     (unsigned long)sf.f_type == CGROUP2_SUPER_MAGIC;
	int memv1 = access("/sys/fs/cgroup/memory/memory.oom_control", R_OK) == 0;
	snprintf(it->reason, sizeof(it->reason),
		 "cgroup v1%s; memory controller %s (OOM evidence from memory.oom_control)",
		 hybrid ? " with v2 at /sys/fs/cgroup/unified (hybrid)" : "",
		 memv1 ? "mounted" : "not mounted");
	snprintf(it->detail, sizeof(it->detail), "%s", hybrid ? "v1+v2 hybrid" : "v1");
	if (!memv1) {
		it->state = SOURCE_DEGRADED;
		snprintf(it->impact, sizeof(it->impact), "exits: no memcg OOM-kill counters");
	}
}

/* Try a PSI trigger; 0 or -errno. The trigger dies with the fd. */
static int psi_trigger(const char *spec)
{
	int fd = open("/proc/pressure/cpu", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, spec, strlen(spec) + 1) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

void doctor_probe_psi(struct doctor_item *it)
{
	static const char *const res[] = {"cpu", "io", "memory"};
	char buf[512], path[64];

	it->name = "psi";
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/proc/pressure/%s", res[i]);
		ssize_t n = slurp(AT_FDCWD, path, buf, sizeof(buf));
		if (n < 0) {
			int e = (int)-n;
			it->state = SOURCE_UNAVAILABLE;
			it->err = e;
			snprintf(it->impact, sizeof(it->impact),
				 "watch: no pressure rules; triage: no host CPU/IO/memory pressure "
				 "context (run-queue wait still comes from schedstat)");
			snprintf(it->reason, sizeof(it->reason), "%s: %s%s", host_errname(e), path,
				 e == ENOENT || e == EOPNOTSUPP
				     ? (cmdline_has("psi=0") ? ": psi=0 on the kernel command line"
							     : ": kernel without CONFIG_PSI, or "
							       "PSI_DEFAULT_DISABLED without psi=1")
				     : "");
			return;
		}
	}
	it->state = SOURCE_OK;
	int fast = psi_trigger("some 150000 1000000");
	int slow = fast ? psi_trigger("some 150000 2000000") : fast;
	if (!fast)
		snprintf(it->reason, sizeof(it->reason),
			 "cpu, io, memory readable; triggers with 1 s "
			 "windows accepted");
	else if (!slow)
		snprintf(
		    it->reason, sizeof(it->reason),
		    "cpu, io, memory readable; triggers only with 2 s window multiples (1 s: %s, "
		    "CAP_SYS_RESOURCE %s)",
		    host_errname(-fast), host_has_cap(CAP_SYS_RESOURCE) ? "held" : "not held");
	else {
		it->state = SOURCE_DEGRADED;
		it->err = -slow;
		snprintf(it->reason, sizeof(it->reason),
			 "cpu, io, memory readable; triggers refused (%s): watch polls the files",
			 host_errname(-slow));
		snprintf(it->impact, sizeof(it->impact),
			 "watch: pressure rules polled once per "
			 "interval instead of woken by the kernel");
	}
}

void doctor_probe_delayacct(struct doctor_item *it)
{
	char buf[32];
	ssize_t n = slurp(AT_FDCWD, "/proc/sys/kernel/task_delayacct", buf, sizeof(buf));
	const char *lost = "resource: blkio, swapin, freepages, thrashing, compact and wpcopy "
			   "delays read 0 for tasks started while it is off (CPU run-queue delay "
			   "stays exact from schedstat)";

	it->name = "delayacct";
	if (n < 0) {
		/* Before 5.14 there was no sysctl: accounting was on unless
		 * nodelayacct was given at boot. */
		int off = cmdline_has("nodelayacct");
		it->state = off ? SOURCE_DEGRADED : SOURCE_OK;
		it->err = (int)-n;
		snprintf(
		    it->reason, sizeof(it->reason), "no kernel.task_delayacct sysctl (%s): %s",
		    host_errname((int)-n),
		    off ? "nodelayacct on the kernel command line"
			: "a kernel before 5.14 accounts delays unless booted with nodelayacct");
		if (off)
			snprintf(it->impact, sizeof(it->impact), "%s", lost);
		return;
	}
	if (buf[0] == '1') {
		it->state = SOURCE_OK;
		snprintf(
		    it->reason, sizeof(it->reason),
		    "kernel.task_delayacct=1 (tasks started before it was set have no delays)");
		return;
	}
	it->state = SOURCE_DEGRADED;
	snprintf(it->reason, sizeof(it->reason),
		 "kernel.task_delayacct=0%s: enable it (sysctl or --enable-delayacct) before the "
		 "targets start",
		 cmdline_has("delayacct") ? " although delayacct is on the command line" : "");
	snprintf(it->impact, sizeof(it->impact), "%s", lost);
}
