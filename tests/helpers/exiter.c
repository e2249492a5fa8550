/*
 * Workload helper: live a while, then end in a chosen way.
 * usage: exiter MS code N     exit(N) after MS milliseconds
 *        exiter MS signal N   raise signal N (SIGSEGV, SIGABRT: a crash)
 *        exiter MS wait       sleep until killed
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long ms = argc > 1 ? atol(argv[1]) : 0;
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	struct rlimit nocore = {0, 0};

	if (argc < 3) {
		fprintf(stderr, "usage: exiter MS code N | signal N | wait\n");
		return 2;
	}
	setrlimit(RLIMIT_CORE, &nocore); /* a crash test must not fill the disk */
	nanosleep(&ts, NULL);
	if (strcmp(argv[2], "code") == 0)
		exit(argc > 3 ? atoi(argv[3]) : 0);
	if (strcmp(argv[2], "signal") == 0) {
		int sig = argc > 3 ? atoi(argv[3]) : SIGSEGV;
		signal(sig, SIG_DFL);
		raise(sig);
		return 99;
	}
	for (;;)
		pause();
}
