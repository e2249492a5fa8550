#!/bin/bash
# once
# SIGKILL of every mode that changes something on the host or on its
# target -- syscall --source audit, the sys-cost collector, stacks, record
# --source audit, watch (its captures), resource --enable-delayacct -- then
# an unrelated command (doctor, resource -p) finds nothing of ours left: no
# audit rule keyed with a killed pid, no session file of a killed pid, the
# audit settings and kernel.task_delayacct as before, and the target running
# free at its normal syscall rate. And --deactivate (item 4 of issue 17):
# when it returns the collector has exited, been reaped, and its rule and
# files are gone; a killed collector is cleaned at once and --deactivate says
# so. Only rules keyed with the pids this test killed are looked at (other
# checkouts run audit tests at the same time).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syscall_lib.sh"
need_root

RUN=/run/procimage
AUDIT=0
if A0=$("$AUDITQ" status 2>&1) && [ "$(audit_field enabled "$A0")" != 2 ]; then
	need_audit # records the state, restores it at exit, primes audit for new tasks
	AUDIT=1
else
	echo "note: audit unreachable or locked here ($A0): the audit checks are skipped"
fi

# The target: 1-byte reads and writes, started after audit was primed (a
# task forked before audit was ever enabled is never audited).
dd if=/dev/zero of=/dev/null bs=1 2>/dev/null & W=$!
on_exit "kill -9 $W"
rate() { # syscalls/s of W over 0.4 s
	local a b
	a=$(awk '/^syscr/ {print $2}' /proc/$W/io)
	sleep 0.4
	b=$(awk '/^syscr/ {print $2}' /proc/$W/io)
	echo $(((b - a) * 5 / 2))
}
sleep 0.3
R0=$(rate)
echo "target rate before: $R0 reads/s"

