/* Unit tests: the field API writes valid, escaped JSON and plain text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "procimage/out.h"
#include "unit_report.h"

static char *render(enum out_format f)
{
	struct unit_out u;
	struct out *o = unit_out_open(&u, f);

	out_str(o, "comm", "comm=%s ", "a\"b\\c\n\x01");
	out_u64(o, "n", "n=%llu ", 42);
	out_arr_open(o, "xs");
	out_i64(o, NULL, "%lld,", -1);
	out_f64(o, NULL, "%.1f", 2.5);
	out_arr_close(o);
	out_null(o, "delays", "-");
	out_text(o, "\n");
	return unit_out_close(&u);
}

static void test_json(void **state)
{
	(void)state;
	char *s = render(OUT_JSON);
	assert_string_equal(
	    s, "{\"comm\":\"a\\\"b\\\\c\\n\\u0001\",\"n\":42,\"xs\":[-1,2.5],\"delays\":null}\n");
	free(s);
}

static void test_text(void **state)
{
	(void)state;
	char *s = render(OUT_TEXT);
	assert_string_equal(s, "comm=a\"b\\c\\x0a\\x01 n=42 -1,2.5-\n");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
