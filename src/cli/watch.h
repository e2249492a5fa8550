/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * procimage watch, internal interfaces between its parts:
 *  - watch_metrics.c: per-process metrics from the procfs/connector records,
 *    and the rules evaluated on them each tick;
 *  - watch_host.c: host metrics (load average, PSI) read each tick;
 *  - watch_capture.c: the dump folders, the scene snapshot, the image
 *    children (and the triage --focus verdict), the signal, the hook and the
 *    retention of old dumps; several captures at once, up to a cap;
 *  - watch.c: options, the run, the tick, reload on SIGHUP.
 */
#ifndef PROCIMAGE_WATCH_H
#define PROCIMAGE_WATCH_H

#include <stdint.h>
#include <sys/types.h>

#include "cli/rules.h"
#include "procimage/record.h"

/* ==== metrics per process ==== */

struct wmetrics;

struct wfire {
	int32_t pid;
	uint64_t start_ticks;
	char comm[16];
	int rule;
	double m[M_COUNT];
	struct cond_eval ev[RULE_MAX_CONDS]; /* of the rule that fired */
	int nfiring;			     /* processes firing this tick */
};

struct wmetrics *wmetrics_new(const struct ruleset *rs, long ticks_per_s, long page_size);
void wmetrics_free(struct wmetrics *w);
/* New rules: every process's evaluation state starts over. */
int wmetrics_set_rules(struct wmetrics *w, const struct ruleset *rs);
/* Forks are counted from connector records: say whether they arrive. */
void wmetrics_set_forks_known(struct wmetrics *w, int known);
/* Host-wide tiers: a process not sampled in a tick did not run (procfs
 * says when one is gone): step its rules on its last sample, counters
 * unchanged, instead of forgetting it after 3 ticks. */
void wmetrics_set_carry(struct wmetrics *w, int carry);
void wmetrics_consume(struct wmetrics *w, const struct record *r);
/* Close one tick: compute every sampled process's metrics (host values from
 * host[]), step the rules, and pick the firing to capture (the first rule in
 * order; among processes, the largest value of its first condition).
 * 1 and *out filled if something fired. */
int wmetrics_tick(struct wmetrics *w, uint64_t now_ns, const double *host, struct wfire *out);
/* Firings for which fn says 1 (a process and rule cooling down) still count
 * in nfiring but are not picked: the next firing process is. */
typedef int (*wmetrics_skip_fn)(void *ctx, int32_t pid, uint64_t start_ticks, int rule);
void wmetrics_set_skip(struct wmetrics *w, wmetrics_skip_fn fn, void *ctx);
/* The sampled process with the largest value of metric m (host rules name
 * the process to capture this way). 0, or -ENOENT. */
int wmetrics_top(const struct wmetrics *w, int m, struct wfire *out);
size_t wmetrics_count(const struct wmetrics *w);
/* One process's value of one metric (wmetrics_topn). */
struct wtop {
	int32_t pid;
	char comm[16];
	double v;
};
/* The up to n processes sampled in the last tick with the largest known
 * values of metric m, largest first; how many were filled. */
size_t wmetrics_topn(const struct wmetrics *w, int m, struct wtop *out, size_t n);

/* ==== host metrics ==== */

struct whost;

/* root: the proc root. Never fails: missing files give NAN metrics. */
struct whost *whost_new(const char *root);
void whost_free(struct whost *h);
/* Fill m[M_LOAD1..M_PSI_IO_FULL]; the others are left alone. */
void whost_read(struct whost *h, double *m);

/* ==== capture ==== */

struct wcapture_cfg {
	const char *dump_dir;
	const char *proc_root; /* passed to the image children if not /proc */
	uint64_t window_ns, interval_ns;
	const char *format; /* json|text for the image files */
	const char *syscall_source;
	int signo;	  /* 0: none */
	char **hook_argv; /* NULL: none */
	int keep_count;
	uint64_t keep_bytes;
	int images;	/* run the image children (0: snapshot only) */
	int max_active; /* captures under way at once, host-wide (0: 2) */
};

#define WATCH_MAX_CAPTURES 8

struct wcapture;

/* Opens (creating if needed) the dump directory. NULL with err set. */
struct wcapture *wcapture_new(const struct wcapture_cfg *cfg, char *err, size_t errlen);
void wcapture_free(struct wcapture *c);
/* Start a capture of f (rule text and description for trigger.json).
 * 0, or -errno (target gone, folder not creatable); msg says what happened
 * either way (the log line's tail). */
int wcapture_start(struct wcapture *c, const struct wfire *f, const struct ruleset *rs,
		   const double *host, uint64_t now_ns, char *msg, size_t msglen);
/* Captures under way. */
int wcapture_active(const struct wcapture *c);
/* A capture of pid is under way. */
int wcapture_busy(const struct wcapture *c, int32_t pid);
/* Reap children; finish the capture when they are done or overdue. Returns
 * 1 when a capture finished during this call. */
int wcapture_poll(struct wcapture *c, uint64_t now_ns);
/* Stop: ask children to end (SIGTERM), wait up to a few seconds, finish. */
void wcapture_stop(struct wcapture *c);
unsigned wcapture_count(const struct wcapture *c);

/* The snapshot of /proc/<pid> (pdfd) into the capture folder dfd. */
void watch_snapshot(int pdfd, int dfd);
/* A new file in dfd: O_CREAT|O_EXCL|O_NOFOLLOW, 0600; fd or -1. */
int watch_new_file(int dfd, const char *name);
void watch_write_all(int fd, const char *buf, size_t n);

/* Remove the oldest dump folders of dirfd until at most keep_count remain
 * and they hold at most keep_bytes; never keep_name (the newest). */
void watch_retention(int dirfd, const char *keep_name, int keep_count, uint64_t keep_bytes);

/* ==== Prometheus textfile (watch_textfile.c) ==== */

#define WATCH_PROM_TOP_MAX 50

struct wtextfile;

/* What watch knows at the end of a tick, for the textfile. */
struct wtextfile_state {
	const struct wmetrics *wm; /* NULL before the first tick */
	const struct ruleset *rules, *guards;
	const double *host; /* M_COUNT values, NAN unknown; NULL before the first tick */
	uint64_t interval_ns;
	int nfiring; /* processes a rule fired for on the last tick */
	int captures_active;
	unsigned skipped_cooldown, skipped_guard, skipped_cap;
};

/* Check path now (exit 2 material: a missing directory, a symlink, a file
 * that cannot be replaced whole); NULL with err set. */
struct wtextfile *wtextfile_new(const char *path, int topn, char *err, size_t errlen);
void wtextfile_free(struct wtextfile *t);
/* Count a firing of rule i of rs that watch acted on, and a capture started
 * for it (counters by rule text: they survive a reload that keeps the rule). */
void wtextfile_fired(struct wtextfile *t, const struct ruleset *rs, int i);
void wtextfile_captured(struct wtextfile *t, const struct ruleset *rs, int i);
/* Replace the file whole (temp file + rename, mode 0644). A failure is
 * logged (once until it works again) and watch goes on. */
void wtextfile_write(struct wtextfile *t, const struct wtextfile_state *s);

/* ==== options (watch_opts.c) ==== */
extern const char watch_help[];
/* "USR2", "SIGQUIT", "12": the number, or -1. */
int watch_parse_signal(const char *s);
/* "1GiB", "500MiB", "2048": bytes. 0, or -EINVAL. */
int watch_parse_size(const char *s, uint64_t *out);

/* ==== log ==== */
void watch_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
