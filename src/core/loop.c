/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Event loop (see loop.h). One thread, one epoll set: the tick, the signals and
 * the sources' sockets are all just fds, so a report is never printed from a
 * signal handler and Ctrl-C still yields the report of what was seen.
 */
#include "core/loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/clock.h"

#define LOOP_MAX_FDS 32

struct loop_fd {
	int fd;
	loop_fd_fn fn;
	void *ctx;
};

struct loop {
	int ep, tfd, sfd;
	loop_tick_fn tick_fn;
	void *tick_ctx;
	loop_signal_fn sig_fn;
	void *sig_ctx;
	struct loop_fd fds[LOOP_MAX_FDS];
	int nfds;
	int stop;
	sigset_t oldmask;
};

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));
	sigset_t mask;

	if (!l)
		return NULL;
	l->tfd = l->sfd = -1;
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->ep < 0)
		goto fail;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	/* Block them so they arrive through the signalfd, not asynchronously. */
	sigprocmask(SIG_BLOCK, &mask, &l->oldmask);
	l->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (l->sfd < 0)
		goto fail;
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = l->sfd};
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, l->sfd, &ev) < 0)
		goto fail;
	return l;
fail:
	loop_free(l);
	return NULL;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	if (l->tfd >= 0)
		close(l->tfd);
	if (l->sfd >= 0) {
		close(l->sfd);
		sigprocmask(SIG_SETMASK, &l->oldmask, NULL);
	}
	if (l->ep >= 0)
		close(l->ep);
	free(l);
}

int loop_add_fd(struct loop *l, int fd, loop_fd_fn fn, void *ctx)
{
	if (l->nfds >= LOOP_MAX_FDS)
		return -ENOSPC;
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	l->fds[l->nfds++] = (struct loop_fd){fd, fn, ctx};
	return 0;
}

int loop_del_fd(struct loop *l, int fd)
{
	for (int i = 0; i < l->nfds; i++) {
		if (l->fds[i].fd != fd)
			continue;
		epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
		l->fds[i] = l->fds[--l->nfds];
		return 0;
	}
	return -ENOENT;
}

int loop_set_tick(struct loop *l, uint64_t interval_ns, loop_tick_fn fn, void *ctx)
{
	if (l->tfd < 0) {
		l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (l->tfd < 0)
			return -errno;
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = l->tfd};
		if (epoll_ctl(l->ep, EPOLL_CTL_ADD, l->tfd, &ev) < 0)
			return -errno;
	}
	struct itimerspec its = {0};
	its.it_interval.tv_sec = interval_ns / NS_PER_S;
	its.it_interval.tv_nsec = interval_ns % NS_PER_S;
	its.it_value = its.it_interval;
	if (timerfd_settime(l->tfd, 0, &its, NULL) < 0)
		return -errno;
	l->tick_fn = fn;
	l->tick_ctx = ctx;
	return 0;
}

void loop_on_signal(struct loop *l, loop_signal_fn fn, void *ctx)
{
	l->sig_fn = fn;
	l->sig_ctx = ctx;
}

void loop_stop(struct loop *l)
{
	l->stop = 1;
}

static void loop_handle_signal(struct loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP && l->sig_fn) {
			l->sig_fn(l->sig_ctx, SIGHUP);
			continue;
		}
		l->stop = 1;
		if (l->sig_fn)
			l->sig_fn(l->sig_ctx, (int)si.ssi_signo);
	}
}

static void loop_dispatch(struct loop *l, int fd, uint32_t events)
{
	if (fd == l->sfd) {
		loop_handle_signal(l);
	} else if (fd == l->tfd) {
		uint64_t n = 0;
		if (read(l->tfd, &n, sizeof(n)) == sizeof(n) && l->tick_fn)
			l->tick_fn(l->tick_ctx, clock_mono_ns(), n);
	} else {
		for (int i = 0; i < l->nfds; i++)
			if (l->fds[i].fd == fd) {
				l->fds[i].fn(l->fds[i].ctx, fd, events);
				break;
			}
	}
}

int loop_run(struct loop *l, uint64_t deadline_ns)
{
	struct epoll_event evs[16];

	while (!l->stop) {
		int timeout = -1;
		if (deadline_ns) {
			uint64_t now = clock_mono_ns();
			if (now >= deadline_ns)
				break;
			timeout = (int)((deadline_ns - now + 999999) / 1000000);
		}
		int n = epoll_wait(l->ep, evs, 16, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !l->stop; i++)
			loop_dispatch(l, evs[i].data.fd, evs[i].events);
	}
	return 0;
}
