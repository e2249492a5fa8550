/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * procimage exits: why processes ended. Runs the exits image with the proc
 * connector, taskstats, the kernel log (kmsg) and the cgroup source, polls
 * stat and oom_score(_adj) for "last seen" figures, and prints the report at
 * the end (text, json; prom, csv and html derived from the JSON, as for the
 * image commands), or each exit as its evidence window closes (--follow:
 * text or JSON lines only).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/command_table.h"
#include "cli/options.h"
#include "cli/store_cmd.h"
#include "core/clock.h"
#include "core/run.h"
#include "images/exits.h"

#define FOREVER_NS (100ULL * 365 * 24 * 3600 * NS_PER_S)

static const char help[] =
    "usage: procimage exits [-d DUR | --follow] [TARGETS] [--since-boot] [options]\n"
    "\n"
    "For every exit of the targets (default: every process): exit code or signal,\n"
    "core dump, lifetime, the last RSS / oom_score / oom_score_adj seen, and the\n"
    "cause with its evidence:\n"
    "  oom_kill   the kernel log names the pid (oom-kill:...pid=N, Killed process N),\n"
    "             or the memory cgroup's oom_kill counter rose at the exit; without\n"
    "             the kernel log, a rise of /proc/vmstat oom_kill makes it probable (?)\n"
    "  signal     killed by a signal (SIGKILL with no OOM kill on record, SIGTERM...)\n"
    "  crash      SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS, SIGTRAP (core?)\n"
    "  exit       exit(N): the code is shown\n"
    "  unknown    only polling saw it vanish (no connector, no taskstats)\n"
    "Each exit lists the evidence it lacked (no CAP_SYSLOG for /dev/kmsg, ...).\n"
    "\n"
    "options:\n"
    "  -d, --duration DUR   watch this long (default: 10s; with -p, until the\n"
    "                       processes have ended)\n"
    "  --follow             print each exit as it is decided, until Ctrl-C\n"
    "  --since-boot         also read the kernel log from its start: past OOM kills\n"
    "  -i, --interval DUR   polling interval for the last-seen figures (default 1s)\n"
    "  -f, --format FMT     text, json, prom, csv or html (--follow: text, or json\n"
    "                       with one object per line)\n"
    "  -o, --output FILE\n"
    "targets: -p PID[,PID..] --comm REGEX --cgroup PATH -a (default: all)\n";

struct exits_cli {
	struct run *run;
	void *img;
	struct run_opts *o;
	FILE *fp; /* --follow's output */
	int werr; /* errno of its first failed write */
	int pids_only;
};

/* After a --follow flush: on a failed write, remember why and stop. */
static void check_write(struct exits_cli *c)
{
	if (!ferror(c->fp) || c->werr)
		return;
	c->werr = errno ? errno : EIO;
	loop_stop(run_loop_handle(c->run)); /* nowhere to write: no use following */
}

static void on_record(void *ctx, const struct record *r)
{
	struct exits_cli *c = ctx;

	if (r->kind != REC_TICK)
		return;
	if (c->pids_only && exits_all_done(c->img, c->o->targets.pids, c->o->targets.npids))
		loop_stop(run_loop_handle(c->run));
	if (c->o->follow) {
		exits_flush(c->img, c->fp, c->o->fmt, r->t_ns, 0);
		check_write(c);
	}
}

static uint32_t evidence_have(struct run *r)
{
	struct source_status st[SRC_COUNT];

	for (int s = 0; s < SRC_COUNT; s++)
		st[s] = *run_source_status(r, s);
	return exits_have_from_sources(st);
}

static void follow_banner(struct run *r, FILE *fp)
{
	fprintf(fp, "procimage exits: following;");
	for (int s = 0; s < SRC_COUNT; s++) {
		const struct source_status *st = run_source_status(r, s);
		if (st->state != SOURCE_UNUSED)
			out_printf(fp, " %s %s%s%s", record_source_name(s),
				   source_state_name(st->state), st->reason[0] ? ": " : "",
				   st->reason);
	}
	fputc('\n', fp);
}

