/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The live run (see run.h). One dispatcher fans every record out to the
 * images, the observing sources and extra sinks; the tick drives the sampler (procfs) and
 * the sources' periodic work, then closes the interval with REC_TICK.
 */
#include "core/run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/privs.h"
#include "core/procroot.h"
#include "core/numa.h"

struct image_slot {
	const struct image_ops *ops;
	void *img;
};

struct run {
	struct run_config *opts;
	struct loop *loop;
	void *sampler; /* run_sampler's state */
	struct image_slot images[RUN_MAX_IMAGES];
	int nimages;
	uint32_t want_sources, skip_sources;
	void *src_state[SRC_COUNT];
	int src_started[SRC_COUNT];
	struct source_status status[SRC_COUNT];
	struct record_sink sinks[RUN_MAX_SINKS];
	int nsinks;
	struct record_sink self;
	uint64_t started_mono, started_wall, ended_mono;
	uint64_t last_tick_ns; /* a tick at or after this ends the run (its last interval) */
	int ever_alive, ticks, hostwide;
	struct rusage ru0;
	uint32_t file_needs;
	char caps_kept[256];
	uint32_t extra_needs, extra_pneeds;
	int extra_hot;
	int16_t cpu_node[NUMA_MAX_CPUS];
};

static void dispatch_cb(void *ctx, const struct record *rec)
{
	run_dispatch(ctx, rec);
}

void run_dispatch(struct run *r, const struct record *rec)
{
	for (int i = 0; i < r->nimages; i++)
		r->images[i].ops->consume(r->images[i].img, rec);
	for (int s = 0; s < SRC_COUNT; s++)
		if (r->src_started[s] && source_table[s]->observe)
			source_table[s]->observe(r->src_state[s], rec);
	for (int i = 0; i < r->nsinks; i++)
		record_emit(&r->sinks[i], rec);
}

struct run *run_new(struct run_config *opts, const char *const *names, int n)
{
	struct run *r = calloc(1, sizeof(*r));
	struct image_params p = {0};

	if (!r)
		return NULL;
	r->opts = opts;
	r->self = (struct record_sink){dispatch_cb, r};
	p.interval_ns = opts->interval_ns;
	p.threshold_ns = opts->threshold_ns;
	p.threads = opts->threads;
	p.children = opts->children;
	p.stacks = opts->stacks;
	p.sequence = opts->sequence;
	p.verbose = opts->verbose;
	p.top = opts->top;
	p.syscalls = opts->syscalls;
	p.source_mode = opts->source_mode;
	p.ticks_per_s = clock_ticks_per_s();
	p.hostwide = opts->targets.all;
	p.page_size = sysconf(_SC_PAGESIZE);
	p.ncpu_node = numa_cpu_nodes("/sys/devices/system/node", r->cpu_node, NUMA_MAX_CPUS);
	p.cpu_node = p.ncpu_node ? r->cpu_node : NULL;
	for (int i = 0; i < n && i < RUN_MAX_IMAGES; i++) {
		const struct image_ops *ops = image_find(names[i]);
		if (!ops || !(r->images[r->nimages].img = ops->create(&p))) {
			snprintf(opts->err, sizeof(opts->err), "cannot create image '%s'",
				 names[i]);
			run_free(r);
			return NULL;
		}
		r->images[r->nimages++].ops = ops;
		r->want_sources |= ops->sources;
	}
	return r;
}

/* Stop the sources now so their final status (losses, cleanup: audit
 * rules, the delay accounting switch) is in the report and nothing of ours
 * outlives the run, whichever way it ends. */
static void stop_sources(struct run *r)
{
	for (int s = 0; s < SRC_COUNT; s++)
		if (r->src_started[s]) {
			source_table[s]->stop(r->src_state[s], &r->status[s]);
			r->src_started[s] = 0;
		}
}

void run_free(struct run *r)
{
	if (!r)
		return;
	stop_sources(r);
	for (int i = 0; i < r->nimages; i++)
		r->images[i].ops->destroy(r->images[i].img);
	if (r->sampler)
		run_sampler->destroy(r->sampler);
	loop_free(r->loop);
	free(r);
}

void run_want_source(struct run *r, int id)
{
	r->want_sources |= 1u << id;
}

