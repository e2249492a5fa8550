/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * procimage record: every record of every available source into a store.
 *
 * No image runs (unless --report asks for a live report too): the procfs
 * source reads the union of the files the registered images declare, and
 * every source some image can use is started, so that `report` can later
 * rebuild any image from the file. Recording runs until -d ends or a stop
 * signal; the store commits at least every second.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli/command_table.h"
#include "cli/store_cmd.h"
#include "core/clock.h"
#include "sources/procfs.h"

static const char help[] =
    "usage: procimage record -o FILE [TARGETS] [-d DUR] [-i INT] [--max-size SIZE]\n"
    "                        [--max-age DUR] [--report IMAGE[,IMAGE..] [-f FMT]] [--stacks]\n"
    "Record every record of every available source into FILE (SQLite, WAL), for\n"
    "`procimage report FILE`. Without TARGETS the whole host is recorded (every\n"
    "process's stat, threads of processes that use CPU). Runs until -d ends, Ctrl-C\n"
    "or SIGTERM; commits at least every second, so a crash loses at most 1 s;\n"
    "SIGHUP commits at once.\n"
    "  -o FILE           the recording (replaced if it exists; mode 0600); once: a\n"
    "                    --report goes to stdout (redirect it)\n"
    "  -i INT            sampling interval (default 100ms for record)\n"
    "  --max-size SIZE   keep the file under SIZE (512k, 100M, 2G): oldest data goes\n"
    "  --max-age DUR     drop data older than DUR (e.g. 1h, 7d is 168h)\n"
    "  --report IMAGES   also run these images live and print their report at the\n"
    "                    end (-f text|json|prom|csv|html; report output goes to stdout)\n"
    "  --stacks          also sample user stacks of the targets by ptrace (stops each\n"
    "                    sampled thread ~0.1 ms at every sample; off by default, as in\n"
    "                    every command but stacks; --report stacks turns it on too;\n"
    "                    not with the whole host)\n"
    "  --dry-run         sample everything a recording would, write nothing (to\n"
    "                    measure what the store itself costs, with --stats)\n";

enum { OPT_MAX_SIZE = OPTS_EXTRA_BASE, OPT_MAX_AGE, OPT_REPORT, OPT_DRY_RUN, OPT_STACKS };

static const struct option extra[] = {
    {"max-size", required_argument, NULL, OPT_MAX_SIZE},
    {"max-age", required_argument, NULL, OPT_MAX_AGE},
    {"report", required_argument, NULL, OPT_REPORT},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"stacks", no_argument, NULL, OPT_STACKS},
    {NULL, 0, NULL, 0},
};

int parse_size(const char *s, uint64_t *out)
{
	char *end;
	double v;
	uint64_t mul = 1;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		mul = 1ull << 10;
		end++;
		break;
	case 'm':
	case 'M':
		mul = 1ull << 20;
		end++;
		break;
	case 'g':
	case 'G':
		mul = 1ull << 30;
		end++;
		break;
	case 't':
	case 'T':
		mul = 1ull << 40;
		end++;
		break;
	default:
		break;
	}
	if (*end == 'i' && mul > 1)
		end++;
	if ((*end == 'B' || *end == 'b') && end[1] == 0)
		end++;
	if (*end || v * (double)mul > 1.8e19)
		return -EINVAL;
	*out = (uint64_t)(v * (double)mul);
	return 0;
}

static int add_images(struct run_opts *o, const char *list, const char **names, int *n)
{
	char *dup = strdup(list), *save = NULL;
	int rc = 0;

	for (char *tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct image_ops *ops = image_find(tok);
		if (!ops || *n >= RUN_MAX_IMAGES) {
			char all[160];
			report_image_list(all, sizeof(all));
			snprintf(o->err, sizeof(o->err), "--report '%s': unknown image: use %s",
				 tok, all);
			rc = EXIT_USAGE;
			break;
		}
		names[(*n)++] = ops->name; /* static storage, unlike tok */
	}
	free(dup);
	return rc;
}

static int on_extra(void *ctx, struct run_opts *o, int code, const char *arg)
{
	struct record_cfg *c = ctx;

	switch (code) {
	case OPT_MAX_SIZE:
		if (parse_size(arg, &c->lim.max_size) || c->lim.max_size < 65536) {
			snprintf(o->err, sizeof(o->err),
				 "--max-size '%s' is not a size of at least"
				 " 64k: use e.g. 512k, 100M, 2G",
				 arg);
			return EXIT_USAGE;
		}
		return 0;
	case OPT_MAX_AGE:
		if (duration_parse(arg, &c->lim.max_age_ns) || !c->lim.max_age_ns) {
			snprintf(o->err, sizeof(o->err),
				 "--max-age '%s' is not a duration: use e.g."
				 " 30m, 24h",
				 arg);
			return EXIT_USAGE;
		}
		return 0;
	case OPT_REPORT:
		return add_images(o, arg, c->live, &c->nlive);
	case OPT_DRY_RUN:
		c->dry_run = 1;
		return 0;
	case OPT_STACKS:
		c->stacks = 1;
		return 0;
	}
	return EXIT_USAGE;
}

