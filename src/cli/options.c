/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared option parsing (see options.h). */
#include "cli/options.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/command_table.h"
#include "core/clock.h"
#include "core/fileio.h"

#define PROCIMAGE_VERSION "0.1.0"

enum {
	OPT_COMM = 1000,
	OPT_CGROUP,
	OPT_PROC_ROOT,
	OPT_STATS,
	OPT_THRESHOLD,
	OPT_THREADS,
	OPT_CHILDREN,
	OPT_STACKS,
	OPT_SEQUENCE,
	OPT_SOURCE,
	OPT_SYSCALLS,
	OPT_TOP,
	OPT_EXCLUDE,
	OPT_DELAYACCT,
	OPT_FOLLOW,
	OPT_SINCE_BOOT,
	OPT_VERSION,
	OPT_BUDGET,
	OPT_NO_PTRACE,
};

static const struct option long_opts[] = {
    {"pid", required_argument, NULL, 'p'},
    {"all", no_argument, NULL, 'a'},
    {"comm", required_argument, NULL, OPT_COMM},
    {"cgroup", required_argument, NULL, OPT_CGROUP},
    {"duration", required_argument, NULL, 'd'},
    {"interval", required_argument, NULL, 'i'},
    {"format", required_argument, NULL, 'f'},
    {"output", required_argument, NULL, 'o'},
    {"proc-root", required_argument, NULL, OPT_PROC_ROOT},
    {"stats", no_argument, NULL, OPT_STATS},
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"threads", no_argument, NULL, OPT_THREADS},
    {"children", no_argument, NULL, OPT_CHILDREN},
    {"stacks", no_argument, NULL, OPT_STACKS},
    {"sequence", required_argument, NULL, OPT_SEQUENCE},
    {"source", required_argument, NULL, OPT_SOURCE},
    {"syscalls", required_argument, NULL, OPT_SYSCALLS},
    {"top", required_argument, NULL, OPT_TOP},
    {"exclude", required_argument, NULL, OPT_EXCLUDE},
    {"enable-delayacct", no_argument, NULL, OPT_DELAYACCT},
    {"follow", no_argument, NULL, OPT_FOLLOW},
    {"since-boot", no_argument, NULL, OPT_SINCE_BOOT},
    {"budget", required_argument, NULL, OPT_BUDGET},
    {"no-ptrace", no_argument, NULL, OPT_NO_PTRACE},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

void opts_defaults(struct run_opts *o, const char *cmd)
{
	const char *root = getenv("PROCIMAGE_PROC_ROOT");

	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	o->duration_ns = 10 * NS_PER_S;
	o->interval_ns = 10 * NS_PER_MS;
	o->threshold_ns = 50 * NS_PER_MS;
	o->fmt = OUT_TEXT;
	o->proc_root = root && *root ? root : "/proc";
	o->sequence = 16;
	o->source_mode = "auto";
}

/* By enum out_format: the -f spelling of each. */
static const char *const fmt_names[] = {
    [OUT_TEXT] = "text", [OUT_JSON] = "json", [OUT_FOLDED] = "folded", [OUT_PROM] = "prom",
    [OUT_CSV] = "csv",	 [OUT_SVG] = "svg",   [OUT_HTML] = "html",     [OUT_PPROF] = "pprof",
};

const char *opts_format_name(enum out_format f)
{
	return (size_t)f < sizeof(fmt_names) / sizeof(fmt_names[0]) ? fmt_names[f] : NULL;
}

int opts_parse_format(const char *s, enum out_format *f)
{
	for (size_t i = 0; i < sizeof(fmt_names) / sizeof(fmt_names[0]); i++)
		if (strcmp(s, fmt_names[i]) == 0) {
			*f = (enum out_format)i;
			return 0;
		}
	return -EINVAL;
}

static int check_format(struct run_opts *o, const char *arg)
{
	return opts_format_check(o, o->cmd, arg);
}

