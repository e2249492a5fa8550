/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Exec enrichment off the hot path (see connector.h). An exec event carries
 * only a pid; the full filename and argv live in /proc/<pid>/exe and cmdline.
 * Reading cmdline takes the target's mmap lock, which a task busy in mmap or
 * reclaim can hold for long: a reader blocked there would stop draining the
 * connector and lose events. So one worker thread does these reads, and the
 * event loop only queues records and emits the finished ones (eventfd).
 *
 * exe and comm are read at once by the loop: they never touch the target's
 * mm (exe_file is RCU-protected), and a short-lived task is still there.
 * The ring: [head, work) finished, [work, tail) queued; the worker owns only
 * slot `work` (it appends argv to the text) and never touches the record, so
 * the loop may read every other slot without the lock. A queue that fills (a stuck worker) makes
 * the loop emit exec records without text: counted, never blocking.
 */
#include "sources/connector.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define EN_SLOTS 256
#define EN_TEXT	 4096

struct en_slot {
	struct record rec;
	char comm[16];
	uint32_t len;
	char text[EN_TEXT];
};

struct cn_enrich {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int efd, rootfd;
	uint64_t head, work, tail;
	int stop, abandoned, exited;
	int started; /* the worker is started by the first push (see cn_enrich_new) */
	uint64_t unknown;
	struct en_slot slots[EN_SLOTS];
};

int cn_read_exe(int rootfd, int32_t pid, char *buf, size_t len, char comm[16])
{
	char path[48];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%d/exe", pid);
	n = readlinkat(rootfd, path, buf, len - 1);
	if (n < 0 && errno == ENOENT)
		return -1; /* already reaped */
	n = n > 0 ? n : 0;
	buf[n] = '\0';
	comm[0] = '\0';
	snprintf(path, sizeof(path), "%d/comm", pid);
	fd = openat(rootfd, path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t c = read(fd, comm, 15);
		close(fd);
		comm[c > 0 ? c : 0] = '\0';
		if (c > 0 && comm[c - 1] == '\n')
			comm[c - 1] = '\0';
	}
	return (int)n + 1;
}

size_t cn_read_cmdline(int rootfd, int32_t pid, char *buf, size_t len)
{
	char path[48];
	size_t pos = 0;
	int fd;

	if (len < 2)
		return 0;
	snprintf(path, sizeof(path), "%d/cmdline", pid);
	fd = openat(rootfd, path, O_RDONLY | O_CLOEXEC);
	while (fd >= 0 && pos < len - 1) {
		ssize_t n = read(fd, buf + pos, len - 1 - pos);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		pos += (size_t)n;
	}
	if (fd >= 0)
		close(fd);
	if (pos && buf[pos - 1] != '\0')
		buf[pos++] = '\0'; /* truncated argument, or a rewritten title */
	return pos;
}

static void *worker(void *arg)
{
	struct cn_enrich *e = arg;
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&e->mu);
	while (!e->stop) {
		if (e->work == e->tail) {
			pthread_cond_wait(&e->cv, &e->mu);
			continue;
		}
		struct en_slot *s = &e->slots[e->work % EN_SLOTS];
		pthread_mutex_unlock(&e->mu);
		s->len += (uint32_t)cn_read_cmdline(e->rootfd, s->rec.key.tgid, s->text + s->len,
						    sizeof(s->text) - s->len);
		pthread_mutex_lock(&e->mu);
		e->work++;
		/* One wake-up per batch: only when the queue ran dry. */
		uint64_t one = 1;
		if (e->work == e->tail && write(e->efd, &one, sizeof(one)) < 0) {
			/* eventfd overflow is impossible at this rate */
		}
	}
	int abandoned = e->abandoned;
	e->exited = 1;
	pthread_mutex_unlock(&e->mu);
	if (abandoned) {
		close(e->efd);
		free(e);
	}
	return NULL;
}

struct cn_enrich *cn_enrich_new(int rootfd, int *efd_out)
{
	struct cn_enrich *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->rootfd = rootfd;
	e->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->cv, NULL);
	if (e->efd < 0) {
		free(e);
		return NULL;
	}
	/* The worker is not started here: capabilities are per thread, and
	 * the run drops the ones it no longer needs (privs.c) after its sources
	 * are set up, in the calling thread. Started by the first exec to
	 * enrich, from the loop, it is born with the reduced set. */
	*efd_out = e->efd;
	return e;
}

