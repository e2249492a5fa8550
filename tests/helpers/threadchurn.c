/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Thread churn with a known count: after DELAY_MS, create N threads that
 * each sleep HOLD_MS and return, join them all, then linger LINGER_MS.
 * Prints the tids it created (ground truth for clone and thread-exit events).
 * usage: threadchurn N DELAY_MS [HOLD_MS] [LINGER_MS]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long hold_ms = 20;

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

static void *body(void *arg)
{
	*(long *)arg = syscall(SYS_gettid);
	sleep_ms(hold_ms);
	return NULL;
}

int main(int argc, char **argv)
{
	int n;
	long delay, linger = 200;

	if (argc < 3) {
		fprintf(stderr, "usage: threadchurn N DELAY_MS [HOLD_MS] [LINGER_MS]\n");
		return 2;
	}
	n = atoi(argv[1]);
	delay = atol(argv[2]);
	if (argc > 3)
		hold_ms = atol(argv[3]);
	if (argc > 4)
		linger = atol(argv[4]);
	pthread_t *th = calloc((size_t)n, sizeof(*th));
	long *tids = calloc((size_t)n, sizeof(*tids));
	if (!th || !tids)
		return 1;
	sleep_ms(delay);
	int made = 0;
	for (int i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, body, &tids[i]) == 0)
			made++;
	for (int i = 0; i < made; i++)
		pthread_join(th[i], NULL);
	printf("threads=%d\n", made);
	fflush(stdout);
	sleep_ms(linger);
	free(th);
	free(tids);
	return 0;
}