static int finish(struct exits_cli *c, int rc)
{
	if (rc == 0 && (rc = run_exit_code(c->run)) == EXIT_NOTARGET)
		fprintf(stderr, "procimage exits: %s\n", targets_none_matched(&c->o->targets));
	if (rc == 0 && c->o->follow) {
		exits_flush(c->img, c->fp, c->o->fmt, clock_mono_ns(), 1);
		check_write(c);
	} else if (rc == 0) {
		rc = report_write_run(c->o, c->run); /* says why when it fails */
	}
	if (c->o->stats)
		run_print_stats(c->run, stderr);
	return rc;
}

int cmd_exits(int argc, char **argv)
{
	struct run_opts o;
	struct exits_cli c = {.o = &o};
	const char *names[1] = {"exits"};
	int first, rc, all;

	opts_defaults(&o, argv[0]);
	rc = opts_parse(&o, argc, argv, help, &first);
	if (rc < 0)
		return opts_free(&o), 0;
	if (!rc && first < argc) {
		snprintf(o.err, sizeof(o.err),
			 "unexpected argument '%s': targets are given with -p PID, --comm, "
			 "--cgroup or -a",
			 argv[first]);
		rc = EXIT_USAGE;
	}
	if (!rc && o.follow && o.fmt != OUT_TEXT && o.fmt != OUT_JSON) {
		snprintf(o.err, sizeof(o.err),
			 "-f %s: --follow prints each exit as it is decided, in text or json (one "
			 "object per line); prom, csv and html are whole reports: drop --follow "
			 "and give -d DUR",
			 o.fmt == OUT_PROM  ? "prom"
			 : o.fmt == OUT_CSV ? "csv"
					    : "html");
		rc = EXIT_USAGE;
	}
	if (rc)
		return fprintf(stderr, "procimage %s: %s\n", o.cmd, o.err), opts_free(&o), rc;
	if (targets_empty(&o.targets))
		o.targets.all = 1;
	all = o.targets.all;
	c.pids_only = targets_only_pids(&o.targets);
	if (!o.interval_set)
		o.interval_ns = NS_PER_S;
	if (!o.duration_set)
		o.duration_ns = o.follow || c.pids_only ? FOREVER_NS : 10 * NS_PER_S;
	/* The named pids vanishing is not the end: the connector/taskstats
	 * records may still be queued; on_record stops once each is decided. */
	o.keep_running = 1;
	o.exit_events_only = 1; /* the exits image alone: the connector may filter */
	c.run = run_new(&o.run, names, 1);
	if (!c.run)
		return fprintf(stderr, "procimage exits: %s\n", o.err), opts_free(&o), 1;
	/* The cgroup source reads several files per process: not for all. */
	if (all)
		run_skip_source(c.run, SRC_CGROUP);
	c.img = run_image(c.run, "exits");
	c.fp = o.follow ? opts_open_output(&o) : stdout; /* else report_write opens -o */
	rc = c.fp ? run_start(c.run) : 1;
	if (rc) {
		fprintf(stderr, "procimage exits: %s\n", o.err);
	} else {
		exits_set_context(c.img, all, evidence_have(c.run), o.since_boot);
		run_add_sink(c.run, (struct record_sink){on_record, &c});
		if (o.follow && o.fmt == OUT_TEXT)
			follow_banner(c.run, c.fp);
		rc = finish(&c, run_loop(c.run));
	}
	if (o.follow && c.fp && opts_close_output(&o, c.fp) && !rc) {
		if (c.werr) /* the first failure says why; close only knows it failed */
			snprintf(o.err, sizeof(o.err), "cannot write the report to '%s': %s",
				 o.output && strcmp(o.output, "-") ? o.output : "stdout",
				 strerror(c.werr));
		fprintf(stderr, "procimage exits: %s\n", o.err);
		rc = 1;
	}
	run_free(c.run);
	opts_free(&o);
	return rc;
}
