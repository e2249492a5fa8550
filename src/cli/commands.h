/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One entry point per command (src/cli/<command>.c); dispatch is in main.c. */
#ifndef PROCIMAGE_COMMANDS_H
#define PROCIMAGE_COMMANDS_H

int cmd_triage(int argc, char **argv);
int cmd_sched(int argc, char **argv);
int cmd_resource(int argc, char **argv);
int cmd_keytime(int argc, char **argv);
int cmd_syscall(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_exits(int argc, char **argv);
int cmd_stacks(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
/* diagnose-tools compatible front end: argv[0] is the tool name. */
int cmd_compat(int argc, char **argv);

/* The shared body of the image commands (cli/image_cmd.c). */
int image_cmd_run(int argc, char **argv, const char *image, const char *help);

#endif
