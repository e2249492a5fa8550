/* SPDX-License-Identifier: GPL-2.0-or-later */
/* procimage keytime: the keytime image (process timeline) of the targets. */
#include "cli/command_table.h"

static const char help[] =
    "usage: procimage keytime TARGETS [-d DUR] [-i INT] [--children] [--threshold DUR]\n"
    "                         [--stacks] [-f text|json|prom|csv|html] [-o FILE]\n"
    "\n"
    "A time-ordered timeline of the targets (with --children, of their descendants too):\n"
    "  fork (child pid), clone (new thread), exec (full filename and argv), comm,\n"
    "  exit (exit code, or the signal that killed it and whether it dumped core),\n"
    "  uid/gid, sid and ptrace changes: exact kernel events from the proc connector,\n"
    "  stamped with the kernel's CLOCK_MONOTONIC ns and the wall time;\n"
    "  oncpu / offcpu / blocked periods of each thread lasting at least the threshold:\n"
    "  sampled from /proc every interval (resolution = -i), blocked = state D or S,\n"
    "  with wchan and syscall (and the kernel stack with --stacks) where readable.\n"
    "Then a summary: children per second, execs, exits by cause, lost events.\n"
    "\n"
    "  -p PID[,PID..] | --comm REGEX | --cgroup PATH | -a   what to watch\n"
    "  --children         follow descendants (forked during or before the run)\n"
    "  --threshold DUR    shortest on/off-CPU or blocked period shown (default 50ms)\n"
    "  -i, --interval DUR polling interval for the periods (default 10ms)\n"
    "  -d, --duration DUR how long (default 10s; Ctrl-C prints the report early)\n"
    "  --stacks           also read kernel stacks of blocked threads (CAP_SYS_ADMIN)\n"
    "  -f text|json|prom|csv|html  (csv: one row per event), -o FILE, --stats\n"
    "\n"
    "Without the proc connector (a network, user or pid namespace) /proc is diffed\n"
    "every interval instead: tasks shorter than one interval are missed and exit\n"
    "codes are unknown; the report says so. Lost connector events are counted and\n"
    "shown with their time window, never hidden.\n";

int cmd_keytime(int argc, char **argv)
{
	return image_cmd_run(argc, argv, "keytime", help);
}
