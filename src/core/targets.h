/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Target selection: -p PID[,PID..] (a process and its threads; a TID that is
 * not a thread-group leader selects that thread only), --comm REGEX,
 * --cgroup PATH, -a. A task matches if any given selector matches it.
 */
#ifndef PROCIMAGE_TARGETS_H
#define PROCIMAGE_TARGETS_H

#include <regex.h>
#include <stdint.h>

#define TARGETS_MAX_PIDS 256

struct targets {
	int all;
	int npids;
	int32_t pids[TARGETS_MAX_PIDS];
	int have_comm;
	regex_t comm_re;
	char comm_src[128];
	char cgroup[256]; /* empty = none */
};

/* Parse a -p list into t. 0, or -EINVAL with err set (what was wrong). */
int targets_add_pids(struct targets *t, const char *list, char *err, size_t errlen);
int targets_set_comm(struct targets *t, const char *re, char *err, size_t errlen);
int targets_set_cgroup(struct targets *t, const char *path, char *err, size_t errlen);
void targets_free(struct targets *t);
/* Nothing selected at all. */
int targets_empty(const struct targets *t);
/* Only pids: no need to list all of /proc. */
int targets_only_pids(const struct targets *t);
/* Does this process (tgid, comm, cgroup path or NULL) match? */
int targets_match_process(const struct targets *t, int32_t tgid, const char *comm,
			  const char *cgroup);
/* Was tid named explicitly as a thread (-p TID)? */
int targets_has_pid(const struct targets *t, int32_t id);
/* Why a run found nothing to report (exit 3): no such pid, or nothing
 * matched --comm / --cgroup. A static buffer, valid until the next call. */
const char *targets_none_matched(const struct targets *t);
/* Parse a positive pid; 0 or -EINVAL. */
int parse_pid(const char *s, int32_t *out);

#endif
