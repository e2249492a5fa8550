/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Watch rules (see rules.h): the metric table, the rule parser and the
 * per-subject evaluation state. Pure: no I/O, no clock; time comes in as the
 * dt of each sample, so the same code runs on synthetic series in tests.
 */
#include "cli/rules.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "procimage/sample.h"

static const struct metric_info metrics[M_COUNT] = {
    [M_CPU] = {"cpu", MU_PCT, 0, PF_STAT, 0, "CPU use, % of one CPU (stat utime+stime)"},
    [M_RSS] = {"rss", MU_BYTES, 0, PF_STAT, 0, "resident memory (stat rss)"},
    [M_THREADS] = {"threads", MU_COUNT, 0, PF_STAT, 0, "number of threads (stat)"},
    [M_FDS] = {"fds", MU_COUNT, 0, PF_FDS, 0, "open file descriptors (fd/)"},
    [M_CS] = {"cs", MU_RATE, 0, PF_STATUS, 0, "context switches per second (status)"},
    [M_SYSCALLS] = {"syscalls", MU_RATE, 0, PF_IO, 0, "read+write syscalls per second (io)"},
    [M_FORKS] = {"forks", MU_RATE, 0, 0, 0, "forks per second (proc connector)"},
    [M_RUNQ] = {"runq", MU_PCT, 0, 0, PF_SCHEDSTAT,
		"run-queue wait, % of wall time summed over threads (schedstat)"},
    [M_IO] = {"io", MU_BYTE_RATE, 0, PF_IO, 0, "storage read+write bytes per second (io)"},
    [M_MAJFLT] = {"majflt", MU_RATE, 0, PF_STAT, 0, "major page faults per second (stat)"},
    [M_LOAD1] = {"load1", MU_LOAD, 1, 0, 0, "host load average, 1 min"},
    [M_LOAD5] = {"load5", MU_LOAD, 1, 0, 0, "host load average, 5 min"},
    [M_LOAD15] = {"load15", MU_LOAD, 1, 0, 0, "host load average, 15 min"},
    [M_LOADPC] = {"loadpc", MU_LOAD, 1, 0, 0, "host load1 per online CPU"},
    [M_PSI_CPU] = {"psi_cpu", MU_PCT, 1, 0, 0, "host CPU pressure, some avg10"},
    [M_PSI_MEM] = {"psi_mem", MU_PCT, 1, 0, 0, "host memory pressure, some avg10"},
    [M_PSI_IO] = {"psi_io", MU_PCT, 1, 0, 0, "host I/O pressure, some avg10"},
    [M_PSI_MEM_FULL] = {"psi_mem_full", MU_PCT, 1, 0, 0, "host memory pressure, full avg10"},
    [M_PSI_IO_FULL] = {"psi_io_full", MU_PCT, 1, 0, 0, "host I/O pressure, full avg10"},
};

/* Relative rules on tiny baselines fire on noise: these minimums apply
 * unless the rule gives its own min=. */
static const double default_rel_min[M_COUNT] = {
    [M_CPU] = 5.0,	    [M_RSS] = 16.0 * 1024 * 1024,
    [M_CS] = 100.0,	    [M_SYSCALLS] = 100.0,
    [M_IO] = 1024.0 * 1024, [M_RUNQ] = 5.0,
    [M_FDS] = 16.0,	    [M_THREADS] = 4.0,
    [M_FORKS] = 1.0,	    [M_MAJFLT] = 10.0,
};

#define DEFAULT_WINDOW 30

const struct metric_info *rules_metric(int m)
{
	return m >= 0 && m < M_COUNT ? &metrics[m] : NULL;
}

