/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The stacks image (see stacks.h). Per tick, a thread's REC_SAMPLE arrives
 * first (state read just before the ptrace interrupt, kernel stack), then
 * possibly its REC_STACK (user frames); REC_TICK closes the tick and counts
 * threads that got no user stack with their kernel part alone.
 * Every count is a sample (sampled at the rate, not exact).
 */
#include "images/stacks.h"

#include <stdlib.h>
#include <string.h>

#include "core/taskmap.h"
#include "procimage/image.h"

#define KBUF	 2048
#define FOLD_MAX 16384

struct sthread {
	int32_t tgid;
	char comm[16];
	char state;
	uint8_t pending, kfrom_wchan;
	uint16_t klen, llen;
	char k[KBUF];
	char last[KBUF]; /* the last off-CPU kernel stack, see note_sample() */
	uint64_t samples, oncpu, offcpu;
};

struct stacks_img {
	unsigned flags;
	uint32_t hz;
	uint64_t interval_ns;
	struct taskmap *threads;
	struct stack_agg *agg;
	struct stacks_summary sum;
	char buf[FOLD_MAX];
};

static void *st_create(const struct image_params *p)
{
	struct stacks_img *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->flags = STACKS_ALL;
	s->interval_ns = p->interval_ns;
	s->threads = taskmap_new(sizeof(struct sthread));
	s->agg = stack_agg_new();
	if (!s->threads || !s->agg) {
		taskmap_free(s->threads);
		stack_agg_free(s->agg);
		free(s);
		return NULL;
	}
	return s;
}

void stacks_image_configure(void *img, unsigned flags, uint32_t hz)
{
	struct stacks_img *s = img;

	s->flags = flags;
	s->hz = hz;
}

const struct stack_agg *stacks_image_agg(const void *img)
{
	return ((const struct stacks_img *)img)->agg;
}

void stacks_image_summary(const void *img, struct stacks_summary *out)
{
	const struct stacks_img *s = img;

	*out = s->sum;
	out->threads = (uint32_t)taskmap_count(s->threads);
	out->flags = s->flags;
	out->hz = s->hz ? s->hz : (uint32_t)(1000000000ULL / (s->interval_ns ? s->interval_ns : 1));
}

static size_t put(char *buf, size_t w, const char *s, size_t n)
{
	if (w + n + 2 > FOLD_MAX)
		return w;
	if (w)
		buf[w++] = ';';
	memcpy(buf + w, s, n);
	buf[w + n] = '\0';
	return w + n;
}

/* Count one sample of thread t; user may be NULL. */
static void compose(struct stacks_img *s, struct sthread *t, int32_t tid, const char *user,
		    size_t ulen)
{
	int on = t->state == 'R';
	char root[64];
	size_t w;

	t->pending = 0;
	if (!(s->flags & (on ? STACKS_ONCPU : STACKS_OFFCPU)))
		return;
	if (s->flags & STACKS_THREADS)
		snprintf(root, sizeof(root), "%s-%d/%d", t->comm, t->tgid, tid);
	else
		snprintf(root, sizeof(root), "%s", t->comm);
	stack_frame_sanitize(root, root, sizeof(root));
	w = put(s->buf, 0, root[0] ? root : "?", root[0] ? strlen(root) : 1);
	if ((s->flags & STACKS_ONCPU) && (s->flags & STACKS_OFFCPU))
		w = put(s->buf, w, on ? "[on-cpu]" : "[off-cpu]", on ? 8 : 9);
	if ((s->flags & STACKS_USER) && user && ulen) {
		w = put(s->buf, w, user, ulen);
		s->sum.with_user++;
		/* a program's stack always has its entry below the leaf
		 * (_start, main): one frame means the walk stopped at once */
		if (!memchr(user, ';', ulen))
			s->sum.user_one_frame++;
	}
	/* A running thread caught on its way back to user mode (the timer or an
	 * IPI preempted it in user code) has no kernel work to show. */
	if (on && t->klen && strstr(t->k, "exit_to_user_mode"))
		t->klen = 0;
	if ((s->flags & STACKS_KERNEL) && t->klen) {
		w = put(s->buf, w, t->k, t->klen);
		s->sum.with_kernel++;
		s->sum.kernel_from_wchan += t->kfrom_wchan;
	}
	if (stack_agg_add(s->agg, s->buf, w, 1))
		return;
	s->sum.samples++;
	t->samples++;
	if (on) {
		s->sum.oncpu++;
		t->oncpu++;
	} else {
		s->sum.offcpu++;
		t->offcpu++;
	}
}

