/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The syscall image (diagnose-tools sys-cost / syscall sequence): consumes
 * audit REC_SYSCALL records (exact counts, errors, return values; no
 * duration, ms wall time), REC_CAPTURE notes (which processes audit covers,
 * or why it cannot), and procfs thread samples carrying /proc/<tid>/syscall
 * (which syscall a blocked thread sits in: blocked time per syscall, an
 * estimate at the sampling interval), ptrace on-CPU samples (REC_SYSCALL
 * from SRC_PTRACE: user code or which syscall a running thread is in) and
 * the exact procfs counters. See syscall_img.h for the state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/syscall_names.h"
#include "images/syscall_img.h"
#include "sources/ptrace_syscall.h"

int sc_arch_index(uint32_t arch)
{
	return arch == SC_ARCH_I386 ? 1 : 0;
}

uint32_t sc_arch_of_index(int i)
{
	return i == 1 ? SC_ARCH_I386 : SC_ARCH_X86_64;
}

/* --syscalls NAME,NAME|NR: a bitset per arch. Unknown names were rejected by
 * the command; here they are skipped. */
static void parse_filter(struct sc_img *s, const char *list)
{
	char buf[1024], *save = NULL;

	memset(s->filter, s->filtered ? 0 : 0xff, sizeof(s->filter));
	if (!s->filtered)
		return;
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		for (int a = 0; a < SC_NARCH; a++) {
			char *end;
			long v = strtol(t, &end, 10);
			int nr = (*end || end == t) ? syscall_nr(sc_arch_of_index(a), t) : (int)v;
			if (nr >= 0 && nr < SC_TABLE)
				s->filter[a][nr / 32] |= 1u << (nr % 32);
		}
	}
}

static int wanted(const struct sc_img *s, int ai, int nr)
{
	return nr >= 0 && nr < SC_TABLE && (s->filter[ai][nr / 32] & (1u << (nr % 32)));
}

static void *sc_create(const struct image_params *p)
{
	struct sc_img *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->p = *p;
	if (s->p.sequence <= 0)
		s->p.sequence = 16;
	s->mode_audit_only = p->source_mode && !strcmp(p->source_mode, "audit");
	s->mode_sample_only = p->source_mode && !strcmp(p->source_mode, "sample");
	s->filtered = p->syscalls && *p->syscalls;
	parse_filter(s, p->syscalls);
	s->callers = taskmap_new(sizeof(struct sc_caller));
	s->folds = calloc(SC_FOLDS, sizeof(*s->folds));
	if (!s->callers || !s->folds) {
		taskmap_free(s->callers);
		free(s->folds);
		free(s);
		return NULL;
	}
	return s;
}

void sc_fold_add(struct sc_img *s, const char *comm, int ai, int nr, uint64_t count,
		 uint64_t samples)
{
	uint32_t h = (uint32_t)nr * 2654435761u + (uint32_t)ai;
	char key[16] = {0};

	strncpy(key, comm, sizeof(key) - 1);
	for (int i = 0; key[i]; i++)
		h = h * 31 + (uint8_t)key[i];
	for (uint32_t probe = 0; probe < SC_FOLDS; probe++) {
		struct sc_fold *f = &s->folds[(h + probe) % SC_FOLDS];
		if (!f->count && !f->samples) {
			memcpy(f->comm, key, sizeof(f->comm));
			f->nr = (int16_t)nr;
			f->ai = (uint8_t)ai;
		} else if (f->nr != nr || f->ai != ai || memcmp(f->comm, key, sizeof(key)) != 0) {
			continue;
		}
		f->count += count;
		f->samples += samples;
		return;
	}
	s->folds_full++;
}

static struct sc_proc *find_proc(struct sc_img *s, int32_t tgid, int create)
{
	for (int i = 0; i < s->nprocs; i++)
		if (s->procs[i].tgid == tgid)
			return &s->procs[i];
	if (!create || s->nprocs >= SC_MAX_PROCS)
		return NULL;
	memset(&s->procs[s->nprocs], 0, sizeof(s->procs[0]));
	s->procs[s->nprocs].tgid = tgid;
	return &s->procs[s->nprocs++];
}

static struct sc_caller *get_caller(struct sc_img *s, int32_t tgid, int32_t tid, const char *comm)
{
	int created;
	struct sc_caller *c = taskmap_put(s->callers, tid ? tid : tgid, tid ? 0 : 1, &created);

