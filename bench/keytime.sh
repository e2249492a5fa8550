#!/bin/bash
# Benchmark: the proc connector reader of `procimage keytime` against
# `forkstat -e all`, on the same fork+exec+exit storm, in the same run.
# For each storm size: events/s the storm produced, events each reader
# received, losses (procimage: exact, from per-CPU sequence gaps + ENOBUFS;
# forkstat: its ENOBUFS warnings), and reader CPU per event.
# usage: bench/keytime.sh [WORKERS_LIST] [FORKS_PER_WORKER] [EXEC_EVERY]
# Needs root (forkstat refuses otherwise), forkstat, and a built tree.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
PROCIMAGE=$ROOT/build/procimage
STORM=$ROOT/build/helpers/forkstorm
WORKERS=${1:-2 3 4}
N=${2:-15000}
EVERY=${3:-10}
TMP=$(mktemp -d /tmp/procimage-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
[ -x "$PROCIMAGE" ] && [ -x "$STORM" ] || { echo "build first: make -j2 all helpers"; exit 2; }
command -v forkstat >/dev/null || { echo "forkstat not installed (apt-get install forkstat)"; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root (forkstat)"; exit 2; }

# cpu_of OUTFILE CMD...: run CMD, write "user+sys seconds" of it to OUTFILE.
cpu_of() { local o=$1; shift; /usr/bin/time -f "%U %S" -o "$o.time" "$@"; awk '{print $1+$2}' "$o.time" >"$o"; }

storm() { "$STORM" "$N" "$1" "$EVERY" 700; } # prints forks=.. events=.. events_per_s=..

run_procimage() { # WORKERS -> prints: rate received lost cpu
	sleep 600 & local S=$!
	cpu_of "$TMP/pi.cpu" "$PROCIMAGE" keytime -p $S -d "$DUR" --stats -f json \
		>"$TMP/pi.json" 2>"$TMP/pi.stats" &
	local P=$!
	storm "$1" >"$TMP/storm"
	wait $P; kill $S; wait $S 2>/dev/null
	local rate recv lost
	rate=$(grep -o 'events_per_s=[0-9]*' "$TMP/storm" | cut -d= -f2)
	recv=$(awk '/connector:/ {print $3}' "$TMP/pi.stats")
	lost=$(python3 -c "import json; print(json.load(open('$TMP/pi.json'))['sources']['connector']['lost'])")
	echo "$rate $recv $lost $(cat "$TMP/pi.cpu")"
}

run_forkstat() { # WORKERS -> prints: rate received nobufs cpu
	cpu_of "$TMP/fs.cpu" forkstat -e all -D "${DUR%s}" >"$TMP/fs.out" 2>&1 &
	local P=$!
	storm "$1" >"$TMP/storm"
	wait $P
	local rate recv nobufs
	rate=$(grep -o 'events_per_s=[0-9]*' "$TMP/storm" | cut -d= -f2)
	# forkstat prints two lines per fork/clone (parent and child): count one.
	recv=$(awk '$1 ~ /^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]$/ && !($2 ~ /^(fork|clone)$/ && $4 == "child")' \
		"$TMP/fs.out" | wc -l)
	nobufs=$(grep -ci 'nobufs\|no buffer space' "$TMP/fs.out")
	echo "$rate $recv $nobufs $(cat "$TMP/fs.cpu")"
}

per_event() { python3 -c "import sys; c,n=float(sys.argv[1]),float(sys.argv[2]); print('%.2f' % (c*1e6/n if n else 0))" "$1" "$2"; }

echo "storm: WORKERS x $N fork+exit, every ${EVERY}th child execs /bin/true (3 events), others 2"
printf "%-8s | %-44s | %-44s | %s\n" "workers" "procimage keytime (events/s, recv, lost, us/event)" \
	"forkstat -e all (events/s, recv, nobufs, us/event)" "CPU ratio"
for w in $WORKERS; do
	DUR=$(python3 -c "print('%ds' % (4 + $N * $w // 6000))")
	read -r pr prn pl pc < <(run_procimage "$w")
	read -r fr frn fb fc < <(run_forkstat "$w")
	pe=$(per_event "$pc" "$prn"); fe=$(per_event "$fc" "$frn")
	ratio=$(python3 -c "print('%.2f' % ($fe / $pe) if $pe > 0 else 'n/a')")
	printf "%-8s | %8s/s %8s recv %6s lost %6s us/ev | %8s/s %8s recv %4s nobufs %6s us/ev | forkstat/procimage = %s\n" \
		"$w" "$pr" "$prn" "$pl" "$pe" "$fr" "$frn" "$fb" "$fe" "$ratio"
done
echo "recv = events the reader got during the whole run (host-wide, storm included);"
echo "procimage lost = exact (per-CPU sequence gaps); forkstat cannot count its losses."
