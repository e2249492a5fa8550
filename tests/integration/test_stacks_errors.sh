#!/bin/bash
# Bad input exits 2 with a line that says how to fix it; a missing pid exits
# 3; ptrace refused (an unprivileged user against root's process) exits 1
# with what to change, while --kernel still works for what it can read.
. "$(dirname "$0")/lib.sh"
need_root

expect() { # RC PATTERN ARGS...
	local want=$1 pat=$2; shift 2
	"$PROCIMAGE" stacks "$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?
	[ $rc = "$want" ] || fail "stacks $*: exit $rc, expected $want ($(cat "$TMP/err"))"
	grep -q -- "$pat" "$TMP/err" || fail "stacks $*: message '$(cat "$TMP/err")' lacks '$pat'"
	ok "stacks $*: exit $rc: $(head -1 "$TMP/err")"
}
sleep 30 & S=$!; on_exit "kill $S"
expect 2 "no target" -d 1s
expect 2 "sampling rate" -p $S -F 0
expect 2 "sampling rate" -p $S -F 5000
expect 2 "every process" -a
expect 2 "exclude each other" -p $S --on-cpu --off-cpu
expect 2 "is unknown: use text, json" -p $S -f xml # prom, csv, html work: test_format_parity
expect 2 "drop -i" -p $S -i 10ms
expect 3 "no such process" -p 999999999 -d 500ms
assert_eq "$(awk '/^TracerPid/{print $2}' /proc/$S/status)" 0 "TracerPid of the refused target"

command -v setpriv >/dev/null || skip "setpriv missing"
nob() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all "$@"; }
nob true 2>/dev/null || skip "cannot switch to nobody"
nob "$PROCIMAGE" stacks -p $S -d 500ms >"$TMP/o" 2>"$TMP/e"; rc=$?
assert_eq "$rc" 1 "unprivileged user against root's process"
grep -q "CAP_SYS_PTRACE" "$TMP/e" || fail "no fix in: $(cat "$TMP/e")"
grep -q -- "--kernel" "$TMP/e" || fail "no --kernel hint in: $(cat "$TMP/e")"
ok "refused: $(head -1 "$TMP/e")"
assert_eq "$(awk '/^TracerPid/{print $2}' /proc/$S/status)" 0 "TracerPid after the refusal"
