/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * procimage triage, step 4: the report. The diagnosis comes first (what a
 * person at a terminal wants), then the sources that were missing, then the
 * evidence: the scan's sched image and each image of the offenders, or the
 * reason they did not run. Every format but folded and svg (no stacks of its
 * own): prom, csv and html are derived from the JSON report, as for the
 * image commands. It reads the view struct triage holds (triage.h), which
 * a live run and `report FILE triage` both fill.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command_table.h"
#include "cli/store_cmd.h"
#include "cli/triage.h"
#include "core/clock.h"
#include "images/explain.h"
#include "sources/procfs.h"
#include "sources/procfs_coverage.h"

/* The image of the deep look named name, or NULL. */
static void *deep_image(const struct triage *t, const char *name)
{
	for (int i = 0; i < t->nnames; i++)
		if (!strcmp(t->names[i], name))
			return t->deep_img[i];
	return NULL;
}

static void out_offender(struct triage *t, struct out *o, int i, uint64_t thr)
{
	const struct sched_offender *f = &t->off[i];
	const struct triage_proc *p = triage_facts_get(t->f1, f->tgid);
	char why[1024];

	triage_diagnose(why, sizeof(why), f, t->f1, t->f2, thr);
	out_obj_open(o, NULL);
	out_i64(o, "pid", NULL, f->tgid);
	out_i64(o, "tid", NULL, f->tid);
	out_str(o, "comm", NULL, f->comm);
	out_str(o, "process_comm", NULL, p ? p->comm : f->comm);
	out_i64(o, "cpu", NULL, f->cpu);
	out_f64(o, "longest_run_ms", NULL, (double)f->longest_run_ns / 1e6);
	out_u64(o, "runs_over_threshold", NULL, f->runs_over);
	out_f64(o, "thread_cpu_ms", NULL, (double)f->cpu_ns / 1e6);
	out_f64(o, "cpu_pct", NULL, p ? triage_cpu_pct(t->f1, p) : 0);
	out_f64(o, "sys_pct", NULL, p ? triage_sys_share_pct(p) : 0);
	out_u64(o, "victims", NULL, f->victims);
	out_f64(o, "max_victim_wait_ms", NULL, (double)f->victim_max_wait_ns / 1e6);
	out_bool(o, "exited", NULL, f->gone);
	out_str(o, "diagnosis", NULL, why);
	out_text(o, "  %d. %s\n", i + 1, why);
	/* The verdict from every image of the deep look. */
	struct explain ex;
	char text[2048];
	explain_build(&ex, f, t->f1, t->f2, deep_image(t, "resource"), deep_image(t, "keytime"),
		      deep_image(t, "syscall"));
	explain_text(&ex, text, sizeof(text));
	out_text(o, "     Why: %s\n", text);
	explain_out(&ex, o);
	out_obj_close(o);
}

static void out_diagnosis(struct triage *t, struct out *o)
{
	uint64_t thr = t->o.threshold_ns;

	int deep = 0;
	for (int i = 0; i < t->nnames; i++)
		deep |= t->deep_img[i] != NULL;
	out_text(o, "DIAGNOSIS");
	out_f64(o, "scan_s",
		t->recording ? " (scan of every thread recorded %.1f s"
			     : " (scan of every thread %.1f s",
		(double)t->scan_ns / 1e9);
	if (deep) /* no deeper look: unmeasured, not 0 s */
		out_f64(o, "deep_s", ", then %.1f s on the offenders)\n", (double)t->deep_ns / 1e9);
	else
		out_null(o, "deep_s", ", no deeper look)\n");
	if (t->recording)
		out_str(o, "recording",
			"  (replayed from the recording %s: the scan and the offenders' images "
			"cover the same window)\n",
			t->recording);
	else
		out_null(o, "recording", NULL);
	out_f64(o, "threshold_ms", NULL, (double)thr / 1e6);
	out_bool(o, "interrupted", NULL, t->interrupted);
	if (t->interrupted)
		out_text(o, "  (interrupted: the scan was cut short, no deeper look)\n");
	if (t->focus) {
		struct focus_wait fw;
		char text[1024];
		explain_focus_build(&fw, t->scan_sched, t->focus);
		explain_focus_text(&fw, text, sizeof(text));
		out_text(o, "  FOCUS: %s.\n", text);
		explain_focus_out(&fw, o);
	} else {
		out_null(o, "focus_wait", NULL);
	}
	out_arr_open(o, "offenders");
	for (int i = 0; i < t->noff; i++)
		out_offender(t, o, i, thr);
	out_arr_close(o);
	struct procfs_coverage cov = {0};
	char verdict[1024];
	if (t->scan_procfs) /* a replay has no coverage: what was recorded is all */
		procfs_coverage(t->scan_procfs, &cov);
	triage_verdict(verdict, sizeof(verdict), t->noff, &cov);
	if (t->recording && !t->noff) /* the recording, not the host */
		snprintf(verdict, sizeof(verdict), "%s",
			 "nothing to chase in the recording: no recorded thread held a CPU that "
			 "long and no recorded process used 5% of a CPU or more; it holds only "
			 "what was recorded ('record -a' records the whole host)");
	/* "offenders found" alone adds nothing to the text under the list */
	out_str(o, "verdict", t->noff && !cov.behind ? NULL : "  %s\n", verdict);
}