	if (!c)
		return NULL;
	if (created) {
		c->tgid = tgid;
		c->tid = tid;
		c->last_nr = -1;
		c->seq = calloc((size_t)s->p.sequence, sizeof(*c->seq));
	}
	if (comm && comm[0])
		memcpy(c->comm, comm, sizeof(c->comm));
	return c;
}

static void seq_push(struct sc_img *s, struct sc_caller *c, const struct sc_ent *e)
{
	if (!c->seq)
		return;
	c->seq[c->seq_head] = *e;
	c->seq_head = (c->seq_head + 1) % (uint32_t)s->p.sequence;
	if (c->seq_len < (uint32_t)s->p.sequence)
		c->seq_len++;
}

static void count_errno(struct sc_stat *st, int e)
{
	for (int i = 0; i < SC_ERRNOS; i++) {
		if (st->err_cnt[i] && st->err_no[i] == e) {
			st->err_cnt[i]++;
			return;
		}
		if (!st->err_cnt[i]) {
			st->err_no[i] = (uint16_t)e;
			st->err_cnt[i] = 1;
			return;
		}
	}
	st->err_other++;
}

static void on_syscall(struct sc_img *s, const struct record *r)
{
	const struct rec_syscall *sc = &r->u.sc;
	int ai = sc_arch_index(sc->arch);
	struct sc_proc *pr = find_proc(s, r->key.tgid, 1);

	if (s->mode_sample_only)
		return;
	if (pr)
		pr->records++;
	s->audit_records++;
	if (sc->nr < 0 || sc->nr >= SC_TABLE) {
		s->audit_unknown_nr++;
		return;
	}
	if (!wanted(s, ai, sc->nr))
		return;
	struct sc_stat *st = &s->stats[ai][sc->nr];
	/* Failure: success=no, or a return in the kernel's errno range. */
	int failed = !sc->success && sc->ret < 0 && sc->ret >= -4095;
	st->count++;
	if (failed) {
		st->errors++;
		count_errno(st, (int)-sc->ret);
	}
	struct sc_caller *c = get_caller(s, r->key.tgid, 0, r->comm);
	if (!c)
		return;
	c->count++;
	c->errors += (uint64_t)failed;
	sc_fold_add(s, c->comm, ai, sc->nr, 1, 0);
	struct sc_ent e = {.t_ns = r->t_ns,
			   .wall_ms = sc->wall_ms,
			   .ret = sc->ret,
			   .nr = sc->nr,
			   .arch_i = (uint8_t)ai,
			   .has_ret = 1,
			   .success = (uint8_t)!failed};
	seq_push(s, c, &e);
}

void sc_oncpu_add(struct sc_oncpu *h, int ai, int nr, uint64_t n)
{
	h->total += n;
	if (nr == PTRACE_SC_NR_USER) {
		h->user += n;
		return;
	}
	if (nr < 0) {
		h->woken += n;
		return;
	}
	for (int i = 0; i < h->used; i++)
		if (h->nr[i] == nr && h->ai[i] == ai) {
			h->n[i] += n;
			return;
		}
	if (h->used < SC_ONCPU_TOP) {
		h->nr[h->used] = (int16_t)nr;
		h->ai[h->used] = (uint8_t)ai;
		h->n[h->used++] = n;
		return;
	}
	h->other += n;
}

/* One ptrace sample of a running thread (sources/ptrace_syscall.h). */
static void on_oncpu(struct sc_img *s, const struct record *r)
{
	const struct rec_syscall *sc = &r->u.sc;
	int ai = sc_arch_index(sc->arch ? sc->arch : syscall_native_arch());
	int nr = sc->nr;
	struct sc_caller *c = get_caller(s, r->key.tgid, r->key.tid, r->comm);

	if (nr >= SC_TABLE || (nr >= 0 && !wanted(s, ai, nr)))
		return;
	s->oncpu_samples++;
	if (nr == PTRACE_SC_NR_USER)
		s->oncpu_user++;
	else if (nr < 0)
		s->oncpu_woken++;
	else
		s->stats[ai][nr].oncpu_samples++;
	if (c)
		sc_oncpu_add(&c->oncpu, ai, nr, 1);
}

