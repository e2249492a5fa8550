/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kernel.task_delayacct for --enable-delayacct: switch it on for the run and
 * put the old value back afterwards, on every path we can catch: the normal
 * stop, exit(), and fatal signals (SIGINT/SIGTERM/SIGHUP stop the event loop,
 * which stops the source). Concurrent runs share it as a host session of
 * kind "delayacct" (core/hostsess.h): each file holds the value found before
 * any run of ours switched it on; the last run out restores it. SIGKILL
 * leaves the file behind, and the next start of any command restores the
 * value (delayacct_sweep) once no live run needs it. The value to restore
 * on a fatal signal lives in the one sig_atomic_t the handler may read.
 */
#include "sources/taskstats.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/hostsess.h"
#include "sources/leftovers.h"

#define DELAYACCT_PATH "/proc/sys/kernel/task_delayacct"

/* -1: nothing to restore; 0/1: the value to put back on a fatal signal (only
 * when no other run held a session as we began: theirs would still need it). */
static volatile sig_atomic_t delayacct_saved = -1;
static int registered; /* our session file exists */
static int orig_value = -1;

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGQUIT};

/* Async-signal-safe: open, write, close. */
static int write_value(int v)
{
	char c[2] = {(char)('0' + v), '\n'};
	int fd = open(DELAYACCT_PATH, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, c, sizeof(c));
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? (int)n : 0;
}

int delayacct_read(void)
{
	char c[8] = "";
	int fd = open(DELAYACCT_PATH, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, c, sizeof(c) - 1);
	close(fd);
	if (n <= 0 || c[0] < '0' || c[0] > '9')
		return -EIO;
	return c[0] - '0';
}

static void on_fatal(int sig)
{
	if (delayacct_saved >= 0)
		write_value(delayacct_saved);
	delayacct_saved = -1;
	raise(sig); /* SA_RESETHAND: the default action now */
}

static void at_exit(void)
{
	(void)delayacct_restore();
}

/* A live procimage (not us) that asked for --enable-delayacct but holds no
 * session: it found the sysctl already on (ours) and relies on it. */
static int unregistered_user_alive(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int found = 0;

	while (d && !found && (de = readdir(d))) {
		char path[300], buf[4096];
		long pid = strtol(de->d_name, NULL, 10);
		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
		if (slurp(AT_FDCWD, path, buf, sizeof(buf)) <= 0 || strncmp(buf, "procimage", 9))
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
		ssize_t n = slurp(AT_FDCWD, path, buf, sizeof(buf));
		for (ssize_t i = 0; i < n && !found; i += (ssize_t)strlen(buf + i) + 1)
			found = !strcmp(buf + i, "--enable-delayacct");
	}
	if (d)
		closedir(d);
	return found;
}

/* Under the lock: adopt the original value from another run's file (a live
 * one first), drop dead files. Returns the number of live sessions. */
static int scan(int *orig)
{
	struct hs_entry e[HS_MAX];
	int n = hs_list(DELAYACCT_KIND, e, HS_MAX), live = 0, from_live = 0;

	for (int i = 0; i < n; i++) {
		int alive = e[i].alive != HS_DEAD;
		long long v = hs_get(e[i].payload, "task_delayacct", -1);
		if (v >= 0 && (*orig < 0 || (alive && !from_live))) {
			*orig = (int)v;
			from_live = alive;
		}
		if (alive)
			live++;
		else
			hs_remove(DELAYACCT_KIND, e[i].pid);
	}
	return live;
}

int delayacct_enable(void)
{
	int old = delayacct_read();
	static const struct sigaction sa = {.sa_handler = on_fatal, .sa_flags = SA_RESETHAND};
	char payload[64];
	int rc, lk, others = 0, orig = -1;

	if (old < 0)
		return old;
	if (registered)
		return 0;
	/* Announce first: a kill from here on is undone by the next start. */
	lk = hs_lock(DELAYACCT_KIND, 1);
	if (lk >= 0)
		others = scan(&orig);
	if (orig < 0)
		orig = old;
	snprintf(payload, sizeof(payload), "task_delayacct=%d", orig);
	registered = lk >= 0 && hs_write(DELAYACCT_KIND, payload) == 0;
	hs_unlock(lk);
	orig_value = orig;
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigaction(fatal_signals[i], &sa, NULL);
	atexit(at_exit);
	delayacct_saved = others ? -1 : orig;
	rc = old == 1 ? 0 : write_value(1);
	if (rc)
		(void)delayacct_restore();
	return rc;
}

int delayacct_restore(void)
{
	int lk, live = 0, orig = orig_value, rc = 0;

	delayacct_saved = -1;
	if (orig_value < 0)
		return 0;
	orig_value = -1;
	lk = hs_lock(DELAYACCT_KIND, 0);
	if (registered)
		hs_remove(DELAYACCT_KIND, getpid());
	registered = 0;
	if (lk >= 0)
		live = scan(&orig);
	/* The last run of ours puts it back, unless a run that found it on
	 * (ours) still runs. */
	if (!live && orig != 1 && !unregistered_user_alive())
		rc = write_value(orig);
	hs_unlock(lk);
	return rc;
}

void delayacct_sweep(void (*note)(pid_t owner, int undone, const char *what))
{
	struct hs_entry e[HS_MAX];
	char what[200];
	int lk, n, live = 0, orig = -1;
	pid_t dead = 0;

	lk = hs_lock(DELAYACCT_KIND, 0);
	if (lk < 0)
		return;
	n = hs_list(DELAYACCT_KIND, e, HS_MAX);
	for (int i = 0; i < n; i++) {
		if (e[i].alive != HS_DEAD) {
			live++;
			continue;
		}
		dead = e[i].pid;
		if (orig < 0)
			orig = (int)hs_get(e[i].payload, "task_delayacct", -1);
	}
	if (dead && live) {
		/* A live run holds the same original value: it restores. */
		for (int i = 0; i < n; i++)
			if (e[i].alive == HS_DEAD)
				hs_remove(DELAYACCT_KIND, e[i].pid);
	} else if (dead && !unregistered_user_alive()) {
		int cur = delayacct_read();
		int rc = orig >= 0 && cur >= 0 && cur != orig ? write_value(orig) : 0;
		if (orig >= 0 && cur != orig)
			snprintf(what, sizeof(what),
				 "kernel.task_delayacct=%d set by a killed --enable-delayacct run: "
				 "%s %d",
				 cur, rc ? "could not restore" : "restored to", orig);
		else
			snprintf(what, sizeof(what),
				 "delayacct session file of a killed run removed (the sysctl was "
				 "already %d)",
				 cur);
		note(dead, rc == 0, what);
		if (rc == 0)
			for (int i = 0; i < n; i++)
				if (e[i].alive == HS_DEAD)
					hs_remove(DELAYACCT_KIND, e[i].pid);
	}
	hs_unlock(lk);
}
