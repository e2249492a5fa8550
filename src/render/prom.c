/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Prometheus text exposition (format 0.0.4) from a report's JSON document,
 * for node_exporter's textfile collector. Generic mapping, so every image is
 * covered without code here:
 *   - envelope: procimage_info{image,host,kernel} 1, duration, interval, and
 *     per source procimage_source_up / procimage_source_lost_events;
 *   - a number or boolean member: procimage_<image>_<path>, its unit in the
 *     name and in base units (unit_suffixes[]: cpu_pct -> cpu_ratio,
 *     wait_ms -> wait_seconds); timestamps (t_ns...) are not metrics;
 *   - an array of objects (tasks[], hogs[], syscalls[]...): one sample per
 *     element and numeric member, labelled with the element's strings and
 *     identity numbers (pid, tid, cpu, nr...), but not its sentences
 *     (triage's diagnosis);
 *   - an object keyed by an open set of names (syscall errnos{ENOENT: n}):
 *     one family, the name as a label (errno="ENOENT");
 *   - an array of one element per event (exits[]): counted by a few
 *     bounded labels (counted[]: exits by cause and comm), never one series
 *     per pid or time;
 *   - timelines (events, series, sequence, observed, stack...) are left to
 *     JSON, CSV and HTML: they are not metrics;
 *   - procimage_source_up only for the sources the run used: one the run
 *     left off (SOURCE_REASON_DISABLED) is not a source that is down.
 * docs/formats.md lists the names.
 * Label values are valid UTF-8 with no control byte (esc_prom,
 * render/escape.h). Samples of a family are printed together after one TYPE line; a repeated
 * (name, labels) pair keeps its first value, as the format requires.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "procimage/source.h"
#include "render/escape.h"
#include "render/jdoc.h"

/* One per sample of a report (exits of a fork storm: thousands): its name
 * is its family's, not a copy. */
struct sample {
	char *labels, *value;
	size_t family, order;
	int dup; /* a later sample of a series already written: left out */
};

struct prom {
	struct sample *s;
	size_t n, cap;
	char **fam; /* family names, first-seen order */
	size_t nfam, famcap;
	int oom;
};

static const char *const identity_keys[] = {"pid",  "tid", "tgid", "cpu", "nr",
					    "from", "to",  "uid",  "id",  NULL};
/* Strings that are sentences, not identities: never labels (a label that
 * changes with every run is a new series each time). */
static const char *const prose_keys[] = {"diagnosis", NULL};
static const char *const timeline_keys[] = {"events",	    "series",	"sequence", "observed",
					    "stack",	    "evidence", "matrix",   "sources",
					    "allowed_cpus", NULL};

/* Members that are points in time, not quantities. */
static const char *const time_keys[] = {"t_ns", "start_t_ns", "start_ticks", "kernel_time_s", NULL};

/* A key's unit suffix -> the Prometheus base unit, and the factor to it
 * (longest suffixes first: _ms_per_s before _per_s and _s). */
static const struct {
	const char *suffix, *base;
	double scale;
} unit_suffixes[] = {
    {"_ms_per_s", "_seconds_per_second", 1e-3},
    {"_bytes_per_s", "_bytes_per_second", 1},
    {"_per_s", "_per_second", 1},
    {"_pct", "_ratio", 1e-2},
    {"_ms", "_seconds", 1e-3},
    {"_us", "_seconds", 1e-6},
    {"_ns", "_seconds", 1e-9},
    {"_s", "_seconds", 1},
    {"_kb", "_bytes", 1024},
    {"_mib", "_bytes", 1048576},
};

/* Arrays with one element per event, exported as counts by bounded
 * labels: {family path, family name, labels}. */
static const struct {
	const char *path, *name;
	const char *labels[3];
} counted[] = {
    {"procimage_exits_exits", "procimage_exits_exited_processes", {"cause", "comm", NULL}},
    {"procimage_exits_oom_kills_in_log", "procimage_exits_oom_kills_in_log", {"comm", NULL}},
};

/* Objects whose member names are values: {object key, label name}. */
static const char *const keyed_objs[][2] = {{"errnos", "errno"}, {"by_cause", "cause"}};

static const char *keyed_label(const char *k)
{
	for (size_t i = 0; k && i < sizeof(keyed_objs) / sizeof(keyed_objs[0]); i++)
		if (!strcmp(keyed_objs[i][0], k))
			return keyed_objs[i][1];
	return NULL;
}

static int in_list(const char *const *l, const char *k)
{
	for (; k && *l; l++)
		if (!strcmp(*l, k))
			return 1;
	return 0;
}

static void sanitize(char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == ':'))
			*s = '_';
}