void triage_verdict(char *buf, size_t len, int noff, const struct procfs_coverage *cov)
{
	/* Late ticks alone blur where a run begins and ends; the counters are
	 * exact across them, so they hide no offender: said, not a doubt. */
	if (cov->behind && !cov->blind)
		snprintf(buf, len,
			 "%s; the ticks were coarser than asked (%s), which blurs where a run "
			 "began and ended but hides none",
			 noff ? "offenders found"
			      : "nothing to chase: no thread held a CPU that long and no process "
				"used 5% of a CPU or more (excluding procimage itself)",
			 cov->behind_why);
	else if (!noff && cov->behind)
		snprintf(buf, len,
			 "no conclusion: the scan did not see the whole host (%s), so a thread "
			 "may have held a CPU unseen; re-run with a longer -d, a larger --budget "
			 "or a longer -i",
			 cov->behind_why);
	else if (!noff)
		snprintf(buf, len, "%s",
			 "nothing to chase: no thread held a CPU that long and no process used "
			 "5% of a CPU or more (excluding procimage itself)");
	else if (cov->behind)
		snprintf(buf, len,
			 "offenders found, but the scan fell behind (%s): others may have gone "
			 "unseen",
			 cov->behind_why);
	else
		snprintf(buf, len, "%s", "offenders found");
}

static void out_lacking(struct out *o, const struct source_status *src)
{
	int n = 0;

	out_arr_open(o, "sources_lacking");
	for (int s = 0; s < SRC_COUNT; s++) {
		if (src[s].state != SOURCE_UNAVAILABLE && src[s].state != SOURCE_DEGRADED)
			continue;
		out_obj_open(o, NULL);
		/* the literal is the format: a %s argument is escaped as a
		 * name would be, and its newline came out as \x0a */
		if (n++)
			out_text(o, "; ");
		else
			out_text(o, "\nSources lacking: ");
		out_str(o, "source", "%s", record_source_name(s));
		out_str(o, "status", " %s", source_state_name(src[s].state));
		out_str(o, "reason", src[s].reason[0] ? " (%s)" : NULL, src[s].reason);
		out_obj_close(o);
	}
	out_arr_close(o);
	out_text(o, n ? "\n" : "\nEvery data source it used worked.\n");
}

static void out_images(struct triage *t, struct out *o)
{
	out_obj_open(o, "scan");
	out_text(o, "\n== scan: sched image of every thread %s (%.1f s) ==\n",
		 t->recording ? "recorded" : "on the host", (double)t->scan_ns / 1e9);
	if (t->scan_procfs)
		procfs_coverage_out(t->scan_procfs, o);
	image_find("sched")->report(t->scan_sched, o);
	out_obj_close(o);
	/* The images that did not run, and why: a report with offenders and no
	 * images must not read as "nothing to image". */
	out_arr_open(o, "images_skipped");
	for (size_t i = 0; t->not_imaged[0] && i < command_count; i++)
		if (command_table[i].flags & CMD_OFFENDERS)
			out_str(o, NULL, NULL, command_table[i].name);
	out_arr_close(o);
	if (t->not_imaged[0])
		out_str(o, "images_skipped_reason", "\n== images not run: %s ==\n", t->not_imaged);
	else
		out_null(o, "images_skipped_reason", NULL);
	out_obj_open(o, "images");
	for (int i = 0; i < t->nnames; i++) {
		const struct image_ops *ops = image_find(t->names[i]);
		void *img = t->deep_img[i];
		if (!img)
			continue;
		out_obj_open(o, t->names[i]);
		out_text(o, "\n== %s image of the offenders (%.1f s) ==\n", t->names[i],
			 (double)t->deep_ns / 1e9);
		ops->report(img, o);
		out_obj_close(o);
	}
	out_obj_close(o);
}

static void triage_report(void *ctx, struct out *o)
{
	struct triage *t = ctx;

	if (t->host) /* a recording's host and kernel, not this one's */
		run_envelope_open_from(o, "triage", t->host, t->kernel, t->wall0_ns, t->total_s,
				       t->o.interval_ns, t->src);
	else
		run_envelope_open(o, "triage", t->wall0_ns, t->total_s, t->o.interval_ns, t->src);
	out_diagnosis(t, o);
	out_lacking(o, t->src);
	out_images(t, o);
	out_obj_close(o);
}

/* text and JSON through the field API, prom/csv/html from the JSON document
 * (options.c refuses folded and svg for triage). */
int triage_print(struct triage *t)
{
	return report_write(&t->o, triage_report, t);
}
