/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Why the kernel would refuse PTRACE_SEIZE, in words a user can act on:
 * Yama's kernel.yama.ptrace_scope (0 classic, 1 descendants only, 2 admin
 * only, 3 never), CAP_SYS_PTRACE, the target's uid, an existing tracer.
 * The explanation is pure (unit-tested); ptrace_stack_check() gathers the
 * facts from /proc and libcap.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>

#include "core/fileio.h"
#include "sources/ptrace_stack.h"

#define FIX_CAP "run procimage as root or give it CAP_SYS_PTRACE (setcap cap_sys_ptrace+ep)"

int ptrace_stack_explain(int scope, int have_cap, int same_uid, int descendant, int tracer_pid,
			 char *why, size_t len)
{
	if (tracer_pid > 0) {
		snprintf(why, len,
			 "the target is already traced by pid %d (a debugger or strace): "
			 "only one tracer at a time; detach it first",
			 tracer_pid);
		return -EPERM;
	}
	if (scope >= 3) {
		snprintf(why, len,
			 "kernel.yama.ptrace_scope=3 forbids ptrace for everyone until reboot; "
			 "use --kernel for kernel stacks only");
		return -EPERM;
	}
	if (scope == 2 && !have_cap) {
		snprintf(why, len,
			 "kernel.yama.ptrace_scope=2 allows ptrace only with CAP_SYS_PTRACE: %s",
			 FIX_CAP);
		return -EPERM;
	}
	if (!same_uid && !have_cap) {
		snprintf(why, len, "the target runs as another user: %s, or run it as that user",
			 FIX_CAP);
		return -EPERM;
	}
	if (scope == 1 && !have_cap && !descendant) {
		snprintf(
		    why, len,
		    "kernel.yama.ptrace_scope=1 lets a process trace only its descendants: %s, "
		    "or set sysctl kernel.yama.ptrace_scope=0",
		    FIX_CAP);
		return -EPERM;
	}
	return 0;
}

static int have_cap_sys_ptrace(void);

static int read_int_file(const char *path, int dflt)
{
	char buf[32];
	FILE *fp = fopen(path, "re");
	int v = dflt;

	if (!fp)
		return dflt;
	if (fgets(buf, sizeof(buf), fp))
		v = atoi(buf);
	fclose(fp);
	return v;
}

int ptrace_have_cap(void)
{
	return have_cap_sys_ptrace();
}

static int have_cap_sys_ptrace(void)
{
	cap_t c = cap_get_proc();
	cap_flag_value_t v = CAP_CLEAR;

	if (!c)
		return 0;
	cap_get_flag(c, CAP_SYS_PTRACE, CAP_EFFECTIVE, &v);
	cap_free(c);
	return v == CAP_SET;
}

/* "Uid:" real uid and "TracerPid:" from /proc/<pid>/status; ppid from stat. */
static int status_facts(pid_t pid, uid_t *uid, int *tracer, pid_t *ppid)
{
	char path[64], buf[4096];
	int dirfd;

	snprintf(path, sizeof(path), "/proc/%d", pid);
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	ssize_t n = slurp(dirfd, "status", buf, sizeof(buf));
	if (n > 0) {
		const char *u = strstr(buf, "\nUid:"), *t = strstr(buf, "\nTracerPid:");
		if (u)
			*uid = (uid_t)strtoul(u + 5, NULL, 10);
		if (t)
			*tracer = atoi(t + 11);
	}
	n = n > 0 ? slurp(dirfd, "stat", buf, sizeof(buf)) : n;
	close(dirfd);
	if (n <= 0)
		return n < 0 ? (int)n : -ESRCH;
	const char *rp = strrchr(buf, ')');
	*ppid = rp ? (pid_t)strtol(rp + 4, NULL, 10) : 0; /* ") S 1234" */
	return 0;
}

static int is_descendant(pid_t pid, pid_t ancestor)
{
	for (int depth = 0; pid > 1 && depth < 64; depth++) {
		uid_t uid;
		int tracer;
		pid_t ppid = 0;
		if (status_facts(pid, &uid, &tracer, &ppid) || ppid == pid)
			return 0;
		if (ppid == ancestor)
			return 1;
		pid = ppid;
	}
	return 0;
}

int ptrace_stack_check(pid_t pid, char *why, size_t len)
{
	uid_t uid = 0;
	int tracer = 0, rc;
	pid_t ppid = 0;

	rc = status_facts(pid, &uid, &tracer, &ppid);
	if (rc) {
		snprintf(why, len, "pid %d: %s", pid, strerror(-rc));
		return rc;
	}
	if (tracer == getpid())
		tracer = 0;
	return ptrace_stack_explain(read_int_file("/proc/sys/kernel/yama/ptrace_scope", -1),
				    have_cap_sys_ptrace(), uid == geteuid(),
				    is_descendant(pid, getpid()), tracer, why, len);
}