static size_t family_of(struct prom *p, const char *name)
{
	for (size_t i = p->nfam; i-- > 0;)
		if (!strcmp(p->fam[i], name))
			return i;
	if (p->nfam == p->famcap) {
		size_t nc = p->famcap ? p->famcap * 2 : 64;
		char **nf = realloc(p->fam, nc * sizeof(*nf));
		if (!nf)
			return p->oom = 1, 0;
		p->fam = nf;
		p->famcap = nc;
	}
	if (!(p->fam[p->nfam] = strdup(name)))
		p->oom = 1;
	return p->nfam++;
}

static void add(struct prom *p, const char *prefix, const char *key, const char *labels,
		const char *value)
{
	char name[256], scaled[64];
	size_t kl = strlen(key);

	if (p->oom)
		return;
	snprintf(name, sizeof(name), "%s%s%s", prefix, kl ? "_" : "", key);
	for (size_t i = 0; i < sizeof(unit_suffixes) / sizeof(unit_suffixes[0]); i++) {
		size_t sl = strlen(unit_suffixes[i].suffix);
		if (kl <= sl || strcmp(key + kl - sl, unit_suffixes[i].suffix))
			continue;
		snprintf(name, sizeof(name), "%s_%.*s%s", prefix, (int)(kl - sl), key,
			 unit_suffixes[i].base);
		if (unit_suffixes[i].scale != 1) {
			snprintf(scaled, sizeof(scaled), "%.9g",
				 strtod(value, NULL) * unit_suffixes[i].scale);
			value = scaled;
		}
		break;
	}
	sanitize(name);
	if (p->n == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 256;
		struct sample *ns = realloc(p->s, nc * sizeof(*ns));
		if (!ns) {
			p->oom = 1;
			return;
		}
		p->s = ns;
		p->cap = nc;
	}
	struct sample *s = &p->s[p->n];
	s->family = family_of(p, name);
	s->labels = strdup(labels);
	s->value = strdup(value);
	s->order = p->n++;
	s->dup = 0;
	if (!s->labels || !s->value)
		p->oom = 1;
}

static void label_append(char *buf, size_t len, const char *k, const char *v)
{
	size_t n0 = strlen(buf), n = n0;
	char key[64];

	/* a label name is [a-zA-Z_][a-zA-Z0-9_]* (no ':'), once per sample */
	snprintf(key, sizeof(key), "%s%s", k[0] >= '0' && k[0] <= '9' ? "_" : "", k[0] ? k : "_");
	sanitize(key);
	for (char *c = key; *c; c++)
		if (*c == ':')
			*c = '_';
	for (const char *p = buf; (p = strstr(p, key)); p++)
		if ((p == buf || p[-1] == ',') && !strncmp(p + strlen(key), "=\"", 2))
			return;
	n += (size_t)snprintf(buf + n, len > n ? len - n : 0, "%s%s=\"", n ? "," : "", key);
	if (n + 2 > len) { /* no room for this label: the others stay valid */
		buf[n0] = 0;
		return;
	}
	/* cut between characters, with room for the closing quote */
	n += esc_prom(buf + n, len - n - 1, v);
	buf[n++] = '"';
	buf[n] = 0;
}

static const char *value_of(const struct jv *v)
{
	if (v->type == J_BOOL)
		return v->num ? "1" : "0";
	return v->type == J_NUM ? v->str : NULL;
}

static void walk_obj(struct prom *p, const char *prefix, const char *labels, const struct jv *o);

/* One more element with these labels in family name. */
static void count(struct prom *p, const char *name, const char *labels)
{
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->fam[p->s[i].family], name) || strcmp(p->s[i].labels, labels))
			continue;
		char v[32];
		snprintf(v, sizeof(v), "%llu", strtoull(p->s[i].value, NULL, 10) + 1);
		free(p->s[i].value);
		p->s[i].value = strdup(v);
		if (!p->s[i].value)
			p->oom = 1;
		return;
	}
	/* name is a whole family name: add() gets it as prefix + "" */
	add(p, name, "", labels, "1");
}

