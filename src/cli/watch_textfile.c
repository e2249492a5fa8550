/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watch --prom-textfile FILE: after every tick, the Prometheus text
 * exposition of what watch sees, for node_exporter's textfile collector
 * (docs/prom.md lists the names):
 *   - each metric the rules and guards use, in base units: per process for
 *     the top N processes by that metric (labels pid and comm: N is bounded,
 *     so the series are too), unlabelled for host metrics;
 *   - counters of firings and captures by rule (the rule's text as label:
 *     at most RULES_MAX of them), and of skipped firings by reason;
 *   - gauges: processes watched, firing, captures under way, last update.
 * The file is replaced whole (fileio.h safe_out_open: a temp file in the
 * same directory, then one rename; a new file is 0644), so the collector
 * never reads half of it. An unknown value (first sample, file unreadable)
 * is left out, never written as 0.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/watch.h"
#include "core/clock.h"
#include "core/fileio.h"
#include "render/escape.h"

#define RULE_SLOTS (2 * RULES_MAX) /* counters kept across reloads */

/* How a metric unit is named and scaled in Prometheus: base units, and
 * counts without a suffix (their name is the unit). */
static const struct {
	const char *suffix;
	double scale;
	const char *unit_help;
} unit_names[] = {
    [MU_PCT] = {"_ratio", 0.01, "ratio (1 = 100%)"},
    [MU_BYTES] = {"_bytes", 1, "bytes"},
    [MU_COUNT] = {"", 1, "count"},
    [MU_RATE] = {"_per_second", 1, "per second"},
    [MU_BYTE_RATE] = {"_bytes_per_second", 1, "bytes per second"},
    [MU_LOAD] = {"", 1, "load average"},
};

struct rule_ctr {
	char text[sizeof(((struct rule *)0)->text)];
	unsigned long long fired, captured;
};

struct wtextfile {
	char *path;
	int topn;
	int failing; /* the last write failed (logged once) */
	struct rule_ctr ctr[RULE_SLOTS];
	struct wtop *top;
};

static int rule_current(const struct ruleset *rs, const char *text)
{
	for (int i = 0; i < rs->nrules; i++)
		if (!strcmp(rs->rules[i].text, text))
			return 1;
	return 0;
}

/* The counters of rule i: found by its text, else a free slot or one of a
 * rule no longer loaded. */
static struct rule_ctr *ctr_of(struct wtextfile *t, const struct ruleset *rs, int i)
{
	const char *text = rs->rules[i].text;
	struct rule_ctr *spare = NULL;

	for (int k = 0; k < RULE_SLOTS; k++) {
		if (t->ctr[k].text[0] && !strcmp(t->ctr[k].text, text))
			return &t->ctr[k];
		if (!spare && (!t->ctr[k].text[0] || !rule_current(rs, t->ctr[k].text)))
			spare = &t->ctr[k];
	}
	if (spare) {
		memset(spare, 0, sizeof(*spare));
		snprintf(spare->text, sizeof(spare->text), "%s", text);
	}
	return spare;
}

void wtextfile_fired(struct wtextfile *t, const struct ruleset *rs, int i)
{
	struct rule_ctr *c = t ? ctr_of(t, rs, i) : NULL;

	if (c)
		c->fired++;
}

void wtextfile_captured(struct wtextfile *t, const struct ruleset *rs, int i)
{
	struct rule_ctr *c = t ? ctr_of(t, rs, i) : NULL;

	if (c)
		c->captured++;
}

struct wtextfile *wtextfile_new(const char *path, int topn, char *err, size_t errlen)
{
	struct safe_out_info info;
	FILE *fp = safe_out_open(path, 0644, 0, NULL, &info);
	struct wtextfile *t;

