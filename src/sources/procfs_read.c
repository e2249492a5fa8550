/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading a task's /proc files for the procfs source (procfs_int.h): one
 * descriptor kept per file and re-read with pread at offset 0, within a
 * budget below RLIMIT_NOFILE (beyond it: open, read, close), parsed by the
 * row of procfs_files.c.
 */
#include "sources/procfs_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "core/fileio.h"
#include "sources/procfs_parse.h"

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
void pf_fd_budget_init(struct procfs *p)
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

static int file_index(uint32_t bit)
{
	return __builtin_ctz(bit);
}

int pf_is_regular(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

int pf_may_keep(const struct procfs *p)
{
	return p->nkept < (p->keep_hot || !p->tiered ? p->fd_cap : p->fd_idle_cap);
}

/* Out of descriptors (EMFILE/ENFILE): never a sign that the task is gone.
 * Keep fewer from now on. */
int pf_fd_exhausted(struct procfs *p, int e)
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

ssize_t pf_pread(struct procfs *p, int fd)
{
	p->stats.preads++;
	return pread_text(fd, p->buf, sizeof(p->buf));
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
		if (fd < 0 && pf_fd_exhausted(p, errno))
			return -EAGAIN;
		if (fd >= 0 && !p->real_proc && !pf_is_regular(fd)) {
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
		if (pf_may_keep(p)) {
			*fdp = fd;
			p->nkept++;
		} else {
			transient = 1;
			p->stats.transient++;
		}
	}
	n = pf_pread(p, rfd);
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
int pf_read_files(struct procfs *p, int dirfd, const char *prefix, int *fds, uint32_t want,
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
