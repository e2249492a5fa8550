/* Unit tests: duration parsing and formatting (core/clock.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/clock.h"

static void test_duration_units(void **state)
{
	uint64_t ns;
	(void)state;
	assert_int_equal(duration_parse("500ms", &ns), 0);
	assert_int_equal(ns, 500 * NS_PER_MS);
	assert_int_equal(duration_parse("10s", &ns), 0);
	assert_int_equal(ns, 10 * NS_PER_S);
	assert_int_equal(duration_parse("2m", &ns), 0);
	assert_int_equal(ns, 120 * NS_PER_S);
	assert_int_equal(duration_parse("1.5s", &ns), 0);
	assert_int_equal(ns, 1500 * NS_PER_MS);
	assert_int_equal(duration_parse("250us", &ns), 0);
	assert_int_equal(ns, 250 * NS_PER_US);
	assert_int_equal(duration_parse("3", &ns), 0);
	assert_int_equal(ns, 3 * NS_PER_S);
}

static void test_duration_bad(void **state)
{
	uint64_t ns;
	(void)state;
	const char *bad[] = {"", "x", "5x", "-1s", "1 s", "s", "1e400s", "nan", "inf", "+3s"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_true(duration_parse(bad[i], &ns) < 0);
	assert_int_equal(duration_parse("999999999999h", &ns), -ERANGE);
}

static void test_duration_format(void **state)
{
	char b[32];
	(void)state;
	duration_format(1500 * NS_PER_MS, b, sizeof(b));
	assert_string_equal(b, "1.50 s");
	duration_format(12300 * NS_PER_US, b, sizeof(b));
	assert_string_equal(b, "12.3 ms");
}

static void test_rfc3339(void **state)
{
	char b[40];
	(void)state;
	clock_format_rfc3339(1700000000 * NS_PER_S + 123456789, b, sizeof(b));
	assert_string_equal(b, "2023-11-14T22:13:20.123Z");
	clock_format_rfc3339_us(1700000000 * NS_PER_S + 4567891, b, sizeof(b));
	assert_string_equal(b, "2023-11-14T22:13:20.004567Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_duration_units),
	    cmocka_unit_test(test_duration_bad),
	    cmocka_unit_test(test_duration_format),
	    cmocka_unit_test(test_rfc3339),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
