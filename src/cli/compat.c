/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The diagnose-tools compatible front end: sched-image, resource-image,
 * keytime-image, migrate-image, sys-cost (syscall-image): the CMD_COMPAT
 * rows of cli/command_table.c, with --activate, --settings, --report and
 * --deactivate.
 *
 * --activate starts a collector that survives the shell (double fork,
 * setsid): a `record` of what the image needs into a store in the tool's
 * state directory (/run/procimage/<tool>, or $XDG_RUNTIME_DIR/procimage/<tool>
 * for other users; mode 0700). --report replays the window since the
 * previous report (resource-image: since activation, as diagnose-tools'
 * cumulative table) through the image, which is diagnose-tools' draining of
 * its buffer. --deactivate stops the collector with SIGTERM, so its sources
 * undo what they set up (audit rules), then removes the state directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/command_table.h"
#include "cli/compat_state.h"
#include "cli/store_cmd.h"
#include "core/clock.h"
#include "core/hostsess.h"
#include "sources/audit.h"
#include "sources/leftovers.h"

static void usage(FILE *fp, const struct command *t)
{
	fprintf(
	    fp,
	    "usage: procimage %s [--activate[=\"k=v k=v\"]] [--settings[=\"json=1\"]]\n"
	    "                 [--report [-f text|json|prom|csv|html] [-o FILE]] [--deactivate]\n"
	    "diagnose-tools compatible front end of the %s image.\n"
	    "  --activate    start a background collector (survives the shell); parameters,\n"
	    "                space- or comma-separated:\n"
	    "                  threshold=MS  %s\n"
	    "                  verbose=N     1: also capture kernel stacks\n"
	    "                  pid=TID       one thread      tgid=PID   a process and its threads\n"
	    "                  comm=NAME     tasks with this exact name%s\n"
	    "  --report      print what was collected since the previous report%s\n"
	    "  --settings    the current settings; --settings=\"json=1\" as JSON\n"
	    "  --deactivate  stop the collector and remove everything it set up\n"
	    "state: %s/%s (mode 0700)\n",
	    t->name, t->image,
	    !strcmp(t->image, "sched") ? "report runs on a CPU longer than MS (default 50)"
				       : "accepted; used by the sched image only",
	    (t->flags & CMD_NEEDS_PID) ? "\n                (pid or tgid is required)" : "",
	    !strcmp(t->image, "resource") ? "\n                (resource-image: since activation)"
					  : "",
	    compat_state_root(), t->name);
}

/* The tools are the table's CMD_COMPAT rows; t->name is the one spelling
 * of each (its state directory and its messages), whichever alias was typed. */
static const struct command *find_tool(const char *name)
{
	const struct command *c = command_find(name);

	return c && (c->flags & CMD_COMPAT) ? c : NULL;
}

__attribute__((format(printf, 3, 4))) static int err_exit(const struct command *t, int code,
							  const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "procimage %s: ", t->name);
	va_start(ap, fmt);
	out_vprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/* Targets and options of the collector and of the report, from the settings. */
static int apply_settings(const struct command *t, const struct compat_settings *s,
			  struct run_opts *o)
{
	char buf[64];

	if (s->threshold_ms) {
		o->threshold_ns = s->threshold_ms * NS_PER_MS;
		o->threshold_set = 1;
	}
	o->verbose = s->verbose;
	o->stacks = s->verbose > 0;
	if (s->pid) {
		snprintf(buf, sizeof(buf), "%d", s->pid);
		targets_add_pids(&o->targets, buf, o->err, sizeof(o->err));
	}
	if (s->tgid) {
		snprintf(buf, sizeof(buf), "%d", s->tgid);
		targets_add_pids(&o->targets, buf, o->err, sizeof(o->err));
	}
	if (s->comm[0]) {
		char re[80];
		compat_comm_regex(s->comm, re, sizeof(re));
		if (targets_set_comm(&o->targets, re, o->err, sizeof(o->err)))
			return EXIT_USAGE;
	}
	if (targets_empty(&o->targets))
		o->targets.all = 1;
	if (!strcmp(t->image, "resource"))
		o->interval_ns = 100 * NS_PER_MS;
	return 0;
}

