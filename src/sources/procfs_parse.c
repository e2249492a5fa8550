/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parsers for /proc/<pid>/{stat,schedstat,sched,status,io,syscall,wchan,statm,
 * cgroup} (see procfs_parse.h). These run on the hot path every tick for every
 * sampled task, so they are cursor parsers over the buffer: no sscanf, no
 * strtok, no copies. Field numbers in comments are proc(5)'s.
 */
#include "sources/procfs_parse.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

/* An unsigned number after an optional '-' (skipped when neg): the negation
 * is done in unsigned arithmetic, so "-1" is 2^64-1 and casts back to -1. */
static int parse_u64_at(const char **pp, int neg, unsigned long long *v)
{
	const char *p = *pp + (neg ? 1 : 0);

	if (*p < '0' || *p > '9' || parse_u64(&p, v))
		return -EINVAL;
	if (neg)
		*v = 0ULL - *v;
	*pp = p;
	return 0;
}

/* stat: "pid (comm) S ppid ...". comm may hold spaces and ')' so the last ')'
 * ends it. Older kernels print fewer fields (2.6.18: 41; 3.x+: 44-52); fields
 * past the end stay zero. */
int procfs_parse_stat(const char *buf, struct proc_sample *s, char *comm, size_t comm_len)
{
	const char *open = strchr(buf, '(');
	const char *close = strrchr(buf, ')');
	unsigned long long v[52] = {0};
	int n = 0;

	if (!open || !close || close < open || close[1] != ' ' || !close[2])
		return -EINVAL;
	if (comm && comm_len) {
		size_t len = (size_t)(close - open - 1);
		if (len >= comm_len)
			len = comm_len - 1;
		memcpy(comm, open + 1, len);
		comm[len] = '\0';
	}
	const char *p = close + 2;
	s->state = *p++;
	/* Fields 4.. are numbers. Most are unsigned and may use all 64 bits
	 * (rsslim is 2^64-1); a few are signed (tpgid, priority, nice, exit
	 * signal): keep two's complement and let the narrowing casts sign them. */
	for (n = 4; n < 52; n++) {
		int neg;
		p = parse_skip_spaces(p);
		neg = *p == '-';
		if (parse_u64_at(&p, neg, &v[n]))
			break;
	}
	if (n <= 24) /* need at least up to rss (24) */
		return -EINVAL;
	s->ppid = (int32_t)v[4];
	s->flags = (uint32_t)v[9];
	s->minflt = v[10];
	s->majflt = v[12];
	s->utime = v[14];
	s->stime = v[15];
	s->priority = (int32_t)(long long)v[18];
	s->nice = (int32_t)(long long)v[19];
	s->num_threads = (int32_t)v[20];
	s->starttime = v[22];
	s->vsize = v[23];
	s->rss_pages = (int64_t)v[24];
	s->processor = n > 39 ? (int32_t)v[39] : -1;
	s->rt_priority = (uint32_t)v[40];
	s->policy = (uint32_t)v[41];
	s->blkio_ticks = v[42];
	s->have |= PF_STAT;
	return 0;
}

/* schedstat: "run_ns wait_ns timeslices" */
int procfs_parse_schedstat(const char *buf, struct proc_sample *s)
{
	unsigned long long a, b, c;
	const char *p = buf;

	if (parse_u64(&p, &a) || parse_u64(&p, &b) || parse_u64(&p, &c))
		return -EINVAL;
	s->run_ns = a;
	s->wait_ns = b;
	s->slices = c;
	s->have |= PF_SCHEDSTAT;
	return 0;
}

/* Find "\nkey" followed by spaces and ':' and return the value start, or NULL.
 * Matching at a line start avoids "se.avg.load_avg" matching "load_avg". */
