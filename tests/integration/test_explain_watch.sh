#!/bin/bash
# once
# watch captures carry the host around the process: a busy victim and a
# culprit beside it on one CPU (the culprit, SCHED_FIFO, holds it); one rule
# fires for both. The cooldown is per process and rule and two captures may
# run at once, so both are captured; the victim's explain.json names the
# culprit as what it waited behind (run-queue waits, exact), and its
# explain.txt says so in words.
. "$(dirname "$0")/lib.sh"
need_root
command -v taskset >/dev/null && command -v chrt >/dev/null || skip "taskset or chrt missing"

try() {
	local cpu
	rm -rf "$TMP/d"
	cpu=$(idlest_cpu)
	# The culprit: one thread spinning through mmap/munmap, no children.
	# SCHED_FIFO: a loaded shared host cannot split its runs (RT throttling
	# still leaves the CPU's other tasks 5%).
	chrt -f 10 taskset -c "$cpu" "$HELPERS/explain_work" "$TMP/out" 0 "$TMP/nogo" 100000 \
		/bin/true >/dev/null &
	C=$!
	# The victim: a busy shell loop on the same CPU at nice 0.
	taskset -c "$cpu" sh -c 'while :; do :; done' &
	V=$!
	on_exit "kill -9 $C $V"
	sleep 0.5
	# -i 1s: the victim, starved by the culprit, gets the CPU only in the
	# fair server's 50 ms of every 1 s period. A 500 ms interval saw it at
	# 10% and 0% by turns, so its rule (two samples above 1% in a row)
	# fired only when a block happened to straddle a boundary, 7 s late in
	# one CI run; every 1 s interval holds one block's worth (~5%).
	# -d leaves the second capture (4 s, up to twice that beside the first
	# on the one CPU the culprit leaves) time to end: watch's stop ends a
	# capture under way, its explain child with it.
	"$PROCIMAGE" watch -p "$V,$C" --rule 'cpu>1%for1s' --dump-dir "$TMP/d" -i 1s -d 13s \
		--capture 4s --capture-interval 20ms --guard none --max-captures 2 2>"$TMP/log" ||
		fail "watch exited $?: $(cat "$TMP/log")"
	kill -9 $C $V; wait $C $V 2>/dev/null
	cat "$TMP/log"
	for f in "$TMP"/d/*/capture.json; do echo "$f: $(cat "$f")"; done
	FV=$(ls -d "$TMP"/d/*-"$V"-* 2>/dev/null | head -1)
	FC=$(ls -d "$TMP"/d/*-"$C"-* 2>/dev/null | head -1)
	[ -n "$FV" ] && [ -n "$FC" ] && [ -s "$FV/explain.json" ] &&
		jget "$FV/explain.json" "[b['pid'] for b in d['focus_wait']['behind']]" | grep -qw "$C"
}
try || { echo "retrying once (a loaded shared host may split the culprit's runs)"; try; }
[ -n "$FV" ] || fail "the victim ($V) was not captured"
[ -n "$FC" ] || fail "the culprit ($C) was not captured beside it"
ok "both captured: $(basename "$FV"), $(basename "$FC")"
assert_eq "$(jget "$FV/explain.json" 'd["focus_wait"]["pid"]')" "$V" "explain.json is about the victim"
assert_eq "$(jget "$FV/explain.json" 'd["focus_wait"]["exact"]')" True "waits are exact counters"
behind=$(jget "$FV/explain.json" "[b['pid'] for b in d['focus_wait']['behind']]")
case " $(echo "$behind" | tr -d '[],') " in *" $C "*) ok "the victim waited behind the culprit: $behind" ;;
*) fail "the victim's capture does not name the culprit ($C): $behind" ;; esac
assert_cmp "$(jget "$FV/explain.json" "[b['wait_ms'] for b in d['focus_wait']['behind'] if b['pid'] == $C][0]")" ">" 0 "wait behind the culprit"
# The verdict on the culprit is in the victim's capture too.
jget "$FV/explain.json" "[o['pid'] for o in d['offenders']]" | grep -qw "$C" ||
	fail "the culprit has no verdict in the victim's capture"
grep -q "(pid $C, thread" "$FV/explain.txt" || fail "explain.txt does not name the culprit: $(cat "$FV/explain.txt")"
ok "explain.txt: $(head -1 "$FV/explain.txt")"
grep -q "^Waits: " "$FC/explain.txt" || fail "the culprit's capture lacks explain.txt"
assert_eq "$(jget "$FV/capture.json" "[i['exit_code'] for i in d['images'] if i['name'] == 'explain'][0]")" 0 "explain child exit code"
