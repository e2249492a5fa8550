/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The state of the diagnose-tools front end: parameters, the collector's
 * pid and the report window, in one directory per tool (0700).
 */
#ifndef PROCIMAGE_COMPAT_STATE_H
#define PROCIMAGE_COMPAT_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct compat_settings {
	uint64_t threshold_ms;
	int verbose;
	int32_t pid, tgid;
	char comm[17];
	uint64_t activated_mono_ns, activated_wall_ns, last_report_mono_ns;
};

/* "/run/procimage" for root, else $XDG_RUNTIME_DIR/procimage (or
 * /tmp/procimage-UID); $PROCIMAGE_STATE_DIR overrides. */
const char *compat_state_root(void);
/* root/tool; create (0700, checked to be ours) when create is set. */
int compat_state_dir(const char *tool, char *buf, size_t len, int create, char *err, size_t errlen);
/* Parse "k=v k=v" or "k=v,k=v" (diagnose-tools parameters). */
int compat_parse_params(const char *args, struct compat_settings *s, int settings_only, char *err,
			size_t errlen);
int compat_parse_settings_args(const char *args, int *json, char *err, size_t errlen);
int compat_save(const char *dir, const struct compat_settings *s, char *err, size_t errlen);
int compat_load(const char *dir, struct compat_settings *s, char *err, size_t errlen);
/* "pid start-time": a reused pid is not our collector. */
int compat_write_pid(const char *dir, pid_t pid);
/* The collector's pid when it runs, else 0. */
pid_t compat_active(const char *dir);
/* The pid the state names, running or not (0: none recorded). */
pid_t compat_recorded_pid(const char *dir);
/* How the collector ended, as its waiter saw it ("" when unknown). */
void compat_ended(const char *dir, char *buf, size_t len);
void compat_write_ended(const char *dir, const char *text);
/* SIGTERM the collector and wait up to timeout_ms for it to exit, then
 * SIGKILL it. 0 when it exited on SIGTERM, 1 when it had to be killed,
 * -1 when it is still there. */
int compat_stop(const char *dir, int timeout_ms);
/* Wait up to timeout_ms until pid is reaped (its /proc entry gone). */
int compat_wait_reaped(pid_t pid, int timeout_ms);
/* Remove the state files; the directory too when all is set (and the root
 * when it is empty). */
int compat_remove(const char *dir, int all);
/* collector: its pid when it runs (0: not running); ended: why not. */
void compat_print_settings(FILE *fp, const char *tool, const struct compat_settings *s, int active,
			   pid_t collector, const char *ended, int json);
/* ^name$ with regex metacharacters escaped. */
void compat_comm_regex(const char *comm, char *re, size_t len);
/* Ask the collector to commit (SIGHUP) and wait until the store holds
 * records up to about now_ns (at most 2 s). */
void compat_sync_collector(pid_t pid, const char *store_path, uint64_t now_ns);
/* "activate", "report"... given without the leading dash? */
int compat_is_long(const char *opt);
/* "-activate=x" -> "--activate=x" into buf. */
char *compat_dashdash(const char *arg, char *buf, size_t len);

#endif
