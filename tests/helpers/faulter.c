/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * faulter MODE [DELAY_MS]: after DELAY_MS, die of a fault the kernel logs
 * (debug.exception-trace): segv (a write to address 0: "segfault at 0"),
 * trap (int3: "trap int3"), gp (hlt in user mode: "general protection").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: faulter segv|trap|gp [DELAY_MS]\n");
		return 2;
	}
	usleep((useconds_t)atoi(argc > 2 ? argv[2] : "0") * 1000);
	if (!strcmp(argv[1], "segv")) {
		volatile int *p = NULL;
		*p = 1;
	}
#if defined(__x86_64__) || defined(__i386__)
	if (!strcmp(argv[1], "trap"))
		__asm__ volatile("int3");
	if (!strcmp(argv[1], "gp"))
		__asm__ volatile("hlt");
#endif
	return 3;
}