/* The collector: runs in the grandchild until SIGTERM. Never returns. */
static void collector(const struct command *t, const struct compat_settings *s, const char *dir,
		      int ready_fd)
{
	struct run_opts o;
	struct record_cfg c = {.ready_fd = ready_fd, .until_stopped = 1};
	char path[4200], log[4200], cmd[256];
	int fd;

	snprintf(path, sizeof(path), "%s/store.db", dir);
	snprintf(log, sizeof(log), "%s/collector.log", dir);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		dup2(fd, 0), close(fd);
	if (chdir("/"))
		(void)0;
	opts_defaults(&o, t->name);
	o.audit_by_default = !strcmp(t->image, "syscall"); /* sys-cost: as `procimage syscall` */
	if (apply_settings(t, s, &o))
		_exit(2);
	snprintf(cmd, sizeof(cmd), "procimage %s --activate (collector)", t->name);
	c.path = path;
	c.command = cmd;
	c.only[c.nonly++] = t->image;
	c.lim.max_size = 256ull << 20;
	_exit(record_run(&o, &c));
}

/* Wait for the collector's "recording" byte; its pid comes from the state. */
static int wait_ready(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char b = 0;

	if (poll(&p, 1, 15000) <= 0 || read(fd, &b, 1) != 1)
		return -1;
	return b == '1' ? 0 : -1;
}

/* Append what this process's sweeps undid for owner to buf. */
static void append_undone(pid_t owner, char *buf, size_t len)
{
	const struct leftover *l;
	int n = leftovers_seen(&l);
	size_t off = strlen(buf);

	for (int i = 0; i < n && off < len; i++)
		if (l[i].owner == owner)
			off += (size_t)snprintf(buf + off, len - off, "; %s%s",
						l[i].undone ? "" : "NOT UNDONE: ", l[i].what);
}

/* The collector's parent, in its session: reaps it the moment it ends (so
 * no zombie lingers until pid 1 gets to it), undoes what a killed
 * collector left (audit rules and settings) and notes how it ended for
 * --settings and --deactivate. Never returns. */
static void waiter(const char *dir, pid_t c)
{
	char text[1024];
	int st, fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
		close(fd);
	}
	while (waitpid(c, &st, 0) < 0)
		if (errno != EINTR)
			_exit(1);
	if (WIFSIGNALED(st))
		snprintf(text, sizeof(text), "collector pid %d was killed by signal %d (%s)",
			 (int)c, WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(text, sizeof(text), "collector pid %d exited with status %d", (int)c,
			 WEXITSTATUS(st));
	leftovers_sweep();
	append_undone(c, text, sizeof(text));
	char pidfile[4200];
	snprintf(pidfile, sizeof(pidfile), "%s/pid", dir);
	if (access(pidfile, F_OK) == 0)
		compat_write_ended(dir, text);
	_exit(0);
}

static int spawn(const struct command *t, const struct compat_settings *s, const char *dir,
		 pid_t *waiter_pid)
{
	int pfd[2];
	pid_t child;

	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	child = fork();
	if (child < 0)
		return -1;
	if (child == 0) {
		close(pfd[0]);
		setsid();
		pid_t g = fork();
		if (g < 0)
			_exit(1);
		if (g == 0) {
			if (compat_write_pid(dir, getpid()))
				_exit(1);
			collector(t, s, dir, pfd[1]);
		}
		close(pfd[1]);
		waiter(dir, g);
	}
	*waiter_pid = child;
	close(pfd[1]);
	int rc = wait_ready(pfd[0]);
	close(pfd[0]);
	return rc;
}

