/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The floor for the sched tier: the CPU cost of one pread of
 * /proc/<pid>/task/<tid>/schedstat per task per pass, with every fd kept
 * open (the cheapest possible way to watch every thread's run time), at the
 * same rate as procimage. Prints tasks and ns of CPU per task-sample.
 * usage: sched_floor SECONDS INTERVAL_MS
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	int cap = 1024, n = 0, *fds = malloc(sizeof(int) * (size_t)cap);
	DIR *d = opendir("/proc");
	struct dirent *de;
	char path[128], buf[128];

	if (argc != 3 || !fds || !d)
		return 2;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task", de->d_name);
		DIR *t = opendir(path);
		struct dirent *te;
		while (t && (te = readdir(t))) {
			if (te->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/task/%s/schedstat", de->d_name,
				 te->d_name);
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			if (n == cap)
				fds = realloc(fds, sizeof(int) * (size_t)(cap *= 2));
			fds[n++] = fd;
		}
		if (t)
			closedir(t);
	}
	closedir(d);
	int passes = atoi(argv[1]) * 1000 / atoi(argv[2]);
	struct timespec iv = {0, atol(argv[2]) * 1000000L};
	unsigned long long sum = 0, samples = 0;
	long long c0 = cpu_ns();
	for (int p = 0; p < passes; p++) {
		for (int i = 0; i < n; i++) {
			ssize_t k = pread(fds[i], buf, sizeof(buf) - 1, 0);
			if (k > 0) {
				buf[k] = 0;
				sum +=
				    strtoull(buf, NULL, 10); /* the run time, as a reader would */
				samples++;
			}
		}
		nanosleep(&iv, NULL);
	}
	long long c1 = cpu_ns();
	printf("tasks %d samples %llu ns_per_sample %.1f checksum %llu\n", n, samples,
	       samples ? (double)(c1 - c0) / (double)samples : 0.0, sum % 10);
	return 0;
}
