/* Unit tests: watch rule parsing and evaluation on synthetic series (cli/rules.c). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/clock.h"
#include "cli/rules.h"
#include "procimage/sample.h"

#define DT (200 * NS_PER_MS)

struct harness {
	struct ruleset rs;
	void *state;
	struct cond_eval ev[RULES_MAX * RULE_MAX_CONDS];
	double m[M_COUNT];
};

static void h_init(struct harness *h, const char *const *rules, int n)
{
	char err[256];
	memset(h, 0, sizeof(*h));
	for (int i = 0; i < n; i++) {
		int rc = ruleset_add(&h->rs, rules[i], err, sizeof(err));
		if (rc)
			fail_msg("rule '%s': %s", rules[i], err);
	}
	h->state = malloc(rules_state_size(&h->rs));
	assert_non_null(h->state);
	rules_state_init(&h->rs, h->state);
	for (int i = 0; i < M_COUNT; i++)
		h->m[i] = NAN;
}

/* Step one sample of metric `metric`; 1 if rule 0 fired. */
static int h_step(struct harness *h, int metric, double v)
{
	h->m[metric] = v;
	rules_step(&h->rs, h->state, h->m, DT, 0, h->ev);
	return rules_fired(&h->rs, 0, h->ev);
}

static void test_parse_forms(void **state)
{
	struct rule r;
	char err[256];
	(void)state;

	assert_int_equal(rules_parse("cpu>80%", &r, err, sizeof(err)), 0);
	assert_int_equal(r.nconds, 1);
	assert_int_equal(r.conds[0].metric, M_CPU);
	assert_int_equal(r.conds[0].op, OP_GT);
	assert_int_equal(r.conds[0].rel, REL_ABS);
	assert_true(r.conds[0].value == 80.0);

	assert_int_equal(rules_parse("rss>2GiB", &r, err, sizeof(err)), 0);
	assert_true(r.conds[0].value == 2.0 * 1024 * 1024 * 1024);
	assert_int_equal(rules_parse("rss >= 512M", &r, err, sizeof(err)), 0);
	assert_true(r.conds[0].value == 512.0 * 1024 * 1024);
	assert_int_equal(r.conds[0].op, OP_GE);

	assert_int_equal(rules_parse("cpu>+25%", &r, err, sizeof(err)), 0);
	assert_int_equal(r.conds[0].rel, REL_RATIO);
	assert_true(r.conds[0].value == 25.0);
	assert_int_equal(r.conds[0].window, 30);
	assert_int_equal(r.conds[0].warmup, 30);
	assert_true(r.conds[0].has_min);

	assert_int_equal(rules_parse("io<-50%,min=1MiB,window=20,warmup=5", &r, err, sizeof(err)),
			 0);
	assert_int_equal(r.conds[0].op, OP_LT);
	assert_true(r.conds[0].value == -50.0);
	assert_true(r.conds[0].min == 1048576.0);
	assert_int_equal(r.conds[0].window, 20);
	assert_int_equal(r.conds[0].warmup, 5);

	assert_int_equal(rules_parse("rss>+100MiB", &r, err, sizeof(err)), 0);
	assert_int_equal(r.conds[0].rel, REL_DELTA);

	assert_int_equal(rules_parse("cpu>80%for3m", &r, err, sizeof(err)), 0);
	assert_int_equal(r.conds[0].sus, SUS_DURATION);
	assert_true(r.conds[0].for_ns == 180 * NS_PER_S);

	assert_int_equal(rules_parse("cpu > 80% for 3of5", &r, err, sizeof(err)), 0);
	assert_int_equal(r.conds[0].sus, SUS_NOFM);
	assert_int_equal(r.conds[0].n, 3);
	assert_int_equal(r.conds[0].m, 5);

	assert_int_equal(rules_parse("cpu>80%for1m && rss>1GiB", &r, err, sizeof(err)), 0);
	assert_int_equal(r.nconds, 2);
	assert_int_equal(r.host_only, 0);
	assert_string_equal(r.text, "cpu>80%for1m&&rss>1GiB");

	assert_int_equal(rules_parse("load1>8", &r, err, sizeof(err)), 0);
	assert_int_equal(r.host_only, 1);
	assert_int_equal(rules_parse("cs>5k/s", &r, err, sizeof(err)), 0);
	assert_true(r.conds[0].value == 5000.0);
}