struct tee {
	struct store_writer *w;
	struct run *run;
	int failed;
};

static void tee_fn(void *ctx, const struct record *r)
{
	struct tee *t = ctx;

	/* After the store is closed (run_free stops sources that run_loop did
	 * not, e.g. when the named pids were gone at the start, and a source
	 * may drain records then), nothing more is written. */
	if (!t->w)
		return;
	if (store_append(t->w, r) && !t->failed) {
		t->failed = 1;
		loop_stop(run_loop_handle(t->run));
	}
}

/* SIGHUP: commit now (the diagnose-tools front end asks before a report). */
static void on_signal(void *ctx, int signo)
{
	struct tee *t = ctx;

	if (signo == SIGHUP && store_flush(t->w) && !t->failed) {
		t->failed = 1;
		loop_stop(run_loop_handle(t->run));
	}
}

/* Whether an image named on the command line (--report, or the images of a
 * diagnose-tools collector) takes its records from the source. */
static int named_image_uses(const struct record_cfg *c, int src)
{
	for (int i = 0; i < c->nlive + c->nonly; i++) {
		const struct image_ops *ops =
		    image_find(i < c->nlive ? c->live[i] : c->only[i - c->nlive]);
		if (ops && (ops->sources & (1u << src)))
			return 1;
	}
	return 0;
}

/* ptrace stops every thread it samples (and keeps each sampled process's
 * binaries and debug info mapped for symbols): like audit, it is opt-in. */
static int ptrace_wanted(const struct record_cfg *c)
{
	return c->stacks || named_image_uses(c, SRC_PTRACE);
}

/* What every image (or the chosen ones) reads and which sources they use. */
static void want_everything(struct run *r, const struct record_cfg *c)
{
	uint32_t needs = 0, pneeds = 0;
	int hot = 0;

	for (int i = 0;; i++) {
		const struct image_ops *ops =
		    c->nonly ? (i < c->nonly ? image_find(c->only[i]) : NULL) : image_at(i);
		if (!ops)
			break;
		needs |= ops->needs;
		pneeds |= ops->pneeds;
		hot |= ops->hostwide_hot;
		for (int s = 0; s < SRC_COUNT; s++)
			if (ops->sources & (1u << s))
				run_want_source(r, s);
	}
	run_want_files(r, needs, pneeds, hot);
	if (!ptrace_wanted(c))
		run_skip_source(r, SRC_PTRACE);
}

static void fill_info(struct store_info *in, struct run *r, const struct run_opts *o,
		      const struct record_cfg *c)
{
	struct utsname u;
	size_t n = 0;

	memset(in, 0, sizeof(*in));
	uname(&u);
	snprintf(in->host, sizeof(in->host), "%s", u.nodename);
	snprintf(in->kernel, sizeof(in->kernel), "%s", u.release);
	in->started_mono_ns = run_started_ns(r);
	in->started_wall_ns = clock_mono_to_wall_ns(in->started_mono_ns);
	in->interval_ns = o->interval_ns;
	in->ticks_per_s = clock_ticks_per_s();
	in->page_size = sysconf(_SC_PAGESIZE);
	snprintf(in->command, sizeof(in->command), "%s", c->command ? c->command : "");
	for (int i = 0; i < c->nonly && n < sizeof(in->images) - 16; i++)
		n += (size_t)snprintf(in->images + n, sizeof(in->images) - n, "%s%s", i ? "," : "",
				      c->only[i]);
}

static void all_status(struct run *r, struct source_status *st)
{
	procfs_status(run_procfs(r), run_source_status(r, SRC_PROCFS));
	for (int s = 0; s < SRC_COUNT; s++)
		st[s] = *run_source_status(r, s);
}

static void live_report(void *ctx, struct out *o)
{
	run_report(ctx, o);
}

static int finish(struct run *r, struct run_opts *o, const struct record_cfg *c,
		  struct store_writer *w, struct tee *t, int rc)
{
	struct source_status st[SRC_COUNT];
	char err[256] = "";

	all_status(r, st);
	store_set_sources(w, st);
	if (t->failed)
		fprintf(stderr, "procimage record: writing '%s' failed: %s\n", c->path,
			store_error(w));
	t->w = NULL;
	if (store_close(w, run_ended_ns(r), err, sizeof(err)) && !t->failed)
		fprintf(stderr, "procimage record: writing '%s' failed: %s\n", c->path, err);
	else if (!t->failed && rc == 0 && (rc = run_exit_code(r)) == EXIT_NOTARGET)
		fprintf(stderr, "procimage record: %s\n", targets_none_matched(&o->targets));
	if (t->failed)
		rc = 1;
	if (rc == 0 && c->nlive && report_write(o, live_report, r))
		rc = 1;
	if (o->stats)
		run_print_stats(r, stderr);
	return rc;
}

