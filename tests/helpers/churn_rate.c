/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Thread churn at a rate: for SECONDS, start RATE short threads per second
 * (each sleeps 1 ms and returns; joined in batches of 10). Prints
 * "threads=N seconds=S" at the end.
 * usage: churn_rate RATE SECONDS
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void *brief(void *arg)
{
	struct timespec ts = {0, 1000000L};
	nanosleep(&ts, NULL);
	return arg;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: churn_rate RATE SECONDS\n");
		return 2;
	}
	long rate = atol(argv[1]);
	double secs = atof(argv[2]), t0 = now_s();
	long n = 0;
	pthread_t th[10];

	while (now_s() - t0 < secs) {
		for (int i = 0; i < 10; i++)
			if (pthread_create(&th[i], NULL, brief, NULL) == 0)
				n++;
			else
				th[i] = 0;
		for (int i = 0; i < 10; i++)
			if (th[i])
				pthread_join(th[i], NULL);
		/* Pace to RATE: the batch of 10 is due at t0 + n / rate. */
		double due = t0 + (double)n / (double)rate, left = due - now_s();
		if (left > 0) {
			struct timespec ts = {(time_t)left,
					      (long)((left - (double)(time_t)left) * 1e9)};
			nanosleep(&ts, NULL);
		}
	}
	printf("threads=%ld seconds=%.2f\n", n, now_s() - t0);
	return 0;
}