static void print_log(const char *dir)
{
	char path[4200], buf[2048];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/collector.log", dir);
	fp = fopen(path, "r");
	/* the log may quote a task's comm or argv: escaped (out.h) */
	while (fp && fgets(buf, sizeof(buf), fp)) {
		buf[strcspn(buf, "\n")] = '\0';
		out_printf(stderr, "  %s\n", buf);
	}
	if (fp)
		fclose(fp);
}

static int activate(const struct command *t, const char *args)
{
	struct compat_settings s = {0};
	char err[256], dir[4096];
	pid_t pid;

	if (compat_parse_params(args, &s, 0, err, sizeof(err)))
		return err_exit(t, EXIT_USAGE, "%s", err);
	if ((t->flags & CMD_NEEDS_PID) && !s.pid && !s.tgid)
		return err_exit(t, EXIT_USAGE, "%s",
				"needs a target: --activate=\"tgid=PID\" (a"
				" process) or \"pid=TID\" (a thread)");
	if (compat_state_dir(t->name, dir, sizeof(dir), 1, err, sizeof(err)))
		return err_exit(t, 1, "%s", err);
	struct compat_settings old;
	if ((pid = compat_active(dir)) > 0 || !compat_load(dir, &old, err, sizeof(err))) {
		if (pid > 0)
			fprintf(stderr,
				"procimage %s: already active (collector pid %d): --deactivate"
				" it first\n",
				t->name, (int)pid);
		else
			fprintf(stderr,
				"procimage %s: already active (its collector ended when its"
				" targets exited; --report still works): --deactivate it first\n",
				t->name);
		return 1;
	}
	if (compat_state_dir(t->name, dir, sizeof(dir), 1, err, sizeof(err)))
		return err_exit(t, 1, "%s", err);
	s.activated_mono_ns = clock_mono_ns();
	s.last_report_mono_ns = s.activated_mono_ns;
	s.activated_wall_ns = clock_wall_ns();
	if (compat_save(dir, &s, err, sizeof(err)))
		return err_exit(t, 1, "%s", err);
	pid_t w = 0;
	if (spawn(t, &s, dir, &w)) {
		fprintf(stderr, "procimage %s: the collector did not start:\n", t->name);
		print_log(dir);
		compat_stop(dir, 5000);
		if (w > 0)
			waitpid(w, NULL, 0); /* its waiter undoes what it left */
		compat_remove(dir, 1);
		return 1;
	}
	pid = compat_active(dir);
	printf("%s activated (collector pid %d, state %s)\n", t->name, (int)pid, dir);
	compat_print_settings(stdout, t->name, &s, 1, pid, NULL, 0);
	return 0;
}

/* The collector's waiter (its parent, a procimage other than pid 1) and
 * the waiter's start time; 0 when there is none. */
static pid_t waiter_of(pid_t c, uint64_t *start)
{
	char path[64], buf[1024];
	const char *p;
	int ppid = 0;

	*start = 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)c);
	FILE *fp = fopen(path, "re");
	if (!fp)
		return 0;
	if (fgets(buf, sizeof(buf), fp) && (p = strrchr(buf, ')')))
		sscanf(p + 2, "%*c %d", &ppid);
	fclose(fp);
	if (ppid <= 1 || hs_owner_alive(ppid, 0, 0) != HS_ALIVE)
		return 0;
	*start = hs_pid_start(ppid);
	return ppid;
}

/* SIGTERM to SIGKILL: 15 s ($PROCIMAGE_STOP_TIMEOUT_MS overrides, for tests). */
static int stop_timeout_ms(void)
{
	const char *e = getenv("PROCIMAGE_STOP_TIMEOUT_MS");
	int v = e ? atoi(e) : 0;

	return v > 0 ? v : 15000;
}

/* Stop the collector; when this returns it has exited (been reaped when
 * its waiter lives) and what it set up is gone, or we say what is not. */
