/* Unit tests: the audit record parser on captured record text, hostile and
 * truncated variants; the syscall name tables; our rule keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/syscall_names.h"
#include "sources/audit.h"
#include "sources/audit_parse.h"

/* As received on the multicast group on 6.18 (payload of a 1300 message). */
static const char ok_rec[] =
    "audit(1795388875.072:60032): arch=c000003e syscall=257 success=no exit=-2 "
    "a0=ffffff9c a1=55d0c0ffee a2=0 a3=0 items=1 ppid=25347 pid=25350 auid=4294967295 "
    "uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 "
    "comm=\"sysloop\" exe=\"/work/build/helpers/sysloop\" key=\"procimage-4242\"";

static void test_syscall_record(void **state)
{
	struct audit_sc sc;
	(void)state;
	assert_int_equal(audit_parse_syscall(ok_rec, strlen(ok_rec), &sc), 0);
	assert_int_equal(sc.wall_ms, 1795388875072ull);
	assert_int_equal(sc.serial, 60032);
	assert_int_equal(sc.arch, SC_ARCH_X86_64);
	assert_int_equal(sc.nr, 257);
	assert_int_equal(sc.success, 0);
	assert_int_equal(sc.exit, -2);
	assert_int_equal(sc.args[0], 0xffffff9cull);
	assert_int_equal(sc.args[1], 0x55d0c0ffeeull);
	assert_int_equal(sc.pid, 25350);
	assert_int_equal(sc.ppid, 25347);
	assert_string_equal(sc.comm, "sysloop");
	assert_string_equal(sc.key, "procimage-4242");
	assert_string_equal(syscall_name(sc.arch, sc.nr), "openat");
}

static void test_hex_and_null(void **state)
{
	/* comm with a space is hex-encoded; key (null); i386 arch. */
	const char rec[] = "audit(1.5:7): arch=40000003 syscall=20 success=yes exit=99 "
			   "pid=99 comm=6D7920636F6D6D key=(null)";
	struct audit_sc sc;
	(void)state;
	assert_int_equal(audit_parse_syscall(rec, strlen(rec), &sc), 0);
	assert_string_equal(sc.comm, "my comm");
	assert_string_equal(sc.key, "");
	assert_int_equal(sc.arch, SC_ARCH_I386);
	assert_string_equal(syscall_name(sc.arch, sc.nr), "getpid");
	assert_int_equal(sc.wall_ms, 1005);
	assert_int_equal(sc.success, 1);
}

static void test_bad_records(void **state)
{
	struct audit_sc sc;
	const char *bad[] = {
	    "",
	    "audit(",
	    "audit(123.456:7): syscall=1 pid=2",	 /* no arch */
	    "audit(123.456:7): arch=c000003e pid=2",	 /* no syscall */
	    "audit(123.456:7): arch=c000003e syscall=1", /* no pid */
	    "type=CONFIG_CHANGE msg=audit(1:2): op=add_rule",
	    "audit(123.456:7): arch= syscall= pid=",
	    "audit(1:2): ===== arch",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(audit_parse_syscall(bad[i], strlen(bad[i]), &sc), 0);
	/* Truncated anywhere: never reads past len, never crashes. */
	for (size_t n = 0; n < sizeof(ok_rec) - 1; n++)
		audit_parse_syscall(ok_rec, n, &sc);
}

static void test_long_comm_truncated(void **state)
{
	const char rec[] = "audit(1.0:1): arch=c000003e syscall=0 pid=1 "
			   "comm=\"abcdefghijklmnopqrstuvwxyz\" key=\"procimage-1\"";
	struct audit_sc sc;
	(void)state;
	assert_int_equal(audit_parse_syscall(rec, strlen(rec), &sc), 0);
	assert_int_equal(strlen(sc.comm), 15);
	assert_int_equal(sc.success, -1);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(syscall_name(SC_ARCH_X86_64, 0), "read");
	assert_string_equal(syscall_name(SC_ARCH_X86_64, 110), "getppid");
	assert_string_equal(syscall_name(SC_ARCH_X86_64, 435), "clone3");
	assert_string_equal(syscall_name(SC_ARCH_X86_64, 462), "mseal");
	assert_string_equal(syscall_name(SC_ARCH_I386, 3), "read");
	assert_string_equal(syscall_name(SC_ARCH_I386, 162), "nanosleep");
	assert_null(syscall_name(SC_ARCH_X86_64, 100000));
	assert_null(syscall_name(SC_ARCH_X86_64, -1));
	assert_null(syscall_name(0x1234, 1));
	assert_int_equal(syscall_nr(SC_ARCH_X86_64, "openat"), 257);
	assert_int_equal(syscall_nr(SC_ARCH_I386, "openat"), 295);
	assert_int_equal(syscall_nr(SC_ARCH_X86_64, "no_such_call"), -1);
	assert_int_equal(syscall_native_arch(), SC_ARCH_X86_64);
}

static void test_keys(void **state)
{
	(void)state;
	assert_int_equal(audit_key_owner("procimage-1234"), 1234);
	assert_int_equal(audit_key_owner("procimage-"), -1);
	assert_int_equal(audit_key_owner("procimage-12x"), -1);
	assert_int_equal(audit_key_owner("procimage-0"), -1);
	assert_int_equal(audit_key_owner("diagprobe"), -1);
	assert_int_equal(audit_key_owner(""), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_syscall_record), cmocka_unit_test(test_hex_and_null),
	    cmocka_unit_test(test_bad_records),	   cmocka_unit_test(test_long_comm_truncated),
	    cmocka_unit_test(test_names),	   cmocka_unit_test(test_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
