#!/bin/bash
# unprivileged
# once
# The syscall tables are generated (tools/gen_syscall_tables.sh): the committed
# src/core/syscall_tables.h must be what the script writes from this host's
# kernel uapi headers, and the names a few well-known numbers resolve to must
# be the kernel's.
. "$(dirname "$0")/lib.sh"
INC=/usr/include/x86_64-linux-gnu
[ -f "$INC/asm/unistd_64.h" ] || skip "no $INC/asm/unistd_64.h (linux-libc-dev on x86_64)"
"$ROOT/tools/gen_syscall_tables.sh" "$INC" >"$TMP/tables.h" || fail "the generator failed"
diff -u "$ROOT/src/core/syscall_tables.h" "$TMP/tables.h" >"$TMP/diff" ||
	fail "src/core/syscall_tables.h is not what tools/gen_syscall_tables.sh writes: $(head -20 "$TMP/diff")"
ok "syscall_tables.h matches its generator"
for pair in 0:read 9:mmap 39:getpid 110:getppid 231:exit_group 435:clone3 462:mseal; do
	nr=${pair%%:*} name=${pair#*:}
	grep -qx "    \[$nr\] = \"$name\"," "$TMP/tables.h" || fail "x86_64 $nr is not $name"
	grep -qE "^#define __NR_$name $nr\$" "$INC/asm/unistd_64.h" ||
		[ "$nr" -gt 450 ] || fail "the header does not give $name = $nr"
done
ok "well-known numbers resolve to the kernel's names"
# map_shadow_stack (453) is x86_64's alone
awk '/i386_names/,/^};/' "$TMP/tables.h" | grep -q '\[453\]' && fail "i386 table has 453"
ok "i386 has no 453"
