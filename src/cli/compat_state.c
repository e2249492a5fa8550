/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * State of the diagnose-tools front end (see compat_state.h). The settings
 * file is "key value" lines written to a temp file and renamed, so a report
 * racing an activation never reads half of it. The directory must be ours
 * and 0700: another user must not be able to plant a pid we would signal.
 */
#include "cli/compat_state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/fileio.h"
#include "core/hostsess.h"
#include "store/store.h"

const char *compat_state_root(void)
{
	static char buf[512];
	const char *env = getenv("PROCIMAGE_STATE_DIR"), *xdg = getenv("XDG_RUNTIME_DIR");

	if (env && *env)
		snprintf(buf, sizeof(buf), "%s", env);
	else if (geteuid() == 0)
		snprintf(buf, sizeof(buf), "/run/procimage");
	else if (xdg && *xdg)
		snprintf(buf, sizeof(buf), "%s/procimage", xdg);
	else
		snprintf(buf, sizeof(buf), "/tmp/procimage-%u", (unsigned)geteuid());
	return buf;
}

static int ensure_dir(const char *d, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(d, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", d, strerror(errno));
		return -1;
	}
	if (lstat(d, &st) || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		snprintf(err, errlen,
			 "%s is not a private directory of ours (mode 0700, owner uid"
			 " %u): remove it",
			 d, (unsigned)geteuid());
		return -1;
	}
	return 0;
}

int compat_state_dir(const char *tool, char *buf, size_t len, int create, char *err, size_t errlen)
{
	const char *root = compat_state_root();

	snprintf(buf, len, "%s/%s", root, tool);
	if (!create)
		return 0;
	return ensure_dir(root, err, errlen) || ensure_dir(buf, err, errlen) ? -1 : 0;
}

static int parse_num(const char *k, const char *v, uint64_t max, uint64_t *out, char *err,
		     size_t errlen)
{
	char *end;

	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno || end == v || *end || v[0] == '-' || n > max) {
		snprintf(err, errlen, "parameter %s=%s is not a number from 0 to %llu", k, v,
			 (unsigned long long)max);
		return -1;
	}
	*out = n;
	return 0;
}

static int set_param(struct compat_settings *s, const char *k, const char *v, char *err,
		     size_t errlen)
{
	uint64_t n;

	if (!strcmp(k, "comm")) {
		if (strlen(v) > 15) {
			snprintf(err, errlen, "comm=%s is longer than a task name (15 characters)",
				 v);
			return -1;
		}
		snprintf(s->comm, sizeof(s->comm), "%s", v);
		return 0;
	}
	if (!strcmp(k, "threshold"))
		return parse_num(k, v, 3600000, &s->threshold_ms, err, errlen);
	if (!strcmp(k, "verbose"))
		return parse_num(k, v, 9, &n, err, errlen) ? -1 : (s->verbose = (int)n, 0);
	if (!strcmp(k, "pid"))
		return parse_num(k, v, 4194304, &n, err, errlen) ? -1 : (s->pid = (int32_t)n, 0);
	if (!strcmp(k, "tgid"))
		return parse_num(k, v, 4194304, &n, err, errlen) ? -1 : (s->tgid = (int32_t)n, 0);
	snprintf(err, errlen,
		 "unknown parameter '%s': use threshold, verbose, pid, tgid or comm"
		 " (e.g. --activate=\"tgid=1234 verbose=1\")",
		 k);
	return -1;
}

int compat_parse_params(const char *args, struct compat_settings *s, int settings_only, char *err,
			size_t errlen)
{
	char buf[1024], *save = NULL;

	(void)settings_only;
	if (!args)
		return 0;
	if (strlen(args) >= sizeof(buf)) {
		snprintf(err, errlen, "parameters too long");
		return -1;
	}
	strcpy(buf, args);
	for (char *tok = strtok_r(buf, " ,\t", &save); tok; tok = strtok_r(NULL, " ,\t", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq || eq == tok) {
			snprintf(err, errlen,
				 "parameter '%s' is not key=value: e.g."
				 " --activate=\"threshold=100 verbose=1\"",
				 tok);
			return -1;
		}
		*eq = 0;
		if (set_param(s, tok, eq + 1, err, errlen))
			return -1;
	}
	return 0;
}

int compat_parse_settings_args(const char *args, int *json, char *err, size_t errlen)
{
	if (!strcmp(args, "json=1") || !strcmp(args, "json")) {
		*json = 1;
		return 0;
	}
	if (!strcmp(args, "json=0") || !*args)
		return 0;
	snprintf(err, errlen, "unknown --settings argument '%s': use --settings=\"json=1\"", args);
	return -1;
}

