/* Unit tests: the /proc buffer parsers (sources/procfs_parse.c) on the fixture
 * trees of every kernel generation (tests/fixtures/<kernel>/), and on
 * truncated, empty and hostile input. Run from tests/ (tests/run.sh does). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "sources/procfs_parse.h"

static const char *const gens[] = {"2.6.32", "3.10", "4.19", "5.10", "6.18"};
#define NGENS (sizeof(gens) / sizeof(gens[0]))

/* Read fixtures/<gen>/<rel> into buf; bytes, or -1 when the file is absent
 * (that kernel config does not have it). */
static ssize_t fx(const char *gen, const char *rel, char *buf, size_t len)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "fixtures/%s/%s", gen, rel);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return n;
}

static struct proc_sample parse_ok(const char *gen, const char *rel,
				   int (*fn)(const char *, struct proc_sample *))
{
	char buf[16384];
	struct proc_sample s = {0};

	if (fx(gen, rel, buf, sizeof(buf)) < 0)
		fail_msg("fixture %s/%s missing", gen, rel);
	if (fn(buf, &s) != 0)
		fail_msg("parse %s/%s failed", gen, rel);
	return s;
}

static struct proc_sample stat_ok(const char *gen, const char *rel, char *comm)
{
	char buf[4096];
	struct proc_sample s = {0};

	if (fx(gen, rel, buf, sizeof(buf)) < 0)
		fail_msg("fixture %s/%s missing", gen, rel);
	if (procfs_parse_stat(buf, &s, comm, 16) != 0)
		fail_msg("parse %s/%s failed", gen, rel);
	assert_true(s.have & PF_STAT);
	return s;
}

/* Every task directory of every generation: each file that exists parses. */
static void check_task_dir(const char *gen, const char *dir)
{
	static const struct {
		const char *name;
		int (*fn)(const char *, struct proc_sample *);
	} files[] = {
	    {"schedstat", procfs_parse_schedstat}, {"sched", procfs_parse_sched},
	    {"status", procfs_parse_status},	   {"io", procfs_parse_io},
	    {"syscall", procfs_parse_syscall},	   {"wchan", procfs_parse_wchan},
	    {"statm", procfs_parse_statm},
	};
	char rel[700], buf[16384], comm[16], want[32];
	struct proc_sample s = {0};

	snprintf(rel, sizeof(rel), "%s/stat", dir);
	s = stat_ok(gen, rel, comm);
	/* stat's comm is the raw comm file minus its newline */
	snprintf(rel, sizeof(rel), "%s/comm", dir);
	if (fx(gen, rel, want, sizeof(want)) > 0) {
		want[strlen(want) - 1] = '\0';
		assert_string_equal(comm, want);
	}
	assert_true(s.starttime > 0 || !strcmp(dir, "2") || !strncmp(dir, "2/", 2));
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(rel, sizeof(rel), "%s/%s", dir, files[i].name);
		if (fx(gen, rel, buf, sizeof(buf)) < 0)
			continue;
		if (files[i].fn(buf, &s) != 0)
			fail_msg("%s/%s does not parse", gen, rel);
	}
	snprintf(rel, sizeof(rel), "%s/cgroup", dir);
	if (fx(gen, rel, buf, sizeof(buf)) > 0) {
		char path[256];
		int v2 = procfs_parse_cgroup(buf, NULL, path, sizeof(path));
		int v1 = procfs_parse_cgroup(buf, "cpu", path, sizeof(path));
		assert_true(v2 == 0 || v1 == 0);
	}
}

static void test_every_fixture_parses(void **state)
{
	int dirs = 0;
	(void)state;
	for (size_t g = 0; g < NGENS; g++) {
		char path[256];
		snprintf(path, sizeof(path), "fixtures/%s", gens[g]);
		DIR *d = opendir(path);
		struct dirent *de;
		assert_non_null(d);
		while ((de = readdir(d))) {
			char task[600];
			if (de->d_name[0] < '1' || de->d_name[0] > '9')
				continue;
			check_task_dir(gens[g], de->d_name);
			dirs++;
			snprintf(task, sizeof(task), "%s/%s/task", path, de->d_name);
			DIR *t = opendir(task);
			struct dirent *te;
			assert_non_null(t);
			while ((te = readdir(t))) {
				char rel[600];
				if (te->d_name[0] == '.')
					continue;
				snprintf(rel, sizeof(rel), "%s/task/%s", de->d_name, te->d_name);
				check_task_dir(gens[g], rel);
				dirs++;
			}
			closedir(t);
		}
		closedir(d);
	}
	assert_true(dirs >= 40);
}

