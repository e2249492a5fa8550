/* Unit tests: slurp (core/fileio.c), the one whole-file reader: a regular
 * file is read whole and NUL-terminated (cut at len - 1), a symlink as the
 * last component is refused, and so are a FIFO (whose read would block) and
 * a directory; a missing file says ENOENT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/fileio.h"

static char dir[512];

/* in the suite's run directory (tests/run.sh checks it is left empty) */
static int setup(void **state)
{
	const char *base = getenv("PROCIMAGE_TEST_TMP");
	(void)state;
	snprintf(dir, sizeof(dir), "%s/procimage-test-fileio.XXXXXX", base ? base : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	const char *files[] = {"f", "link", "fifo"};
	char p[600];
	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/sub", dir);
	rmdir(p);
	return rmdir(dir);
}

static void test_slurp(void **state)
{
	char p[600], q[600], buf[8];
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	FILE *fp;
	(void)state;

	assert_true(dfd >= 0);
	snprintf(p, sizeof(p), "%s/f", dir);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs("0123456789", fp);
	fclose(fp);
	/* whole, NUL-terminated, cut at len - 1 */
	assert_int_equal(slurp(dfd, "f", buf, sizeof(buf)), 7);
	assert_string_equal(buf, "0123456");
	assert_int_equal(slurp(AT_FDCWD, p, buf, 4), 3);
	assert_string_equal(buf, "012");
	/* a symlink planted where the file goes */
	snprintf(q, sizeof(q), "%s/link", dir);
	assert_int_equal(symlink(p, q), 0);
	assert_int_equal(slurp(dfd, "link", buf, sizeof(buf)), -ELOOP);
	/* a FIFO (no writer: a plain read would wait for one) and a directory */
	snprintf(q, sizeof(q), "%s/fifo", dir);
	assert_int_equal(mkfifo(q, 0600), 0);
	assert_int_equal(slurp(dfd, "fifo", buf, sizeof(buf)), -EINVAL);
	snprintf(q, sizeof(q), "%s/sub", dir);
	assert_int_equal(mkdir(q, 0700), 0);
	assert_int_equal(slurp(dfd, "sub", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(slurp(dfd, "none", buf, sizeof(buf)), -ENOENT);
	/* a /proc file: regular, read whole */
	assert_true(slurp(AT_FDCWD, "/proc/self/stat", buf, sizeof(buf)) > 0);
	close(dfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_slurp, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
