/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A fork storm for loss tests and benchmarks: W workers each fork N children
 * as fast as they can; every E-th child execs /bin/true (E = 0: none), the
 * others _exit(0). Each fork makes a fork and an exit event (plus an exec
 * event when it execs). Prints the totals and the rate on stdout:
 *   forks=F execs=X events=V seconds=S events_per_s=R
 * usage: forkstorm N [WORKERS] [EXEC_EVERY] [DELAY_MS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void worker(long n, long every)
{
	for (long i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0) {
			if (every > 0 && i % every == 0)
				execl("/bin/true", "true", (char *)NULL);
			_exit(0);
		}
		if (p > 0)
			waitpid(p, NULL, 0);
	}
}

int main(int argc, char **argv)
{
	long n, workers = 1, every = 0, delay = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: forkstorm N [WORKERS] [EXEC_EVERY] [DELAY_MS]\n");
		return 2;
	}
	n = atol(argv[1]);
	if (argc > 2)
		workers = atol(argv[2]);
	if (argc > 3)
		every = atol(argv[3]);
	if (argc > 4)
		delay = atol(argv[4]);
	if (delay > 0)
		usleep((useconds_t)(delay * 1000));
	double t0 = now_s();
	for (long w = 0; w < workers; w++)
		if (fork() == 0) {
			worker(n, every);
			_exit(0);
		}
	while (wait(NULL) > 0)
		;
	double secs = now_s() - t0;
	long forks = n * workers + workers;
	long execs = every > 0 ? ((n + every - 1) / every) * workers : 0;
	long events = 2 * forks + execs;
	printf("forks=%ld execs=%ld events=%ld seconds=%.3f events_per_s=%.0f\n", forks, execs,
	       events, secs, secs > 0 ? (double)events / secs : 0.0);
	return 0;
}
