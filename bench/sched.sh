#!/bin/bash
# Benchmark: CPU cost of the sched tier (procimage sched -a, host-wide: the
# cheap tier for every process plus per-thread schedstat for processes whose
# CPU grew) per task-sample, with 2,000 extra sleeping threads on the host at
# 100 Hz, against the floor measured in the same run: one pread of
# /proc/<pid>/task/<tid>/schedstat per task per pass with every fd kept open.
# Two layouts of the 2,000 sleepers: one process of 2,000 threads, and 2,000
# single-thread processes (the cheap tier's worst case). A task-sample = one
# task covered in one pass. Tier and floor alternate ROUNDS times so that the
# load of a shared host hits both alike; the median of the ratios is printed.
# usage: bench/sched.sh [SECONDS_PER_RUN [ROUNDS]]   (default 5 3)
set -eu
cd "$(dirname "$0")/.."
SECS=${1:-5}
ROUNDS=${2:-3}
make -s -j2 build/procimage helpers >/dev/null
TMP=$(mktemp -d /tmp/procimage-bench.XXXXXX)
SL=
trap '[ -n "$SL" ] && kill $SL 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT
cc -O2 -o "$TMP/floor" bench/sched_floor.c

printf '%-18s %6s %9s %9s %11s %11s %9s\n' layout tasks "floor ns" "tier ns" "process ns" "tier/floor" "tier CPU"
for layout in "1 2000" "2000 1"; do
	set -- $layout
	build/helpers/sleepers "$1" "$2" $((2 * ROUNDS * SECS + 60)) >"$TMP/ready" &
	SL=$!
	for _ in $(seq 300); do grep -q ready "$TMP/ready" && break; sleep 0.1; done
	sleep 1
	: >"$TMP/rows"
	for r in $(seq "$ROUNDS"); do
		tasks=$(ls -d /proc/[0-9]*/task/[0-9]* 2>/dev/null | wc -l)
		build/procimage sched -a -d "${SECS}s" -i 10ms --stats -f json -o "$TMP/j" 2>"$TMP/stats"
		floor=$("$TMP/floor" "$SECS" 10 | sed -n 's/.*ns_per_sample \([0-9.]*\).*/\1/p')
		python3 - "$TMP/stats" "$tasks" "$floor" >>"$TMP/rows" <<'PY'
import re, sys
s = open(sys.argv[1]).read(); tasks = int(sys.argv[2]); floor = float(sys.argv[3])
ticks = int(re.search(r"procfs: (\d+) ticks", s).group(1))
per_tick_us = float(re.search(r"([\d.]+) us per tick", s).group(1))
own = float(re.search(r"own CPU ([\d.]+) s", s).group(1))
wall = float(re.search(r"wall ([\d.]+) s", s).group(1))
tier = per_tick_us * 1000 / tasks   # procfs tick CPU per task covered
whole = own * 1e9 / ticks / tasks   # all of procimage, images included
print(tasks, floor, tier, whole, tier / floor, 100 * own / wall)
PY
	done
	python3 - "$TMP/rows" "$1 x $2 thr" <<'PY'
import sys, statistics as st
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
med = lambda i: st.median(r[i] for r in rows)
ratios = ", ".join("%.2f" % r[4] for r in rows)
print("%-18s %6d %9.0f %9.0f %11.0f %10.2fx %8.1f%%   (rounds: %s)" %
      (sys.argv[2], med(0), med(1), med(2), med(3), med(4), med(5), ratios))
PY
	kill "$SL" 2>/dev/null || true; wait "$SL" 2>/dev/null || true; SL=
done
echo "tier ns: CPU inside the procfs tick / (ticks x tasks on the host); process ns: all of"
echo "procimage's CPU the same way; floor ns: one kept-fd pread of every task's schedstat."
echo "tier CPU: procimage's CPU as a share of one CPU. Medians over the rounds."