static void test_stat_generations(void **state)
{
	char comm[16];
	struct proc_sample s;
	(void)state;

	/* 2.6.32: 44 fields; processor (39) and blkio ticks (42) still there */
	s = stat_ok("2.6.32", "1021/stat", comm);
	assert_string_equal(comm, "sshd");
	assert_int_equal(s.state, 'S');
	assert_int_equal(s.ppid, 1);
	assert_int_equal(s.utime, 12);
	assert_int_equal(s.stime, 31);
	assert_int_equal(s.starttime, 1534);
	assert_int_equal(s.vsize, 71840ULL * 1024);
	assert_int_equal(s.rss_pages, 1302);
	assert_int_equal(s.processor, 1);
	assert_int_equal(s.blkio_ticks, 3);
	assert_int_equal(s.num_threads, 1);

	/* 3.10 .. 5.10: 52 fields; the process line sums the threads */
	for (int g = 1; g <= 3; g++) {
		s = stat_ok(gens[g], "2310/stat", comm);
		assert_string_equal(comm, "java");
		assert_int_equal(s.num_threads, 3);
		assert_int_equal(s.utime, 5012 + 4210 + 790);
		assert_int_equal(s.minflt, 90210 + 60100 + 28);
		s = stat_ok(gens[g], "2310/task/2311/stat", comm);
		assert_string_equal(comm, "C2 Compiler");
		assert_int_equal(s.state, 'R');
		assert_int_equal(s.processor, 3);
		s = stat_ok(gens[g], "2310/task/2312/stat", comm);
		assert_string_equal(comm, "GC (x) thread");
		s = stat_ok(gens[g], "3050/stat", comm);
		assert_int_equal(s.state, 'Z');
		assert_int_equal(s.ppid, 2310);
	}

	/* 6.18, captured: a comm with ") R 1 (" and a newline */
	s = stat_ok("6.18", "13321/stat", comm);
	assert_string_equal(comm, "a) R 1 (\nprio:7");
	assert_int_equal(s.state, 'S');
	assert_int_equal(s.ppid, 1);
	assert_int_equal(s.starttime, 73811);
	assert_int_equal(s.rss_pages, 3347);
	s = stat_ok("6.18", "13316/stat", comm); /* zombie */
	assert_int_equal(s.state, 'Z');
	assert_int_equal(s.ppid, 13275);
	s = stat_ok("6.18", "13275/task/13317/stat", comm);
	assert_string_equal(comm, "fx-spin");
	assert_int_equal(s.state, 'R');
	s = stat_ok("6.18", "2/stat", comm); /* kthreadd: tpgid -1 */
	assert_int_equal(s.ppid, 0);
	assert_int_equal(s.priority, 20);
}

static void test_schedstat_generations(void **state)
{
	char buf[256];
	struct proc_sample s;
	(void)state;

	/* 3.10 without CONFIG_SCHEDSTATS has no schedstat file */
	assert_true(fx("3.10", "2310/schedstat", buf, sizeof(buf)) < 0);
	s = parse_ok("2.6.32", "1021/schedstat", procfs_parse_schedstat);
	assert_int_equal(s.run_ns, 172000000);
	assert_int_equal(s.wait_ns, 9100000);
	assert_int_equal(s.slices, 419);
	s = parse_ok("4.19", "2310/task/2311/schedstat", procfs_parse_schedstat);
	assert_int_equal(s.run_ns, 19264000000ULL);
	assert_int_equal(s.slices, 5613);
	s = parse_ok("6.18", "13316/schedstat", procfs_parse_schedstat);
	assert_int_equal(s.run_ns, 988614);
	assert_int_equal(s.wait_ns, 306134);
	assert_int_equal(s.slices, 1);
	assert_true(s.have & PF_SCHEDSTAT);
}

