#!/bin/bash
# Benchmark: CPU cost of the sched tier (procimage sched -a, host-wide, the
# cheap tier for every process plus per-thread schedstat for processes whose
# CPU grew) per task-sample, with 2,000 extra sleeping threads on the host at
# 100 Hz, against the floor measured in the same run: one pread of
# /proc/<pid>/task/<tid>/schedstat per task per pass with every fd kept open.
# Two layouts of the 2,000 sleepers: one process of 2,000 threads, and 2,000
# single-thread processes (the cheap tier reads one stat per process, so the
# second is its worst case). A task-sample = one task covered in one pass.
# usage: bench/sched.sh [SECONDS]   (default 10; run on an otherwise quiet host)
set -eu
cd "$(dirname "$0")/.."
SECS=${1:-10}
make -s -j2 build/procimage helpers >/dev/null
TMP=$(mktemp -d /tmp/procimage-bench.XXXXXX)
trap 'kill $SL 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT
SL=
cc -O2 -o "$TMP/floor" bench/sched_floor.c

printf '%-22s %6s %11s %13s %13s %11s %7s\n' layout tasks "floor ns" "tier ns" "process ns" "tier/floor" "CPU %"
for layout in "1 2000" "2000 1"; do
	set -- $layout
	build/helpers/sleepers "$1" "$2" $((3 * SECS + 30)) >"$TMP/ready" &
	SL=$!
	for _ in $(seq 300); do grep -q ready "$TMP/ready" && break; sleep 0.1; done
	sleep 1
	tasks=$(ls -d /proc/[0-9]*/task/[0-9]* 2>/dev/null | wc -l)
	build/procimage sched -a -d "${SECS}s" -i 10ms --stats -f json -o "$TMP/j" 2>"$TMP/stats"
	floor=$("$TMP/floor" "$SECS" 10 | sed -n 's/.*ns_per_sample \([0-9.]*\).*/\1/p')
	python3 - "$TMP/stats" "$tasks" "$floor" "$1 x $2 threads" <<'PY'
import re, sys
s = open(sys.argv[1]).read(); tasks = int(sys.argv[2]); floor = float(sys.argv[3])
ticks = int(re.search(r"procfs: (\d+) ticks", s).group(1))
per_tick_us = float(re.search(r"([\d.]+) us per tick", s).group(1))
own = float(re.search(r"own CPU ([\d.]+) s", s).group(1))
wall = float(re.search(r"wall ([\d.]+) s", s).group(1))
tier = per_tick_us * 1000 / tasks           # procfs tick CPU per task covered
whole = own * 1e9 / ticks / tasks           # the whole process, images included
print("%-22s %6d %11.1f %13.1f %13.1f %10.2fx %6.1f%%" %
      (sys.argv[4], tasks, floor, tier, whole, tier / floor, 100 * own / wall))
PY
	kill "$SL"; wait "$SL" 2>/dev/null || true; SL=
done
echo "tier ns: CPU inside the procfs tick / (ticks x tasks on the host); process ns: all of"
echo "procimage's CPU (images, dispatch) the same way; floor ns: pread of every schedstat."
