/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * procimage stacks: where the targets spend their time, without perf.
 * User stacks by ptrace sampling (sources/ptrace_stack.c), kernel stacks from
 * /proc/<tid>/stack or wchan (procfs source), combined by the stacks image,
 * written as text, JSON, folded stacks, a self-contained SVG flame graph or
 * a gzip'd pprof profile (render/pprof.c; also for `report FILE stacks`).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command_table.h"
#include "cli/options.h"
#include "cli/store_cmd.h"
#include "cli/stacks_out.h"
#include "core/clock.h"
#include "core/run.h"
#include "images/stacks.h"
#include "render/flamegraph.h"
#include "render/folded.h"
#include "render/pprof.h"
#include "sources/ptrace_stack.h"
#include "sources/symaddr.h"

static const char help[] =
    "usage: procimage stacks TARGETS [-d DUR] [-F HZ] [--kernel] [--user]\n"
    "                        [--on-cpu | --off-cpu] [--threads] [-o FILE]\n"
    "                        [-f text|json|prom|csv|html|folded|svg|pprof]\n"
    "                        [--title TEXT]\n"
    "\n"
    "Sample the stacks of the target threads HZ times a second (default 49) for\n"
    "DUR (default 10s, Ctrl-C ends early) and show where they spend their time.\n"
    "  -F, --frequency HZ  samples per thread per second, 1 to 1000 (default 49)\n"
    "  --user      user stacks only: ptrace (PTRACE_SEIZE once, PTRACE_INTERRUPT per\n"
    "              sample, unwound with elfutils libdw); needs ptrace rights on the\n"
    "              targets (same user or CAP_SYS_PTRACE; see kernel.yama.ptrace_scope)\n"
    "  --kernel    kernel stacks only: /proc/<tid>/stack (CAP_SYS_ADMIN; else wchan);\n"
    "              empty while a thread runs on a CPU. No ptrace.\n"
    "              (neither or both: user and kernel frames in one stack)\n"
    "  --on-cpu    only samples of running threads (blocked threads are never\n"
    "              interrupted); --off-cpu: only samples of blocked threads\n"
    "  --threads   one root per thread (comm-pid/tid) instead of per comm\n"
    "  -f folded   'comm;frame;...;leaf count' lines for flamegraph.pl/speedscope\n"
    "  -f svg      a flame graph (search box, click to zoom); -o x.svg implies it\n"
    "  -f prom, csv, html  derived from the JSON report, as from 'procimage report'\n"
    "  -f pprof    a gzip'd profile.proto for go tool pprof, Pyroscope, Parca:\n"
    "              sample types samples, on_cpu and off_cpu (ns); -o x.pb.gz implies it\n"
    "Folded stacks: comm;[on-cpu|off-cpu];user frames;kernel frames_[k] count.\n"
    "Counts are samples (sampled, not exact). Targets are never left stopped or\n"
    "traced: procimage detaches on exit, and the kernel detaches if it is killed.\n";

enum { OPT_FREQ = OPTS_EXTRA_BASE, OPT_KERNEL, OPT_USER, OPT_ONCPU, OPT_OFFCPU, OPT_TITLE };

static const struct option extra[] = {
    {"frequency", required_argument, NULL, OPT_FREQ},
    {"kernel", no_argument, NULL, OPT_KERNEL},
    {"user", no_argument, NULL, OPT_USER},
    {"on-cpu", no_argument, NULL, OPT_ONCPU},
    {"off-cpu", no_argument, NULL, OPT_OFFCPU},
    {"title", required_argument, NULL, OPT_TITLE},
    {NULL, 0, NULL, 0},
};

struct sopts {
	int hz, kernel, user, oncpu, offcpu, fmt_given;
	const char *title;
	FILE *kallsyms; /* -f pprof: opened while procimage may still see addresses */
};

