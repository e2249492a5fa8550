/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: audit record text (audit_parse.c). Records are not
 * NUL-terminated on the netlink socket, so the input is passed as is. */
#include "fuzz_common.h"
#include "sources/audit_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	struct audit_sc sc;
	uint64_t ms, serial;
	char small[8], big[128];

	memcpy(buf, data, size);
	audit_parse_stamp(buf, size, &ms, &serial);
	memset(&sc, 0, sizeof(sc));
	audit_parse_syscall(buf, size, &sc);
	audit_parse_string(buf, size, small, sizeof(small));
	audit_parse_string(buf, size, big, sizeof(big));
	free(buf);
	return 0;
}
