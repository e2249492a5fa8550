/* SPDX-License-Identifier: GPL-2.0-or-later */
/* procimage resource: the resource image of the targets (see
 * docs/commands/resource.md). The shared image command does the work; this
 * file owns the help text and the --enable-delayacct warning. */
#include <stdio.h>
#include <string.h>

#include "cli/command_table.h"

static const char help[] =
    "usage: procimage resource TARGETS [-d DUR] [-i INT] [--threads] [--enable-delayacct]\n"
    "                          [-f text|json|prom|csv|html] [-o FILE] [--top N] [-v]\n"
    "                          [--stats]\n"
    "\n"
    "Per process (and per thread with --threads): CPU user/sys/total % of one CPU over\n"
    "wall time, memory (RSS anon/file/shmem, VmSize, VmSwap, high-water mark, % of host\n"
    "RAM), page faults, storage and character I/O, context switches, threads, fds, the\n"
    "delay accounting of taskstats (CPU run queue, block I/O, swap-in, reclaim,\n"
    "thrashing, compaction, wpcopy, IRQ), the process's cgroup (limits, events, PSI),\n"
    "a time series per interval, and hotspots.\n"
    "\n"
    "TARGETS: -p/--pid PID[,PID..]  --comm REGEX  --cgroup PATH  -a/--all\n"
    "  -d, --duration DUR     how long to watch (default 10s; Ctrl-C stops early)\n"
    "  -i, --interval DUR     sampling interval (default 10ms)\n"
    "      --threads          also one row per thread\n"
    "      --enable-delayacct set kernel.task_delayacct=1 for the run and restore it\n"
    "                         after: only tasks started from then on get I/O and\n"
    "                         memory delays (needs CAP_SYS_ADMIN)\n"
    "      --top N            show the N processes with most CPU\n"
    "  -v, --verbose          print the series in text too\n"
    "  -f, --format FMT       text, json, prom (node_exporter textfile), csv (the\n"
    "                         series, one row per task and interval) or html\n"
    "                         (no stacks: folded and svg are 'procimage stacks')\n"
    "  -o, --output FILE, --proc-root DIR, --stats\n"
    "\n"
    "Delays need taskstats (CAP_NET_ADMIN in the initial user namespace). With\n"
    "kernel.task_delayacct=0, tasks started while it was off have no I/O or memory\n"
    "delays: they are shown as n/a (null in JSON), never as 0.\n";

int cmd_resource(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--enable-delayacct") == 0) {
			fprintf(
			    stderr,
			    "procimage resource: --enable-delayacct: kernel.task_delayacct is on "
			    "for this run only; tasks already running stay without I/O and "
			    "memory delays, only tasks started from now on are covered\n");
			break;
		}
	return image_cmd_run(argc, argv, "resource", help);
}
