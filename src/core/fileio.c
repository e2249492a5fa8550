/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small-file helpers (see fileio.h). */
#include "core/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

ssize_t slurp(int dirfd, const char *path, char *buf, size_t len)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	n = n < 0 ? -errno : n;
	close(fd);
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