static int deactivate(const struct command *t)
{
	char err[256], dir[4096], ended[1024], pidfile[4200];
	pid_t pid, rec, w = 0;
	uint64_t wstart = 0;
	int stop = 0, reaped = 0, timeout = stop_timeout_ms();

	if (compat_state_dir(t->name, dir, sizeof(dir), 0, err, sizeof(err)) || access(dir, F_OK)) {
		printf("%s is not activated\n", t->name);
		return 0;
	}
	rec = compat_recorded_pid(dir);
	pid = compat_active(dir);
	if (pid > 0)
		w = waiter_of(pid, &wstart);
	if (pid > 0 && (stop = compat_stop(dir, timeout)) < 0) {
		fprintf(stderr,
			"procimage %s: the collector (pid %d) did not stop, even on SIGKILL\n",
			t->name, (int)pid);
		return 1;
	}
	if (rec > 0)
		reaped = compat_wait_reaped(rec, 3000) == 0;
	/* Its waiter notes how it ended and undoes what a killed one left:
	 * let it finish (it exits right after). */
	for (int i = 0; w > 0 && i < 300 && hs_pid_start(w) == wstart; i++)
		usleep(10000);
	/* A collector killed (by us or anyone): its waiter or this start's
	 * sweep undid what it left; look once more now that it is gone. */
	leftovers_sweep();
	compat_ended(dir, ended, sizeof(ended));
	if (!ended[0] && rec > 0) {
		snprintf(ended, sizeof(ended), "collector pid %d", (int)rec);
		append_undone(rec, ended, sizeof(ended));
	}
	snprintf(pidfile, sizeof(pidfile), "%s/%d", hs_dir(AUDIT_RULES_KIND, err, sizeof(err)),
		 (int)rec);
	int left = rec > 0 && access(pidfile, F_OK) == 0;
	if (compat_remove(dir, 1))
		return err_exit(t, 1, "cannot remove the state %s", dir);
	if (pid > 0 && stop == 0)
		printf("%s deactivated (collector pid %d stopped and removed what it set up)\n",
		       t->name, (int)pid);
	else if (pid > 0)
		printf("%s deactivated: the collector (pid %d) did not stop within %d ms of "
		       "SIGTERM and was killed; %s\n",
		       t->name, (int)pid, timeout, ended);
	else if (rec > 0)
		printf("%s deactivated: the collector was no longer running (%s)\n", t->name,
		       ended);
	else
		printf("%s deactivated\n", t->name);
	if (rec > 0 && !reaped)
		fprintf(stderr,
			"procimage %s: the collector (pid %d) has exited but is not reaped yet "
			"(its parent is gone; pid 1 reaps it)\n",
			t->name, (int)rec);
	if (left) {
		fprintf(stderr,
			"procimage %s: the audit rules of the collector (pid %d) could not be "
			"removed: run 'procimage doctor' as root\n",
			t->name, (int)rec);
		return 1;
	}
	return 0;
}

static int settings(const struct command *t, const char *args)
{
	struct compat_settings s = {0};
	char err[256], dir[4096];
	int json = 0;

	if (args && compat_parse_settings_args(args, &json, err, sizeof(err)))
		return err_exit(t, EXIT_USAGE, "%s", err);
	int active = !compat_state_dir(t->name, dir, sizeof(dir), 0, err, sizeof(err)) &&
		     !compat_load(dir, &s, err, sizeof(err));
	char ended[1024] = "";
	pid_t pid = active ? compat_active(dir) : 0;
	if (active && !pid) {
		compat_ended(dir, ended, sizeof(ended));
		if (!ended[0] && compat_recorded_pid(dir) > 0)
			snprintf(ended, sizeof(ended), "collector pid %d is gone",
				 (int)compat_recorded_pid(dir));
	}
	compat_print_settings(stdout, t->name, &s, active, pid, ended, json);
	return 0;
}

