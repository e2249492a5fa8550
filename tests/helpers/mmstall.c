/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A process whose /proc reads that touch its memory block: its argv and
 * environ are moved (PR_SET_MM_MAP, needs CONFIG_CHECKPOINT_RESTORE) onto a page
 * registered with userfaultfd that nobody ever fills, so a reader of
 * /proc/<pid>/cmdline or environ faults into it and waits. With "lock", a
 * thread then calls mmap() in a loop: its write lock queues behind the
 * stuck reader, which stalls every later reader of the mm (maps, smaps...).
 * Prints "ready PID" and runs until killed (exit 3: setup refused).
 * usage: mmstall [lock]
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static void *mapper(void *arg)
{
	for (;;) {
		void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED)
			munmap(p, 4096);
		usleep(1000);
	}
	return arg;
}

/* PR_SET_MM_MAP (no CAP_SYS_RESOURCE needed, unlike the single fields):
 * the current layout from /proc/self/stat with argv and environ moved. */
static int set_args(unsigned long a, unsigned long e)
{
	char buf[4096];
	unsigned long long v[64] = {0};
	int fd = open("/proc/self/stat", O_RDONLY), n = 0;
	ssize_t len = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (len <= 0)
		return -1;
	buf[len] = 0;
	char *p = strrchr(buf, ')');
	/* Skip ") S ": v[k] is field k + 4 of proc(5). */
	for (p = p ? p + 4 : buf; *p && n < 64; n++) {
		v[n] = strtoull(p, &p, 10);
		while (*p == ' ')
			p++;
	}
	struct prctl_mm_map m = {
	    .start_code = v[26 - 4],
	    .end_code = v[27 - 4],
	    .start_stack = v[28 - 4],
	    .start_data = v[45 - 4],
	    .end_data = v[46 - 4],
	    .start_brk = v[47 - 4],
	    .brk = (unsigned long)sbrk(0),
	    .arg_start = a,
	    .arg_end = e,
	    .env_start = a,
	    .env_end = e,
	    .exe_fd = (__u32)-1,
	};
	return prctl(PR_SET_MM, PR_SET_MM_MAP, (unsigned long)&m, sizeof(m), 0);
}

int main(int argc, char **argv)
{
	long pg = sysconf(_SC_PAGESIZE);
	int uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	struct uffdio_api api = {.api = UFFD_API};
	char *page =
	    mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) || page == MAP_FAILED) {
		perror("userfaultfd");
		return 3;
	}
	struct uffdio_register reg = {.range = {(unsigned long)page, (unsigned long)pg * 2},
				      .mode = UFFDIO_REGISTER_MODE_MISSING};
	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		perror("UFFDIO_REGISTER");
		return 3;
	}
	unsigned long a = (unsigned long)page, e = a + (unsigned long)pg;
	if (set_args(a, e)) {
		perror("PR_SET_MM_MAP");
		return 3;
	}
	pthread_t t;
	if (argc > 1 && !strcmp(argv[1], "lock"))
		pthread_create(&t, NULL, mapper, NULL);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (;;)
		pause();
}
