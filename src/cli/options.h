/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The options every command shares and the
 * image-specific ones, parsed in one place so every command spells and
 * validates them the same way. Errors name the option, the bad value and an
 * example of a good one; the caller exits 2.
 */
#ifndef PROCIMAGE_OPTIONS_H
#define PROCIMAGE_OPTIONS_H

#include <getopt.h>
#include <stdint.h>

#include "core/fileio.h"
#include "core/run.h"
#include "core/targets.h"
#include "procimage/out.h"

#define EXIT_USAGE    RUN_BAD_INPUT
#define EXIT_NOTARGET RUN_NO_TARGET

struct run_opts {
	/* The run's settings, by name (o->interval_ns) and as the core's struct
	 * (&o->run, for run_new): one storage, two views of the same members. */
	union {
		struct {
			RUN_CONFIG_FIELDS
		};
		struct run_config run;
	};
	int duration_set, interval_set, threshold_set;
	enum out_format fmt;
	int fmt_set; /* -f was given */
	const char *output;
	int stats, follow;
	const char *exclude; /* comma list of comm names */
	int no_ptrace;	     /* --no-ptrace: no on-CPU syscall samples */
	/* -o, opened by opts_parse before any run (see opts_prepare_output):
	 * NULL again once written (or never opened: stdout, record's store). */
	FILE *out_fp;
	struct safe_out_info out_info;
};

/* Fill defaults (duration, interval, format, proc root from the environment). */
void opts_defaults(struct run_opts *o, const char *cmd);
/* getopt_long over the common and image options; positional arguments are
 * left in argv[*optind_out..]. 0, or EXIT_USAGE with o->err set; -1 after
 * printing help (exit 0). `help` is the command's usage text. */
int opts_parse(struct run_opts *o, int argc, char **argv, const char *help, int *optind_out);
/* A command's own options, on top of the shared ones. The handler returns 0
 * when it took the option, EXIT_USAGE (with o->err set) for a bad value. Use
 * values >= OPTS_EXTRA_BASE for option codes. */
#define OPTS_EXTRA_BASE 2000
/* Bad input: sets o->err from a checked printf format and returns EXIT_USAGE.
 * The one way a command's option parsing reports a usage error. */
int opts_usage(struct run_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
typedef int (*opts_extra_fn)(void *ctx, struct run_opts *o, int code, const char *arg);
int opts_parse_ex(struct run_opts *o, int argc, char **argv, const char *help, int *optind_out,
		  const struct option *extra, opts_extra_fn fn, void *ctx);
/* Parse "text|json|folded|prom|csv|svg|html|pprof". opts_parse also
 * refuses (EXIT_USAGE) a -f value the command does not write, naming what it
 * does write and what to use instead: the command's row in
 * cli/command_table.c says which. */
int opts_parse_format(const char *s, enum out_format *f);
/* The -f spelling of f; NULL past the last format. */
const char *opts_format_name(enum out_format f);
/*
 * -o FILE is a report (every command but record, whose -o is the recording,
 * and watch): opts_parse opens it before anything runs, so a path that cannot
 * be written fails at once (exit 2), not after the run. The report is
 * written to a new file in the same directory that replaces FILE only when
 * it is complete (fileio.h safe_out_open): a killed or failed run leaves
 * FILE as it was. New files are mode 0600 (0644 for -f prom, which
 * node_exporter reads as another user); a replaced file keeps its mode.
 * -o given twice with different files is refused (exit 2).
 */
int opts_prepare_output(struct run_opts *o);
/* The report's FILE (the one prepared, or stdout). NULL with err set. */
/* -f (arg, as given) not written by command cmd (its row in the command
 * table): EXIT_USAGE with o->err saying what works; else 0. */
int opts_format_check(struct run_opts *o, const char *cmd, const char *arg);
FILE *opts_open_output(struct run_opts *o);
/* Flush and (unless stdout) close what opts_open_output gave: FILE now holds
 * the report. 0, or 1 with err set ("cannot write the report to 'FILE': No
 * space left on device") when anything written to it failed; FILE is then
 * left as it was. */
int opts_close_output(struct run_opts *o, FILE *fp);
/* Close it without replacing FILE (a report that failed half way). */
void opts_abort_output(struct run_opts *o, FILE *fp);
/* Is -o the file at path (or one of its SQLite side files), whatever the
 * links in between? Compared by device and inode. */
int opts_output_is(const struct run_opts *o, const char *path);
/* Also discards a prepared -o that was never written (an error path). */
void opts_free(struct run_opts *o);

#endif
