/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * procimage report: rebuild images from a recording.
 *
 * The stored records are replayed, in recorded order, through the same image
 * code the live commands run (image_find -> create/consume/report), and the
 * same envelope is printed, with the host, kernel, start, interval and source
 * status of the recording. A time window (--from/--to) and targets filter
 * the records before the images see them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/stacks_out.h"
#include "cli/command_table.h"
#include "cli/report_int.h"
#include "cli/store_cmd.h"
#include "cli/triage.h"
#include "core/clock.h"
#include "images/exits.h"
#include "store/replay_filter.h"

static const char help[] =
    "usage: procimage report FILE [IMAGE...] [--from T] [--to T] [TARGETS]\n"
    "                        [-f text|json|prom|csv|html|folded|svg|pprof] [-o OUT]\n"
    "                        [image options]\n"
    "Rebuild images (sched, resource, keytime, syscall, migrate, exits, stacks)\n"
    "from a recording made by `procimage record`. Without IMAGE: the images the\n"
    "recording was made for, or all of them. 'report FILE triage': triage's\n"
    "diagnosis of the recording (its offenders, why, and their images).\n"
    "  --from T, --to T  window: an offset from the start of the recording (30s, 2m),\n"
    "                    an offset back from its end (-30s), or a wall-clock time\n"
    "                    (2026-11-22T10:00:00Z, @EPOCH_SECONDS)\n"
    "  TARGETS           -p PID[,PID..], --comm REGEX: only records of these tasks\n"
    "  --info            print what the recording holds (time span, records, sources;\n"
    "                    -f json: as one object)\n"
    "  -f folded, -f svg one image's stacks, as its live command folds or draws\n"
    "                    them: sched (the hogs' stacks), syscall or stacks\n"
    "  -f pprof          the stacks image alone, from a recording with stacks, as\n"
    "                    the gzip'd profile.proto 'procimage stacks -f pprof' writes\n"
    "  -o OUT            the report, replaced whole once complete (so -f prom suits\n"
    "                    node_exporter); never the recording itself (exit 2)\n"
    "exit status: 0 ok, 1 failure, 2 bad usage, not a (readable) recording, or -o\n"
    "             naming it; 3 nothing matched: no record of the targets, or none\n"
    "             in the window (--from past the end)\n";

enum { OPT_FROM = OPTS_EXTRA_BASE, OPT_TO, OPT_INFO };

static const struct option extra[] = {
    {"from", required_argument, NULL, OPT_FROM},
    {"to", required_argument, NULL, OPT_TO},
    {"info", no_argument, NULL, OPT_INFO},
    {NULL, 0, NULL, 0},
};

struct report_args {
	struct report_cfg *c;
	int info;
};

static int on_extra(void *ctx, struct run_opts *o, int code, const char *arg)
{
	struct report_args *a = ctx;

	(void)o;
	if (code == OPT_FROM)
		a->c->from = arg;
	else if (code == OPT_TO)
		a->c->to = arg;
	else if (code == OPT_INFO)
		a->info = 1;
	return 0;
}

/* Wall-clock "2026-11-22T10:00:00[.123][Z]" (UTC) or "@EPOCH" to ns. */
static int parse_wall(const char *s, uint64_t *ns)
{
	struct tm tm = {0};
	char *end;

	if (s[0] == '@') {
		double v = strtod(s + 1, &end);
		if (end == s + 1 || *end || v < 0)
			return -EINVAL;
		*ns = (uint64_t)(v * 1e9);
		return 0;
	}
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if (!end)
		return -EINVAL;
	double frac = 0;
	if (*end == '.') {
		char *e2;
		frac = strtod(end, &e2);
		end = e2;
	}
	if (*end == 'Z')
		end++;
	if (*end)
		return -EINVAL;
	time_t t = timegm(&tm);
	if (t < 0)
		return -EINVAL;
	*ns = (uint64_t)t * NS_PER_S + (uint64_t)(frac * 1e9);
	return 0;
}

/* T to CLOCK_MONOTONIC ns of the recording host. */
static int parse_when(const struct store_info *in, const char *s, uint64_t *mono)
{
	uint64_t v, end = in->ended_mono_ns ? in->ended_mono_ns : in->last_ns;

	if (s[0] == '-' && duration_parse(s + 1, &v) == 0) {
		*mono = end > v ? end - v : 1;
		return 0;
	}
	if (duration_parse(s, &v) == 0) {
		*mono = in->started_mono_ns + v;
		return 0;
	}
	if (parse_wall(s, &v))
		return -EINVAL;
	int64_t off = (int64_t)(v - in->started_wall_ns);
	*mono = (uint64_t)((int64_t)in->started_mono_ns + off);
	return 0;
}