int compat_save(const char *dir, const struct compat_settings *s, char *err, size_t errlen)
{
	char path[4096], tmp[4200];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/settings", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fp = fopen_private(tmp);
	if (!fp) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		return -1;
	}
	fprintf(fp,
		"threshold %llu\nverbose %d\npid %d\ntgid %d\ncomm %s\nactivated_mono_ns %llu\n"
		"activated_wall_ns %llu\nlast_report_mono_ns %llu\n",
		(unsigned long long)s->threshold_ms, s->verbose, s->pid, s->tgid, s->comm,
		(unsigned long long)s->activated_mono_ns, (unsigned long long)s->activated_wall_ns,
		(unsigned long long)s->last_report_mono_ns);
	if (fclose(fp) || rename(tmp, path)) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int compat_load(const char *dir, struct compat_settings *s, char *err, size_t errlen)
{
	char path[4096], line[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/settings", dir);
	fp = fopen(path, "re");
	if (!fp) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	memset(s, 0, sizeof(*s));
	while (fgets(line, sizeof(line), fp)) {
		char *v = strchr(line, ' ');
		if (!v)
			continue;
		*v++ = 0;
		v[strcspn(v, "\n")] = 0;
		if (!strcmp(line, "threshold"))
			s->threshold_ms = strtoull(v, NULL, 10);
		else if (!strcmp(line, "verbose"))
			s->verbose = atoi(v);
		else if (!strcmp(line, "pid"))
			s->pid = atoi(v);
		else if (!strcmp(line, "tgid"))
			s->tgid = atoi(v);
		else if (!strcmp(line, "comm"))
			snprintf(s->comm, sizeof(s->comm), "%s", v);
		else if (!strcmp(line, "activated_mono_ns"))
			s->activated_mono_ns = strtoull(v, NULL, 10);
		else if (!strcmp(line, "activated_wall_ns"))
			s->activated_wall_ns = strtoull(v, NULL, 10);
		else if (!strcmp(line, "last_report_mono_ns"))
			s->last_report_mono_ns = strtoull(v, NULL, 10);
	}
	fclose(fp);
	return 0;
}

int compat_write_pid(const char *dir, pid_t pid)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/pid", dir);
	fp = fopen_private(path);
	if (!fp)
		return -1;
	fprintf(fp, "%d %llu\n", (int)pid, (unsigned long long)hs_pid_start(pid));
	return fclose(fp) ? -1 : 0;
}

/* The pid file: pid and start time (0 when not recorded). */
static pid_t read_pid(const char *dir, uint64_t *start)
{
	char path[4096];
	unsigned long long st = 0;
	FILE *fp;
	int pid = 0;

	*start = 0;
	snprintf(path, sizeof(path), "%s/pid", dir);
	fp = fopen(path, "re");
	if (!fp)
		return 0;
	if (fscanf(fp, "%d %llu", &pid, &st) < 1)
		pid = 0;
	fclose(fp);
	*start = st;
	return pid > 0 ? pid : 0;
}

/* Alive, not a zombie, and the same process (start time), or for an older
 * pid file a procimage (a recycled pid is not ours). */
static int is_collector(pid_t pid, uint64_t start)
{
	return hs_owner_alive(pid, start, 0) == HS_ALIVE;
}

pid_t compat_recorded_pid(const char *dir)
{
	uint64_t start;

	return read_pid(dir, &start);
}

pid_t compat_active(const char *dir)
{
	uint64_t start;
	pid_t pid = read_pid(dir, &start);

	return pid > 0 && is_collector(pid, start) ? pid : 0;
}

void compat_ended(const char *dir, char *buf, size_t len)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/ended", dir);
	buf[0] = 0;
	if (slurp(AT_FDCWD, path, buf, len) > 0)
		buf[strcspn(buf, "\n")] = 0;
}

void compat_write_ended(const char *dir, const char *text)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/ended", dir);
	fp = fopen_private(path);
	if (fp) {
		fprintf(fp, "%s\n", text);
		fclose(fp);
	}
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

