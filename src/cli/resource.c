/* SPDX-License-Identifier: GPL-2.0-or-later */
/* procimage resource: the resource image of the targets. */
#include "cli/commands.h"

static const char help[] =
	"usage: procimage resource TARGETS [-d DUR] [-i INT] [-f text|json] [-o FILE]\n";

int cmd_resource(int argc, char **argv)
{
	return image_cmd_run(argc, argv, "resource", help);
}