static int on_extra(void *ctx, struct run_opts *o, int code, const char *arg)
{
	struct sopts *s = ctx;
	char *end;
	long v;

	switch (code) {
	case OPT_FREQ:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end || end == arg || v < 1 || v > 1000) {
			snprintf(o->err, sizeof(o->err),
				 "-F '%s' is not a sampling rate: give a whole number of Hz from 1 "
				 "to 1000, e.g. -F 49",
				 arg);
			return EXIT_USAGE;
		}
		s->hz = (int)v;
		return 0;
	case OPT_KERNEL:
		s->kernel = 1;
		return 0;
	case OPT_USER:
		s->user = 1;
		return 0;
	case OPT_ONCPU:
		s->oncpu = 1;
		return 0;
	case OPT_OFFCPU:
		s->offcpu = 1;
		return 0;
	case OPT_TITLE:
		s->title = arg;
		return 0;
	}
	return EXIT_USAGE;
}

/* The shared parser knows no -F: spell it --frequency (argv is ours). */
static void map_short_f(int argc, char **argv, char *buf, size_t len)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-F") == 0) {
			argv[i] = "--frequency";
		} else if (strncmp(argv[i], "-F", 2) == 0 && !buf[0]) {
			snprintf(buf, len, "--frequency=%s", argv[i] + 2);
			argv[i] = buf;
		}
	}
}

static int usage_error(struct run_opts *o)
{
	fprintf(stderr, "procimage stacks: %s\n", o->err);
	opts_free(o);
	return EXIT_USAGE;
}

static int check_opts(struct run_opts *o, struct sopts *s, int argc, char **argv, int first)
{
	if (first < argc) {
		snprintf(o->err, sizeof(o->err),
			 "unexpected argument '%s': targets are given with -p PID, --comm, "
			 "--cgroup or -a",
			 argv[first]);
		return EXIT_USAGE;
	}
	if (targets_empty(&o->targets)) {
		snprintf(o->err, sizeof(o->err),
			 "no target: give -p PID, --comm REGEX or --cgroup PATH");
		return EXIT_USAGE;
	}
	if (o->targets.all) {
		snprintf(o->err, sizeof(o->err),
			 "-a would ptrace every process on the host: name the targets with -p, "
			 "--comm or --cgroup");
		return EXIT_USAGE;
	}
	if (s->oncpu && s->offcpu) {
		snprintf(
		    o->err, sizeof(o->err),
		    "--on-cpu and --off-cpu exclude each other: give one, or neither for both");
		return EXIT_USAGE;
	}
	if (!s->fmt_given && o->output) {
		size_t n = strlen(o->output);
		if (n > 4 && strcmp(o->output + n - 4, ".svg") == 0)
			o->fmt = OUT_SVG;
		else if (n > 7 && strcmp(o->output + n - 7, ".folded") == 0)
			o->fmt = OUT_FOLDED;
		else if (n > 6 && strcmp(o->output + n - 6, ".pb.gz") == 0)
			o->fmt = OUT_PPROF;
	}
	if (o->interval_set) {
		snprintf(o->err, sizeof(o->err),
			 "stacks samples at -F HZ, not at an interval: drop -i");
		return EXIT_USAGE;
	}
	return 0;
}

static unsigned image_flags(const struct run_opts *o, const struct sopts *s)
{
	unsigned f = 0;

	if (s->user || !s->kernel)
		f |= STACKS_USER;
	if (s->kernel || !s->user)
		f |= STACKS_KERNEL;
	f |= s->offcpu ? 0 : STACKS_ONCPU;
	f |= s->oncpu ? 0 : STACKS_OFFCPU;
	if (o->threads)
		f |= STACKS_THREADS;
	return f;
}

static int fmt_given(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-f") == 0 || strncmp(argv[i], "--format", 8) == 0 ||
		    (strncmp(argv[i], "-f", 2) == 0 && argv[i][2] != '-'))
			return 1;
	return 0;
}