void replay_consume(void *ctx, const struct record *r)
{
	struct replay_ctx *p = ctx;
	int own;

	p->seen++;
	if (!replay_filter_pass(p->filter, r, &own))
		return;
	p->matched += own && (r->key.tid || r->key.tgid);
	for (int i = 0; i < p->n; i++)
		p->ops[i]->consume(p->img[i], r);
	if (p->extra.fn)
		p->extra.fn(p->extra.ctx, r);
}

static void print_report(void *ctx, struct out *o)
{
	struct replay_ctx *p = ctx;

	run_envelope_open_from(o, p->name, p->in->host, p->in->kernel, p->started_wall,
			       p->duration_s, p->in->interval_ns, p->src);
	for (int i = 0; i < p->n; i++) {
		if (p->n > 1) {
			out_obj_open(o, p->ops[i]->name);
			out_text(o, "== %s ==\n", p->ops[i]->name);
		}
		p->ops[i]->report(p->img[i], o);
		if (p->n > 1)
			out_obj_close(o);
	}
	out_obj_close(o);
}

int replay_create_images(struct replay_ctx *p, struct run_opts *o, const struct report_cfg *c)
{
	struct image_params ip = {0};

	ip.interval_ns = p->in->interval_ns;
	ip.threshold_ns = o->threshold_ns;
	ip.threads = o->threads;
	ip.children = o->children;
	ip.stacks = o->stacks;
	ip.sequence = o->sequence;
	ip.verbose = o->verbose;
	ip.top = o->top;
	ip.syscalls = o->syscalls;
	ip.source_mode = o->source_mode;
	ip.ticks_per_s = p->in->ticks_per_s;
	ip.hostwide = o->targets.all;
	ip.page_size = p->in->page_size;
	/* The recording host's clocks, not ours (time namespace, reboot). */
	ip.have_wall_offset = p->in->started_wall_ns != 0;
	ip.wall_offset_ns = (int64_t)p->in->started_wall_ns - (int64_t)p->in->started_mono_ns;
	for (int i = 0; i < c->nimages; i++) {
		p->ops[i] = image_find(c->images[i]);
		if (!p->ops[i] || !(p->img[i] = p->ops[i]->create(&ip))) {
			snprintf(o->err, sizeof(o->err), "cannot create image '%s'", c->images[i]);
			return 1;
		}
		p->n++;
		/* As the live exits command does: every process unless targets. */
		if (!strcmp(p->ops[i]->name, "exits"))
			exits_set_context(p->img[i], targets_empty(&o->targets) || o->targets.all,
					  exits_have_from_sources(p->src), 0);
	}
	p->filter = replay_filter_new(&o->targets, o->children);
	if (!p->filter)
		return snprintf(o->err, sizeof(o->err), "out of memory"), 1;
	return 0;
}

/* Default images: those recorded for, else every registered one. */
void replay_default_images(struct report_cfg *c, const struct store_info *in)
{
	char buf[sizeof(in->images)], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", in->images);
	for (char *t = strtok_r(buf, ",", &save); t && c->nimages < RUN_MAX_IMAGES;
	     t = strtok_r(NULL, ",", &save)) {
		const struct image_ops *ops = image_find(t);
		if (ops)
			c->images[c->nimages++] = ops->name;
	}
	if (!c->nimages)
		for (int i = 0; image_at(i) && c->nimages < RUN_MAX_IMAGES; i++)
			c->images[c->nimages++] = image_at(i)->name;
}

int replay_window(struct run_opts *o, struct report_cfg *c, const struct store_info *in)
{
	if (c->from && parse_when(in, c->from, &c->from_ns))
		return snprintf(o->err, sizeof(o->err),
				"--from '%s' is not a time: use an offset"
				" (30s), an offset from the end (-30s) or 2026-11-22T10:00:00Z",
				c->from),
		       EXIT_USAGE;
	if (c->to && parse_when(in, c->to, &c->to_ns))
		return snprintf(o->err, sizeof(o->err),
				"--to '%s' is not a time: use an offset"
				" (30s), an offset from the end (-30s) or 2026-11-22T10:00:00Z",
				c->to),
		       EXIT_USAGE;
	if (c->to_ns && c->from_ns > c->to_ns)
		return snprintf(o->err, sizeof(o->err),
				"--from is after --to: the window is"
				" empty"),
		       EXIT_USAGE;
	return 0;
}

