/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watch: capturing the scene when a rule fires.
 *
 * Into a new folder DIR/<UTC time>-<pid>-<comm>/ (mkdir 0700; every file
 * openat(O_CREAT|O_EXCL|O_NOFOLLOW, 0600) relative to the folder's fd, so
 * no symlink planted in DIR is ever followed):
 *   trigger.json   the rule, the values that fired it, host metrics
 *   status limits cgroup stat cmdline ... fds.txt threads.txt: the snapshot
 *                  (watch_snapshot.c)
 *   <image>.json   the five images over the capture window, each run by a
 *                  child procimage (fork + exec of /proc/self/exe): a child
 *                  that fails or hangs costs one file, not the watch
 *   stacks.folded  `procimage stacks` over the window
 *   capture.json   how each child ended
 * Then the optional hook runs (argv, no shell) and old dumps are pruned.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/command_table.h"
#include "cli/watch.h"
#include "core/clock.h"
#include "core/fileio.h"
#include "procimage/out.h"
#include "render/jdoc.h"
#include "sources/procfs.h"
#include "sources/procfs_parse.h"

#define MAX_KIDS      8
#define MAX_HOOKS     8
#define KILL_GRACE_NS (30 * NS_PER_S)

struct kid {
	pid_t pid;
	char name[16];
	char file[32];
	int status, done;
};

/* One capture under way. */
struct wslot {
	int active, dfd;
	char folder[160];
	int32_t pid;
	char comm[16];
	char rule[256];
	struct kid kids[MAX_KIDS];
	int nkids;
	uint64_t t0;
};

struct wcapture {
	struct wcapture_cfg cfg;
	int dirfd;
	char dir_abs[4096];
	unsigned count;
	struct wslot slots[WATCH_MAX_CAPTURES];
	pid_t hooks[MAX_HOOKS];
	int32_t hook_for[MAX_HOOKS]; /* the captured pid */
	int nhooks;
};

