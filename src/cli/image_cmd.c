/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shared body of the image commands: parse options, check targets, run
 * the pipeline for the duration (or until Ctrl-C), print the report, and map
 * the outcome to the exit codes of SPEC.md.
 */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/store_cmd.h"
#include "core/run.h"

static int usage_error(const struct run_opts *o)
{
	fprintf(stderr, "procimage %s: %s\n", o->cmd, o->err);
	return EXIT_USAGE;
}

int image_cmd_run(int argc, char **argv, const char *image, const char *help)
{
	struct run_opts o;
	int first, rc;
	const char *names[1] = {image};

	opts_defaults(&o, argv[0]);
	rc = opts_parse(&o, argc, argv, help, &first);
	if (rc < 0) {
		opts_free(&o);
		return 0;
	}
	if (rc)
		return opts_free(&o), usage_error(&o);
	if (first < argc) {
		snprintf(o.err, sizeof(o.err),
			 "unexpected argument '%s': targets are given with -p PID, --comm, "
			 "--cgroup or -a",
			 argv[first]);
		return opts_free(&o), usage_error(&o);
	}
	if (targets_empty(&o.targets)) {
		if (strcmp(image, "sched") != 0) {
			snprintf(o.err, sizeof(o.err),
				 "no target: give -p PID, --comm REGEX, --cgroup PATH or -a");
			return opts_free(&o), usage_error(&o);
		}
		o.targets.all = 1; /* sched is host-wide by default */
	}
	struct run *r = run_new(&o, names, 1);
	if (!r)
		return fprintf(stderr, "procimage %s: %s\n", o.cmd, o.err), opts_free(&o), 1;
	rc = run_start(r);
	if (rc) {
		fprintf(stderr, "procimage %s: %s\n", o.cmd, o.err);
		run_free(r);
		opts_free(&o);
		return rc;
	}
	rc = run_loop(r);
	if (rc == 0 && (rc = run_exit_code(r)) == EXIT_NOTARGET)
		fprintf(stderr, "procimage %s: no such process: none of the given pids exists\n",
			o.cmd);
	if (rc == 0 && (o.fmt == OUT_PROM || o.fmt == OUT_CSV || o.fmt == OUT_HTML)) {
		rc = report_write_run(&o, r); /* derived from the JSON report */
	} else if (rc == 0) {
		FILE *fp = opts_open_output(&o);
		if (!fp) {
			fprintf(stderr, "procimage %s: %s\n", o.cmd, o.err);
			rc = 1;
		} else {
			struct out out;
			out_init(&out, fp, o.fmt);
			run_report(r, &out);
			if (fp != stdout)
				fclose(fp);
			else
				fflush(stdout);
		}
	}
	if (o.stats)
		run_print_stats(r, stderr);
	run_free(r);
	opts_free(&o);
	return rc;
}
