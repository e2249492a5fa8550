#!/bin/bash
# procimage never leaves audit behind: after SIGINT, SIGTERM and SIGKILL of
# procimage mid-capture, the next start removes what a killed run left, and
# audit enabled/pid/backlog are as before. SIGINT still prints the report.
# A run without pid targets does not touch audit at all.
# One pass only: what it checks is the kernel's behaviour, a timing or a share
# (the sanitizer build adds run time, not coverage: other tests take the
# same code paths under ASan)
# once
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syscall_lib.sh"
need_audit

"$HELPERS/sysloop" 0 "$TMP/never" >"$TMP/w.out" & W=$!; on_exit "kill -9 $W"
for sig in INT TERM HUP KILL; do
	"$PROCIMAGE" syscall -p "$W" -d 60s -f json >"$TMP/j.$sig" 2>"$TMP/err.$sig" & P=$!
	on_exit "kill -9 $P"
	wait_rule "$W" $P || fail "SIG$sig: no rule appeared: $(cat "$TMP/err.$sig")"
	[ "$(audit_field enabled "$("$AUDITQ" status)")" = 1 ] || fail "SIG$sig: audit not enabled during the capture"
	kill -$sig $P
	wait $P; rc=$?
	if [ $sig = KILL ]; then
		# (Any procimage start removes it: another run on the host may have.)
		assert_cmp "$(our_rules $P)" "<=" 1 "SIGKILL leaves at most its rule (until the next start)"
		# The next start removes the dead run's rule and restores its state.
		"$PROCIMAGE" syscall -p "$W" -d 300ms -f json >"$TMP/j.next" 2>"$TMP/err.next" ||
			fail "next run exited $?: $(cat "$TMP/err.next")"
		assert_eq "$("$AUDITQ" rules | grep -c "key=procimage-$P\$")" 0 "the next start removed the dead run's rule"
	else
		assert_eq "$rc" 0 "exit status after SIG$sig"
		assert_eq "$(jget "$TMP/j.$sig" 'd["image"]')" syscall "report printed after SIG$sig"
	fi
	assert_eq "$(our_rules $P)" 0 "no rule of this run after SIG$sig"
	assert_eq "$(our_rules)" 0 "no rule of a dead run after SIG$sig"
	assert_restored
done

# No pid target (an unknown comm): audit is never touched.
"$PROCIMAGE" syscall --comm '^no-such-comm-xyz$' -d 1s -f json >"$TMP/j.none" 2>&1 & P=$!
sleep 0.5
assert_restored # during the run, not only after
wait $P
assert_eq "$(our_rules)" 0 "no rule for a run without processes"
assert_restored
# -a: audit refuses (per-process rules only) and leaves the state alone.
"$PROCIMAGE" syscall -a -d 200ms -f json >"$TMP/j.all" 2>&1 || fail "syscall -a exited $?"
assert_eq "$(jget "$TMP/j.all" 'd["sources"]["audit"]["status"]')" unavailable "audit unused with -a"
assert_restored
