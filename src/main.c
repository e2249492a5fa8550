/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * procimage: command dispatch. Exact names only (no prefix matching), so a
 * command added later never changes what an old script means.
 */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "sources/leftovers.h"

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
    {"triage", cmd_triage, "find the tasks that hog CPUs, image them, explain (default)"},
    {"sched", cmd_sched, "long continuous on-CPU runs, and who waited behind them"},
    {"resource", cmd_resource, "CPU, memory, I/O, faults, switches, delays over time"},
    {"keytime", cmd_keytime, "timeline: fork, exec, exit, on/off CPU, long blocks"},
    {"syscall", cmd_syscall, "per-syscall counts, errors, time, sequence"},
    {"migrate", cmd_migrate, "CPU migrations: counts, timeline, matrix"},
    {"record", cmd_record, "record every source into a store for later reports"},
    {"report", cmd_report, "rebuild images from a store"},
    {"watch", cmd_watch, "rules on metrics trigger a capture of the scene"},
    {"exits", cmd_exits, "why processes ended or vanished"},
    {"stacks", cmd_stacks, "kernel and user stacks, folded or SVG flame graph"},
    {"doctor", cmd_doctor, "which data sources work here, and why not"},
};

static const char *const compat_names[] = {
    "sched-image",   "sched_image",   "resource-image", "resource_image",
    "keytime-image", "keytime_image", "migrate-image",	"migrate_image",
    "sys-cost",	     "sys_cost",      "syscall-image",	"syscall_image",
};

static void usage(FILE *fp)
{
	fprintf(fp, "usage: procimage [COMMAND] [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(fp, "\ndiagnose-tools compatible: sched-image, resource-image, keytime-image,\n"
		    "  migrate-image, sys-cost (syscall-image) with --activate, --report,\n"
		    "  --settings, --deactivate\n"
		    "\ntargets: -p/--pid PID[,PID..]  --comm REGEX  --cgroup PATH  -a/--all\n"
		    "common:  -d/--duration DUR  -i/--interval DUR  -f/--format text|json\n"
		    "         -o/--output FILE  --proc-root DIR  --stats  -h/--help  --version\n"
		    "exit status: 0 ok, 1 runtime failure, 2 bad usage, 3 target not found\n"
		    "'procimage COMMAND --help' shows a command's own options.\n");
}

/* Undo what killed runs of ours left (audit rules and settings, the delay
 * accounting sysctl) before any command: cheap when nothing is stale.
 * doctor and the diagnose-tools front end report it themselves. */
static void sweep(const char *cmd)
{
	const struct leftover *l;
	int n;

	if (!leftovers_sweep() || (cmd && !strcmp(cmd, "doctor")))
		return;
	for (size_t i = 0; cmd && i < sizeof(compat_names) / sizeof(compat_names[0]); i++)
		if (!strcmp(cmd, compat_names[i]))
			return;
	n = leftovers_seen(&l);
	for (int i = 0; i < n; i++)
		fprintf(stderr, "procimage: killed run (pid %d) left: %s\n", (int)l[i].owner,
			l[i].what);
}

int main(int argc, char **argv)
{
	sweep(argc >= 2 ? argv[1] : NULL);
	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
			usage(stdout);
			return 0;
		}
		/* `procimage` alone, `procimage -d 5s` or `--version`: triage's options. */
		return cmd_triage(argc, argv);
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof(compat_names) / sizeof(compat_names[0]); i++)
		if (strcmp(argv[1], compat_names[i]) == 0)
			return cmd_compat(argc - 1, argv + 1);
	if (!strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "procimage: unknown command '%s': run 'procimage --help' for the list\n",
		argv[1]);
	return EXIT_USAGE;
}
