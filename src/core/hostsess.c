/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host session files (see hostsess.h): one small file per run and kind,
 * written and removed under the kind's directory lock, and the judgement of
 * whether a file's owner still runs (pid, start time, pid namespace).
 */
#include "core/hostsess.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fileio.h"

static const char *base_dir(void)
{
	const char *env = getenv("PROCIMAGE_RUN_DIR");

	return env && *env ? env : "/run/procimage";
}

const char *hs_dir(const char *kind, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", base_dir(), kind);
	return buf;
}

int hs_lock(const char *kind, int create)
{
	char dir[256], path[300];
	int fd;

	hs_dir(kind, dir, sizeof(dir));
	if (create) {
		mkdir(base_dir(), 0700);
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -errno;
	}
	snprintf(path, sizeof(path), "%s/.lock", dir);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			int e = errno;
			close(fd);
			return -e;
		}
	return fd;
}

void hs_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

/* stat field 22 (start time in ticks) and the state letter of pid. */
static uint64_t stat_start(const char *path, char *state)
{
	char buf[1024];
	const char *p;

	*state = 0;
	if (slurp(AT_FDCWD, path, buf, sizeof(buf)) <= 0 || !(p = strrchr(buf, ')')))
		return 0;
	p += 2; /* ") " */
	*state = *p;
	/* p is at field 3 (state); the start time is field 22. */
	for (int f = 3; f < 22 && p; f++)
		if ((p = strchr(p, ' ')))
			p++;
	return p ? strtoull(p, NULL, 10) : 0;
}

uint64_t hs_pid_start(pid_t pid)
{
	char path[64], st;
	uint64_t start;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	start = stat_start(path, &st);
	return st == 'Z' || st == 'X' ? 0 : start;
}

uint64_t hs_self_start(void)
{
	char st;

	return stat_start("/proc/self/stat", &st);
}

unsigned long hs_self_pidns(void)
{
	char buf[64];
	ssize_t n = readlink("/proc/self/ns/pid", buf, sizeof(buf) - 1);
	const char *p;

	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strchr(buf, '[');
	return p ? strtoul(p + 1, NULL, 10) : 0;
}

enum hs_alive hs_owner_alive(pid_t pid, uint64_t start, unsigned long pidns)
{
	char path[64], comm[32];

	if (pidns && pidns != hs_self_pidns())
		return HS_UNKNOWN; /* its pid means another task here */
	if (pid <= 0)
		return HS_DEAD;
	if (start)
		return hs_pid_start(pid) == start ? HS_ALIVE : HS_DEAD;
	/* An older file: a live procimage of that pid is taken for its owner. */
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	return hs_pid_start(pid) && slurp(AT_FDCWD, path, comm, sizeof(comm)) > 0 &&
		       strncmp(comm, "procimage", 9) == 0
		   ? HS_ALIVE
		   : HS_DEAD;
}

long long hs_get(const char *payload, const char *key, long long def)
{
	size_t kl = strlen(key);

	for (const char *p = payload; (p = strstr(p, key)); p += kl)
		if ((p == payload || p[-1] == ' ') && p[kl] == '=')
			return strtoll(p + kl + 1, NULL, 10);
	return def;
}

int hs_list(const char *kind, struct hs_entry *e, int max)
{
	char dir[256], path[512];
	DIR *d = opendir(hs_dir(kind, dir, sizeof(dir)));
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < max) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0 || end == de->d_name || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		memset(&e[n], 0, sizeof(e[n]));
		if (slurp(AT_FDCWD, path, e[n].payload, sizeof(e[n].payload)) < 0)
			continue;
		e[n].payload[strcspn(e[n].payload, "\n")] = 0;
		e[n].pid = (pid_t)pid;
		e[n].start = (uint64_t)hs_get(e[n].payload, "start", 0);
		e[n].pidns = (unsigned long)hs_get(e[n].payload, "pidns", 0);
		e[n].alive = hs_owner_alive(e[n].pid, e[n].start, e[n].pidns);
		n++;
	}
	closedir(d);
	return n;
}

int hs_write(const char *kind, const char *payload)
{
	char dir[256], path[300];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%d", hs_dir(kind, dir, sizeof(dir)), (int)getpid());
	fp = fopen_private(path);
	if (!fp)
		return -errno;
	fprintf(fp, "%s start=%llu pidns=%lu\n", payload, (unsigned long long)hs_self_start(),
		hs_self_pidns());
	return fclose(fp) ? -errno : 0;
}

void hs_remove(const char *kind, pid_t pid)
{
	char dir[256], path[300];

	snprintf(path, sizeof(path), "%s/%d", hs_dir(kind, dir, sizeof(dir)), (int)pid);
	unlink(path);
}
