/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watch: the snapshot part of a capture, taken the moment a rule fires:
 * copies of /proc/<pid>/{status,limits,cgroup,stat,cmdline,io,sched,
 * schedstat}, every fd and its target (fds.txt), and per thread its state,
 * wchan, current syscall and kernel stack (threads.txt). Files are created
 * with O_CREAT|O_EXCL|O_NOFOLLOW, 0600, relative to the capture folder.
 * Everything is written in the text form of out.h (a control byte or a
 * byte that is not UTF-8 as \xNN; a copy keeps its newlines): comm, argv,
 * cgroup names and fd targets are any bytes a local user chose, and these
 * files are read with cat.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/watch.h"
#include "core/fileio.h"
#include "sources/procfs.h"
#include "sources/procfs_parse.h"

/* A new file in the capture folder: never an existing one, never a link. */
int watch_new_file(int dfd, const char *name)
{
	return openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
}

void watch_write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		n -= (size_t)w;
	}
}

/* Copy /proc/<pid>/<name> line by line in the text form; NULs become
 * spaces (cmdline). */
static void copy_proc_file(int pdfd, const char *name, int dfd)
{
	char buf[4096], esc[4 * 4096 + 2];
	int in = openat(pdfd, name, O_RDONLY | O_CLOEXEC);
	int out;
	ssize_t n;

	if (in < 0)
		return;
	out = watch_new_file(dfd, name);
	while (out >= 0 && (n = read(in, buf, sizeof(buf) - 1)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		buf[n] = '\0';
		for (char *l = buf; *l;) {
			size_t k = strcspn(l, "\n"), e;
			char c = l[k];
			l[k] = '\0';
			e = out_escape(esc, sizeof(esc) - 1, l);
			if (c)
				esc[e++] = '\n';
			watch_write_all(out, esc, e);
			l += k + (c ? 1 : 0);
		}
	}
	if (out >= 0)
		close(out);
	close(in);
}

static void list_fds(int pdfd, int dfd)
{
	DIR *d = opendir_at(pdfd, "fd", 0);
	struct dirent *de;
	int out;
	unsigned n = 0;

	if (!d)
		return;
	out = watch_new_file(dfd, "fds.txt");
	while (out >= 0 && (de = readdir(d)) && n++ < 100000) {
		char target[512], etarget[4 * 512], line[4 * 512 + 64];
		ssize_t k;
		if (de->d_name[0] == '.')
			continue;
		k = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		target[k > 0 ? k : 0] = '\0';
		out_escape(etarget, sizeof(etarget), target);
		int len = snprintf(line, sizeof(line), "%s -> %s\n", de->d_name, etarget);
		watch_write_all(out, line,
				(size_t)len < sizeof(line) ? (size_t)len : sizeof(line) - 1);
	}
	if (out >= 0)
		close(out);
	closedir(d);
}

/* One line per thread, then its kernel stack (root only), indented. */
static void list_threads(int pdfd, int dfd)
{
	DIR *d = opendir_at(pdfd, "task", 0);
	struct dirent *de;
	int out, n = 0;
	char path[300], buf[4096], line[8192];

	if (!d)
		return;
	out = watch_new_file(dfd, "threads.txt");
	while (out >= 0 && (de = readdir(d)) && n < 1024) {
		struct proc_sample s = {0};
		char comm[16] = "", ecomm[64], wchan[64] = "", sc[128] = "", esc[512];
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		n++;
		snprintf(path, sizeof(path), "task/%s/stat", de->d_name);
		if (slurp(pdfd, path, buf, sizeof(buf)) > 0)
			procfs_parse_stat(buf, &s, comm, sizeof(comm));
		snprintf(path, sizeof(path), "task/%s/wchan", de->d_name);
		if (slurp(pdfd, path, wchan, sizeof(wchan)) < 0)
			strcpy(wchan, "?");
		snprintf(path, sizeof(path), "task/%s/syscall", de->d_name);
		if (slurp(pdfd, path, sc, sizeof(sc)) < 0)
			strcpy(sc, "?\n");
		out_escape(ecomm, sizeof(ecomm), comm);
		int len =
		    snprintf(line, sizeof(line), "tid %s comm %s state %c wchan %s syscall %s",
			     de->d_name, ecomm, s.state ? s.state : '?', wchan, sc);
		if (len > 0 && line[len - 1] != '\n' && (size_t)len < sizeof(line) - 1)
			line[len++] = '\n';
		snprintf(path, sizeof(path), "task/%s/stack", de->d_name);
		ssize_t k = slurp(pdfd, path, buf, sizeof(buf));
		for (char *l = buf; k > 0 && *l && (size_t)len < sizeof(line) - 80;) {
			char *nl = strchr(l, '\n');
			if (nl)
				*nl = '\0';
			out_escape(esc, sizeof(esc), l);
			len += snprintf(line + len, sizeof(line) - (size_t)len, "    %s\n", esc);
			l = nl ? nl + 1 : l + strlen(l);
		}
		watch_write_all(out, line,
				(size_t)len < sizeof(line) ? (size_t)len : sizeof(line) - 1);
	}
	if (out >= 0)
		close(out);
	closedir(d);
}

void watch_snapshot(int pdfd, int dfd)
{
	static const char *const files[] = {"status",  "limits", "cgroup", "stat",
					    "cmdline", "io",	 "sched",  "schedstat"};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		copy_proc_file(pdfd, files[i], dfd);
	list_fds(pdfd, dfd);
	list_threads(pdfd, dfd);
}
