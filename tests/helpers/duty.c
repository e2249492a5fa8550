/*
 * Workload helper: burn a set share of one CPU, phase by phase.
 * usage: duty PCT:SECONDS[~JITTER] ...   e.g. duty 30:8~3 45:6
 * Each 100 ms period spins until this thread's CPU time grew by PCT% of the
 * period, then sleeps to the period's end. ~JITTER draws each period's share
 * uniformly from PCT-JITTER..PCT+JITTER (noise). Prints "phase N t=SECONDS"
 * (CLOCK_MONOTONIC) on stdout when each phase starts, then exits 0.
 * When allowed (root) it runs in a session of its own whose autogroup is
 * weighted up (nice -20, and nice -20 inside it): on a loaded shared machine
 * it still gets the share it asks for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const double period = 0.1;
	unsigned seed = 12345;

	if (argc < 2) {
		fprintf(stderr, "usage: duty PCT:SECONDS[~JITTER] ...\n");
		return 2;
	}
	/* Autogroup scheduling: nice only counts inside a session. */
	if (setsid() > 0) {
		FILE *ag = fopen("/proc/self/autogroup", "w");
		if (ag) {
			fputs("-20", ag);
			fclose(ag);
		}
	}
	setpriority(PRIO_PROCESS, 0, -20);
	for (int i = 1; i < argc; i++) {
		double pct = 0, secs = 0, jit = 0;
		if (sscanf(argv[i], "%lf:%lf~%lf", &pct, &secs, &jit) < 2) {
			fprintf(stderr, "duty: bad phase '%s'\n", argv[i]);
			return 2;
		}
		double t0 = now(CLOCK_MONOTONIC);
		printf("phase %d t=%.3f\n", i, t0);
		fflush(stdout);
		for (double start = t0; start < t0 + secs; start += period) {
			seed = seed * 1103515245u + 12345u;
			double share = pct + jit * ((double)((seed >> 8) % 2001) / 1000.0 - 1.0);
			double c0 = now(CLOCK_THREAD_CPUTIME_ID);
			while (now(CLOCK_THREAD_CPUTIME_ID) - c0 < share / 100.0 * period &&
			       now(CLOCK_MONOTONIC) < start + period)
				;
			double left = start + period - now(CLOCK_MONOTONIC);
			if (left > 0) {
				struct timespec ts = {0, (long)(left * 1e9)};
				nanosleep(&ts, NULL);
			}
		}
	}
	return 0;
}
