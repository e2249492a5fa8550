#!/bin/bash
# Kernel stacks: a thread blocked in nanosleep shows hrtimer_nanosleep in its
# kernel stack (--kernel: /proc/<tid>/stack, no ptrace at all), and in the
# combined user+kernel stacks, below its user frames.
# One pass only: what it checks is the kernel's behaviour, a timing or a share
# (the sanitizer build adds run time, not coverage: other tests take the
# same code paths under ASan)
# once
. "$(dirname "$0")/lib.sh"
need_root

"$HELPERS/stack_7030" --sleeper >/dev/null & P=$!; on_exit "kill -9 $P"
sleep 0.3

"$PROCIMAGE" stacks --kernel -p "$P" -d 3s -f folded >"$TMP/k" & R=$!
sleep 1
assert_eq "$(awk '/^TracerPid/{print $2}' /proc/$P/status)" 0 "--kernel does not ptrace"
wait $R || fail "stacks --kernel exited $?"
sl=$(awk '/^sleeper;\[off-cpu\];.*hrtimer_nanosleep_\[k\] / {n += $NF} END {print n+0}' "$TMP/k")
all=$(awk '/^sleeper;/ {n += $NF} END {print n+0}' "$TMP/k")
# 147 samples at 49 Hz on an idle host; a host loaded 10x over its CPUs
# gives procimage itself fewer ticks: the share below is what matters.
assert_cmp "$all" ">=" 10 "sleeper samples in 3 s"
assert_cmp "$sl" ">=" "$((all * 9 / 10))" "sleeper samples in hrtimer_nanosleep (of $all)"
grep -q '^sleeper;.*;hrtimer_nanosleep_\[k\] ' "$TMP/k" || fail "no kernel frames"
! grep -q 'main;\|spin_units' "$TMP/k" || fail "--kernel printed user frames"
ok "kernel only"

# (retried once: a tracer of another job on this shared host may hold it)
"$PROCIMAGE" stacks -p "$P" -d 3s -f folded >"$TMP/b" ||
	{ sleep 1; "$PROCIMAGE" stacks -p "$P" -d 3s -f folded >"$TMP/b"; } || fail "stacks exited $?"
sl=$(awk '/^sleeper;\[off-cpu\];.*;start_thread;sleeper;.*clock_nanosleep.*;hrtimer_nanosleep_\[k\] / {n += $NF} END {print n+0}' "$TMP/b")
all=$(awk '/^sleeper;/ {n += $NF} END {print n+0}' "$TMP/b")
assert_cmp "$sl" ">=" "$((all * 8 / 10))" "user+kernel: start_thread;sleeper;...;hrtimer_nanosleep (of $all)"
# the spinning main thread is on CPU and its kernel part is empty
grep -q '^stack_7030;\[on-cpu\];.*spin_units [0-9]' "$TMP/b" || fail "main thread not on CPU in user code"
ok "on-CPU / off-CPU told apart"