void rules_format_value(int m, double v, char *buf, size_t len)
{
	static const char *const bu[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;

	if (isnan(v)) {
		snprintf(buf, len, "?");
		return;
	}
	switch (metrics[m].unit) {
	case MU_PCT:
		snprintf(buf, len, "%.1f%%", v);
		return;
	case MU_BYTES:
	case MU_BYTE_RATE:
		while (fabs(v) >= 1024 && u < 4) {
			v /= 1024;
			u++;
		}
		snprintf(buf, len, u ? "%.1f %s%s" : "%.0f %s%s", v, bu[u],
			 metrics[m].unit == MU_BYTE_RATE ? "/s" : "");
		return;
	case MU_COUNT:
		snprintf(buf, len, "%.0f", v);
		return;
	case MU_RATE:
		snprintf(buf, len, "%.1f/s", v);
		return;
	case MU_LOAD:
		snprintf(buf, len, "%.2f", v);
		return;
	}
}

__attribute__((format(printf, 3, 4))) static int err_out(char *err, size_t len, const char *fmt,
							 ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A number with the metric's unit suffix. *p advances past it. */
static int parse_value(int m, const char **p, double *out, int *is_pct)
{
	static const struct {
		const char *sfx;
		double mul;
		int bytes; /* 1: bytes only, 0: counts only, 2: any */
	} sfx[] = {
	    {"KiB", 1024.0, 1},
	    {"MiB", 1048576.0, 1},
	    {"GiB", 1073741824.0, 1},
	    {"TiB", 1099511627776.0, 1},
	    {"KB", 1e3, 1},
	    {"MB", 1e6, 1},
	    {"GB", 1e9, 1},
	    {"TB", 1e12, 1},
	    {"K", 1024.0, 1},
	    {"M", 1048576.0, 1},
	    {"G", 1073741824.0, 1},
	    {"T", 1099511627776.0, 1},
	    {"B", 1.0, 1},
	    {"k", 1e3, 0},
	    {"K", 1e3, 0},
	    {"M", 1e6, 0},
	    {"G", 1e9, 0},
	};
	const char *s = *p;
	char *end;
	int bytes = metrics[m].unit == MU_BYTES || metrics[m].unit == MU_BYTE_RATE;

	if (!isdigit((unsigned char)*s) && *s != '.')
		return -EINVAL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !isfinite(v))
		return -EINVAL;
	s = end;
	*is_pct = 0;
	if (*s == '%') {
		*is_pct = 1;
		s++;
	} else {
		for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
			size_t n = strlen(sfx[i].sfx);
			if (strncmp(s, sfx[i].sfx, n) != 0 ||
			    (sfx[i].bytes != 2 && sfx[i].bytes != bytes))
				continue;
			v *= sfx[i].mul;
			s += n;
			break;
		}
		if (strncmp(s, "/s", 2) == 0)
			s += 2;
	}
	*out = v;
	*p = s;
	return 0;
}

