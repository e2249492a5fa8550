#!/bin/bash
# exits: a process is its thread group. When main() calls pthread_exit()
# first and another thread later calls exit(5), the process ends then, with
# 5 (what its parent's wait() gets), not at the leader's exit with 0. The
# last thread's pthread_exit() gives 0; a kill -9 after the leader left is
# signal 9; exit() from main with threads running is still its code at once.
# keytime's summary agrees.
# Ground truth: the shell's $? of the workload and the times it was given.
. "$(dirname "$0")/lib.sh"
need_root

# start NAME MODE MS CODE: leaderexit under `exits -p`; the four cases run
# side by side (each exits run waits for its evidence window).
start() {
	local name=$1
	(
		t0=$(date +%s%N)
		"$HELPERS/leaderexit" "$2" "$3" "$4" & P=$!
		echo $P >"$TMP/$name.pid"
		"$PROCIMAGE" exits -p $P -i 100ms -d 60s -f json >"$TMP/$name.json" 2>"$TMP/$name.err" &
		E=$!
		wait $P; echo $? >"$TMP/$name.rc"
		echo "$name: the parent's wait status: exit $(cat "$TMP/$name.rc") after $((($(date +%s%N) - t0) / 1000000)) ms"
		wait $E; echo $? >"$TMP/$name.erc"
	) &
	JOBS+=($!)
}
# check NAME: the report against the wait status; LIFE: its lifetime.
check() {
	local name=$1 rc P
	rc=$(cat "$TMP/$name.rc") P=$(cat "$TMP/$name.pid")
	[ "$(cat "$TMP/$name.erc")" = 0 ] || fail "$name: exits exited $(cat "$TMP/$name.erc"): $(cat "$TMP/$name.err")"
	[ "$(jget "$TMP/$name.json" 'd["evidence_sources"]["exit_status"]')" = True ] ||
		skip "no exit status source here: $(jget "$TMP/$name.json" 'd["sources"]')"
	assert_eq "$(jget "$TMP/$name.json" 'len(d["exits"])')" 1 "$name: one exit"
	assert_eq "$(jget "$TMP/$name.json" 'd["exits"][0]["pid"]')" "$P" "$name: its pid"
	assert_eq "$(jget "$TMP/$name.json" 'd["exits"][0]["exit_code"]')" "$rc" "$name: exit code = wait status"
	assert_eq "$(jget "$TMP/$name.json" 'd["exits"][0]["cause"]')" exit "$name: cause"
	assert_eq "$(jget "$TMP/$name.json" 'sorted(k for k, v in d["by_cause"].items() if v)')" "['exit']" "$name: counted by cause"
	LIFE=$(jget "$TMP/$name.json" 'd["exits"][0]["lifetime_s"]')
}

JOBS=()
# keytime's summary counts the process's exit with the same status.
"$HELPERS/leaderexit" first 1500 6 & KP=$!
on_exit "kill -9 $KP"
"$PROCIMAGE" keytime -p $KP -d 3s -f json >"$TMP/keytime.json" 2>"$TMP/keytime.err" & KT=$!
on_exit "kill -9 $KT"
start first first 3000 5
start quiet quiet 2000 0
start group group 1000 4
# kill -9 of the process after its leader left: a signal, at the kill.
"$HELPERS/leaderexit" first 600000 0 & P=$!
on_exit "kill -9 $P"
"$PROCIMAGE" exits -p $P -i 100ms -d 60s -f json >"$TMP/kill.json" 2>"$TMP/kill.err" & E=$!
on_exit "kill -9 ${JOBS[*]} $E"
sleep 2.5
kill -9 $P
wait $E || fail "kill: exits exited $?: $(cat "$TMP/kill.err")"
wait "${JOBS[@]}"
wait $KT || fail "keytime exited $?: $(cat "$TMP/keytime.err")"
assert_eq "$(jget "$TMP/keytime.json" 'd["summary"]["exit_codes"]')" "{'6': 1}" \
	"keytime: the process exit's code is the last thread's"
assert_eq "$(jget "$TMP/keytime.json" 'd["summary"]["exits"]')" 1 "keytime: one process exit"

check first
assert_cmp "$LIFE" ">" 2.8 "first: lifetime is the group's (3 s), not the leader's (0.3 s)"
assert_cmp "$LIFE" "<" 4.5 "first: lifetime bounded"
assert_eq "$(jget "$TMP/first.json" 'd["exits"][0]["lifetime_exact"]')" False \
	"first: the group's time after the leader is not exact"
check quiet
assert_cmp "$LIFE" ">" 1.8 "quiet: lifetime is the last thread's (2 s)"
check group
assert_cmp "$LIFE" ">" 0.8 "group: lifetime ~1 s"
assert_cmp "$LIFE" "<" 2.5 "group: lifetime ~1 s"
assert_eq "$(jget "$TMP/kill.json" 'len(d["exits"])')" 1 "kill: one exit"
assert_eq "$(jget "$TMP/kill.json" 'd["exits"][0]["cause"]')" signal "kill: cause"
assert_eq "$(jget "$TMP/kill.json" 'd["exits"][0]["signal"]')" 9 "kill: signal 9"
assert_eq "$(jget "$TMP/kill.json" 'd["by_cause"]["signal"]')" 1 "kill: counted by cause"
assert_cmp "$(jget "$TMP/kill.json" 'd["exits"][0]["lifetime_s"]')" ">" 2.3 "kill: lifetime up to the kill"
exit 0
