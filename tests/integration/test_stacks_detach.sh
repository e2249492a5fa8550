#!/bin/bash
# The target is never left stopped or traced: after procimage ends normally,
# by SIGINT, and by SIGKILL (the kernel detaches for it), TracerPid is 0 and
# the target keeps running; a target the user stopped (SIGSTOP) during the
# run stays stopped (group-stop respected) and runs again after SIGCONT.
# One pass only: what it checks is the kernel's behaviour, a timing or a share
# (the sanitizer build adds run time, not coverage: other tests take the
# same code paths under ASan)
# once
. "$(dirname "$0")/lib.sh"
need_root

tracer() { awk '/^TracerPid/{print $2}' "/proc/$1/status"; }
state() { awk '{print $3}' "/proc/$1/stat"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Progress: the target's own CPU time grows while we watch.
assert_runs() { # PID MSG
	local a b
	a=$(cpu_ticks "$1"); sleep 0.6; b=$(cpu_ticks "$1")
	[ "$b" -gt "$a" ] || fail "$2: the target made no progress (state $(state "$1"))"
	ok "$2: running (cpu ticks $a -> $b)"
}

"$HELPERS/stack_7030" --sleeper >/dev/null & P=$!; on_exit "kill -9 $P"
sleep 0.3

# Normal end.
"$PROCIMAGE" stacks -p "$P" -d 1s -f folded >/dev/null || fail "stacks exited $?"
assert_eq "$(tracer "$P")" 0 "TracerPid after a normal end"
assert_runs "$P" "after a normal end"

# SIGKILL while sampling fast (1000 Hz: often in the middle of a stop).
for i in 1 2 3 4 5; do
	"$PROCIMAGE" stacks -p "$P" -F 1000 -d 30s -f folded >/dev/null 2>&1 & K=$!
	for _ in $(seq 150); do [ "$(tracer "$P")" = "$K" ] && break; sleep 0.02; done
	[ "$(tracer "$P")" = "$K" ] || fail "procimage ($K) never became the tracer"
	sleep 0.$((RANDOM % 5 + 1))
	kill -KILL "$K"; wait "$K" 2>/dev/null
	for tid in /proc/$P/task/*; do
		assert_eq "$(awk '/^TracerPid/{print $2}' "$tid/status")" 0 "round $i: TracerPid of thread ${tid##*/} after SIGKILL"
	done
	case "$(state "$P")" in t|T) fail "round $i: target left stopped ($(state "$P"))" ;; esac
done
assert_runs "$P" "after SIGKILL of procimage"

# SIGINT ends the run early, detaches, and still writes the output.
"$PROCIMAGE" stacks -p "$P" -d 30s -f folded >"$TMP/f" & K=$!
sleep 1; kill -INT "$K"; wait "$K"; rc=$?
assert_eq "$rc" 0 "exit after SIGINT"
assert_eq "$(tracer "$P")" 0 "TracerPid after SIGINT"
grep -q 'hot_seventy' "$TMP/f" || fail "no output after SIGINT"
assert_runs "$P" "after SIGINT"

# A target stopped by its user during the run stays stopped after we leave.
"$PROCIMAGE" stacks -p "$P" -d 2s -f folded >"$TMP/g" & K=$!
sleep 0.7; kill -STOP "$P"; sleep 0.3
wait "$K" || fail "stacks exited $? around a stopped target"
assert_eq "$(tracer "$P")" 0 "TracerPid after a run over a stopped target"
assert_eq "$(state "$P")" T "still stopped by its user"
kill -CONT "$P"
assert_runs "$P" "after SIGCONT"
