/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kernel.task_delayacct for --enable-delayacct: switch it on for the run and
 * put the old value back afterwards, on every path we can catch: the normal
 * stop, exit(), and fatal signals (SIGINT/SIGTERM/SIGHUP stop the event loop,
 * which stops the source). Only SIGKILL can leave it on. The value to restore
 * lives in the one sig_atomic_t the signal handler may read.
 */
#include "sources/taskstats.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DELAYACCT_PATH "/proc/sys/kernel/task_delayacct"

/* -1: nothing to restore; 0/1: the value found before we switched it on. */
static volatile sig_atomic_t delayacct_saved = -1;

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

int delayacct_enable(void)
{
	int old = delayacct_read();
	static const struct sigaction sa = {.sa_handler = on_fatal, .sa_flags = SA_RESETHAND};
	int rc;

	if (old < 0)
		return old;
	if (old == 1)
		return 0;
	if (delayacct_saved < 0) {
		for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
			sigaction(fatal_signals[i], &sa, NULL);
		atexit(at_exit);
	}
	delayacct_saved = old;
	rc = write_value(1);
	if (rc)
		delayacct_saved = -1;
	return rc;
}

int delayacct_restore(void)
{
	int rc;

	if (delayacct_saved < 0)
		return 0;
	rc = write_value(delayacct_saved);
	delayacct_saved = -1;
	return rc;
}
