/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Workload for the migrate tests: a thread named "migrator" that forces
 * itself onto CPU A, then B, then A ... every PERIOD_MS for TOTAL_MS with
 * sched_setaffinity, sleeping in between. It counts the moves it really made
 * (sched_getcpu() changed) and prints its truth:
 *   ready pid=P tid=T
 *   done moves=N
 * usage: migrator TOTAL_MS PERIOD_MS CPU_A CPU_B DELAY_MS
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long total_ms, period_ms, delay_ms;
static int cpu_a, cpu_b, moves;

static void to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *run(void *arg)
{
	struct timespec next;
	int prev;

	(void)arg;
	pthread_setname_np(pthread_self(), "migrator");
	to_cpu(cpu_a);
	printf("ready pid=%d tid=%ld\n", getpid(), (long)syscall(SYS_gettid));
	fflush(stdout);
	usleep((useconds_t)delay_ms * 1000);
	prev = sched_getcpu();
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (long i = 1; i <= total_ms / period_ms; i++) {
		to_cpu(i % 2 ? cpu_b : cpu_a);
		int now = sched_getcpu();
		moves += now != prev;
		prev = now;
		next.tv_nsec += period_ms * 1000000L;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc != 6) {
		fprintf(stderr, "usage: migrator TOTAL_MS PERIOD_MS CPU_A CPU_B DELAY_MS\n");
		return 2;
	}
	total_ms = atol(argv[1]);
	period_ms = atol(argv[2]);
	cpu_a = atoi(argv[3]);
	cpu_b = atoi(argv[4]);
	delay_ms = atol(argv[5]);
	pthread_create(&t, NULL, run, NULL);
	pthread_join(t, NULL);
	printf("done moves=%d\n", moves);
	fflush(stdout);
	usleep(300000); /* let a sampler take a last look */
	return 0;
}
