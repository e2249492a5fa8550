/* Unit tests: the /proc diff behind the connector fallback and the loss
 * rescan, on a fake proc tree in a temp directory: quiet seeding, children
 * and grandchildren found in one scan whatever the listing order, threads,
 * comm changes, exits (gone, zombie, pid reused), and the follow callback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "sources/connector.h"

struct got {
	struct record r[32];
	int n;
	int32_t followed[32];
	int nfollowed;
};

static char root[256];

static void collect(void *ctx, const struct record *r)
{
	struct got *g = ctx;
	if (g->n < 32)
		g->r[g->n++] = *r;
}

static void on_follow(void *ctx, int32_t tgid)
{
	struct got *g = ctx;
	if (g->nfollowed < 32)
		g->followed[g->nfollowed++] = tgid;
}

static void mkproc(int pid, int ppid, const char *comm, char state, unsigned long start)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/task", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/task/%d", root, pid, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/stat", root, pid);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
		"%d (%s) %c %d %d %d 0 -1 4194304 100 0 0 0 1 2 0 0 20 0 1 0 %lu 1000000 100 "
		"18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
		pid, comm, state, ppid, pid, pid, start);
	fclose(f);
}

static void mkthread(int pid, int tid)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%d/task/%d", root, pid, tid);
	mkdir(path, 0755);
}

static void rmtree(const char *rel)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/%s'", root, rel);
	assert_int_equal(system(cmd), 0);
}

static int count(const struct got *g, int kind, int32_t pid)
{
	int n = 0;
	for (int i = 0; i < g->n; i++)
		if (g->r[i].kind == kind &&
		    (kind == REC_FORK ? g->r[i].u.fork.child_tgid : g->r[i].key.tid) == pid)
			n++;
	return n;
}

static int setup(void **state)
{
	(void)state;
	const char *tmp =
	    getenv("PROCIMAGE_TEST_TMP") ? getenv("PROCIMAGE_TEST_TMP") : getenv("TMPDIR");
	snprintf(root, sizeof(root), "%s/cnscan.XXXXXX", tmp ? tmp : "/tmp");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	rmtree("");
	return 0;
}

static void test_fallback_diff(void **state)
{
	struct targets t = {.npids = 1, .pids = {100}};
	struct got g = {0};
	struct record_sink sink = {collect, &g};
	int rootfd = open(root, O_RDONLY | O_DIRECTORY);
	struct cn_scan_config cfg = {rootfd, &t, 1, 1};
	(void)state;

	mkproc(100, 1, "target", 'S', 500);
	mkproc(101, 100, "oldkid", 'S', 510);
	mkproc(200, 1, "outsider", 'S', 520);
	struct cn_scan *s = cn_scan_new(&cfg);
	cn_scan_on_follow(s, on_follow, &g);
	cn_scan_seed(s);
	assert_int_equal(g.n, 0); /* seeding is quiet */
	assert_int_equal(g.nfollowed, 2);
	assert_true(cn_scan_is_member(s, 101));
	assert_false(cn_scan_is_member(s, 200));

	/* A grandchild listed before its parent, a thread, a comm change. */
	mkproc(150, 160, "grandkid", 'S', 600);
	mkproc(160, 100, "kid", 'S', 590);
	mkproc(201, 200, "notours", 'S', 600);
	mkthread(100, 105);
	mkproc(100, 1, "renamed", 'S', 500);
	cn_scan_diff(s, 1000, &sink);
	assert_int_equal(count(&g, REC_FORK, 160), 1);
	assert_int_equal(count(&g, REC_FORK, 150), 1);
	assert_int_equal(count(&g, REC_FORK, 201), 0);
	assert_int_equal(count(&g, REC_CLONE, 100), 1);
	assert_int_equal(count(&g, REC_COMM, 100), 1);
	for (int i = 0; i < g.n; i++) {
		assert_int_equal(g.r[i].source, SRC_PROCFS); /* sampled */
		assert_int_equal(g.r[i].t_ns, 1000);
	}

	/* The thread ends, a child vanishes, one turns zombie, a pid is reused. */
	g.n = 0;
	rmtree("100/task/105");
	rmtree("160");
	mkproc(101, 100, "oldkid", 'Z', 510);
	mkproc(150, 1, "reuser", 'S', 999);
	cn_scan_diff(s, 2000, &sink);
	assert_int_equal(count(&g, REC_EXIT, 105), 1);
	assert_int_equal(count(&g, REC_EXIT, 160), 1);
	assert_int_equal(count(&g, REC_EXIT, 101), 1);
	assert_int_equal(count(&g, REC_EXIT, 150), 1);
	assert_false(cn_scan_is_member(s, 150)); /* reparented to 1: not ours */
	g.n = 0;
	cn_scan_diff(s, 3000, &sink); /* the zombie is still listed: not adopted again */
	assert_int_equal(g.n, 0);
	assert_int_equal(cn_scan_count(s), 4);
	cn_scan_free(s);
	close(rootfd);
}

/* With the connector working, the tree follows its fork and exit events. */
static void test_observe(void **state)
{
	struct targets t = {.npids = 1, .pids = {300}};
	struct got g = {0};
	int rootfd = open(root, O_RDONLY | O_DIRECTORY);
	struct cn_scan_config cfg = {rootfd, &t, 1, 0};
	struct record r = {.kind = REC_FORK, .source = SRC_CONNECTOR};
	(void)state;

	mkproc(300, 1, "target", 'S', 500);
	struct cn_scan *s = cn_scan_new(&cfg);
	cn_scan_on_follow(s, on_follow, &g);
	cn_scan_seed(s);
	r.u.fork = (struct rec_fork){300, 300, 301, 301};
	cn_scan_observe(s, &r);
	assert_true(cn_scan_is_member(s, 301));
	assert_int_equal(g.followed[g.nfollowed - 1], 301);
	r.u.fork = (struct rec_fork){999, 999, 998, 998};
	cn_scan_observe(s, &r);
	assert_false(cn_scan_is_member(s, 998));
	struct record x = {.kind = REC_EXIT, .source = SRC_CONNECTOR, .key = {301, 301, 0}};
	cn_scan_observe(s, &x);
	assert_false(cn_scan_is_member(s, 301));
	cn_scan_free(s);
	close(rootfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fallback_diff, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_observe, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
