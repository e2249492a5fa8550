/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * procimage watch: keep watch at low cost and, when a rule fires, capture the
 * scene of the offending process (see watch.h for the parts).
 *
 * One run (no images: only the files the rules need are read, at a slow
 * default interval) feeds watch_metrics through a sink; at each REC_TICK the
 * host metrics are read, the rules and guards stepped, and at most one
 * capture started. The cooldown is per process and rule (a busy victim that
 * fires first cannot hide the culprit beside it), with a host-wide cap on
 * the captures under way at once (--max-captures). SIGHUP re-reads --rules-file;
 * if the new rules need /proc files the run does not read, the run is
 * restarted with the new file set.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command_table.h"
#include "cli/options.h"
#include "cli/watch.h"
#include "core/clock.h"
#include "core/run.h"

#define FOREVER_NS (100ULL * 365 * 24 * 3600 * NS_PER_S)
#define MAX_GUARDS 8
#define COOL_SLOTS 256 /* (process, rule) pairs remembered for the cooldown */

/* When a process (pid + start time: a reused pid is another process) was
 * last captured for a rule. */
struct cool {
	int32_t pid;
	int rule;
	uint64_t start, at_ns;
};

enum {
	O_RULE = OPTS_EXTRA_BASE,
	O_RULES_FILE,
	O_DUMP,
	O_COOLDOWN,
	O_WINDOW,
	O_CAPIVAL,
	O_CAPFMT,
	O_SYSSRC,
	O_GUARD,
	O_SIGNAL,
	O_EXEC,
	O_KEEP,
	O_KEEP_SIZE,
	O_ONCE,
	O_NO_IMAGES,
	O_MAX_CAPTURES,
	O_PROM_TEXTFILE,
	O_PROM_TOP,
};

static const struct option extra_opts[] = {
    {"rule", required_argument, NULL, O_RULE},
    {"rules-file", required_argument, NULL, O_RULES_FILE},
    {"dump-dir", required_argument, NULL, O_DUMP},
    {"cooldown", required_argument, NULL, O_COOLDOWN},
    {"capture", required_argument, NULL, O_WINDOW},
    {"capture-interval", required_argument, NULL, O_CAPIVAL},
    {"capture-format", required_argument, NULL, O_CAPFMT},
    {"syscall-source", required_argument, NULL, O_SYSSRC},
    {"guard", required_argument, NULL, O_GUARD},
    {"signal", required_argument, NULL, O_SIGNAL},
    {"exec", required_argument, NULL, O_EXEC},
    {"keep", required_argument, NULL, O_KEEP},
    {"keep-size", required_argument, NULL, O_KEEP_SIZE},
    {"once", no_argument, NULL, O_ONCE},
    {"no-images", no_argument, NULL, O_NO_IMAGES},
    {"max-captures", required_argument, NULL, O_MAX_CAPTURES},
    {"prom-textfile", required_argument, NULL, O_PROM_TEXTFILE},
    {"prom-top", required_argument, NULL, O_PROM_TOP},
    {NULL, 0, NULL, 0},
};

struct watch {
	struct run_opts o;
	const char *rule_args[RULES_MAX];
	int nrule_args;
	const char *rules_file;
	const char *guard_args[MAX_GUARDS];
	int nguards, no_guard, once;
	struct ruleset rules, guards;
	struct wcapture_cfg cc;
	char *hook_buf;
	char *hook_argv[32];
	uint64_t cooldown_ns;
	uint32_t pfiles, tfiles;
	int all; /* every process (-a or no target): the host-wide tiers */
	struct wmetrics *wm;
	struct whost *host;
	void *host_state, *guard_state;
	struct cond_eval *hev, *gev;
	struct wcapture *cap;
	const char *textfile_path;
	int prom_top, nfiring;
	struct wtextfile *textfile;
	struct run *run;
	uint64_t last_capture_ns, last_tick_ns, last_skip_log_ns;
	int captured_any, reload, restart;
	unsigned fires, skipped_guard, skipped_cooldown, skipped_cap;
	struct cool cool[COOL_SLOTS];
};