int stacks_pprof_write(FILE *fp, const void *img, uint64_t started_wall_ns, uint64_t duration_ns,
		       const int32_t *pids, int npids, FILE *kallsyms)
{
	struct stacks_summary sum;
	struct pprof_meta m = {0};
	struct symaddr *sa = NULL;
	int rc;

	/* Live: the targets' modules and the running kernel give addresses,
	 * mappings and build ids. A replay names no process (they may be gone,
	 * the kernel another): names only. */
	if (npids && (sa = symaddr_new(stacks_image_agg(img)))) {
		for (int i = 0; i < npids; i++)
			symaddr_add_process(sa, pids[i]);
		symaddr_add_kernel(sa, kallsyms);
		m.maps = symaddr_maps(sa, &m.nmaps);
		m.resolve = symaddr_resolve;
		m.resolve_ctx = sa;
	}
	stacks_image_summary(img, &sum);
	m.time_ns = started_wall_ns;
	m.duration_ns = duration_ns;
	m.period_ns = 1000000000ULL / (sum.hz ? sum.hz : 1);
	/* one state kept: its stacks carry no [on-cpu]/[off-cpu] marker */
	m.unmarked_oncpu = !(sum.flags & STACKS_OFFCPU);
	rc = pprof_write(fp, stacks_image_agg(img), &m);
	symaddr_free(sa);
	return rc;
}

int stacks_pprof_report(struct run_opts *o, const void *img, const char *name,
			uint64_t started_wall_ns, double duration_s)
{
	FILE *fp;
	int rc;

	if (!img || strcmp(name, "stacks") != 0) {
		snprintf(o->err, sizeof(o->err),
			 "-f pprof: only the stacks image has stacks to profile: give "
			 "'procimage report FILE stacks -f pprof' (record with --stacks)");
		return EXIT_USAGE;
	}
	fp = opts_open_output(o);
	if (!fp)
		return 1;
	rc = stacks_pprof_write(fp, img, started_wall_ns, (uint64_t)(duration_s * 1e9), NULL, 0,
				NULL);
	if (rc)
		snprintf(o->err, sizeof(o->err), "cannot write the pprof profile: %s",
			 strerror(-rc));
	return opts_close_output(o, fp) || rc ? 1 : 0;
}

/* Folded, SVG or pprof: the document is the data; warnings go to stderr. */
static int write_graph(struct run *r, struct run_opts *o, const struct sopts *s, FILE *fp)
{
	void *img = run_image(r, "stacks");
	const struct stack_agg *agg = stacks_image_agg(img);
	const struct source_status *pt = run_source_status(r, SRC_PTRACE);
	struct stacks_summary sum;
	char title[256], sub[512], started[40];

	stacks_image_summary(img, &sum);
	if (pt->state == SOURCE_DEGRADED)
		out_printf(stderr, "procimage stacks: user stacks degraded: %s\n", pt->reason);
	if (!sum.samples)
		fprintf(stderr,
			"procimage stacks: no samples (did the targets live during the run?)\n");
	if (o->fmt == OUT_FOLDED)
		return stack_agg_write_folded(agg, fp) ? 1 : 0;
	if (o->fmt == OUT_PPROF) {
		uint64_t dur = run_ended_ns(r) - run_started_ns(r);
		return stacks_pprof_write(fp, img, clock_wall_ns() - dur, dur, o->targets.pids,
					  o->targets.npids, s->kallsyms)
			   ? 1
			   : 0;
	}
	if (o->targets.npids)
		snprintf(title, sizeof(title), "procimage stacks: pid %d%s", o->targets.pids[0],
			 o->targets.npids > 1 ? " and more" : "");
	else
		snprintf(title, sizeof(title), "procimage stacks: %.200s",
			 o->targets.have_comm ? o->targets.comm_src : o->targets.cgroup);
	clock_format_rfc3339(clock_wall_ns(), started, sizeof(started));
	snprintf(sub, sizeof(sub),
		 "%llu samples at %u Hz from %u threads, %.1f%% on CPU; %s%s%s; %s",
		 (unsigned long long)sum.samples, sum.hz, sum.threads,
		 sum.samples ? 100.0 * (double)sum.oncpu / (double)sum.samples : 0.0,
		 sum.flags & STACKS_USER ? "user stacks by ptrace" : "",
		 (sum.flags & STACKS_USER) && (sum.flags & STACKS_KERNEL) ? ", " : "",
		 sum.flags & STACKS_KERNEL
		     ? (sum.kernel_from_wchan ? "kernel: wchan only" : "kernel stacks (_[k])")
		     : "",
		 started);
	struct flamegraph_opts fo = {.title = s->title ? s->title : title, .subtitle = sub};
	return flamegraph_write_svg_ex(fp, agg, &fo) ? 1 : 0;
}