static void test_sched_generations(void **state)
{
	char buf[256];
	struct proc_sample s;
	(void)state;

	assert_true(fx("2.6.32", "1021/sched", buf, sizeof(buf)) < 0); /* no SCHED_DEBUG */

	/* 3.10 without SCHEDSTATS: no nr_migrations, old load tracking */
	s = parse_ok("3.10", "2310/task/2312/sched", procfs_parse_sched);
	assert_false(s.sched_have & SCHED_HAVE_MIGRATIONS);
	assert_true(s.sched_have & SCHED_HAVE_SWITCHES);
	assert_false(s.sched_have & SCHED_HAVE_AVG);
	assert_int_equal(s.nr_switches, 975);
	assert_int_equal(s.nr_vol_switches, 880);
	assert_int_equal(s.nr_invol_switches, 95);
	assert_int_equal(s.sched_prio, 120);

	/* 4.19 with schedstats on: se.statistics.* lines must not confuse */
	s = parse_ok("4.19", "1021/sched", procfs_parse_sched);
	assert_true(s.sched_have & SCHED_HAVE_MIGRATIONS);
	assert_int_equal(s.nr_migrations, 23);
	assert_int_equal(s.nr_switches, 419);
	assert_true(s.sched_have & SCHED_HAVE_AVG);
	assert_int_equal(s.load_avg, 1021);
	assert_int_equal(s.util_avg, 205);
	assert_int_equal(s.runnable_avg, 0); /* 4.19 has runnable_load_avg only */

	/* 5.10: runnable_avg; uclamp lines */
	s = parse_ok("5.10", "2310/task/2311/sched", procfs_parse_sched);
	assert_int_equal(s.nr_migrations, 311);
	assert_int_equal(s.nr_switches, 1203 + 4410);
	assert_int_equal(s.runnable_avg, 206);

	/* 6.18 captured: the comm of 13321 injects "prio:7" into the header */
	s = parse_ok("6.18", "13321/sched", procfs_parse_sched);
	assert_int_equal(s.sched_prio, 120);
	assert_true(s.sched_have & SCHED_HAVE_MIGRATIONS);
	s = parse_ok("6.18", "13316/sched", procfs_parse_sched);
	assert_int_equal(s.nr_switches, 1);
	assert_int_equal(s.util_avg, 228);
}

static void test_status_generations(void **state)
{
	struct proc_sample s;
	(void)state;

	s = parse_ok("2.6.32", "1021/status", procfs_parse_status);
	assert_false(s.status_have & STATUS_HAVE_SWAP); /* VmSwap: 2.6.34 */
	assert_false(s.status_have & STATUS_HAVE_RSS_SPLIT);
	assert_int_equal(s.vm_rss_kb, 1302 * 4);
	assert_int_equal(s.uid, 1000);
	assert_true(s.status_have & STATUS_HAVE_CPUS);
	assert_int_equal(s.cpus_allowed[0], 0xf);

	s = parse_ok("3.10", "2310/status", procfs_parse_status);
	assert_true(s.status_have & STATUS_HAVE_SWAP);
	assert_false(s.status_have & STATUS_HAVE_RSS_SPLIT); /* RssAnon: 4.5 */
	assert_int_equal(s.status_threads, 3);
	assert_int_equal(s.vol_ctxt, 51);
	assert_int_equal(s.invol_ctxt, 9);

	s = parse_ok("4.19", "2310/task/2312/status", procfs_parse_status);
	assert_true(s.status_have & STATUS_HAVE_RSS_SPLIT);
	assert_int_equal(s.rss_anon_kb + s.rss_file_kb, s.vm_rss_kb);

	s = parse_ok("5.10", "3050/status", procfs_parse_status); /* zombie: no Vm lines */
	assert_int_equal(s.vm_rss_kb, 0);
	assert_false(s.status_have & STATUS_HAVE_SWAP);

	s = parse_ok("6.18", "13275/status", procfs_parse_status);
	assert_true(s.status_have & STATUS_HAVE_RSS_SPLIT);
	assert_int_equal(s.status_threads, 5);
	assert_int_equal(s.cpus_allowed[0], 0x3);
	assert_int_equal(s.uid, 0);
	s = parse_ok("6.18", "13321/status", procfs_parse_status); /* escaped Name */
	assert_int_equal(s.status_threads, 1);
}

