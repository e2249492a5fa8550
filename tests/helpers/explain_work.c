/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * explain_work: a hog whose truth is known, for the on-CPU syscall sampler,
 * the syscall image, keytime's children and triage's verdict.
 * Usage: explain_work OUT_FILE NBLOCKS GO_FILE EXEC_MS PROG [ARG...]
 *   thread "mapspin": mmap + munmap of 64 KiB, untouched, in a loop, forever
 *                     (its CPU time is almost all inside those two syscalls);
 *   thread "writer":  waits until GO_FILE exists, then writes exactly NBLOCKS
 *                     4 KiB blocks to OUT_FILE, one write(2) each, about 1,000
 *                     a second, then sleeps (the process makes no other write);
 *   main thread:      every EXEC_MS ms forks a child that execs PROG ARG...
 *                     (stdout and stderr to /dev/null) and waits for it.
 * EXPLAIN_SPINNERS=N in the environment starts N mapspin threads (default 1).
 * Prints "ready pid=PID" first. Runs until killed.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *out_file, *go_file;
static long nblocks;

static void *mapspin(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "mapspin");
	for (;;) {
		void *p =
		    mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED)
			munmap(p, 65536);
	}
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts))
		;
}

static void *writer(void *arg)
{
	static char block[4096];
	int fd;

	(void)arg;
	prctl(PR_SET_NAME, "writer");
	while (access(go_file, F_OK))
		sleep_ms(20);
	fd = open(out_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		perror("explain_work: open");
		exit(1);
	}
	memset(block, 'x', sizeof(block));
	for (long i = 0; i < nblocks; i++) {
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block)) {
			perror("explain_work: write");
			exit(1);
		}
		if (i % 10 == 9)
			sleep_ms(10);
	}
	close(fd); /* no other write(2) from this process: syscw == nblocks */
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t a, b;
	const char *ns = getenv("EXPLAIN_SPINNERS");
	int spinners = ns ? atoi(ns) : 1;

	if (argc < 6) {
		fprintf(stderr,
			"usage: explain_work OUT_FILE NBLOCKS GO_FILE EXEC_MS PROG [ARG...]\n");
		return 2;
	}
	out_file = argv[1];
	nblocks = atol(argv[2]);
	go_file = argv[3];
	long every = atol(argv[4]);
	printf("ready pid=%d\n", (int)getpid());
	fflush(stdout);
	for (int i = 0; i < spinners; i++)
		if (pthread_create(&a, NULL, mapspin, NULL))
			return 1;
	if (pthread_create(&b, NULL, writer, NULL))
		return 1;
	for (;;) {
		pid_t c = fork();
		if (c == 0) {
			int null = open("/dev/null", O_WRONLY);
			dup2(null, 1);
			dup2(null, 2);
			execv(argv[5], argv + 5);
			_exit(127);
		}
		if (c > 0)
			waitpid(c, NULL, 0);
		sleep_ms(every);
	}
}
