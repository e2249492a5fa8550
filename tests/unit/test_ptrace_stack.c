/* Unit tests: why ptrace is refused (Yama scopes, capability, uid, another
 * tracer), and C++ demangling of unwound symbols. No privileges needed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sources/ptrace_stack.h"
#include "sources/ptrace_unwind.h"

static void test_explain(void **state)
{
	(void)state;
	char why[256];

	/* Yama absent (-1) or 0: same uid is enough, other uids need the cap */
	assert_int_equal(ptrace_stack_explain(-1, 0, 1, 0, 0, why, sizeof(why)), 0);
	assert_int_equal(ptrace_stack_explain(0, 0, 1, 0, 0, why, sizeof(why)), 0);
	assert_int_equal(ptrace_stack_explain(0, 0, 0, 0, 0, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "another user"));
	assert_non_null(strstr(why, "CAP_SYS_PTRACE"));
	assert_int_equal(ptrace_stack_explain(0, 1, 0, 0, 0, why, sizeof(why)), 0);
	/* 1: descendants only, unless CAP_SYS_PTRACE */
	assert_int_equal(ptrace_stack_explain(1, 0, 1, 0, 0, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "ptrace_scope=1"));
	assert_non_null(strstr(why, "kernel.yama.ptrace_scope=0"));
	assert_int_equal(ptrace_stack_explain(1, 0, 1, 1, 0, why, sizeof(why)), 0);
	assert_int_equal(ptrace_stack_explain(1, 1, 1, 0, 0, why, sizeof(why)), 0);
	/* 2: admin only */
	assert_int_equal(ptrace_stack_explain(2, 0, 1, 1, 0, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "ptrace_scope=2"));
	assert_int_equal(ptrace_stack_explain(2, 1, 0, 0, 0, why, sizeof(why)), 0);
	/* 3: nobody */
	assert_int_equal(ptrace_stack_explain(3, 1, 1, 1, 0, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "--kernel"));
	/* another tracer wins over everything */
	assert_int_equal(ptrace_stack_explain(0, 1, 1, 1, 4242, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "4242"));
}

static void test_demangle(void **state)
{
	(void)state;
	struct demangler d = {0};
	char out[128];

	assert_int_equal(unwind_demangle(&d, "main", out, sizeof(out)), 0);
	assert_string_equal(out, "main");
	assert_false(d.tried); /* libstdc++ is loaded only for mangled names */
	int dem = unwind_demangle(&d, "_ZN9procimage4spinEv", out, sizeof(out));
	if (!d.fn) {
		/* no libstdc++ on this host: the name stays mangled, by contract */
		assert_int_equal(dem, 0);
		assert_string_equal(out, "_ZN9procimage4spinEv");
	} else {
		assert_int_equal(dem, 1);
		assert_string_equal(out, "procimage::spin()");
		unwind_demangle(&d, "_ZNSt6vectorIiSaIiEE9push_backERKi", out, sizeof(out));
		assert_string_equal(
		    out, "std::vector<int, std::allocator<int> >::push_back(int const&)");
		/* invalid mangling: copied as is */
		assert_int_equal(unwind_demangle(&d, "_Z!!", out, sizeof(out)), 0);
		assert_string_equal(out, "_Z!!");
	}
	unwind_demangler_close(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_explain),
	    cmocka_unit_test(test_demangle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
