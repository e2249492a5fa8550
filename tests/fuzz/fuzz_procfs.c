/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: every /proc text parser (procfs_parse.c, procfs_oom.c) on one
 * input, since a garbage or truncated file may reach any of them. */
#include "fuzz_common.h"
#include "sources/procfs.h"
#include "sources/procfs_oom.h"
#include "sources/procfs_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_cstr(data, size);
	struct proc_sample s;
	char comm[17], cg[256];
	uint64_t set[PROC_CPUSET_WORDS];

	memset(&s, 0, sizeof(s));
	procfs_parse_stat(buf, &s, comm, sizeof(comm));
	procfs_parse_schedstat(buf, &s);
	procfs_parse_sched(buf, &s);
	procfs_parse_status(buf, &s);
	procfs_parse_io(buf, &s);
	procfs_parse_syscall(buf, &s);
	procfs_parse_wchan(buf, &s);
	procfs_parse_statm(buf, &s);
	parse_cpulist(buf, set, PROC_CPUSET_WORDS);
	procfs_parse_cgroup(buf, "cpu", cg, sizeof(cg));
	procfs_parse_cgroup(buf, NULL, cg, sizeof(cg));
	procfs_parse_oom(buf, PF_OOM_SCORE, &s);
	procfs_parse_oom(buf, PF_OOM_ADJ, &s);
	free(buf);
	return 0;
}
