/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oldsys PROG [ARG...]: run PROG as on a Linux 3.13-era kernel. A seccomp
 * filter answers ENOSYS to every x86_64 system call numbered 314 and up
 * (sched_setattr, seccomp, getrandom, memfd_create, bpf, statx, rseq,
 * clone3, close_range, openat2, faccessat2, io_uring...: all added after
 * 3.13) and to the x32 ABI, as an old kernel would, then execs PROG. The
 * filter is inherited by PROG's children. Used by
 * tests/integration/test_static_oldsys.sh.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define FIRST_NEW_NR 314 /* sched_setattr, Linux 3.14 */
#define X32_BIT	     0x40000000u

int main(int argc, char **argv)
{
	struct sock_filter f[] = {
	    /* another ABI (i386, x32 through int 0x80): not ours to judge */
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    /* x32 calls carry bit 30; 3.13 kernels built without x32 refuse them */
	    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, X32_BIT, 1, 0),
	    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, FIRST_NEW_NR, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};

	if (argc < 2) {
		fprintf(stderr, "usage: oldsys PROG [ARG...]\n");
		return 2;
	}
	/* Without CAP_SYS_ADMIN the kernel wants no_new_privs first. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0)) {
		fprintf(stderr, "oldsys: cannot install the seccomp filter: %s\n", strerror(errno));
		return 126;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "oldsys: cannot run %s: %s\n", argv[1], strerror(errno));
	return 127;
}