static void test_io_generations(void **state)
{
	char buf[256];
	struct proc_sample s;
	(void)state;

	assert_true(fx("4.19", "1021/io", buf, sizeof(buf)) < 0); /* no TASK_IO_ACCOUNTING */
	s = parse_ok("3.10", "1021/io", procfs_parse_io);
	assert_int_equal(s.rchar, 1048576);
	assert_int_equal(s.syscw, 40);
	assert_int_equal(s.write_bytes, 8192);
	s = parse_ok("5.10", "2310/io", procfs_parse_io); /* process = sum of threads */
	assert_int_equal(s.rchar, 1048576 + 4096);
	s = parse_ok("6.18", "13316/io", procfs_parse_io);
	assert_int_equal(s.wchar, 9);
	assert_int_equal(s.syscw, 1);
	assert_true(s.have & PF_IO);
}

static void test_syscall_generations(void **state)
{
	struct proc_sample s;
	(void)state;

	s = parse_ok("6.18", "13275/task/13275/syscall", procfs_parse_syscall);
	assert_int_equal(s.syscall_nr, 0); /* a real read(0, ...) */
	assert_int_equal(s.syscall_arg0, 0);
	s = parse_ok("6.18", "13275/task/13317/syscall", procfs_parse_syscall);
	assert_int_equal(s.syscall_nr, SAMPLE_SYSCALL_RUNNING);
	s = parse_ok("6.18", "13275/task/13318/syscall", procfs_parse_syscall);
	assert_int_equal(s.syscall_nr, 230); /* clock_nanosleep */
	assert_int_equal(s.syscall_arg0, 1);
	s = parse_ok("6.18", "13275/task/13319/syscall", procfs_parse_syscall);
	assert_int_equal(s.syscall_nr, 202); /* futex */
	assert_int_equal(s.syscall_arg0, 0x5617695b40e0ULL);
	s = parse_ok("6.18", "13316/syscall", procfs_parse_syscall); /* zombie */
	assert_int_equal(s.syscall_nr, SAMPLE_SYSCALL_NONE);
	s = parse_ok("6.18", "2/syscall", procfs_parse_syscall); /* kernel thread */
	assert_int_equal(s.syscall_nr, SAMPLE_SYSCALL_NONE);
	s = parse_ok("3.10", "1021/syscall", procfs_parse_syscall);
	assert_int_equal(s.syscall_nr, 232);
	assert_int_equal(s.syscall_arg0, 4);
	s = parse_ok("2.6.32", "2310/task/2312/syscall", procfs_parse_syscall);
	assert_int_equal(s.syscall_nr, 35);
}

static void test_wchan_statm_generations(void **state)
{
	struct proc_sample s;
	(void)state;

	s = parse_ok("6.18", "13275/task/13318/wchan", procfs_parse_wchan);
	assert_string_equal(s.wchan, "hrtimer_nanosleep");
	s = parse_ok("6.18", "13316/wchan", procfs_parse_wchan);
	assert_string_equal(s.wchan, "");
	s = parse_ok("3.10", "2310/task/2312/wchan", procfs_parse_wchan);
	assert_string_equal(s.wchan, "hrtimer_nanosleep");
	s = parse_ok("5.10", "2310/task/2312/wchan", procfs_parse_wchan);
	assert_string_equal(s.wchan, "do_nanosleep");

	s = parse_ok("4.19", "1021/statm", procfs_parse_statm);
	assert_int_equal(s.statm_size, 71840 / 4);
	assert_int_equal(s.statm_resident, 1302);
	s = parse_ok("6.18", "2/statm", procfs_parse_statm);
	assert_int_equal(s.statm_resident, 0);
	assert_true(s.have & PF_STATM);
}