static void test_parse_errors(void **state)
{
	struct rule r;
	char err[256];
	const char *bad[] = {"",
			     "cpu",
			     "cpu>",
			     "cpux>3",
			     "bogus>3",
			     "cpu>80%for",
			     "cpu>80%forever",
			     "cpu>80%for6of5",
			     "cpu=3",
			     "cpu>80%,min",
			     "cpu>+5%,window=0",
			     "rss>50%",
			     "cpu>80%,colour=red",
			     "a&&b&&c&&d&&e",
			     "cpu>nan",
			     "cpu>inf"};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (rules_parse(bad[i], &r, err, sizeof(err)) == 0)
			fail_msg("'%s' was accepted", bad[i]);
		assert_true(strlen(err) > 10);
	}
	rules_parse("bogus>3", &r, err, sizeof(err));
	assert_non_null(strstr(err, "unknown metric 'bogus'"));
}

static void test_absolute_and_files(void **state)
{
	struct harness h;
	const char *rules[] = {"rss>1GiB"};
	uint32_t pf, tf;
	(void)state;

	h_init(&h, rules, 1);
	assert_false(h_step(&h, M_RSS, 512e6));
	assert_true(h_step(&h, M_RSS, 2e9));
	assert_false(h_step(&h, M_RSS, 1e9));
	ruleset_files(&h.rs, &pf, &tf);
	assert_int_equal(pf, PF_STAT);
	assert_int_equal(tf, 0);
	free(h.state);

	const char *r2[] = {"fds>100", "runq>10%&&cs>100"};
	h_init(&h, r2, 2);
	ruleset_files(&h.rs, &pf, &tf);
	assert_int_equal(pf, PF_STAT | PF_FDS | PF_STATUS);
	assert_int_equal(tf, PF_SCHEDSTAT);
	free(h.state);
}

/* Sustained by duration: 2 s at 200 ms samples = 10 samples in a row. */
static void test_sustained_duration(void **state)
{
	struct harness h;
	const char *rules[] = {"cpu>50%for2s"};
	int fired_at = -1;
	(void)state;

	h_init(&h, rules, 1);
	for (int i = 0; i < 9; i++)
		assert_false(h_step(&h, M_CPU, 99));
	assert_false(h_step(&h, M_CPU, 10)); /* a dip resets */
	for (int i = 0; i < 20 && fired_at < 0; i++)
		if (h_step(&h, M_CPU, 99))
			fired_at = i;
	assert_int_equal(fired_at, 9);
	assert_true(h.ev[0].held_ns >= 2 * NS_PER_S);
	free(h.state);
}

static void test_sustained_n_of_m(void **state)
{
	struct harness h;
	const char *rules[] = {"cpu>80%for3of5"};
	(void)state;

	h_init(&h, rules, 1);
	assert_false(h_step(&h, M_CPU, 90));
	assert_false(h_step(&h, M_CPU, 10));
	assert_false(h_step(&h, M_CPU, 90));
	assert_true(h_step(&h, M_CPU, 90));
	assert_int_equal(h.ev[0].hits, 3);
	assert_true(h_step(&h, M_CPU, 10));  /* 90 10 90 90 10: still 3 of 5 */
	assert_false(h_step(&h, M_CPU, 10)); /* 10 90 90 10 10: 2 */
	free(h.state);
}

/* Deterministic noise in [-1, 1]. */
static double noise(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (double)((*seed >> 8) % 2001) / 1000.0 - 1.0;
}

