/* Unit tests: the SVG flame graph is one well-formed document whose frames
 * have the right widths, escaped names and titles. (xmllint and Chromium are
 * exercised by tests/integration/test_stacks_svg.sh.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "render/flamegraph.h"
#include "unit_report.h"

static char *render(const struct stack_agg *a, const char *title)
{
	struct unit_mem m;

	assert_int_equal(flamegraph_write_svg(unit_mem_open(&m), a, title), 0);
	return unit_mem_close(&m);
}

static int count(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Width of the frame whose title starts with name. */
static double width_of(const char *svg, const char *name)
{
	char key[128];
	snprintf(key, sizeof(key), "<title>%s (", name);
	const char *p = strstr(svg, key);
	assert_non_null(p);
	p = strstr(p, "width=\"");
	assert_non_null(p);
	return strtod(p + 7, NULL);
}

static void test_widths_and_titles(void **state)
{
	(void)state;
	struct stack_agg *a = stack_agg_new();

	stack_agg_add_line(a, "prog;main;hot_seventy 70");
	stack_agg_add_line(a, "prog;main;cold_thirty 30");
	stack_agg_add_line(a, "prog;main;hot_seventy;clock_gettime 0");
	char *svg = render(a, "t <&> \"q\"");
	assert_non_null(strstr(svg, "<?xml version=\"1.0\""));
	assert_non_null(strstr(svg, "t &lt;&amp;&gt; &quot;q&quot;"));
	assert_non_null(strstr(svg, "<title>all (100 samples, 100.00%)</title>"));
	assert_non_null(strstr(svg, "<title>hot_seventy (70 samples, 70.00%)</title>"));
	assert_non_null(strstr(svg, "<title>cold_thirty (30 samples, 30.00%)</title>"));
	/* zero-count frames are below the minimum width */
	assert_null(strstr(svg, "clock_gettime"));
	double all = width_of(svg, "all"), hot = width_of(svg, "hot_seventy");
	assert_true(all > 1100 && all < 1200);
	assert_true(hot / all > 0.69 && hot / all < 0.71);
	/* one <g> per frame: all, prog, main, hot, cold (+ the frames group) */
	assert_int_equal(count(svg, "<g><title>"), 5);
	assert_int_equal(count(svg, "<svg"), 1);
	assert_int_equal(count(svg, "</svg>"), 1);
	assert_int_equal(count(svg, "]]>"), 2);
	assert_non_null(strstr(svg, "id=\"search\""));
	free(svg);
	stack_agg_free(a);
}

/* Stacks that are not adjacent in sorted order still merge into one frame. */
static void test_merge_non_adjacent(void **state)
{
	(void)state;
	struct stack_agg *a = stack_agg_new();

	stack_agg_add_line(a, "p;X 1");
	stack_agg_add_line(a, "p;X!;y 1");
	stack_agg_add_line(a, "p;X;z 1");
	char *svg = render(a, NULL);
	assert_int_equal(count(svg, "<title>X ("), 1);
	assert_non_null(strstr(svg, "<title>X (2 samples, 66.67%)</title>"));
	assert_non_null(strstr(svg, ">Flame Graph</text>"));
	free(svg);
	stack_agg_free(a);
}

static void test_escape_and_colors(void **state)
{
	(void)state;
	struct stack_agg *a = stack_agg_new();

	stack_agg_add_line(a, "c;std::map<int, a&b>::find(int) const;hrtimer_nanosleep_[k] 3");
	stack_agg_add_line(a, "c;[off-cpu];x 1");
	char *svg = render(a, "k");
	assert_non_null(strstr(svg, "std::map&lt;int, a&amp;b&gt;::find(int) const (3 samples"));
	assert_null(strstr(svg, "<int,"));
	/* kernel frames get the aqua palette, markers grey, user frames warm */
	const char *k = strstr(svg, "<title>hrtimer_nanosleep_[k]");
	assert_non_null(k);
	int r, g, b;
	assert_int_equal(sscanf(strstr(k, "fill=\"rgb("), "fill=\"rgb(%d,%d,%d)", &r, &g, &b), 3);
	assert_true(r < 120 && g >= 165 && b >= 165);
	const char *m = strstr(svg, "<title>[off-cpu]");
	assert_non_null(m);
	assert_int_equal(sscanf(strstr(m, "fill=\"rgb("), "fill=\"rgb(%d,%d,%d)", &r, &g, &b), 3);
	assert_true(r == g && g == b);
	free(svg);
	stack_agg_free(a);
}

static void test_empty(void **state)
{
	(void)state;
	struct stack_agg *a = stack_agg_new();
	char *svg = render(a, "empty");
	assert_non_null(strstr(svg, "no samples"));
	assert_int_equal(count(svg, "<g"), count(svg, "</g>"));
	free(svg);
	stack_agg_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_widths_and_titles),
	    cmocka_unit_test(test_merge_non_adjacent),
	    cmocka_unit_test(test_escape_and_colors),
	    cmocka_unit_test(test_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
