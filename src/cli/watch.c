/* SPDX-License-Identifier: GPL-2.0-or-later */
/* procimage watch: placeholder until it is implemented. */
#include <stdio.h>

#include "cli/commands.h"

int cmd_watch(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "procimage %s: not implemented in this build\n", argv[0]);
	return 1;
}