/* A relative rule fires on a +50% step and never on +-10% noise. */
static void test_relative_step_vs_noise(void **state)
{
	struct harness h;
	const char *rules[] = {"cpu>+25%,window=20"};
	unsigned seed = 42;
	(void)state;

	h_init(&h, rules, 1);
	for (int i = 0; i < 2000; i++)
		if (h_step(&h, M_CPU, 40.0 * (1.0 + 0.10 * noise(&seed))))
			fail_msg("fired on noise at sample %d (value %.1f, mean %.1f)", i,
				 h.ev[0].value, h.ev[0].mean);
	assert_true(h_step(&h, M_CPU, 60.0));
	assert_true(fabs(h.ev[0].mean - 40.0) < 2.0);
	assert_true(fabs(h.ev[0].threshold - h.ev[0].mean * 1.25) < 1e-9);
	free(h.state);

	/* Warm-up: nothing fires before `window` samples, even on a jump. */
	h_init(&h, rules, 1);
	for (int i = 0; i < 19; i++)
		assert_false(h_step(&h, M_CPU, 40.0));
	assert_false(h_step(&h, M_CPU, 80.0)); /* 19 samples in the window */
	free(h.state);
}

/* The mean excludes the current sample; the minimum silences tiny baselines. */
static void test_relative_min_and_drop(void **state)
{
	struct harness h;
	const char *rules[] = {"cpu>+50%,window=4"};
	const char *drop[] = {"io<-50%,window=4,min=1MiB"};
	(void)state;

	h_init(&h, rules, 1);
	for (int i = 0; i < 4; i++)
		assert_false(h_step(&h, M_CPU, 1.0));
	assert_false(h_step(&h, M_CPU, 4.0)); /* +300%, but below the 5% default min */
	free(h.state);

	h_init(&h, drop, 1);
	for (int i = 0; i < 4; i++)
		assert_false(h_step(&h, M_IO, 10e6));
	assert_true(h_step(&h, M_IO, 2e6));
	free(h.state);
	h_init(&h, drop, 1);
	for (int i = 0; i < 4; i++)
		assert_false(h_step(&h, M_IO, 100e3)); /* baseline under min */
	assert_false(h_step(&h, M_IO, 0));
	free(h.state);
}

/* NAN is no observation; combined conditions must hold together. */
static void test_combined_and_unknown(void **state)
{
	struct harness h;
	const char *rules[] = {"cpu>50% && rss>1GiB"};
	(void)state;

	h_init(&h, rules, 1);
	h.m[M_RSS] = 2e9;
	assert_false(h_step(&h, M_CPU, NAN));
	assert_true(h_step(&h, M_CPU, 60));
	h.m[M_RSS] = 5e8;
	assert_false(h_step(&h, M_CPU, 60));
	free(h.state);

	/* host-only rules step only in the host state */
	const char *hr[] = {"load1>4"};
	h_init(&h, hr, 1);
	h.m[M_LOAD1] = 9;
	rules_step(&h.rs, h.state, h.m, DT, 0, h.ev);
	assert_false(rules_fired(&h.rs, 0, h.ev));
	rules_step(&h.rs, h.state, h.m, DT, 1, h.ev);
	assert_true(rules_fired(&h.rs, 0, h.ev));
	free(h.state);
}

static void test_describe(void **state)
{
	struct harness h;
	const char *rules[] = {"cpu>50%for1s"};
	char buf[200];
	(void)state;

	h_init(&h, rules, 1);
	for (int i = 0; i < 5; i++)
		h_step(&h, M_CPU, 99.0);
	rules_describe(&h.rs, 0, &h.ev[0], buf, sizeof(buf));
	assert_string_equal(buf, "cpu 99.0% > 50.0% for 1.0 s");
	rules_format_value(M_RSS, 1.5 * 1024 * 1024 * 1024, buf, sizeof(buf));
	assert_string_equal(buf, "1.5 GiB");
	free(h.state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_forms),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_absolute_and_files),
	    cmocka_unit_test(test_sustained_duration),
	    cmocka_unit_test(test_sustained_n_of_m),
	    cmocka_unit_test(test_relative_step_vs_noise),
	    cmocka_unit_test(test_relative_min_and_drop),
	    cmocka_unit_test(test_combined_and_unknown),
	    cmocka_unit_test(test_describe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
