/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small-file helpers shared by the commands, sources and doctor: read a
 * /proc or /sys file whole, and create a private file safely. */
#ifndef PROCIMAGE_FILEIO_H
#define PROCIMAGE_FILEIO_H

#include <dirent.h>
#include <stdio.h>
#include <sys/types.h>

/* Read a small file (path relative to dirfd, or AT_FDCWD) into buf, at most
 * len - 1 bytes, NUL-terminated; bytes read or -errno. */
ssize_t slurp(int dirfd, const char *path, char *buf, size_t len);
/* fopen(path, "we") for a private file: mode 0600, truncated, and never
 * through a symlink planted where the file goes. NULL with errno set. */
FILE *fopen_private(const char *path);
/* The directory name (relative to dirfd, or AT_FDCWD; NULL: dirfd itself,
 * listed from its start) opened for readdir, with extra open flags (e.g.
 * O_NOFOLLOW). The DIR owns a descriptor of its own. NULL with errno set. */
DIR *opendir_at(int dirfd, const char *name, int flags);

#endif
