/* SPDX-License-Identifier: GPL-2.0-or-later */
/* procimage keytime: the keytime image of the targets. */
#include "cli/commands.h"

static const char help[] =
	"usage: procimage keytime TARGETS [-d DUR] [-i INT] [-f text|json] [-o FILE]\n";

int cmd_keytime(int argc, char **argv)
{
	return image_cmd_run(argc, argv, "keytime", help);
}