void replay_fill_envelope(struct replay_ctx *p, const struct report_cfg *c)
{
	const struct store_info *in = p->in;
	uint64_t end = in->ended_mono_ns ? in->ended_mono_ns : in->last_ns;
	uint64_t from = c->from_ns > in->started_mono_ns ? c->from_ns : in->started_mono_ns;
	uint64_t to = c->to_ns && c->to_ns < end ? c->to_ns : end;

	p->name = p->n == 1 ? p->ops[0]->name : "report";
	p->started_wall = in->started_wall_ns + (from - in->started_mono_ns);
	p->duration_s = to > from ? (double)(to - from) / 1e9 : 0;
	if (!in->clean_end && !c->live) {
		struct source_status *s = &p->src[SRC_PROCFS];
		size_t l = strlen(s->reason);
		snprintf(s->reason + l, sizeof(s->reason) - l, "%s%s", l ? "; " : "",
			 "the recording did not end cleanly (killed?): data up to its last commit");
		if (s->state == SOURCE_OK)
			s->state = SOURCE_DEGRADED;
	}
}

/* -o is the recording being read (itself, a hard link, the file a
 * symbolic link points to, or its WAL): writing the report would destroy
 * it. Exit 2, said. */
int replay_refuse_own_store(const struct run_opts *o, const char *path)
{
	if (!opts_output_is(o, path))
		return 0;
	fprintf(stderr,
		"procimage %s: -o '%s' is the recording '%s' being read (or one of its SQLite "
		"files): the report would "
		"replace it; give another file for the report\n",
		o->cmd, o->output, path);
	return EXIT_USAGE;
}

/* Why a replay found nothing to report (exit 3): the window holds no
 * record, or no record is of the targets. 0 when there is something. */
int replay_nothing_matched(struct run_opts *o, const struct report_cfg *c,
			   const struct replay_ctx *p)
{
	const struct store_info *in = p->in;
	uint64_t end = in->ended_mono_ns ? in->ended_mono_ns : in->last_ns;
	double span = end > in->started_mono_ns ? (double)(end - in->started_mono_ns) / 1e9 : 0;
	const struct targets *t = &o->targets;

	if (c->quiet_empty)
		return 0;
	if ((c->from || c->to) && !p->seen) {
		snprintf(o->err, sizeof(o->err),
			 "nothing matched: no record in the window%s%s%s%s of '%s' (it spans 0 to "
			 "%.3f s%s); give a window within it, e.g. --from -%.0fs",
			 c->from ? " --from " : "", c->from ? c->from : "", c->to ? " --to " : "",
			 c->to ? c->to : "", c->path, span,
			 c->from_ns > end ? ": --from is past its end" : "",
			 span > 1 ? span / 2 : 1);
		return EXIT_NOTARGET;
	}
	if (targets_empty(t) || t->all || p->matched)
		return 0;
	if (targets_only_pids(t))
		snprintf(o->err, sizeof(o->err), "no record of the given pids in '%s'%s", c->path,
			 c->from || c->to ? " in this window" : "");
	else
		snprintf(o->err, sizeof(o->err),
			 "nothing matched: no record of a process matching %s--comm '%s' in '%s'%s",
			 t->npids ? "the given pids or " : "", t->comm_src, c->path,
			 c->from || c->to ? " in this window" : "");
	return EXIT_NOTARGET;
}

int report_run(struct run_opts *o, struct report_cfg *c, uint64_t *last_ns)
{
	struct replay_ctx p = {.o = o};
	char err[512];
	int code, rc;
	struct store_reader *rd;

	if ((rc = replay_refuse_own_store(o, c->path)))
		return rc;
	rd = store_open(c->path, err, sizeof(err), &code);
	if (!rd)
		return fprintf(stderr, "procimage %s: %s\n", o->cmd, err), code;
	p.in = store_reader_info(rd);
	if (last_ns)
		*last_ns = p.in->last_ns;
	store_reader_sources(rd, p.src);
	if (!c->nimages)
		replay_default_images(c, p.in);
	rc = report_graph_check(o, c->images, c->nimages);
	if (!rc)
		rc = replay_window(o, c, p.in);
	if (!rc)
		rc = replay_create_images(&p, o, c);
	if (!rc &&
	    (rc = store_replay(rd, c->from_ns, c->to_ns, replay_consume, &p, err, sizeof(err))))
		snprintf(o->err, sizeof(o->err), "%s", err);
	if (!rc)
		rc = replay_nothing_matched(o, c, &p);
	if (!rc) {
		replay_fill_envelope(&p, c);
		if (o->fmt == OUT_PPROF)
			rc = stacks_pprof_report(o, p.n == 1 ? p.img[0] : NULL,
						 p.n == 1 ? p.ops[0]->name : "", p.started_wall,
						 p.duration_s);
		else if (o->fmt == OUT_FOLDED || o->fmt == OUT_SVG)
			rc = report_graph_write(o, p.ops[0]->name, p.img[0], print_report, &p,
						c->path);
		else
			rc = report_write(o, print_report, &p);
	}
	if (rc && o->err[0])
		fprintf(stderr, "procimage %s: %s\n", o->cmd, o->err);
	for (int i = 0; i < p.n; i++)
		p.ops[i]->destroy(p.img[i]);
	replay_filter_free(p.filter);
	store_reader_close(rd);
	return rc;
}

