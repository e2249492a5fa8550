/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Target selection (see targets.h). */
#include "core/targets.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int parse_pid(const char *s, int32_t *out)
{
	char *end;
	long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0 || v > INT_MAX)
		return -EINVAL;
	*out = (int32_t)v;
	return 0;
}

int targets_add_pids(struct targets *t, const char *list, char *err, size_t errlen)
{
	char buf[4096];
	char *save = NULL;

	if (strlen(list) >= sizeof(buf)) {
		snprintf(err, errlen, "pid list too long");
		return -EINVAL;
	}
	strcpy(buf, list);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int32_t pid;
		if (parse_pid(tok, &pid)) {
			snprintf(err, errlen,
				 "'%s' is not a pid: give positive numbers, e.g. -p 1234,5678",
				 tok);
			return -EINVAL;
		}
		if (t->npids >= TARGETS_MAX_PIDS) {
			snprintf(err, errlen, "at most %d pids", TARGETS_MAX_PIDS);
			return -EINVAL;
		}
		t->pids[t->npids++] = pid;
	}
	if (!t->npids) {
		snprintf(err, errlen, "empty pid list: give -p PID[,PID...]");
		return -EINVAL;
	}
	return 0;
}

int targets_set_comm(struct targets *t, const char *re, char *err, size_t errlen)
{
	int rc;

	if (t->have_comm)
		regfree(&t->comm_re);
	t->have_comm = 0;
	rc = regcomp(&t->comm_re, re, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		char msg[128];
		regerror(rc, &t->comm_re, msg, sizeof(msg));
		snprintf(err, errlen, "--comm '%s' is not a valid regular expression: %s", re, msg);
		return -EINVAL;
	}
	snprintf(t->comm_src, sizeof(t->comm_src), "%s", re);
	t->have_comm = 1;
	return 0;
}

int targets_set_cgroup(struct targets *t, const char *path, char *err, size_t errlen)
{
	if (!path[0] || strlen(path) >= sizeof(t->cgroup)) {
		snprintf(err, errlen, "--cgroup needs a cgroup path such as /system.slice/foo");
		return -EINVAL;
	}
	snprintf(t->cgroup, sizeof(t->cgroup), "%s", path);
	return 0;
}

void targets_free(struct targets *t)
{
	if (t->have_comm)
		regfree(&t->comm_re);
	t->have_comm = 0;
}

int targets_empty(const struct targets *t)
{
	return !t->all && !t->npids && !t->have_comm && !t->cgroup[0];
}

int targets_only_pids(const struct targets *t)
{
	return !t->all && t->npids && !t->have_comm && !t->cgroup[0];
}

int targets_has_pid(const struct targets *t, int32_t id)
{
	for (int i = 0; i < t->npids; i++)
		if (t->pids[i] == id)
			return 1;
	return 0;
}

/* A cgroup path matches itself and everything below it. */
static int cgroup_match(const char *want, const char *have)
{
	size_t n = strlen(want);

	while (n > 1 && want[n - 1] == '/')
		n--;
	if (strncmp(want, have, n) != 0)
		return 0;
	return have[n] == '\0' || have[n] == '/' || (n == 1 && want[0] == '/');
}

int targets_match_process(const struct targets *t, int32_t tgid, const char *comm,
			  const char *cgroup)
{
	if (t->all)
		return 1;
	if (targets_has_pid(t, tgid))
		return 1;
	if (t->have_comm && comm && regexec(&t->comm_re, comm, 0, NULL, 0) == 0)
		return 1;
	if (t->cgroup[0] && cgroup && cgroup_match(t->cgroup, cgroup))
		return 1;
	return 0;
}

const char *targets_none_matched(const struct targets *t)
{
	static char buf[512];
	size_t n = 0;

	if (!t->have_comm && !t->cgroup[0])
		return "no such process: none of the given pids exists";
	n += (size_t)snprintf(buf, sizeof(buf), "nothing matched: no process %s",
			      t->npids ? "of the given pids existed, none " : "");
	if (t->have_comm)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				      "had a comm matching --comm '%.100s' (an extended regex on "
				      "the 15-character name 'ps -eo comm' shows)",
				      t->comm_src);
	if (t->cgroup[0] && n < sizeof(buf))
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				      "%swas in a cgroup under --cgroup '%.150s' (see "
				      "/proc/PID/cgroup)",
				      t->have_comm ? ", none " : "", t->cgroup);
	if (n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - n, " during the whole run");
	return buf;
}