static int parse_int(const char *s, const char *stop, int lo, int hi, int *out)
{
	long v = 0;

	if (s == stop)
		return -EINVAL;
	for (; s < stop; s++) {
		if (!isdigit((unsigned char)*s) || v > 100000000)
			return -EINVAL;
		v = v * 10 + (*s - '0');
	}
	if (v < lo || v > hi)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* "3m" or "3of5" after "for". */
static int parse_for(struct cond *c, const char *s, char *err, size_t errlen)
{
	const char *of = strstr(s, "of");
	char buf[64];

	if (of && isdigit((unsigned char)*s)) {
		if (parse_int(s, of, 1, 64, &c->n) ||
		    parse_int(of + 2, of + 2 + strlen(of + 2), 1, 64, &c->m) || c->n > c->m)
			return err_out(
			    err, errlen,
			    "'for%s' is not N of M samples: use e.g. for3of5 (N <= M <= 64)", s);
		c->sus = SUS_NOFM;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	if (duration_parse(buf, &c->for_ns) || c->for_ns == 0)
		return err_out(err, errlen, "'for%s' is not a duration: use e.g. for30s, for3m", s);
	c->sus = SUS_DURATION;
	return 0;
}

static int parse_option(struct cond *c, const char *opt, char *err, size_t errlen)
{
	const char *eq = strchr(opt, '=');
	int pct;

	if (!eq)
		return err_out(err, errlen,
			       "option '%s' needs a value: use min=, window= or warmup=", opt);
	if (strncmp(opt, "min=", 4) == 0) {
		const char *p = eq + 1;
		if (parse_value(c->metric, &p, &c->min, &pct) || *p)
			return err_out(err, errlen,
				       "'%s' is not a value for %s: e.g. min=10%% or min=1GiB", opt,
				       metrics[c->metric].name);
		c->has_min = 1;
		return 0;
	}
	if (strncmp(opt, "window=", 7) == 0) {
		if (parse_int(eq + 1, eq + strlen(eq), 1, RULE_WINDOW_MAX, &c->window))
			return err_out(err, errlen,
				       "'%s': window is a number of samples from 1 to %d", opt,
				       RULE_WINDOW_MAX);
		return 0;
	}
	if (strncmp(opt, "warmup=", 7) == 0) {
		if (parse_int(eq + 1, eq + strlen(eq), 1, RULE_WINDOW_MAX, &c->warmup))
			return err_out(err, errlen,
				       "'%s': warmup is a number of samples from 1 to %d", opt,
				       RULE_WINDOW_MAX);
		return 0;
	}
	return err_out(err, errlen, "unknown rule option '%s': use min=, window= or warmup=", opt);
}

static int parse_metric(const char **p, int *m, char *err, size_t errlen)
{
	char name[32];
	size_t n = 0;

	while (((*p)[n] >= 'a' && (*p)[n] <= 'z') || (*p)[n] == '_' ||
	       isdigit((unsigned char)(*p)[n]))
		n++;
	if (n == 0 || n >= sizeof(name))
		return err_out(err, errlen, "rule must start with a metric name: e.g. cpu>80%%");
	memcpy(name, *p, n);
	name[n] = '\0';
	for (int i = 0; i < M_COUNT; i++)
		if (strcmp(name, metrics[i].name) == 0) {
			*m = i;
			*p += n;
			return 0;
		}
	return err_out(
	    err, errlen,
	    "unknown metric '%s': use cpu, rss, threads, fds, cs, syscalls, forks, runq, io, "
	    "majflt, load1, load5, load15, loadpc, psi_cpu, psi_mem, psi_io, psi_mem_full, "
	    "psi_io_full",
	    name);
}

static int parse_op(const char **p, enum rule_op *op)
{
	const char *s = *p;

	if (s[0] == '>' || s[0] == '<') {
		int eq = s[1] == '=';
		*op = s[0] == '>' ? (eq ? OP_GE : OP_GT) : (eq ? OP_LE : OP_LT);
		*p += 1 + eq;
		return 0;
	}
	return -EINVAL;
}

/* One condition, spaces already removed. */
static int parse_cond(const char *s, struct cond *c, char *err, size_t errlen)
{
	char body[256];
	char *opts, *f;
	const char *p;
	int pct;

	memset(c, 0, sizeof(*c));
	snprintf(body, sizeof(body), "%s", s);
	opts = strchr(body, ',');
	if (opts)
		*opts++ = '\0';
	p = body;
	if (parse_metric(&p, &c->metric, err, errlen))
		return -EINVAL;
	if (parse_op(&p, &c->op))
		return err_out(err, errlen, "after '%s' comes >, >=, < or <=: e.g. %s>80%%",
			       metrics[c->metric].name, metrics[c->metric].name);
	if (*p == '+' || *p == '-') {
		int neg = *p == '-';
		p++;
		if (parse_value(c->metric, &p, &c->value, &pct))
			goto bad_value;
		c->rel = pct ? REL_RATIO : REL_DELTA;
		if (neg)
			c->value = -c->value;
	} else if (parse_value(c->metric, &p, &c->value, &pct)) {
		goto bad_value;
	}
	if (c->rel == REL_ABS && pct && metrics[c->metric].unit != MU_PCT)
		return err_out(
		    err, errlen,
		    "%s is not a percentage: give an amount (e.g. %s) or a relative +N%%",
		    metrics[c->metric].name,
		    metrics[c->metric].unit == MU_BYTES ? "rss>2GiB" : "a plain number");
	if (*p) {
		if (strncmp(p, "for", 3) != 0)
			return err_out(
			    err, errlen,
			    "unexpected '%s' in a condition: expected forDUR, forNofM or ,option",
			    p);
		if (parse_for(c, p + 3, err, errlen))
			return -EINVAL;
	}
	for (f = opts; f && *f;) {
		char *next = strchr(f, ',');
		if (next)
			*next++ = '\0';
		if (parse_option(c, f, err, errlen))
			return -EINVAL;
		f = next;
	}
	if (c->rel != REL_ABS) {
		if (!c->window)
			c->window = c->warmup > DEFAULT_WINDOW ? c->warmup : DEFAULT_WINDOW;
		if (!c->warmup || c->warmup > c->window)
			c->warmup = c->window;
		if (!c->has_min && default_rel_min[c->metric] > 0) {
			c->min = default_rel_min[c->metric];
			c->has_min = 1;
		}
	}
	return 0;
bad_value:
	return err_out(err, errlen, "bad value in '%s': give a number with a unit, e.g. %s", s,
		       metrics[c->metric].unit == MU_BYTES ? "rss>2GiB" : "cpu>80% or cpu>+25%");
}

int rules_parse(const char *text, struct rule *out, char *err, size_t errlen)
{
	char flat[256];
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	for (const char *s = text; *s; s++) {
		if (isspace((unsigned char)*s))
			continue;
		if (n + 1 >= sizeof(flat))
			return err_out(err, errlen,
				       "rule '%.60s...' is too long (%zu characters at most)", text,
				       sizeof(flat) - 1);
		flat[n++] = *s;
	}
	flat[n] = '\0';
	if (!n)
		return err_out(err, errlen, "empty rule: give e.g. --rule 'cpu>80%%for1m'");
	snprintf(out->text, sizeof(out->text), "%s", flat);
	out->host_only = 1;
	for (char *c = flat; c;) {
		char *amp = strstr(c, "&&");
		if (amp)
			*amp = '\0';
		if (out->nconds == RULE_MAX_CONDS)
			return err_out(err, errlen,
				       "rule '%s' has too many conditions (%d at most)", out->text,
				       RULE_MAX_CONDS);
		if (parse_cond(c, &out->conds[out->nconds], err, errlen))
			return -EINVAL;
		if (!metrics[out->conds[out->nconds].metric].host)
			out->host_only = 0;
		out->nconds++;
		c = amp ? amp + 2 : NULL;
	}
	return 0;
}

int ruleset_add(struct ruleset *rs, const char *text, char *err, size_t errlen)
{
	if (rs->nrules == RULES_MAX) {
		snprintf(err, errlen, "too many rules (%d at most)", RULES_MAX);
		return -ENOSPC;
	}
	struct rule *r = &rs->rules[rs->nrules];
	if (rules_parse(text, r, err, errlen))
		return -EINVAL;
	r->first_cond = rs->nconds;
	rs->nconds += r->nconds;
	rs->nrules++;
	return 0;
}

const struct cond *ruleset_cond(const struct ruleset *rs, int c)
{
	for (int i = 0; i < rs->nrules; i++)
		if (c < rs->rules[i].first_cond + rs->rules[i].nconds)
			return &rs->rules[i].conds[c - rs->rules[i].first_cond];
	return NULL;
}

void ruleset_files(const struct ruleset *rs, uint32_t *pfiles, uint32_t *tfiles)
{
	*pfiles = PF_STAT;
	*tfiles = 0;
	for (int i = 0; i < rs->nrules; i++)
		for (int k = 0; k < rs->rules[i].nconds; k++) {
			*pfiles |= metrics[rs->rules[i].conds[k].metric].pfiles;
			*tfiles |= metrics[rs->rules[i].conds[k].metric].tfiles;
		}
}

int ruleset_uses(const struct ruleset *rs, int m)
{
	for (int i = 0; i < rs->nrules; i++)
		for (int k = 0; k < rs->rules[i].nconds; k++)
			if (rs->rules[i].conds[k].metric == m)
				return 1;
	return 0;
}

/* ==== evaluation state ==== */

struct cstate {
	uint32_t ring_off; /* index of the first ring slot in the double area */
	uint16_t count, pos;
	uint16_t nbits;
	uint64_t bits;
	uint64_t held_ns;
	double sum;
};

static size_t rings_total(const struct ruleset *rs)
{
	size_t n = 0;
	for (int c = 0; c < rs->nconds; c++) {
		const struct cond *k = ruleset_cond(rs, c);
		if (k->rel != REL_ABS)
			n += (size_t)k->window;
	}
	return n;
}

size_t rules_state_size(const struct ruleset *rs)
{
	return (size_t)rs->nconds * sizeof(struct cstate) + rings_total(rs) * sizeof(double);
}

void rules_state_init(const struct ruleset *rs, void *block)
{
	struct cstate *st = block;
	uint32_t off = 0;

	memset(block, 0, rules_state_size(rs));
	for (int c = 0; c < rs->nconds; c++) {
		const struct cond *k = ruleset_cond(rs, c);
		st[c].ring_off = off;
		if (k->rel != REL_ABS)
			off += (uint32_t)k->window;
	}
}

static int compare(double v, enum rule_op op, double t)
{
	switch (op) {
	case OP_GT:
		return v > t;
	case OP_GE:
		return v >= t;
	case OP_LT:
		return v < t;
	case OP_LE:
		return v <= t;
	}
	return 0;
}

static void ring_push(const struct cond *k, struct cstate *st, double *ring, double v)
{
	if (st->count < k->window) {
		ring[st->pos] = v;
		st->count++;
		st->sum += v;
	} else {
		st->sum += v - ring[st->pos];
		ring[st->pos] = v;
	}
	st->pos = (uint16_t)((st->pos + 1) % k->window);
	if (st->pos == 0) { /* re-add now and then: no drift from += and -= */
		st->sum = 0;
		for (int i = 0; i < st->count; i++)
			st->sum += ring[i];
	}
}

/* The comparison of one sample, before sustain. */
static int base_check(const struct cond *k, struct cstate *st, double *ring, double v,
		      struct cond_eval *ev)
{
	int ok;

	ev->mean = st->count ? st->sum / st->count : NAN;
	if (k->rel == REL_ABS) {
		ev->threshold = k->value;
	} else if (st->count < k->warmup) {
		ev->threshold = NAN;
	} else {
		ev->threshold =
		    k->rel == REL_RATIO ? ev->mean * (1.0 + k->value / 100.0) : ev->mean + k->value;
	}
	ok = !isnan(ev->threshold) && compare(v, k->op, ev->threshold);
	if (ok && k->has_min) {
		if (k->op == OP_GT || k->op == OP_GE)
			ok = v >= k->min;
		else if (k->rel != REL_ABS)
			ok = ev->mean >= k->min;
	}
	if (k->rel != REL_ABS)
		ring_push(k, st, ring, v);
	else
		ev->mean = NAN;
	return ok;
}

static void step_cond(const struct cond *k, struct cstate *st, double *ring, double v,
		      uint64_t dt_ns, struct cond_eval *ev)
{
	int base = base_check(k, st, ring, v, ev);

	ev->value = v;
	switch (k->sus) {
	case SUS_NONE:
		ev->ok = base;
		break;
	case SUS_DURATION:
		st->held_ns = base ? st->held_ns + dt_ns : 0;
		ev->held_ns = st->held_ns;
		ev->ok = st->held_ns >= k->for_ns;
		break;
	case SUS_NOFM: {
		uint64_t mask = k->m >= 64 ? ~0ULL : (1ULL << k->m) - 1;
		st->bits = ((st->bits << 1) | (uint64_t)base) & mask;
		if (st->nbits < k->m)
			st->nbits++;
		ev->hits = __builtin_popcountll(st->bits);
		ev->of = st->nbits;
		ev->ok = ev->hits >= k->n;
		break;
	}
	}
}

void rules_step(const struct ruleset *rs, void *block, const double *m, uint64_t dt_ns,
		int host_only, struct cond_eval *ev)
{
	struct cstate *st = block;
	double *rings = (double *)(st + rs->nconds);

	for (int i = 0; i < rs->nrules; i++) {
		const struct rule *r = &rs->rules[i];
		for (int k = 0; k < r->nconds; k++) {
			int c = r->first_cond + k;
			double v = m[r->conds[k].metric];
			memset(&ev[c], 0, sizeof(ev[c]));
			ev[c].value = v;
			ev[c].mean = ev[c].threshold = NAN;
			if (r->host_only != host_only || isnan(v))
				continue;
			step_cond(&r->conds[k], &st[c], rings + st[c].ring_off, v, dt_ns, &ev[c]);
		}
	}
}

int rules_fired(const struct ruleset *rs, int i, const struct cond_eval *ev)
{
	const struct rule *r = &rs->rules[i];

	for (int k = 0; k < r->nconds; k++)
		if (!ev[r->first_cond + k].ok)
			return 0;
	return r->nconds > 0;
}

void rules_describe(const struct ruleset *rs, int c, const struct cond_eval *ev, char *buf,
		    size_t len)
{
	static const char *const ops[] = {">", ">=", "<", "<="};
	const struct cond *k = ruleset_cond(rs, c);
	char v[32], t[32], mean[32];
	int n;

	rules_format_value(k->metric, ev->value, v, sizeof(v));
	rules_format_value(k->metric, ev->threshold, t, sizeof(t));
	n = snprintf(buf, len, "%s %s %s %s", metrics[k->metric].name, v, ops[k->op], t);
	if (k->rel != REL_ABS && n > 0 && (size_t)n < len) {
		rules_format_value(k->metric, ev->mean, mean, sizeof(mean));
		n += snprintf(buf + n, len - (size_t)n, " (mean %s %s%g%s)", mean,
			      k->value >= 0 ? "+" : "", k->value, k->rel == REL_RATIO ? "%" : "");
	}
	if (k->sus == SUS_DURATION && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " for %.1f s", (double)ev->held_ns / 1e9);
	else if (k->sus == SUS_NOFM && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " on %d of the last %d samples", ev->hits,
			 ev->of);
}
