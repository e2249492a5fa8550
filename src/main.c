/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * procimage: command dispatch over the command table (cli/command_table.c).
 * Exact names only (no prefix matching), so a command added later never
 * changes what an old script means.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/command_table.h"
#include "cli/options.h"
#include "sources/leftovers.h"

/* The compat tools' names, wrapped like the rest of the text: a tool added
 * to the table shows up here with no edit. */
static void usage_compat(FILE *fp)
{
	char text[512] = "diagnose-tools compatible:", *save = NULL;
	size_t n = strlen(text);
	const char *sep = " ";
	int col = 0;

	for (size_t i = 0; i < command_count; i++) {
		const struct command *c = &command_table[i];
		if (!(c->flags & CMD_COMPAT))
			continue;
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s", sep, c->name);
		sep = ", ";
		/* the dashed spellings; underscored ones are for old scripts */
		for (size_t k = 0; k < sizeof(c->aliases) / sizeof(c->aliases[0]); k++)
			if (c->aliases[k] && !strchr(c->aliases[k], '_') && n < sizeof(text))
				n += (size_t)snprintf(text + n, sizeof(text) - n, " (%s)",
						      c->aliases[k]);
		if (n >= sizeof(text)) /* cut, never past the end */
			n = sizeof(text) - 1;
	}
	snprintf(text + n, sizeof(text) - n,
		 " with --activate, --report, --settings, --deactivate");
	for (char *w = strtok_r(text, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (col && col + 1 + (int)strlen(w) > 78) {
			fputs("\n ", fp);
			col = 1;
		}
		col += fprintf(fp, "%s%s", col ? " " : "", w);
	}
	fputc('\n', fp);
}

static void usage(FILE *fp)
{
	fprintf(fp, "usage: procimage [COMMAND] [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < command_count; i++)
		if (command_table[i].summary)
			fprintf(fp, "  %-10s %s\n", command_table[i].name,
				command_table[i].summary);
	fputc('\n', fp);
	usage_compat(fp);
	fprintf(fp, "\ntargets: -p/--pid PID[,PID..]  --comm REGEX  --cgroup PATH  -a/--all\n"
		    "common:  -d/--duration DUR  -i/--interval DUR  -f/--format text|json\n"
		    "         -o/--output FILE  --proc-root DIR  --stats  -h/--help  --version\n"
		    "exit status: 0 ok, 1 runtime failure, 2 bad usage, 3 target not found\n"
		    "'procimage COMMAND --help' shows a command's own options.\n");
}

/* Undo what killed runs of ours left (audit rules and settings, the delay
 * accounting sysctl) before any command: cheap when nothing is stale.
 * Commands with CMD_OWN_LEFTOVERS report it themselves. */
static void sweep(const char *cmd)
{
	const struct command *c = command_find(cmd);
	const struct leftover *l;
	int n;

	if (!leftovers_sweep() || (c && (c->flags & CMD_OWN_LEFTOVERS)))
		return;
	n = leftovers_seen(&l);
	for (int i = 0; i < n; i++)
		fprintf(stderr, "procimage: killed run (pid %d) left: %s\n", (int)l[i].owner,
			l[i].what);
}

int main(int argc, char **argv)
{
	const struct command *c;
	static char outbuf[1 << 20];

	/* A report goes out at its end, in one flush, when it fits in 1 MiB: a
	 * write that fails then fails in fflush, whose errno says why (ENOSPC,
	 * EPIPE); a write failing midway in stdio's 4 KiB buffer leaves only
	 * the stream's error flag, and "Input/output error" as the reason.
	 * Followed output (exits --follow, watch's log) flushes itself. */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));

	/* before the sweep: the completion asks this, and must change nothing */
	if (argc == 2 && !strcmp(argv[1], "--list-commands")) {
		command_list(stdout);
		return 0;
	}
	sweep(argc >= 2 ? argv[1] : NULL);
	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
			usage(stdout);
			return 0;
		}
		/* `procimage`, `procimage -d 5s` or `--version`: the default command,
		 * the table's first row (triage). */
		return command_table[0].fn(argc, argv);
	}
	if ((c = command_find(argv[1])))
		return c->fn(argc - 1, argv + 1);
	if (!strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "procimage: unknown command '%s': run 'procimage --help' for the list\n",
		argv[1]);
	return EXIT_USAGE;
}
