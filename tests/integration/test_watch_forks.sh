#!/bin/bash
# watch: forks/s comes from the proc connector (exact), run-queue wait from
# every thread's schedstat; a fork loop fires `forks>20` and the trigger
# holds both figures.
. "$(dirname "$0")/lib.sh"
need_root

bash -c 'while :; do /bin/true; done' & F=$!; on_exit "kill $F"
"$PROCIMAGE" watch -p $F --rule 'forks>20' --rule 'runq>100000%' --dump-dir "$TMP/d" -i 500ms -d 6s \
	--guard none --no-images --once 2>"$TMP/log"; rc=$?
cat "$TMP/log"
grep -q "forks are unknown" "$TMP/log" && skip "no proc connector here: $(grep 'forks are unknown' "$TMP/log")"
assert_eq "$rc" 0 "watch exit"
T="$TMP/d/$(ls "$TMP/d")/trigger.json"
[ -f "$T" ] || fail "no capture for a fork loop"
assert_eq "$(jget "$T" 'd["rule"]')" "forks>20" "the forks rule fired"
assert_cmp "$(jget "$T" 'd["metrics"]["forks"]')" ">" 20 "forks/s"
assert_cmp "$(jget "$T" 'd["metrics"]["runq"]')" ">=" 0 "run-queue wait read"
