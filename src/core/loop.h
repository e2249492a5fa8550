/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The single-threaded event loop: epoll over a timerfd tick, a signalfd for
 * SIGINT/SIGTERM/SIGHUP, and whatever fds sources add (netlink sockets).
 * The loop ends when the deadline passes, a stop signal arrives, or a handler
 * calls loop_stop().
 */
#ifndef PROCIMAGE_LOOP_H
#define PROCIMAGE_LOOP_H

#include <stdint.h>

struct loop;

typedef void (*loop_fd_fn)(void *ctx, int fd, uint32_t events);
typedef void (*loop_tick_fn)(void *ctx, uint64_t now_ns, uint64_t expirations);
typedef void (*loop_signal_fn)(void *ctx, int signo);

struct loop *loop_new(void);
void loop_free(struct loop *l);

int loop_add_fd(struct loop *l, int fd, loop_fd_fn fn, void *ctx);
int loop_del_fd(struct loop *l, int fd);
/* Periodic tick every interval_ns, first one after interval_ns. */
int loop_set_tick(struct loop *l, uint64_t interval_ns, loop_tick_fn fn, void *ctx);
/* SIGHUP handler; SIGINT/SIGTERM always stop the loop. */
void loop_on_signal(struct loop *l, loop_signal_fn fn, void *ctx);
/* Run until deadline (CLOCK_MONOTONIC ns; 0 = none) or a stop. 0, or -errno. */
int loop_run(struct loop *l, uint64_t deadline_ns);
void loop_stop(struct loop *l);

#endif