static void test_cgroup_generations(void **state)
{
	char buf[2048], path[256];
	(void)state;

	/* 3.10 v1 only: "3:cpuset:/" comes before "2:cpuacct,cpu:/..." */
	assert_true(fx("3.10", "2310/cgroup", buf, sizeof(buf)) > 0);
	assert_int_equal(procfs_parse_cgroup(buf, NULL, path, sizeof(path)), -ENOENT);
	assert_int_equal(procfs_parse_cgroup(buf, "cpu", path, sizeof(path)), 0);
	assert_string_equal(path, "/system.slice/app.service");
	assert_int_equal(procfs_parse_cgroup(buf, "cpuset", path, sizeof(path)), 0);
	assert_string_equal(path, "/");
	assert_int_equal(procfs_parse_cgroup(buf, "name=systemd", path, sizeof(path)), 0);
	assert_string_equal(path, "/system.slice/app.service");
	assert_int_equal(procfs_parse_cgroup(buf, "cpua", path, sizeof(path)), -ENOENT);

	/* 4.19 hybrid and 5.10 unified: the "0::" line */
	assert_true(fx("4.19", "1021/cgroup", buf, sizeof(buf)) > 0);
	assert_int_equal(procfs_parse_cgroup(buf, NULL, path, sizeof(path)), 0);
	assert_string_equal(path, "/system.slice/ssh.service");
	assert_int_equal(procfs_parse_cgroup(buf, "cpuacct", path, sizeof(path)), 0);
	assert_true(fx("5.10", "1021/cgroup", buf, sizeof(buf)) > 0);
	assert_int_equal(procfs_parse_cgroup(buf, NULL, path, sizeof(path)), 0);
	assert_string_equal(path, "/system.slice/ssh.service");
	assert_int_equal(procfs_parse_cgroup(buf, "memory", path, sizeof(path)), -ENOENT);

	/* 6.18 captured: cpu, cpuacct and cpuset are separate hierarchies */
	assert_true(fx("6.18", "13275/cgroup", buf, sizeof(buf)) > 0);
	assert_int_equal(procfs_parse_cgroup(buf, "cpu", path, sizeof(path)), 0);
	assert_string_equal(path, "/");
	assert_int_equal(procfs_parse_cgroup(buf, "memory", path, sizeof(path)), 0);
	assert_true(strlen(path) > 1);

	/* a tiny output buffer truncates; zero length is refused */
	assert_int_equal(procfs_parse_cgroup("0::/abcdef\n", NULL, path, 4), 0);
	assert_string_equal(path, "/ab");
	assert_int_equal(procfs_parse_cgroup("0::/abcdef\n", NULL, path, 0), -EINVAL);
	assert_int_equal(procfs_parse_cgroup("", NULL, path, sizeof(path)), -ENOENT);
	assert_int_equal(procfs_parse_cgroup("garbage\n::\n", "cpu", path, sizeof(path)), -ENOENT);
}

static void test_cpulist(void **state)
{
	uint64_t set[PROC_CPUSET_WORDS];
	(void)state;

	assert_int_equal(parse_cpulist("0-3,8,10-11\n", set, PROC_CPUSET_WORDS), 0);
	assert_int_equal(set[0], 0xd0f);
	assert_int_equal(parse_cpulist("64,1023", set, PROC_CPUSET_WORDS), 0);
	assert_int_equal(set[1], 1);
	assert_int_equal(set[15], 1ULL << 63);
	/* beyond 1024 CPUs: ignored, not written out of bounds */
	assert_int_equal(parse_cpulist("0-18446744073709551615", set, PROC_CPUSET_WORDS), 0);
	assert_int_equal(set[15], UINT64_MAX);
	assert_int_equal(parse_cpulist("", set, PROC_CPUSET_WORDS), 0);
	assert_int_equal(set[0], 0);
	assert_int_equal(parse_cpulist("3-1", set, PROC_CPUSET_WORDS), -EINVAL);
	assert_int_equal(parse_cpulist("a", set, PROC_CPUSET_WORDS), -EINVAL);
	assert_int_equal(parse_cpulist("1,", set, PROC_CPUSET_WORDS), -EINVAL);
	assert_int_equal(parse_cpulist("1-", set, PROC_CPUSET_WORDS), -EINVAL);
	assert_int_equal(parse_cpulist("1x", set, PROC_CPUSET_WORDS), -EINVAL);
}