/* An array counted[] names: 1 when done. */
static int walk_counted(struct prom *p, const char *path, const char *labels, const struct jv *a)
{
	for (size_t c = 0; c < sizeof(counted) / sizeof(counted[0]); c++) {
		if (strcmp(counted[c].path, path))
			continue;
		for (const struct jv *e = a->kids; e; e = e->next) {
			char lab[1024];
			snprintf(lab, sizeof(lab), "%s", labels);
			for (int k = 0; counted[c].labels[k]; k++) {
				const char *v = jdoc_str(e, counted[c].labels[k]);
				label_append(lab, sizeof(lab), counted[c].labels[k], v ? v : "");
			}
			count(p, counted[c].name, lab);
		}
		return 1;
	}
	return 0;
}

static void walk_array(struct prom *p, const char *prefix, const char *labels, const struct jv *a)
{
	if (walk_counted(p, prefix, labels, a))
		return;
	for (const struct jv *e = a->kids; e; e = e->next) {
		char lab[1024];
		if (e->type != J_OBJ)
			continue;
		snprintf(lab, sizeof(lab), "%s", labels);
		for (const struct jv *m = e->kids; m; m = m->next)
			if ((m->type == J_STR && !in_list(prose_keys, m->key)) ||
			    (m->type == J_NUM && in_list(identity_keys, m->key)))
				label_append(lab, sizeof(lab), m->key,
					     m->type == J_STR ? m->str : m->str);
		walk_obj(p, prefix, lab, e);
	}
}

/* errnos{ENOENT: 3, ...} -> prefix_errnos{...,errno="ENOENT"} 3 */
static void walk_keyed(struct prom *p, const char *prefix, const char *labels, const struct jv *o,
		       const char *label)
{
	for (const struct jv *k = o->kids; k; k = k->next) {
		char lab[1024];
		if (!k->key || !value_of(k))
			continue;
		snprintf(lab, sizeof(lab), "%s", labels);
		label_append(lab, sizeof(lab), label, k->key);
		add(p, prefix, o->key, lab, value_of(k));
	}
}

static void walk_obj(struct prom *p, const char *prefix, const char *labels, const struct jv *o)
{
	char sub[256];

	for (const struct jv *m = o->kids; m; m = m->next) {
		const char *val = value_of(m);
		if (!m->key || in_list(timeline_keys, m->key) || in_list(time_keys, m->key))
			continue;
		if (m->type == J_OBJ && keyed_label(m->key)) {
			walk_keyed(p, prefix, labels, m, keyed_label(m->key));
			continue;
		}
		if (val && !(labels[0] && in_list(identity_keys, m->key)))
			add(p, prefix, m->key, labels, val);
		snprintf(sub, sizeof(sub), "%s_%s", prefix, m->key);
		if (m->type == J_OBJ)
			walk_obj(p, sub, labels, m);
		else if (m->type == J_ARR)
			walk_array(p, sub, labels, m);
	}
}

static void envelope(struct prom *p, const struct jv *doc)
{
	char lab[512] = "";
	const char *img = jdoc_str(doc, "image");

	label_append(lab, sizeof(lab), "image", img ? img : "");
	label_append(lab, sizeof(lab), "host", jdoc_str(doc, "host") ? jdoc_str(doc, "host") : "");
	label_append(lab, sizeof(lab), "kernel",
		     jdoc_str(doc, "kernel") ? jdoc_str(doc, "kernel") : "");
	add(p, "procimage", "info", lab, "1");
	const struct jv *d = jdoc_get(doc, "duration_s"), *i = jdoc_get(doc, "interval_ms");
	if (d && value_of(d))
		add(p, "procimage", "duration_seconds", "", value_of(d));
	if (i && value_of(i)) {
		char v[64];
		snprintf(v, sizeof(v), "%g", i->num / 1000.0);
		add(p, "procimage", "interval_seconds", "", v);
	}
	const struct jv *src = jdoc_get(doc, "sources");
	for (const struct jv *s = src ? src->kids : NULL; s; s = s->next) {
		char sl[256] = "";
		const char *st = jdoc_str(s, "status"), *why = jdoc_str(s, "reason");
		if (st && why && !strcmp(st, "unavailable") && !strcmp(why, SOURCE_REASON_DISABLED))
			continue; /* not asked for: not down */
		label_append(sl, sizeof(sl), "source", s->key ? s->key : "");
		add(p, "procimage", "source_up", sl, st && strcmp(st, "unavailable") ? "1" : "0");
		const struct jv *lost = jdoc_get(s, "lost");
		if (lost && value_of(lost))
			add(p, "procimage", "source_lost_events", sl, value_of(lost));
	}
}

