/*
 * Workload helper: grow memory until stopped (an OOM kill, usually).
 * usage: leaker [MIB_PER_STEP [MS_PER_STEP [MAX_MIB]]]   (default 4 MiB / 20 ms)
 * Every step allocates and touches MIB_PER_STEP MiB; at MAX_MIB (default
 * unlimited) it sleeps forever. Prints "leaker PID" first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long step = argc > 1 ? atol(argv[1]) : 4;
	long ms = argc > 2 ? atol(argv[2]) : 20;
	long max = argc > 3 ? atol(argv[3]) : 0;
	long total = 0;
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	printf("leaker %d\n", getpid());
	fflush(stdout);
	for (;;) {
		if (!max || total < max) {
			char *p = malloc((size_t)step << 20);
			if (p) {
				memset(p, 0x5a, (size_t)step << 20);
				total += step;
			}
		}
		nanosleep(&ts, NULL);
	}
}
