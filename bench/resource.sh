#!/bin/bash
# CPU cost per process-interval of `procimage resource -a` against
# `pidstat -u -r -d -w -p ALL` on the same host, with N extra sleeping
# processes (default 2000), measured in the same run, alternating the two
# tools ROUNDS times (default 3) and taking the median of each.
# Usage: bench/resource.sh [NPROCS] [INTERVALS] [ROUNDS]
# Prints each measurement and the ratio pidstat / procimage (goal >= 5).
set -u
cd "$(dirname "$0")/.."
N=${1:-2000} K=${2:-5} ROUNDS=${3:-3}
BIN=${PROCIMAGE:-$PWD/build/procimage}
[ -x "$BIN" ] || { echo "build first: make"; exit 2; }
command -v pidstat >/dev/null || { echo "pidstat missing: apt-get install sysstat"; exit 2; }

pids=()
cleanup() { [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; }
trap cleanup EXIT
trap 'exit 1' INT TERM
for _ in $(seq "$N"); do sleep 3600 & pids+=($!); done
sleep 1
nprocs=$(ls -d /proc/[0-9]* | wc -l)
nthreads=$(ls -d /proc/[0-9]*/task/[0-9]* 2>/dev/null | wc -l)
echo "host: $(nproc) CPUs, $nprocs processes, $nthreads threads; $K intervals of 1 s; $ROUNDS rounds"

# CPU seconds (user+sys) of one command and its children.
cpu_of() {
	python3 - "$@" <<'PY'
import os, resource, subprocess, sys
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.4f" % ((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)))
PY
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

ps_cpu=() pi_cpu=()
for r in $(seq "$ROUNDS"); do
	a=$(cpu_of pidstat -u -r -d -w -p ALL 1 "$K")
	b=$(cpu_of "$BIN" resource -a -i 1s -d "$((K))s" -f json -o /dev/null)
	ps_cpu+=("$a") pi_cpu+=("$b")
	printf 'round %d: pidstat %.3f s CPU, procimage resource %.3f s CPU\n' "$r" "$a" "$b"
done
ma=$(median "${ps_cpu[@]}") mb=$(median "${pi_cpu[@]}")
python3 - "$ma" "$mb" "$nprocs" "$K" <<'PY'
import sys
a, b, n, k = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
pa, pb = a / (n * k) * 1e6, b / (n * k) * 1e6
print("median whole-command CPU: pidstat %.3f s, procimage %.3f s" % (a, b))
print("per process-interval: pidstat %.1f us, procimage resource %.1f us" % (pa, pb))
print("ratio (pidstat / procimage): %.2fx (goal >= 5x)" % (pa / pb if pb else float("inf")))
PY
"$BIN" resource -a -i 1s -d "${K}s" -f json -o /dev/null --stats 2>&1 | sed 's/^/procimage --stats: /'
