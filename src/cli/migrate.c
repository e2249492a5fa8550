/* SPDX-License-Identifier: GPL-2.0-or-later */
/* procimage migrate: the migrate image of the targets. */
#include "cli/command_table.h"

static const char help[] =
    "usage: procimage migrate TARGETS [-d DUR] [-i INT] [--top N] [-v]\n"
    "                         [-f text|json|prom|csv|html] [-o FILE]\n"
    "\n"
    "CPU migrations per thread: the exact count (kernel se.nr_migrations delta from\n"
    "/proc/<tid>/sched), the observed timeline of moves (stat field 39 changing\n"
    "between samples) with the thread's priority, load/util averages, VmSize,\n"
    "read/write bytes and context switches at each move, a from->to matrix, NUMA\n"
    "node crossings (/sys/devices/system/node), the allowed CPU list, and the share\n"
    "of the kernel's count that sampling saw (moves that come back within one\n"
    "interval are invisible to sampling).\n"
    "\n"
    "  TARGETS          -p PID[,PID..] (a TID selects one thread), --comm REGEX,\n"
    "                   --cgroup PATH, -a\n"
    "  -d, --duration   how long to watch (default 10s)\n"
    "  -i, --interval   sampling interval (default 10ms, min 1ms): the timeline's\n"
    "                   resolution\n"
    "  --top N          threads to list (default 50)\n"
    "  -v               show every move in text (default: the last 20)\n"
    "  -f, --format     text (default), json, prom, csv or html;  -o FILE  write the\n"
    "                   report there\n";

int cmd_migrate(int argc, char **argv)
{
	return image_cmd_run(argc, argv, "migrate", help);
}