static int dry_run(struct run *r, struct run_opts *o)
{
	int rc = run_loop(r);

	if (rc)
		fprintf(stderr, "procimage %s: %s\n", o->cmd, o->err);
	if (o->stats)
		run_print_stats(r, stderr);
	run_free(r);
	return rc;
}

int record_run(struct run_opts *o, const struct record_cfg *c)
{
	struct store_info info;
	struct tee t = {0};
	struct run *r;
	int rc;

	if (c->until_stopped)
		o->duration_ns = 100ull * 365 * 24 * 3600 * NS_PER_S;
	r = run_new(&o->run, c->live, c->nlive);
	if (!r)
		return fprintf(stderr, "procimage %s: %s\n", o->cmd, o->err), 1;
	want_everything(r, c);
	rc = run_start(r);
	if (rc) {
		fprintf(stderr, "procimage %s: %s\n", o->cmd, o->err);
		run_free(r);
		return rc;
	}
	if (!ptrace_wanted(c))
		source_set(run_source_status(r, SRC_PTRACE), SOURCE_UNAVAILABLE,
			   "opt-in (each sampled thread is stopped by ptrace): use --stacks");
	if (c->dry_run)
		return dry_run(r, o);
	fill_info(&info, r, o, c);
	t.run = r;
	t.w = store_create(c->path, &info, &c->lim, o->err, sizeof(o->err));
	if (!t.w) {
		fprintf(stderr, "procimage %s: %s\n", o->cmd, o->err);
		run_free(r);
		return 1;
	}
	struct source_status st[SRC_COUNT];
	all_status(r, st);
	store_set_sources(t.w, st);
	run_add_sink(r, (struct record_sink){tee_fn, &t});
	loop_on_signal(run_loop_handle(r), on_signal, &t);
	if (c->ready_fd >= 0) {
		if (write(c->ready_fd, "1", 1) < 0)
			(void)0; /* the parent only waits for it; nothing to do */
		close(c->ready_fd);
	}
	rc = run_loop(r);
	if (rc)
		fprintf(stderr, "procimage %s: %s\n", o->cmd, o->err);
	rc = finish(r, o, c, t.w, &t, rc);
	run_free(r);
	return rc;
}

static void join_args(char *buf, size_t len, int argc, char **argv)
{
	size_t n = (size_t)snprintf(buf, len, "procimage");

	for (int i = 0; i < argc && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, " %s", argv[i]);
}

int cmd_record(int argc, char **argv)
{
	struct run_opts o;
	struct record_cfg c = {.ready_fd = -1};
	char cmdline[512];
	int first, rc;

	opts_defaults(&o, argv[0]);
	o.interval_ns = 100 * NS_PER_MS;
	rc = opts_parse_ex(&o, argc, argv, help, &first, extra, on_extra, &c);
	if (rc < 0)
		return opts_free(&o), 0;
	if (rc == 0 && first < argc)
		snprintf(o.err, sizeof(o.err),
			 "unexpected argument '%s': the file is given with"
			 " -o FILE, targets with -p, --comm, --cgroup or -a",
			 argv[first]),
		    rc = 2;
	if (rc == 0 && !c.dry_run && (!o.output || !strcmp(o.output, "-")))
		snprintf(o.err, sizeof(o.err), "no recording file: give -o FILE"), rc = 2;
	if (rc == 0 && o.fmt_set && !c.nlive)
		snprintf(o.err, sizeof(o.err),
			 "-f applies to a live report: add --report IMAGE[,IMAGE..], or read "
			 "the recording later with 'procimage report FILE IMAGE -f FMT'"),
		    rc = 2;
	if (rc) {
		fprintf(stderr, "procimage record: %s\n", o.err);
		return opts_free(&o), EXIT_USAGE;
	}
	c.path = o.output ? o.output : "";
	o.output = NULL; /* a live --report goes to stdout */
	if (targets_empty(&o.targets))
		o.targets.all = 1;
	if (o.targets.all && ptrace_wanted(&c)) {
		fprintf(stderr,
			"procimage record: %s with the whole host would ptrace every process:"
			" name the targets with -p, --comm or --cgroup\n",
			c.stacks ? "--stacks" : "--report stacks");
		return opts_free(&o), EXIT_USAGE;
	}
	c.until_stopped = !o.duration_set;
	join_args(cmdline, sizeof(cmdline), argc, argv);
	c.command = cmdline;
	rc = record_run(&o, &c);
	opts_free(&o);
	return rc;
}
