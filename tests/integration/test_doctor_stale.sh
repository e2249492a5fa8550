#!/bin/bash
# once
# doctor reports (and undoes, as every start does) what dead runs of ours
# left, and never touches what a live run holds:
#  - a rule keyed procimage-<dead pid> that no file announces (a run of an
#    older version) is found by listing the rules, removed and reported;
#  - a session file whose pid is alive but whose start time differs (the pid
#    was reused by another process) is stale: removed and reported;
#  - the rule and session files of a live procimage run stay.
# Only rules keyed with pids this test made are looked at.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syscall_lib.sh"
need_audit
RUN=/run/procimage

sleep 60 & T=$!; on_exit "kill -9 $T"
# A live run of ours (started first: its own start would clean what is
# planted below): its rule and files must stay.
"$PROCIMAGE" syscall -p $T -d 60s --source audit -f json >/dev/null 2>"$TMP/live.err" & L=$!
on_exit "kill -9 $L"
wait_rule $T $L || fail "the live run added no rule: $(cat "$TMP/live.err")"
# A dead pid: a process that ran and is gone.
sleep 0 & D=$!; wait $D
[ -e /proc/$D ] && skip "pid $D already reused"
on_exit "\"$AUDITQ\" delkey procimage-$D"
"$AUDITQ" addrule $T "procimage-$D" || fail "cannot plant a rule"
assert_eq "$("$AUDITQ" rules | grep -c "pid=$T .*key=procimage-$D\$")" 1 "planted rule keyed with dead pid $D"

# A reused pid: the live sleep T owns the pid, not the run the file names.
mkdir -p "$RUN/rules" && chmod 700 "$RUN" "$RUN/rules"
echo "key=procimage-$T start=1 pidns=$(stat -Lc %i /proc/self/ns/pid)" >"$RUN/rules/$T"
on_exit "rm -f $RUN/rules/$T"


"$PROCIMAGE" doctor -f json >"$TMP/d.json" 2>"$TMP/err" || fail "doctor exited $?: $(cat "$TMP/err")"
python3 - "$TMP/d.json" "$D" "$T" "$L" <<'PY' || fail "doctor's leftovers"
import json, sys
d = json.load(open(sys.argv[1], "rb"))
dead, target, live = map(int, sys.argv[2:])
by = {}
for l in d["leftovers"]:
    by.setdefault(l["owner_pid"], []).append(l)
print("leftovers:", json.dumps(by, indent=1))
r = by.get(dead)
assert r and r[0]["undone"] and f"pid {target}" in r[0]["what"], r
assert by.get(target) and by[target][0]["undone"], by.get(target)
assert live not in by, by[live]
PY
ok "doctor reported the unannounced rule and the reused pid's file, not the live run"
assert_eq "$("$AUDITQ" rules | grep -c "key=procimage-$D\$")" 0 "the dead pid's rule is gone"
[ -e "$RUN/rules/$T" ] && fail "the reused pid's file is still there"
ok "the reused pid's file is gone"
assert_eq "$("$AUDITQ" rules | grep -c "pid=$T .*key=procimage-$L\$")" 1 "the live run's rule stays"
[ -e "$RUN/rules/$L" ] || fail "the live run's announcement was removed"
ok "the live run's announcement stays"
kill -TERM $L; wait $L
assert_eq "$("$AUDITQ" rules | grep -c "key=procimage-$L\$")" 0 "the live run removed its rule at its end"
"$PROCIMAGE" doctor >"$TMP/d.txt" || fail "doctor exited $?"
grep -q "^left by killed procimage runs: nothing" "$TMP/d.txt" ||
	grep -q "^left by killed procimage runs:" "$TMP/d.txt" || fail "no leftovers section in text"
ok "text: $(grep -A3 '^left by killed' "$TMP/d.txt" | head -4 | tr '\n' '|')"
assert_restored