static void on_capture(struct sc_img *s, const struct record *r)
{
	const struct rec_capture *cp = &r->u.capture;

	if (r->key.tgid == 0) {
		if (!cp->ok) {
			s->audit_failed = 1;
			snprintf(s->audit_why, sizeof(s->audit_why), "%.*s", (int)r->text_len,
				 r->text ? r->text : "");
		}
		return;
	}
	struct sc_proc *pr = find_proc(s, r->key.tgid, 1);
	if (!pr)
		return;
	if (cp->on) {
		pr->armed = 1;
		pr->armed_ns = r->t_ns;
		pr->arch = cp->arch;
	} else {
		pr->disarmed_ns = r->t_ns;
	}
}

/* Syscall activity the kernel counts whether or not audit sees it. */
static uint64_t evidence(const struct proc_sample *ps)
{
	return ps->syscr + ps->syscw + ps->nr_vol_switches;
}

/* The exact counters this sample carries (first sample: the baseline). A
 * counter missing from one sample is dropped: a delta across a gap in what
 * was read would mix two baselines. */
static void exact_counters(struct sc_caller *c, const struct proc_sample *ps)
{
	uint64_t v[SCX_N] = {ps->syscr,	 ps->syscw,	      ps->minflt,
			     ps->majflt, ps->nr_vol_switches, ps->nr_invol_switches};
	uint32_t have = 0;

	if (ps->have & PF_IO)
		have |= 1u << SCX_SYSCR | 1u << SCX_SYSCW;
	if (ps->have & PF_STAT)
		have |= 1u << SCX_MINFLT | 1u << SCX_MAJFLT;
	if (ps->have & PF_SCHED) {
		have |= 1u << SCX_VCSW | 1u << SCX_IVCSW;
	} else if (ps->have & PF_STATUS) {
		v[SCX_VCSW] = ps->vol_ctxt;
		v[SCX_IVCSW] = ps->invol_ctxt;
		have |= 1u << SCX_VCSW | 1u << SCX_IVCSW;
	}
	if (!c->xinit) {
		memcpy(c->x0, v, sizeof(v));
		c->xinit = 1;
		c->xhave = have;
	}
	c->xhave &= have;
	memcpy(c->x1, v, sizeof(v));
}

static void sample_cpu_and_evidence(struct sc_img *s, struct sc_caller *c, const struct record *r)
{
	const struct proc_sample *ps = &r->u.sample.s;
	struct sc_proc *pr = find_proc(s, r->key.tgid, 0);

	exact_counters(c, ps);
	if (ps->have & PF_STAT) {
		if (!c->have_cpu) {
			c->utime0 = ps->utime;
			c->stime0 = ps->stime;
			c->have_cpu = 1;
		}
		c->utime1 = ps->utime;
		c->stime1 = ps->stime;
	}
	/* Evidence only counts from the first sample after the rule exists. */
	if (pr && pr->armed && r->t_ns > pr->armed_ns && (ps->have & (PF_IO | PF_SCHED))) {
		if (!c->have_ev) {
			c->ev0 = evidence(ps);
			c->have_ev = 1;
		}
		c->ev1 = evidence(ps);
	}
}