void watch_log(const char *fmt, ...)
{
	char when[40];
	va_list ap;

	clock_format_rfc3339(clock_wall_ns(), when, sizeof(when));
	fprintf(stderr, "%s procimage watch: ", when);
	/* the arguments hold comms and rule text: a control byte in them
	 * would retitle the terminal or forge a log line (out.h) */
	va_start(ap, fmt);
	out_vprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static int split_hook(struct watch *w, const char *arg)
{
	int n = 0;

	free(w->hook_buf);
	w->hook_buf = strdup(arg);
	if (!w->hook_buf)
		return -ENOMEM;
	for (char *tok = strtok(w->hook_buf, " \t"); tok && n < 31; tok = strtok(NULL, " \t"))
		w->hook_argv[n++] = tok;
	w->hook_argv[n] = NULL;
	if (!n)
		return -EINVAL;
	w->cc.hook_argv = w->hook_argv;
	return 0;
}

static int set_duration(struct watch *w, struct run_opts *o, int code, const char *arg)
{
	uint64_t ns;

	if (duration_parse(arg, &ns) || (ns == 0 && code != O_COOLDOWN))
		return opts_usage(o, "'%s' is not a duration: use e.g. 500ms, 10s, 5m", arg);
	if (code == O_COOLDOWN)
		w->cooldown_ns = ns;
	else if (code == O_WINDOW)
		w->cc.window_ns = ns;
	else
		w->cc.interval_ns = ns < NS_PER_MS ? NS_PER_MS : ns;
	return 0;
}

static int on_option(void *ctx, struct run_opts *o, int code, const char *arg)
{
	struct watch *w = ctx;

	switch (code) {
	case O_RULE:
		if (w->nrule_args == RULES_MAX)
			return opts_usage(o, "too many --rule (%d at most)", RULES_MAX);
		w->rule_args[w->nrule_args++] = arg;
		return 0;
	case O_RULES_FILE:
		w->rules_file = arg;
		return 0;
	case O_DUMP:
		w->cc.dump_dir = arg;
		return 0;
	case O_COOLDOWN:
	case O_WINDOW:
	case O_CAPIVAL:
		return set_duration(w, o, code, arg);
	case O_CAPFMT:
		if (strcmp(arg, "json") && strcmp(arg, "text"))
			return opts_usage(o, "--capture-format '%s' is unknown: use json or text",
					  arg);
		w->cc.format = arg;
		return 0;
	case O_SYSSRC:
		if (strcmp(arg, "auto") && strcmp(arg, "audit") && strcmp(arg, "sample"))
			return opts_usage(
			    o, "--syscall-source '%s' is unknown: use auto, audit or sample", arg);
		w->cc.syscall_source = arg;
		return 0;
	case O_GUARD:
		if (strcmp(arg, "none") == 0) {
			w->no_guard = 1;
			return 0;
		}
		if (w->nguards == MAX_GUARDS)
			return opts_usage(o, "too many --guard (%d at most)", MAX_GUARDS);
		w->guard_args[w->nguards++] = arg;
		return 0;
	case O_SIGNAL:
		w->cc.signo = watch_parse_signal(arg);
		if (w->cc.signo < 0)
			return opts_usage(
			    o, "--signal '%s' is not a signal: use e.g. USR2, QUIT or 12", arg);
		return 0;
	case O_EXEC:
		if (split_hook(w, arg))
			return opts_usage(
			    o, "--exec '%s' is empty: give a program and its arguments", arg);
		return 0;
	case O_KEEP:
		w->cc.keep_count = atoi(arg);
		if (w->cc.keep_count < 1)
			return opts_usage(o, "--keep '%s' is not a count: give a number from 1 up",
					  arg);
		return 0;
	case O_KEEP_SIZE:
		if (watch_parse_size(arg, &w->cc.keep_bytes) || !w->cc.keep_bytes)
			return opts_usage(
			    o, "--keep-size '%s' is not a size: use e.g. 500MiB or 2GiB", arg);
		return 0;
	case O_ONCE:
		w->once = 1;
		return 0;
	case O_NO_IMAGES:
		w->cc.images = 0;
		return 0;
	case O_MAX_CAPTURES:
		w->cc.max_active = atoi(arg);
		if (w->cc.max_active < 1 || w->cc.max_active > WATCH_MAX_CAPTURES)
			return opts_usage(o, "--max-captures '%s': give a number from 1 to %d", arg,
					  WATCH_MAX_CAPTURES);
		return 0;
	case O_PROM_TEXTFILE:
		w->textfile_path = arg;
		return 0;
	case O_PROM_TOP:
		w->prom_top = atoi(arg);
		if (w->prom_top < 1 || w->prom_top > WATCH_PROM_TOP_MAX ||
		    strspn(arg, "0123456789") != strlen(arg))
			return opts_usage(o, "--prom-top '%s': give a number from 1 to %d", arg,
					  WATCH_PROM_TOP_MAX);
		return 0;
	}
	return opts_usage(o, "unknown option");
}

/* Rules from --rule and --rules-file into rs. 0, or -EINVAL with err. */
static int load_rules(const struct watch *w, struct ruleset *rs, char *err, size_t len)
{
	char line[512], e[400];
	int lineno = 0;

	memset(rs, 0, sizeof(*rs));
	for (int i = 0; i < w->nrule_args; i++)
		if (ruleset_add(rs, w->rule_args[i], err, len))
			return -EINVAL;
	if (!w->rules_file)
		return 0;
	FILE *fp = fopen(w->rules_file, "re");
	if (!fp) {
		snprintf(err, len, "--rules-file '%s': %s", w->rules_file, strerror(errno));
		return -EINVAL;
	}
	while (fgets(line, sizeof(line), fp)) {
		char *p = line + strspn(line, " \t");
		lineno++;
		p[strcspn(p, "#\r\n")] = '\0';
		if (!*p)
			continue;
		if (ruleset_add(rs, p, e, sizeof(e))) {
			snprintf(err, len, "%s line %d: %s", w->rules_file, lineno, e);
			fclose(fp);
			return -EINVAL;
		}
	}
	fclose(fp);
	return 0;
}

static int load_guards(struct watch *w, char *err, size_t len)
{
	memset(&w->guards, 0, sizeof(w->guards));
	if (w->no_guard)
		return 0;
	if (!w->nguards)
		w->guard_args[w->nguards++] = "loadpc>4";
	for (int i = 0; i < w->nguards; i++) {
		if (ruleset_add(&w->guards, w->guard_args[i], err, len))
			return -EINVAL;
		if (!w->guards.rules[i].host_only) {
			snprintf(
			    err, len,
			    "--guard '%s' must use host metrics only (load1, loadpc, psi_cpu, ...)",
			    w->guard_args[i]);
			return -EINVAL;
		}
	}
	return 0;
}

/* (Re)allocate the host-side evaluation states for the current rules. */
static int host_states(struct watch *w)
{
	free(w->host_state);
	free(w->hev);
	w->host_state = malloc(rules_state_size(&w->rules) + 1);
	w->hev = calloc((size_t)w->rules.nconds + 1, sizeof(*w->hev));
	if (!w->host_state || !w->hev)
		return -ENOMEM;
	rules_state_init(&w->rules, w->host_state);
	if (!w->guard_state) {
		w->guard_state = malloc(rules_state_size(&w->guards) + 1);
		w->gev = calloc((size_t)w->guards.nconds + 1, sizeof(*w->gev));
		if (!w->guard_state || !w->gev)
			return -ENOMEM;
		rules_state_init(&w->guards, w->guard_state);
	}
	return 0;
}

static void do_reload(struct watch *w)
{
	struct ruleset *rs = malloc(sizeof(*rs));
	char err[512];
	uint32_t pf, tf;

	w->reload = 0;
	if (!rs)
		return;
	if (load_rules(w, rs, err, sizeof(err)) || rs->nrules == 0) {
		watch_log("SIGHUP: rules not reloaded, keeping the old ones: %s",
			  rs->nrules ? err : "no rules");
		free(rs);
		return;
	}
	ruleset_files(rs, &pf, &tf);
	w->rules = *rs;
	free(rs);
	wmetrics_set_rules(w->wm, &w->rules);
	host_states(w);
	watch_log("SIGHUP: %d rules loaded", w->rules.nrules);
	if ((pf & ~w->pfiles) || (tf & ~w->tfiles)) {
		w->restart = 1; /* the run must read more files */
		loop_stop(run_loop_handle(w->run));
	}
}

static void on_signal(void *ctx, int signo)
{
	struct watch *w = ctx;

	if (signo == SIGHUP)
		w->reload = 1;
}

/* The process a host-only rule points at: the top user of what it measures. */
static int host_fire(struct watch *w, int rule, struct wfire *f)
{
	const struct rule *r = &w->rules.rules[rule];
	int m = M_CPU;

	for (int k = 0; k < r->nconds; k++) {
		if (r->conds[k].metric == M_PSI_MEM || r->conds[k].metric == M_PSI_MEM_FULL)
			m = M_RSS;
		if (r->conds[k].metric == M_PSI_IO || r->conds[k].metric == M_PSI_IO_FULL)
			m = M_IO;
	}
	if (wmetrics_top(w->wm, m, f))
		return 0;
	f->rule = rule;
	memcpy(f->ev, w->hev + r->first_cond, (size_t)r->nconds * sizeof(*f->ev));
	f->nfiring = 1;
	return 1;
}

/* The cooldown slot of (process, rule), or NULL. */
static struct cool *cool_find(struct watch *w, int32_t pid, uint64_t start, int rule)
{
	for (int i = 0; i < COOL_SLOTS; i++)
		if (w->cool[i].at_ns && w->cool[i].pid == pid && w->cool[i].start == start &&
		    w->cool[i].rule == rule)
			return &w->cool[i];
	return NULL;
}

static int cooling(struct watch *w, int32_t pid, uint64_t start, int rule, uint64_t now)
{
	const struct cool *c = cool_find(w, pid, start, rule);

	return wcapture_busy(w->cap, pid) || (c && now - c->at_ns < w->cooldown_ns);
}

/* wmetrics skips (process, rule) pairs in their cooldown: the next firing
 * process is picked instead. The firing held back still counts, as a firing
 * and as one skipped by the cooldown, so the closing line and the textfile
 * say how often the rule held while its capture was already taken. */
static int skip_firing(void *ctx, int32_t pid, uint64_t start, int rule)
{
	struct watch *w = ctx;

	if (!cooling(w, pid, start, rule, w->last_tick_ns))
		return 0;
	w->fires++;
	wtextfile_fired(w->textfile, &w->rules, rule);
	w->skipped_cooldown++;
	return 1;
}

static void cool_set(struct watch *w, const struct wfire *f, uint64_t now)
{
	struct cool *c = cool_find(w, f->pid, f->start_ticks, f->rule);

	for (int i = 0; !c && i < COOL_SLOTS; i++) /* a free or expired slot, else the oldest */
		if (!w->cool[i].at_ns || now - w->cool[i].at_ns >= w->cooldown_ns)
			c = &w->cool[i];
	if (!c) {
		c = &w->cool[0];
		for (int i = 1; i < COOL_SLOTS; i++)
			if (w->cool[i].at_ns < c->at_ns)
				c = &w->cool[i];
	}
	*c = (struct cool){.pid = f->pid, .rule = f->rule, .start = f->start_ticks, .at_ns = now};
}

static void trigger(struct watch *w, const struct wfire *f, const double *host, int guard,
		    uint64_t now)
{
	const struct rule *r = &w->rules.rules[f->rule];
	char why[768] = "", msg[4400];
	size_t off = 0;

	w->fires++;
	wtextfile_fired(w->textfile, &w->rules, f->rule);
	if (cooling(w, f->pid, f->start_ticks, f->rule, now)) {
		w->skipped_cooldown++;
		return;
	}
	if (wcapture_active(w->cap) >= (w->cc.max_active ? w->cc.max_active : 2)) {
		w->skipped_cap++;
		return;
	}
	if (guard) {
		w->skipped_guard++;
		if (w->last_skip_log_ns && now - w->last_skip_log_ns < 60 * NS_PER_S)
			return;
		w->last_skip_log_ns = now;
	}
	for (int k = 0; k < r->nconds && off < sizeof(why); k++) {
		char d[256];
		rules_describe(&w->rules, r->first_cond + k, &f->ev[k], d, sizeof(d));
		off += (size_t)snprintf(why + off, sizeof(why) - off, "%s%s", k ? "; " : "", d);
	}
	if (guard) {
		watch_log("rule '%s' fired for pid %d (%s): %s; not captured: guard holds (host "
			  "busy: load1 %.2f)",
			  r->text, f->pid, f->comm, why, host[M_LOAD1]);
		return;
	}
	if (wcapture_start(w->cap, f, &w->rules, host, now, msg, sizeof(msg)) == 0) {
		cool_set(w, f, now);
		wtextfile_captured(w->textfile, &w->rules, f->rule);
		w->captured_any = 1;
		w->last_capture_ns = now;
	}
	watch_log("rule '%s' fired for pid %d (%s): %s; %s", r->text, f->pid, f->comm, why, msg);
}

/* --prom-textfile: what this tick saw (host NULL: before the first). */
static void write_textfile(struct watch *w, const double *host)
{
	struct wtextfile_state s = {
	    .wm = w->wm,
	    .rules = &w->rules,
	    .guards = &w->guards,
	    .host = host,
	    .interval_ns = w->o.interval_ns,
	    .nfiring = w->nfiring,
	    .captures_active = wcapture_active(w->cap),
	    .skipped_cooldown = w->skipped_cooldown,
	    .skipped_guard = w->skipped_guard,
	    .skipped_cap = w->skipped_cap,
	};

	wtextfile_write(w->textfile, &s);
}

static void on_tick(struct watch *w, uint64_t now)
{
	double host[M_COUNT];
	struct wfire f;
	uint64_t dt = w->last_tick_ns ? now - w->last_tick_ns : 0;
	int found, guard = 0;

	w->last_tick_ns = now;
	if (w->reload)
		do_reload(w);
	for (int i = 0; i < M_COUNT; i++)
		host[i] = NAN;
	whost_read(w->host, host);
	found = wmetrics_tick(w->wm, now, host, &f);
	rules_step(&w->rules, w->host_state, host, dt, 1, w->hev);
	for (int i = 0; i < w->rules.nrules && !found; i++)
		if (w->rules.rules[i].host_only && rules_fired(&w->rules, i, w->hev))
			found = host_fire(w, i, &f);
	rules_step(&w->guards, w->guard_state, host, dt, 1, w->gev);
	for (int i = 0; i < w->guards.nrules; i++)
		guard |= rules_fired(&w->guards, i, w->gev);
	if (wcapture_poll(w->cap, now) && w->once)
		loop_stop(run_loop_handle(w->run));
	if (found)
		trigger(w, &f, host, guard, now);
	w->nfiring = f.nfiring;
	write_textfile(w, host);
}

static void sink(void *ctx, const struct record *r)
{
	struct watch *w = ctx;

	if (r->kind == REC_TICK)
		on_tick(w, r->t_ns);
	else
		wmetrics_consume(w->wm, r);
}

static int usage_error(const struct watch *w)
{
	fprintf(stderr, "procimage %s: %s\n", w->o.cmd, w->o.err);
	return EXIT_USAGE;
}

static void defaults(struct watch *w, const char *cmd)
{
	memset(w, 0, sizeof(*w));
	opts_defaults(&w->o, cmd);
	w->cooldown_ns = 300 * NS_PER_S;
	w->cc.window_ns = 10 * NS_PER_S;
	w->cc.interval_ns = 10 * NS_PER_MS;
	w->cc.format = "json";
	w->cc.syscall_source = "sample";
	w->cc.keep_count = 20;
	w->cc.keep_bytes = 1024ULL * 1024 * 1024;
	w->cc.images = 1;
	w->cc.max_active = 2;
}

/* Parse and check everything; 0, -1 (help printed) or an exit code. */
static int setup(struct watch *w, int argc, char **argv)
{
	int first,
	    rc = opts_parse_ex(&w->o, argc, argv, watch_help, &first, extra_opts, on_option, w);

	if (rc)
		return rc;
	if (first < argc)
		return opts_usage(
		    &w->o,
		    "unexpected argument '%s': targets are given with -p, --comm, --cgroup or -a",
		    argv[first]);
	if (w->o.output)
		return opts_usage(
		    &w->o,
		    "-o '%s': watch writes no report; captures go to --dump-dir DIR, "
		    "metrics to --prom-textfile FILE and its log to stderr (redirect it, "
		    "e.g. 2>>watch.log)",
		    w->o.output);
	if (!w->nrule_args && !w->rules_file)
		return opts_usage(&w->o, "no rule: give at least one, e.g. --rule 'cpu>80%%for1m'");
	if (!w->cc.dump_dir)
		return opts_usage(
		    &w->o,
		    "no --dump-dir: say where captures go, e.g. --dump-dir /var/lib/procimage");
	if (load_rules(w, &w->rules, w->o.err, sizeof(w->o.err)) ||
	    load_guards(w, w->o.err, sizeof(w->o.err)))
		return EXIT_USAGE;
	if (!w->rules.nrules)
		return opts_usage(&w->o, "--rules-file '%s' holds no rule", w->rules_file);
	if (!w->o.interval_set)
		w->o.interval_ns = 2 * NS_PER_S;
	/* Captures run image children and SIGHUP may restart the run: keep
	 * the capabilities the run would otherwise drop after setup. */
	w->o.keep_privs = 1;
	if (!w->o.duration_set)
		w->o.duration_ns = FOREVER_NS;
	if (targets_empty(&w->o.targets))
		w->o.targets.all = 1;
	if (w->prom_top && !w->textfile_path)
		return opts_usage(&w->o, "--prom-top needs --prom-textfile FILE");
	if (w->textfile_path) {
		w->textfile = wtextfile_new(w->textfile_path, w->prom_top ? w->prom_top : 5,
					    w->o.err, sizeof(w->o.err));
		if (!w->textfile)
			return EXIT_USAGE;
	}
	w->all = w->o.targets.all;
	w->cc.proc_root = w->o.proc_root;
	w->cap = wcapture_new(&w->cc, w->o.err, sizeof(w->o.err));
	if (!w->cap)
		return EXIT_USAGE;
	w->host = whost_new(w->o.proc_root);
	w->wm = wmetrics_new(&w->rules, clock_ticks_per_s(), sysconf(_SC_PAGESIZE));
	if (!w->host || !w->wm || host_states(w))
		return opts_usage(&w->o, "out of memory");
	wmetrics_set_skip(w->wm, skip_firing, w);
	write_textfile(w, NULL); /* the counters at 0 before the first sample */
	return 0;
}

/* One run with the current file set; returns its exit code. */
static int run_once(struct watch *w)
{
	struct record_sink s = {sink, w};
	uint64_t t0 = clock_mono_ns();
	int all, rc;

	if (w->all)
		w->o.targets.all = 1; /* run_start clears it for the host-wide tiers */
	all = w->o.targets.all;
	ruleset_files(&w->rules, &w->pfiles, &w->tfiles);
	w->run = run_new(&w->o.run, NULL, 0);
	if (!w->run)
		return fprintf(stderr, "procimage watch: out of memory\n"), 1;
	/* Every process: the host-wide tiers and budget of sched and resource
	 * (a process read once an idle period unless it ran; watch_metrics
	 * carries a process that did not run forward, unchanged). */
	run_want_files(w->run, w->tfiles, w->pfiles, all);
	wmetrics_set_carry(w->wm, all);
	if (ruleset_uses(&w->rules, M_FORKS))
		run_want_source(w->run, SRC_CONNECTOR);
	run_add_sink(w->run, s);
	rc = run_start(w->run);
	if (rc) {
		fprintf(stderr, "procimage watch: %s\n", w->o.err);
		return rc;
	}
	wmetrics_set_forks_known(w->wm,
				 run_source_status(w->run, SRC_CONNECTOR)->state == SOURCE_OK);
	if (ruleset_uses(&w->rules, M_FORKS) &&
	    run_source_status(w->run, SRC_CONNECTOR)->state != SOURCE_OK)
		watch_log("forks are unknown (%s): rules on forks never fire",
			  run_source_status(w->run, SRC_CONNECTOR)->reason);
	loop_on_signal(run_loop_handle(w->run), on_signal, w);
	watch_log("watching %s with %d rule%s every %.3g s; captures into %s",
		  all ? "all processes" : "the targets", w->rules.nrules,
		  w->rules.nrules > 1 ? "s" : "", (double)w->o.interval_ns / 1e9, w->cc.dump_dir);
	w->last_tick_ns = 0;
	rc = run_loop(w->run);
	if (rc == 0)
		rc = run_exit_code(w->run);
	if (rc == EXIT_NOTARGET)
		fprintf(stderr, "procimage watch: %s\n", targets_none_matched(&w->o.targets));
	if (w->o.stats)
		run_print_stats(w->run, stderr);
	uint64_t spent = clock_mono_ns() - t0;
	w->o.duration_ns = w->o.duration_ns > spent ? w->o.duration_ns - spent : 1;
	return rc;
}

int cmd_watch(int argc, char **argv)
{
	struct watch *w = malloc(sizeof(*w));
	int rc;

	if (!w)
		return 1;
	defaults(w, argv[0]);
	rc = setup(w, argc, argv);
	if (rc < 0) {
		rc = 0;
	} else if (rc) {
		usage_error(w);
	} else {
		do {
			w->restart = 0;
			run_free(w->run);
			w->run = NULL;
			rc = run_once(w);
		} while (rc == 0 && w->restart);
		wcapture_stop(w->cap);
		w->nfiring = 0;
		write_textfile(w, NULL); /* the final counters */
		watch_log(
		    "stopped: %u firings, %u captures, %u skipped by cooldown, %u by the guard, "
		    "%u by the cap on captures at once",
		    w->fires, wcapture_count(w->cap), w->skipped_cooldown, w->skipped_guard,
		    w->skipped_cap);
	}
	run_free(w->run);
	wcapture_free(w->cap);
	wtextfile_free(w->textfile);
	whost_free(w->host);
	wmetrics_free(w->wm);
	free(w->host_state);
	free(w->hev);
	free(w->guard_state);
	free(w->gev);
	free(w->hook_buf);
	opts_free(&w->o);
	free(w);
	return rc;
}
