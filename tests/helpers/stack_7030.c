/*
 * Workload for the stacks tests and benchmark: a CPU-bound thread that spends
 * 70% of its time in hot_seventy() and 30% in cold_thirty() (wall-clock
 * slices of random length, so a fixed sampling rate cannot alias), plus,
 * with --sleeper, a thread named "sleeper" blocked in nanosleep, and with
 * --cxx, time in a function whose symbol is C++-mangled
 * (_ZN9procimage4spinEv = procimage::spin()).
 * --work N: do N fixed work units (70/30 by iterations) and print the
 * elapsed wall and CPU seconds; used to measure the slowdown a sampler causes.
 * --start-after MS: sleep first (time for a sampler to attach).
 * Functions are noinline and end with a volatile store: never tail-called,
 * never folded, so each is a frame of its own.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static void spin_units(unsigned long n)
{
	unsigned long x = sink;
	for (unsigned long i = 0; i < n; i++)
		x = x * 2862933555777941757UL + 3037000493UL;
	sink = x;
}

void hot_seventy(double until, unsigned long units);
void cold_thirty(double until, unsigned long units);

__attribute__((noinline)) void hot_seventy(double until, unsigned long units)
{
	if (units) {
		spin_units(units);
	} else {
		while (now_s() < until)
			spin_units(2000);
	}
	sink++;
}

__attribute__((noinline)) void cold_thirty(double until, unsigned long units)
{
	if (units) {
		spin_units(units);
	} else {
		while (now_s() < until)
			spin_units(2000);
	}
	sink++;
}

void cxx_spin(double until) __asm__("_ZN9procimage4spinEv");
__attribute__((noinline)) void cxx_spin(double until)
{
	while (now_s() < until)
		spin_units(2000);
	sink++;
}

static void *sleeper(void *arg)
{
	struct timespec ts = {1, 0};
	(void)arg;
	prctl(PR_SET_NAME, "sleeper");
	for (;;)
		nanosleep(&ts, NULL);
	return NULL;
}

__attribute__((noinline)) static void run_timed(int cxx)
{
	unsigned seed = (unsigned)getpid();
	for (;;) {
		/* a slice of 1..6 ms split 70/30 */
		double slice = (1 + rand_r(&seed) % 6) / 1000.0, t = now_s();
		if (cxx) {
			cxx_spin(t + slice);
			continue;
		}
		hot_seventy(t + slice * 0.7, 0);
		cold_thirty(now_s() + slice * 0.3, 0);
	}
}

__attribute__((noinline)) static void run_work(long units)
{
	double t0 = now_s();
	for (long i = 0; i < units; i++) {
		hot_seventy(0, 70000);
		cold_thirty(0, 30000);
	}
	printf("%.4f %.4f\n", now_s() - t0, (double)clock() / CLOCKS_PER_SEC);
}

int main(int argc, char **argv)
{
	int cxx = 0;
	long work = 0;
	pthread_t th;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--sleeper") == 0)
			pthread_create(&th, NULL, sleeper, NULL);
		else if (strcmp(argv[i], "--cxx") == 0)
			cxx = 1;
		else if (strcmp(argv[i], "--work") == 0 && i + 1 < argc)
			work = atol(argv[++i]);
		else if (strcmp(argv[i], "--start-after") == 0 && i + 1 < argc)
			usleep((useconds_t)atol(argv[++i]) * 1000);
	}
	if (work) {
		run_work(work);
		return 0;
	}
	run_timed(cxx);
	return 0;
}
