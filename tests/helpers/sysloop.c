/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sysloop: a workload with a known syscall profile, for the syscall image.
 * Usage: sysloop [FAILING_OPENS] [GO_FILE]
 * Blocks SIGUSR1 and waits for it (or, with GO_FILE, for that file to appear),
 * then makes exactly: 10,000 getppid, 1,000 openat+close of /dev/null,
 * 500 mmap+munmap of one page, FAILING_OPENS (default 200) openat of a
 * missing file (ENOENT) -- all as raw syscalls, so libc adds nothing --
 * then exits at once (raw exit_group). Prints its pid at start and "done" at the end on stdout.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long failing = argc > 1 ? atol(argv[1]) : 200;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("%d\n", (int)getpid());
	fflush(stdout);
	if (argc > 2) {
		while (access(argv[2], F_OK) != 0)
			usleep(10000);
	} else {
		sigwait(&set, &sig);
	}
	for (int i = 0; i < 10000; i++)
		syscall(SYS_getppid);
	for (int i = 0; i < 1000; i++) {
		long fd = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC);
		syscall(SYS_close, fd);
	}
	for (int i = 0; i < 500; i++) {
		long p = syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		syscall(SYS_munmap, p, 4096);
	}
	for (long i = 0; i < failing; i++)
		syscall(SYS_openat, AT_FDCWD, "/nonexistent/procimage-sysloop", O_RDONLY);
	printf("done\n");
	fflush(stdout);
	/* Straight out: no atexit work (a sanitizer's leak check maps memory
	 * and clones), so what audit sees is exactly the above. */
	syscall(SYS_exit_group, 0);
	return 0;
}
