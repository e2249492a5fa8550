/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: kernel log records (/dev/kmsg "prio,seq,ts,...;msg" and the
 * OOM lines the exits image reads) and cgroup files (memory/pids/cpu
 * key-value files, limits, PSI lines). The parsers are static in their
 * sources, so those are included here; their other symbols then come from
 * this object instead of the library's copy. */
#include "fuzz_common.h"
#include "images/exits.h"
#include "../../src/sources/kmsg.c"
#include "../../src/sources/cgroup.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_cstr(data, size);
	char *copy = fuzz_cstr(data, size), *msg;
	uint64_t seq, ts, v;
	int32_t pid;
	int sig;
	char comm[16];
	struct rec_psi psi;

	if (parse_record(copy, &seq, &ts, &msg) == 0)
		exits_parse_oom_line(msg, &pid, comm, sizeof(comm));
	exits_parse_oom_line(buf, &pid, comm, sizeof(comm));
	exits_parse_crash_line(buf, &pid, comm, sizeof(comm), &sig);
	kv_u64(buf, "oom_kill", ' ', &v);
	kv_u64(buf, "usage_usec", ' ', &v);
	limit_of(buf);
	memset(&psi, 0, sizeof(psi));
	parse_psi(buf, &psi);
	free(copy);
	free(buf);
	return 0;
}
