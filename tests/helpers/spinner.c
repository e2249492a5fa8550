/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Workload for the sched tests: one thread that spins without syscalls for
 * SPIN_MS (the hog), WAKERS threads that wake every WAKE_MS and do a little
 * work (the victims), and SLEEPERS threads that sleep throughout (never hogs).
 * All pinned to CPU (-1: not pinned). When allowed (root) the hog runs at
 * nice -20, in its own session whose autogroup is at nice -20, so that the load
 * of a shared machine cannot split its run. Threads are named hogspin, waker and
 * sleeper (their comm). It prints "ready pid=P" and, when the spin ends,
 * "done spin_ms=N".
 * usage: spinner SPIN_MS WAKERS WAKE_MS SLEEPERS CPU DELAY_MS [fifo|plain]
 * DELAY_MS: sleep before spinning (so a sampler has a baseline). "fifo": the
 * hog runs SCHED_FIFO (root; for a retry on a machine too loaded for a CFS
 * hog to keep 90% of a CPU: the kernel's RT throttling still leaves 5%).
 * "plain": nice 0 in its own session (a service's weight; bench/scale.sh's
 * tick figures beside an ordinary hog).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static atomic_int stop;
static int pin_cpu = -1;
static long spin_ms, wake_ms, delay_ms;
static int fifo, plain;

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void pin(void)
{
	cpu_set_t set;

	if (pin_cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(pin_cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *spin(void *arg)
{
	volatile unsigned long x = 0;
	long long end;

	(void)arg;
	pthread_setname_np(pthread_self(), "hogspin");
	/* The machine is shared: when allowed (root), weigh the hog like a
	 * real one so other load cannot split its run; ignored otherwise. */
	if (!plain)
		setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), -20);
	if (fifo) {
		struct sched_param sp = {.sched_priority = 1};
		pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	}
	pin();
	usleep((useconds_t)delay_ms * 1000);
	end = now_ns() + spin_ms * 1000000LL; /* vDSO clock: no syscall */
	while (now_ns() < end)
		x++;
	return NULL;
}

static void *waker(void *arg)
{
	struct timespec ts = {0, wake_ms * 1000000L};
	volatile unsigned long x = 0;

	(void)arg;
	pthread_setname_np(pthread_self(), "waker");
	pin();
	while (!atomic_load(&stop)) {
		nanosleep(&ts, NULL);
		for (int i = 0; i < 20000; i++)
			x++;
	}
	return NULL;
}

static void *sleeper(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "sleeper");
	while (!atomic_load(&stop))
		usleep(50000);
	return NULL;
}

int main(int argc, char **argv)
{
	if ((argc != 7 && argc != 8) ||
	    (argc == 8 && strcmp(argv[7], "fifo") && strcmp(argv[7], "plain"))) {
		fprintf(stderr,
			"usage: spinner SPIN_MS WAKERS WAKE_MS SLEEPERS CPU DELAY_MS [fifo|plain]\n");
		return 2;
	}
	spin_ms = atol(argv[1]);
	int nw = atoi(argv[2]), ns = atoi(argv[4]);
	wake_ms = atol(argv[3]);
	pin_cpu = atoi(argv[5]);
	delay_ms = atol(argv[6]);
	fifo = argc == 8 && !strcmp(argv[7], "fifo");
	plain = argc == 8 && !strcmp(argv[7], "plain");
	pthread_t t[64];
	int n = 0;
	long long t0 = now_ns();

	/* With autogroup scheduling, nice only counts inside a session: a new
	 * session gets its own group, weighted up when allowed (root). */
	if (setsid() > 0 && !plain) {
		FILE *ag = fopen("/proc/self/autogroup", "w");
		if (ag) {
			fputs("-20", ag);
			fclose(ag);
		}
	}

	pthread_create(&t[n++], NULL, spin, NULL);
	for (int i = 0; i < nw && n < 64; i++)
		pthread_create(&t[n++], NULL, waker, NULL);
	for (int i = 0; i < ns && n < 64; i++)
		pthread_create(&t[n++], NULL, sleeper, NULL);
	usleep(20000);
	printf("ready pid=%d\n", getpid());
	fflush(stdout);
	pthread_join(t[0], NULL);
	printf("done spin_ms=%lld\n", (now_ns() - t0) / 1000000 - delay_ms);
	fflush(stdout);
	usleep(200000);
	atomic_store(&stop, 1);
	for (int i = 1; i < n; i++)
		pthread_join(t[i], NULL);
	return 0;
}
