/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small-file helpers (see fileio.h). */
#include "core/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

ssize_t slurp(int dirfd, const char *path, char *buf, size_t len)
{
	/* never through a symlink planted as the last component, never a
	 * FIFO or a device (a read that would block or never end) */
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
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

ssize_t pread_text(int fd, char *buf, size_t len)
{
	ssize_t n;

	do
		n = pread(fd, buf, len - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

DIR *opendir_at(int dirfd, const char *name, int flags)
{
	int fd = name ? openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | flags)
		      : fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (fd >= 0 && !d) {
		int e = errno;

		close(fd);
		errno = e;
	} else if (d && !name) {
		rewinddir(d); /* the duplicate shares dirfd's position */
	}
	return d;
}

FILE *fopen_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (fd >= 0 && !fp) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return fp;
}

/* One report file being written (see fileio.h safe_out_open). */
struct safe_out {
	int fd, dirfd;
	int in_place, truncated, created, regular, discard, err;
	int unnamed; /* O_TMPFILE: no name until the commit */
	char name[NAME_MAX + 1];
	char tmp[NAME_MAX + 1]; /* the named temp file, or the commit's link */
	FILE *fp, **owner;
	struct safe_out *next;
};

/* The open ones, for safe_out_discard (reports are written by one thread). */
static struct safe_out *open_outs;

static void temp_name(struct safe_out *s)
{
	unsigned r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (unsigned)getpid() ^ (unsigned)time(NULL) ^ (unsigned)(uintptr_t)s;
	/* hidden, and named after the target so that a stray one says whose */
	snprintf(s->tmp, sizeof(s->tmp), ".%.200s.%08x.tmp", s->name, r);
}

static ssize_t so_write(void *cookie, const char *buf, size_t len)
{
	struct safe_out *s = cookie;
	size_t done = 0;

	if (s->in_place && s->regular && !s->truncated) {
		/* the old content goes only when the new one comes */
		if (ftruncate(s->fd, 0) && !s->err)
			s->err = errno;
		s->truncated = 1;
	}
	while (done < len) {
		ssize_t n = write(s->fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			s->err = n < 0 ? errno : EIO;
			errno = s->err;
			return done ? (ssize_t)done : -1;
		}
		done += (size_t)n;
	}
	return (ssize_t)len;
}

/* Give the written file the target's name, in one rename. 0 or errno. */
static int commit(struct safe_out *s)
{
	char self[64];

	if (fsync(s->fd))
		return errno;
	if (s->unnamed) {
		int rc = -1;
		snprintf(self, sizeof(self), "/proc/self/fd/%d", s->fd);
		for (int tries = 0; rc && tries < 8; tries++) {
			temp_name(s);
			rc = linkat(AT_FDCWD, self, s->dirfd, s->tmp, AT_SYMLINK_FOLLOW);
			if (rc && errno != EEXIST)
				rc = linkat(s->fd, "", s->dirfd, s->tmp, AT_EMPTY_PATH);
			if (rc && errno != EEXIST)
				return errno;
		}
		if (rc)
			return EEXIST;
	}
	if (renameat(s->dirfd, s->tmp, s->dirfd, s->name)) {
		int e = errno;
		unlinkat(s->dirfd, s->tmp, 0);
		return e;
	}
	return 0;
}

static int so_close(void *cookie)
{
	struct safe_out *s = cookie;
	int err = s->err;

	if (s->discard || err) {
		if (!s->in_place && !s->unnamed)
			unlinkat(s->dirfd, s->tmp, 0);
		else if (s->in_place && s->created)
			unlinkat(s->dirfd, s->name, 0); /* ours, made empty at the start */
	} else if (s->in_place) {
		if (s->regular && !s->truncated && ftruncate(s->fd, 0)) /* an empty report */
			err = errno;
	} else {
		err = commit(s);
	}
	close(s->fd);
	close(s->dirfd);
	if (s->owner)
		*s->owner = NULL;
	for (struct safe_out **p = &open_outs; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	free(s);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

void safe_out_discard(FILE *fp)
{
	for (struct safe_out *s = open_outs; s; s = s->next)
		if (s->fp == fp)
			s->discard = 1;
}

/* Could this process still rename into dir once its capabilities are
 * dropped (the run keeps no CAP_DAC_OVERRIDE or CAP_FOWNER)? */
static int renamable_later(const struct stat *dir, const struct stat *old, int existed)
{
	uid_t uid = geteuid();
	mode_t need = dir->st_uid == uid	 ? S_IWUSR | S_IXUSR
		      : dir->st_gid == getegid() ? S_IWGRP | S_IXGRP
						 : S_IWOTH | S_IXOTH;

	if ((dir->st_mode & need) != need)
		return 0;
	/* sticky (/tmp): only the file's or the directory's owner replaces it */
	return !(existed && (dir->st_mode & S_ISVTX) && old->st_uid != uid && dir->st_uid != uid);
}

__attribute__((format(printf, 3, 4))) static int fail(struct safe_out_info *info, int e,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(info->why, sizeof(info->why), fmt, ap);
	va_end(ap);
	errno = e;
	return -1;
}

/* Where the file goes: its directory and name. 0, or -1 with why. */
static int open_dir(struct safe_out *s, const char *path, struct stat *dst,
		    struct safe_out_info *info)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	char dir[PATH_MAX];

	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return fail(info, EISDIR, "it names a directory: give a file name");
	if (strlen(name) > NAME_MAX - 24)
		return fail(info, ENAMETOOLONG, "its file name is longer than %d bytes",
			    NAME_MAX - 24);
	snprintf(s->name, sizeof(s->name), "%s", name);
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0 || fstat(s->dirfd, dst))
		return fail(info, errno, "its directory '%s' cannot be opened (%s)", dir,
			    strerror(errno));
	return 0;
}

/* The new file: unnamed in the directory, else a hidden named one. */
static int open_temp(struct safe_out *s, mode_t mode)
{
	char self[64];

	s->fd = openat(s->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
	if (s->fd >= 0) {
		/* the commit links it through /proc/self/fd: check it is there */
		snprintf(self, sizeof(self), "/proc/self/fd/%d", s->fd);
		if (access(self, F_OK) == 0)
			return s->unnamed = 1, 0;
		close(s->fd);
	}
	for (int tries = 0; tries < 8; tries++) {
		temp_name(s);
		s->fd = openat(s->dirfd, s->tmp,
			       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (s->fd >= 0 || errno != EEXIST)
			break;
	}
	return s->fd < 0 ? -1 : 0;
}

FILE *safe_out_open(const char *path, mode_t mode, unsigned flags, FILE **owner,
		    struct safe_out_info *info)
{
	static const cookie_io_functions_t io = {.write = so_write, .close = so_close};
	struct safe_out *s = calloc(1, sizeof(*s));
	struct stat dst, st;
	int e;

	memset(info, 0, sizeof(*info));
	if (!s)
		return NULL;
	s->fd = s->dirfd = -1;
	if (open_dir(s, path, &dst, info))
		goto fail;
	info->dir_dev = dst.st_dev;
	info->dir_ino = dst.st_ino;
	snprintf(info->name, sizeof(info->name), "%s", s->name);
	if (fstatat(s->dirfd, s->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		info->existed = 1;
		info->dev = st.st_dev;
		info->ino = st.st_ino;
		if (S_ISLNK(st.st_mode)) {
			fail(info, ELOOP,
			     "it is a symbolic link: reports are never written through one (a "
			     "planted link could redirect them); give the real path");
			goto fail;
		}
		if (S_ISDIR(st.st_mode)) {
			fail(info, EISDIR, "it is a directory: give a file name in it");
			goto fail;
		}
	} else if (errno != ENOENT) {
		fail(info, errno, "it cannot be examined (%s)", strerror(errno));
		goto fail;
	}
	s->regular = !info->existed || S_ISREG(st.st_mode);
	s->in_place =
	    (flags & SAFE_OUT_STREAM) || !s->regular || !renamable_later(&dst, &st, info->existed);
	if (s->in_place) {
		int trunc = (flags & SAFE_OUT_STREAM) && s->regular ? O_TRUNC : 0;
		s->fd = openat(s->dirfd, s->name,
			       O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | trunc, mode);
		s->created = s->fd >= 0 && !info->existed;
		s->truncated = trunc != 0;
	} else if (open_temp(s, mode) == 0) {
		if (info->existed) { /* a replaced report keeps its mode and owner */
			fchmod(s->fd, st.st_mode & 0777);
			if (fchown(s->fd, st.st_uid, st.st_gid))
				(void)0; /* not root: the file is ours, as it would be anyway */
		} else {
			fchmod(s->fd, mode); /* exactly mode, whatever the umask */
		}
	}
	if (s->fd < 0) {
		fail(info, errno, "cannot create a file in its directory (%s)", strerror(errno));
		goto fail;
	}
	info->in_place = s->in_place;
	s->fp = fopencookie(s, "w", io);
	if (!s->fp)
		goto fail;
	s->owner = owner;
	if (owner)
		*owner = s->fp;
	s->next = open_outs;
	open_outs = s;
	return s->fp;
fail:
	e = errno;
	if (s->fd >= 0) {
		if (s->created)
			unlinkat(s->dirfd, s->name, 0);
		else if (!s->in_place && !s->unnamed)
			unlinkat(s->dirfd, s->tmp, 0);
		close(s->fd);
	}
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s);
	errno = e;
	return NULL;
}