void run_skip_source(struct run *r, int id)
{
	r->skip_sources |= 1u << id;
}

void run_add_sink(struct run *r, struct record_sink sink)
{
	if (r->nsinks < RUN_MAX_SINKS)
		r->sinks[r->nsinks++] = sink;
}

void run_want_files(struct run *r, uint32_t needs, uint32_t pneeds, int hostwide_hot)
{
	r->extra_needs |= needs;
	r->extra_pneeds |= pneeds;
	r->extra_hot |= hostwide_hot;
}

uint64_t run_ended_ns(const struct run *r)
{
	return r->ended_mono;
}

static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Sockets are open now: keep only the capabilities later work uses. */
static void run_drop_privileges(struct run *r)
{
	uint32_t need = PRIV_PROC_OTHERS | PRIV_KILL;

	if (r->src_started[SRC_TASKSTATS])
		need |= PRIV_NET_ADMIN;
	if (r->src_started[SRC_AUDIT])
		need |= PRIV_AUDIT;
	if (r->src_started[SRC_KMSG])
		need |= PRIV_SYSLOG;
	if ((r->file_needs & PF_STACK) || r->opts->stacks || r->opts->enable_delayacct)
		need |= PRIV_STACK;
	if (privs_drop_unneeded(need, r->caps_kept, sizeof(r->caps_kept)))
		snprintf(r->caps_kept, sizeof(r->caps_kept), "unchanged (could not drop)");
}

int run_start(struct run *r)
{
	struct run_config *o = r->opts;
	struct sampler_want w = {.deep_files = r->extra_needs,
				 .process_files = r->extra_pneeds,
				 .hostwide_hot = r->extra_hot,
				 /* watch: its rules' process files, active tier */
				 .hot_process_files = r->extra_hot ? r->extra_pneeds : 0};

	raise_fd_limit();
	getrusage(RUSAGE_SELF, &r->ru0);
	r->loop = loop_new();
	if (!r->loop) {
		snprintf(o->err, sizeof(o->err), "cannot set up the event loop: %s",
			 strerror(errno));
		return 1;
	}
	for (int i = 0; i < r->nimages; i++) {
		w.deep_files |= r->images[i].ops->needs;
		w.process_files |= r->images[i].ops->pneeds;
		w.hostwide_hot |= r->images[i].ops->hostwide_hot;
	}
	/* Nothing but the images sees the records, and none of them wants a
	 * process's own samples (sched -a): the sampler may leave an idle
	 * process's identity unread until it runs. */
	w.threads_only = !r->nsinks && !w.process_files && !w.hot_process_files &&
			 !(r->want_sources & ~(1u << SRC_PROCFS));
	r->sampler =
	    run_sampler->create(o, &w, &r->file_needs, &r->hostwide, o->err, sizeof(o->err));
	if (!r->sampler)
		return RUN_BAD_INPUT;
	r->status[SRC_PROCFS].state = SOURCE_OK;
	r->started_mono = clock_mono_ns();
	r->started_wall = clock_mono_to_wall_ns(r->started_mono);
	/* A foreign tree: the live interfaces would mix this host's tasks in. */
	char foreign[300] = "";
	int live_root = procroot_is_live(o->proc_root, foreign, sizeof(foreign));
	for (int s = 0; s < SRC_COUNT; s++) {
		if (!source_table[s] || !(r->want_sources & (1u << s)))
			continue;
		if (r->skip_sources & (1u << s)) {
			source_set(&r->status[s], SOURCE_UNAVAILABLE, SOURCE_REASON_DISABLED);
			continue;
		}
		if (!live_root) {
			source_set(&r->status[s], SOURCE_UNAVAILABLE,
				   "not used with --proc-root: %s; the live host's %s would be "
				   "mixed into its tasks",
				   foreign, record_source_name(s));
			continue;
		}
		/* Whatever command asks: user stacks of the whole host would
		 * ptrace-stop every busy process (and hold them from debuggers
		 * and sanitizers meanwhile). The commands refuse it earlier. */
		if (s == SRC_PTRACE && (r->hostwide || o->targets.all)) {
			source_set(&r->status[s], SOURCE_UNAVAILABLE,
				   "not host-wide: user stacks would ptrace every busy process; "
				   "name the targets (-p, --comm, --cgroup)");
			continue;
		}
		if (source_table[s]->start(r, &r->src_state[s], &r->status[s]) == 0) {
			r->src_started[s] = 1;
			if (r->status[s].state == SOURCE_UNUSED)
				r->status[s].state = SOURCE_OK;
		} else if (r->status[s].state == SOURCE_UNUSED) {
			source_set(&r->status[s], SOURCE_UNAVAILABLE, "failed to start");
		}
	}
	if (!o->keep_privs)
		run_drop_privileges(r);
	return 0;
}

