/* SPDX-License-Identifier: GPL-2.0-or-later */
/* procimage syscall: the syscall image of the targets. */
#include "cli/commands.h"

static const char help[] =
	"usage: procimage syscall TARGETS [-d DUR] [-i INT] [-f text|json] [-o FILE]\n";

int cmd_syscall(int argc, char **argv)
{
	return image_cmd_run(argc, argv, "syscall", help);
}
