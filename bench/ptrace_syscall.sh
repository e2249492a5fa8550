#!/bin/bash
# bench/ptrace_syscall.sh: what the on-CPU syscall sampler (ptrace, attached
# only for each sample; sources/ptrace_syscall.c) costs the target, against
# `perf record` at the same rate in the same run (issue #15).
#  1. Slowdown: a CPU-bound workload of fixed work (tests/helpers/stack_7030
#     --work N) timed alone, under `procimage syscall -p PID --source sample`
#     (the sampler at its default 50 samples/s per running thread; audit left
#     out, it has its own cost) and under `perf record -F 50 -p PID`; rounds
#     interleaved, medians compared. Goal: < 0.5% at 50 samples/s.
#  2. Hold time: how long each sample holds the thread (interrupt to detach,
#     and from the stop seen), from the sampler's own accounting.
# usage: bench/ptrace_syscall.sh [ROUNDS] [WORK_UNITS]  (default 7 rounds, 10000 units)
set -u
cd "$(dirname "$0")/.."
ROUNDS=${1:-7} WORK=${2:-10000}
PROCIMAGE=${PROCIMAGE:-build/procimage}
HELPER=${HELPER:-build/helpers/stack_7030}
[ -x "$PROCIMAGE" ] && [ -x "$HELPER" ] || { echo "build first: make all helpers"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "run as root (ptrace of the workload, perf)"; exit 1; }
TMP=$(mktemp -d /tmp/procimage-bench.XXXXXX)
cleanup() { wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
PERF=$(command -v perf || true)
if [ -n "$PERF" ] && ! "$PERF" record -F 50 -o "$TMP/probe.data" -- true >/dev/null 2>&1; then
	echo "perf is installed but may not record here: perf columns skipped"
	PERF=""
fi
echo "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"

one() { # MODE -> "wall cpu" of the workload
	"$HELPER" --start-after 300 --work "$WORK" >"$TMP/w.out" & local w=$!
	case "$1" in
	procimage) "$PROCIMAGE" syscall -p "$w" -d 600s --source sample -f json \
		-o "$TMP/p.json" 2>/dev/null & local s=$! ;;
	perf) "$PERF" record -F 50 -p "$w" -o "$TMP/perf.data" >/dev/null 2>&1 & local s=$! ;;
	esac
	wait "$w"
	[ "$1" = plain ] || { kill -INT "$s" 2>/dev/null; wait "$s" 2>/dev/null; }
	[ "$1" = procimage ] && python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['sources']['ptrace']['reason'])" "$TMP/p.json" >>"$TMP/reasons"
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

python3 - "$TMP/times" "$TMP/reasons" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    m, wall, cpu = line.split()
    rows.setdefault(m, []).append((float(wall), float(cpu)))
base = statistics.median(w for w, _ in rows["plain"])
print(f"\nworkload wall time, median of {len(rows['plain'])} rounds (fixed work):")
for m, v in rows.items():
    med = statistics.median(w for w, _ in v)
    cpu = statistics.median(c for _, c in v)
    note = "" if m == "plain" else f"  slowdown {100 * (med / base - 1):+.2f}%"
    print(f"  {m:10s} {med:8.3f} s wall, {cpu:6.3f} s CPU{note}")
s = 100 * (statistics.median(w for w, _ in rows["procimage"]) / base - 1)
print(f"procimage on-CPU syscall samples at 50/s: {s:+.2f}% ({'meets' if s < 0.5 else 'MISSES'} the 0.5% goal)")
peer = None
if "perf" in rows:
    peer = 100 * (statistics.median(w for w, _ in rows["perf"]) / base - 1)
    print(f"perf record -F 50:                        {peer:+.2f}%")
held, seen = [], []
for line in open(sys.argv[2]):
    m = re.search(r"held (\d+) us each \(interrupt to detach; (\d+) us after the stop", line)
    if m:
        held.append(int(m.group(1)))
        seen.append(int(m.group(2)))
if held:
    h = statistics.median(held)
    print(f"each sample held the thread {h:.0f} us from interrupt to detach ({statistics.median(seen):.0f} us "
          f"from the stop seen), median of rounds: at 50/s at most {h * 50 / 1e4:.2f}% of its time")
    print(f"RESULT bench=ptrace_syscall figure=\"hold per sample, us (interrupt to detach)\" value={h:.0f} "
          f"peer=\"-\" peer_value=- ratio=- goal=\"-\"")
print(f"RESULT bench=ptrace_syscall figure=\"workload slowdown at 50 samples/s, %\" value={s:.2f} "
      f"peer=\"perf record -F 50\" peer_value={'-' if peer is None else f'{peer:.2f}'} "
      f"ratio=- goal=\"< 0.5%\"")
PY
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at end (a loaded host inflates every wall time)"
