/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * procimage syscall: the syscall image of the targets. Checks --syscalls
 * against the name table before anything is set up, and with
 * --source audit fails (exit 1, with the reason) instead of quietly
 * falling back to sampling. Every format: text and JSON through the field
 * API, prom/csv/html derived from the JSON report (as the other image
 * commands), folded lines and an SVG flame graph from the comm;syscall
 * aggregate. Unless --no-ptrace or -a, the ptrace source samples where the
 * running threads' CPU time goes (sources/ptrace_syscall.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command_table.h"
#include "cli/options.h"
#include "cli/store_cmd.h"
#include "core/run.h"
#include "core/syscall_names.h"
#include "images/syscall_img.h"
#include "render/flamegraph.h"
#include "render/folded.h"

static const char help[] =
    "usage: procimage syscall TARGETS [-d DUR] [-i INT] [--source auto|audit|sample]\n"
    "                         [--sequence N] [--syscalls LIST] [--top N] [-o FILE]\n"
    "                         [-f text|json|prom|csv|html|folded|svg]\n"
    "\n"
    "Per-syscall counts, errors (by errno), time, top callers and the last N syscalls\n"
    "of each caller.\n"
    "  --source auto    audit records for exact counts when audit works here, else\n"
    "                   sampling; time is always sampled (default)\n"
    "  --source audit   audit only: fail if audit cannot capture the targets\n"
    "  --source sample  /proc/<tid>/syscall sampling only: estimated counts\n"
    "  --sequence N     keep the last N syscalls per caller (default 16)\n"
    "  --syscalls LIST  only these syscalls (names or numbers, comma separated)\n"
    "  --no-ptrace      no on-CPU samples: by default each running thread is\n"
    "                   ptrace-attached ~50 times a second, for a few microseconds,\n"
    "                   to read which syscall (or user code) it is running\n"
    "  -f prom          Prometheus text (node_exporter textfile; -o is replaced\n"
    "                   atomically): procimage_syscall_syscalls_count{name=..} etc.\n"
    "  -f csv           one row per syscall, caller and audited process\n"
    "  -f html          a self-contained HTML report (charts and tables)\n"
    "  -f folded        'comm;syscall count' lines for flamegraph.pl\n"
    "  -f svg           those lines drawn as a flame graph\n"
    "Audit needs CAP_AUDIT_CONTROL (+ CAP_AUDIT_READ) in the initial namespaces, and\n"
    "targets started after audit was first enabled since boot (install\n"
    "contrib/procimage-audit-boot.service, or boot with audit=1).\n"
    "Fields: count = exact number of calls (audit) or episodes seen blocked (sampled);\n"
    "time_ns/BLOCKED_MS = time seen blocked in the syscall, sampled at the interval;\n"
    "audit records carry no duration and name the process, not the thread.\n";

static int check_syscalls(struct run_opts *o)
{
	char buf[1024], *save = NULL;

	if (!o->syscalls)
		return 0;
	if (strlen(o->syscalls) >= sizeof(buf)) {
		snprintf(o->err, sizeof(o->err), "--syscalls list is too long");
		return EXIT_USAGE;
	}
	snprintf(buf, sizeof(buf), "%s", o->syscalls);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *end;
		long v = strtol(t, &end, 10);
		if (!*end && end != t && v >= 0 && v < 512)
			continue;
		if (syscall_nr(syscall_native_arch(), t) < 0 && syscall_nr(SC_ARCH_I386, t) < 0) {
			snprintf(o->err, sizeof(o->err),
				 "--syscalls: unknown syscall '%s': give names like "
				 "openat,read,getppid or numbers",
				 t);
			return EXIT_USAGE;
		}
	}
	return 0;
}

/* The flame graph of the comm;syscall aggregate. 0, or -errno. */
static int write_svg(struct run *r, const struct run_opts *o, FILE *fp)
{
	struct stack_agg *agg = stack_agg_new();
	char title[256], sub[256];
	int audit = agg ? sc_fold_agg(run_image(r, "syscall"), agg) : -ENOMEM;

	if (audit < 0) {
		stack_agg_free(agg);
		return -ENOMEM;
	}
	if (o->targets.npids)
		snprintf(title, sizeof(title), "procimage syscall: pid %d%s", o->targets.pids[0],
			 o->targets.npids > 1 ? " and more" : "");
	else if (o->targets.all)
		snprintf(title, sizeof(title), "procimage syscall: all processes");
	else
		snprintf(title, sizeof(title), "procimage syscall: %.200s",
			 o->targets.have_comm ? o->targets.comm_src : o->targets.cgroup);
	snprintf(sub, sizeof(sub), "%s",
		 audit ? "calls per process name and syscall: exact counts (audit)"
		       : "samples seen in each syscall (sampled: estimates)");
	struct flamegraph_opts fo = {
	    .title = title, .subtitle = sub, .unit = audit ? "calls" : "samples"};
	int rc = flamegraph_write_svg_ex(fp, agg, &fo);
	stack_agg_free(agg);
	return rc;
}

