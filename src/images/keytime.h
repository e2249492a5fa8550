/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The keytime image, shared between its two files: keytime.c (consume:
 * which events belong to the target tree, on/off-CPU periods from samples)
 * and keytime_report.c (sort, text and JSON, summary).
 */
#ifndef PROCIMAGE_IMAGE_KEYTIME_H
#define PROCIMAGE_IMAGE_KEYTIME_H

#include <stddef.h>
#include <stdint.h>

#include "core/taskmap.h"
#include "procimage/image.h"

enum kt_type {
	KT_FORK = 0,
	KT_CLONE,
	KT_EXEC,
	KT_EXIT,
	KT_COMM,
	KT_UID,
	KT_GID,
	KT_SID,
	KT_PTRACE,
	KT_COREDUMP,
	KT_ONCPU,
	KT_OFFCPU,
	KT_BLOCKED,
	KT_LOST,
	KT_TYPE_COUNT
};

struct kt_event {
	uint64_t t_ns;
	uint64_t dur_ns;  /* periods: length; lost: window length */
	uint64_t cpu_ns;  /* oncpu: CPU time in the period; lost: count */
	int32_t pid, tid; /* pid = tgid */
	int32_t a, b;	  /* child pid/tid; ruid/euid; tracer pid/tid */
	uint32_t status;  /* exit: raw wait status */
	int32_t sig;	  /* exit: exit_signal (-1 thread) */
	int32_t cpu;
	int32_t syscall;	     /* blocked: syscall number, or SAMPLE_SYSCALL_* */
	uint32_t text_off, text_len; /* exec: filename NUL argv..; blocked: wchan NUL stack */
	int32_t ts;		     /* exit: index of the matching taskstats record, or -1 */
	uint16_t type;
	uint8_t sampled; /* from polling (period, or the /proc-diff fallback) */
	uint8_t state;	 /* blocked/offcpu: task state letter */
	uint8_t ongoing; /* period still open at report time */
	uint8_t thread;	 /* exit of a thread (not the whole process) */
	char comm[16];
};

/* Exact accounting of an exited task, from the taskstats exit listener. */
struct kt_ts {
	int32_t tid;
	uint64_t t_ns;
	uint64_t cpu_ns, utime_us, stime_us;
	uint64_t read_bytes, write_bytes, rss_hwm_kb;
	uint32_t exitcode;
	char comm[16]; /* at exit: names a task whose exec could not be read */
};

struct kt_wait {
	int exited; /* normal exit: code valid */
	int code;
	int signal; /* killed by this signal (0 none) */
	int core;   /* and dumped core */
};

#define KT_MAX_EVENTS 500000

struct kt_img {
	struct image_params p;
	struct taskmap *members; /* key: tgid */
	struct taskmap *threads; /* key: tid, start: per-thread period state */
	struct kt_event *ev;
	size_t nev, capev;
	char *text;
	size_t ntext, captext;
	struct kt_ts *ts;
	size_t nts, capts;
	uint64_t dropped; /* events beyond KT_MAX_EVENTS */
	uint64_t lost, lost_episodes;
	uint64_t first_t, last_t; /* span of samples/events seen */
	int connector_seen;
	int64_t ticks;
	/* procimage's own ptrace samplers attach and detach (connector ptrace
	 * events): not the target's story; tids attached by this process */
	int32_t self, own_traced[64];
	int nown;
	uint64_t own_ptrace; /* such events left out */
	/* recent events of tasks not (yet) in the tree */
	struct kt_event *ring;
	char *ring_text;
	size_t ring_head, ring_n;
};

/* Decode a raw wait status (as in wait(2) and the connector's exit_code). */
void keytime_wait_decode(uint32_t status, struct kt_wait *w);
/* Name of an event type ("fork", "blocked", ...). */
const char *keytime_type_name(int type);
/* Write the report (keytime_report.c). */
void keytime_report_out(struct kt_img *k, struct out *o);
/* Append text to the image's arena; returns the offset. */
uint32_t keytime_text_add(struct kt_img *k, const char *s, size_t len);

#endif
