#!/bin/bash
# bench/store.sh [SECONDS]: what recording costs.
#  1. host-wide at 10 Hz with ~2,000 processes: records/s, bytes per
#     task-sample, own CPU of `record` vs the same sampling without the store
#     (`record --dry-run`), goal < 1.5x; the store's own CPU per record, and
#     the records/s it could sustain on one CPU; replay speed of `report`;
#  2. the same population at 1 Hz: bytes per task-sample, extrapolated to a
#     day of 500 tasks (goal < 1 GiB);
#  3. the peer in the same run: `pidstat -u -r -d -w -p ALL 1` written to a
#     file (what a cron job would keep): its CPU and bytes per process-sample.
# Runs A/B/A/B and keeps the medians: the machine is shared.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
P=$ROOT/build/procimage
T=${1:-10}
[ -x "$P" ] || { echo "build first: make"; exit 1; }
[ "$(id -u)" = 0 ] || echo "note: not root: some sources are unavailable, figures are for procfs only"
tmp=$(mktemp -d /tmp/procimage-bench-store.XXXXXX)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# Population: top the host up to ~2,000 processes with sleepers, plus 10
# tasks that wake 100 times a second (counters that move).
have=$(ls -d /proc/[0-9]* 2>/dev/null | wc -l)
for _ in $(seq $((2000 - have))); do sleep 3600 & pids+=($!); done
for _ in $(seq 10); do python3 -c 'import time
while 1: time.sleep(0.01)' & pids+=($!); done
sleep 1
echo "population: $(ls -d /proc/[0-9]* 2>/dev/null | wc -l) processes, $(ls -d /proc/[0-9]*/task/[0-9]* 2>/dev/null | wc -l) threads"