static void on_tick(void *ctx, uint64_t now, uint64_t expirations)
{
	struct run *r = ctx;
	struct record tick = {.kind = REC_TICK, .source = SRC_PROCFS, .cpu = -1, .t_ns = now};

	(void)expirations;
	if (run_sampler->tick(r->sampler, now, &r->self) > 0)
		r->ever_alive = 1;
	for (int s = 0; s < SRC_COUNT; s++)
		if (r->src_started[s] && source_table[s]->tick)
			source_table[s]->tick(r->src_state[s], now, &r->self);
	r->ticks++;
	run_dispatch(r, &tick);
	if (r->last_tick_ns && now >= r->last_tick_ns)
		loop_stop(r->loop);
	/* Every named target gone: nothing more to see. */
	if (targets_only_pids(&r->opts->targets) && r->ever_alive && !r->opts->children &&
	    !r->opts->keep_running && run_sampler->alive(r->sampler) == 0)
		loop_stop(r->loop);
}

int run_loop(struct run *r)
{
	uint64_t t0, iv = r->opts->interval_ns, n = r->opts->duration_ns / iv;
	int rc;

	loop_set_tick(r->loop, iv, on_tick, r);
	/* A first sample at once: a baseline for rates, and exit 3 early. */
	t0 = clock_mono_ns();
	on_tick(r, t0, 1);
	if (targets_only_pids(&r->opts->targets) && !r->ever_alive) {
		r->ended_mono = clock_mono_ns();
		stop_sources(r);
		return 0;
	}
	/* -d is whole intervals from that baseline (-d 10s -i 1s: 10): the
	 * n-th tick ends the run. Counted from run_start, the sources' start-up
	 * ate into the last one (9 intervals). The deadline, half an interval
	 * later, only guards against a tick that never comes. A baseline that
	 * outlasts an interval (the first read of a whole big host: 0.6 s at
	 * 10,000 processes here) is set-up too: the intervals count from its
	 * end, or a -d 2s scan would be mostly that one read. */
	uint64_t t1 = clock_mono_ns();
	if (t1 - t0 > iv) {
		/* the tick grid restarts there too: no catch-up tick at once,
		 * and the n-th tick meets the deadline below */
		t0 = t1;
		loop_set_tick(r->loop, iv, on_tick, r);
	}
	r->last_tick_ns = t0 + n * iv - iv / 2;
	rc = loop_run(r->loop, t0 + n * iv + iv / 2);
	r->ended_mono = clock_mono_ns();
	stop_sources(r);
	if (rc < 0)
		snprintf(r->opts->err, sizeof(r->opts->err), "event loop failed: %s",
			 strerror(-rc));
	return rc < 0 ? 1 : 0;
}

int run_exit_code(const struct run *r)
{
	const struct targets *t = &r->opts->targets;

	/* -p, --comm or --cgroup that no task matched during the whole run:
	 * an empty report would read as "nothing happened" */
	if (!r->hostwide && !t->all && !targets_empty(t) && !r->ever_alive)
		return RUN_NO_TARGET;
	return 0;
}

void run_envelope_open(struct out *o, const char *image, uint64_t started_wall_ns,
		       double duration_s, uint64_t interval_ns, const struct source_status *src)
{
	struct utsname u;

	uname(&u);
	run_envelope_open_from(o, image, u.nodename, u.release, started_wall_ns, duration_s,
			       interval_ns, src);
}

