#!/bin/bash
# bench/watch.sh: the CPU cost of `procimage watch` keeping watch over every
# process at its default interval (2 s), on a host with about 2,000
# processes, against pidstat doing the same rounds (pidstat -u -p ALL 2) in
# the same run. Target from issue #8: under 1% of one CPU.
# usage: bench/watch.sh [SECONDS] [EXTRA_PROCESSES]   (default 60 s, 2000)
set -u
cd "$(dirname "$0")/.."
SECS=${1:-60} EXTRA=${2:-2000}
PROCIMAGE=${PROCIMAGE:-build/procimage}
[ -x "$PROCIMAGE" ] || { echo "build first: make"; exit 1; }
TMP=$(mktemp -d /tmp/procimage-bench.XXXXXX)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

# Sleepers up to EXTRA more processes (a sleeping process costs /proc the same).
for ((i = 0; i < EXTRA; i++)); do sleep 100000 & pids+=($!); done
nproc_now=$(ls -d /proc/[0-9]* | wc -l)
echo "processes on the host: $nproc_now"

cpu_s() { # PID: utime+stime of a process (and its waited-for children), seconds
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15 + $16 + $17) / hz }' "/proc/$1/stat"
}

# procimage watch: all processes, a typical rule, the default interval.
"$PROCIMAGE" watch --rule 'cpu>90%for1m' --rule 'rss>+50%' --dump-dir "$TMP/dumps" \
	-d "${SECS}s" --stats 2>"$TMP/watch.log" & W=$!
# pidstat: the same rounds over every process.
pidstat -u -p ALL 2 $((SECS / 2)) >/dev/null 2>&1 & P=$!
sleep $((SECS - 1))
w=$(cpu_s $W) p=$(cpu_s $P)
wait $W $P
grep 'own CPU\|procfs CPU' "$TMP/watch.log"
python3 - "$w" "$p" "$SECS" <<'PY'
import sys
w, p, secs = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f"procimage watch: {w:.3f} s CPU in {secs:.0f} s = {100 * w / secs:.2f}% of one CPU "
      f"({'under' if w / secs < 0.01 else 'OVER'} the 1% target)")
print(f"pidstat -u -p ALL 2: {p:.3f} s CPU = {100 * p / secs:.2f}% of one CPU")
print(f"ratio procimage/pidstat: {w / p:.2f}" if p > 0 else "pidstat used no measurable CPU")
PY
