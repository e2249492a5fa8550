#!/bin/bash
# unprivileged
# -p TID of a thread that is not the leader selects that one thread (SPEC):
# its row carries its tid and its own CPU, faults and switches, not the
# whole process's. Ground truth: a process with a spinning thread and a
# sleeping thread; each thread's own row must show only what it did.
. "$(dirname "$0")/lib.sh"

python3 -c '
import threading, time, os
ids = {}
def spin():
    ids["spin"] = threading.get_native_id()
    t = time.time()
    while time.time() - t < 20: pass
def nap():
    ids["nap"] = threading.get_native_id()
    time.sleep(20)
for f in (nap, spin):  # the spinner last: it holds the GIL
    threading.Thread(target=f, daemon=True).start()
while len(ids) < 2: time.sleep(0.01)
os.write(1, b"%d %d\n" % (ids["spin"], ids["nap"]))  # one write: print() may write in pieces
time.sleep(20)' >"$TMP/ids" &
P=$!
on_exit "kill $P"
SPIN='' NAP=''
for _ in $(seq 300); do
	read -r SPIN NAP <"$TMP/ids" && [ -n "$NAP" ] && break
	sleep 0.1
done
[ -n "$NAP" ] || fail "workload did not start"

"$PROCIMAGE" resource -p "$NAP" -d 1s -i 100ms -f json >"$TMP/nap.json" || fail "resource -p NAP exited $?"
"$PROCIMAGE" resource -p "$SPIN" -d 1s -i 100ms -f json >"$TMP/spin.json" || fail "resource -p SPIN exited $?"
"$PROCIMAGE" resource -p "$P" -d 1s -i 100ms -f json >"$TMP/proc.json" || fail "resource -p PID exited $?"

python3 - "$TMP" "$P" "$SPIN" "$NAP" <<'PY' || fail "a -p TID row is not that thread's"
import json, sys
d, pid, spin, nap = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def rows(name):
    return json.load(open("%s/%s.json" % (d, name)))["tasks"]
n, s, p = rows("nap"), rows("spin"), rows("proc")
assert len(n) == 1 and len(s) == 1 and len(p) == 1, (n, s, p)
n, s, p = n[0], s[0], p[0]
for r, tid in ((n, nap), (s, spin)):
    assert r["pid"] == pid and r.get("tid") == tid, "row %s/%s, want %d/%d" % (r["pid"], r.get("tid"), pid, tid)
assert "tid" not in p, "the whole process has no tid: %s" % p.get("tid")
# The sleeping thread did nothing: neither its CPU nor its user ticks may be
# the spinner's (the bug: the process's stat was read for it).
assert n["cpu_pct"] < 5 and n["user_pct"] < 5, "sleeping thread shows %s%% CPU, %s%% user" % (n["cpu_pct"], n["user_pct"])
# The spinner is on a CPU or waiting for one all the time.
busy = s["cpu_pct"] + s["runq_wait_ns"] / 1e7 / s["seen_s"]
assert busy > 80, "spinner busy %.1f%%" % busy
assert s["user_pct"] > 5, "spinner user %.1f%%" % s["user_pct"]
print("ok: nap %.1f%% CPU, spin %.1f%% CPU (+ waiting: %.1f%%), process %.1f%%" % (n["cpu_pct"], s["cpu_pct"], busy, p["cpu_pct"]))
PY
ok "-p TID selects one thread"