struct info_ctx {
	const char *path;
	struct store_reader *rd;
};

/* --info: what the recording holds, in text or JSON. */
static void info_report(void *ctx, struct out *o)
{
	struct info_ctx *x = ctx;
	const struct store_info *in = store_reader_info(x->rd);
	uint64_t end = in->ended_mono_ns ? in->ended_mono_ns : in->last_ns;
	uint64_t kinds[REC_KIND_COUNT] = {0}, bytes[REC_KIND_COUNT] = {0};
	struct source_status src[SRC_COUNT];
	char err[512], t0[40], imgs[sizeof(in->images)], *save = NULL;

	clock_format_rfc3339(in->started_wall_ns, t0, sizeof(t0));
	out_obj_open(o, NULL);
	out_str(o, "schema", NULL, "procimage/1");
	out_str(o, "recording", "recording %s", x->path);
	out_str(o, "host", ": host %s", in->host);
	out_str(o, "kernel", ", Linux %s\n", in->kernel);
	out_str(o, "started", "  started %s", t0);
	out_f64(o, "duration_s", ", %.2f s", (double)(end - in->started_mono_ns) / 1e9);
	out_f64(o, "interval_ms", ", interval %g ms", (double)in->interval_ns / 1e6);
	out_bool(o, "clean_end", NULL, in->clean_end);
	out_text(o, ", %s\n", in->clean_end ? "ended cleanly" : "did not end cleanly");
	out_u64(o, "records", "  %" PRIu64 " records", in->nrec);
	if (in->nrec) {
		out_f64(o, "first_record_s", " from %.3f s",
			(double)(in->first_ns - in->started_mono_ns) / 1e9);
		out_f64(o, "last_record_s", " to %.3f s\n",
			(double)(in->last_ns - in->started_mono_ns) / 1e9);
	} else {
		out_null(o, "first_record_s", "");
		out_null(o, "last_record_s", "\n");
	}
	out_str(o, "command", "  command: %s\n", in->command);
	out_arr_open(o, "images"); /* empty: recorded for every image */
	snprintf(imgs, sizeof(imgs), "%s", in->images);
	for (char *t = strtok_r(imgs, ",", &save); t; t = strtok_r(NULL, ",", &save))
		out_str(o, NULL, NULL, t);
	out_arr_close(o);
	out_text(o, "  images: %s\n", in->images[0] ? in->images : "(all)");
	if (store_kind_bytes(x->rd, kinds, bytes, err, sizeof(err)) == 0) {
		out_obj_open(o, "records_by_kind");
		out_text(o, "  records by kind (encoded bytes per record):");
		for (int k = 0; k < REC_KIND_COUNT; k++) {
			if (!kinds[k])
				continue;
			out_obj_open(o, record_kind_name(k));
			out_text(o, " %s", record_kind_name(k));
			out_u64(o, "records", " %" PRIu64, kinds[k]);
			out_f64(o, "bytes_per_record", " (%.1f)",
				(double)bytes[k] / (double)kinds[k]);
			out_obj_close(o);
		}
		out_text(o, "\n");
		out_obj_close(o);
	} else {
		out_null(o, "records_by_kind", "");
		out_str(o, "records_by_kind_error", "  %s\n", err);
	}
	store_reader_sources(x->rd, src);
	out_obj_open(o, "sources");
	for (int s = 0; s < SRC_COUNT; s++) {
		if (src[s].state == SOURCE_UNUSED)
			continue;
		source_status_out(o, record_source_name(s), &src[s]);
		out_text(o, "  source %s: %s%s%s\n", record_source_name(s),
			 source_state_name(src[s].state), src[s].reason[0] ? ": " : "",
			 src[s].reason);
	}
	out_obj_close(o);
	out_obj_close(o);
}

