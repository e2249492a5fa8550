#!/bin/bash
# The scan's coverage tells a starved procimage from a slow scan: pinned to
# one CPU beside a spinner weighted up (nice -20 in a nice -20 autogroup),
# procimage waits for that CPU most of the run. Its coverage must give that
# wait (cpu_wait_ms, from its own schedstat) close to what the kernel counted
# for it (its schedstat read from outside until the run's end), the late
# ticks put down to it, and a shortfall that says the host's load; on the
# other CPU, its wait must be far smaller.
# One pass only: what it checks is the kernel's scheduling (the sanitizer
# build adds run time, not coverage: test_scale_population takes the same
# code paths)
# once
. "$(dirname "$0")/lib.sh"
need_root
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs (one starved, one free)"
[ -r /proc/self/schedstat ] || skip "no /proc/<pid>/schedstat (a kernel without CONFIG_SCHED_INFO)"

CPU=$(idlest_cpu)
OTHER=$(( CPU == 0 ? 1 : 0 ))
# spinner: 3 s of spinning on $CPU, nice -20 in its own nice -20 autogroup
"$HELPERS/spinner" 3500 0 10 0 "$CPU" 0 >"$TMP/spin.out" &
SP=$!
on_exit "kill -9 $SP 2>/dev/null; wait $SP 2>/dev/null"
for _ in $(seq 100); do grep -q ready "$TMP/spin.out" && break; sleep 0.02; done
grep -q ready "$TMP/spin.out" || fail "spinner did not start"
sleep 0.2

taskset -c "$CPU" "$PROCIMAGE" sched -a -d 2s -f json -o "$TMP/starved.json" 2>"$TMP/err" &
PI=$!
on_exit "kill -9 $PI 2>/dev/null"
# the kernel's count of its wait, read from outside until it ends (the
# main thread's run_delay: the thread that ticks); the last read is at
# most 0.1 s before its end, whenever that comes on this machine
kernel_wait=
while kill -0 $PI 2>/dev/null; do
	v=$(awk '{printf "%.0f", $2 / 1e6}' "/proc/$PI/task/$PI/schedstat" 2>/dev/null)
	[ -n "$v" ] && kernel_wait=$v
	sleep 0.1
done
wait $PI || fail "procimage sched -a exited $? ($(cat "$TMP/err"))"
wait $SP

taskset -c "$OTHER" "$PROCIMAGE" sched -a -d 1s -f json -o "$TMP/free.json" 2>"$TMP/err" ||
	fail "procimage sched -a on the free CPU exited $? ($(cat "$TMP/err"))"

python3 - "$TMP/starved.json" "$TMP/free.json" >"$TMP/v" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["coverage"]
f = json.load(open(sys.argv[2]))["coverage"]
print(s["cpu_wait_ms"], s["ticks_late"], s["ticks_late_waiting"], int(s["fell_behind"]),
      int("for a CPU that other tasks held" in (s["shortfall"] or "")),
      int("the host's load" in (s["shortfall"] or "")), f["cpu_wait_ms"])
print("starved:", s["shortfall"])
PY
cat "$TMP/v"
set -- $(head -1 "$TMP/v")
[ -n "$kernel_wait" ] || fail "procimage's schedstat could not be read during the run"
ok "the kernel counted $kernel_wait ms of wait for procimage by its last 0.1 s"
# starved for much of 2 s (0.7-1.2 s of wait in its ticks on the 2-CPU VM)
assert_cmp "$1" ">=" 300 "cpu_wait_ms of the starved run"
# its own figure runs from its first tick to its last, the kernel's from
# exec to 0.1 s before its end: never above it (and that last 0.1 s). The
# kernel's is mostly start-up, starved too (3.1-3.2 s against 1.0-1.8 s
# here), so no lower bound is taken from it.
assert_cmp "$1" "<=" "$((kernel_wait + 150))" "cpu_wait_ms against the kernel's count + 150 ms"
assert_eq "$4" 1 "the starved run fell behind"
assert_eq "$5" 1 "its shortfall names the wait for a CPU"
assert_eq "$6" 1 "its shortfall calls it the host's load"
if [ "$2" -gt 0 ]; then
	assert_cmp "$3" ">=" 1 "late ticks put down to waiting for a CPU (of $2 late)"
fi
assert_cmp "$7" "<" "$(python3 -c "print($1 / 4)")" "cpu_wait_ms on the free CPU, against a quarter of the starved one's"