static void on_sample(struct sc_img *s, const struct record *r)
{
	const struct proc_sample *ps = &r->u.sample.s;
	uint64_t dt = s->p.interval_ns;

	if (r->u.sample.scope != SCOPE_THREAD)
		return;
	struct sc_caller *c = get_caller(s, r->key.tgid, r->key.tid, r->comm);
	if (!c)
		return;
	/* A sample stands for the time since the previous one: a late tick on
	 * a loaded host weighs more, rather than losing time (up to 1 s). */
	if (c->last_t && r->t_ns > c->last_t && r->t_ns - c->last_t < 1000000000ull)
		dt = r->t_ns - c->last_t;
	c->last_t = r->t_ns;
	if (!s->first_t)
		s->first_t = r->t_ns;
	s->last_t = r->t_ns;
	sample_cpu_and_evidence(s, c, r);
	if (!(ps->have & PF_SYSCALL) || s->mode_audit_only)
		return;
	if (ps->syscall_nr == SAMPLE_SYSCALL_RUNNING) {
		c->oncpu_ns += dt;
		c->last_nr = -1;
		return;
	}
	int nr = ps->syscall_nr;
	/* The number is in the task's arch: known when audit armed a rule for
	 * it (from its ELF header), else assumed native. */
	struct sc_proc *pr = find_proc(s, r->key.tgid, 0);
	int ai = sc_arch_index(pr && pr->arch ? pr->arch : syscall_native_arch());
	if (nr < 0 || nr >= SC_TABLE || !wanted(s, ai, nr)) {
		c->last_nr = -1;
		return;
	}
	struct sc_stat *st = &s->stats[ai][nr];
	st->blocked_ns += dt;
	st->samples++;
	s->samples_with_syscall++;
	c->blocked_ns += dt;
	sc_fold_add(s, c->comm, ai, nr, 0, 1);
	/* The same call still blocked, unless the thread switched out
	 * voluntarily meanwhile: each voluntary switch is one more blocking
	 * call (same syscall, same first argument: a loop of them). */
	uint64_t vol = (ps->have & PF_SCHED) ? ps->nr_vol_switches : 0;
	uint64_t delta = c->last_vol && vol > c->last_vol ? vol - c->last_vol : 0;
	int same = c->last_nr == nr && c->last_arg0 == ps->syscall_arg0 && c->seq_len;
	c->last_vol = vol;
	if (same && !delta) {
		uint32_t last =
		    (c->seq_head + (uint32_t)s->p.sequence - 1) % (uint32_t)s->p.sequence;
		if (c->seq[last].sampled && c->seq[last].nr == nr)
			c->seq[last].dur_ms_sampled =
			    (uint32_t)((r->t_ns - c->seq[last].t_ns + dt) / 1000000);
		return;
	}
	st->episodes += same ? delta : 1;
	c->episodes += same ? delta : 1;
	c->last_nr = nr;
	c->last_arg0 = ps->syscall_arg0;
	struct sc_ent e = {.t_ns = r->t_ns,
			   .nr = nr,
			   .arch_i = (uint8_t)ai,
			   .sampled = 1,
			   .dur_ms_sampled = (uint32_t)(dt / 1000000)};
	if (ps->have & PF_WCHAN)
		snprintf(e.wchan, sizeof(e.wchan), "%s", ps->wchan);
	seq_push(s, c, &e);
}

static void sc_consume(void *img, const struct record *r)
{
	struct sc_img *s = img;

	switch (r->kind) {
	case REC_SYSCALL:
		if (r->source == SRC_PTRACE)
			on_oncpu(s, r);
		else
			on_syscall(s, r);
		break;
	case REC_CAPTURE:
		if (r->source == SRC_AUDIT)
			on_capture(s, r);
		break;
	case REC_SAMPLE:
		on_sample(s, r);
		break;
	case REC_LOST:
		if (r->source == SRC_AUDIT) {
			s->lost_episodes += r->u.lost.episodes;
			s->lost_records += r->u.lost.count;
		}
		break;
	default:
		break;
	}
}

int sc_proc_not_auditable(struct sc_img *s, const struct sc_proc *pr, uint64_t *ev)
{
	size_t it = 0;
	struct sc_caller *c;
	int32_t tid;
	uint64_t key2;

	*ev = 0;
	if (!pr->armed || pr->records)
		return 0;
	while ((c = taskmap_next(s->callers, &it, &tid, &key2)))
		if (key2 == 0 && c->tgid == pr->tgid && c->have_ev && c->ev1 > c->ev0)
			*ev += c->ev1 - c->ev0;
	/* A few syscalls' worth, so one stray counter tick is not a verdict. */
	return *ev >= 3;
}


static void sc_destroy(void *img)
{
	struct sc_img *s = img;
	size_t it = 0;
	struct sc_caller *c;

	while ((c = taskmap_next(s->callers, &it, NULL, NULL)))
		free(c->seq);
	taskmap_free(s->callers);
	free(s->folds);
	free(s);
}

static void sc_report_cb(void *img, struct out *o)
{
	sc_report(img, o);
}

const struct image_ops image_syscall = {
    .name = "syscall",
    .needs = PF_STAT | PF_SYSCALL | PF_WCHAN | PF_IO | PF_SCHED,
    .sources = 1u << SRC_AUDIT,
    .create = sc_create,
    .consume = sc_consume,
    .report = sc_report_cb,
    .destroy = sc_destroy,
};
