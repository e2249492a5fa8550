/* Unit tests: the Prometheus renderer (render/prom.c) on synthetic JSON
 * reports: a series (family and labels) is written once, with its first
 * value, and the series keep their first-seen order, for a handful of tasks
 * and for a host-wide report of 20,000 (where the duplicate check once
 * compared every pair of a family); the first series of all is kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "render/jdoc.h"

static char *render(const char *json)
{
	char err[128], *buf = NULL;
	size_t len = 0;
	struct jv *d = jdoc_parse(json, strlen(json), err, sizeof(err));
	FILE *ms = open_memstream(&buf, &len);

	assert_non_null(d);
	assert_non_null(ms);
	assert_int_equal(render_prom(ms, d), 0);
	fclose(ms);
	jdoc_free(d);
	return buf;
}

static void test_first_value_wins(void **state)
{
	(void)state;
	char *out = render("{\"schema\":\"procimage/1\",\"image\":\"resource\",\"host\":\"h\","
			   "\"kernel\":\"k\",\"tasks\":[{\"pid\":1,\"comm\":\"a\",\"cpu_pct\":5},"
			   "{\"pid\":2,\"comm\":\"b\",\"cpu_pct\":6},"
			   "{\"pid\":1,\"comm\":\"a\",\"cpu_pct\":7}]}");
	const char *a =
	    strstr(out, "procimage_resource_tasks_cpu_ratio{pid=\"1\",comm=\"a\"} 0.05\n");
	const char *b =
	    strstr(out, "procimage_resource_tasks_cpu_ratio{pid=\"2\",comm=\"b\"} 0.06\n");

	assert_non_null(a);
	assert_non_null(b);
	assert_true(a < b); /* first-seen order */
	/* the first series of all is written too (its mark once came from
	 * uninitialised memory: a sanitized build dropped procimage_info) */
	assert_non_null(
	    strstr(out, "procimage_info{image=\"resource\",host=\"h\",kernel=\"k\"} 1\n"));
	assert_null(strstr(out, "0.07"));
	assert_null(strstr(strchr(a, '\n') + 1, "{pid=\"1\",comm=\"a\"}"));
	free(out);
}

static void test_many_series(void **state)
{
	enum { N = 20000 };
	size_t cap = (size_t)N * 2 * 48 + 256, n = 0;
	char *json = malloc(cap);
	(void)state;

	assert_non_null(json);
	n += (size_t)snprintf(json + n, cap - n,
			      "{\"schema\":\"procimage/1\",\"image\":\"resource\",\"host\":\"h\","
			      "\"kernel\":\"k\",\"tasks\":[");
	/* every task twice: the second value of each series is dropped */
	for (int r = 0; r < 2; r++)
		for (int i = 0; i < N; i++)
			n += (size_t)snprintf(json + n, cap - n,
					      "%s{\"pid\":%d,\"comm\":\"t\",\"cpu_pct\":%d}",
					      r || i ? "," : "", N - i, r ? 99 : 1);
	snprintf(json + n, cap - n, "]}");
	char *out = render(json);
	int lines = 0, last = N + 1, ordered = 1;
	for (const char *l = out; (l = strstr(l, "cpu_ratio{pid=\"")); l++) {
		int pid = atoi(l + strlen("cpu_ratio{pid=\""));
		ordered &= pid < last; /* first-seen: N down to 1 */
		last = pid;
		lines++;
	}
	assert_int_equal(lines, N);
	assert_true(ordered);
	assert_null(strstr(out, " 0.99\n"));
	free(out);
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_value_wins),
	    cmocka_unit_test(test_many_series),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