int opts_format_check(struct run_opts *o, const char *cmd, const char *arg)
{
	const struct command *r = command_find(cmd);
	char list[128] = "";
	size_t n = 0;
	int k = 0, total = __builtin_popcount(r ? r->fmts : 0);

	if (!r || !o->fmt_set || (r->fmts & FMT(o->fmt)))
		return 0;
	if (!r->fmts) {
		snprintf(o->err, sizeof(o->err), "-f %s: %s", arg, r->fmt_fix);
		return EXIT_USAGE;
	}
	for (size_t f = 0; f < sizeof(fmt_names) / sizeof(fmt_names[0]); f++) {
		if (!(r->fmts & FMT(f)))
			continue;
		k++;
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
				      k == 1	   ? ""
				      : k == total ? " or "
						   : ", ",
				      fmt_names[f]);
	}
	snprintf(o->err, sizeof(o->err), "-f %s: %s writes %s; %s", arg,
		 r->writer ? r->writer : r->name, list, r->fmt_fix);
	return EXIT_USAGE;
}

int opts_usage(struct run_opts *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(o->err, sizeof(o->err), fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

static int parse_dur(struct run_opts *o, const char *name, const char *arg, uint64_t *out)
{
	if (duration_parse(arg, out) == 0 && *out > 0)
		return 0;
	return opts_usage(
	    o, "%s '%s' is not a duration: use a number with a unit, e.g. 500ms, 10s, 2m", name,
	    arg);
}

static int parse_count(struct run_opts *o, const char *name, const char *arg, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || end == arg || v < 1 || v > 1000000)
		return opts_usage(
		    o, "%s '%s' is not a count: give a whole number from 1 to 1000000", name, arg);
	*out = (int)v;
	return 0;
}

/* The last -o used to win: `record -o A.db --report x -f json -o x.json`
 * wrote the recording into x.json. */
static int output_twice(struct run_opts *o, const char *arg)
{
	if (o->cmd && !strcmp(o->cmd, "record"))
		snprintf(o->err, sizeof(o->err),
			 "-o given twice ('%.100s', then '%.100s'): record's -o is the recording, "
			 "and a --report goes to stdout: keep one -o and redirect the report "
			 "(> %.100s)",
			 o->output, arg, arg);
	else
		snprintf(o->err, sizeof(o->err),
			 "-o given twice ('%.200s', then '%.200s'): the report goes to one file: "
			 "keep one -o",
			 o->output, arg);
	return EXIT_USAGE;
}

/* Whether -o is a report this command writes (record's is its store, and
 * watch refuses -o with its own advice). */
static int output_is_report(const struct run_opts *o)
{
	return o->output && strcmp(o->output, "-") && o->cmd && strcmp(o->cmd, "record") &&
	       strcmp(o->cmd, "watch");
}

/* ns as the CLI spells it ("5s", "1500ms"), to be pasted back. */
static void cli_duration(uint64_t ns, char *buf, size_t len)
{
	if (ns % NS_PER_S == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ns / NS_PER_S));
	else if (ns % NS_PER_MS == 0)
		snprintf(buf, len, "%llums", (unsigned long long)(ns / NS_PER_MS));
	else
		snprintf(buf, len, "%lluus", (unsigned long long)(ns / 1000));
}

/* A run shorter than one interval ends before its first interval does:
 * -d 1s -i 5s reported 0% CPU for a busy process. */
static int check_interval(struct run_opts *o)
{
	char d[32], i[32];

	if (!o->duration_set || o->interval_ns <= o->duration_ns)
		return 0;
	cli_duration(o->duration_ns, d, sizeof(d));
	cli_duration(o->interval_ns, i, sizeof(i));
	snprintf(o->err, sizeof(o->err),
		 "the interval (%s%s) is longer than --duration %s: no interval would end "
		 "within the run; give -d %s or more, or a shorter -i",
		 i, o->interval_set ? "" : ", the default", d, i);
	return EXIT_USAGE;
}

