/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * procimage triage (the default command): diagnose-tools' four-step workflow
 * in one bounded run. 1) scan every thread on the host with the sched image
 * for half the duration; 2) pick the worst offenders (hogs by longest run,
 * else the busiest), never procimage itself nor --exclude'd names; 3) image
 * them with the images the command table marks for offenders (resource,
 * keytime, syscall, migrate) for the rest of
 * the duration; 4) print a diagnosis in plain words with its evidence, the
 * sources that were missing, then the images themselves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/command_table.h"
#include "cli/options.h"
#include "core/clock.h"
#include "core/run.h"
#include "cli/triage.h"
#include "images/keytime.h"
#include "sources/procfs.h"
#include "sources/ptrace_stack.h"

#define TRIAGE_CANDIDATES 64
#define OPT_FOCUS	  OPTS_EXTRA_BASE

static const struct option extra_opts[] = {
    {"focus", required_argument, NULL, OPT_FOCUS},
    {NULL, 0, NULL, 0},
};
#define MIN_BUSY_PCT 5.0 /* a non-hog must use this much of a CPU to matter */

static const char help[] =
    "usage: procimage [triage] [-d DUR] [-i INT] [--top N] [--exclude COMM[,COMM..]]\n"
    "                 [--threshold DUR] [--stacks] [--no-ptrace] [--focus PID]\n"
    "                 [-f text|json|prom|csv|html] [-o FILE]\n"
    "\n"
    "Find the tasks that hold CPUs and hurt others, image them, and explain.\n"
    "1. scan every thread on the host with the sched image (first half of -d);\n"
    "2. pick the worst offenders: threads with the longest occupancy runs\n"
    "   (>= --threshold), else the busiest processes (>= 5% of a CPU);\n"
    "   procimage itself and --exclude'd names are never picked;\n"
    "3. image them with resource, keytime, syscall and migrate (second half);\n"
    "4. print a diagnosis in plain words with the evidence and the data sources\n"
    "   that were missing, then the images.\n"
    "\n"
    "  -d, --duration   total time (default 10s; the run ends within it)\n"
    "  -i, --interval   sampling interval (default 10ms)\n"
    "  --top N          offenders to image (default 3)\n"
    "  --exclude LIST   comm names never to pick (thread or process comm)\n"
    "  --threshold DUR  occupancy run threshold (default 50ms)\n"
    "  --stacks         also read kernel stacks of the hogs (CAP_SYS_ADMIN)\n"
    "  --focus PID      also image PID whatever it did, and tell first how long it\n"
    "                   waited for a CPU and behind which hogs (watch captures)\n"
    "  --no-ptrace      no on-CPU syscall samples of the offenders (by default,\n"
    "                   with CAP_SYS_PTRACE, their running threads are attached\n"
    "                   ~50 times a second, a few microseconds each, in step 3)\n"
    "  -f, --format     text (default), json, prom, csv (the offenders, then each\n"
    "                   image's rows) or html;  -o FILE  write the report there\n";

static int excluded(const struct triage *t, const struct sched_offender *c)
{
	const struct triage_proc *p = triage_facts_get(t->f1, c->tgid);
	const char *list = t->o.exclude;

	while (list && *list) {
		size_t n = strcspn(list, ",");
		if ((n == strlen(c->comm) && !strncmp(list, c->comm, n)) ||
		    (p && n == strlen(p->comm) && !strncmp(list, p->comm, n)))
			return 1;
		list += n + (list[n] == ',');
	}
	return 0;
}

/* --focus: the process goes first among the offenders, as the scan saw it
 * (its busiest thread) or, if it never ran, by its pid alone. */
static void add_focus(struct triage *t, const struct sched_offender *cand, int n)
{
	struct sched_offender f = {.tgid = t->focus, .tid = t->focus};
	const struct triage_proc *p = triage_facts_get(t->f1, t->focus);
	int at = -1;

	for (int i = 0; i < n; i++)
		if (cand[i].tgid == t->focus) {
			f = cand[i];
			break;
		}
	if (f.comm[0] == '\0')
		snprintf(f.comm, sizeof(f.comm), "%s", p ? p->comm : "?");
	for (int k = 0; k < t->noff; k++)
		if (t->off[k].tgid == t->focus)
			at = k;
	if (at < 0)
		at = t->noff < TRIAGE_MAX ? t->noff++ : t->noff - 1;
	memmove(&t->off[1], &t->off[0], (size_t)at * sizeof(t->off[0]));
	t->off[0] = f;
}

static int on_extra(void *ctx, struct run_opts *o, int code, const char *arg)
{
	struct triage *t = ctx;
	char *end;
	long v = strtol(arg, &end, 10);

	if (code != OPT_FOCUS)
		return EXIT_USAGE;
	if (*end || end == arg || v <= 0 || v > 0x3fffffff) {
		snprintf(o->err, sizeof(o->err), "--focus: '%s' is not a pid", arg);
		return EXIT_USAGE;
	}
	t->focus = (int32_t)v;
	return 0;
}

