/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The procfs source as the run's sampler (run.h struct sampler_ops): how a
 * run's options and its images' needs become a procfs configuration (the
 * targets' files, or the host-wide tiers), and the calls run.c makes every
 * tick and at the end, so that core/ knows procfs only through this row.
 */
#include <stdio.h>

#include "core/clock.h"
#include "core/run.h"
#include "sources/procfs.h"
#include "sources/procfs_coverage.h"

static void *sampler_create(struct run_config *o, const struct sampler_want *w,
			    uint32_t *file_needs, int *hostwide, char *err, size_t errlen)
{
	struct procfs_config cfg = {0};

	cfg.root = o->proc_root;
	cfg.targets = &o->targets;
	cfg.interval_ns = o->interval_ns;
	cfg.budget_pct = o->budget_pct;
	cfg.hot_hold_ticks = (uint32_t)(NS_PER_S / o->interval_ns) + 1;
	cfg.thread_refresh_ticks = (uint32_t)(NS_PER_S / o->interval_ns) + 1;
	cfg.deep_files = w->deep_files;
	cfg.process_files = w->process_files;
	if (o->stacks) /* --stacks: where deep-sampled tasks sit in the kernel */
		cfg.deep_files |= PF_STACK | PF_WCHAN | PF_SYSCALL;
	*hostwide = 0;
	if (o->targets.all && w->hostwide_hot) {
		/* Host-wide: the cheap tier for every process, per-thread files
		 * only for processes that used CPU; no process is a "target". */
		cfg.scan_all = 1;
		cfg.hot_files = cfg.deep_files | PF_SCHEDSTAT;
		/* watch: its rules' process files for the active tier */
		cfg.hot_process_files = w->hot_process_files;
		cfg.threads_only = w->threads_only;
		if (o->interval_ns >= 100 * NS_PER_MS) {
			/* Per-interval figures (resource, triage): /proc is listed
			 * every tick so that no process is missed; a single-thread
			 * process that did not run (its schedstat did not move)
			 * costs one short pread, and stat is read when it ran, or
			 * every ~5 s for its gauges (RSS). */
			cfg.list_every = 1;
			cfg.sample_on_run = 1;
			cfg.cheap_stat_every = (uint32_t)((5 * NS_PER_S) / o->interval_ns);
		} else {
			/* single-thread processes: schedstat each tick, stat and
			 * the listing each 250 ms */
			cfg.cheap_stat_every = (uint32_t)(250 * NS_PER_MS / o->interval_ns);
		}
		o->targets.all = 0;
		*hostwide = 1;
	}
	*file_needs = cfg.deep_files | cfg.process_files | cfg.hot_files;
	return procfs_new(&cfg, err, errlen);
}

static int sampler_tick(void *s, uint64_t now_ns, const struct record_sink *sink)
{
	return procfs_tick(s, now_ns, sink);
}

static uint64_t sampler_alive(const void *s)
{
	return procfs_get_stats(s)->alive;
}

static void sampler_status(const void *s, struct source_status *st)
{
	procfs_status(s, st);
}

static void sampler_coverage_out(const void *s, struct out *o)
{
	procfs_coverage_out(s, o);
}

static void sampler_stats_print(const void *s, FILE *fp)
{
	const struct procfs_stats *ps = procfs_get_stats(s);

	fprintf(fp,
		"  procfs: %llu ticks, %llu task-samples, %llu preads, %llu opens, %llu listings, "
		"%llu new pids probed, %llu gone, %llu visits of quiet processes skipped\n",
		(unsigned long long)ps->ticks, (unsigned long long)ps->samples,
		(unsigned long long)ps->preads, (unsigned long long)ps->opens,
		(unsigned long long)ps->listings, (unsigned long long)ps->probes,
		(unsigned long long)ps->gone, (unsigned long long)ps->quiet_skips);
	if (ps->samples)
		fprintf(fp, "  procfs CPU: %.2f us per task-sample, %.1f us per tick\n",
			(double)ps->tick_ns_total / 1e3 / (double)ps->samples,
			(double)ps->tick_ns_total / 1e3 / (double)(ps->ticks ? ps->ticks : 1));
	procfs_coverage_print(s, fp);
}

static void sampler_destroy(void *s)
{
	procfs_free(s);
}

const struct sampler_ops sampler_procfs = {
    .name = "procfs",
    .create = sampler_create,
    .tick = sampler_tick,
    .alive = sampler_alive,
    .status = sampler_status,
    .coverage_out = sampler_coverage_out,
    .stats_print = sampler_stats_print,
    .destroy = sampler_destroy,
};
