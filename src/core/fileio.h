/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small-file helpers shared by the commands, sources and doctor: read a
 * /proc or /sys file whole (or again through a kept descriptor), create a
 * private file safely, and replace a
 * report file whole or not at all. */
#ifndef PROCIMAGE_FILEIO_H
#define PROCIMAGE_FILEIO_H

#include <dirent.h>
#include <stdio.h>
#include <sys/types.h>

/* Read a small file (path relative to dirfd, or AT_FDCWD) into buf, at most
 * len - 1 bytes, NUL-terminated; bytes read or -errno. The one whole-file
 * reader: a regular file only (-EINVAL otherwise), not through a symlink as
 * the last component (-ELOOP), a read interrupted by a signal retried. */
ssize_t slurp(int dirfd, const char *path, char *buf, size_t len);
/* A kept descriptor's small file read again from its start (a /proc file
 * reread each tick) into buf, at most len - 1 bytes, NUL-terminated; a read
 * interrupted by a signal retried. Bytes, or -1 with errno set (as pread:
 * ESRCH says a task's file outlived its task). */
ssize_t pread_text(int fd, char *buf, size_t len);
/* fopen(path, "we") for a private file: mode 0600, truncated, and never
 * through a symlink planted where the file goes. NULL with errno set. */
FILE *fopen_private(const char *path);
/* The directory name (relative to dirfd, or AT_FDCWD; NULL: dirfd itself,
 * listed from its start) opened for readdir, with extra open flags (e.g.
 * O_NOFOLLOW). The DIR owns a descriptor of its own. NULL with errno set. */
DIR *opendir_at(int dirfd, const char *name, int flags);

/*
 * A report file that appears whole or not at all. safe_out_open() checks and
 * opens everything before a run starts (so a bad -o fails in a second, not
 * after the run): the target's directory, and an unnamed file in it
 * (O_TMPFILE; a hidden named one where the filesystem has no O_TMPFILE).
 * The FILE it gives is written as usual; fclose() on it, from any caller,
 * links the new file over the target in one rename. A run killed before
 * leaves the target as it was (and, with O_TMPFILE, nothing else); a run
 * that fails calls safe_out_discard() first and leaves nothing either.
 * In place instead (the target itself is opened and written, truncated at
 * the first write): a target that is not a regular file (/dev/null, a FIFO),
 * SAFE_OUT_STREAM (a log that is read while it grows), and a directory the
 * run could not rename into once its capabilities are dropped (another
 * user's, writable to root only through CAP_DAC_OVERRIDE).
 */
#define SAFE_OUT_STREAM 1u /* write the target in place from the start (O_TRUNC) */

struct safe_out_info {
	int existed; /* the target existed when opened */
	dev_t dev;   /* its device and inode then (existed) */
	ino_t ino;
	dev_t dir_dev; /* the directory it is in */
	ino_t dir_ino;
	char name[256]; /* its name there */
	int in_place;	/* written in place, not replaced */
	char why[160];	/* on failure: what is wrong with the path */
};

/* The FILE for path (NULL with errno set and info->why filled: a missing
 * directory, a directory or a symlink at path, no permission). A new file
 * gets mode; a replaced one keeps its mode and owner. *owner is set to the
 * FILE and cleared when it is closed, so the caller knows whether it still
 * has to close it. */
FILE *safe_out_open(const char *path, mode_t mode, unsigned flags, FILE **owner,
		    struct safe_out_info *info);
/* The next fclose(fp) leaves the target as it was (a failed run or write). */
void safe_out_discard(FILE *fp);

#endif