	if (!fp) {
		snprintf(err, errlen, "--prom-textfile '%s': %s", path,
			 info.why[0] ? info.why : strerror(errno));
		return NULL;
	}
	safe_out_discard(fp); /* only a check: the first tick writes it */
	fclose(fp);
	if (info.in_place) {
		snprintf(err, errlen,
			 "--prom-textfile '%s' cannot be replaced whole (not a regular file, or "
			 "a directory watch cannot rename into): node_exporter could read half "
			 "a file; give a file in a directory watch may write, e.g. "
			 "/var/lib/node_exporter/textfile_collector/procimage.prom",
			 path);
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t) {
		t->path = strdup(path);
		t->topn = topn;
		t->top = calloc((size_t)topn, sizeof(*t->top));
	}
	if (!t || !t->path || !t->top) {
		wtextfile_free(t);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return t;
}

void wtextfile_free(struct wtextfile *t)
{
	if (!t)
		return;
	free(t->path);
	free(t->top);
	free(t);
}

static void family(FILE *fp, const char *name, const char *type, const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void label(FILE *fp, const char *k, const char *v, int first)
{
	char buf[4 * 256 + 8];

	esc_prom(buf, sizeof(buf), v);
	fprintf(fp, "%s%s=\"%s\"", first ? "" : ",", k, buf);
}

/* Whole numbers (bytes, counts) in full, others to 6 digits. */
static void num(FILE *fp, double v)
{
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		fprintf(fp, " %.0f\n", v);
	else
		fprintf(fp, " %.6g\n", v);
}

static void gauge(FILE *fp, const char *name, const char *help, double v)
{
	family(fp, name, "gauge", help);
	fputs(name, fp);
	num(fp, v);
}

static void rule_counters(struct wtextfile *t, FILE *fp, const struct ruleset *rs)
{
	static const char *const names[] = {"procimage_watch_firings_total",
					    "procimage_watch_captures_total"};
	static const char *const help[] = {
	    "times a rule fired and watch acted on it (captured, or skipped by the guard or "
	    "the cap on captures)",
	    "captures started for a rule"};

	for (int k = 0; k < 2; k++) {
		family(fp, names[k], "counter", help[k]);
		for (int i = 0; i < rs->nrules; i++) {
			const struct rule_ctr *c = ctr_of(t, rs, i);
			fprintf(fp, "%s{", names[k]);
			label(fp, "rule", rs->rules[i].text, 1);
			fprintf(fp, "} %llu\n", c ? (k ? c->captured : c->fired) : 0ULL);
		}
	}
}

static void skipped(FILE *fp, const struct wtextfile_state *s)
{
	family(fp, "procimage_watch_skipped_total", "counter",
	       "firings not captured, by reason (cooldown: the process was captured for the "
	       "rule lately; guard: a --guard held; max_captures: --max-captures under way)");
	fprintf(fp, "procimage_watch_skipped_total{reason=\"cooldown\"} %u\n", s->skipped_cooldown);
	fprintf(fp, "procimage_watch_skipped_total{reason=\"guard\"} %u\n", s->skipped_guard);
	fprintf(fp, "procimage_watch_skipped_total{reason=\"max_captures\"} %u\n", s->skipped_cap);
}

/* Every metric the rules or guards use, once each. */
static void metrics(struct wtextfile *t, FILE *fp, const struct wtextfile_state *s)
{
	for (int m = 0; m < M_COUNT; m++) {
		const struct metric_info *mi = rules_metric(m);
		char name[96], help[256];
		size_t n;

		if (!ruleset_uses(s->rules, m) && !ruleset_uses(s->guards, m))
			continue;
		snprintf(name, sizeof(name), "procimage_watch_%s%s", mi->name,
			 unit_names[mi->unit].suffix);
		snprintf(help, sizeof(help), "%s; %s%s", mi->desc, unit_names[mi->unit].unit_help,
			 mi->host ? "" : "; the top processes by it");
		if (mi->host) {
			if (s->host && !isnan(s->host[m]))
				gauge(fp, name, help, s->host[m] * unit_names[mi->unit].scale);
			continue;
		}
		n = s->wm ? wmetrics_topn(s->wm, m, t->top, (size_t)t->topn) : 0;
		if (!n)
			continue;
		family(fp, name, "gauge", help);
		for (size_t i = 0; i < n; i++) {
			char pid[16], comm[sizeof(t->top[i].comm) + 1];
			snprintf(pid, sizeof(pid), "%d", (int)t->top[i].pid);
			snprintf(comm, sizeof(comm), "%.*s", (int)sizeof(t->top[i].comm),
				 t->top[i].comm);
			fprintf(fp, "%s{", name);
			label(fp, "pid", pid, 1);
			label(fp, "comm", comm, 0);
			fputc('}', fp);
			num(fp, t->top[i].v * unit_names[mi->unit].scale);
		}
	}
}

void wtextfile_write(struct wtextfile *t, const struct wtextfile_state *s)
{
	struct safe_out_info info;
	FILE *fp;
	int rc;

	if (!t)
		return;
	fp = safe_out_open(t->path, 0644, 0, NULL, &info);
	if (!fp) {
		if (!t->failing)
			watch_log("--prom-textfile '%s' not written: %s", t->path,
				  info.why[0] ? info.why : strerror(errno));
		t->failing = 1;
		return;
	}
	family(fp, "procimage_watch_last_update_timestamp_seconds", "gauge",
	       "when watch last wrote this file (Unix time)");
	fprintf(fp, "procimage_watch_last_update_timestamp_seconds %.3f\n",
		(double)clock_wall_ns() / 1e9);
	gauge(fp, "procimage_watch_interval_seconds", "watch's sampling interval",
	      (double)s->interval_ns / 1e9);
	gauge(fp, "procimage_watch_rules", "rules loaded", s->rules->nrules);
	gauge(fp, "procimage_watch_processes", "processes watched",
	      s->wm ? (double)wmetrics_count(s->wm) : 0);
	gauge(fp, "procimage_watch_firing_processes",
	      "processes some rule fired for on the last sample", s->nfiring);
	gauge(fp, "procimage_watch_captures_active", "captures under way", s->captures_active);
	rule_counters(t, fp, s->rules);
	skipped(fp, s);
	metrics(t, fp, s);
	rc = ferror(fp) ? -1 : 0;
	if (rc)
		safe_out_discard(fp);
	if (fclose(fp) || rc) {
		if (!t->failing)
			watch_log("--prom-textfile '%s' not written: %s", t->path,
				  strerror(errno ? errno : EIO));
		t->failing = 1;
		return;
	}
	if (t->failing)
		watch_log("--prom-textfile '%s' written again", t->path);
	t->failing = 0;
}