static int emit(struct run *r, struct run_opts *o, const struct sopts *s)
{
	FILE *fp;
	int rc = 0;

	if (o->fmt == OUT_PROM || o->fmt == OUT_CSV || o->fmt == OUT_HTML)
		return report_write_run(o, r) ? 1 : 0; /* as report FILE stacks */
	fp = opts_open_output(o);
	if (!fp) {
		fprintf(stderr, "procimage stacks: %s\n", o->err);
		return 1;
	}
	if (o->fmt == OUT_FOLDED || o->fmt == OUT_SVG || o->fmt == OUT_PPROF) {
		rc = write_graph(r, o, s, fp);
	} else {
		struct out out;
		out_init(&out, fp, o->fmt);
		run_report(r, &out);
	}
	if (fflush(fp) || ferror(fp)) {
		fprintf(stderr, "procimage stacks: cannot write the output: %s\n", strerror(errno));
		rc = 1;
	}
	if (fp != stdout)
		fclose(fp);
	return rc;
}

static int run_stacks(struct run_opts *o, const struct sopts *s)
{
	const char *names[1] = {"stacks"};
	unsigned flags = image_flags(o, s);
	struct run *r = run_new(&o->run, names, 1);
	int rc;

	if (!r) {
		fprintf(stderr, "procimage stacks: %s\n", o->err);
		return 1;
	}
	stacks_image_configure(run_image(r, "stacks"), flags, (uint32_t)o->stack_hz);
	if (!(flags & STACKS_USER))
		run_skip_source(r, SRC_PTRACE);
	rc = run_start(r);
	if (rc) {
		fprintf(stderr, "procimage stacks: %s\n", o->err);
	} else if ((flags & STACKS_USER) &&
		   run_source_status(r, SRC_PTRACE)->state == SOURCE_UNAVAILABLE) {
		fprintf(stderr,
			"procimage stacks: cannot sample user stacks: %s\n"
			"  (--kernel gives kernel stacks without ptrace)\n",
			run_source_status(r, SRC_PTRACE)->reason);
		rc = 1;
	} else {
		rc = run_loop(r);
		if (rc)
			fprintf(stderr, "procimage stacks: %s\n", o->err);
		else if ((rc = run_exit_code(r)) == EXIT_NOTARGET)
			fprintf(stderr, "procimage stacks: %s\n",
				targets_none_matched(&o->targets));
		else
			rc = emit(r, o, s);
	}
	if (o->stats)
		run_print_stats(r, stderr);
	run_free(r);
	return rc;
}

int cmd_stacks(int argc, char **argv)
{
	struct run_opts o;
	struct sopts s = {.hz = PTRACE_STACK_DEFAULT_HZ};
	char fbuf[64] = "";
	int first, rc;

	opts_defaults(&o, argv[0]);
	s.fmt_given = fmt_given(argc, argv);
	map_short_f(argc, argv, fbuf, sizeof(fbuf));
	rc = opts_parse_ex(&o, argc, argv, help, &first, extra, on_extra, &s);
	if (rc < 0) {
		opts_free(&o);
		return 0;
	}
	if (rc || (rc = check_opts(&o, &s, argc, argv, first)))
		return usage_error(&o);
	o.interval_ns = NS_PER_S / (uint64_t)s.hz;
	o.stack_hz = s.hz;
	o.stack_flags = s.oncpu ? PSTACK_ONCPU_ONLY : 0;
	if (o.fmt == OUT_PPROF)
		s.kallsyms = fopen("/proc/kallsyms", "re");
	rc = run_stacks(&o, &s);
	if (s.kallsyms)
		fclose(s.kallsyms);
	opts_free(&o);
	return rc;
}
