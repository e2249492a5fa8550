/* SPDX-License-Identifier: GPL-2.0-or-later */
/* procimage migrate: the migrate image of the targets. */
#include "cli/commands.h"

static const char help[] =
	"usage: procimage migrate TARGETS [-d DUR] [-i INT] [-f text|json] [-o FILE]\n";

int cmd_migrate(int argc, char **argv)
{
	return image_cmd_run(argc, argv, "migrate", help);
}
