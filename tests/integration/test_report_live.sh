#!/bin/bash
# report tells the live story (issue 16 items 2 and 3). A host-wide
# `record` runs beside a live `exits` (every process) and a live
# `keytime -p BASH --children` while BASH runs 40 children that exit with
# known codes and one killed by SIGKILL. Replaying the recording through
# each image gives, for that workload, what the live image gave: every
# child's exit with the same cause and code, the same fork / exec / exit
# events of the tree at the same times. Then the replay runs in a time
# namespace whose monotonic clock is 10 days ahead: the times must still
# be the live ones (the recording's own wall/monotonic pair is used).
# once
. "$(dirname "$0")/lib.sh"
need_root

# The children's pids go to a file once each has ended: the checks are
# about them only (the host runs other things).
cat >"$TMP/wl.sh" <<'SH'
#!/bin/bash
sleep 2
for ((i = 1; i <= 40; i++)); do /bin/sh -c "exit $((i % 5))" & wait $!; echo $! >>"$1"; done
sleep 30 & k=$!; read -rt 0.2 <> <(:); kill -9 $k; wait $k; echo $k >>"$1"
SH
chmod +x "$TMP/wl.sh"
"$TMP/wl.sh" "$TMP/kids" &
B=$!
on_exit "kill -9 $B"
"$PROCIMAGE" record -o "$TMP/r.db" -d 12s >/dev/null 2>"$TMP/rec.err" &
R=$!
"$PROCIMAGE" exits -d 12s -f json >"$TMP/ex.json" 2>"$TMP/ex.err" &
E=$!
"$PROCIMAGE" keytime -p $B --children -d 12s -f json >"$TMP/kt.json" 2>"$TMP/kt.err" &
K=$!
wait $R || fail "record exited $? ($(cat "$TMP/rec.err"))"
wait $E || fail "exits exited $? ($(cat "$TMP/ex.err"))"
wait $K || fail "keytime exited $? ($(cat "$TMP/kt.err"))"
"$PROCIMAGE" report "$TMP/r.db" exits -f json >"$TMP/rex.json" || fail "report exits exited $?"
"$PROCIMAGE" report "$TMP/r.db" keytime -p $B --children -f json >"$TMP/rkt.json" ||
	fail "report keytime exited $?"

compare() { # LIVE_EXITS LIVE_KEYTIME REPLAY_EXITS REPLAY_KEYTIME WHAT KIDS
	python3 - "$@" <<'PY' || fail "$5: the replay does not tell the live story"
import json, sys
from datetime import datetime
def wall(s):  # RFC 3339 to seconds
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
ex, kt, rex, rkt = (json.load(open(f)) for f in sys.argv[1:5])
what = sys.argv[5]
kids = {int(l) for l in open(sys.argv[6])}
assert len(kids) == 41, ("the workload ran its 41 children", len(kids))
t0 = min(e["t_ns"] for e in kt["events"] if e["type"] == "fork" and e["child_pid"] in kids)
t1 = max(e["t_ns"] for e in kt["events"] if e["type"] == "exit" and e["pid"] in kids)
def exits(d):  # pids are reused fast on a busy host: the workload's time only
    return {e["pid"]: (e["cause"], e["exit_code"], e["signal"], e["time"])
            for e in d["exits"] if e["pid"] in kids and t0 <= e["t_ns"] <= t1 + 10**9}
a, b = exits(ex), exits(rex)
assert len(a) == len(kids), ("live exits listed every child", len(a), len(kids),
                             [e for e in kt["events"] if e["type"] == "exit" and e["pid"] not in a])
codes = sorted(v[1] for v in a.values() if v[1] is not None)
assert codes.count(0) >= 8 and codes.count(4) == 8 and [v for v in a.values() if v[2] == 9], a
for p in sorted(kids):
    assert a[p][:3] == b.get(p, (None,))[:3], ("exit of", p, "live", a[p], "replayed", b.get(p))
    # Wall times: the live process and the recorder each read the clocks
    # once (a few us apart); a clock offset error is days.
    assert abs(wall(a[p][3]) - wall(b[p][3])) < 0.002, ("time of", p, a[p][3], b[p][3])
def events(d):
    return sorted((e["type"], e["pid"], e["t_ns"], e.get("exit_code"), e["time"])
                  for e in d["events"] if e["type"] in ("fork", "exec", "exit") and e["t_ns"] >= t0
                  and (e["pid"] in kids or e.get("child_pid") in kids))
la, lb = events(kt), events(rkt)
for x, y in zip(la, lb):
    assert abs(wall(x[4]) - wall(y[4])) < 0.002, ("time of", x, y)
la, lb = [e[:4] for e in la], [e[:4] for e in lb]
n = {t: sum(1 for e in la if e[0] == t) for t in ("fork", "exec", "exit")}
assert n["fork"] == 41 and n["exec"] >= 40 and n["exit"] == 41, n
assert la == lb, ("keytime events differ", sorted(set(la) ^ set(lb))[:6])
print("ok: %s: %d exits of the workload's children and %s keytime events of its tree, "
      "same as live, same times" % (what, len(a), n))
PY
}
compare "$TMP/ex.json" "$TMP/kt.json" "$TMP/rex.json" "$TMP/rkt.json" "report" "$TMP/kids"

# The same replay where CLOCK_MONOTONIC is 10 days ahead.
if unshare --time --monotonic 864000 --fork true 2>/dev/null; then
	unshare --time --monotonic 864000 --fork "$PROCIMAGE" report "$TMP/r.db" exits -f json \
		>"$TMP/rex10.json" || fail "report exits in a time namespace"
	unshare --time --monotonic 864000 --fork "$PROCIMAGE" report "$TMP/r.db" keytime -p $B \
		--children -f json >"$TMP/rkt10.json" || fail "report keytime in a time namespace"
	compare "$TMP/ex.json" "$TMP/kt.json" "$TMP/rex10.json" "$TMP/rkt10.json" \
		"report in a time namespace (monotonic +10 days)" "$TMP/kids"
else
	echo "note: no time namespaces here (unshare --time): the clock-offset half is not run"
fi
