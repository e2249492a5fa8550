/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Buffer parsers for the audit netlink stream (no I/O, unit-tested on
 * captured record text). A SYSCALL (1300) record's payload is
 *   audit(SECONDS.MS:SERIAL): arch=c000003e syscall=257 success=no exit=-2
 *   a0=... a1=... items=1 ppid=.. pid=.. ... comm="x" exe="/bin/x" key="k"
 * pid is the thread group id (audit never names the thread); the time is
 * wall clock in ms, and there is no duration. Untrusted strings (comm, key)
 * come quoted, or hex-encoded when they hold spaces, quotes or control bytes.
 */
#ifndef PROCIMAGE_AUDIT_PARSE_H
#define PROCIMAGE_AUDIT_PARSE_H

#include <stddef.h>
#include <stdint.h>

struct audit_sc {
	uint64_t wall_ms;
	uint64_t serial;
	uint32_t arch;
	int32_t nr;
	int8_t success; /* 1 yes, 0 no, -1 not given */
	int64_t exit;	/* return value; -errno on failure */
	uint64_t args[4];
	int32_t pid, ppid;
	char comm[16];
	char key[64]; /* "" when (null) */
};

/* "audit(1795388875.072:60032): ..." -> ms and serial. 0 or -EINVAL. */
int audit_parse_stamp(const char *buf, size_t len, uint64_t *wall_ms, uint64_t *serial);
/* Parse a SYSCALL record payload. 0, or -EINVAL when arch/syscall/pid are missing. */
int audit_parse_syscall(const char *buf, size_t len, struct audit_sc *out);
/* Copy an audit string value (quoted, hex or "(null)") into dst; "" for (null). */
void audit_parse_string(const char *val, size_t vlen, char *dst, size_t dstlen);

#endif
