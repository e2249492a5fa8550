#!/bin/bash
# PID reuse forced with kernel.ns_last_pid: a CPU-burning task A (python3)
# exits and a sleeping task B (sleep) is started under the same pid while
# resource, keytime, sched and migrate watch the host. No figure of A may
# be attributed to B: B's entry (if any) has its own start time and no CPU.
. "$(dirname "$0")/lib.sh"
need_root
[ -w /proc/sys/kernel/ns_last_pid ] || skip "kernel.ns_last_pid not writable (no CONFIG_CHECKPOINT_RESTORE?)"

for img in resource keytime sched migrate; do
	"$PROCIMAGE" $img -a -d 6s -f json >"$TMP/$img.json" 2>"$TMP/$img.err" &
	eval "P_$img=$!"
	on_exit "kill -9 $!"
done
sleep 1
# A says how much CPU it got (a crowded host gives it a fraction of 1.5 s).
/usr/bin/python3 -c 'import os, time
t = time.time()
while time.time() - t < 1.5: pass
r = os.times()
print("%.3f" % (r.user + r.system))' >"$TMP/a_cpu" &
A=$!
wait $A
# B under A's pid: retry when another task takes the pid first.
B=""
for _ in $(seq 50); do
	echo $((A - 1)) >/proc/sys/kernel/ns_last_pid
	sleep 2.5 &
	if [ $! = "$A" ]; then B=$!; break; fi
	# SIGKILL: a child killed before it execs is a copy of this shell, whose
	# TERM trap would run our cleanup (kill the runs, remove $TMP)
	kill -9 $! 2>/dev/null; wait $! 2>/dev/null
done
[ -n "$B" ] || fail "could not get pid $A again after 50 tries (a busy host?)"
on_exit "kill -9 $B"
ok "pid $A reused by sleep"
wait $B
for img in resource keytime sched migrate; do
	eval "wait \$P_$img" || { cat "$TMP/$img.err"; fail "$img exited $?"; }
done

# resource: A and B are two entries with different start times; B burnt nothing.
python3 - "$TMP/resource.json" "$A" "$(cat "$TMP/a_cpu")" <<'PY' || fail "resource attributed A to B"
import json, sys
d = json.load(open(sys.argv[1])); pid = int(sys.argv[2]); truth = float(sys.argv[3])
es = [t for t in d["tasks"] if t["pid"] == pid]
a = [t for t in es if t["comm"] == "python3"]
b = [t for t in es if t["comm"] == "sleep"]
print("entries for pid", pid, [(t["comm"], t.get("start_ticks"), t.get("cpu_pct")) for t in es])
assert a, "A (python3) missing"
assert a[0]["cpu_ns"] >= truth * 0.5e9, "A burnt %.3f s CPU, seen %s ns" % (truth, a[0]["cpu_ns"])
for t in b:
    assert t["start_ticks"] != a[0]["start_ticks"], "B has A's start time"
    assert (t["cpu_pct"] or 0) < 5, "B got A's CPU: %s" % t["cpu_pct"]
    assert (t.get("cpu_ns") or 0) < 2e7, "B got A's cpu_ns"
print("ok: resource: A %.2f s CPU, B %s" % (a[0]["cpu_ns"] / 1e9, [t["cpu_ns"] for t in b]))
PY
# keytime, sched, migrate: any object carrying pid A and comm sleep has no
# figure that only A could have (on-CPU time, runs, migrations of A).
for img in keytime sched migrate; do
	python3 - "$TMP/$img.json" "$A" "$img" <<'PY' || fail "$img attributed A to B"
import json, sys
d = json.load(open(sys.argv[1])); pid = int(sys.argv[2]); img = sys.argv[3]
bad = []
seen = []
def walk(o):
    if isinstance(o, dict):
        if o.get("pid") == pid or o.get("tgid") == pid:
            c = o.get("comm")
            seen.append(c)
            if c == "sleep":
                for k, v in o.items():
                    if isinstance(v, (int, float)) and not isinstance(v, bool) and \
                       any(s in k for s in ("oncpu", "cpu_ns", "cpu_pct", "run_ns", "longest", "migrations")) and v > 0.05 * (1e9 if k.endswith("_ns") else 100):
                        bad.append((k, v))
            if c not in (None, "sleep", "python3", "bash"):
                bad.append(("comm", c))
        for v in o.values(): walk(v)
    elif isinstance(o, list):
        for v in o: walk(v)
walk(d)
assert not bad, bad
print("ok: %s: no figure of A on B (entries for the pid: %s)" % (img, seen))
PY
done
exit 0
