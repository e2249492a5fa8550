/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * procimage syscall: the syscall image of the targets. Checks --syscalls
 * against the name table before anything is set up, and with
 * --source audit fails (exit 1, with the reason) instead of quietly
 * falling back to sampling.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "core/run.h"
#include "core/syscall_names.h"

static const char help[] =
    "usage: procimage syscall TARGETS [-d DUR] [-i INT] [--source auto|audit|sample]\n"
    "                         [--sequence N] [--syscalls LIST] [--top N] [-f text|json|folded] [-o "
    "FILE]\n"
    "\n"
    "Per-syscall counts, errors (by errno), time, top callers and the last N syscalls\n"
    "of each caller.\n"
    "  --source auto    audit records for exact counts when audit works here, else\n"
    "                   sampling; time is always sampled (default)\n"
    "  --source audit   audit only: fail if audit cannot capture the targets\n"
    "  --source sample  /proc/<tid>/syscall sampling only: estimated counts\n"
    "  --sequence N     keep the last N syscalls per caller (default 16)\n"
    "  --syscalls LIST  only these syscalls (names or numbers, comma separated)\n"
    "  -f folded        'comm;syscall count' lines for flamegraph.pl\n"
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

static int report(struct run *r, struct run_opts *o)
{
	FILE *fp = opts_open_output(o);
	struct out out;

	if (!fp) {
		fprintf(stderr, "procimage %s: %s\n", o->cmd, o->err);
		return 1;
	}
	out_init(&out, fp, o->fmt);
	run_report(r, &out);
	if (fp != stdout)
		fclose(fp);
	else
		fflush(stdout);
	return 0;
}

static int run_syscall(struct run_opts *o)
{
	const char *names[1] = {"syscall"};
	struct run *r = run_new(o, names, 1);
	int rc;

	if (!r)
		return fprintf(stderr, "procimage %s: %s\n", o->cmd, o->err), 1;
	if (!strcmp(o->source_mode, "sample"))
		run_skip_source(r, SRC_AUDIT);
	rc = run_start(r);
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
		fprintf(stderr, "procimage %s: no such process: none of the given pids exists\n",
			o->cmd);
	if (rc == 0)
		rc = report(r, o);
	if (o->stats)
		run_print_stats(r, stderr);
	run_free(r);
	return rc;
}

int cmd_syscall(int argc, char **argv)
{
	struct run_opts o;
	int first, rc;

	opts_defaults(&o, argv[0]);
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