/* Step 2: the worst offenders, one per process. */
void triage_pick(struct triage *t)
{
	struct sched_offender cand[TRIAGE_CANDIDATES];
	int32_t self = getpid();
	struct sched_img *s = t->scan_sched;
	int top = t->o.top > 0 ? t->o.top : 3;
	int n;

	/* The scan is over: a run still going (a hog spinning through its end)
	 * is closed here, else it would rank with a longest run of 0, behind
	 * any thread whose short run had ended. */
	sched_finish(s);
	n = sched_offenders(s, cand, TRIAGE_CANDIDATES, &self, 1);

	for (int i = 0; i < n && t->noff < top && t->noff < TRIAGE_MAX; i++) {
		const struct sched_offender *c = &cand[i];
		int dup = 0;
		for (int k = 0; k < t->noff; k++)
			dup |= t->off[k].tgid == c->tgid;
		if (dup || excluded(t, c))
			continue;
		if (c->longest_run_ns < s->p.threshold_ns) {
			const struct triage_proc *p = triage_facts_get(t->f1, c->tgid);
			if (!p || triage_cpu_pct(t->f1, p) < MIN_BUSY_PCT)
				continue;
		}
		t->off[t->noff++] = *c;
	}
	if (t->focus)
		add_focus(t, cand, n);
}

static int start_run(struct triage *t, struct run *r, struct triage_facts *f)
{
	int rc;

	run_add_sink(r, (struct record_sink){triage_facts_consume, f});
	rc = run_start(r);
	if (rc)
		fprintf(stderr, "procimage triage: %s\n", run_cfg(r)->err);
	(void)t;
	return rc;
}

/* Step 1. */
static int scan(struct triage *t)
{
	const char *names[1] = {"sched"};
	uint64_t want = t->o.duration_ns / 2;

	t->o.duration_ns = want > NS_PER_S ? want : NS_PER_S;
	t->o.targets.all = 1;
	t->o.keep_privs = 1; /* step 3 still needs them */
	t->f1 = triage_facts_new(clock_ticks_per_s());
	t->scan = run_new(&t->o.run, names, 1);
	if (!t->f1 || !t->scan)
		return fprintf(stderr, "procimage triage: %s\n", t->o.err), 1;
	int rc = start_run(t, t->scan, t->f1);
	if (rc)
		return rc;
	t->t0 = run_started_ns(t->scan);
	t->scan_sched = run_image(t->scan, "sched");
	t->scan_procfs = run_procfs(t->scan);
	rc = run_loop(t->scan);
	t->scan_ns = run_ended_ns(t->scan) - t->t0;
	t->interrupted = t->scan_ns + 100 * NS_PER_MS < t->o.duration_ns;
	return rc;
}

size_t triage_offender_pids(const struct triage *t, int with_gone, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < t->noff && off < len; i++)
		if (with_gone || !t->off[i].gone)
			off += (size_t)snprintf(buf + off, len - off, "%s%d", off ? "," : "",
						t->off[i].tgid);
	return off;
}

void triage_offender_images(struct triage *t)
{
	t->nnames = 0;
	for (size_t i = 0; i < command_count && t->nnames < RUN_MAX_IMAGES; i++)
		if ((command_table[i].flags & CMD_OFFENDERS) && image_find(command_table[i].name))
			t->names[t->nnames++] = command_table[i].name;
}

