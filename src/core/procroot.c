/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --proc-root: the live /proc or a foreign tree (see procroot.h). A copy of
 * a tree, another machine's fixtures, another pid namespace's /proc: the
 * pids in it are not the pids the live interfaces report.
 */
#include "core/procroot.h"

#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

int procroot_is_live(const char *root, char *why, size_t len)
{
	struct statfs sf;
	char path[4200], link[32];
	ssize_t n;

	if (!root || !strcmp(root, "/proc"))
		return 1;
	if (statfs(root, &sf) < 0 || (unsigned long)sf.f_type != PROC_SUPER_MAGIC) {
		snprintf(why, len, "%s is not a mounted procfs (a copy or fixtures)", root);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/self", root);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0) {
		snprintf(why, len,
			 "this process is not visible in %s (the /proc of another pid namespace)",
			 root);
		return 0;
	}
	link[n] = 0;
	if (strtol(link, NULL, 10) != (long)getpid()) {
		snprintf(why, len,
			 "%s/self is pid %s, not this process's %d (the /proc of another pid "
			 "namespace)",
			 root, link, (int)getpid());
		return 0;
	}
	return 1;
}