void run_envelope_open_from(struct out *o, const char *image, const char *host, const char *kernel,
			    uint64_t started_wall_ns, double duration_s, uint64_t interval_ns,
			    const struct source_status *src)
{
	char started[40];

	clock_format_rfc3339(started_wall_ns, started, sizeof(started));
	out_obj_open(o, NULL);
	out_str(o, "schema", NULL, "procimage/1");
	out_str(o, "image", "procimage %s", image);
	out_str(o, "host", " on %s", host);
	out_str(o, "kernel", " (Linux %s)", kernel);
	out_str(o, "started", ", started %s", started);
	out_f64(o, "duration_s", ", %.2f s", duration_s);
	out_f64(o, "interval_ms", " at %g ms\n", (double)interval_ns / 1e6);
	out_obj_open(o, "sources");
	out_text(o, "sources:");
	for (int s = 0; s < SRC_COUNT; s++) {
		if (src[s].state == SOURCE_UNUSED)
			continue;
		source_status_out(o, record_source_name(s), &src[s]);
		out_text(o, " %s %s", record_source_name(s), source_state_name(src[s].state));
		if (src[s].lost)
			out_text(o, " (LOST %llu events)", (unsigned long long)src[s].lost);
	}
	out_text(o, "\n");
	for (int s = 0; s < SRC_COUNT; s++)
		if (src[s].state != SOURCE_UNUSED && src[s].reason[0])
			out_text(o, "  %s: %s\n", record_source_name(s), src[s].reason);
	out_obj_close(o);
	out_text(o, "\n");
}

void run_report(struct run *r, struct out *o)
{
	uint64_t end = r->ended_mono ? r->ended_mono : clock_mono_ns();

	run_sampler->status(r->sampler, &r->status[SRC_PROCFS]);
	run_envelope_open(o, r->nimages == 1 ? r->images[0].ops->name : r->opts->cmd,
			  r->started_wall, (double)(end - r->started_mono) / 1e9,
			  r->opts->interval_ns, r->status);
	run_sampler->coverage_out(r->sampler, o);
	for (int i = 0; i < r->nimages; i++) {
		if (r->nimages > 1) {
			out_obj_open(o, r->images[i].ops->name);
			out_text(o, "== %s ==\n", r->images[i].ops->name);
		}
		r->images[i].ops->report(r->images[i].img, o);
		if (r->nimages > 1)
			out_obj_close(o);
	}
	out_obj_close(o);
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

void run_print_stats(const struct run *r, FILE *fp)
{
	struct rusage ru;
	double wall =
	    (double)((r->ended_mono ? r->ended_mono : clock_mono_ns()) - r->started_mono) / 1e9;

	getrusage(RUSAGE_SELF, &ru);
	double cpu =
	    tv_s(ru.ru_utime) + tv_s(ru.ru_stime) - tv_s(r->ru0.ru_utime) - tv_s(r->ru0.ru_stime);
	fprintf(
	    fp,
	    "procimage stats: wall %.2f s, own CPU %.3f s (%.2f%% of one CPU), max RSS %ld KiB\n",
	    wall, cpu, wall > 0 ? 100.0 * cpu / wall : 0.0, ru.ru_maxrss);
	fprintf(fp, "  capabilities kept after setup: %s\n", r->caps_kept[0] ? r->caps_kept : "-");
	run_sampler->stats_print(r->sampler, fp);
	for (int s = 0; s < SRC_COUNT; s++)
		if (r->status[s].state != SOURCE_UNUSED)
			fprintf(fp, "  %s: %s, %llu events, %llu lost\n", record_source_name(s),
				source_state_name(r->status[s].state),
				(unsigned long long)r->status[s].events,
				(unsigned long long)r->status[s].lost);
}

int run_add_fd(struct run *r, int fd, loop_fd_fn fn, void *ctx)
{
	return loop_add_fd(r->loop, fd, fn, ctx);
}

struct loop *run_loop_handle(struct run *r)
{
	return r->loop;
}

const struct run_config *run_cfg(const struct run *r)
{
	return r->opts;
}

const struct record_sink *run_sink(struct run *r)
{
	return &r->self;
}

void *run_image(struct run *r, const char *name)
{
	for (int i = 0; i < r->nimages; i++)
		if (strcmp(r->images[i].ops->name, name) == 0)
			return r->images[i].img;
	return NULL;
}

struct source_status *run_source_status(struct run *r, int id)
{
	return &r->status[id];
}

struct procfs *run_procfs(struct run *r)
{
	return r->sampler;
}

uint64_t run_started_ns(const struct run *r)
{
	return r->started_mono;
}
