#!/bin/bash
# exits: exit(3) is a normal exit with code 3; kill -9 from a shell is a
# signal, not an OOM kill; SIGSEGV is a crash; without CAP_SYSLOG the report
# says it lacked the kernel log.
. "$(dirname "$0")/lib.sh"
need_root

# exits -p PID (no -d) stops once the pid's exit is decided; the 60 s cap
# only bounds a broken run.
watch_exit() { # OUT PID
	"$PROCIMAGE" exits -p "$2" -i 100ms -d 60s -f json >"$1" || fail "exits exited $?"
}
status_ok() {
	[ "$(jget "$1" 'd["evidence_sources"]["exit_status"]')" = True ] ||
		skip "no exit status source here (connector and taskstats unavailable: $(jget "$1" 'd["sources"]'))"
}

# The four runs go side by side (each waits for its evidence window); their
# checks follow in turn. The exits come 1.5 s or more after the start: four
# sanitized runs starting at once must be listening by then.
"$HELPERS/exiter" 1700 code 3 & P=$!
watch_exit "$TMP/code.json" $P & EC=$!
"$HELPERS/exiter" 0 wait & PK=$!
"$PROCIMAGE" exits -p $PK -i 100ms -d 60s -f json >"$TMP/kill.json" & EK=$!
"$HELPERS/exiter" 1500 signal 11 & PS=$!
watch_exit "$TMP/segv.json" $PS & ES=$!
NOLOG=""
if [ "$(cat /proc/sys/kernel/dmesg_restrict)" != 1 ]; then
	NOLOG="kernel.dmesg_restrict=0: the kernel log needs no capability here"
elif ! command -v setpriv >/dev/null; then
	NOLOG="no setpriv to drop CAP_SYSLOG"
else
	"$HELPERS/exiter" 0 wait & PN=$!
	setpriv --bounding-set -syslog "$PROCIMAGE" exits -p $PN -i 100ms -d 60s -f json >"$TMP/nolog.json" & EN=$!
fi
on_exit "kill -9 $P $PK $PS ${PN:-} $EC $EK $ES ${EN:-}"
sleep 2; kill -9 $PK ${PN:-}
wait $EC || fail "exits (code) exited $?"
status_ok "$TMP/code.json"
assert_eq "$(jget "$TMP/code.json" 'len(d["exits"])')" 1 "one exit"
assert_eq "$(jget "$TMP/code.json" 'd["exits"][0]["pid"]')" "$P" "its pid"
assert_eq "$(jget "$TMP/code.json" 'd["exits"][0]["cause"]')" exit "exit(3) cause"
assert_eq "$(jget "$TMP/code.json" 'd["exits"][0]["exit_code"]')" 3 "exit code"
assert_eq "$(jget "$TMP/code.json" 'd["exits"][0]["signal"]')" None "no signal"
assert_eq "$(jget "$TMP/code.json" 'd["exits"][0]["comm"]')" exiter "comm"
assert_cmp "$(jget "$TMP/code.json" 'd["exits"][0]["lifetime_s"]')" ">" 1.5 "lifetime >= its 1.7 s sleep"
assert_cmp "$(jget "$TMP/code.json" 'd["exits"][0]["lifetime_s"]')" "<" 5 "lifetime bounded"
assert_cmp "$(jget "$TMP/code.json" 'd["exits"][0]["last_rss_bytes"]')" ">" 0 "last RSS seen"
assert_eq "$(jget "$TMP/code.json" 'd["exits"][0]["oom_score_adj"]')" 0 "oom_score_adj seen"

wait $EK || fail "exits (kill -9) exited $?"
assert_eq "$(jget "$TMP/kill.json" 'd["exits"][0]["cause"]')" signal "kill -9 cause"
assert_eq "$(jget "$TMP/kill.json" 'd["exits"][0]["signal"]')" 9 "signal number"
[ "$(jget "$TMP/kill.json" 'd["evidence_sources"]["kernel_log"]')" = True ] &&
	{ jget "$TMP/kill.json" '"\n".join(d["exits"][0]["evidence"])' | grep -q "names no OOM kill" ||
		fail "no 'not an OOM kill' evidence"; ok "kernel log checked: no OOM kill of the pid"; }

wait $ES || fail "exits (SIGSEGV) exited $?"
assert_eq "$(jget "$TMP/segv.json" 'd["exits"][0]["cause"]')" crash "SIGSEGV cause"
assert_eq "$(jget "$TMP/segv.json" 'd["exits"][0]["signal_name"]')" SEGV "signal name"

# Without CAP_SYSLOG: /dev/kmsg is closed (dmesg_restrict=1), the report says so.
[ -z "$NOLOG" ] || skip "$NOLOG"
wait $EN || fail "exits without CAP_SYSLOG exited $?"
assert_eq "$(jget "$TMP/nolog.json" 'd["sources"]["kmsg"]["status"]')" degraded "kmsg degraded"
jget "$TMP/nolog.json" 'd["sources"]["kmsg"]["reason"]' | grep -q "needs CAP_SYSLOG (kernel.dmesg_restrict=1)" ||
	fail "kmsg reason: $(jget "$TMP/nolog.json" 'd["sources"]["kmsg"]')"
assert_eq "$(jget "$TMP/nolog.json" 'd["exits"][0]["signal"]')" 9 "signal seen without the kernel log"
jget "$TMP/nolog.json" '"\n".join(d["exits"][0]["lacking"])' | grep -q "kernel log" ||
	fail "the exit does not say it lacked the kernel log"
ok "lacking the kernel log is said"
