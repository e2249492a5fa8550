/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command table (see command_table.h): the one list of commands. */
#include "cli/command_table.h"

#include <string.h>

#include "cli/options.h"
#include "procimage/image.h"

/* What every report writer derives from the JSON document. */
#define FMTS_REPORT (FMT(OUT_TEXT) | FMT(OUT_JSON) | FMT(OUT_PROM) | FMT(OUT_CSV) | FMT(OUT_HTML))
#define FMTS_STACKS (FMTS_REPORT | FMT(OUT_FOLDED) | FMT(OUT_SVG))

#define FIX_NO_STACK                                                                               \
	"it has no stacks to fold: for a flame graph use 'procimage stacks -p PID -f svg'"
#define FIX_LIVE                                                                                   \
	"folded stacks and flame graphs come from live runs: 'procimage sched --stacks -f svg' "   \
	"or 'procimage stacks -p PID -f svg'"
#define FIX_PPROF "a pprof profile comes from 'procimage stacks -p PID -f pprof'"

const struct command command_table[] = {
    {.name = "triage",
     .fn = cmd_triage,
     .summary = "find the tasks that hog CPUs, image them, explain (default)",
     .fmts = FMTS_REPORT,
     .fmt_fix = "for the hogs' stacks use 'procimage sched --stacks -f folded' (or -f svg)",
     .flags = CMD_REPLAYED},
    {.name = "sched",
     .fn = cmd_sched,
     .summary = "long continuous on-CPU runs, and who waited behind them",
     .fmts = FMTS_STACKS,
     .fmt_fix = FIX_PPROF,
     .flags = CMD_CAPTURED},
    {.name = "resource",
     .fn = cmd_resource,
     .summary = "CPU, memory, I/O, faults, switches, delays over time",
     .fmts = FMTS_REPORT,
     .fmt_fix = FIX_NO_STACK,
     .flags = CMD_OFFENDERS | CMD_CAPTURED},
    {.name = "keytime",
     .fn = cmd_keytime,
     .summary = "timeline: fork, exec, exit, on/off CPU, long blocks",
     .fmts = FMTS_REPORT,
     .fmt_fix = FIX_NO_STACK,
     .flags = CMD_OFFENDERS | CMD_CAPTURED},
    {.name = "syscall",
     .fn = cmd_syscall,
     .summary = "per-syscall counts, errors, time, sequence",
     .fmts = FMTS_STACKS,
     .fmt_fix = FIX_PPROF,
     .flags = CMD_OFFENDERS | CMD_CAPTURED},
    {.name = "migrate",
     .fn = cmd_migrate,
     .summary = "CPU migrations: counts, timeline, matrix",
     .fmts = FMTS_REPORT,
     .fmt_fix = FIX_NO_STACK,
     .flags = CMD_OFFENDERS | CMD_CAPTURED},
    {.name = "record",
     .fn = cmd_record,
     .summary = "record every source into a store for later reports",
     .fmts = FMTS_REPORT,
     .writer = "record --report",
     .fmt_fix = FIX_LIVE},
    {.name = "report",
     .fn = cmd_report,
     .summary = "rebuild images from a store",
     .fmts = FMTS_STACKS | FMT(OUT_PPROF),
     .fmt_fix = FIX_LIVE},
    {.name = "watch",
     .fn = cmd_watch,
     .summary = "rules on metrics trigger a capture of the scene",
     .fmt_fix = "watch writes its captures in --capture-format json|text; -f is not used: "
		"drop it"},
    {.name = "exits",
     .fn = cmd_exits,
     .summary = "why processes ended or vanished",
     .fmts = FMTS_REPORT,
     .fmt_fix = FIX_NO_STACK},
    {.name = "stacks",
     .fn = cmd_stacks,
     .summary = "kernel and user stacks, folded or SVG flame graph",
     .fmts = FMTS_STACKS | FMT(OUT_PPROF),
     .fmt_fix = ""},
    {.name = "doctor",
     .fn = cmd_doctor,
     .summary = "which data sources work here, and why not",
     .fmts = FMT(OUT_TEXT) | FMT(OUT_JSON),
     .fmt_fix = "its findings are a list of checks: use -f json for a script",
     .flags = CMD_OWN_LEFTOVERS},
    /* diagnose-tools' names, each with the spellings its users type */
    {.name = "sched-image",
     .fn = cmd_compat,
     .fmts = FMTS_REPORT,
     .writer = "--report",
     .fmt_fix = "for the hogs' stacks as a flame graph use 'procimage sched --stacks -f svg'",
     .image = "sched",
     .aliases = {"sched_image"},
     .flags = CMD_COMPAT | CMD_OWN_LEFTOVERS},
    {.name = "resource-image",
     .fn = cmd_compat,
     .fmts = FMTS_REPORT,
     .writer = "--report",
     .fmt_fix = FIX_NO_STACK,
     .image = "resource",
     .aliases = {"resource_image"},
     .flags = CMD_COMPAT | CMD_NEEDS_PID | CMD_OWN_LEFTOVERS},
    {.name = "keytime-image",
     .fn = cmd_compat,
     .fmts = FMTS_REPORT,
     .writer = "--report",
     .fmt_fix = FIX_NO_STACK,
     .image = "keytime",
     .aliases = {"keytime_image"},
     .flags = CMD_COMPAT | CMD_NEEDS_PID | CMD_OWN_LEFTOVERS},
    {.name = "migrate-image",
     .fn = cmd_compat,
     .fmts = FMTS_REPORT,
     .writer = "--report",
     .fmt_fix = FIX_NO_STACK,
     .image = "migrate",
     .aliases = {"migrate_image"},
     .flags = CMD_COMPAT | CMD_NEEDS_PID | CMD_OWN_LEFTOVERS},
    {.name = "sys-cost",
     .fn = cmd_compat,
     .fmts = FMTS_REPORT,
     .writer = "--report",
     .fmt_fix = "for folded lines or a flame graph use 'procimage syscall -p PID -f folded' "
		"(or -f svg)",
     .image = "syscall",
     .aliases = {"syscall-image", "sys_cost", "syscall_image"},
     .flags = CMD_COMPAT | CMD_OWN_LEFTOVERS},
};

