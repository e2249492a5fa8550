/* SPDX-License-Identifier: GPL-2.0-or-later */
/* procimage sched: the sched image (host-wide unless targets are given). */
#include "cli/command_table.h"

static const char help[] =
    "usage: procimage sched [TARGETS] [-d DUR] [-i INT] [--threshold DUR] [--stacks]\n"
    "                       [--top N] [-f text|json|prom|csv|html|folded|svg] [-o FILE]\n"
    "\n"
    "Long CPU occupancy runs per thread, and the threads that waited behind them.\n"
    "A run is a stretch in which a thread was on CPU >= 90% of the wall time\n"
    "(per-thread /proc schedstat deltas; brief preemptions do not end it). For each\n"
    "run: start, length, CPUs, timeslices taken and the longest single timeslice\n"
    "(the strict 'never yielded' figure, a lower bound). Victims: threads whose\n"
    "run-queue wait grew on a CPU a hog held.\n"
    "\n"
    "  TARGETS          -p PID[,PID..], --comm REGEX, --cgroup PATH, -a (default: -a,\n"
    "                   every thread on the host; per-thread files are read only for\n"
    "                   processes whose CPU time grew)\n"
    "  -d, --duration   how long to watch (default 10s)\n"
    "  -i, --interval   sampling interval = run resolution (default 10ms, min 1ms;\n"
    "                   use 1ms only with targets)\n"
    "  --threshold DUR  report runs at least this long (default 50ms)\n"
    "  --stacks         also read the kernel stack and current syscall of threads\n"
    "                   in a run when seen off CPU (stack needs CAP_SYS_ADMIN);\n"
    "                   without it only wchan says where a hog paused\n"
    "  --top N          rows per table (default 20)\n"
    "  -f, --format     text (default), json, prom (node_exporter textfile; -o is\n"
    "                   replaced atomically), csv, html (a self-contained page),\n"
    "                   folded (the hogs' stacks only: 'comm;frame;... count') or\n"
    "                   svg (those stacks as a flame graph)\n"
    "  -o FILE          write the report there\n"
    "  --stats          print procimage's own cost to stderr\n";

int cmd_sched(int argc, char **argv)
{
	return image_cmd_run(argc, argv, "sched", help);
}