static void test_stat_hostile(void **state)
{
	struct proc_sample s = {0};
	char comm[16];
	(void)state;

	const char *bad[] = {
	    "",
	    "1",
	    "1 (x",
	    "1 x) S",
	    "1 )x( S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21",
	    "1 (x) S",
	    "1 (x)S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21",
	    "1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19", /* stops before rss */
	    "1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 x 21 22",
	    "1 (x) S - 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (procfs_parse_stat(bad[i], &s, comm, sizeof(comm)) != -EINVAL)
			fail_msg("accepted bad stat #%zu '%s'", i, bad[i]);

	/* Exactly up to rss (field 24) is enough; processor is then unknown. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(procfs_parse_stat("7 (x) R 1 0 0 0 -1 0 5 0 6 0 10 20 0 0 -51 -20 "
					   "1 0 99 4096 3",
					   &s, comm, sizeof(comm)),
			 0);
	assert_int_equal(s.rss_pages, 3);
	assert_int_equal(s.processor, -1);
	assert_int_equal(s.priority, -51);
	assert_int_equal(s.nice, -20);
	assert_int_equal(s.starttime, 99);

	/* Huge numbers: exact up to 2^64-1, saturated beyond, never wrapped. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(procfs_parse_stat("7 (x) R 1 0 0 0 -1 0 18446744073709551615 0 "
					   "99999999999999999999999999 0 10 20 0 0 20 0 1 0 "
					   "18446744073709551614 4096 3",
					   &s, comm, sizeof(comm)),
			 0);
	assert_int_equal(s.minflt, UINT64_MAX);
	assert_int_equal(s.majflt, UINT64_MAX);
	assert_int_equal(s.starttime, UINT64_MAX - 1);

	/* A comm longer than the buffer is cut, NUL-terminated. */
	assert_int_equal(procfs_parse_stat("7 (0123456789abcdefghij) R 1 0 0 0 -1 0 5 0 6 0 10 "
					   "20 0 0 20 0 1 0 99 4096 3",
					   &s, comm, sizeof(comm)),
			 0);
	assert_string_equal(comm, "0123456789abcde");
	/* Nested parentheses and spaces: the last ')' closes comm. */
	assert_int_equal(procfs_parse_stat("7 ((a) (b)) ) D 1 0 0 0 -1 0 5 0 6 0 10 20 0 0 20 0 "
					   "1 0 99 4096 3",
					   &s, comm, sizeof(comm)),
			 0);
	assert_string_equal(comm, "(a) (b)) ");
	assert_int_equal(s.state, 'D');
	/* NULL comm buffer is allowed. */
	assert_int_equal(procfs_parse_stat("7 (x) R 1 0 0 0 -1 0 5 0 6 0 10 20 0 0 20 0 1 0 99 "
					   "4096 3",
					   &s, NULL, 0),
			 0);
}

static void test_sched_hostile(void **state)
{
	struct proc_sample s = {0};
	(void)state;

	assert_int_equal(procfs_parse_sched("", &s), -EINVAL);
	assert_int_equal(procfs_parse_sched("garbage\n", &s), -EINVAL);
	/* keys without the separator line: refused (the header is not trusted) */
	assert_int_equal(procfs_parse_sched("x (1, #threads: 1)\nnr_switches : 5\n", &s), -EINVAL);
	/* a comm that fakes a separator too short to be one */
	assert_int_equal(procfs_parse_sched("\n---\nprio:7 (1, #threads: 1)\n"
					    "--------------------------------------\n"
					    "nr_switches                  :       9\n"
					    "prio                         :     139\n",
					    &s),
			 0);
	assert_int_equal(s.sched_prio, 139);
	assert_int_equal(s.nr_switches, 9);
	/* separator but nothing after it */
	assert_int_equal(
	    procfs_parse_sched("x (1, #threads: 1)\n------------------------------", &s), -EINVAL);
	/* a key without a value leaves the field alone */
	memset(&s, 0, sizeof(s));
	assert_int_equal(procfs_parse_sched("x\n------------------------------\n"
					    "nr_switches :\nse.nr_migrations : zz\n",
					    &s),
			 0);
	assert_false(s.sched_have & SCHED_HAVE_SWITCHES);
	assert_false(s.sched_have & SCHED_HAVE_MIGRATIONS);
}

static void test_small_files_hostile(void **state)
{
	struct proc_sample s = {0};
	(void)state;

	assert_int_equal(procfs_parse_schedstat("", &s), -EINVAL);
	assert_int_equal(procfs_parse_schedstat("1 2", &s), -EINVAL);
	assert_int_equal(procfs_parse_schedstat("x 2 3", &s), -EINVAL);
	assert_int_equal(procfs_parse_schedstat("-1 2 3", &s), -EINVAL);
	assert_int_equal(procfs_parse_schedstat("99999999999999999999999 2 3\n", &s), 0);
	assert_int_equal(s.run_ns, UINT64_MAX);

	assert_int_equal(procfs_parse_statm("", &s), -EINVAL);
	assert_int_equal(procfs_parse_statm("1 2", &s), -EINVAL);

	assert_int_equal(procfs_parse_io("", &s), -EINVAL);
	assert_int_equal(procfs_parse_io("wchar: 5\n", &s), -EINVAL);
	assert_int_equal(procfs_parse_io("rchar: x\n", &s), -EINVAL);
	memset(&s, 0, sizeof(s));
	assert_int_equal(procfs_parse_io("rchar: 5\nwchar", &s), 0); /* truncated */
	assert_int_equal(s.rchar, 5);
	assert_int_equal(s.wchar, 0);
	/* "syscr" must not match "syscrx", nor a key in the middle of a line */
	assert_int_equal(procfs_parse_io("rchar: 1\nsyscrx: 7\nfoo syscw: 9\n", &s), 0);
	assert_int_equal(s.syscr, 0);
	assert_int_equal(s.syscw, 0);

	assert_int_equal(procfs_parse_status("", &s), -EINVAL);
	assert_int_equal(procfs_parse_status("Name:\tx\n", &s), -EINVAL);
	memset(&s, 0, sizeof(s));
	assert_int_equal(procfs_parse_status("Name:\tx\\nVmRSS: 99 kB\nPid:\t1\nPPid:\t7\n"
					     "Cpus_allowed_list:\tgarbage\n",
					     &s),
			 0);
	assert_int_equal(s.vm_rss_kb, 0); /* escaped newline in Name is not a line */
	assert_false(s.status_have & STATUS_HAVE_CPUS);

	assert_int_equal(procfs_parse_syscall("", &s), -EINVAL);
	assert_int_equal(procfs_parse_syscall("x", &s), -EINVAL);
	assert_int_equal(procfs_parse_syscall("99999999999 0x1", &s), -EINVAL);
	assert_int_equal(procfs_parse_syscall("1 0x", &s), 0);
	assert_int_equal(s.syscall_nr, 1);
	assert_int_equal(s.syscall_arg0, 0);
	assert_int_equal(procfs_parse_syscall("1 0xffffffffffffffffff", &s), 0); /* wraps, no UB */
	assert_int_equal(procfs_parse_syscall("-1 0x7ffc 0x7f00\n", &s), 0);
	assert_int_equal(s.syscall_nr, SAMPLE_SYSCALL_NONE);

	assert_int_equal(procfs_parse_wchan("", &s), 0);
	assert_string_equal(s.wchan, "");
	char longsym[200];
	memset(longsym, 'a', sizeof(longsym) - 1);
	longsym[sizeof(longsym) - 1] = '\0';
	assert_int_equal(procfs_parse_wchan(longsym, &s), 0);
	assert_int_equal(strlen(s.wchan), sizeof(s.wchan) - 1);
}

/* Every prefix of every fixture file, through every parser: no crash, no read
 * past the NUL (ASan build), and a failed parse never sets its have bit. */
static void truncate_file(const char *gen, const char *rel)
{
	char full[16384];
	ssize_t len = fx(gen, rel, full, sizeof(full));

	if (len < 0)
		return;
	for (ssize_t n = 0; n <= len; n++) {
		char *b = malloc((size_t)n + 1);
		struct proc_sample s = {0};
		char comm[16], cg[64];
		assert_non_null(b);
		memcpy(b, full, (size_t)n);
		b[n] = '\0';
		if (procfs_parse_stat(b, &s, comm, sizeof(comm)))
			assert_false(s.have & PF_STAT);
		memset(&s, 0, sizeof(s));
		if (procfs_parse_sched(b, &s))
			assert_false(s.have & PF_SCHED);
		procfs_parse_schedstat(b, &s);
		procfs_parse_status(b, &s);
		procfs_parse_io(b, &s);
		procfs_parse_syscall(b, &s);
		procfs_parse_wchan(b, &s);
		procfs_parse_statm(b, &s);
		procfs_parse_cgroup(b, "cpu", cg, sizeof(cg));
		procfs_parse_cgroup(b, NULL, cg, sizeof(cg));
		free(b);
	}
}

static void test_truncated_everywhere(void **state)
{
	static const char *const files[] = {"stat",    "status", "sched", "schedstat", "io",
					    "syscall", "wchan",	 "statm", "cgroup"};
	(void)state;
	for (size_t g = 0; g < NGENS; g++)
		for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
			char rel[64];
			snprintf(rel, sizeof(rel), "%s/%s",
				 strcmp(gens[g], "6.18") ? "2310" : "13275", files[f]);
			truncate_file(gens[g], rel);
		}
}

