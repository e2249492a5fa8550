/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The live run: wires sources -> records -> images for one command.
 *
 * run_new() creates the images a command asked for; run_start() opens the
 * procfs source with the union of the files the images need and starts every
 * other source the images can use (each says for itself why it cannot);
 * run_loop() ticks until the duration ends or Ctrl-C; run_report() prints the
 * envelope and each image. Sources other than procfs plug in through struct
 * source_ops. What to run is a struct run_config, which the CLI fills from
 * its options; results are RUN_* codes, which the CLI maps to exit codes.
 */
#ifndef PROCIMAGE_RUN_H
#define PROCIMAGE_RUN_H

#include <stdint.h>

#include "core/loop.h"
#include "core/targets.h"
#include "procimage/image.h"
#include "procimage/record.h"
#include "procimage/source.h"

struct run;

/* Results of run_new/run_start/run_exit_code (the CLI's exit codes are these). */
enum run_code { RUN_OK = 0, RUN_FAILED = 1, RUN_BAD_INPUT = 2, RUN_NO_TARGET = 3 };

/* What a run does. The members are a list so that the CLI's struct run_opts
 * can carry them by name (see cli/options.h). Sources read them through
 * run_cfg(); they decide from these fields, never from a command's name. */
#define RUN_CONFIG_FIELDS                                                                          \
	const char *cmd; /* the envelope's "image" when several run: a label only */               \
	struct targets targets;                                                                    \
	uint64_t duration_ns, interval_ns, threshold_ns;                                           \
	const char *proc_root;                                                                     \
	int threads, children, stacks, verbose, top, sequence;                                     \
	int enable_delayacct, since_boot;                                                          \
	uint32_t budget_pct;	 /* --budget: host-wide scan CPU, % of one CPU (0: 10) */          \
	const char *source_mode; /* auto|audit|sample */                                           \
	const char *syscalls;                                                                      \
	char err[512];                                                                             \
	int keep_privs;	      /* a later run in this process needs them (triage) */                \
	int stack_hz;	      /* stacks -F: user-stack samples per second (0: 49) */               \
	unsigned stack_flags; /* PSTACK_* of sources/ptrace_stack.h */                             \
	int ptrace_syscalls;  /* the ptrace source samples syscalls, not stacks */                 \
	int keep_running;     /* do not stop when the named pids are gone (exits) */               \
	int audit_by_default; /* audit syscalls unless --source sample (it slows them ~40x) */     \
	int exit_events_only; /* the connector may ask the kernel for exits only */
struct run_config {
	RUN_CONFIG_FIELDS
};

/* An event source other than procfs (connector, taskstats, audit, kmsg). */
struct source_ops {
	const char *name;
	int id; /* SRC_* */
	/* Try to start; on failure set st (UNAVAILABLE + reason) and return < 0.
	 * May call run_add_fd(). */
	int (*start)(struct run *r, void **state, struct source_status *st);
	/* Called every tick after procfs (may be NULL). */
	void (*tick)(void *state, uint64_t now_ns, const struct record_sink *sink);
	/* Sees every record dispatched (may be NULL): learn targets, exits. */
	void (*observe)(void *state, const struct record *rec);
	/* Stop, undo every change to the host, final status. */
	void (*stop)(void *state, struct source_status *st);
};

/* Every source but procfs, by SRC_* id (NULL: none): sources/registry.c. */
extern const struct source_ops *const source_table[SRC_COUNT];

/* What the run's images (and run_want_files) ask of the sampler. */
struct sampler_want {
	uint32_t deep_files;	    /* PF_* of the targets' threads */
	uint32_t process_files;	    /* PF_* of the targets' processes */
	int hostwide_hot;	    /* -a: the host-wide tiers, threads of active processes */
	uint32_t hot_process_files; /* PF_* of active processes in those tiers (watch) */
	int threads_only;	    /* only the images' thread samples are consumed */
};

/* The sampling source, read at every tick: procfs (sources/procfs_sampler.c),
 * the one source every run has. The run knows it only through this. */
struct sampler_ops {
	const char *name;
	/* Set up for o and w: *file_needs gets every PF_* it will read,
	 * *hostwide 1 when -a became the host-wide tiers (o->targets.all is
	 * then cleared: no process is a target). NULL with err set (bad input:
	 * --proc-root). */
	void *(*create)(struct run_config *o, const struct sampler_want *w, uint32_t *file_needs,
			int *hostwide, char *err, size_t errlen);
	/* One tick's reads into sink; the number of target tasks alive. */
	int (*tick)(void *s, uint64_t now_ns, const struct record_sink *sink);
	/* Target tasks alive at the last tick. */
	uint64_t (*alive)(const void *s);
	void (*status)(const void *s, struct source_status *st);
	/* What a host-wide scan achieved (nothing otherwise): the report's
	 * coverage object, and --stats' lines. */
	void (*coverage_out)(const void *s, struct out *o);
	void (*stats_print)(const void *s, FILE *fp);
	void (*destroy)(void *s);
};
extern const struct sampler_ops *const run_sampler; /* sources/registry.c */

#define RUN_MAX_IMAGES 8
#define RUN_MAX_SINKS  4

struct run *run_new(struct run_config *cfg, const char *const *image_names, int nimages);
void run_free(struct run *r);
/* Use this source if it starts (images also ask for theirs). */
void run_want_source(struct run *r, int src_id);
void run_skip_source(struct run *r, int src_id);
/* Also send every record here (the store). */
void run_add_sink(struct run *r, struct record_sink sink);
/* Also read these files, as if an image needed them (the store records what
 * every image could use without running the images). Before run_start. */
void run_want_files(struct run *r, uint32_t needs, uint32_t pneeds, int hostwide_hot);
/* CLOCK_MONOTONIC ns at which run_loop ended (0 while running). */
uint64_t run_ended_ns(const struct run *r);
/* RUN_OK, or RUN_BAD_INPUT / RUN_FAILED with cfg->err set. */
int run_start(struct run *r);
/* Run until the duration ends or a stop signal. */
int run_loop(struct run *r);
/* Envelope + images. */
void run_report(struct run *r, struct out *o);
/* RUN_NO_TARGET when every named pid was missing or gone before the first sample, or
 * no task matched --comm / --cgroup during the run (message:
 * targets_none_matched). */
int run_exit_code(const struct run *r);
void run_print_stats(const struct run *r, FILE *fp);

/* For sources and commands. */
int run_add_fd(struct run *r, int fd, loop_fd_fn fn, void *ctx);
struct loop *run_loop_handle(struct run *r);
const struct run_config *run_cfg(const struct run *r);
const struct record_sink *run_sink(struct run *r);
void run_dispatch(struct run *r, const struct record *rec);
void *run_image(struct run *r, const char *name);
struct source_status *run_source_status(struct run *r, int src_id);
/* The sampler's state (run_sampler): the procfs source, for the parts
 * above core that know it (triage's coverage, the connector's rootfd). */
struct procfs *run_procfs(struct run *r);
uint64_t run_started_ns(const struct run *r);

/* The JSON/text envelope: schema, image, host, kernel, started, duration,
 * interval, sources. Opens the top-level object; the caller closes it. */
void run_envelope_open(struct out *o, const char *image, uint64_t started_wall_ns,
		       double duration_s, uint64_t interval_ns,
		       const struct source_status *src /* [SRC_COUNT] */);
/* The same for a recording: host and kernel of the recording host. */
void run_envelope_open_from(struct out *o, const char *image, const char *host, const char *kernel,
			    uint64_t started_wall_ns, double duration_s, uint64_t interval_ns,
			    const struct source_status *src);

#endif
