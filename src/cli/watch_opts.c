/* SPDX-License-Identifier: GPL-2.0-or-later */
/* watch: the help text and the parsers of its option values. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/watch.h"

const char watch_help[] =
    "usage: procimage watch [TARGETS] --rule RULE... --dump-dir DIR [options]\n"
    "\n"
    "Keep watch over processes (all of them by default) and, when a rule fires,\n"
    "capture the scene of the offending process into DIR/<time>-<pid>-<comm>/:\n"
    "the five images over a capture window, stacks, status, limits, cgroup, fds,\n"
    "threads, the rule with the values that fired it, and explain.json/.txt: how\n"
    "long it waited for a CPU and behind which hogs, and the verdict on it and on\n"
    "them (a triage focused on PID over the window).\n"
    "\n"
    "rules (combine conditions with &&; several --rule are alternatives):\n"
    "  cpu>80%              absolute watermark      rss>2GiB\n"
    "  cpu>+25%             25% above the mean of the last 30 samples (current\n"
    "                       excluded), after a warm-up of 30 samples\n"
    "  rss>+100MiB          100 MiB above that mean\n"
    "  cpu>80%for3m         sustained for 3 minutes     cpu>80%for3of5: 3 of 5 samples\n"
    "  ...,min=10%          never fire below this value\n"
    "  ...,window=N,warmup=N   samples in the mean, samples before it is used\n"
    "  metrics: cpu rss threads fds cs syscalls forks runq io majflt (per process),\n"
    "           load1 load5 load15 loadpc psi_cpu psi_mem psi_io psi_mem_full\n"
    "           psi_io_full (host; a host-only rule captures the top process)\n"
    "\n"
    "options:\n"
    "  --rule RULE           a rule (repeat for more)\n"
    "  --rules-file FILE     rules, one per line (# comments); re-read on SIGHUP\n"
    "  --dump-dir DIR        where captures go (created 0700; must be ours)\n"
    "  -i, --interval DUR    sampling interval (default 2s)\n"
    "  -d, --duration DUR    stop after DUR (default: run until SIGINT/SIGTERM)\n"
    "  --cooldown DUR        no new capture of the same process for the same rule\n"
    "                        for DUR after one starts (default 5m)\n"
    "  --max-captures N      captures under way at once, host-wide (default 2, up\n"
    "                        to 8): a busy victim firing first cannot hide the\n"
    "                        culprit\n"
    "  --guard COND          skip captures while this host condition holds\n"
    "                        (default loadpc>4; repeatable; 'none' disables)\n"
    "  --capture DUR         capture window (default 10s)\n"
    "  --capture-interval DUR  sampling interval of the capture (default 10ms)\n"
    "  --capture-format json|text  format of the image files (default json);\n"
    "                        watch has no -f (it prints no report)\n"
    "  --syscall-source auto|audit|sample  for the syscall image (default sample:\n"
    "                        audit slows the target's syscalls 40-50x)\n"
    "  --no-images           capture only the snapshot, not the images\n"
    "  --signal SIG          send SIG to the process when a capture starts\n"
    "                        (USR2: go-zero profiler, QUIT: JVM thread dump)\n"
    "  --exec 'PROG ARG..'   run after a capture (no shell; split at blanks);\n"
    "                        env PROCIMAGE_PID, PROCIMAGE_DUMP_DIR, PROCIMAGE_RULE,\n"
    "                        PROCIMAGE_COMM\n"
    "  --keep N              keep at most N dump folders (default 20)\n"
    "  --keep-size SIZE      keep at most SIZE of dumps (default 1GiB)\n"
    "  --once                stop after the first capture is complete\n"
    "  --prom-textfile FILE  after every interval, replace FILE whole with the\n"
    "                        metrics the rules use (top processes by each), the\n"
    "                        firing and capture counters, in Prometheus text for\n"
    "                        node_exporter's textfile collector (docs/prom.md)\n"
    "  --prom-top N          processes per metric in that file (default 5, up to 50)\n"
    "  --stats               print watch's own CPU use at the end\n"
    "targets: -p PID[,PID..] --comm REGEX --cgroup PATH -a (default: all)\n"
    "Logs one line per trigger on stderr. Exit: 0 ok, 1 failure, 2 bad usage,\n"
    "3 the given pids do not exist.\n";

int watch_parse_signal(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s && !*end)
		return v > 0 && v < NSIG ? (int)v : -1;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (int i = 1; i < NSIG; i++) {
		const char *n = sigabbrev_np(i);
		if (n && strcasecmp(n, s) == 0)
			return i;
	}
	return -1;
}

int watch_parse_size(const char *s, uint64_t *out)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !(v >= 0) || !isfinite(v))
		return -EINVAL;
	if (*end) {
		int u = 0;
		while (u < 5 && strcmp(end, units[u]) &&
		       (u == 0 || end[0] != units[u][0] || end[1]))
			u++;
		if (u == 5)
			return -EINVAL;
		for (int i = 0; i < u; i++)
			v *= 1024;
	}
	if (v >= 18446744073709551616.0) /* 2^64: the cast would be undefined */
		return -EINVAL;
	*out = (uint64_t)v;
	return 0;
}
