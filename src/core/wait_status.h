/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Raw wait statuses (wait(2), the proc connector's exit_code, taskstats'
 * ac_exitcode) decoded once for every layer: the images count exits by code
 * and signal, the renderers say in words what a status means ("exit 3",
 * "killed by SIGKILL", "command not found (exit 127)").
 */
#ifndef PROCIMAGE_WAIT_STATUS_H
#define PROCIMAGE_WAIT_STATUS_H

#include <stddef.h>
#include <stdint.h>

struct wait_status {
	int exited; /* normal exit: code valid */
	int code;
	int signal; /* killed by this signal (0 none) */
	int core;   /* and dumped core */
};

void wait_status_decode(uint32_t status, struct wait_status *w);
/* The status in words into buf (len > 0): "exit 3", "killed by SIGKILL",
 * "killed by SIGSEGV (core dumped)", and the shell's conventions for 127
 * and 126: "command not found (exit 127)", "not executable (exit 126)". */
void wait_status_text(uint32_t status, char *buf, size_t len);

#endif
