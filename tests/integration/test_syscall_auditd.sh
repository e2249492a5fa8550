#!/bin/bash
# When another process (auditd) owns the audit pid, procimage reads through
# the multicast group only and changes no setting: counts are still exact,
# the owner stays registered, enabled/backlog are untouched; and a reader
# that would need the audit pid is refused with the reason.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syscall_lib.sh"
need_audit
[ "$(audit_field pid "$("$AUDITQ" status)")" = 0 ] || skip "the audit pid is already owned here"
others_active && skip "another procimage run holds audit"

"$AUDITQ" enable 1 || fail "enable audit"
"$AUDITQ" hold >"$TMP/hold" & H=$!; on_exit "kill $H; wait $H"
for _ in $(seq 100); do grep -q held "$TMP/hold" && break; sleep 0.02; done
grep -q held "$TMP/hold" || fail "the stand-in auditd could not register"
S1=$(audit_core)
assert_eq "$(audit_field pid "$S1")" "$H" "stand-in auditd owns the audit pid"

"$HELPERS/sysloop" 200 >"$TMP/sl" & SL=$!; on_exit "kill -9 $SL"
wait_sigwait $SL
"$PROCIMAGE" syscall -p $SL -d 60s --source audit -f json >"$TMP/j" 2>"$TMP/err" & P=$!
on_exit "kill -9 $P"
wait_rule $SL $P || fail "no rule appeared: $(cat "$TMP/err")"
assert_eq "$(audit_core)" "$S1" "settings untouched during the capture"
kill -USR1 $SL; wait $SL
wait $P || fail "procimage exited $?: $(cat "$TMP/err")"
jget "$TMP/j" "d['sources']['audit']"
case "$(jget "$TMP/j" 'd["sources"]["audit"]["reason"]')" in
*multicast*) ok "multicast reader" ;;
*) fail "expected the multicast reader" ;;
esac
if [ "$(jget "$TMP/j" 'd["sources"]["audit"]["lost"]')" = 0 ]; then
	assert_eq "$(jget "$TMP/j" "[s['count'] for s in d['syscalls'] if s['name']=='getppid'][0]")" 10000 "getppid exact beside auditd"
fi
assert_eq "$(our_rules $P)" 0 "our rule removed"
assert_eq "$(audit_core)" "$S1" "auditd still registered, settings as they were"

# Without multicast the only way would be the audit pid: refused, with why.
"$HELPERS/sysloop" 0 "$TMP/never" >/dev/null & W=$!; on_exit "kill -9 $W"
PROCIMAGE_AUDIT_READER=unicast "$PROCIMAGE" syscall -p $W -d 300ms --source audit >"$TMP/o" 2>"$TMP/e"
assert_eq "$?" 1 "--source audit refused when the audit pid is taken"
grep -q "owns audit" "$TMP/e" || fail "reason not given: $(cat "$TMP/e")"
ok "reason: $(cat "$TMP/e")"
assert_eq "$(audit_core)" "$S1" "nothing changed by the refused run"
