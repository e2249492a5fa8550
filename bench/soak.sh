#!/bin/bash
# Soak: `procimage watch` (every process, two rules) and `procimage record`
# (the whole host) run side by side for DUR on a busy host (thread churn at
# 200/s, a fork loop, two CPU burners); their RSS (VmRSS) and open fds are
# sampled every STEP and printed over time (with the host's task count),
# with the growth from the first quarter to the end.
#   bench/soak.sh [DUR_S=3600] [STEP_S=30]
set -u
cd "$(dirname "$0")/.."
DUR=${1:-3600} STEP=${2:-30}
P=build/procimage H=build/helpers
[ -x $P ] && [ -x $H/churn_rate ] || { echo "build first: make all helpers"; exit 2; }
TMP=$(mktemp -d /tmp/procimage-soak.XXXXXX)
pids=()
finish() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap finish EXIT
trap 'exit 1' INT TERM

# The busy host.
$H/churn_rate 200 $((DUR + 60)) >/dev/null & pids+=($!)
( while :; do /bin/true; sleep 0.02; done ) & pids+=($!)
for _ in 1 2; do ( while :; do :; done ) & pids+=($!); done

mkdir "$TMP/dumps"
$P watch --rule 'cpu>95%for30s' --rule 'rss>+50%' --dump-dir "$TMP/dumps" --cooldown 10m \
	-d "${DUR}s" 2>"$TMP/watch.err" & W=$!; pids+=($W)
$P record -o "$TMP/r.db" -i 1s --max-size 200M -d "${DUR}s" 2>"$TMP/record.err" & R=$!; pids+=($R)

usage() { # PID -> "rss_kib fds"
	[ -d /proc/$1 ] || { echo "- -"; return; }
	echo "$(awk '/^VmRSS/ {print $2}' /proc/$1/status) $(ls /proc/$1/fd 2>/dev/null | wc -l)"
}
printf '%8s | %12s %6s | %12s %6s %10s | %6s\n' "t (s)" "watch RSS KiB" fds "record RSS KiB" fds "store KiB" tasks
t=0
: >"$TMP/rows"
while [ $t -lt "$DUR" ]; do
	sleep "$STEP"; t=$((t + STEP))
	[ $t -ge "$DUR" ] && break
	read -r wr wf < <(usage $W); read -r rr rf < <(usage $R)
	sz=$(($(du -sk "$TMP" --exclude=dumps | cut -f1)))
	nt=$(ls -d /proc/[0-9]*/task/[0-9]* 2>/dev/null | wc -l)
	printf '%8d | %12s %6s | %12s %6s %10s | %6s\n' $t "$wr" "$wf" "$rr" "$rf" "$sz" "$nt"
	echo "$t $wr $wf $rr $rf" >>"$TMP/rows"
done
wait $W; wrc=$?
wait $R; rrc=$?
echo "watch exit $wrc, record exit $rrc; $(ls "$TMP/dumps" | wc -l) captures"
$P report "$TMP/r.db" >/dev/null 2>&1 && echo "the store opens: ok" || echo "the store does NOT open"
python3 - "$TMP/rows" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if "-" not in l.split()]
if len(rows) < 4:
    print("too few samples"); sys.exit(0)
q = rows[len(rows) // 4]
for name, i in (("watch", 1), ("record", 3)):
    rss = [int(r[i]) for r in rows]; fds = [int(r[i + 1]) for r in rows]
    print(f"{name}: RSS {rss[0]}..{max(rss)} KiB, {int(q[i])} KiB at t={q[0]} s -> {rss[-1]} KiB at the end "
          f"({rss[-1] - int(q[i]):+d} KiB); fds {min(fds)}..{max(fds)}")
PY
