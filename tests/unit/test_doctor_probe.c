/* Unit tests: doctor's probes (cli/doctor_probe.c, cli/doctor_host.c) run
 * against whatever this machine and user allow: each must name itself, reach
 * a verdict, explain it, and name what is lost exactly when something is.
 * The procfs probe is also run on fixture trees, whose contents are known. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli/doctor_probe.h"
#include "core/hostcaps.h"

static void check_item(const struct doctor_item *it, const char *name)
{
	assert_non_null(it->name);
	assert_string_equal(it->name, name);
	assert_true(it->state == SOURCE_OK || it->state == SOURCE_DEGRADED ||
		    it->state == SOURCE_UNAVAILABLE);
	if (!it->reason[0])
		fail_msg("%s: no reason", name);
	if ((it->state != SOURCE_OK) != (it->impact[0] != '\0'))
		fail_msg("%s: state %s but impact '%s'", name, source_state_name(it->state),
			 it->impact);
	if (it->state == SOURCE_UNAVAILABLE && it->err)
		assert_non_null(strstr(it->reason, host_errname(it->err)));
}

static void test_every_probe_reaches_a_verdict(void **state)
{
	struct doctor_item it;
	(void)state;
#define RUN(call, name)                                                                            \
	do {                                                                                       \
		memset(&it, 0, sizeof(it));                                                        \
		call;                                                                              \
		check_item(&it, name);                                                             \
	} while (0)
	RUN(doctor_probe_procfs(&it, "/proc", 1), "procfs");
	RUN(doctor_probe_taskstats(&it), "taskstats");
	RUN(doctor_probe_connector(&it, 200), "connector");
	RUN(doctor_probe_audit(&it), "audit");
	RUN(doctor_probe_kmsg(&it), "kmsg");
	RUN(doctor_probe_cgroup(&it), "cgroup");
	RUN(doctor_probe_psi(&it), "psi");
	RUN(doctor_probe_delayacct(&it), "delayacct");
#undef RUN
}

static void test_procfs_probe_on_fixtures(void **state)
{
	struct doctor_item it;
	(void)state;

	/* 4.19 has no io files: degraded, and the impact says so */
	memset(&it, 0, sizeof(it));
	doctor_probe_procfs(&it, "fixtures/4.19", 2310);
	check_item(&it, "procfs");
	assert_int_equal(it.state, SOURCE_DEGRADED);
	assert_non_null(strstr(it.reason, "pid 2310: all readable"));
	assert_non_null(strstr(it.impact, "TASK_IO_ACCOUNTING"));
	/* 2.6.32: no sched */
	memset(&it, 0, sizeof(it));
	doctor_probe_procfs(&it, "fixtures/2.6.32", 1021);
	assert_non_null(strstr(it.impact, "SCHED_DEBUG"));
	/* a pid that is not there */
	memset(&it, 0, sizeof(it));
	doctor_probe_procfs(&it, "fixtures/5.10", 777);
	assert_non_null(strstr(it.reason, "pid 777: not found"));
	/* not a proc tree */
	memset(&it, 0, sizeof(it));
	doctor_probe_procfs(&it, "fixtures/no-such-dir", 1);
	check_item(&it, "procfs");
	assert_int_equal(it.state, SOURCE_UNAVAILABLE);
}

static void test_caps_and_namespaces(void **state)
{
	struct host_cap c[16];
	struct host_ns ns[4];
	(void)state;

	int n = host_caps(c, 16);
	assert_int_equal(n, 8);
	for (int i = 0; i < n; i++) {
		assert_true(strncmp(c[i].name, "cap_", 4) == 0);
		assert_true(c[i].effective == 0 || c[i].effective == 1);
		assert_true(c[i].used_for[0] != '\0');
	}
	assert_int_equal(host_caps(c, 2), 2);
	n = host_namespaces(ns, 4);
	assert_int_equal(n, 3);
	assert_string_equal(ns[0].name, "user");
	assert_string_equal(ns[2].name, "net");
	for (int i = 0; i < n; i++) {
		assert_true(ns[i].ino != 0);
		assert_true(ns[i].initial >= -1 && ns[i].initial <= 1);
	}
	assert_string_equal(host_errname(EPERM), "EPERM");
	assert_string_equal(host_errname(ECONNREFUSED), "ECONNREFUSED");
	assert_non_null(host_errname(99999));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_probe_reaches_a_verdict),
	    cmocka_unit_test(test_procfs_probe_on_fixtures),
	    cmocka_unit_test(test_caps_and_namespaces),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