static const char *find_key(const char *buf, const char *key, char sep)
{
	size_t klen = strlen(key);
	const char *p = buf;

	while (p && *p) {
		if (strncmp(p, key, klen) == 0) {
			const char *q = p + klen;
			while (*q == ' ' || *q == '\t')
				q++;
			if (*q == sep)
				return q + 1;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static int key_u64(const char *buf, const char *key, char sep, uint64_t *out)
{
	const char *p = find_key(buf, key, sep);
	unsigned long long v;

	if (!p || parse_u64(&p, &v))
		return 0;
	*out = v;
	return 1;
}

/* sched: "comm (pid, #threads: n)\n----\nse.exec_start  :  123.456\n..."
 * Integer fields are printed plainly; averages may be "x.y" on old kernels. */
int procfs_parse_sched(const char *buf, struct proc_sample *s)
{
	uint64_t v;
	/* The header line carries the raw comm, which may hold a newline and
	 * a fake "prio: 7" line. The separator is 57+ dashes; a comm (15
	 * bytes) cannot fake it, so keys are only searched below it. */
	const char *sep = strstr(buf, "\n--------------------");

	if (!sep || !(buf = strchr(sep + 1, '\n')))
		return -EINVAL;
	buf++;
	if (!find_key(buf, "se.sum_exec_runtime", ':') && !find_key(buf, "nr_switches", ':'))
		return -EINVAL;
	if (key_u64(buf, "se.nr_migrations", ':', &s->nr_migrations))
		s->sched_have |= SCHED_HAVE_MIGRATIONS;
	if (key_u64(buf, "nr_switches", ':', &s->nr_switches)) {
		key_u64(buf, "nr_voluntary_switches", ':', &s->nr_vol_switches);
		key_u64(buf, "nr_involuntary_switches", ':', &s->nr_invol_switches);
		s->sched_have |= SCHED_HAVE_SWITCHES;
	}
	if (key_u64(buf, "se.avg.load_avg", ':', &s->load_avg)) {
		key_u64(buf, "se.avg.runnable_avg", ':', &s->runnable_avg);
		key_u64(buf, "se.avg.util_avg", ':', &s->util_avg);
		s->sched_have |= SCHED_HAVE_AVG;
	}
	if (key_u64(buf, "prio", ':', &v))
		s->sched_prio = (int32_t)v;
	s->have |= PF_SCHED;
	return 0;
}

int procfs_parse_status(const char *buf, struct proc_sample *s)
{
	uint64_t v;

	if (!find_key(buf, "Name", ':') || !find_key(buf, "Pid", ':'))
		return -EINVAL;
	key_u64(buf, "VmSize", ':', &s->vm_size_kb);
	key_u64(buf, "VmRSS", ':', &s->vm_rss_kb);
	key_u64(buf, "VmHWM", ':', &s->vm_hwm_kb);
	if (key_u64(buf, "VmSwap", ':', &s->vm_swap_kb))
		s->status_have |= STATUS_HAVE_SWAP;
	if (key_u64(buf, "RssAnon", ':', &s->rss_anon_kb)) {
		key_u64(buf, "RssFile", ':', &s->rss_file_kb);
		key_u64(buf, "RssShmem", ':', &s->rss_shmem_kb);
		s->status_have |= STATUS_HAVE_RSS_SPLIT;
	}
	key_u64(buf, "voluntary_ctxt_switches", ':', &s->vol_ctxt);
	key_u64(buf, "nonvoluntary_ctxt_switches", ':', &s->invol_ctxt);
	if (key_u64(buf, "Uid", ':', &v))
		s->uid = (uint32_t)v;
	if (key_u64(buf, "Threads", ':', &v))
		s->status_threads = (uint32_t)v;
	const char *cpus = find_key(buf, "Cpus_allowed_list", ':');
	if (cpus && parse_cpulist(parse_skip_spaces(cpus), s->cpus_allowed, PROC_CPUSET_WORDS) == 0)
		s->status_have |= STATUS_HAVE_CPUS;
	s->have |= PF_STATUS;
	return 0;
}

int procfs_parse_io(const char *buf, struct proc_sample *s)
{
	if (!key_u64(buf, "rchar", ':', &s->rchar))
		return -EINVAL;
	key_u64(buf, "wchar", ':', &s->wchar);
	key_u64(buf, "syscr", ':', &s->syscr);
	key_u64(buf, "syscw", ':', &s->syscw);
	key_u64(buf, "read_bytes", ':', &s->read_bytes);
	key_u64(buf, "write_bytes", ':', &s->write_bytes);
	key_u64(buf, "cancelled_write_bytes", ':', &s->cancelled_write_bytes);
	s->have |= PF_IO;
	return 0;
}

/* " 0x1f" at *p: parse, advance. -EINVAL when no "0x" number is there. */
static int parse_hex(const char **pp, uint64_t *out)
{
	const char *p = parse_skip_spaces(*pp);
	uint64_t a = 0;
	int digits = 0;

	if (p[0] != '0' || p[1] != 'x')
		return -EINVAL;
	for (p += 2;; p++, digits++) {
		unsigned d;
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else
			break;
		a = a << 4 | d;
	}
	if (!digits)
		return -EINVAL;
	*out = a;
	*pp = p;
	return 0;
}

/* syscall: "running", or "nr a0 a1 a2 a3 a4 a5 sp pc" (args in hex), or
 * "-1 sp pc" when blocked outside a syscall (kernel threads, stopped). */
int procfs_parse_syscall(const char *buf, struct proc_sample *s)
{
	const char *p = buf;
	long long nr;

	if (strncmp(buf, "running", 7) == 0) {
		s->syscall_nr = SAMPLE_SYSCALL_RUNNING;
	} else if (parse_i64(&p, &nr) == 0 && nr <= INT32_MAX) {
		uint64_t a[8];
		int n = 0;
		while (n < 8 && parse_hex(&p, &a[n]) == 0)
			n++;
		s->syscall_nr = nr < 0 ? SAMPLE_SYSCALL_NONE : (int32_t)nr;
		s->syscall_arg0 = nr >= 0 && n > 0 ? a[0] : 0;
		/* A kernel thread has no user registers: "0 0x0 ... 0x0" with
		 * sp = pc = 0. Syscall 0 (read) from user space has both set. */
		if (nr == 0 && n == 8 && a[6] == 0 && a[7] == 0)
			s->syscall_nr = SAMPLE_SYSCALL_NONE;
	} else {
		return -EINVAL;
	}
	s->have |= PF_SYSCALL;
	return 0;
}

int procfs_parse_wchan(const char *buf, struct proc_sample *s)
{
	size_t n = strcspn(buf, "\n");

	if (n >= sizeof(s->wchan))
		n = sizeof(s->wchan) - 1;
	memcpy(s->wchan, buf, n);
	s->wchan[n] = '\0';
	if (strcmp(s->wchan, "0") == 0) /* running, or hidden from us */
		s->wchan[0] = '\0';
	s->have |= PF_WCHAN;
	return 0;
}

int procfs_parse_statm(const char *buf, struct proc_sample *s)
{
	unsigned long long a, b, c;
	const char *p = buf;

	if (parse_u64(&p, &a) || parse_u64(&p, &b) || parse_u64(&p, &c))
		return -EINVAL;
	s->statm_size = a;
	s->statm_resident = b;
	s->statm_shared = c;
	s->have |= PF_STATM;
	return 0;
}

/* Is `want` one of the comma-separated names in list[0..len)? "cpu" must
 * not match "cpuset" or "cpuacct" (v1 lines are "3:cpuset:/" and
 * "2:cpu,cpuacct:/x"). */
static int has_token(const char *list, size_t len, const char *want)
{
	size_t wlen = strlen(want);
	const char *end = list + len;

	while (list < end) {
		const char *comma = memchr(list, ',', (size_t)(end - list));
		size_t n = (size_t)((comma ? comma : end) - list);
		if (n == wlen && memcmp(list, want, n) == 0)
			return 1;
		list += n + 1;
	}
	return 0;
}

int procfs_parse_cgroup(const char *buf, const char *controller, char *out, size_t len)
{
	const char *line = buf;

	if (!len)
		return -EINVAL;
	while (line && *line) {
		const char *c1 = strchr(line, ':');
		const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		const char *eol = strchr(line, '\n');
		if (!eol)
			eol = line + strlen(line);
		if (c1 && c2 && c2 < eol) {
			size_t clen = (size_t)(c2 - c1 - 1);
			int match = controller ? has_token(c1 + 1, clen, controller) : clen == 0;
			if (match) {
				size_t n = (size_t)(eol - c2 - 1);
				if (n >= len)
					n = len - 1;
				memcpy(out, c2 + 1, n);
				out[n] = '\0';
				return 0;
			}
		}
		line = *eol ? eol + 1 : NULL;
	}
	return -ENOENT;
}
