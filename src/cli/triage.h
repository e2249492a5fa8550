/* SPDX-License-Identifier: GPL-2.0-or-later */
/* procimage triage: the state shared by its two halves (triage.c runs the
 * scan and the deep look; triage_out.c prints the diagnosis and images). */
#ifndef PROCIMAGE_CLI_TRIAGE_H
#define PROCIMAGE_CLI_TRIAGE_H

#include <stddef.h>
#include <stdint.h>

#include "cli/options.h"
#include "core/run.h"
#include "images/triage.h"

#define TRIAGE_MAX 16

struct triage {
	struct run_opts o, o2;
	struct run *scan, *deep;
	struct triage_facts *f1, *f2;
	struct sched_offender off[TRIAGE_MAX];
	int noff, interrupted;
	const char *names[RUN_MAX_IMAGES]; /* CMD_OFFENDERS rows of cli/command_table.c */
	int nnames;
	uint64_t t0, scan_ns, deep_ns;
	int32_t focus;	      /* --focus PID: always an offender, its waits told first */
	char not_imaged[256]; /* why offenders were found but not imaged, or "" */
	/* What the report reads (triage_out.c), filled from the runs live and
	 * from the replayed images by `report FILE triage`. */
	void *scan_sched;		     /* the scan's sched image */
	void *deep_img[RUN_MAX_IMAGES];	     /* the images of names[], or NULL */
	const struct procfs *scan_procfs;    /* the scan's coverage; NULL: none */
	struct source_status src[SRC_COUNT]; /* each source as the run saw it */
	uint64_t wall0_ns;		     /* wall time of the scan's start */
	double total_s;			     /* the report's span */
	const char *recording;		     /* report FILE triage: FILE */
	const char *host, *kernel;	     /* a recording's (NULL: this host's) */
};

/* Step 2: the offenders, from t->scan_sched and t->f1 (t->o: --top,
 * --exclude, --threshold; t->focus). */
void triage_pick(struct triage *t);
/* The offenders' pids as a -p list ("12,34"; with_gone: those that exited
 * too) into buf: its length, 0 when none. */
size_t triage_offender_pids(const struct triage *t, int with_gone, char *buf, size_t len);
/* t->names: the images that look at the offenders, the CMD_OFFENDERS rows
 * of the command table in its order (the order of the workflow). */
void triage_offender_images(struct triage *t);

struct procfs_coverage;
/* The verdict in one line: never "nothing to chase" over a scan that fell
 * behind (cov->behind): then it says what the scan did not see. */
void triage_verdict(char *buf, size_t len, int noff, const struct procfs_coverage *cov);

/* Step 4: the report (of t->o's format, to its -o). 0, or 1 when the
 * output cannot be written. */
int triage_print(struct triage *t);
/* report FILE triage (report_triage.c): the same steps over a recording. */
struct report_cfg;
int report_triage(struct run_opts *o, struct report_cfg *c);

#endif
