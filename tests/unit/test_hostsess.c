/* Unit tests: host session files (core/hostsess.c) in a private directory
 * ($PROCIMAGE_RUN_DIR): a file names its owner by pid, start time and pid
 * namespace; a reused pid (another start time) and a dead pid are dead
 * owners, another pid namespace is unknown, an older file without a start
 * time is judged by the owner's name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/hostsess.h"

static char dir[] = "/tmp/hostsess-unit.XXXXXX";

static void test_owner(void **state)
{
	uint64_t me = hs_self_start();
	(void)state;

	assert_true(me > 0);
	assert_int_equal(hs_owner_alive(getpid(), me, hs_self_pidns()), HS_ALIVE);
	assert_int_equal(hs_owner_alive(getpid(), me + 1, 0), HS_DEAD); /* pid reused */
	assert_int_equal(hs_owner_alive(getpid(), me, hs_self_pidns() + 1), HS_UNKNOWN);
	/* A child that ran and was reaped: dead. */
	pid_t c = fork();
	if (c == 0)
		_exit(0);
	waitpid(c, NULL, 0);
	assert_int_equal(hs_owner_alive(c, 0, 0), HS_DEAD);
	/* No start time recorded: only a live "procimage" counts. */
	assert_int_equal(hs_owner_alive(getppid(), 0, 0), HS_DEAD);
}

static void test_files(void **state)
{
	struct hs_entry e[4];
	char path[300];
	(void)state;

	int lk = hs_lock("k", 1);
	assert_true(lk >= 0);
	assert_int_equal(hs_write("k", "value=7"), 0);
	/* Our own file is never listed; a stranger's is, with its owner judged. */
	assert_int_equal(hs_list("k", e, 4), 0);
	snprintf(path, sizeof(path), "%s/k/1", dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "value=3 start=1 pidns=%lu\n", hs_self_pidns());
	fclose(fp);
	assert_int_equal(hs_list("k", e, 4), 1);
	assert_int_equal(e[0].pid, 1);
	assert_int_equal(e[0].start, 1);
	assert_int_equal(e[0].alive, HS_DEAD); /* pid 1 did not start at tick 1 */
	assert_int_equal(hs_get(e[0].payload, "value", -1), 3);
	assert_int_equal(hs_get(e[0].payload, "missing", -1), -1);
	assert_int_equal(hs_get("xvalue=9 value=4", "value", -1), 4);
	hs_remove("k", 1);
	hs_remove("k", getpid());
	assert_int_equal(hs_list("k", e, 4), 0);
	hs_unlock(lk);
	snprintf(path, sizeof(path), "%s/k/.lock", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/k", dir);
	assert_int_equal(rmdir(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_owner),
	    cmocka_unit_test(test_files),
	};
	if (!mkdtemp(dir))
		return 1;
	setenv("PROCIMAGE_RUN_DIR", dir, 1);
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return rc;
}