static int print_info(struct run_opts *o, const char *path)
{
	char err[512];
	int code, rc;
	struct info_ctx x = {.path = path};

	if (o->fmt != OUT_TEXT && o->fmt != OUT_JSON) {
		fprintf(stderr,
			"procimage %s: --info prints text or json: use -f text or -f json\n",
			o->cmd);
		return EXIT_USAGE;
	}
	if ((rc = replay_refuse_own_store(o, path)))
		return rc;
	x.rd = store_open(path, err, sizeof(err), &code);
	if (!x.rd)
		return fprintf(stderr, "procimage %s: %s\n", o->cmd, err), code;
	rc = report_write(o, info_report, &x); /* says why when it fails */
	store_reader_close(x.rd);
	return rc;
}

/* FILE and IMAGEs may come before the options, after them, or both. */
static int split_positional(int argc, char **argv, char **pos, int *npos, char **rest)
{
	int nrest = 0;

	rest[nrest++] = argv[0];
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] != '-' || !argv[i][1]) {
			if (*npos < RUN_MAX_IMAGES + 1)
				pos[(*npos)++] = argv[i];
			continue;
		}
		rest[nrest++] = argv[i];
		if (!strcmp(argv[i], "--"))
			break;
		/* An option that takes a value in the next argument. */
		int takes = strchr("pdifo", argv[i][1]) && !argv[i][2] && argv[i][1] != '-';
		for (const char *const *l =
			 (const char *const[]){
			     "--pid", "--comm", "--cgroup", "--duration", "--interval", "--format",
			     "--output", "--proc-root", "--threshold", "--sequence", "--source",
			     "--syscalls", "--top", "--exclude", "--from", "--to", NULL};
		     *l; l++)
			takes |= !strcmp(argv[i], *l);
		if (takes && i + 1 < argc)
			rest[nrest++] = argv[++i];
	}
	rest[nrest] = NULL;
	return nrest;
}

int cmd_report(int argc, char **argv)
{
	struct run_opts o;
	struct report_cfg c = {0};
	struct report_args a = {.c = &c};
	char *pos[RUN_MAX_IMAGES + 2], **rest = calloc((size_t)argc + 1, sizeof(char *));
	int npos = 0, nrest, first, rc, triage = 0;

	if (!rest)
		return 1;
	opts_defaults(&o, argv[0]);
	nrest = split_positional(argc, argv, pos, &npos, rest);
	rc = opts_parse_ex(&o, nrest, rest, help, &first, extra, on_extra, &a);
	if (rc < 0)
		return free(rest), opts_free(&o), 0;
	if (!rc && first < nrest)
		rc = EXIT_USAGE,
		snprintf(o.err, sizeof(o.err), "unexpected argument '%s'", rest[first]);
	if (!rc && o.targets.cgroup[0])
		rc = EXIT_USAGE, snprintf(o.err, sizeof(o.err),
					  "--cgroup: a recording is filtered by -p PID or --comm "
					  "REGEX; to keep one cgroup, record it with "
					  "'procimage record --cgroup PATH'");
	if (!rc && npos < 1)
		rc = EXIT_USAGE, snprintf(o.err, sizeof(o.err),
					  "no recording: give the FILE made by"
					  " 'procimage record -o FILE'");
	for (int i = 1; !rc && i < npos; i++) {
		const struct image_ops *ops = image_find(pos[i]);
		const struct command *cmd = command_find(pos[i]);
		if (cmd && (cmd->flags & CMD_REPLAYED)) { /* triage, the one such row */
			triage = 1;
		} else if (!ops || c.nimages >= RUN_MAX_IMAGES) {
			char list[160];
			rc = EXIT_USAGE;
			report_image_list(list, sizeof(list));
			snprintf(o.err, sizeof(o.err), "unknown image '%s': use %s, or triage",
				 pos[i], list);
		} else {
			c.images[c.nimages++] = ops->name;
		}
	}
	if (!rc && triage && c.nimages)
		rc = EXIT_USAGE,
		snprintf(o.err, sizeof(o.err),
			 "triage is replayed alone (it prints the images of its offenders "
			 "itself): 'report FILE triage', or the images without it");
	if (!rc && triage && !targets_empty(&o.targets))
		rc = EXIT_USAGE,
		snprintf(o.err, sizeof(o.err),
			 "triage looks at every task the recording holds: to look at given "
			 "tasks use 'report FILE sched -p PID' (or resource, migrate ...)");
	if (rc) {
		fprintf(stderr, "procimage report: %s\n", o.err);
		return free(rest), opts_free(&o), EXIT_USAGE;
	}
	c.path = pos[0];
	rc = a.info   ? print_info(&o, c.path)
	     : triage ? report_triage(&o, &c)
		      : report_run(&o, &c, NULL);
	free(rest);
	opts_free(&o);
	return rc;
}
