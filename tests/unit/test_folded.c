/* Unit tests: the folded-stack aggregate (counting, parsing, sorted output)
 * and the /proc/<tid>/stack folder. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "render/folded.h"
#include "unit_report.h"

static char *write_folded(const struct stack_agg *a)
{
	struct unit_mem m;

	assert_int_equal(stack_agg_write_folded(a, unit_mem_open(&m)), 0);
	return unit_mem_close(&m);
}

static void test_count_and_sort(void **state)
{
	(void)state;
	struct stack_agg *a = stack_agg_new();
	const char *s1 = "prog;main;hot";

	assert_int_equal(stack_agg_add(a, s1, strlen(s1), 1), 0);
	assert_int_equal(stack_agg_add(a, "prog;main;cold", 14, 2), 0);
	assert_int_equal(stack_agg_add(a, s1, strlen(s1), 4), 0);
	assert_int_equal(stack_agg_add(a, "", 0, 1), -EINVAL);
	assert_int_equal(stack_agg_add(a, "a\nb", 3, 1), -EINVAL);
	assert_int_equal(stack_agg_total(a), 7);
	assert_int_equal(stack_agg_size(a), 2);
	assert_int_equal(stack_agg_get(a, s1), 5);
	assert_int_equal(stack_agg_get(a, "prog;main"), 0);
	assert_int_equal(stack_agg_count_frame(a, "main"), 7);
	assert_int_equal(stack_agg_count_frame(a, "hot"), 5);
	assert_int_equal(stack_agg_count_frame(a, "ho"), 0);
	char *out = write_folded(a);
	assert_string_equal(out, "prog;main;cold 2\nprog;main;hot 5\n");
	free(out);
	stack_agg_free(a);
}

static void test_grow_many(void **state)
{
	(void)state;
	struct stack_agg *a = stack_agg_new();
	char buf[64];

	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 5000; i++) {
			int n = snprintf(buf, sizeof(buf), "c;f%d;g%d", i, i % 7);
			assert_int_equal(stack_agg_add(a, buf, (size_t)n, 1), 0);
		}
	assert_int_equal(stack_agg_size(a), 5000);
	assert_int_equal(stack_agg_total(a), 15000);
	assert_int_equal(stack_agg_get(a, "c;f4999;g1"), 3);
	stack_agg_clear(a);
	assert_int_equal(stack_agg_size(a), 0);
	assert_int_equal(stack_agg_get(a, "c;f4999;g1"), 0);
	stack_agg_free(a);
}

static void test_parse_lines(void **state)
{
	(void)state;
	struct stack_agg *a = stack_agg_new(), *b = stack_agg_new();
	char text[] = "p;std::vector<int> f(int) 3\n\np;x 2\nbroken\np;x 1\nnocount \n";
	FILE *fp = fmemopen(text, strlen(text), "r");

	assert_int_equal(stack_agg_add_line(a, "x;y 10\n"), 0);
	assert_int_equal(stack_agg_add_line(a, "x;y"), -EINVAL);
	assert_int_equal(stack_agg_add_line(a, " 5"), -EINVAL);
	assert_int_equal(stack_agg_add_line(a, "x;y 1x"), -EINVAL);
	assert_int_equal(stack_agg_read_folded(b, fp), 2); /* "broken", "nocount " */
	fclose(fp);
	assert_int_equal(stack_agg_get(b, "p;std::vector<int> f(int)"), 3);
	assert_int_equal(stack_agg_get(b, "p;x"), 3);
	assert_int_equal(stack_agg_merge(a, b), 0);
	assert_int_equal(stack_agg_total(a), 16);
	stack_agg_free(a);
	stack_agg_free(b);
}

static int collect(void *ctx, const char *s, size_t n, uint64_t c)
{
	char *out = ctx;
	size_t l = strlen(out);
	snprintf(out + l, 256 - l, "%.*s=%llu,", (int)n, s, (unsigned long long)c);
	return 0;
}

static void test_order_count(void **state)
{
	(void)state;
	struct stack_agg *a = stack_agg_new();
	char out[256] = "";

	stack_agg_add(a, "b", 1, 5);
	stack_agg_add(a, "a", 1, 5);
	stack_agg_add(a, "c", 1, 9);
	assert_int_equal(stack_agg_foreach(a, STACK_ORDER_COUNT, collect, out), 0);
	assert_string_equal(out, "c=9,a=5,b=5,");
	stack_agg_free(a);
}

static void test_sanitize(void **state)
{
	(void)state;
	char out[8];

	assert_int_equal(stack_frame_sanitize("a;b\nc", out, sizeof(out)), 7);
	assert_string_equal(out, "a:b\\x0a");
	assert_int_equal(stack_frame_sanitize("0123456789", out, sizeof(out)), 7);
	assert_string_equal(out, "0123456");
}

static void test_fold_kernel(void **state)
{
	(void)state;
	char out[256];
	const char *st = "[<0>] hrtimer_nanosleep+0x74/0xf0\n"
			 "[<0>] common_nsleep+0x40/0x50\n"
			 "[<0>] __x64_sys_clock_nanosleep+0xbc/0x130\n"
			 "[<0>] do_syscall_64+0x5b/0x110\n"
			 "[<0>] entry_SYSCALL_64_after_hwframe+0x76/0x7e\n";

	assert_true(stack_fold_kernel(st, "_[k]", out, sizeof(out)) > 0);
	assert_string_equal(
	    out, "entry_SYSCALL_64_after_hwframe_[k];do_syscall_64_[k];"
		 "__x64_sys_clock_nanosleep_[k];common_nsleep_[k];hrtimer_nanosleep_[k]");
	assert_int_equal(stack_fold_kernel("", "_[k]", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* old kernels print addresses; no trailing newline; tiny buffer truncates
	 * at a frame boundary, keeping the root side */
	assert_true(stack_fold_kernel("[<ffffffff8108a1b2>] futex_wait_queue_me+0xc4/0x120\n"
				      "[<ffffffff8108b0e5>] futex_wait+0x105/0x240",
				      NULL, out, sizeof(out)) > 0);
	assert_string_equal(out, "futex_wait;futex_wait_queue_me");
	assert_int_equal(stack_fold_kernel(st, "", out, 50), 44);
	assert_string_equal(out, "entry_SYSCALL_64_after_hwframe;do_syscall_64");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_count_and_sort), cmocka_unit_test(test_grow_many),
	    cmocka_unit_test(test_parse_lines),	   cmocka_unit_test(test_order_count),
	    cmocka_unit_test(test_sanitize),	   cmocka_unit_test(test_fold_kernel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
