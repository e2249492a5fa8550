/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A process whose names are hostile, for test_hostile_names: what any local
 * user can put in front of a root procimage. Its main thread, a second
 * thread and its children each get a comm (prctl PR_SET_NAME) of terminal
 * escapes (OSC retitle, clear screen), a newline, bytes that are not UTF-8
 * (lone lead and continuation bytes, a surrogate), a C1 control, DEL,
 * quotes, '<&>', ';', ',', a backslash and printf conversions; it re-execs
 * itself with such argv, under such an argv[0], and holds open a file whose
 * name is the same kind of text (fds, paths). Then, for SECONDS, it spins
 * and sleeps in turn (CPU and syscalls), moves the second thread between
 * CPUs (migrations), and forks a child every 50 ms that exits 3 (exits,
 * keytime).
 *   hostile SECONDS [FILE_TO_HOLD_OPEN]
 * Prints "ready pid=P tid=T" once every name is in place.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* 15 bytes at most each (TASK_COMM_LEN - 1). */
static const char comm_main[] = "\x1b]0;PWN\x07\x1b[2J\n\xff";
static const char comm_thread[] = "\"<&>';,\\\xc3\x28\x7f\xed\xa0\x80";
static const char comm_child[] = "\xe2\x80\xa8\xc2\x85\r\t %s%n\x80;";

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void spin_ms(int ms)
{
	double end = now_s() + ms / 1e3;
	while (now_s() < end)
		;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {0, ms * 1000000L};
	nanosleep(&ts, NULL);
}

static volatile double deadline;

static void *thread_main(void *arg)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int cpu = 0;

	(void)arg;
	prctl(PR_SET_NAME, comm_thread);
	while (now_s() < deadline) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set); /* a migration each turn */
		cpu = ncpu > 1 ? (cpu + 1) % (int)ncpu : 0;
		spin_ms(5);
		sleep_ms(15);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th;
	double secs, next_fork = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: hostile SECONDS [FILE]\n");
		return 2;
	}
	/* argv as hostile as comm: re-exec once, the marker last */
	if (strcmp(argv[argc - 1], "--hostile-argv")) {
		char *nargv[] = {"\x1b]2;argv0\x07hostile\n",
				 argv[1],
				 argc > 2 ? argv[2] : "-",
				 "\x1b[31m\"red\"\xff\xfe <a href='x'>&amp; ;x\n2nd line",
				 "\xc0\xaf\xe0\x80\xaf\xf4\x90\x80\x80 %s %n \\",
				 "--hostile-argv",
				 NULL};
		execv("/proc/self/exe", nargv);
		perror("execv");
		return 1;
	}
	secs = atof(argv[1]);
	if (argc > 3 && strcmp(argv[2], "-") && open(argv[2], O_RDONLY | O_CLOEXEC) < 0)
		perror("open");
	prctl(PR_SET_NAME, comm_main);
	deadline = now_s() + secs;
	if (pthread_create(&th, NULL, thread_main, NULL))
		return 1;
	printf("ready pid=%d tid=%ld\n", (int)getpid(), (long)syscall(SYS_gettid));
	fflush(stdout);
	while (now_s() < deadline) {
		if (now_s() >= next_fork) {
			pid_t p = fork();
			if (p == 0) {
				prctl(PR_SET_NAME, comm_child);
				sleep_ms(20);
				_exit(3);
			}
			next_fork = now_s() + 0.05;
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		spin_ms(10);
		sleep_ms(10);
	}
	pthread_join(th, NULL);
	while (wait(NULL) > 0)
		;
	return 0;
}