static int handle(struct run_opts *o, int c, const char *arg, const char *help)
{
	switch (c) {
	case 'p':
		return targets_add_pids(&o->targets, arg, o->err, sizeof(o->err)) ? EXIT_USAGE : 0;
	case 'a':
		o->targets.all = 1;
		return 0;
	case OPT_COMM:
		return targets_set_comm(&o->targets, arg, o->err, sizeof(o->err)) ? EXIT_USAGE : 0;
	case OPT_CGROUP:
		return targets_set_cgroup(&o->targets, arg, o->err, sizeof(o->err)) ? EXIT_USAGE
										    : 0;
	case 'd':
		o->duration_set = 1;
		return parse_dur(o, "--duration", arg, &o->duration_ns);
	case 'i':
		o->interval_set = 1;
		if (parse_dur(o, "--interval", arg, &o->interval_ns))
			return EXIT_USAGE;
		if (o->interval_ns < NS_PER_MS)
			return opts_usage(o, "--interval '%s' is too short: the minimum is 1ms",
					  arg);
		return 0;
	case OPT_THRESHOLD:
		o->threshold_set = 1;
		return parse_dur(o, "--threshold", arg, &o->threshold_ns);
	case 'f':
		if (opts_parse_format(arg, &o->fmt))
			return opts_usage(
			    o,
			    "--format '%s' is unknown: use text, json, folded, prom, csv, "
			    "svg, html or pprof",
			    arg);
		o->fmt_set = 1;
		return check_format(o, arg);
	case 'o':
		if (o->output && strcmp(o->output, arg))
			return output_twice(o, arg);
		o->output = arg;
		return 0;
	case OPT_PROC_ROOT:
		o->proc_root = arg;
		return 0;
	case OPT_STATS:
		o->stats = 1;
		return 0;
	case OPT_NO_PTRACE:
		o->no_ptrace = 1;
		return 0;
	case OPT_THREADS:
		o->threads = 1;
		return 0;
	case OPT_CHILDREN:
		o->children = 1;
		return 0;
	case OPT_STACKS:
		o->stacks = 1;
		return 0;
	case OPT_SEQUENCE:
		return parse_count(o, "--sequence", arg, &o->sequence);
	case OPT_TOP:
		return parse_count(o, "--top", arg, &o->top);
	case OPT_SOURCE:
		if (strcmp(arg, "auto") && strcmp(arg, "audit") && strcmp(arg, "sample"))
			return opts_usage(o, "--source '%s' is unknown: use auto, audit or sample",
					  arg);
		o->source_mode = arg;
		return 0;
	case OPT_SYSCALLS:
		o->syscalls = arg;
		return 0;
	case OPT_EXCLUDE:
		o->exclude = arg;
		return 0;
	case OPT_DELAYACCT:
		o->enable_delayacct = 1;
		return 0;
	case OPT_FOLLOW:
		o->follow = 1;
		return 0;
	case OPT_SINCE_BOOT:
		o->since_boot = 1;
		return 0;
	case OPT_BUDGET: {
		char *end;
		long v = strtol(arg, &end, 10);
		if (end == arg || (*end && strcmp(end, "%") != 0) || v < 1 || v > 100)
			return opts_usage(
			    o,
			    "--budget '%s' is not a share of one CPU: use 1 to 100 (%%), "
			    "e.g. --budget 10",
			    arg);
		o->budget_pct = (uint32_t)v;
		return 0;
	}
	case 'v':
		o->verbose++;
		return 0;
	case 'h':
		fputs(help, stdout);
		return -1;
	case OPT_VERSION:
		printf("procimage %s\n", PROCIMAGE_VERSION);
		return -1;
	default:
		return opts_usage(o, "unknown option for '%s': see 'procimage %s --help'", o->cmd,
				  o->cmd);
	}
}

int opts_parse_ex(struct run_opts *o, int argc, char **argv, const char *help, int *optind_out,
		  const struct option *extra, opts_extra_fn fn, void *ctx)
{
	struct option all[sizeof(long_opts) / sizeof(long_opts[0]) + 32];
	size_t n = 0;
	int c, rc;

	for (const struct option *x = extra; x && x->name && n < 32; x++)
		all[n++] = *x;
	memcpy(all + n, long_opts, sizeof(long_opts));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+p:ad:i:f:o:vh", all, NULL)) != -1) {
		if (c == '?' || c == ':') {
			const char *what = optopt ? "" : argv[optind - 1];
			char sopt[3] = {'-', (char)optopt, 0};
			snprintf(o->err, sizeof(o->err),
				 c == ':' || (optopt && strchr("pdifo", optopt))
				     ? "option '%s' needs a value: see 'procimage %s --help'"
				     : "unknown option '%s': see 'procimage %s --help'",
				 optopt ? sopt : what, o->cmd);
			return EXIT_USAGE;
		}
		if (c >= OPTS_EXTRA_BASE && fn)
			rc = fn(ctx, o, c, optarg);
		else
			rc = handle(o, c, optarg, help);
		if (rc)
			return rc;
	}
	*optind_out = optind;
	if ((rc = check_interval(o)))
		return rc;
	return output_is_report(o) ? opts_prepare_output(o) : 0;
}

