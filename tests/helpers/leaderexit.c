/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * leaderexit MODE MS CODE: a process with three idle threads whose end is
 * known, for the exits image's thread-group cases.
 *   first: main() calls pthread_exit() after 300 ms; a fourth thread calls
 *          exit(CODE) MS ms after the start (the process lives on without
 *          its leader, then ends with CODE);
 *   quiet: as first, but the fourth thread calls pthread_exit() after the
 *          three idle ones have returned (the last thread's 0 is the status);
 *   group: main() calls exit(CODE) after MS ms with its threads running.
 * The parent's wait status is the ground truth.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int ms, code, quiet;
static pthread_barrier_t idle_done;

static void *idle(void *arg)
{
	(void)arg;
	if (quiet) {
		usleep(500 * 1000);
		pthread_barrier_wait(&idle_done);
		return NULL;
	}
	for (;;)
		pause();
}

static void *late(void *arg)
{
	(void)arg;
	usleep((useconds_t)ms * 1000);
	if (quiet) {
		pthread_barrier_wait(&idle_done);
		pthread_exit(NULL);
	}
	exit(code);
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc != 4) {
		fprintf(stderr, "usage: leaderexit first|quiet|group MS CODE\n");
		return 2;
	}
	ms = atoi(argv[2]);
	code = atoi(argv[3]);
	quiet = !strcmp(argv[1], "quiet");
	pthread_barrier_init(&idle_done, NULL, 4);
	for (int i = 0; i < 3; i++)
		pthread_create(&t, NULL, idle, NULL);
	if (!strcmp(argv[1], "group")) {
		usleep((useconds_t)ms * 1000);
		exit(code);
	}
	pthread_create(&t, NULL, late, NULL);
	usleep(300 * 1000);
	pthread_exit(NULL);
}
