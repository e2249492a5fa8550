/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The command table: every command once, with its handler, its line in
 * `procimage --help`, the -f formats it writes, the other names it answers
 * to and what other commands do with it (flags). Dispatch (main.c), the -f
 * check (options.c), the diagnose-tools front end (compat.c), triage's and
 * watch's image lists, and `procimage --list-commands` (read by the bash
 * completion and tests/integration/test_help_sync.sh) all read it, so
 * adding a command is a row in command_table.c, its handler's prototype
 * below, and its file.
 */
#ifndef PROCIMAGE_COMMAND_TABLE_H
#define PROCIMAGE_COMMAND_TABLE_H

#include <stdio.h>

#include "procimage/out.h"

#define FMT(f) (1u << (f))

enum command_flag {
	/* A diagnose-tools front end (cmd_compat) of the image .image. */
	CMD_COMPAT = 1u << 0,
	/* compat: diagnose-tools refuses to activate it without pid or tgid. */
	CMD_NEEDS_PID = 1u << 1,
	/* triage images its offenders with this command's image, in table order. */
	CMD_OFFENDERS = 1u << 2,
	/* watch runs `procimage NAME -p PID -d -i -f` on each captured process. */
	CMD_CAPTURED = 1u << 3,
	/* It tells of killed runs' leftovers itself: main does not sweep-print. */
	CMD_OWN_LEFTOVERS = 1u << 4,
	/* Never in a row: --list-commands' mark of a name the image registry
	 * has, so the registry stays the one list of images. */
	CMD_LISTED_IMAGE = 1u << 5,
	/* Not an image, yet `report FILE NAME` replays it whole (triage). */
	CMD_REPLAYED = 1u << 6,
};

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	/* Its line in `procimage --help`; NULL for the compat tools, which
	 * --help names together. */
	const char *summary;
	/* The -f values it writes (FMT(OUT_*) bits); any other is refused with
	 * exit 2 before anything runs. 0: it takes no -f at all. */
	unsigned fmts;
	/* For a refused -f: who writes the report (NULL: the name) and what to
	 * use instead. */
	const char *writer, *fmt_fix;
	const char *image; /* CMD_COMPAT: the image it fronts */
	const char *aliases[4];
	unsigned flags;
};

/* The rows, in the order of `procimage --help`. */
extern const struct command command_table[];
extern const size_t command_count;

/* The row of a name or alias; NULL when there is none. */
const struct command *command_find(const char *name);
/* `procimage --list-commands`: one line per row, tab-separated:
 * NAME  FORMATS(comma list, or -)  FLAGS(comma list, or -)  ALIASES(or -).
 * FLAGS also says "image" when NAME is a registered image (what report and
 * record --report take). Not documented: for the completion and the tests. */
void command_list(FILE *fp);

/* The handlers, one per src/cli/<name>.c. argv[0] is the command's name. */
int cmd_triage(int argc, char **argv);
int cmd_sched(int argc, char **argv);
int cmd_resource(int argc, char **argv);
int cmd_keytime(int argc, char **argv);
int cmd_syscall(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_exits(int argc, char **argv);
int cmd_stacks(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_compat(int argc, char **argv);

/* The shared body of the image commands (cli/image_cmd.c). */
int image_cmd_run(int argc, char **argv, const char *image, const char *help);

#endif