int opts_parse(struct run_opts *o, int argc, char **argv, const char *help, int *optind_out)
{
	return opts_parse_ex(o, argc, argv, help, optind_out, NULL, NULL, NULL);
}

int opts_prepare_output(struct run_opts *o)
{
	FILE *fp;

	if (o->out_fp || !o->output || !strcmp(o->output, "-"))
		return 0;
	fp = safe_out_open(o->output, o->fmt == OUT_PROM ? 0644 : 0600,
			   o->follow ? SAFE_OUT_STREAM : 0, &o->out_fp, &o->out_info);
	if (fp)
		return 0;
	snprintf(o->err, sizeof(o->err), "-o '%.200s' cannot be written: %s", o->output,
		 o->out_info.why[0] ? o->out_info.why : strerror(errno));
	return EXIT_USAGE;
}

FILE *opts_open_output(struct run_opts *o)
{
	if (!o->output || strcmp(o->output, "-") == 0)
		return stdout;
	if (!o->out_fp && opts_prepare_output(o))
		return NULL;
	return o->out_fp;
}

void opts_abort_output(struct run_opts *o, FILE *fp)
{
	(void)o;
	if (!fp || fp == stdout)
		return;
	safe_out_discard(fp);
	fclose(fp);
}

/* Is -o the file name (which need not exist) in the directory of path? */
static int output_named(const struct run_opts *o, const char *path, const char *suffix)
{
	const struct safe_out_info *in = &o->out_info;
	const char *slash = strrchr(path, '/');
	char dir[4096];
	struct stat st;

	snprintf(dir, sizeof(dir), "%.*s",
		 !slash		 ? 1
		 : slash == path ? 1
				 : (int)(slash - path),
		 !slash ? "." : path);
	return strlen(in->name) == strlen(slash ? slash + 1 : path) + strlen(suffix) &&
	       !strncmp(in->name, slash ? slash + 1 : path, strlen(in->name) - strlen(suffix)) &&
	       !strcmp(in->name + strlen(in->name) - strlen(suffix), suffix) &&
	       stat(dir, &st) == 0 && st.st_dev == in->dir_dev && st.st_ino == in->dir_ino;
}

int opts_output_is(const struct run_opts *o, const char *path)
{
	/* SQLite's side files sit next to the database, as it resolves it */
	static const char *const side[] = {"", "-wal", "-shm", "-journal"};
	char buf[4200], *real;
	struct stat st;

	if (!o->out_fp && !o->out_info.name[0])
		return 0;
	real = realpath(path, NULL);
	for (size_t i = 0; i < sizeof(side) / sizeof(side[0]); i++) {
		for (int k = 0; k < 2; k++) {
			const char *p = k ? real : path;
			if (!p)
				continue;
			snprintf(buf, sizeof(buf), "%s%s", p, side[i]);
			if ((o->out_info.existed && stat(buf, &st) == 0 &&
			     st.st_dev == o->out_info.dev && st.st_ino == o->out_info.ino) ||
			    output_named(o, p, side[i])) {
				free(real);
				return 1;
			}
		}
	}
	free(real);
	return 0;
}

int opts_close_output(struct run_opts *o, FILE *fp)
{
	int err = 0;

	errno = 0;
	if (fflush(fp))
		err = errno ? errno : EIO;
	else if (ferror(fp)) /* an earlier write failed; its errno is gone */
		err = EIO;
	if (err && fp != stdout)
		safe_out_discard(fp); /* FILE keeps what it had */
	if (fp != stdout && fclose(fp) && !err)
		err = errno ? errno : EIO;
	if (!err)
		return 0;
	snprintf(o->err, sizeof(o->err), "cannot write the report to '%s': %s",
		 o->output && strcmp(o->output, "-") ? o->output : "stdout", strerror(err));
	return 1;
}

void opts_free(struct run_opts *o)
{
	opts_abort_output(o, o->out_fp); /* prepared, never written: FILE stays as it was */
	targets_free(&o->targets);
}