const size_t command_count = sizeof(command_table) / sizeof(command_table[0]);

const struct command *command_find(const char *name)
{
	for (size_t i = 0; name && i < command_count; i++) {
		const struct command *c = &command_table[i];
		if (!strcmp(name, c->name))
			return c;
		for (size_t k = 0; k < sizeof(c->aliases) / sizeof(c->aliases[0]) && c->aliases[k];
		     k++)
			if (!strcmp(name, c->aliases[k]))
				return c;
	}
	return NULL;
}

/* "a,b,c" of the names whose bit is set, "-" for none. */
static void list_bits(FILE *fp, unsigned bits, const char *const *names, size_t n)
{
	int k = 0;

	for (size_t i = 0; i < n; i++)
		if (bits & (1u << i) && names[i])
			fprintf(fp, "%s%s", k++ ? "," : "", names[i]);
	if (!k)
		fputc('-', fp);
}

void command_list(FILE *fp)
{
	/* by bit of enum command_flag */
	static const char *const flag_names[] = {
	    "compat", "needs-pid", "offenders", "captured", "own-leftovers", "image", "replayed"};
	_Static_assert(sizeof(flag_names) / sizeof(flag_names[0]) == 7 && CMD_REPLAYED == 1u << 6,
		       "each flag has its --list-commands name");
	const char *fmt_names[32] = {0};
	size_t nfmt = 0;

	while (nfmt < 32 && (fmt_names[nfmt] = opts_format_name((enum out_format)nfmt)))
		nfmt++;
	for (size_t i = 0; i < command_count; i++) {
		const struct command *c = &command_table[i];
		unsigned flags = c->flags | (image_find(c->name) ? CMD_LISTED_IMAGE : 0);

		fprintf(fp, "%s\t", c->name);
		list_bits(fp, c->fmts, fmt_names, nfmt);
		fputc('\t', fp);
		list_bits(fp, flags, flag_names, sizeof(flag_names) / sizeof(flag_names[0]));
		fputc('\t', fp);
		for (size_t k = 0; k < sizeof(c->aliases) / sizeof(c->aliases[0]); k++)
			if (c->aliases[k])
				fprintf(fp, "%s%s", k ? "," : "", c->aliases[k]);
		fputs(c->aliases[0] ? "\n" : "-\n", fp);
	}
}
