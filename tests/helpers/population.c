/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An idle population for the scale tests and benchmarks: NPROC processes of
 * NTHREADS threads each (the main thread included), every thread in pause().
 * Prints "ready pid=P procs=N threads=T" once every thread exists, then waits
 * for SIGTERM, SIGINT, SIGHUP or SECONDS to pass; then it kills every child
 * by its pid (SIGKILL), reaps each one and exits. The children also die with
 * it (PR_SET_PDEATHSIG), so even a SIGKILL of this helper leaves nothing.
 * usage: population NPROC NTHREADS SECONDS
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void *nap(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void child(pid_t parent, int nthreads, int fd)
{
	pthread_attr_t a;
	sigset_t none;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent) /* the parent died before the prctl */
		_exit(1);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 32 * 1024);
	for (int i = 1; i < nthreads; i++) {
		pthread_t t;
		if (pthread_create(&t, &a, nap, NULL))
			_exit(1);
	}
	if (write(fd, "x", 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	int p[2], sig = 0;
	sigset_t stop;

	if (argc != 4) {
		fprintf(stderr, "usage: population NPROC NTHREADS SECONDS\n");
		return 2;
	}
	int nproc = atoi(argv[1]), nthr = atoi(argv[2]), secs = atoi(argv[3]);
	pid_t *pids = calloc((size_t)(nproc > 0 ? nproc : 1), sizeof(*pids));
	if (nproc < 1 || nthr < 1 || secs < 1 || !pids || pipe(p))
		return 2;
	/* Blocked before the first fork: a stop request is never lost and is
	 * always served by killing the children made so far. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	sigaddset(&stop, SIGALRM);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	alarm((unsigned)secs);
	pid_t self = getpid();
	int made = 0, ready = 0;
	for (; made < nproc; made++) {
		struct timespec zero = {0, 0};
		pid_t c = fork();
		if (c == 0)
			child(self, nthr, p[1]);
		if (c < 0)
			break;
		pids[made] = c;
		if (sigtimedwait(&stop, NULL, &zero) > 0) { /* asked to stop while forking */
			sig = 1;
			made++;
			break;
		}
	}
	close(p[1]);
	/* Wait for every child's byte, but never past a stop request or a
	 * child that died while setting up (its threads failed). */
	while (!sig && ready < made) {
		struct pollfd pf = {.fd = p[0], .events = POLLIN};
		struct timespec zero = {0, 0};
		char c;
		if (poll(&pf, 1, 200) > 0 && read(p[0], &c, 1) == 1)
			ready++;
		int st;
		pid_t dead;
		if (sigtimedwait(&stop, NULL, &zero) > 0)
			break;
		if ((dead = waitpid(-1, &st, WNOHANG)) > 0) {
			fprintf(stderr, "population: child %d ended (%s %d)\n", (int)dead,
				WIFSIGNALED(st) ? "signal" : "exit",
				WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
			break;
		}
	}
	if (!sig && made == nproc && ready == nproc) {
		printf("ready pid=%d procs=%d threads=%d\n", (int)self, nproc, nproc * nthr);
		fflush(stdout);
		sigwaitinfo(&stop, NULL);
	} else if (!sig) {
		fprintf(stderr, "population: only %d of %d processes started (%s)\n", ready, nproc,
			made < nproc ? "fork failed" : "a thread failed");
	}
	for (int i = 0; i < made; i++)
		kill(pids[i], SIGKILL);
	for (int i = 0; i < made; i++)
		while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
			;
	free(pids);
	return made == nproc && ready == nproc ? 0 : 1;
}
