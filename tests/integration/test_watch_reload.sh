#!/bin/bash
# unprivileged
# watch: SIGHUP re-reads --rules-file. A rule that can never fire is replaced
# by one that fires at once; a bad file keeps the old rules; a rule needing a
# /proc file not read so far (fds) restarts the run with that file.
. "$(dirname "$0")/lib.sh"

"$HELPERS/duty" 100:120 >/dev/null & SPIN=$!; on_exit "kill $SPIN"
echo 'cpu>100000%' >"$TMP/rules"
"$PROCIMAGE" watch -p $SPIN --rules-file "$TMP/rules" --dump-dir "$TMP/d" -i 200ms -d 20s \
	--no-images --once --guard none 2>"$TMP/log" & W=$!
on_exit "kill $W"
sleep 1.5
[ "$(ls "$TMP/d" | wc -l)" = 0 ] || fail "captured before the reload"
echo 'cpu>>3' >"$TMP/rules"; kill -HUP $W; sleep 0.6
grep -q "rules not reloaded" "$TMP/log" || fail "a bad rules file was not refused: $(cat "$TMP/log")"
kill -0 $W || fail "watch died on a bad rules file"
[ "$(ls "$TMP/d" | wc -l)" = 0 ] || fail "captured with the old rules"
ok "bad rules file refused, old rules kept"
echo 'fds>0 && cpu>30%' >"$TMP/rules"; kill -HUP $W
wait $W; rc=$?
cat "$TMP/log"
assert_eq "$rc" 0 "watch exit after --once"
assert_eq "$(ls "$TMP/d" | wc -l)" 1 "one capture after the reload"
assert_eq "$(jget "$TMP/d/$(ls "$TMP/d")/trigger.json" 'd["rule"]')" "fds>0&&cpu>30%" "the reloaded rule fired"
assert_cmp "$(jget "$TMP/d/$(ls "$TMP/d")/trigger.json" 'd["metrics"]["fds"]')" ">" 0 "fds were read after the restart"