static void test_random_garbage(void **state)
{
	static const char alphabet[] = "0123456789 ()-:\n\tx,abcdefSRZ0x";
	unsigned seed = 12345;
	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		char b[96], comm[16], cg[32];
		struct proc_sample s = {0};
		size_t n = (size_t)(rand_r(&seed) % (sizeof(b) - 1));
		for (size_t i = 0; i < n; i++)
			b[i] = (rand_r(&seed) & 7) == 0
				   ? (char)(rand_r(&seed) % 255 + 1)
				   : alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
		b[n] = '\0';
		procfs_parse_stat(b, &s, comm, sizeof(comm));
		procfs_parse_sched(b, &s);
		procfs_parse_schedstat(b, &s);
		procfs_parse_status(b, &s);
		procfs_parse_io(b, &s);
		procfs_parse_syscall(b, &s);
		procfs_parse_wchan(b, &s);
		procfs_parse_statm(b, &s);
		procfs_parse_cgroup(b, "cpu", cg, sizeof(cg));
		parse_cpulist(b, s.cpus_allowed, PROC_CPUSET_WORDS);
	}
}

static void test_number_helpers(void **state)
{
	const char *p;
	unsigned long long u;
	long long i;
	(void)state;

	p = "  42x";
	assert_int_equal(parse_u64(&p, &u), 0);
	assert_int_equal(u, 42);
	assert_string_equal(p, "x");
	p = "18446744073709551616";
	assert_int_equal(parse_u64(&p, &u), 0);
	assert_int_equal(u, UINT64_MAX);
	p = "-";
	assert_int_equal(parse_i64(&p, &i), -EINVAL);
	p = "-9223372036854775808";
	assert_int_equal(parse_i64(&p, &i), 0);
	assert_true(i == -INT64_MAX); /* clamped symmetric, never overflowing */
	p = "";
	assert_int_equal(parse_u64(&p, &u), -EINVAL);
	p = "- 5";
	assert_int_equal(parse_i64(&p, &i), -EINVAL);
	p = " -5 ";
	assert_int_equal(parse_i64(&p, &i), 0);
	assert_true(i == -5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_fixture_parses),
	    cmocka_unit_test(test_stat_generations),
	    cmocka_unit_test(test_schedstat_generations),
	    cmocka_unit_test(test_sched_generations),
	    cmocka_unit_test(test_status_generations),
	    cmocka_unit_test(test_io_generations),
	    cmocka_unit_test(test_syscall_generations),
	    cmocka_unit_test(test_wchan_statm_generations),
	    cmocka_unit_test(test_cgroup_generations),
	    cmocka_unit_test(test_cpulist),
	    cmocka_unit_test(test_stat_hostile),
	    cmocka_unit_test(test_sched_hostile),
	    cmocka_unit_test(test_small_files_hostile),
	    cmocka_unit_test(test_truncated_everywhere),
	    cmocka_unit_test(test_random_garbage),
	    cmocka_unit_test(test_number_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
