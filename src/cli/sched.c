/* SPDX-License-Identifier: GPL-2.0-or-later */
/* procimage sched: the sched image of the targets. */
#include "cli/commands.h"

static const char help[] =
	"usage: procimage sched TARGETS [-d DUR] [-i INT] [-f text|json] [-o FILE]\n";

int cmd_sched(int argc, char **argv)
{
	return image_cmd_run(argc, argv, "sched", help);
}