static int report(const struct command *t, struct run_opts *o)
{
	struct compat_settings s = {0};
	struct report_cfg c = {.quiet_empty = 1};
	char err[256], dir[4096], path[4200];
	pid_t pid;
	int rc;

	if (compat_state_dir(t->name, dir, sizeof(dir), 0, err, sizeof(err)) ||
	    compat_load(dir, &s, err, sizeof(err)))
		return err_exit(t, 1, "%s", "is not active: run --activate first");
	pid = compat_active(dir); /* 0: ended with its targets; the store is complete */
	if ((rc = apply_settings(t, &s, o)))
		return err_exit(t, rc, "%s", o->err);
	uint64_t now = clock_mono_ns();
	snprintf(path, sizeof(path), "%s/store.db", dir);
	if (pid > 0)
		compat_sync_collector(pid, path, now);
	c.path = path;
	c.live = pid > 0;
	c.images[c.nimages++] = t->image;
	c.from_ns = !strcmp(t->image, "resource") ? s.activated_mono_ns : s.last_report_mono_ns;
	c.to_ns = now;
	rc = report_run(o, &c, NULL);
	if (rc == 0) {
		s.last_report_mono_ns = now + 1;
		if (compat_save(dir, &s, err, sizeof(err)))
			return err_exit(t, 1, "%s", err);
	}
	return rc;
}

enum { OPT_ACTIVATE = OPTS_EXTRA_BASE, OPT_DEACTIVATE, OPT_SETTINGS, OPT_REPORT, OPT_LOG };

static const struct option extra[] = {
    {"activate", optional_argument, NULL, OPT_ACTIVATE},
    {"deactivate", no_argument, NULL, OPT_DEACTIVATE},
    {"settings", optional_argument, NULL, OPT_SETTINGS},
    {"report", optional_argument, NULL, OPT_REPORT},
    {"log", required_argument, NULL, OPT_LOG},
    {NULL, 0, NULL, 0},
};

struct compat_args {
	int action; /* OPT_* */
	const char *arg;
	int nactions;
};

static int on_extra(void *ctx, struct run_opts *o, int code, const char *arg)
{
	struct compat_args *a = ctx;

	if (code == OPT_LOG) {
		snprintf(o->err, sizeof(o->err),
			 "--log is not supported: use --report with -f prom"
			 " or -f json from cron instead");
		return EXIT_USAGE;
	}
	a->action = code;
	a->arg = arg;
	a->nactions++;
	return 0;
}

int cmd_compat(int argc, char **argv)
{
	const struct command *t = find_tool(argv[0]);
	struct compat_args a = {0};
	struct run_opts o;
	int first, rc;

	if (!t)
		return fprintf(stderr, "procimage: unknown tool '%s'\n", argv[0]), EXIT_USAGE;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return usage(stdout, t), 0;
	umask(077);
	opts_defaults(&o, t->name);
	/* diagnose-tools uses getopt_long_only: -activate works like --activate. */
	char dd[8][512];
	for (int i = 1, k = 0; i < argc && k < 8; i++)
		if (argv[i][0] == '-' && argv[i][1] != '-' && strlen(argv[i]) > 2 &&
		    compat_is_long(argv[i] + 1))
			argv[i] = compat_dashdash(argv[i], dd[k], sizeof(dd[k])), k++;
	rc = opts_parse_ex(&o, argc, argv, "", &first, extra, on_extra, &a);
	if (!rc && first < argc)
		rc = EXIT_USAGE,
		snprintf(o.err, sizeof(o.err), "unexpected argument '%s'", argv[first]);
	if (!rc && a.nactions != 1)
		rc = EXIT_USAGE, snprintf(o.err, sizeof(o.err),
					  "give one of --activate, --report,"
					  " --settings, --deactivate (see --help)");
	if (rc) {
		opts_free(&o);
		return err_exit(t, EXIT_USAGE, "%s", o.err);
	}
	switch (a.action) {
	case OPT_ACTIVATE:
		rc = activate(t, a.arg);
		break;
	case OPT_DEACTIVATE:
		rc = deactivate(t);
		break;
	case OPT_SETTINGS:
		rc = settings(t, a.arg);
		break;
	default:
		rc = report(t, &o);
		break;
	}
	opts_free(&o);
	return rc;
}
