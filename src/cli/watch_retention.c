/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watch: retention of old dump folders, by count and by total size.
 * Only folders named like ours (YYYYMMDDTHHMMSSZ-...) are considered, and
 * only the regular files inside them are removed, relative to dir fds opened
 * with O_NOFOLLOW: nothing outside the dump directory can be touched.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/watch.h"
#include "core/fileio.h"

struct dump {
	char name[256];
	uint64_t bytes;
};

static int is_dump_name(const char *s)
{
	for (int i = 0; i < 16; i++) {
		char want = i == 8 ? 'T' : i == 15 ? 'Z' : 0;
		if (want ? s[i] != want : (s[i] < '0' || s[i] > '9'))
			return 0;
	}
	return s[16] == '-';
}

static uint64_t folder_bytes(int parent, const char *name, int remove)
{
	DIR *d = opendir_at(parent, name, O_NOFOLLOW);
	struct dirent *de;
	struct stat st;
	uint64_t total = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    S_ISDIR(st.st_mode))
			continue;
		total += (uint64_t)st.st_blocks * 512;
		if (remove)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	return total;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct dump *)a)->name, ((const struct dump *)b)->name);
}

void watch_retention(int dirfd, const char *keep_name, int keep_count, uint64_t keep_bytes)
{
	DIR *d = opendir_at(dirfd, NULL, 0);
	struct dirent *de;
	struct dump *v = NULL;
	size_t n = 0, cap = 0;
	uint64_t total = 0;

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;
		if (!is_dump_name(de->d_name) || strlen(de->d_name) >= sizeof(v->name) ||
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (n == cap) {
			struct dump *nv = realloc(v, (cap = cap ? cap * 2 : 32) * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		strcpy(v[n].name, de->d_name);
		v[n].bytes = folder_bytes(dirfd, de->d_name, 0);
		total += v[n].bytes;
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(v, n, sizeof(*v), by_name);
	for (size_t i = 0; i < n; i++) {
		size_t left = n - i;
		if ((keep_count <= 0 || left <= (size_t)keep_count) &&
		    (!keep_bytes || total <= keep_bytes))
			break;
		if (strcmp(v[i].name, keep_name) == 0)
			continue;
		folder_bytes(dirfd, v[i].name, 1);
		if (unlinkat(dirfd, v[i].name, AT_REMOVEDIR) == 0) {
			watch_log("retention: removed %s (%llu KiB)", v[i].name,
				  (unsigned long long)(v[i].bytes / 1024));
			total -= v[i].bytes;
		}
	}
	free(v);
}