static int open_dump_dir(const char *path, char *err, size_t len)
{
	struct stat st;
	int fd;

	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		snprintf(err, len, "--dump-dir '%s' cannot be created: %s", path, strerror(errno));
		return -1;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, len, "--dump-dir '%s' cannot be opened: %s%s", path, strerror(errno),
			 errno == ELOOP || errno == ENOTDIR
			     ? " (a symlink is not followed: give the real directory)"
			     : "");
		return -1;
	}
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 0022)) {
		snprintf(err, len,
			 "--dump-dir '%s' must be owned by this user and not writable by group or "
			 "others "
			 "(chown it, or chmod go-w)",
			 path);
		close(fd);
		return -1;
	}
	if (faccessat(fd, ".", W_OK, AT_EACCESS) < 0) {
		snprintf(err, len, "--dump-dir '%s' is not writable: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct wcapture *wcapture_new(const struct wcapture_cfg *cfg, char *err, size_t errlen)
{
	struct wcapture *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->cfg = *cfg;
	if (c->cfg.max_active <= 0 || c->cfg.max_active > WATCH_MAX_CAPTURES)
		c->cfg.max_active = c->cfg.max_active > 0 ? WATCH_MAX_CAPTURES : 2;
	for (int i = 0; i < WATCH_MAX_CAPTURES; i++)
		c->slots[i].dfd = -1;
	c->dirfd = open_dump_dir(cfg->dump_dir, err, errlen);
	if (c->dirfd < 0) {
		free(c);
		return NULL;
	}
	if (!realpath(cfg->dump_dir, c->dir_abs))
		snprintf(c->dir_abs, sizeof(c->dir_abs), "%s", cfg->dump_dir);
	return c;
}

void wcapture_free(struct wcapture *c)
{
	if (!c)
		return;
	wcapture_stop(c);
	if (c->dirfd >= 0)
		close(c->dirfd);
	free(c);
}

int wcapture_active(const struct wcapture *c)
{
	int n = 0;

	for (int i = 0; i < WATCH_MAX_CAPTURES; i++)
		n += c->slots[i].active;
	return n;
}

int wcapture_busy(const struct wcapture *c, int32_t pid)
{
	for (int i = 0; i < WATCH_MAX_CAPTURES; i++)
		if (c->slots[i].active && c->slots[i].pid == pid)
			return 1;
	return 0;
}

unsigned wcapture_count(const struct wcapture *c)
{
	return c->count;
}

/* Bytes and counts as integers (%.6g would round a 2 GiB RSS). */
static void metric_out(struct out *o, const char *key, int m, double v)
{
	enum metric_unit u = rules_metric(m)->unit;

	if ((u == MU_BYTES || u == MU_COUNT) && v >= 0 && v < 1.8e19)
		out_u64(o, key, NULL, (uint64_t)(v + 0.5));
	else
		out_f64(o, key, NULL, v);
}

static void json_metrics(struct out *o, const char *key, const double *m, int host)
{
	out_obj_open(o, key);
	for (int i = 0; i < M_COUNT; i++)
		if (rules_metric(i)->host == host && m[i] == m[i])
			metric_out(o, rules_metric(i)->name, i, m[i]);
	out_obj_close(o);
}

static void write_trigger(struct wcapture *c, struct wslot *sl, const struct wfire *f,
			  const struct ruleset *rs, const double *host, uint64_t now)
{
	int fd = watch_new_file(sl->dfd, "trigger.json");
	FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
	const struct rule *r = &rs->rules[f->rule];
	char when[40], desc[256];
	struct out o;

	if (!fp) {
		if (fd >= 0)
			close(fd);
		return;
	}
	clock_format_rfc3339(clock_mono_to_wall_ns(now), when, sizeof(when));
	out_init(&o, fp, OUT_JSON);
	out_obj_open(&o, NULL);
	out_str(&o, "schema", NULL, "procimage/1");
	out_str(&o, "kind", NULL, "watch-trigger");
	out_str(&o, "time", NULL, when);
	out_u64(&o, "t_ns", NULL, now);
	out_i64(&o, "pid", NULL, f->pid);
	out_str(&o, "comm", NULL, f->comm);
	out_u64(&o, "start_ticks", NULL, f->start_ticks);
	out_str(&o, "rule", NULL, r->text);
	out_i64(&o, "processes_firing", NULL, f->nfiring);
	out_arr_open(&o, "conditions");
	for (int k = 0; k < r->nconds; k++) {
		const struct cond_eval *e = &f->ev[k];
		rules_describe(rs, r->first_cond + k, e, desc, sizeof(desc));
		out_obj_open(&o, NULL);
		out_str(&o, "metric", NULL, rules_metric(r->conds[k].metric)->name);
		out_str(&o, "text", NULL, desc);
		metric_out(&o, "value", r->conds[k].metric, e->value);
		if (e->threshold == e->threshold)
			metric_out(&o, "threshold", r->conds[k].metric, e->threshold);
		if (e->mean == e->mean)
			metric_out(&o, "mean", r->conds[k].metric, e->mean);
		if (r->conds[k].sus == SUS_DURATION)
			out_f64(&o, "held_s", NULL, (double)e->held_ns / 1e9);
		if (r->conds[k].sus == SUS_NOFM) {
			out_i64(&o, "hits", NULL, e->hits);
			out_i64(&o, "of", NULL, e->of);
		}
		out_obj_close(&o);
	}
	out_arr_close(&o);
	json_metrics(&o, "metrics", f->m, 0);
	json_metrics(&o, "host", host, 1);
	out_f64(&o, "capture_window_s", NULL, (double)c->cfg.window_ns / 1e9);
	out_f64(&o, "capture_interval_ms", NULL, (double)c->cfg.interval_ns / 1e6);
	out_obj_close(&o);
	fputc('\n', fp);
	fclose(fp);
}

/* fork + exec with stdout/stderr into new files of the folder. */
static pid_t spawn(int dfd, const char *outname, const char *errname, char *const argv[],
		   const char *path, const char *const *env)
{
	int ofd = watch_new_file(dfd, outname);
	int efd = errname ? watch_new_file(dfd, errname) : -1;
	pid_t pid;

	if (ofd < 0) {
		if (efd >= 0)
			close(efd);
		return -1;
	}
	pid_t parent = getpid();
	pid = fork();
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		/* Our image children end with the watch, even a SIGKILLed one: a
		 * stacks child must not keep the target traced for the rest of its
		 * window. SIGTERM lets it detach and write its file. (Hooks are
		 * the user's: they are left alone.) */
		if (path && (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() != parent))
			_exit(125);
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, 0);
		dup2(ofd, 1);
		dup2(efd >= 0 ? efd : ofd, 2);
		for (int i = 0; env && env[i]; i += 2)
			setenv(env[i], env[i + 1], 1);
		if (path)
			execv(path, argv);
		else
			execvp(argv[0], argv);
		dprintf(2, "procimage watch: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(ofd);
	if (efd >= 0)
		close(efd);
	return pid;
}

static void add_kid(struct wslot *c, const char *name, const char *file, const char *const argv[])
{
	char errname[40];
	struct kid *k = &c->kids[c->nkids];

	if (c->nkids == MAX_KIDS)
		return;
	snprintf(errname, sizeof(errname), "%s.log", name);
	snprintf(k->name, sizeof(k->name), "%s", name);
	snprintf(k->file, sizeof(k->file), "%s", file);
	/* exec's argv is not const for historical reasons; it is not written. */
	k->pid =
	    spawn(c->dfd, file, errname, (char *const *)(uintptr_t)argv, "/proc/self/exe", NULL);
	k->done = k->pid < 0;
	k->status = -1;
	c->nkids++;
}

static void spawn_images(struct wcapture *w, struct wslot *c)
{
	char pid[16], dur[32], ival[32], file[32];
	const char *fmt = w->cfg.format;

	snprintf(pid, sizeof(pid), "%d", c->pid);
	snprintf(dur, sizeof(dur), "%llums", (unsigned long long)(w->cfg.window_ns / NS_PER_MS));
	snprintf(ival, sizeof(ival), "%lluus",
		 (unsigned long long)(w->cfg.interval_ns / NS_PER_US));
	/* every CMD_CAPTURED row of cli/command_table.c, one child each */
	for (size_t i = 0; i < command_count; i++) {
		const char *image = command_table[i].name;
		if (!(command_table[i].flags & CMD_CAPTURED))
			continue;
		const char *argv[16] = {"procimage", image, "-p", pid,	"-d",
					dur,	     "-i",  ival, "-f", fmt};
		int n = 10;
		if (strcmp(image, "syscall") == 0) {
			argv[n++] = "--source";
			argv[n++] = w->cfg.syscall_source;
		}
		if (strcmp(image, "sched") == 0)
			argv[n++] = "--stacks";
		if (strcmp(w->cfg.proc_root, "/proc") != 0) {
			argv[n++] = "--proc-root";
			argv[n++] = w->cfg.proc_root;
		}
		snprintf(file, sizeof(file), "%s.%s", image, strcmp(fmt, "json") ? "txt" : "json");
		add_kid(c, image, file, argv);
	}
	const char *sargv[] = {"procimage", "stacks", "-p", pid, "-d", dur, "-f", "folded", NULL};
	add_kid(c, "stacks", "stacks.folded", sargv);
	/* The verdict with the host around the process: how long it waited for
	 * a CPU and behind which hogs (a host-wide scan), then every image of it
	 * and of those hogs (triage --focus); explain.txt is its gist. */
	const char *xargv[16] = {"procimage", "triage", "--focus", pid,	 "-d",
				 dur,	      "-i",	ival,	   "-f", "json"};
	int xn = 10;
	if (strcmp(w->cfg.proc_root, "/proc") != 0) {
		xargv[xn++] = "--proc-root";
		xargv[xn++] = w->cfg.proc_root;
	}
	add_kid(c, "explain", "explain.json", xargv);
}

/* "20261123T004000Z-1234-spin" */
static int make_folder(struct wcapture *w, struct wslot *c, uint64_t now)
{
	time_t t = (time_t)(clock_mono_to_wall_ns(now) / NS_PER_S);
	struct tm tm;
	char ts[32], comm[16];
	size_t i;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	for (i = 0; i < sizeof(comm) - 1 && c->comm[i]; i++) {
		char ch = c->comm[i];
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			 (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
		comm[i] = ok ? ch : '_';
	}
	comm[i] = '\0';
	for (int n = 1; n < 100; n++) {
		if (n == 1)
			snprintf(c->folder, sizeof(c->folder), "%s-%d-%s", ts, c->pid, comm);
		else
			snprintf(c->folder, sizeof(c->folder), "%s-%d-%s-%d", ts, c->pid, comm, n);
		if (mkdirat(w->dirfd, c->folder, 0700) == 0)
			break;
		if (errno != EEXIST)
			return -errno;
	}
	c->dfd = openat(w->dirfd, c->folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return c->dfd < 0 ? -errno : 0;
}

/* The process's dir, if it is still the process that fired (pid reuse). */
static int open_target(const struct wcapture *c, const struct wfire *f)
{
	char name[16], buf[4096], comm[16];
	struct proc_sample s = {0};
	int root = open(c->cfg.proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), pdfd;

	if (root < 0)
		return -errno;
	snprintf(name, sizeof(name), "%d", f->pid);
	pdfd = openat(root, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(root);
	if (pdfd < 0)
		return -ESRCH;
	if (slurp(pdfd, "stat", buf, sizeof(buf)) <= 0 ||
	    procfs_parse_stat(buf, &s, comm, sizeof(comm)) ||
	    (f->start_ticks && s.starttime != f->start_ticks)) {
		close(pdfd);
		return -ESRCH;
	}
	return pdfd;
}

int wcapture_start(struct wcapture *w, const struct wfire *f, const struct ruleset *rs,
		   const double *host, uint64_t now, char *msg, size_t msglen)
{
	struct wslot *c = NULL;
	int pdfd, rc;

	for (int i = 0; i < WATCH_MAX_CAPTURES && !c; i++)
		if (!w->slots[i].active)
			c = &w->slots[i];
	if (!c || wcapture_active(w) >= w->cfg.max_active) {
		snprintf(msg, msglen,
			 "not captured: %d captures already under way (the host-wide cap)",
			 wcapture_active(w));
		return -EBUSY;
	}
	pdfd = open_target(w, f);
	if (pdfd < 0) {
		snprintf(msg, msglen, "not captured: the process is gone");
		return pdfd;
	}
	c->pid = f->pid;
	memcpy(c->comm, f->comm, sizeof(c->comm));
	snprintf(c->rule, sizeof(c->rule), "%s", rs->rules[f->rule].text);
	rc = make_folder(w, c, now);
	if (rc) {
		snprintf(msg, msglen, "not captured: cannot create a folder in %s: %s", w->dir_abs,
			 strerror(-rc));
		close(pdfd);
		return rc;
	}
	c->active = 1;
	w->count++;
	c->t0 = now;
	c->nkids = 0;
	write_trigger(w, c, f, rs, host, now);
	/* The images first: the window starts as close to the trigger as it can. */
	if (w->cfg.images)
		spawn_images(w, c);
	if (w->cfg.signo > 0 && kill(f->pid, w->cfg.signo) < 0)
		watch_log("pid %d: sending signal %d failed: %s", f->pid, w->cfg.signo,
			  strerror(errno));
	watch_snapshot(pdfd, c->dfd);
	close(pdfd);
	snprintf(msg, msglen, "capture -> %s/%s", w->dir_abs, c->folder);
	return 0;
}

static void write_result(struct wslot *c, uint64_t now)
{
	int fd = watch_new_file(c->dfd, "capture.json");
	FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
	struct out o;

	if (!fp) {
		if (fd >= 0)
			close(fd);
		return;
	}
	out_init(&o, fp, OUT_JSON);
	out_obj_open(&o, NULL);
	out_str(&o, "schema", NULL, "procimage/1");
	out_str(&o, "kind", NULL, "watch-capture");
	out_i64(&o, "pid", NULL, c->pid);
	out_str(&o, "rule", NULL, c->rule);
	out_f64(&o, "elapsed_s", NULL, (double)(now - c->t0) / 1e9);
	out_arr_open(&o, "images");
	for (int i = 0; i < c->nkids; i++) {
		struct kid *k = &c->kids[i];
		out_obj_open(&o, NULL);
		out_str(&o, "name", NULL, k->name);
		out_str(&o, "file", NULL, k->file);
		if (k->pid < 0)
			out_str(&o, "error", NULL, "could not start");
		else if (WIFEXITED(k->status))
			out_i64(&o, "exit_code", NULL, WEXITSTATUS(k->status));
		else if (WIFSIGNALED(k->status))
			out_i64(&o, "signal", NULL, WTERMSIG(k->status));
		out_obj_close(&o);
	}
	out_arr_close(&o);
	out_obj_close(&o);
	fputc('\n', fp);
	fclose(fp);
}

static void run_hook(struct wcapture *w, struct wslot *c)
{
	char pid[16], folder[4400];

	if (!w->cfg.hook_argv || w->nhooks == MAX_HOOKS)
		return;
	snprintf(pid, sizeof(pid), "%d", c->pid);
	snprintf(folder, sizeof(folder), "%s/%s", w->dir_abs, c->folder);
	const char *env[] = {"PROCIMAGE_PID",
			     pid,
			     "PROCIMAGE_DUMP_DIR",
			     folder,
			     "PROCIMAGE_RULE",
			     c->rule,
			     "PROCIMAGE_COMM",
			     c->comm,
			     NULL};
	pid_t h = spawn(c->dfd, "hook.log", NULL, w->cfg.hook_argv, NULL, env);
	if (h > 0) {
		w->hook_for[w->nhooks] = c->pid;
		w->hooks[w->nhooks++] = h;
	} else
		watch_log("hook %s could not start", w->cfg.hook_argv[0]);
}

/* explain.txt: the gist of explain.json (triage --focus) in a few lines. */
static void write_explain_text(struct wslot *c)
{
	char *buf = NULL, err[128];
	size_t len = 0;
	int fd = openat(c->dfd, "explain.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	FILE *in = fd >= 0 ? fdopen(fd, "r") : NULL;

	if (!in) {
		if (fd >= 0)
			close(fd);
		return;
	}
	char chunk[65536];
	size_t n;
	FILE *mem = open_memstream(&buf, &len);
	while (mem && (n = fread(chunk, 1, sizeof(chunk), in)) > 0)
		fwrite(chunk, 1, n, mem);
	fclose(in);
	if (!mem)
		return;
	fclose(mem);
	struct jv *d = jdoc_parse(buf, len, err, sizeof(err));
	free(buf);
	if (!d)
		return;
	int ofd = watch_new_file(c->dfd, "explain.txt");
	FILE *out = ofd >= 0 ? fdopen(ofd, "w") : NULL;
	if (out) {
		const struct jv *fw = jdoc_get(d, "focus_wait");
		const char *t = fw ? jdoc_str(fw, "text") : NULL;
		out_printf(out, "Waits: %s.\n", t ? t : "n/a (the host scan did not run)");
		const struct jv *offs = jdoc_get(d, "offenders");
		for (const struct jv *of = offs ? offs->kids : NULL; of; of = of->next) {
			const struct jv *ex = jdoc_get(of, "explain");
			const char *dg = jdoc_str(of, "diagnosis"),
				   *xt = ex ? jdoc_str(ex, "text") : NULL;
			out_printf(out, "\n%s %s\n  Why: %s\n",
				   (int32_t)jdoc_num(of, "pid", 0) == c->pid ? "This process:"
									     : "Also:",
				   dg ? dg : "", xt ? xt : "n/a");
		}
		fclose(out);
	} else if (ofd >= 0) {
		close(ofd);
	}
	jdoc_free(d);
}

static void finish(struct wcapture *w, struct wslot *c, uint64_t now)
{
	int failed = 0;

	for (int i = 0; i < c->nkids; i++)
		if (c->kids[i].pid < 0 || !WIFEXITED(c->kids[i].status) ||
		    WEXITSTATUS(c->kids[i].status) != 0)
			failed++;
	write_result(c, now);
	write_explain_text(c);
	run_hook(w, c);
	watch_log("capture of pid %d done: %s/%s (%d of %d image runs failed, see capture.json)",
		  c->pid, w->dir_abs, c->folder, failed, c->nkids);
	close(c->dfd);
	c->dfd = -1;
	c->active = 0;
	watch_retention(w->dirfd, c->folder, w->cfg.keep_count, w->cfg.keep_bytes);
}

static void reap_hooks(struct wcapture *c)
{
	for (int i = 0; i < c->nhooks; i++) {
		int st;
		if (waitpid(c->hooks[i], &st, WNOHANG) == c->hooks[i]) {
			if (!WIFEXITED(st) || WEXITSTATUS(st))
				watch_log("hook %s for pid %d failed (status %d)",
					  c->cfg.hook_argv[0], c->hook_for[i], st);
			c->hook_for[i] = c->hook_for[c->nhooks - 1];
			c->hooks[i--] = c->hooks[--c->nhooks];
		}
	}
}

static int poll_slot(struct wcapture *w, struct wslot *c, uint64_t now)
{
	int running = 0;

	if (!c->active)
		return 0;
	int overdue = now > c->t0 + w->cfg.window_ns + KILL_GRACE_NS;
	for (int i = 0; i < c->nkids; i++) {
		struct kid *k = &c->kids[i];
		if (k->done)
			continue;
		if (overdue)
			kill(k->pid, SIGKILL);
		if (waitpid(k->pid, &k->status, overdue ? 0 : WNOHANG) == k->pid)
			k->done = 1;
		else
			running++;
	}
	if (running)
		return 0;
	finish(w, c, now);
	return 1;
}

int wcapture_poll(struct wcapture *w, uint64_t now)
{
	int done = 0;

	reap_hooks(w);
	for (int i = 0; i < WATCH_MAX_CAPTURES; i++)
		done += poll_slot(w, &w->slots[i], now);
	return done;
}

void wcapture_stop(struct wcapture *w)
{
	for (int i = 0; i < WATCH_MAX_CAPTURES; i++) {
		struct wslot *c = &w->slots[i];
		if (!c->active)
			continue;
		for (int k = 0; k < c->nkids; k++)
			if (!c->kids[k].done)
				kill(c->kids[k].pid, SIGTERM);
	}
	for (int n = 0; n < 100 && wcapture_active(w); n++) {
		wcapture_poll(w, clock_mono_ns());
		if (wcapture_active(w))
			usleep(50 * 1000);
	}
	for (int i = 0; i < WATCH_MAX_CAPTURES; i++) { /* still there after 5 s */
		struct wslot *c = &w->slots[i];
		if (c->active) {
			c->t0 = 0;
			uint64_t win = w->cfg.window_ns;
			w->cfg.window_ns = 0;
			poll_slot(w, c, KILL_GRACE_NS + 1);
			w->cfg.window_ns = win;
		}
	}
	reap_hooks(w);
}
