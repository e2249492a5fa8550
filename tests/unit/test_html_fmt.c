/* Unit tests: exit statuses in words (core/wait_status.c), the HTML
 * report's human units and axes (render/html_fmt.c), and a page of timed
 * records: its timeline, legend and statuses (render/html*.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/wait_status.h"
#include "render/html_int.h"

static void test_wait_status_text(void **state)
{
	char b[64];
	(void)state;

	wait_status_text(0, b, sizeof(b));
	assert_string_equal(b, "exit 0");
	wait_status_text(768, b, sizeof(b));
	assert_string_equal(b, "exit 3");
	wait_status_text(9, b, sizeof(b));
	assert_string_equal(b, "killed by SIGKILL");
	wait_status_text(11 | 0x80, b, sizeof(b));
	assert_string_equal(b, "killed by SIGSEGV (core dumped)");
	wait_status_text(32512, b, sizeof(b));
	assert_string_equal(b, "command not found (exit 127)");
	wait_status_text(126 << 8, b, sizeof(b));
	assert_string_equal(b, "not executable (exit 126)");
}

static void test_human(void **state)
{
	char b[64];
	(void)state;

	html_human(8855552, html_unit_of("rss_bytes"), b, sizeof(b));
	assert_string_equal(b, "8.45 MiB");
	html_human(512, html_unit_of("read_bytes"), b, sizeof(b));
	assert_string_equal(b, "512 B");
	html_human(1.2, html_unit_of("wait_ms"), b, sizeof(b));
	assert_string_equal(b, "1.20 ms");
	html_human(3.2e-05, html_unit_of("lifetime_s"), b, sizeof(b));
	assert_string_equal(b, "32.0 µs");
	html_human(37, html_unit_of("cpu_pct"), b, sizeof(b));
	assert_string_equal(b, "37.0 %");
	html_human(2048, html_unit_of("write_bytes_per_s"), b, sizeof(b));
	assert_string_equal(b, "2.00 KiB/s");
	html_human(8518098029985, html_unit_of("t_ns"), b, sizeof(b));
	assert_string_equal(b, "8518098029985"); /* a clock reading, no duration */
	html_plain(8.85555e+06, b, sizeof(b));
	assert_string_equal(b, "8855550");
	html_plain(1e-05, b, sizeof(b));
	assert_string_equal(b, "0.00001");
}

static void test_axis(void **state)
{
	char b[32];
	(void)state;

	struct haxis a = html_axis(8855552, html_unit_of("rss_bytes"));
	assert_string_equal(a.suffix, "MiB");
	assert_true(a.top * a.div >= 8855552);
	assert_true(a.top / a.step >= 2.999 && a.top / a.step <= 5.001);
	a = html_axis(2.4, html_unit_of("cpu_pct"));
	html_tick(&a, a.step, b, sizeof(b));
	assert_string_equal(b, "0.5");
	a = html_axis(1.2, html_unit_of("cpu_pct"));
	html_tick(&a, a.step, b, sizeof(b));
	assert_string_equal(b, "0.25");
	a = html_axis(0.25, (struct hunit){HK_SEC, 1});
	assert_string_equal(a.suffix, "ms");
	html_tick(&a, a.step, b, sizeof(b));
	assert_string_equal(b, "50");
}

static char *render(const char *json)
{
	static const char *const names[] = {"exits", NULL};
	char err[128], *buf = NULL;
	size_t len = 0;
	struct jv *doc = jdoc_parse(json, strlen(json), err, sizeof(err));
	FILE *ms = open_memstream(&buf, &len);

	assert_non_null(doc);
	jdoc_set_images(names);
	assert_int_equal(render_html(ms, doc), 0);
	fclose(ms);
	jdoc_free(doc);
	return buf;
}

static void test_exits_page(void **state)
{
	char *s = render("{\"schema\":\"procimage/1\",\"image\":\"exits\",\"duration_s\":3.5,"
			 "\"exits\":[{\"pid\":1,\"comm\":\"a<b\",\"cause\":\"exit\","
			 "\"status\":\"exit 3\",\"t_ns\":1000000000,\"exit_code\":3,"
			 "\"signal\":null,\"last_rss_bytes\":8.85555e+06},"
			 "{\"pid\":2,\"comm\":\"k\",\"cause\":\"signal\",\"status\":\"SIGKILL\","
			 "\"t_ns\":1500000000,\"exit_code\":null,\"signal\":9,"
			 "\"core_dumped\":false},"
			 "{\"pid\":3,\"comm\":\"sh\",\"cause\":\"exit\",\"status\":\"exit 127\","
			 "\"t_ns\":1700000000,\"exit_code\":127,\"signal\":null}]}");
	(void)state;

	assert_non_null(strstr(s, "<svg class=\"chart events\""));
	assert_non_null(strstr(s, "<g class=\"legend\">"));
	assert_non_null(strstr(s, ">time (ms)</text>"));
	assert_non_null(strstr(s, "<td class=\"status\">exit 3</td>"));
	assert_non_null(strstr(s, "<td class=\"status\">killed by SIGKILL</td>"));
	assert_non_null(strstr(s, "<td class=\"status\">command not found (exit 127)</td>"));
	assert_non_null(strstr(s, "<td title=\"8.45 MiB\">8855550</td>"));
	assert_non_null(strstr(s, "a&lt;b"));
	assert_null(strstr(s, "a<b"));
	assert_null(strstr(s, "e+0"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wait_status_text),
	    cmocka_unit_test(test_human),
	    cmocka_unit_test(test_axis),
	    cmocka_unit_test(test_exits_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
