/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * blocker: threads that sit in known blocking syscalls, for the sampling
 * source. Thread 1 (the main thread) blocks in read(2) on a pipe nobody
 * writes; thread 2 loops nanosleep(2) of 50 ms (raw syscall, not
 * clock_nanosleep). Prints "TID_READ TID_SLEEP" and runs until killed.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int tid_sleep;

static void *sleeper(void *arg)
{
	struct timespec ts = {0, 50 * 1000 * 1000};

	(void)arg;
	tid_sleep = (int)syscall(SYS_gettid);
	for (;;)
		syscall(SYS_nanosleep, &ts, NULL);
	return NULL;
}

int main(void)
{
	pthread_t t;
	int p[2];
	char c;

	if (pipe(p) || pthread_create(&t, NULL, sleeper, NULL))
		return 1;
	while (!__atomic_load_n(&tid_sleep, __ATOMIC_SEQ_CST))
		usleep(1000);
	printf("%d %d\n", (int)syscall(SYS_gettid), tid_sleep);
	fflush(stdout);
	for (;;)
		if (read(p[0], &c, 1) <= 0)
			return 0;
}
