#!/bin/bash
# Loss is reported, never hidden: a fork storm while the reader is paused
# with a tiny receive buffer (test-only knobs) must report lost events, with
# a time window, in the source status, the events and the summary.
# One pass only: what it checks is the kernel's behaviour, a timing or a share
# (the sanitizer build adds run time, not coverage: other tests take the
# same code paths under ASan)
# once
. "$(dirname "$0")/lib.sh"

# The target outlives the test whatever the load (killed on exit).
sleep 600 & S=$!; on_exit "kill $S"
# The stall starts at the first event and lasts until 3 s after start; the
# storm must begin after the connector has subscribed (start-up, including its
# wait for the kernel's ack, can take most of a second on a sanitizer build)
# and end inside the stall.
PROCIMAGE_TEST_CN_RCVBUF=4096 PROCIMAGE_TEST_CN_STALL_MS=3000 \
	"$PROCIMAGE" keytime -p $S -d 4s -f json >"$TMP/j" & P=$!
on_exit "kill $P"
sleep 1.2
"$HELPERS/forkstorm" 3000 1 0 >"$TMP/storm"
wait $P || fail "keytime exited $?"
st=$(jget "$TMP/j" 'd["sources"]["connector"]["status"]')
[ "$st" = unavailable ] && skip "proc connector not available here"
lost=$(jget "$TMP/j" 'd["sources"]["connector"]["lost"]')
assert_cmp "$lost" ">" 0 "connector reports lost events"
assert_eq "$st" degraded "connector status after a loss"
assert_cmp "$(jget "$TMP/j" 'd["summary"]["lost"]')" ">" 0 "summary lost"
assert_cmp "$(jget "$TMP/j" 'sum(e["count"] for e in d["events"] if e["type"]=="lost")')" ">" 0 \
	"lost events in the timeline"
assert_cmp "$(jget "$TMP/j" 'min(e["window_ms"] for e in d["events"] if e["type"]=="lost")')" ">=" 0 \
	"lost events carry a window"
# Without the knobs the same storm loses nothing (32 MiB buffer, prompt drain).
"$PROCIMAGE" keytime -p $S -d 2s -f json >"$TMP/j2" & P=$!
sleep 0.4
"$HELPERS/forkstorm" 2000 1 0 >/dev/null
wait $P || fail "keytime exited $?"
assert_eq "$(jget "$TMP/j2" 'd["sources"]["connector"]["lost"]')" 0 "no loss with the normal buffer"