int cn_enrich_push(struct cn_enrich *e, const struct record *r)
{
	char exe[EN_TEXT / 2], comm[16] = {0}; /* all 16 bytes reach the store */
	int n;

	if (!e->started) {
		if (pthread_create(&e->th, NULL, worker, e) != 0) {
			e->unknown++;
			return -1; /* no worker: the record goes out without argv */
		}
		e->started = 1;
	}
	pthread_mutex_lock(&e->mu);
	int full = e->tail - e->head >= EN_SLOTS;
	pthread_mutex_unlock(&e->mu);
	if (full) {
		e->unknown++;
		return -1;
	}
	/* exe and comm never wait for the target's mm (exe_file is read under
	 * RCU): read them now, while the task most likely still exists. */
	n = cn_read_exe(e->rootfd, r->key.tgid, exe, sizeof(exe), comm);
	if (n < 0) {
		e->unknown++;
		return -1; /* gone: nothing for the worker to read */
	}
	struct en_slot *s = &e->slots[e->tail % EN_SLOTS];
	s->rec = *r;
	memcpy(s->text, exe, (size_t)n);
	s->len = (uint32_t)n;
	memcpy(s->comm, comm, sizeof(s->comm));
	pthread_mutex_lock(&e->mu);
	e->tail++;
	pthread_cond_signal(&e->cv);
	pthread_mutex_unlock(&e->mu);
	return 0;
}

static void emit_slot(struct cn_enrich *e, struct en_slot *s, int finished,
		      const struct record_sink *sink)
{
	struct record r = s->rec;

	/* Unfinished: the filename (read at push) without argv. */
	r.text = s->text;
	r.text_len = finished ? s->len : (uint32_t)strlen(s->text) + 1;
	if (r.text_len <= 1) {
		r.text = NULL;
		r.text_len = 0;
		e->unknown++;
	}
	if (s->comm[0])
		memcpy(r.comm, s->comm, sizeof(r.comm));
	record_emit(sink, &r);
}

void cn_enrich_flush(struct cn_enrich *e, const struct record_sink *sink)
{
	uint64_t v, done;

	if (read(e->efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing new, a flush from the tick */
	}
	pthread_mutex_lock(&e->mu);
	done = e->work;
	pthread_mutex_unlock(&e->mu);
	for (uint64_t i = e->head; i < done; i++)
		emit_slot(e, &e->slots[i % EN_SLOTS], 1, sink);
	pthread_mutex_lock(&e->mu);
	e->head = done;
	pthread_mutex_unlock(&e->mu);
}

uint64_t cn_enrich_free(struct cn_enrich *e, const struct record_sink *sink)
{
	struct timespec ts;
	uint64_t done, tail, unknown;

	if (!e)
		return 0;
	pthread_mutex_lock(&e->mu);
	e->stop = 1;
	pthread_cond_signal(&e->cv);
	pthread_mutex_unlock(&e->mu);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 300 * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	int joined = !e->started || pthread_timedjoin_np(e->th, NULL, &ts) == 0;
	pthread_mutex_lock(&e->mu);
	done = e->work;
	tail = e->tail;
	pthread_mutex_unlock(&e->mu);
	for (uint64_t i = e->head; i < tail; i++)
		emit_slot(e, &e->slots[i % EN_SLOTS], i < done, sink);
	e->head = tail;
	unknown = e->unknown;
	pthread_mutex_lock(&e->mu);
	if (e->started && !joined && !e->exited) {
		/* The worker is stuck in a target's mm: it frees everything when
		 * it wakes up, rather than have us wait for it. */
		e->abandoned = 1;
		pthread_mutex_unlock(&e->mu);
		pthread_detach(e->th);
		return unknown;
	}
	pthread_mutex_unlock(&e->mu);
	if (!joined)
		pthread_join(e->th, NULL);
	close(e->efd);
	pthread_mutex_destroy(&e->mu);
	pthread_cond_destroy(&e->cv);
	free(e);
	return unknown;
}