cpu_of() { sed -n 's/.*own CPU \([0-9.]*\) s.*/\1/p' "$1"; }
samples_of() { sed -n 's/.*ticks, \([0-9]*\) task-samples.*/\1/p' "$1"; }
ticks_of() { sed -n 's/.*procfs: \([0-9]*\) ticks,.*/\1/p' "$1"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

dry=() rec=() bps=() rps=() storecpu=()
for run in 1 2 3; do
	"$P" record --dry-run -a -i 100ms -d "${T}s" --stats 2>"$tmp/dry.$run" >/dev/null
	"$P" record -o "$tmp/r$run.db" -a -i 100ms -d "${T}s" --stats 2>"$tmp/rec.$run" >/dev/null
	d=$(cpu_of "$tmp/dry.$run") r=$(cpu_of "$tmp/rec.$run")
	n=$("$P" report "$tmp/r$run.db" --info | sed -n 's/^ *\([0-9]*\) records.*/\1/p')
	s=$(samples_of "$tmp/rec.$run")
	size=$(stat -c %s "$tmp/r$run.db")
	dry+=("$d") rec+=("$r") rps+=("$(echo "$n / $T" | bc -l)")
	bps+=("$(echo "$size / $s" | bc -l)")
	storecpu+=("$(echo "($r - $d) * 1000000 / $n" | bc -l)")
	printf 'run %d: %d of %d ticks done (a loaded host skips ticks); ' "$run" "$(ticks_of "$tmp/rec.$run")" "$((T * 10))"
	printf 'sampling only %.3f s CPU, recording %.3f s CPU (%.2fx); %d records (%.0f/s), %d task-samples, %d bytes (%.1f B/task-sample, %.1f B/record)\n' \
		"$d" "$r" "$(echo "$r / $d" | bc -l)" "$n" "$(echo "$n / $T" | bc -l)" "$s" "$size" \
		"$(echo "$size / $s" | bc -l)" "$(echo "$size / $n" | bc -l)"
done
md=$(median "${dry[@]}") mr=$(median "${rec[@]}") mb=$(median "${bps[@]}")
msc=$(median "${storecpu[@]}")
start=$(date +%s.%N)
"$P" report "$tmp/r1.db" resource -f json >/dev/null
el=$(echo "$(date +%s.%N) - $start" | bc -l)
n1=$("$P" report "$tmp/r1.db" --info | sed -n 's/^ *\([0-9]*\) records.*/\1/p')

echo
echo "== 10 Hz host-wide, ${T} s per run, medians of 3"
printf 'records/s written:             %.0f\n' "$(median "${rps[@]}")"
printf 'bytes per task-sample:         %.1f\n' "$mb"
printf 'own CPU: sampling %.3f s, recording %.3f s: ratio %.2fx (goal < 1.5x)\n' "$md" "$mr" "$(echo "$mr / $md" | bc -l)"
if [ "$(echo "$msc > 0" | bc)" = 1 ]; then
	printf 'store CPU per record:          %.2f us (about %.0f records/s on one CPU)\n' "$msc" \
		"$(echo "1000000 / $msc" | bc -l)"
else
	echo "store CPU per record:          below the noise of this run"
fi
printf 'replay (report resource):      %.0f records/s\n' "$(echo "$n1 / $el" | bc -l)"

echo
echo "== 1 Hz host-wide, 70 s (a segment restart included)"
"$P" record -o "$tmp/slow.db" -a -i 1s -d 70s --stats 2>"$tmp/slow" >/dev/null
s=$(samples_of "$tmp/slow") size=$(stat -c %s "$tmp/slow.db")
"$P" report "$tmp/slow.db" --info >"$tmp/slow.info"
kinds=$(sed -n 's/.*records by kind[^:]*: //p' "$tmp/slow.info")
echo "records by kind (encoded bytes each): $kinds"
# Encoded bytes of the samples alone, times the file's overhead over the
# encoded total (SQLite pages, chunk rows): what a task-sample costs on disk.
read -r sb enc <<<"$(echo "$kinds" | python3 -c '
import re, sys
k = {m[0]: (int(m[1]), float(m[2])) for m in re.findall(r"(\w+) (\d+) \(([\d.]+)\)", sys.stdin.read())}
print(k["sample"][1], sum(n * b for n, b in k.values()))')"
ovh=$(echo "$size / $enc" | bc -l)
b=$(echo "$sb * $ovh" | bc -l)
all=$(echo "$size / $s" | bc -l)
printf 'file: %d bytes for %d task-samples in 70 s\n' "$size" "$s"
printf 'sample records alone: %.1f B encoded, x%.2f after deflate and SQLite = %.1f B per task-sample\n' "$sb" "$ovh" "$b"
printf 'everything (samples, taskstats, cgroup, and the events of this host): %.1f B per task-sample\n' "$all"
printf 'a day at 1 Hz for 500 tasks:   %.0f MiB with everything recorded (%.0f MiB of samples alone); goal < 1024 MiB\n' \
	"$(echo "$all * 500 * 86400 / 1048576" | bc -l)" "$(echo "$b * 500 * 86400 / 1048576" | bc -l)"
echo
echo "== peer in the same run: pidstat -u -r -d -w -p ALL 1, ${T} samples, to a file"
/usr/bin/time -f '%U %S' -o "$tmp/ptime" pidstat -u -r -d -w -p ALL 1 "$T" >"$tmp/pidstat.txt" 2>/dev/null
pc=$(awk '{print $1 + $2}' "$tmp/ptime")
lines=$(grep -c '^[0-9]' "$tmp/pidstat.txt")
psize=$(stat -c %s "$tmp/pidstat.txt")
ps_samples=$(( $(ls -d /proc/[0-9]* 2>/dev/null | wc -l) * T ))
printf 'pidstat: %.2f s CPU for %d samples of ~%d processes; %d bytes, %.1f B per process-sample\n' \
	"$pc" "$T" "$((ps_samples / T))" "$psize" "$(echo "$psize / $ps_samples" | bc -l)"
printf 'procimage record at 1 Hz (everything) vs pidstat file: %.2fx the bytes per task-sample\n' \
	"$(echo "$all / ($psize / $ps_samples)" | bc -l)"