static int cmp_sample(const void *a, const void *b)
{
	const struct sample *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int cmp_series(const void *a, const void *b)
{
	const struct sample *x = *(const struct sample *const *)a;
	const struct sample *y = *(const struct sample *const *)b;
	int c;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if ((c = strcmp(x->labels, y->labels)))
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* A series (family and labels) is written once, with its first value: the
 * later samples are marked. Sorted by series, not compared pairwise: a
 * host-wide resource report has families of 10,000 tasks. -1 on ENOMEM. */
static int mark_dups(struct prom *p)
{
	struct sample **v = malloc((p->n ? p->n : 1) * sizeof(*v));

	if (!v)
		return -1;
	for (size_t i = 0; i < p->n; i++) {
		v[i] = &p->s[i];
		v[i]->dup = 0; /* the first of each series is never marked */
	}
	qsort(v, p->n, sizeof(*v), cmp_series);
	for (size_t i = 1; i < p->n; i++)
		v[i]->dup =
		    v[i]->family == v[i - 1]->family && !strcmp(v[i]->labels, v[i - 1]->labels);
	free(v);
	return 0;
}

static void emit(struct prom *p, FILE *fp)
{
	if (mark_dups(p)) {
		p->oom = 1;
		return;
	}
	qsort(p->s, p->n, sizeof(*p->s), cmp_sample);
	for (size_t i = 0; i < p->n; i++) {
		struct sample *s = &p->s[i];
		if (i == 0 || s->family != p->s[i - 1].family)
			fprintf(fp, "# TYPE %s gauge\n", p->fam[s->family]);
		if (s->dup)
			continue;
		fprintf(fp, "%s%s%s%s %s\n", p->fam[s->family], s->labels[0] ? "{" : "", s->labels,
			s->labels[0] ? "}" : "", s->value);
	}
}

int render_prom(FILE *fp, const struct jv *doc)
{
	struct prom p = {0};
	const char *img = jdoc_str(doc, "image");
	char prefix[128];
	static const char *const env_keys[] = {"schema",      "image",	 "host",
					       "kernel",      "started", "duration_s",
					       "interval_ms", "sources", NULL};

	if (!doc || doc->type != J_OBJ)
		return -EINVAL;
	envelope(&p, doc);
	snprintf(prefix, sizeof(prefix), "procimage_%s", img ? img : "report");
	for (const struct jv *m = doc->kids; m; m = m->next) {
		if (!m->key || in_list(env_keys, m->key) || in_list(timeline_keys, m->key))
			continue;
		char sub[256];
		snprintf(sub, sizeof(sub), "%s_%s", prefix, m->key);
		/* Several images (the envelope names none): each is an object
		 * named after it. */
		if (m->type == J_OBJ && keyed_label(m->key)) {
			walk_keyed(&p, prefix, "", m, keyed_label(m->key));
		} else if (m->type == J_OBJ && (!img || !jdoc_is_image(img)) && jdoc_image_set(m)) {
			/* triage's images{}: named as the image commands name them */
			for (const struct jv *k = m->kids; k; k = k->next) {
				snprintf(sub, sizeof(sub), "procimage_%s", k->key);
				walk_obj(&p, sub, "", k);
			}
		} else if (m->type == J_OBJ) {
			if (!img || !jdoc_is_image(img))
				snprintf(sub, sizeof(sub), "procimage_%s", m->key);
			walk_obj(&p, sub, "", m);
		} else if (m->type == J_ARR) {
			walk_array(&p, sub, "", m);
		} else if (value_of(m)) {
			add(&p, prefix, m->key, "", value_of(m));
		}
	}
	if (!p.oom)
		emit(&p, fp);
	int rc = p.oom ? -ENOMEM : 0;
	for (size_t i = 0; i < p.n; i++) {
		free(p.s[i].labels);
		free(p.s[i].value);
	}
	for (size_t i = 0; i < p.nfam; i++)
		free(p.fam[i]);
	free(p.s);
	free(p.fam);
	return rc;
}
