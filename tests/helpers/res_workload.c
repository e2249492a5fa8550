/* Workloads with known ground truth for the resource image's tests.
 *   res_workload write FILE MIB DELAY_MS   write MIB MiB, fsync, then wait
 *   res_workload touch MIB DELAY_MS        allocate and touch MIB MiB, then wait
 *   res_workload dsync FILE MIB DELAY_MS   O_DSYNC 4 KiB writes of MIB MiB, then wait
 *   res_workload spin NTHREADS             spin in NTHREADS threads
 *   res_workload grow MIB_PER_S SECONDS    allocate and touch steadily (a leak)
 * The work starts after DELAY_MS, so the observer has a baseline first; the
 * program prints "done" on stdout when the work is over and waits to be killed. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024 * 1024)

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts))
		;
}

static void done(void)
{
	printf("done\n");
	fflush(stdout);
	for (;;)
		pause();
}

static int do_write(const char *path, long mib, int flags, size_t chunk)
{
	char *buf = malloc(chunk);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | flags, 0600);

	if (!buf || fd < 0) {
		perror(path);
		return 1;
	}
	memset(buf, 'x', chunk);
	for (long off = 0; off < mib * MIB; off += (long)chunk)
		if (write(fd, buf, chunk) != (ssize_t)chunk) {
			perror("write");
			return 1;
		}
	if (fsync(fd)) {
		perror("fsync");
		return 1;
	}
	close(fd);
	free(buf);
	done();
	return 0;
}

static void *spin(void *arg)
{
	volatile unsigned long n = 0;
	(void)arg;
	for (;;)
		n++;
	return NULL;
}

static int do_grow(long mib_per_s, long secs)
{
	for (long i = 0; i < mib_per_s * secs * 10; i++) {
		char *p = malloc(MIB / 10);
		if (!p)
			return 1;
		memset(p, 1, MIB / 10);
		sleep_ms(100 / mib_per_s);
	}
	done();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "spin") == 0) {
		pthread_t t;
		for (long i = 1; i < atol(argv[2]); i++)
			pthread_create(&t, NULL, spin, NULL);
		spin(NULL);
	}
	if (argc >= 4 && strcmp(argv[1], "grow") == 0)
		return do_grow(atol(argv[2]), atol(argv[3]));
	if (argc >= 4 && strcmp(argv[1], "touch") == 0) {
		long mib = atol(argv[2]);
		sleep_ms(atol(argv[3]));
		char *p = malloc((size_t)mib * MIB);
		if (!p)
			return 1;
		for (long i = 0; i < mib * MIB; i += 4096)
			p[i] = 1;
		done();
	}
	if (argc >= 5 && strcmp(argv[1], "write") == 0) {
		sleep_ms(atol(argv[4]));
		return do_write(argv[2], atol(argv[3]), 0, MIB);
	}
	if (argc >= 5 && strcmp(argv[1], "dsync") == 0) {
		sleep_ms(atol(argv[4]));
		return do_write(argv[2], atol(argv[3]), O_DSYNC, 4096);
	}
	fprintf(stderr, "usage: res_workload write|touch|dsync|spin|grow ...\n");
	return 2;
}
