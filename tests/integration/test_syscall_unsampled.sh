#!/bin/bash
# syscall: no figure where nothing was measured.
#  - --source audit samples nothing: blocked/running time are null with why,
#    never "blocked in syscalls 0.0 ms (sampled)";
#  - --source auto: a read() that began before the rule and never returns
#    has no audit record: its count is null (in-call), not an exact 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syscall_lib.sh"
need_audit
on_exit audit_restore

# blocked in read() on a pipe nobody writes, from before the run to its end
python3 -c "import os; r, w = os.pipe(); print(os.getpid(), flush=True); os.read(r, 1)" >"$TMP/pid" &
on_exit "kill $!"
for _ in $(seq 50); do [ -s "$TMP/pid" ] && break; sleep 0.1; done
R=$(cat "$TMP/pid")
sleep 0.3

"$PROCIMAGE" syscall -p "$R" -d 1s --source audit -f json >"$TMP/a" 2>"$TMP/err" || fail "audit run exited $? ($(cat "$TMP/err"))"
"$PROCIMAGE" syscall -p "$R" -d 1s --source audit >"$TMP/at" 2>>"$TMP/err" || fail "audit text run"
"$PROCIMAGE" syscall -p "$R" -d 1s --source auto -f json >"$TMP/b" 2>>"$TMP/err" || fail "auto run exited $?"

grep -q "blocked in syscalls 0.0 ms (sampled)" "$TMP/at" && fail "audit mode claims a sampled 0.0 ms"
python3 - "$TMP/a" "$TMP/b" <<'PY' || fail "unmeasured figures shown as measured"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
bad = 0
def check(ok, msg):
    global bad
    print(("ok: " if ok else "FAIL: ") + msg)
    bad += not ok
t = a["time"]
check(t["blocked_in_syscalls_ns"] is None and t["running_sampled_ns"] is None,
      f"audit: no sampled time ({t['blocked_in_syscalls_ns']}, {t['running_sampled_ns']})")
check(bool(t.get("time_why")), f"audit: says why: {t.get('time_why')}")
rows = [r for r in b["syscalls"] if r["name"] == "read"]
check(len(rows) == 1, "auto: the blocked read is listed (sampled)")
if b["counts_exact"] and rows:
    r = rows[0]
    check(r["count"] is None and r["exact"] is False,
          f"auto: read count {r['count']} exact {r['exact']}: the call began before the rule")
    check(bool(r.get("count_why")), f"auto: says why: {r.get('count_why')}")
else:
    print("note: auto mode fell back to sampling here: counts not exact, nothing to check")
sys.exit(1 if bad else 0)
PY
ok "unsampled time and an in-call count are null"