static int report(struct run *r, struct run_opts *o)
{
	FILE *fp;
	int rc = 0;

	/* text and JSON; prom, csv and html derived from the JSON report */
	if (o->fmt != OUT_FOLDED && o->fmt != OUT_SVG)
		return report_write_run(o, r);
	fp = opts_open_output(o);
	if (!fp) {
		fprintf(stderr, "procimage %s: %s\n", o->cmd, o->err);
		return 1;
	}
	if (o->fmt == OUT_SVG) {
		rc = write_svg(r, o, fp);
	} else {
		struct out out;
		out_init(&out, fp, o->fmt);
		run_report(r, &out);
	}
	if (fflush(fp) || ferror(fp))
		rc = -EIO;
	if (fp != stdout && fclose(fp))
		rc = -EIO;
	if (rc) {
		fprintf(stderr, "procimage %s: cannot write the report to '%s': %s\n", o->cmd,
			o->output ? o->output : "stdout", strerror(-rc));
		return 1;
	}
	return 0;
}

static int run_syscall(struct run_opts *o)
{
	const char *names[1] = {"syscall"};
	struct run *r = run_new(&o->run, names, 1);
	int rc;

	if (!r)
		return fprintf(stderr, "procimage %s: %s\n", o->cmd, o->err), 1;
	if (!strcmp(o->source_mode, "sample"))
		run_skip_source(r, SRC_AUDIT);
	/* On-CPU syscall samples of the running threads by ptrace, attached
	 * only for each sample; never host-wide. */
	int oncpu = !o->no_ptrace && !o->targets.all;
	o->ptrace_syscalls = oncpu;
	if (oncpu)
		run_want_source(r, SRC_PTRACE);
	rc = run_start(r);
	if (rc == 0 && !oncpu)
		source_set(run_source_status(r, SRC_PTRACE), SOURCE_UNAVAILABLE, "%s",
			   o->no_ptrace
			       ? "--no-ptrace: no on-CPU syscall samples"
			       : "not host-wide: on-CPU syscall samples attach to each "
				 "running thread; name the targets (-p, --comm, --cgroup)");
	if (rc == 0 && !strcmp(o->source_mode, "audit") &&
	    run_source_status(r, SRC_AUDIT)->state == SOURCE_UNAVAILABLE) {
		snprintf(o->err, sizeof(o->err), "--source audit: audit cannot capture here: %s",
			 run_source_status(r, SRC_AUDIT)->reason);
		rc = 1;
	}
	if (rc) {
		fprintf(stderr, "procimage %s: %s\n", o->cmd, o->err);
		run_free(r);
		return rc;
	}
	rc = run_loop(r);
	if (rc == 0 && (rc = run_exit_code(r)) == EXIT_NOTARGET)
		fprintf(stderr, "procimage %s: %s\n", o->cmd, targets_none_matched(&o->targets));
	if (rc == 0)
		rc = report(r, o);
	if (o->stats) {
		run_print_stats(r, stderr);
		/* What the on-CPU samples cost the targets (bench/ptrace_syscall.sh). */
		if (oncpu && run_source_status(r, SRC_PTRACE)->reason[0])
			out_printf(stderr, "  ptrace cost: %s\n",
				   run_source_status(r, SRC_PTRACE)->reason);
	}
	run_free(r);
	return rc;
}

int cmd_syscall(int argc, char **argv)
{
	struct run_opts o;
	int first, rc;

	opts_defaults(&o, argv[0]);
	o.audit_by_default = 1; /* the syscall image's own command: exact counts */
	rc = opts_parse(&o, argc, argv, help, &first);
	if (rc < 0)
		return opts_free(&o), 0;
	if (rc == 0 && first < argc) {
		snprintf(o.err, sizeof(o.err),
			 "unexpected argument '%s': targets are given with -p PID, --comm, "
			 "--cgroup or -a",
			 argv[first]);
		rc = EXIT_USAGE;
	}
	if (rc == 0 && targets_empty(&o.targets)) {
		snprintf(o.err, sizeof(o.err),
			 "no target: give -p PID, --comm REGEX, --cgroup PATH or -a");
		rc = EXIT_USAGE;
	}
	if (rc == 0)
		rc = check_syscalls(&o);
	if (rc) {
		fprintf(stderr, "procimage %s: %s\n", o.cmd, o.err);
		opts_free(&o);
		return rc;
	}
	rc = run_syscall(&o);
	opts_free(&o);
	return rc;
}