# nothing_left MODE PID...: no rule keyed with these pids, no session file.
nothing_left() {
	local mode=$1 p k
	shift
	for p in "$@"; do
		for k in rules audit delayacct; do
			[ -e "$RUN/$k/$p" ] && fail "$mode: $RUN/$k/$p left behind: $(cat "$RUN/$k/$p")"
		done
		if [ $AUDIT = 1 ]; then
			n=$("$AUDITQ" rules | grep -c "key=procimage-$p\$")
			[ "$n" = 0 ] || fail "$mode: $n audit rule(s) keyed procimage-$p left behind"
		fi
	done
	ok "$mode: no rule, no session file of pid(s) $*"
}
target_free() { # MODE: the target runs free, untraced, at its normal rate
	local t st tr r
	for t in /proc/$W/task/*; do
		st=$(awk '/^State:/ {print $2}' "$t/status")
		tr=$(awk '/^TracerPid:/ {print $2}' "$t/status")
		case $st in T | t) fail "$1: target left stopped ($st)" ;; esac
		[ "$tr" = 0 ] || fail "$1: target still traced by $tr"
	done
	# The rate: audit slows this target ~20x; the shared machine's load
	# moves it ~3x. The best of three samples must reach a sixth of the
	# rate before.
	for _ in 1 2 3; do
		r=$(rate)
		[ $((r * 6)) -ge "$R0" ] && break
	done
	[ $((r * 6)) -ge "$R0" ] || fail "$1: target still slowed: $r reads/s (before: $R0)"
	ok "$1: target free, $r reads/s (before: $R0)"
}
start_bg() { # ARGS...: procimage in the background, P its pid
	"$PROCIMAGE" "$@" >/dev/null 2>"$TMP/err" &
	P=$!
	on_exit "kill -9 $P"
}
killed_after_rule() { # MODE: until P's rule is on W (audit), then SIGKILL P
	if [ $AUDIT = 1 ]; then
		wait_rule "$W" "$P" || fail "$1: no rule appeared: $(cat "$TMP/err")"
		[ -e "$RUN/rules/$P" ] || fail "$1: the run did not announce its rules in $RUN/rules"
		sleep 0.5
		r=$(rate)
		echo "$1: target rate under audit: $r reads/s"
	else
		sleep 1.5
	fi
	kill -0 "$P" 2>/dev/null || fail "$1: procimage ended before the kill: $(cat "$TMP/err")"
	kill -9 "$P"
	wait "$P" 2>/dev/null
}

# 1. syscall --source audit, killed; then doctor (no audit of its own).
if [ $AUDIT = 1 ]; then
	start_bg syscall -p $W -d 60s --source audit -f json
	killed_after_rule "syscall --source audit"
	assert_eq "$("$AUDITQ" rules | grep -c "key=procimage-$P\$")" 1 "the killed run's rule is still there before the next start"
	"$PROCIMAGE" doctor -f json >"$TMP/doc.json" || fail "doctor exited $?"
	nothing_left "syscall --source audit, then doctor" $P
	python3 - "$TMP/doc.json" "$P" <<'PY' || fail "doctor did not report what it undid"
import json, sys
d = json.load(open(sys.argv[1], "rb"))
pid = int(sys.argv[2])
mine = [l for l in d["leftovers"] if l["owner_pid"] == pid]
assert mine and all(l["undone"] for l in mine), d["leftovers"]
assert any("audit rule" in l["what"] for l in mine), mine
print("doctor:", [l["what"] for l in mine])
PY
	ok "doctor reported the killed run's rule as removed"
	assert_restored
	target_free "syscall --source audit"
fi

# 2. record --source audit, killed; then resource -p.
if [ $AUDIT = 1 ]; then
	start_bg record -p $W -d 60s --source audit -o "$TMP/r.db"
	killed_after_rule "record --source audit"
	"$PROCIMAGE" resource -p $W -d 200ms -f json >/dev/null 2>"$TMP/res.err" || fail "resource exited $?"
	grep -q "killed run (pid $P) left: .*audit rule" "$TMP/res.err" ||
		fail "resource did not say what it undid: $(cat "$TMP/res.err")"
	nothing_left "record --source audit, then resource" $P
	assert_restored
	target_free "record --source audit"
fi

# 3. stacks (ptrace), killed.
start_bg stacks -p $W -d 60s -F 200 -f json
sleep 1.5
kill -9 $P; wait $P 2>/dev/null
"$PROCIMAGE" resource -p $W -d 200ms -f json >/dev/null || fail "resource after stacks"
nothing_left "stacks" $P
target_free "stacks"

# 4. watch with a capture (its children: procimage syscall, stacks...), killed.
mkdir -p "$TMP/dumps"
start_bg watch -p $W -d 60s --rule 'threads>0' --dump-dir "$TMP/dumps" -i 100ms --capture 5s --guard none
for _ in $(seq 100); do KIDS=$(pgrep -P $P | tr '\n' ' '); [ -n "$KIDS" ] && break; sleep 0.05; done
[ -n "$KIDS" ] || fail "watch started no capture: $(cat "$TMP/err")"
sleep 1
kill -9 $P; wait $P 2>/dev/null
# The captures get SIGTERM when watch dies (PDEATHSIG): they stop and clean.
for _ in $(seq 100); do
	alive=0
	for k in $KIDS; do kill -0 "$k" 2>/dev/null && alive=1; done
	[ $alive = 0 ] && break
	sleep 0.1
done
"$PROCIMAGE" doctor >/dev/null || fail "doctor after watch"
nothing_left "watch and its captures ($KIDS)" $P $KIDS
[ $AUDIT = 1 ] && assert_restored
target_free "watch"

# 5. the diagnose-tools collector.
export PROCIMAGE_STATE_DIR=$TMP/state
if [ $AUDIT = 1 ]; then
	# --deactivate returns only when the collector has exited, been reaped
	# and removed what it set up.
	"$PROCIMAGE" sys-cost --activate="tgid=$W" >"$TMP/act" 2>&1 || fail "activate: $(cat "$TMP/act")"
	C=$(sed -n 's/.*collector pid \([0-9]*\).*/\1/p' "$TMP/act")
	on_exit "kill -9 $C"
	wait_rule "$W" "$C" || fail "collector: no rule appeared"
	"$PROCIMAGE" sys-cost --deactivate >"$TMP/deact" 2>&1 || fail "deactivate: $(cat "$TMP/deact")"
	[ -e /proc/$C ] && fail "--deactivate returned while the collector $C is still there ($(awk '/^State:/ {print $2}' /proc/$C/status))"
	ok "--deactivate returned with the collector exited and reaped"
	nothing_left "sys-cost --deactivate" $C
	assert_restored
	target_free "sys-cost --deactivate"
fi
# A collector that does not stop on SIGTERM (stopped here): --deactivate
# kills it after the timeout, cleans what it left and says so.
"$PROCIMAGE" sys-cost --activate="tgid=$W" >"$TMP/act" 2>&1 || fail "activate: $(cat "$TMP/act")"
C=$(sed -n 's/.*collector pid \([0-9]*\).*/\1/p' "$TMP/act")
on_exit "kill -9 $C"
if [ $AUDIT = 1 ]; then wait_rule "$W" "$C" || fail "collector: no rule appeared"; else sleep 1; fi
kill -STOP "$C"
PROCIMAGE_STOP_TIMEOUT_MS=500 "$PROCIMAGE" sys-cost --deactivate >"$TMP/deact" 2>&1 ||
	fail "deactivate of a stuck collector: $(cat "$TMP/deact")"
grep -q "did not stop within 500 ms of SIGTERM and was killed; collector pid $C was killed by signal 9" "$TMP/deact" ||
	fail "deactivate did not say it killed the collector: $(cat "$TMP/deact")"
[ -e /proc/$C ] && fail "--deactivate returned while the stuck collector $C is still there"
nothing_left "sys-cost --deactivate of a stuck collector" $C
ok "stuck collector: $(cat "$TMP/deact")"
# Killed: its waiter undoes what it left at once; --settings and
# --deactivate say what happened.
"$PROCIMAGE" sys-cost --activate="tgid=$W" >"$TMP/act" 2>&1 || fail "activate: $(cat "$TMP/act")"
C=$(sed -n 's/.*collector pid \([0-9]*\).*/\1/p' "$TMP/act")
on_exit "kill -9 $C"
if [ $AUDIT = 1 ]; then wait_rule "$W" "$C" || fail "collector: no rule appeared"; else sleep 1; fi
kill -9 "$C"
"$PROCIMAGE" doctor >/dev/null || fail "doctor after the collector"
for _ in $(seq 50); do [ -e /proc/$C ] || break; sleep 0.1; done
nothing_left "sys-cost collector killed, then doctor" $C
"$PROCIMAGE" sys-cost --settings=json=1 >"$TMP/set.json" || fail "settings"
assert_eq "$(jget "$TMP/set.json" 'str(d["activated"]) + " " + str(d["collecting"]) + " " + str("killed by signal 9" in d["collector_ended"])')" \
	"1 False True" "settings: activated, not collecting, killed by signal 9"
"$PROCIMAGE" sys-cost --deactivate >"$TMP/deact" 2>&1 || fail "deactivate after kill: $(cat "$TMP/deact")"
grep -q "no longer running (collector pid $C was killed by signal 9" "$TMP/deact" ||
	fail "deactivate did not say the collector was killed: $(cat "$TMP/deact")"
if [ $AUDIT = 1 ]; then
	grep -q "audit rule on pid $W (key procimage-$C) of a killed run removed" "$TMP/deact" ||
		fail "deactivate did not say the rule was removed: $(cat "$TMP/deact")"
	assert_restored
fi
ok "killed collector: $(cat "$TMP/deact")"
target_free "sys-cost collector"
unset PROCIMAGE_STATE_DIR

# 6. resource --enable-delayacct, killed: the next start restores the sysctl.
SYSCTL=/proc/sys/kernel/task_delayacct
if [ -w $SYSCTL ]; then
	# Test runs of other checkouts take turns on the sysctl (as
	# test_resource_delays does); restored at exit whatever happens.
	exec 9<$SYSCTL
	flock -w 400 9 || fail "another test run held kernel.task_delayacct for 400 s"
	orig=$(cat $SYSCTL)
	on_exit "echo $orig > $SYSCTL"
	echo 0 >$SYSCTL
	start_bg resource -p $W --enable-delayacct -d 60s -f json
	for _ in $(seq 100); do [ "$(cat $SYSCTL)" = 1 ] && break; sleep 0.05; done
	assert_eq "$(cat $SYSCTL)" 1 "--enable-delayacct switched it on"
	[ -e "$RUN/delayacct/$P" ] || fail "no delayacct session file for $P"
	kill -9 $P; wait $P 2>/dev/null
	assert_eq "$(cat $SYSCTL)" 1 "SIGKILL left it on (until the next start)"
	"$PROCIMAGE" doctor -f json >"$TMP/doc2.json" || fail "doctor exited $?"
	assert_eq "$(cat $SYSCTL)" 0 "the next start (doctor) restored kernel.task_delayacct"
	nothing_left "resource --enable-delayacct" $P
	jget "$TMP/doc2.json" '[l["what"] for l in d["leftovers"] if l["owner_pid"] == '$P']' |
		grep -q "task_delayacct=1 set by a killed --enable-delayacct run: restored to 0" ||
		fail "doctor did not report the sysctl: $(jget "$TMP/doc2.json" 'd["leftovers"]')"
	ok "doctor reported the restored sysctl"
	target_free "resource --enable-delayacct"
else
	echo "note: no writable $SYSCTL: the delayacct part is skipped"
fi
exit 0