/* Step 3: every plug-in image the registry has, on the offenders' pids. */
static int deep(struct triage *t, uint64_t total_ns)
{
	char pids[TRIAGE_MAX * 12];
	size_t off = triage_offender_pids(t, 0, pids, sizeof(pids));
	uint64_t spent = clock_mono_ns() - t->t0;

	if (!off || t->interrupted)
		return 0;
	if (spent + NS_PER_S > total_ns) {
		/* Never silent: the report would otherwise read as "nothing to
		 * image". The scan took half of -d (at least 1 s). */
		/* The scan is half of -d plus the first read of the host (its
		 * set-up, long on a big host): the deep look's 1 s (and 0.25 s
		 * to report) needs -d >= 2 x (that read + 1.25 s). */
		uint64_t setup = t->scan_ns > t->o.duration_ns ? t->scan_ns - t->o.duration_ns : 0;
		unsigned need =
		    (unsigned)((2 * (setup + NS_PER_S + NS_PER_S / 4) + NS_PER_S - 1) / NS_PER_S);
		snprintf(t->not_imaged, sizeof(t->not_imaged),
			 "%d offender(s) found but not imaged: -d %.1fs leaves %.1f s after the "
			 "%.1f s scan, under the 1 s a deep look needs; use -d %us or more to "
			 "image them",
			 t->noff, (double)total_ns / 1e9,
			 total_ns > spent ? (double)(total_ns - spent) / 1e9 : 0.0,
			 (double)t->scan_ns / 1e9, need > 4 ? need : 4);
		fprintf(stderr, "procimage triage: %s\n", t->not_imaged);
		return 0;
	}
	opts_defaults(&t->o2, "triage");
	t->o2.interval_ns = t->o.interval_ns;
	t->o2.proc_root = t->o.proc_root;
	t->o2.threshold_ns = t->o.threshold_ns;
	t->o2.stacks = t->o.stacks;
	t->o2.duration_ns = total_ns - spent - NS_PER_S / 4;
	/* On-CPU syscall samples of the offenders' running threads by ptrace
	 * (attached only for each sample), when it may: CAP_SYS_PTRACE, not
	 * --no-ptrace; a target another tracer holds is left alone. */
	t->o2.no_ptrace = t->o.no_ptrace;
	t->o2.ptrace_syscalls = !t->o.no_ptrace && ptrace_have_cap();
	if (targets_add_pids(&t->o2.targets, pids, t->o2.err, sizeof(t->o2.err)))
		return 0;
	triage_offender_images(t);
	t->f2 = triage_facts_new(clock_ticks_per_s());
	t->deep = run_new(&t->o2.run, t->names, t->nnames);
	if (!t->f2 || !t->deep)
		return 0; /* the diagnosis from the scan still stands */
	/* keytime follows the offenders' descendants (forks, execs, exits). The
	 * connector reads an exec's argv only for the run's targets and, with
	 * children, their descendants: those are then sampled too (an offender
	 * with a large tree costs more: see the report's --stats). */
	t->o2.children = 1;
	struct kt_img *kt = run_image(t->deep, "keytime");
	if (kt)
		kt->p.children = 1;
	run_want_files(t->deep, PF_STAT | PF_WCHAN | PF_SYSCALL | PF_SCHED, PF_STAT | PF_STATUS, 0);
	if (t->o2.ptrace_syscalls)
		run_want_source(t->deep, SRC_PTRACE);
	if (start_run(t, t->deep, t->f2)) {
		run_free(t->deep);
		t->deep = NULL;
		return 0;
	}
	if (!t->o2.ptrace_syscalls)
		source_set(run_source_status(t->deep, SRC_PTRACE), SOURCE_UNAVAILABLE, "%s",
			   t->o.no_ptrace
			       ? "--no-ptrace: no on-CPU syscall samples of the offenders"
			       : "no CAP_SYS_PTRACE (run as root): no on-CPU syscall "
				 "samples of the offenders; the syscall image shows "
				 "blocked time and exact counters only");
	for (int i = 0; i < t->nnames; i++)
		t->deep_img[i] = run_image(t->deep, t->names[i]);
	uint64_t d0 = run_started_ns(t->deep);
	int rc = run_loop(t->deep);
	t->deep_ns = run_ended_ns(t->deep) - d0;
	return rc;
}

/* What the report says of the runs: each source as the later run saw it,
 * else as the scan saw it; the span from the scan's start. */
static void finish(struct triage *t)
{
	uint64_t end = t->deep ? run_ended_ns(t->deep) : run_ended_ns(t->scan);

	procfs_status(run_procfs(t->scan), run_source_status(t->scan, SRC_PROCFS));
	if (t->deep)
		procfs_status(run_procfs(t->deep), run_source_status(t->deep, SRC_PROCFS));
	for (int s = 0; s < SRC_COUNT; s++) {
		t->src[s] = *run_source_status(t->scan, s);
		if (t->deep && run_source_status(t->deep, s)->state != SOURCE_UNUSED)
			t->src[s] = *run_source_status(t->deep, s);
	}
	t->wall0_ns = clock_mono_to_wall_ns(t->t0);
	t->total_s = (double)(end - t->t0) / 1e9;
}

int cmd_triage(int argc, char **argv)
{
	struct triage t;
	int first, rc;

	memset(&t, 0, sizeof(t));
	opts_defaults(&t.o, "triage");
	rc = opts_parse_ex(&t.o, argc, argv, help, &first, extra_opts, on_extra, &t);
	if (rc < 0)
		return opts_free(&t.o), 0;
	if (!rc && first < argc && strcmp(argv[first], "triage") != 0) {
		snprintf(t.o.err, sizeof(t.o.err),
			 "unexpected argument '%s': see 'procimage triage --help'", argv[first]);
		rc = EXIT_USAGE;
	}
	if (!rc && (t.o.targets.npids || t.o.targets.have_comm || t.o.targets.cgroup[0])) {
		snprintf(t.o.err, sizeof(t.o.err),
			 "triage scans the whole host: to look at given tasks use 'procimage sched "
			 "-p PID' (or resource, migrate ...)");
		rc = EXIT_USAGE;
	}
	if (rc) {
		fprintf(stderr, "procimage triage: %s\n", t.o.err);
		return opts_free(&t.o), rc;
	}
	uint64_t total = t.o.duration_ns;
	rc = scan(&t);
	if (!rc) {
		triage_pick(&t);
		deep(&t, total);
		finish(&t);
		rc = triage_print(&t);
	}
	if (t.o.stats && t.scan)
		run_print_stats(t.scan, stderr);
	if (t.o.stats && t.deep)
		run_print_stats(t.deep, stderr);
	run_free(t.deep);
	run_free(t.scan);
	triage_facts_free(t.f1);
	triage_facts_free(t.f2);
	opts_free(&t.o2);
	opts_free(&t.o);
	return rc;
}