int compat_stop(const char *dir, int timeout_ms)
{
	uint64_t start;
	pid_t pid = read_pid(dir, &start);

	if (pid <= 0 || !is_collector(pid, start))
		return 0;
	kill(pid, SIGTERM);
	for (int waited = 0; waited < timeout_ms; waited += 10) {
		if (!is_collector(pid, start))
			return 0;
		sleep_ms(10);
	}
	kill(pid, SIGKILL);
	for (int waited = 0; waited < 2000; waited += 10) {
		if (!is_collector(pid, start))
			return 1;
		sleep_ms(10);
	}
	return -1;
}

int compat_wait_reaped(pid_t pid, int timeout_ms)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	for (int waited = 0; waited < timeout_ms; waited += 10) {
		if (access(path, F_OK))
			return 0;
		sleep_ms(10);
	}
	return access(path, F_OK) ? 0 : -1;
}

int compat_remove(const char *dir, int all)
{
	static const char *const files[] = {"pid",	     "settings",     "settings.tmp",
					    "store.db",	     "store.db-wal", "store.db-shm",
					    "collector.log", "ended"};
	char path[4200];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	if (!all)
		return 0;
	if (rmdir(dir) && errno != ENOENT)
		return -1;
	rmdir(compat_state_root()); /* only when no other tool is active */
	return 0;
}

void compat_print_settings(FILE *fp, const char *tool, const struct compat_settings *s, int active,
			   pid_t collector, const char *ended, int json)
{
	if (json) {
		fprintf(fp, "{\"activated\":%d,\"collecting\":%s,\"collector_pid\":", active,
			collector > 0 ? "true" : "false");
		if (collector > 0)
			fprintf(fp, "%d", (int)collector);
		else
			fputs("null", fp);
		fputs(",\"collector_ended\":", fp);
		if (active && collector <= 0 && ended && *ended)
			out_json_string(fp, ended);
		else
			fputs("null", fp);
		fprintf(fp, ",\"tgid\":%d,\"pid\":%d,\"comm\":", s->tgid, s->pid);
		out_json_string(fp, s->comm);
		fprintf(fp, ",\"verbose\":%d,\"threshold_ms\":%llu}\n", s->verbose,
			(unsigned long long)s->threshold_ms);
		return;
	}
	fprintf(fp, "%s settings:\n  activated: %s\n", tool, active ? "yes" : "no");
	if (active && collector > 0)
		fprintf(fp, "  collector: running (pid %d)\n", (int)collector);
	else if (active)
		out_printf(fp,
			   "  collector: NOT running (%s): nothing is being collected; --report "
			   "shows what it recorded, --deactivate clears it\n",
			   ended && *ended ? ended : "it ended");
	out_printf(fp, "  tgid: %d\n  pid: %d\n  comm: %s\n  verbose: %d\n", s->tgid, s->pid,
		   s->comm, s->verbose);
	if (s->threshold_ms)
		fprintf(fp, "  threshold: %llu ms\n", (unsigned long long)s->threshold_ms);
	else
		fprintf(fp, "  threshold: default (50 ms, see --help)\n");
	if (active && s->activated_wall_ns) {
		char t[40];
		clock_format_rfc3339(s->activated_wall_ns, t, sizeof(t));
		fprintf(fp, "  recording since: %s\n", t);
	}
}

void compat_comm_regex(const char *comm, char *re, size_t len)
{
	size_t n = 0;

	if (len < 4)
		return;
	re[n++] = '^';
	for (; *comm && n + 4 < len; comm++) {
		if (strchr(".[]{}()\\*+?^$|", *comm))
			re[n++] = '\\';
		re[n++] = *comm;
	}
	re[n++] = '$';
	re[n] = 0;
}

void compat_sync_collector(pid_t pid, const char *store_path, uint64_t now_ns)
{
	char err[256];
	int code;

	kill(pid, SIGHUP);
	for (int i = 0; i < 100; i++) {
		struct store_reader *r = store_open(store_path, err, sizeof(err), &code);
		uint64_t last = r ? store_reader_info(r)->last_ns : 0;
		uint64_t iv = r ? store_reader_info(r)->interval_ns : 0;
		store_reader_close(r);
		if (last + iv + 5 * NS_PER_MS >= now_ns)
			return;
		sleep_ms(20);
	}
}

int compat_is_long(const char *opt)
{
	static const char *const names[] = {"activate", "deactivate", "settings",
					    "report",	"help",	      "log"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t l = strlen(names[i]);
		if (!strncmp(opt, names[i], l) && (opt[l] == 0 || opt[l] == '='))
			return 1;
	}
	return 0;
}

char *compat_dashdash(const char *arg, char *buf, size_t len)
{
	snprintf(buf, len, "-%s", arg);
	return buf;
}
