#!/bin/bash
# `make bench`: run every bench/*.sh (each measures procimage and its peer in
# the same run), keep each full output in build/bench/<name>.log, and print
# ONE table: figure, procimage's value, the peer's value, the ratio, the goal.
#   bench/run.sh [NAME...]     (default: every bench/*.sh but run.sh and soak.sh)
#   bench/run.sh --table       the table again from the logs of the last run
# A script may print its own rows as
#   RESULT bench=B figure="F" value=V peer="P" peer_value=W ratio=R goal="G"
# otherwise its existing summary lines are parsed here (see bench/README.md).
set -u
cd "$(dirname "$0")/.."
OUT=build/bench
mkdir -p "$OUT"
table_only=0
[ "${1:-}" = --table ] && { table_only=1; shift; }
if [ $# -gt 0 ]; then names=("$@"); else
	names=()
	for f in bench/*.sh; do
		n=$(basename "$f" .sh)
		case $n in run | soak) continue ;; esac
		names+=("$n")
	done
fi
for n in "${names[@]}"; do
	if [ $table_only = 1 ]; then
		[ -f "$OUT/$n.log" ] && echo "$n 0 0" >>"$OUT/status.$$"
		continue
	fi
	t0=$(date +%s)
	echo "== bench/$n.sh ($(date -u +%H:%M:%S))" >&2
	bash "bench/$n.sh" >"$OUT/$n.log" 2>&1
	echo "$n $? $(($(date +%s) - t0))" >>"$OUT/status.$$"
done
python3 - "$OUT" "$OUT/status.$$" <<'PY'
import re, shlex, sys
out, status = sys.argv[1], sys.argv[2]
rows = []
def row(b, fig, v, peer, pv, ratio, goal):
    rows.append((b, fig, v, peer, pv, ratio, goal))
def f(rx, s, g=1, cast=float):
    m = re.search(rx, s, re.M)
    return cast(m.group(g)) if m else None
def num(x, fmt="%.3g"):
    return "-" if x is None else (fmt % x if isinstance(x, float) else str(x))
for line in open(status):
    name, rc, secs = line.split()
    s = open(f"{out}/{name}.log", errors="replace").read()
    own = [l for l in s.splitlines() if l.startswith("RESULT ")]
    if own:
        for l in own:
            kv = dict(x.split("=", 1) for x in shlex.split(l[7:]) if "=" in x)
            row(kv.get("bench", name), kv.get("figure", "?"), kv.get("value", "-"), kv.get("peer", "-"),
                kv.get("peer_value", "-"), kv.get("ratio", "-"), kv.get("goal", "-"))
    elif name == "resource":
        pa = f(r"per process-interval: pidstat ([\d.]+) us", s); pb = f(r"procimage resource ([\d.]+) us", s)
        r = f(r"ratio \(pidstat / procimage\): ([\d.]+)x", s)
        row(name, "CPU per process-interval, us (-a, 1 s)", num(pb), "pidstat -urdw", num(pa), num(r, "%.2fx") + " less", ">= 5x less")
    elif name == "sched":
        for m in re.finditer(r"^(\d+ x \d+ thr)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)x\s+([\d.]+)%", s, re.M):
            row(name, f"CPU per task-tick, ns ({m.group(1)}, {m.group(2)} tasks)", m.group(4),
                "pread loop (floor)", m.group(3), m.group(6) + "x the floor", "-")
            row(name, f"own CPU, % of one CPU at -i 10ms ({m.group(1)})", m.group(7), "-", "-", "-", "-")
    elif name == "keytime":
        for m in re.finditer(r"^(\d+)\s+\|\s+([\d.]+)/s.*?([\d.]+) us/ev \|\s+([\d.]+)/s.*?([\d.]+) us/ev \| forkstat/procimage = ([\d.na/]+)", s, re.M):
            row(name, f"CPU per fork event, us ({m.group(1)} workers, {m.group(2)} ev/s)", m.group(3),
                "forkstat -e all", m.group(5), m.group(6) + "x less", "-")
    elif name == "syscall":
        a = f(r"ratio strace slowdown / audit slowdown: ([\d.]+)x", s)
        au = f(r"^procimage audit capture\s+\S+\s+\S+\s+([-\d.]+)%", s)
        stc = f(r"^strace -c\s+\S+\s+\S+\s+([-\d.]+)%", s)
        row(name, "target slowdown (wall), audit, %", num(au, "%.0f"), "strace -c", num(stc, "%.0f"), num(a, "%.1fx") + " less", ">= 5x less")
        sp = f(r"sampling slowdown: ([-\d.]+) %", s)
        row(name, "target slowdown, sampling, %", num(sp), "-", "-", "-", "< 2 %")
    elif name == "stacks":
        p = f(r"procimage stacks at 49 Hz: ([-+\d.]+)%", s); q = f(r"perf record -F 49 -g:\s+([-+\d.]+)%", s)
        row(name, "workload slowdown at 49 Hz, %", num(p), "perf record -F 49 -g", num(q), "-", "< 5 %")
    elif name == "store":
        c = f(r"ratio ([\d.]+)x \(goal < 1.5x\)", s)
        row(name, "own CPU, recording / sampling only", num(c, "%.2fx"), "-", "-", "-", "< 1.5x")
        d = f(r"a day at 1 Hz for 500 tasks:\s+(\d+) MiB", s)
        row(name, "a day of 500 tasks at 1 Hz, MiB", num(d), "-", "-", "-", "< 1024")
        r = f(r"vs pidstat file: ([\d.]+)x the bytes", s)
        row(name, "bytes per task-sample (record, everything)", "-", "pidstat file", "-", num(r, "%.2fx") + " the peer's", "-")
    elif name == "watch":
        w = f(r"procimage watch: [\d.]+ s CPU in \d+ s = ([\d.]+)% of one CPU", s)
        p = f(r"pidstat -u -p ALL 2: [\d.]+ s CPU = ([\d.]+)% of one CPU", s)
        r = p / w if w and p else None
        row(name, "own CPU, % of one CPU (all processes)", num(w), "pidstat -u -p ALL 2", num(p), num(r, "%.2fx") + " less", "< 1 %")
    if int(rc) != 0 or not any(x[0] == name for x in rows):
        tail = [l for l in s.splitlines() if l.strip()][-1:] or ["(no output)"]
        row(name, f"(exit {rc}, {secs} s; see {out}/{name}.log)", "-", "-", "-", "-", tail[0][:60])
hdr = ("bench", "figure", "procimage", "peer", "peer value", "ratio", "goal")
w = [max(len(str(r[i])) for r in rows + [hdr]) for i in range(7)]
fmt = " | ".join("%%-%ds" % x for x in w)
print(fmt % hdr)
print("-+-".join("-" * x for x in w))
for r in rows:
    print(fmt % tuple(map(str, r)))
PY
echo "ratio: 'Nx less' = the peer spends N times what procimage does; full logs in $OUT/"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
rm -f "$OUT/status.$$"
