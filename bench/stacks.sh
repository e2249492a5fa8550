#!/bin/bash
# bench/stacks.sh: what user+kernel stack sampling costs the target, and how
# fast it can sample, against perf in the same run (issue #9).
#  1. Slowdown: a CPU-bound workload (tests/helpers/stack_7030 --work N, fixed
#     work) timed alone, under `procimage stacks` at the default 49 Hz, and
#     under `perf record -F 49 -g` (cpu-clock where there is no PMU); rounds
#     interleaved, medians compared. Goal: under 5% at the default rate.
#  2. Rate: samples per second procimage achieves at -F 1000 on one busy
#     thread, the time each sample holds the target stopped, procimage's own
#     CPU; perf record -F 1000 -g side by side.
# usage: bench/stacks.sh [ROUNDS] [WORK_UNITS]   (default 5 rounds, 10000 units)
set -u
cd "$(dirname "$0")/.."
ROUNDS=${1:-5} WORK=${2:-10000}
PROCIMAGE=${PROCIMAGE:-build/procimage}
HELPER=${HELPER:-build/helpers/stack_7030}
[ -x "$PROCIMAGE" ] && [ -x "$HELPER" ] || { echo "build first: make all helpers"; exit 1; }
TMP=$(mktemp -d /tmp/procimage-bench.XXXXXX)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
PERF=$(command -v perf || true)
if [ -n "$PERF" ] && ! "$PERF" record -F 49 -g -o "$TMP/probe.data" -- true >/dev/null 2>&1; then
	echo "perf is installed but may not record here: perf columns skipped"
	PERF=""
fi
echo "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"

one() { # MODE -> "wall cpu" of the workload
	"$HELPER" --start-after 300 --work "$WORK" >"$TMP/w.out" & local w=$!
	case "$1" in
	procimage) "$PROCIMAGE" stacks -p "$w" -d 600s -f folded -o "$TMP/p.folded" 2>/dev/null & local s=$! ;;
	perf) "$PERF" record -F 49 -g -p "$w" -o "$TMP/perf.data" >/dev/null 2>&1 & local s=$! ;;
	esac
	wait "$w"
	[ "$1" = plain ] || { kill -INT "$s" 2>/dev/null; wait "$s" 2>/dev/null; }
	cat "$TMP/w.out"
}

modes="plain procimage"
[ -n "$PERF" ] && modes="$modes perf"
for ((r = 1; r <= ROUNDS; r++)); do
	for m in $modes; do
		echo "$m $(one "$m")" >>"$TMP/times"
	done
	echo "round $r: $(tail -n "$(echo $modes | wc -w)" "$TMP/times" | tr '\n' ' ')"
done

# Stop time at the default rate: how long each sample holds the thread.
"$HELPER" >/dev/null & B0=$!; pids+=($B0); sleep 0.3
"$PROCIMAGE" stacks -p "$B0" -d 5s -f json -o "$TMP/r49.json" 2>/dev/null
kill "$B0"

# Rate: one busy thread, 1000 Hz asked, 5 s.
"$HELPER" >/dev/null & B=$!; pids+=($B); sleep 0.3
"$PROCIMAGE" stacks -p "$B" -F 1000 -d 5s -f json -o "$TMP/rate.json" --stats 2>"$TMP/rate.err"
rate_perf=""
if [ -n "$PERF" ]; then
	"$PERF" record -F 1000 -g -p "$B" -o "$TMP/perf1k.data" -- sleep 5 2>"$TMP/perf1k.err" >/dev/null
	rate_perf=$(grep -o '([0-9]* samples)' "$TMP/perf1k.err" | grep -o '[0-9]*')
fi
grep 'own CPU' "$TMP/rate.err"
python3 - "$TMP/times" "$TMP/rate.json" "${rate_perf:-}" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    m, wall, cpu = line.split()
    rows.setdefault(m, []).append((float(wall), float(cpu)))
base = statistics.median(w for w, _ in rows["plain"])
print(f"\nworkload wall time, median of {len(rows['plain'])} rounds (fixed work):")
for m, v in rows.items():
    med = statistics.median(w for w, _ in v)
    cpu = statistics.median(c for _, c in v)
    note = "" if m == "plain" else f"  slowdown {100 * (med / base - 1):+.1f}%"
    print(f"  {m:10s} {med:8.3f} s wall, {cpu:6.3f} s CPU{note}")
if "procimage" in rows:
    s = 100 * (statistics.median(w for w, _ in rows["procimage"]) / base - 1)
    print(f"procimage stacks at 49 Hz: {s:+.1f}% ({'meets' if s < 5 else 'MISSES'} the 5% goal)")
if "perf" in rows and "procimage" in rows:
    sp = statistics.median(w for w, _ in rows["perf"]) / base - 1
    print(f"perf record -F 49 -g:      {100 * sp:+.1f}%")
import re
d49 = json.load(open(sys.argv[2].replace("rate.json", "r49.json")))
m = re.search(r"held stopped (\d+) us", d49["sources"]["ptrace"].get("reason", ""))
if m:
    held = int(m.group(1))
    print(f"at 49 Hz each sample held the thread stopped {held} us: "
          f"{held * 49 / 1e4:.2f}% of its time (the direct cost; wall times above include host noise)")
d = json.load(open(sys.argv[2]))
rate = d["samples"] / d["duration_s"]
print(f"\nsampling at -F 1000 on one busy thread: {rate:.0f} samples/s achieved")
print("  ptrace:", d["sources"]["ptrace"].get("reason", ""))
if sys.argv[3]:
    print(f"perf record -F 1000 -g: {int(sys.argv[3]) / 5:.0f} samples/s")
PY
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at end (a loaded host inflates every wall time)"
