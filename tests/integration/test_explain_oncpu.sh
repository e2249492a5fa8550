#!/bin/bash
# On-CPU syscall attribution by ptrace (attached only for each sample), on a
# workload whose truth is known (explain_work): the thread spinning through
# mmap/munmap has most of its in-kernel samples in those two; the writer's
# exact syscw over the run is the number of blocks it wrote; nothing is left
# traced or stopped after a normal end or a SIGKILL of procimage caught while
# it held a thread; --no-ptrace turns the sampler off and says so.
. "$(dirname "$0")/lib.sh"
need_root

N=1000
untraced() { # PID MSG: no thread traced, none in a tracing stop
	local t
	for t in /proc/$1/task/*; do
		[ "$(awk '/^TracerPid/{print $2}' "$t/status")" = 0 ] ||
			fail "$2: thread ${t##*/} still traced"
		case "$(awk '/^State/{print $2}' "$t/status")" in
		t | T) fail "$2: thread ${t##*/} left stopped" ;;
		esac
	done
	ok "$2: no thread of $1 traced or stopped"
}

"$HELPERS/explain_work" "$TMP/out" $N "$TMP/go" 100 /bin/true explain-marker >"$TMP/w" &
W=$!
on_exit "kill -9 $W"
for _ in $(seq 100); do grep -q ready "$TMP/w" && break; sleep 0.02; done
SPIN= WRITER=
sleep 0.1
for t in /proc/$W/task/*; do
	case "$(cat "$t/comm")" in mapspin) SPIN=${t##*/} ;; writer) WRITER=${t##*/} ;; esac
done
[ -n "$SPIN" ] && [ -n "$WRITER" ] || fail "workload threads not found"

# The writer starts once procimage has taken its first sample; procimage
# is stopped (SIGINT: it still reports) once the writer is done.
"$PROCIMAGE" syscall -p $W -d 60s -f json -o "$TMP/j" --stats 2>"$TMP/err" & P=$!
sleep 0.8
touch "$TMP/go"
for _ in $(seq 300); do
	[ "$(stat -c %s "$TMP/out" 2>/dev/null)" = $((N * 4096)) ] && break
	sleep 0.05
done
sleep 1
kill -INT $P
wait $P || fail "procimage syscall exited $?: $(cat "$TMP/err")"
size=$(stat -c %s "$TMP/out")
assert_eq "$size" $((N * 4096)) "the writer finished within the run"
untraced $W "after a normal end"

assert_eq "$(jget "$TMP/j" 'd["sources"]["ptrace"]["status"]')" ok "ptrace source"
assert_eq "$(jget "$TMP/j" 'd["oncpu"]["exact"]')" False "on-CPU shares are labelled sampled"
# The spinning thread: mmap+munmap hold most of its in-kernel samples.
row="[t for t in d['oncpu']['threads'] if t['tid'] == $SPIN][0]"
total=$(jget "$TMP/j" "$row['samples']")
user=$(jget "$TMP/j" "$row['user_samples']")
mm=$(jget "$TMP/j" "sum(s['samples'] for s in $row['by_syscall'] if s['name'] in ('mmap', 'munmap'))")
assert_cmp "$total" ">=" 20 "spinning thread sampled (50/s while running, fewer on a loaded host)"
assert_cmp "$mm" ">" "$(python3 -c "print(($total - $user) * 0.8)")" "mmap+munmap share of the in-kernel samples ($mm of $((total - user)))"
# The writer's exact counter is its count of write(2) calls.
assert_eq "$(jget "$TMP/j" "[p['counters']['syscw'] for p in d['oncpu']['processes'] if p['pid'] == $W][0]")" $N "exact syscw of the process"
assert_eq "$(jget "$TMP/j" "[p['counters']['counts_exact'] for p in d['oncpu']['processes'] if p['pid'] == $W][0]")" True "counters labelled exact"
grep -q "ptrace cost: attached per sample: .* held [0-9]* us each" "$TMP/err" ||
	fail "--stats lacks the sampler's cost: $(cat "$TMP/err")"
ok "--stats: $(grep -o 'held [0-9]* us each [^:]*' "$TMP/err" | head -1)"

# Text form names the syscalls per thread.
"$PROCIMAGE" syscall -p $W -d 1s >"$TMP/t" 2>&1 || fail "text run exited $?"
grep -Eq "mapspin .*(munmap|mmap) [0-9.]+%" "$TMP/t" || fail "text lacks the spinning thread's syscalls: $(cat "$TMP/t")"
ok "text: $(grep -E ' mapspin ' "$TMP/t" | head -1)"

# --no-ptrace: no samples, and the sources block says why.
"$PROCIMAGE" syscall -p $W -d 500ms --no-ptrace -f json -o "$TMP/n" || fail "--no-ptrace run exited $?"
assert_eq "$(jget "$TMP/n" 'd["sources"]["ptrace"]["status"]')" unavailable "--no-ptrace: ptrace source"
jget "$TMP/n" 'd["sources"]["ptrace"]["reason"]' | grep -q -- --no-ptrace || fail "--no-ptrace reason"
assert_eq "$(jget "$TMP/n" 'd["oncpu"]["samples"]')" 0 "--no-ptrace: no on-CPU samples"

# SIGKILL while procimage holds a thread: six spinners on this machine's
# CPUs wait for a CPU to reach the stop, so a sample often lasts
# milliseconds; the poller kills procimage the moment it is some thread's
# tracer. The kernel detaches for it: nothing may stay traced or stopped.
kill -9 $W; wait $W 2>/dev/null
EXPLAIN_SPINNERS=6 "$HELPERS/explain_work" "$TMP/out2" 1 "$TMP/nogo" 100 /bin/true >"$TMP/w2" &
W=$!
on_exit "kill -9 $W"
for _ in $(seq 100); do grep -q ready "$TMP/w2" && break; sleep 0.02; done
caught=0
for round in 1 2 3; do
	"$PROCIMAGE" syscall -p $W -d 20s --source sample -f json -o /dev/null 2>/dev/null & K=$!
	if python3 - "$W" "$K" <<'PY'; then caught=$((caught + 1)); fi
import os, signal, sys, time
w, k = sys.argv[1], int(sys.argv[2])
end = time.time() + 8
while time.time() < end:
    for t in os.listdir(f"/proc/{w}/task"):
        try:
            s = open(f"/proc/{w}/task/{t}/status").read()
        except OSError:
            continue
        if f"\nTracerPid:\t{k}\n" in s:
            os.kill(k, signal.SIGKILL)
            sys.exit(0)
os.kill(k, signal.SIGKILL)
sys.exit(1)
PY
	wait $K 2>/dev/null
	untraced $W "round $round: after SIGKILL of procimage"
done
assert_cmp "$caught" ">=" 1 "rounds in which procimage was killed while it traced a thread"
# And the target still runs.
a=$(awk '{print $14 + $15}' /proc/$W/stat); sleep 0.5; b=$(awk '{print $14 + $15}' /proc/$W/stat)
assert_cmp "$b" ">" "$a" "target runs after the kills"
