/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The watch rules: parsing and evaluation, pure functions (no I/O, no clock),
 * unit-tested on synthetic series.
 *
 * A rule is one or more conditions joined by "&&"; it fires when all hold on
 * the same sample. A condition is METRIC OP VALUE [forDUR | forNofM] [,opt=v]:
 *   cpu>80%            absolute watermark
 *   cpu>+25%           relative: above the mean of the last `window` samples
 *                      (current excluded) by 25%, once `warmup` samples exist
 *   rss>+100MiB        relative by an amount instead of a ratio
 *   cpu>80%for3m       sustained: true on every sample for 3 minutes
 *   cpu>80%for3of5     sustained: true on at least 3 of the last 5 samples
 *   ...,min=10%        never fire while the value (for < : the mean) is below
 *   ...,window=30,warmup=10
 * Metrics are per process (cpu, rss, ...) or per host (load1, psi_cpu, ...).
 * An unknown value (NAN: first sample, file not readable) changes no state.
 */
#ifndef PROCIMAGE_RULES_H
#define PROCIMAGE_RULES_H

#include <stddef.h>
#include <stdint.h>

enum metric {
	M_CPU = 0,  /* % of one CPU */
	M_RSS,	    /* bytes */
	M_THREADS,  /* count */
	M_FDS,	    /* count */
	M_CS,	    /* context switches /s (voluntary + involuntary) */
	M_SYSCALLS, /* read+write syscalls /s (io syscr+syscw) */
	M_FORKS,    /* forks /s */
	M_RUNQ,	    /* run-queue wait, % of wall time (summed over threads) */
	M_IO,	    /* storage read+write bytes /s */
	M_MAJFLT,   /* major faults /s */
	M_LOAD1,    /* host: load average */
	M_LOAD5,
	M_LOAD15,
	M_LOADPC,  /* host: load1 per online CPU */
	M_PSI_CPU, /* host: PSI some avg10, % */
	M_PSI_MEM,
	M_PSI_IO,
	M_PSI_MEM_FULL,
	M_PSI_IO_FULL,
	M_COUNT
};

enum metric_unit { MU_PCT, MU_BYTES, MU_COUNT, MU_RATE, MU_BYTE_RATE, MU_LOAD };

struct metric_info {
	const char *name;
	enum metric_unit unit;
	int host;	 /* a host metric: same value for every process */
	uint32_t pfiles; /* PF_* to read at process scope */
	uint32_t tfiles; /* PF_* to read per thread */
	const char *desc;
};

const struct metric_info *rules_metric(int m);
/* Format v in the metric's unit ("99.5%", "1.2 GiB", "340/s"). */
void rules_format_value(int m, double v, char *buf, size_t len);

enum rule_op { OP_GT, OP_GE, OP_LT, OP_LE };
enum rule_rel { REL_ABS = 0, REL_RATIO, REL_DELTA };
enum rule_sustain { SUS_NONE = 0, SUS_DURATION, SUS_NOFM };

#define RULE_MAX_CONDS	4
#define RULES_MAX	32
#define RULE_WINDOW_MAX 1024

struct cond {
	int metric;
	enum rule_op op;
	enum rule_rel rel;
	double value; /* threshold; ratio in % for REL_RATIO; amount for REL_DELTA */
	enum rule_sustain sus;
	uint64_t for_ns;
	int n, m; /* N of M samples */
	double min;
	int has_min;
	int window, warmup;
};

struct rule {
	char text[256];
	struct cond conds[RULE_MAX_CONDS];
	int nconds;
	int host_only;	/* every condition is on a host metric */
	int first_cond; /* index of conds[0] in the ruleset's flat list */
};

struct ruleset {
	struct rule rules[RULES_MAX];
	int nrules;
	int nconds; /* total over rules */
};

/* Parse one rule into out. 0, or -EINVAL with err saying what and how to fix. */
int rules_parse(const char *text, struct rule *out, char *err, size_t errlen);
/* Parse and append. 0, or -EINVAL/-ENOSPC with err set. */
int ruleset_add(struct ruleset *rs, const char *text, char *err, size_t errlen);
/* The /proc files the rules need (process scope and per thread). */
void ruleset_files(const struct ruleset *rs, uint32_t *pfiles, uint32_t *tfiles);
/* Does any rule use metric m? */
int ruleset_uses(const struct ruleset *rs, int m);

/* Evaluation state for one subject (a process, or the host): one block of
 * rules_state_size() bytes, initialised by rules_state_init(). */
size_t rules_state_size(const struct ruleset *rs);
void rules_state_init(const struct ruleset *rs, void *block);

/* What one condition saw on the last step. */
struct cond_eval {
	double value;	  /* the metric */
	double mean;	  /* relative: mean of the window (NAN before warm-up) */
	double threshold; /* the value it was compared with (NAN if none yet) */
	uint64_t held_ns; /* sustained: time the comparison has held */
	int hits, of;	  /* N of M: hits among the last `of` samples */
	int ok;		  /* the condition holds (sustain included) */
};

/* One sample: update every condition whose metric is known (m[metric] not
 * NAN) and fill ev[ruleset.nconds]. dt_ns is the time since the previous
 * sample of this subject. host_only selects which rules to step: the host
 * state steps host-only rules, a process state the others. */
void rules_step(const struct ruleset *rs, void *block, const double *m, uint64_t dt_ns,
		int host_only, struct cond_eval *ev);
/* Did rule i fire, given ev from rules_step? */
int rules_fired(const struct ruleset *rs, int i, const struct cond_eval *ev);
/* "cpu 99.0% > 50% (held 2.0 s)": the values that fired condition c. */
void rules_describe(const struct ruleset *rs, int c, const struct cond_eval *ev, char *buf,
		    size_t len);
/* The flat condition c of the ruleset. */
const struct cond *ruleset_cond(const struct ruleset *rs, int c);

#endif