static void note_sample(struct stacks_img *s, const struct record *r)
{
	const struct proc_sample *ps = &r->u.sample.s;
	struct sthread *t = taskmap_put(s->threads, r->key.tid, r->key.start_ticks, NULL);

	if (!t)
		return;
	if (t->pending) /* no REC_TICK since the last one (a replay): count it */
		compose(s, t, r->key.tid, NULL, 0);
	t->tgid = r->key.tgid;
	memcpy(t->comm, r->comm, sizeof(t->comm));
	t->state = ps->state;
	t->klen = 0;
	t->kfrom_wchan = 0;
	t->k[0] = '\0';
	if ((ps->have & PF_STACK) && r->text && r->text_len) {
		t->klen = (uint16_t)stack_fold_kernel(r->text, "_[k]", t->k, sizeof(t->k));
	} else if ((ps->have & PF_WCHAN) && ps->wchan[0] && strcmp(ps->wchan, "0") != 0) {
		char w[64];
		stack_frame_sanitize(ps->wchan, w, sizeof(w) - 4);
		t->klen = (uint16_t)snprintf(t->k, sizeof(t->k), "%s_[k]", w);
		t->kfrom_wchan = 1;
	}
	/* A sleeper woken by a ptrace interrupt resumes in restart_syscall, whose
	 * stack shows only the root side (entry_SYSCALL_64;do_syscall_64) until
	 * the call returns: a strict prefix of the stack seen before stands for
	 * the same blocking call. */
	/* Caught on its way into a ptrace stop of procimage's own: that is not
	 * where the thread was; the last stack seen stands for it. */
	if (t->klen && strstr(t->k, "ptrace_stop_[k]")) {
		memcpy(t->k, t->last, (size_t)t->llen + 1);
		t->klen = t->llen;
	}
	if (ps->state != 'R' && t->klen) {
		if (t->llen > t->klen && memcmp(t->last, t->k, t->klen) == 0 &&
		    t->last[t->klen] == ';') {
			memcpy(t->k, t->last, (size_t)t->llen + 1);
			t->klen = t->llen;
		} else {
			memcpy(t->last, t->k, (size_t)t->klen + 1);
			t->llen = t->klen;
		}
	}
	t->pending = 1;
}

static void st_consume(void *img, const struct record *r)
{
	struct stacks_img *s = img;
	struct sthread *t;
	size_t it = 0;
	int32_t tid;

	switch (r->kind) {
	case REC_SAMPLE:
		if (r->u.sample.scope == SCOPE_THREAD && (r->u.sample.s.have & PF_STAT))
			note_sample(s, r);
		break;
	case REC_STACK:
		if (r->u.stack.kernel)
			break;
		if (!r->u.stack.count) { /* the sampler says: this tick's sample is ours */
			t = taskmap_get(s->threads, r->key.tid, r->key.start_ticks);
			if (t)
				t->pending = 0;
			break;
		}
		t = taskmap_put(s->threads, r->key.tid, r->key.start_ticks, NULL);
		if (!t)
			break;
		if (!t->pending) { /* a user stack without a procfs sample */
			t->tgid = r->key.tgid;
			memcpy(t->comm, r->comm, sizeof(t->comm));
			t->klen = 0;
		}
		/* The sampler's view wins: it may have found the thread running. */
		if (r->u.stack.oncpu)
			t->state = 'R';
		else if (t->state == 'R')
			t->state = 'S';
		compose(s, t, r->key.tid, r->text, r->text_len);
		break;
	case REC_TICK:
		while ((t = taskmap_next(s->threads, &it, &tid, NULL)))
			if (t->pending)
				compose(s, t, tid, NULL, 0);
		break;
	default:
		break;
	}
}

static void st_destroy(void *img)
{
	struct stacks_img *s = img;

	taskmap_free(s->threads);
	stack_agg_free(s->agg);
	free(s);
}

const struct image_ops image_stacks = {
    .name = "stacks",
    .needs = PF_STAT | PF_SCHEDSTAT | PF_WCHAN | PF_STACK,
    .sources = 1u << SRC_PTRACE,
    .create = st_create,
    .consume = st_consume,
    .report = stacks_image_report,
    .destroy = st_destroy,
};
