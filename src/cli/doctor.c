/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * procimage doctor: which data sources work here, which do not, the exact
 * reason and what the images lose. Runs the probes of cli/doctor_probe.h
 * (each really tries its interface) and prints one table (text) or one JSON
 * document with the envelope keys of every image. Exits 0 whenever the
 * report was produced, whatever it says.
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli/command_table.h"
#include "cli/options.h"
#include "core/clock.h"
#include "cli/doctor_probe.h"
#include "core/hostcaps.h"
#include "core/procroot.h"
#include "sources/leftovers.h"

static const char help[] =
    "usage: procimage doctor [-p PID] [-f text|json] [-o FILE] [--proc-root DIR]\n"
    "\n"
    "Tries every data source here and says whether it works, the exact reason\n"
    "when it does not (errno, missing capability, namespace, sysctl, kernel\n"
    "config) and what the images lose without it. Nothing is left changed.\n"
    "\n"
    "  -p PID           the 'other process' whose /proc files are tried (default 1)\n"
    "  -f text|json     output format\n"
    "  -o FILE          write the report to FILE\n"
    "  --proc-root DIR  the /proc tree procimage would read (a host /proc in a container)\n"
    "\n"
    "Sources: procfs, taskstats, connector, audit, kmsg, cgroup, psi, delayacct;\n"
    "then the capabilities that matter, the user/pid/net namespaces, and what\n"
    "killed procimage runs left (audit rules keyed procimage-<pid>, audit\n"
    "settings, kernel.task_delayacct), undone as every start does.\n"
    "Exit status: 0 when the report was produced, 2 for bad usage.\n";

enum { NITEMS = 8 };

static void run_probes(struct doctor_item *it, const struct run_opts *o)
{
	int32_t other = o->targets.npids ? o->targets.pids[0] : 1;

	memset(it, 0, sizeof(*it) * NITEMS);
	doctor_probe_procfs(&it[0], o->proc_root ? o->proc_root : "/proc", other);
	doctor_probe_taskstats(&it[1]);
	doctor_probe_connector(&it[2], 200);
	doctor_probe_audit(&it[3]);
	doctor_probe_kmsg(&it[4]);
	doctor_probe_cgroup(&it[5]);
	doctor_probe_psi(&it[6]);
	doctor_probe_delayacct(&it[7]);
	/* A foreign tree: procimage would not use the live interfaces with it
	 * (core/run.c), whatever they answer here. */
	char why[300];
	if (!procroot_is_live(o->proc_root, why, sizeof(why)))
		for (int i = 1; i <= 5; i++) {
			it[i].state = SOURCE_UNAVAILABLE;
			it[i].err = 0;
			snprintf(it[i].impact, sizeof(it[i].impact),
				 "the images see only what the tree holds");
			snprintf(it[i].reason, sizeof(it[i].reason),
				 "not used with --proc-root: %.200s; the live host's %s would be "
				 "mixed into its tasks",
				 why, it[i].name);
		}
}

static void out_header(struct out *o)
{
	struct utsname u;
	char started[40];

	uname(&u);
	clock_format_rfc3339(clock_wall_ns(), started, sizeof(started));
	out_str(o, "schema", NULL, "procimage/1");
	out_str(o, "image", "procimage %s", "doctor");
	out_str(o, "host", " on %s", u.nodename);
	out_str(o, "kernel", " (Linux %s)", u.release);
	out_str(o, "started", ", %s", started);
	out_u64(o, "uid", ", uid %llu", (unsigned long long)getuid());
	out_u64(o, "euid", NULL, (unsigned long long)geteuid());
	out_text(o, "\n\n");
}

/* Text: "SOURCE STATUS REASON" then an indented "lost:" line. */
static void out_items(struct out *o, const struct doctor_item *it)
{
	out_obj_open(o, "sources");
	out_text(o, "%-10s %-12s %s\n", "SOURCE", "STATUS", "REASON / WHAT THE IMAGES LOSE");
	for (int i = 0; i < NITEMS; i++) {
		out_obj_open(o, it[i].name);
		out_text(o, "%-10s ", it[i].name);
		out_str(o, "status", "%-12s ", source_state_name(it[i].state));
		out_str(o, "reason", "%s\n", it[i].reason);
		if (it[i].err)
			out_str(o, "errno", NULL, host_errname(it[i].err));
		else
			out_null(o, "errno", NULL);
		out_str(o, "impact", it[i].impact[0] ? "                        lost: %s\n" : NULL,
			it[i].impact);
		if (it[i].detail[0])
			out_str(o, "detail", NULL, it[i].detail);
		out_obj_close(o);
	}
	out_obj_close(o);
}

