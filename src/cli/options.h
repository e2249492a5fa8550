/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The options every command shares (SPEC.md "Common options") and the
 * image-specific ones, parsed in one place so every command spells and
 * validates them the same way. Errors name the option, the bad value and an
 * example of a good one; the caller exits 2.
 */
#ifndef PROCIMAGE_OPTIONS_H
#define PROCIMAGE_OPTIONS_H

#include <getopt.h>
#include <stdint.h>

#include "core/targets.h"
#include "procimage/out.h"

#define EXIT_USAGE    2
#define EXIT_NOTARGET 3

struct run_opts {
	const char *cmd;
	struct targets targets;
	uint64_t duration_ns, interval_ns, threshold_ns;
	int duration_set, interval_set, threshold_set;
	enum out_format fmt;
	int fmt_set; /* -f was given */
	const char *output;
	const char *proc_root;
	int stats, threads, children, stacks, verbose, top, sequence;
	int enable_delayacct, follow, since_boot;
	const char *source_mode; /* auto|audit|sample */
	const char *syscalls;
	const char *exclude; /* comma list of comm names */
	char err[512];
	int keep_privs;	      /* a later run in this process needs them (triage) */
	int stack_hz;	      /* stacks -F: user-stack samples per second (0: 49) */
	unsigned stack_flags; /* PSTACK_* of sources/ptrace_stack.h */
	int no_ptrace;	      /* --no-ptrace: no on-CPU syscall samples */
	int ptrace_syscalls;  /* the ptrace source samples syscalls, not stacks */
	int keep_running; /* do not stop when the named pids are gone (exits: evidence comes after)
			   */
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
typedef int (*opts_extra_fn)(void *ctx, struct run_opts *o, int code, const char *arg);
int opts_parse_ex(struct run_opts *o, int argc, char **argv, const char *help, int *optind_out,
		  const struct option *extra, opts_extra_fn fn, void *ctx);
/* Parse "text|json|folded|prom|csv|svg|html". opts_parse also refuses
 * (EXIT_USAGE) a -f value the command does not write, naming what it does
 * write and what to use instead; see fmt_rules in options.c. */
int opts_parse_format(const char *s, enum out_format *f);
/* Open -o FILE (0600, O_NOFOLLOW) or return stdout. NULL with err set. */
FILE *opts_open_output(struct run_opts *o);
/* Flush and (unless stdout) close what opts_open_output gave. 0, or 1 with
 * err set ("cannot write the report to 'FILE': No space left on device")
 * when anything written to it failed. */
int opts_close_output(struct run_opts *o, FILE *fp);
void opts_free(struct run_opts *o);

#endif
