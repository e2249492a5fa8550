/*
 * Workload helper with a known rate, for checking figures against ground truth.
 *   steady PCT KIB_PER_S FILE SECONDS   burn PCT% of one CPU and append
 *                                       KIB_PER_S KiB/s to FILE (buffered:
 *                                       write_bytes is charged as pages are
 *                                       dirtied), for SECONDS, then exit 0
 *   steady burn MS                      burn MS ms of CPU, print "burnt", exit
 * Each 100 ms period spins until this thread's CPU time grew by PCT% of the
 * period, writes its share, then sleeps to the period's end. On exit it
 * prints "cpu_ms=N write_kib=N" (its own CPU time and what it wrote).
 * As root it runs in a session of its own whose autogroup is weighted up
 * (nice -20), so that on a loaded shared machine it gets the share it asks.
 */
#include <fcntl.h>
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

static void weigh_up(void)
{
	if (setsid() > 0) {
		FILE *ag = fopen("/proc/self/autogroup", "w");
		if (ag) {
			fputs("-20", ag);
			fclose(ag);
		}
	}
	setpriority(PRIO_PROCESS, 0, -20);
}

static void burn(double secs)
{
	double c0 = now(CLOCK_THREAD_CPUTIME_ID);
	while (now(CLOCK_THREAD_CPUTIME_ID) - c0 < secs)
		;
}

int main(int argc, char **argv)
{
	const double period = 0.1;
	static char buf[1 << 20];

	if (argc == 3 && !strcmp(argv[1], "burn")) {
		weigh_up();
		burn(atof(argv[2]) / 1000.0);
		printf("burnt cpu_ms=%.0f\n", now(CLOCK_THREAD_CPUTIME_ID) * 1000.0);
		return 0;
	}
	if (argc != 5) {
		fprintf(stderr, "usage: steady PCT KIB_PER_S FILE SECONDS | steady burn MS\n");
		return 2;
	}
	double pct = atof(argv[1]), kib = atof(argv[2]), secs = atof(argv[4]);
	int fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		perror(argv[3]);
		return 1;
	}
	weigh_up();
	memset(buf, 'x', sizeof(buf));
	size_t chunk = (size_t)(kib * 1024 * period);
	if (chunk > sizeof(buf))
		chunk = sizeof(buf);
	double written = 0, t0 = now(CLOCK_MONOTONIC);
	printf("ready\n");
	fflush(stdout);
	for (double start = t0; start < t0 + secs; start += period) {
		double c0 = now(CLOCK_THREAD_CPUTIME_ID);
		while (now(CLOCK_THREAD_CPUTIME_ID) - c0 < pct / 100.0 * period &&
		       now(CLOCK_MONOTONIC) < start + period)
			;
		if (chunk && write(fd, buf, chunk) == (ssize_t)chunk)
			written += (double)chunk;
		double left = start + period - now(CLOCK_MONOTONIC);
		if (left > 0) {
			struct timespec ts = {0, (long)(left * 1e9)};
			nanosleep(&ts, NULL);
		}
	}
	close(fd);
	printf("cpu_ms=%.0f write_kib=%.0f\n", now(CLOCK_THREAD_CPUTIME_ID) * 1000.0,
	       written / 1024.0);
	return 0;
}