static void out_caps(struct out *o)
{
	struct host_cap c[16];
	int n = host_caps(c, 16);

	out_text(o, "\ncapabilities (effective):\n");
	out_arr_open(o, "capabilities");
	for (int i = 0; i < n; i++) {
		out_obj_open(o, NULL);
		out_str(o, "name", "  %-20s", c[i].name);
		out_bool(o, "effective", NULL, c[i].effective);
		out_text(o, "%-5s", c[i].effective ? "yes" : "NO");
		out_str(o, "used_for", "%s\n", c[i].used_for);
		out_obj_close(o);
	}
	out_arr_close(o);
}

static void out_namespaces(struct out *o)
{
	struct host_ns ns[4];
	int n = host_namespaces(ns, 4);

	out_text(o, "\nnamespaces:\n");
	out_obj_open(o, "namespaces");
	for (int i = 0; i < n; i++) {
		out_obj_open(o, ns[i].name);
		out_text(o, "  %-5s ", ns[i].name);
		if (ns[i].initial < 0)
			out_null(o, "initial", "unknown");
		else
			out_bool(o, "initial", NULL, ns[i].initial);
		if (ns[i].initial >= 0)
			out_text(o, "%s", ns[i].initial ? "initial" : "NOT initial");
		out_u64(o, "inode", " (inode %llu", (unsigned long long)ns[i].ino);
		out_str(o, "how", ", %s)\n", ns[i].how);
		out_obj_close(o);
	}
	out_obj_close(o);
}

/* What killed runs of ours left: what this start's sweep undid, and keyed
 * audit rules no session file announced (found by listing the rules). */
static void out_leftovers(struct out *o)
{
	const struct leftover *l;
	int n;

	leftovers_scan_rules();
	n = leftovers_seen(&l);
	out_text(o, "\nleft by killed procimage runs:%s\n", n ? "" : " nothing");
	out_arr_open(o, "leftovers");
	for (int i = 0; i < n; i++) {
		out_obj_open(o, NULL);
		out_i64(o, "owner_pid", "  pid %lld: ", (int64_t)l[i].owner);
		out_bool(o, "undone", NULL, l[i].undone);
		out_str(o, "what", "%s\n", l[i].what);
		out_obj_close(o);
	}
	out_arr_close(o);
}

int cmd_doctor(int argc, char **argv)
{
	struct run_opts o;
	struct doctor_item items[NITEMS];
	struct out out;
	FILE *fp;
	int optind_out, rc;

	opts_defaults(&o, "doctor");
	rc = opts_parse(&o, argc, argv, help, &optind_out);
	if (rc < 0) {
		opts_free(&o);
		return 0;
	}
	if (!rc && optind_out < argc) {
		snprintf(o.err, sizeof(o.err),
			 "doctor takes no argument '%s': see procimage doctor --help",
			 argv[optind_out]);
		rc = EXIT_USAGE;
	}
	if (rc) {
		fprintf(stderr, "procimage doctor: %s\n", o.err);
		opts_free(&o);
		return rc;
	}
	fp = opts_open_output(&o);
	if (!fp) {
		fprintf(stderr, "procimage doctor: %s\n", o.err);
		opts_free(&o);
		return EXIT_USAGE;
	}
	run_probes(items, &o);
	out_init(&out, fp, o.fmt);
	out_obj_open(&out, NULL);
	out_header(&out);
	out_items(&out, items);
	out_caps(&out);
	out_namespaces(&out);
	out_leftovers(&out);
	out_obj_close(&out);
	if (out_is_json(&out))
		fputc('\n', fp);
	if (fp != stdout)
		fclose(fp);
	else
		fflush(fp);
	opts_free(&o);
	return 0;
}
