/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Workload with a known lifecycle: after DELAY_MS, fork N children one after
 * the other; even-numbered ones exec /bin/true, odd ones _exit(3). With -k,
 * one more child is killed by SIGKILL. Prints what it did (the ground truth)
 * and lingers LINGER_MS before exiting.
 * usage: forker N DELAY_MS [LINGER_MS] [-k]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

int main(int argc, char **argv)
{
	int n, execs = 0, code3 = 0, killed = 0, kill_one = 0;
	long delay, linger = 200;

	if (argc < 3) {
		fprintf(stderr, "usage: forker N DELAY_MS [LINGER_MS] [-k]\n");
		return 2;
	}
	n = atoi(argv[1]);
	delay = atol(argv[2]);
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "-k") == 0)
			kill_one = 1;
		else
			linger = atol(argv[i]);
	}
	sleep_ms(delay);
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		if (p < 0)
			return 1;
		if (p == 0) {
			if (i % 2 == 0) {
				execl("/bin/true", "true", "forker-arg", (char *)NULL);
				_exit(127);
			}
			_exit(3);
		}
		int st;
		waitpid(p, &st, 0);
		if (i % 2 == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			execs++;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 3)
			code3++;
	}
	if (kill_one) {
		pid_t p = fork();
		if (p == 0) {
			pause();
			_exit(0);
		}
		sleep_ms(50);
		kill(p, SIGKILL);
		int st;
		waitpid(p, &st, 0);
		killed = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
	}
	printf("forks=%d execs=%d code3=%d killed=%d\n", n + kill_one, execs, code3, killed);
	fflush(stdout);
	sleep_ms(linger);
	return 0;
}
