/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Background population for benchmarks: NPROC processes with NTHREADS
 * threads each (the main thread included), all sleeping, for SECONDS.
 * Prints "ready" once every thread exists. usage: sleepers NPROC NTHREADS SECONDS
 */
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void *nap(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void one_process(int nthreads, int seconds, int fd)
{
	pthread_attr_t a;

	prctl(PR_SET_PDEATHSIG, SIGKILL); /* die with the parent the bench kills */
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 * 1024);
	for (int i = 1; i < nthreads; i++) {
		pthread_t t;
		if (pthread_create(&t, &a, nap, NULL))
			break;
	}
	if (write(fd, "x", 1) != 1)
		_exit(1);
	sleep((unsigned)seconds);
	_exit(0);
}

int main(int argc, char **argv)
{
	int p[2];
	char c;

	if (argc != 4) {
		fprintf(stderr, "usage: sleepers NPROC NTHREADS SECONDS\n");
		return 2;
	}
	int nproc = atoi(argv[1]), nthr = atoi(argv[2]), secs = atoi(argv[3]);
	if (pipe(p))
		return 1;
	for (int i = 0; i < nproc; i++)
		if (fork() == 0)
			one_process(nthr, secs, p[1]);
	for (int i = 0; i < nproc; i++)
		if (read(p[0], &c, 1) != 1)
			break;
	printf("ready\n");
	fflush(stdout);
	while (wait(NULL) > 0)
		;
	return 0;
}
