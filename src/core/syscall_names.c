/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Syscall number <-> name tables for the architectures audit and
 * /proc/<tid>/syscall report on x86 hosts: x86_64 (AUDIT_ARCH_X86_64) and
 * i386 (AUDIT_ARCH_I386, also what a 64-bit task's int 0x80 uses).
 * Generated from Debian 12's asm/unistd_64.h and unistd_32.h, plus the
 * numbers added up to Linux 6.18 (451..469, shared by both tables).
 * A number is resolved for the arch the record names, never the host's.
 */
#include "core/syscall_names.h"

#include <stddef.h>
#include <string.h>

static const char *const x86_64_names[] = {
	/*   0 */ "read", "write", "open", "close", "stat", "fstat",
	/*   6 */ "lstat", "poll", "lseek", "mmap", "mprotect", "munmap",
	/*  12 */ "brk", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "ioctl", "pread64",
	/*  18 */ "pwrite64", "readv", "writev", "access", "pipe", "select",
	/*  24 */ "sched_yield", "mremap", "msync", "mincore", "madvise", "shmget",
	/*  30 */ "shmat", "shmctl", "dup", "dup2", "pause", "nanosleep",
	/*  36 */ "getitimer", "alarm", "setitimer", "getpid", "sendfile", "socket",
	/*  42 */ "connect", "accept", "sendto", "recvfrom", "sendmsg", "recvmsg",
	/*  48 */ "shutdown", "bind", "listen", "getsockname", "getpeername", "socketpair",
	/*  54 */ "setsockopt", "getsockopt", "clone", "fork", "vfork", "execve",
	/*  60 */ "exit", "wait4", "kill", "uname", "semget", "semop",
	/*  66 */ "semctl", "shmdt", "msgget", "msgsnd", "msgrcv", "msgctl",
	/*  72 */ "fcntl", "flock", "fsync", "fdatasync", "truncate", "ftruncate",
	/*  78 */ "getdents", "getcwd", "chdir", "fchdir", "rename", "mkdir",
	/*  84 */ "rmdir", "creat", "link", "unlink", "symlink", "readlink",
	/*  90 */ "chmod", "fchmod", "chown", "fchown", "lchown", "umask",
	/*  96 */ "gettimeofday", "getrlimit", "getrusage", "sysinfo", "times", "ptrace",
	/* 102 */ "getuid", "syslog", "getgid", "setuid", "setgid", "geteuid",
	/* 108 */ "getegid", "setpgid", "getppid", "getpgrp", "setsid", "setreuid",
	/* 114 */ "setregid", "getgroups", "setgroups", "setresuid", "getresuid", "setresgid",
	/* 120 */ "getresgid", "getpgid", "setfsuid", "setfsgid", "getsid", "capget",
	/* 126 */ "capset", "rt_sigpending", "rt_sigtimedwait", "rt_sigqueueinfo", "rt_sigsuspend", "sigaltstack",
	/* 132 */ "utime", "mknod", "uselib", "personality", "ustat", "statfs",
	/* 138 */ "fstatfs", "sysfs", "getpriority", "setpriority", "sched_setparam", "sched_getparam",
	/* 144 */ "sched_setscheduler", "sched_getscheduler", "sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval", "mlock",
	/* 150 */ "munlock", "mlockall", "munlockall", "vhangup", "modify_ldt", "pivot_root",
	/* 156 */ "_sysctl", "prctl", "arch_prctl", "adjtimex", "setrlimit", "chroot",
	/* 162 */ "sync", "acct", "settimeofday", "mount", "umount2", "swapon",
	/* 168 */ "swapoff", "reboot", "sethostname", "setdomainname", "iopl", "ioperm",
	/* 174 */ "create_module", "init_module", "delete_module", "get_kernel_syms", "query_module", "quotactl",
	/* 180 */ "nfsservctl", "getpmsg", "putpmsg", "afs_syscall", "tuxcall", "security",
	/* 186 */ "gettid", "readahead", "setxattr", "lsetxattr", "fsetxattr", "getxattr",
	/* 192 */ "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr", "removexattr",
	/* 198 */ "lremovexattr", "fremovexattr", "tkill", "time", "futex", "sched_setaffinity",
	/* 204 */ "sched_getaffinity", "set_thread_area", "io_setup", "io_destroy", "io_getevents", "io_submit",
	/* 210 */ "io_cancel", "get_thread_area", "lookup_dcookie", "epoll_create", "epoll_ctl_old", "epoll_wait_old",
	/* 216 */ "remap_file_pages", "getdents64", "set_tid_address", "restart_syscall", "semtimedop", "fadvise64",
	/* 222 */ "timer_create", "timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete", "clock_settime",
	/* 228 */ "clock_gettime", "clock_getres", "clock_nanosleep", "exit_group", "epoll_wait", "epoll_ctl",
	/* 234 */ "tgkill", "utimes", "vserver", "mbind", "set_mempolicy", "get_mempolicy",
	/* 240 */ "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
	/* 246 */ "kexec_load", "waitid", "add_key", "request_key", "keyctl", "ioprio_set",
	/* 252 */ "ioprio_get", "inotify_init", "inotify_add_watch", "inotify_rm_watch", "migrate_pages", "openat",
	/* 258 */ "mkdirat", "mknodat", "fchownat", "futimesat", "newfstatat", "unlinkat",
	/* 264 */ "renameat", "linkat", "symlinkat", "readlinkat", "fchmodat", "faccessat",
	/* 270 */ "pselect6", "ppoll", "unshare", "set_robust_list", "get_robust_list", "splice",
	/* 276 */ "tee", "sync_file_range", "vmsplice", "move_pages", "utimensat", "epoll_pwait",
	/* 282 */ "signalfd", "timerfd_create", "eventfd", "fallocate", "timerfd_settime", "timerfd_gettime",
	/* 288 */ "accept4", "signalfd4", "eventfd2", "epoll_create1", "dup3", "pipe2",
	/* 294 */ "inotify_init1", "preadv", "pwritev", "rt_tgsigqueueinfo", "perf_event_open", "recvmmsg",
	/* 300 */ "fanotify_init", "fanotify_mark", "prlimit64", "name_to_handle_at", "open_by_handle_at", "clock_adjtime",
	/* 306 */ "syncfs", "sendmmsg", "setns", "getcpu", "process_vm_readv", "process_vm_writev",
	/* 312 */ "kcmp", "finit_module", "sched_setattr", "sched_getattr", "renameat2", "seccomp",
	/* 318 */ "getrandom", "memfd_create", "kexec_file_load", "bpf", "execveat", "userfaultfd",
	/* 324 */ "membarrier", "mlock2", "copy_file_range", "preadv2", "pwritev2", "pkey_mprotect",
	/* 330 */ "pkey_alloc", "pkey_free", "statx", "io_pgetevents", "rseq", NULL,
	/* 336 */ NULL, NULL, NULL, NULL, NULL, NULL,
	/* 342 */ NULL, NULL, NULL, NULL, NULL, NULL,
	/* 348 */ NULL, NULL, NULL, NULL, NULL, NULL,
	/* 354 */ NULL, NULL, NULL, NULL, NULL, NULL,
	/* 360 */ NULL, NULL, NULL, NULL, NULL, NULL,
	/* 366 */ NULL, NULL, NULL, NULL, NULL, NULL,
	/* 372 */ NULL, NULL, NULL, NULL, NULL, NULL,
	/* 378 */ NULL, NULL, NULL, NULL, NULL, NULL,
	/* 384 */ NULL, NULL, NULL, NULL, NULL, NULL,
	/* 390 */ NULL, NULL, NULL, NULL, NULL, NULL,
	/* 396 */ NULL, NULL, NULL, NULL, NULL, NULL,
	/* 402 */ NULL, NULL, NULL, NULL, NULL, NULL,
	/* 408 */ NULL, NULL, NULL, NULL, NULL, NULL,
	/* 414 */ NULL, NULL, NULL, NULL, NULL, NULL,
	/* 420 */ NULL, NULL, NULL, NULL, "pidfd_send_signal", "io_uring_setup",
	/* 426 */ "io_uring_enter", "io_uring_register", "open_tree", "move_mount", "fsopen", "fsconfig",
	/* 432 */ "fsmount", "fspick", "pidfd_open", "clone3", "close_range", "openat2",
	/* 438 */ "pidfd_getfd", "faccessat2", "process_madvise", "epoll_pwait2", "mount_setattr", "quotactl_fd",
	/* 444 */ "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self", "memfd_secret", "process_mrelease", "futex_waitv",
	/* 450 */ "set_mempolicy_home_node", "cachestat", "fchmodat2", "map_shadow_stack", "futex_wake", "futex_wait",
	/* 456 */ "futex_requeue", "statmount", "listmount", "lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules",
	/* 462 */ "mseal", "setxattrat", "getxattrat", "listxattrat", "removexattrat", "open_tree_attr",
	/* 468 */ "file_getattr", "file_setattr",
};

static const char *const i386_names[] = {
	/*   0 */ "restart_syscall", "exit", "fork", "read", "write", "open",
	/*   6 */ "close", "waitpid", "creat", "link", "unlink", "execve",
	/*  12 */ "chdir", "time", "mknod", "chmod", "lchown", "break",
	/*  18 */ "oldstat", "lseek", "getpid", "mount", "umount", "setuid",
	/*  24 */ "getuid", "stime", "ptrace", "alarm", "oldfstat", "pause",
	/*  30 */ "utime", "stty", "gtty", "access", "nice", "ftime",
	/*  36 */ "sync", "kill", "rename", "mkdir", "rmdir", "dup",
	/*  42 */ "pipe", "times", "prof", "brk", "setgid", "getgid",
	/*  48 */ "signal", "geteuid", "getegid", "acct", "umount2", "lock",
	/*  54 */ "ioctl", "fcntl", "mpx", "setpgid", "ulimit", "oldolduname",
	/*  60 */ "umask", "chroot", "ustat", "dup2", "getppid", "getpgrp",
	/*  66 */ "setsid", "sigaction", "sgetmask", "ssetmask", "setreuid", "setregid",
	/*  72 */ "sigsuspend", "sigpending", "sethostname", "setrlimit", "getrlimit", "getrusage",
	/*  78 */ "gettimeofday", "settimeofday", "getgroups", "setgroups", "select", "symlink",
	/*  84 */ "oldlstat", "readlink", "uselib", "swapon", "reboot", "readdir",
	/*  90 */ "mmap", "munmap", "truncate", "ftruncate", "fchmod", "fchown",
	/*  96 */ "getpriority", "setpriority", "profil", "statfs", "fstatfs", "ioperm",
	/* 102 */ "socketcall", "syslog", "setitimer", "getitimer", "stat", "lstat",
	/* 108 */ "fstat", "olduname", "iopl", "vhangup", "idle", "vm86old",
	/* 114 */ "wait4", "swapoff", "sysinfo", "ipc", "fsync", "sigreturn",
	/* 120 */ "clone", "setdomainname", "uname", "modify_ldt", "adjtimex", "mprotect",
	/* 126 */ "sigprocmask", "create_module", "init_module", "delete_module", "get_kernel_syms", "quotactl",
	/* 132 */ "getpgid", "fchdir", "bdflush", "sysfs", "personality", "afs_syscall",
	/* 138 */ "setfsuid", "setfsgid", "_llseek", "getdents", "_newselect", "flock",
	/* 144 */ "msync", "readv", "writev", "getsid", "fdatasync", "_sysctl",
	/* 150 */ "mlock", "munlock", "mlockall", "munlockall", "sched_setparam", "sched_getparam",
	/* 156 */ "sched_setscheduler", "sched_getscheduler", "sched_yield", "sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval",
	/* 162 */ "nanosleep", "mremap", "setresuid", "getresuid", "vm86", "query_module",
	/* 168 */ "poll", "nfsservctl", "setresgid", "getresgid", "prctl", "rt_sigreturn",
	/* 174 */ "rt_sigaction", "rt_sigprocmask", "rt_sigpending", "rt_sigtimedwait", "rt_sigqueueinfo", "rt_sigsuspend",
	/* 180 */ "pread64", "pwrite64", "chown", "getcwd", "capget", "capset",
	/* 186 */ "sigaltstack", "sendfile", "getpmsg", "putpmsg", "vfork", "ugetrlimit",
	/* 192 */ "mmap2", "truncate64", "ftruncate64", "stat64", "lstat64", "fstat64",
	/* 198 */ "lchown32", "getuid32", "getgid32", "geteuid32", "getegid32", "setreuid32",
	/* 204 */ "setregid32", "getgroups32", "setgroups32", "fchown32", "setresuid32", "getresuid32",
	/* 210 */ "setresgid32", "getresgid32", "chown32", "setuid32", "setgid32", "setfsuid32",
	/* 216 */ "setfsgid32", "pivot_root", "mincore", "madvise", "getdents64", "fcntl64",
	/* 222 */ NULL, NULL, "gettid", "readahead", "setxattr", "lsetxattr",
	/* 228 */ "fsetxattr", "getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr",
	/* 234 */ "flistxattr", "removexattr", "lremovexattr", "fremovexattr", "tkill", "sendfile64",
	/* 240 */ "futex", "sched_setaffinity", "sched_getaffinity", "set_thread_area", "get_thread_area", "io_setup",
	/* 246 */ "io_destroy", "io_getevents", "io_submit", "io_cancel", "fadvise64", NULL,
	/* 252 */ "exit_group", "lookup_dcookie", "epoll_create", "epoll_ctl", "epoll_wait", "remap_file_pages",
	/* 258 */ "set_tid_address", "timer_create", "timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete",
	/* 264 */ "clock_settime", "clock_gettime", "clock_getres", "clock_nanosleep", "statfs64", "fstatfs64",
	/* 270 */ "tgkill", "utimes", "fadvise64_64", "vserver", "mbind", "get_mempolicy",
	/* 276 */ "set_mempolicy", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify",
	/* 282 */ "mq_getsetattr", "kexec_load", "waitid", NULL, "add_key", "request_key",
	/* 288 */ "keyctl", "ioprio_set", "ioprio_get", "inotify_init", "inotify_add_watch", "inotify_rm_watch",
	/* 294 */ "migrate_pages", "openat", "mkdirat", "mknodat", "fchownat", "futimesat",
	/* 300 */ "fstatat64", "unlinkat", "renameat", "linkat", "symlinkat", "readlinkat",
	/* 306 */ "fchmodat", "faccessat", "pselect6", "ppoll", "unshare", "set_robust_list",
	/* 312 */ "get_robust_list", "splice", "sync_file_range", "tee", "vmsplice", "move_pages",
	/* 318 */ "getcpu", "epoll_pwait", "utimensat", "signalfd", "timerfd_create", "eventfd",
	/* 324 */ "fallocate", "timerfd_settime", "timerfd_gettime", "signalfd4", "eventfd2", "epoll_create1",
	/* 330 */ "dup3", "pipe2", "inotify_init1", "preadv", "pwritev", "rt_tgsigqueueinfo",
	/* 336 */ "perf_event_open", "recvmmsg", "fanotify_init", "fanotify_mark", "prlimit64", "name_to_handle_at",
	/* 342 */ "open_by_handle_at", "clock_adjtime", "syncfs", "sendmmsg", "setns", "process_vm_readv",
	/* 348 */ "process_vm_writev", "kcmp", "finit_module", "sched_setattr", "sched_getattr", "renameat2",
	/* 354 */ "seccomp", "getrandom", "memfd_create", "bpf", "execveat", "socket",
	/* 360 */ "socketpair", "bind", "connect", "listen", "accept4", "getsockopt",
	/* 366 */ "setsockopt", "getsockname", "getpeername", "sendto", "sendmsg", "recvfrom",
	/* 372 */ "recvmsg", "shutdown", "userfaultfd", "membarrier", "mlock2", "copy_file_range",
	/* 378 */ "preadv2", "pwritev2", "pkey_mprotect", "pkey_alloc", "pkey_free", "statx",
	/* 384 */ "arch_prctl", "io_pgetevents", "rseq", NULL, NULL, NULL,
	/* 390 */ NULL, NULL, NULL, "semget", "semctl", "shmget",
	/* 396 */ "shmctl", "shmat", "shmdt", "msgget", "msgsnd", "msgrcv",
	/* 402 */ "msgctl", "clock_gettime64", "clock_settime64", "clock_adjtime64", "clock_getres_time64", "clock_nanosleep_time64",
	/* 408 */ "timer_gettime64", "timer_settime64", "timerfd_gettime64", "timerfd_settime64", "utimensat_time64", "pselect6_time64",
	/* 414 */ "ppoll_time64", NULL, "io_pgetevents_time64", "recvmmsg_time64", "mq_timedsend_time64", "mq_timedreceive_time64",
	/* 420 */ "semtimedop_time64", "rt_sigtimedwait_time64", "futex_time64", "sched_rr_get_interval_time64", "pidfd_send_signal", "io_uring_setup",
	/* 426 */ "io_uring_enter", "io_uring_register", "open_tree", "move_mount", "fsopen", "fsconfig",
	/* 432 */ "fsmount", "fspick", "pidfd_open", "clone3", "close_range", "openat2",
	/* 438 */ "pidfd_getfd", "faccessat2", "process_madvise", "epoll_pwait2", "mount_setattr", "quotactl_fd",
	/* 444 */ "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self", "memfd_secret", "process_mrelease", "futex_waitv",
	/* 450 */ "set_mempolicy_home_node", "cachestat", "fchmodat2", NULL, "futex_wake", "futex_wait",
	/* 456 */ "futex_requeue", "statmount", "listmount", "lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules",
	/* 462 */ "mseal", "setxattrat", "getxattrat", "listxattrat", "removexattrat", "open_tree_attr",
	/* 468 */ "file_getattr", "file_setattr",
};

struct sc_table {
	uint32_t arch;
	const char *const *names;
	int n;
};

static const struct sc_table tables[] = {
	{ SC_ARCH_X86_64, x86_64_names, (int)(sizeof(x86_64_names) / sizeof(x86_64_names[0])) },
	{ SC_ARCH_I386, i386_names, (int)(sizeof(i386_names) / sizeof(i386_names[0])) },
};

static const struct sc_table *table_for(uint32_t arch)
{
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (tables[i].arch == arch)
			return &tables[i];
	return NULL;
}

const char *syscall_name(uint32_t arch, int nr)
{
	const struct sc_table *t = table_for(arch);

	if (!t || nr < 0 || nr >= t->n)
		return NULL;
	return t->names[nr];
}

int syscall_nr(uint32_t arch, const char *name)
{
	const struct sc_table *t = table_for(arch);

	if (!t || !name)
		return -1;
	for (int i = 0; i < t->n; i++)
		if (t->names[i] && strcmp(t->names[i], name) == 0)
			return i;
	return -1;
}

int syscall_max_nr(uint32_t arch)
{
	const struct sc_table *t = table_for(arch);

	return t ? t->n - 1 : -1;
}

uint32_t syscall_native_arch(void)
{
#if defined(__x86_64__)
	return SC_ARCH_X86_64;
#elif defined(__i386__)
	return SC_ARCH_I386;
#else
	return 0;
#endif
}

const char *syscall_arch_name(uint32_t arch)
{
	switch (arch) {
	case SC_ARCH_X86_64:
		return "x86_64";
	case SC_ARCH_I386:
		return "i386";
	default:
		return "unknown";
	}
}
