/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host sessions: what a run of ours changes on the host (audit rules, audit
 * settings, kernel.task_delayacct) is announced first in a file
 * <base>/<kind>/<pid> (base: $PROCIMAGE_RUN_DIR or /run/procimage), holding
 * the value to restore and the owner's identity: pid, start time (stat field
 * 22: a reused pid is another process) and pid namespace. The file goes
 * after the change is undone, so a file whose owner is dead is exactly what
 * a killed run left: the next start of any command undoes it (see
 * sources/leftovers.h).
 *
 * Each kind's directory is locked (flock on .lock) while a run adds or
 * removes its file, so two runs never both believe they are the last one.
 * Files written before the start time was recorded ("enabled=1 ..." alone)
 * are judged by the owner's name (a live "procimage").
 */
#ifndef PROCIMAGE_HOSTSESS_H
#define PROCIMAGE_HOSTSESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HS_PAYLOAD 160
#define HS_MAX	   64

enum hs_alive { HS_DEAD = 0, HS_ALIVE = 1, HS_UNKNOWN = 2 /* another pid namespace */ };

struct hs_entry {
	pid_t pid;
	uint64_t start;	     /* 0: not recorded (older file) */
	unsigned long pidns; /* 0: not recorded */
	enum hs_alive alive;
	char payload[HS_PAYLOAD]; /* the kind's own "k=v k=v" text */
};

/* <base>/<kind> into buf. */
const char *hs_dir(const char *kind, char *buf, size_t len);
/* Lock the kind's directory (created 0700 when create is set). fd, or -errno. */
int hs_lock(const char *kind, int create);
void hs_unlock(int fd);
/* Every file of the kind but ours, with its owner judged. Count (at most
 * max), or -errno (ENOENT: no directory, nothing ever held). */
int hs_list(const char *kind, struct hs_entry *e, int max);
/* Write our file: payload plus our identity. 0 or -errno. */
int hs_write(const char *kind, const char *payload);
/* Remove the file of pid (ours: getpid()). */
void hs_remove(const char *kind, pid_t pid);
/* Is this process (pid, start time, pid namespace) alive? */
enum hs_alive hs_owner_alive(pid_t pid, uint64_t start, unsigned long pidns);
/* Our own start time (stat field 22) and pid namespace inode. */
uint64_t hs_self_start(void);
unsigned long hs_self_pidns(void);
/* The start time of pid, 0 when it is gone. */
uint64_t hs_pid_start(pid_t pid);
/* Value of "key=" in a payload; def when absent. */
long long hs_get(const char *payload, const char *key, long long def);

#endif
