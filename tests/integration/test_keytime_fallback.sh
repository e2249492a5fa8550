#!/bin/bash
# Without the proc connector (a new network namespace: LISTEN is refused),
# keytime diffs /proc every tick: children that live several ticks are still
# seen (fork, exit, marked sampled), threads too, and the report says that
# short-lived tasks can be missed and how many scans per second were made.
. "$(dirname "$0")/lib.sh"
need_root
unshare -n true 2>/dev/null || skip "unshare -n not permitted here"

cat >"$TMP/work.sh" <<'SH'
sleep 0.6
sleep 0.4 &
sleep 0.4 &
wait
sleep 0.4
SH
bash "$TMP/work.sh" & W=$!; on_exit "kill $W"
"$HELPERS/threadchurn" 5 1000 400 1000 >/dev/null & T=$!; on_exit "kill $T"
unshare -n "$PROCIMAGE" keytime -p $W,$T --children -d 3s -f json >"$TMP/j" || fail "keytime exited $?"
assert_eq "$(jget "$TMP/j" 'd["sources"]["connector"]["status"]')" degraded "connector status"
reason=$(jget "$TMP/j" 'd["sources"]["connector"]["reason"]')
echo "$reason"
[[ "$reason" == *ECONNREFUSED* ]] || fail "reason names ECONNREFUSED"
[[ "$reason" == *"times/s"* && "$reason" == *missed* ]] || fail "reason gives the scan rate and warns"
rate=$(echo "$reason" | grep -o '[0-9.]* times/s' | cut -d' ' -f1)
assert_cmp "$rate" ">" 20 "scans per second"
read -r forks exits sampled clones texits < <(python3 - "$TMP/j" "$W" "$T" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); W = int(sys.argv[2]); T = int(sys.argv[3])
ev = d["events"]
kids = {e["child_pid"] for e in ev if e["type"] == "fork" and e["pid"] == W}
ex = [e for e in ev if e["type"] == "exit" and e["pid"] in kids]
life = [e for e in ev if e["type"] in ("fork", "exit") and (e["pid"] == W or e["pid"] in kids)]
cl = [e for e in ev if e["type"] == "clone" and e["pid"] == T]
tx = [e for e in ev if e["type"] == "exit" and e["pid"] == T and e["thread"]]
print(len(kids), len(ex), all(not e["exact"] for e in life), len(cl), len(tx))
PY
)
assert_cmp "$forks" ">=" 3 "children seen by polling (three 0.4 s sleeps)"
assert_cmp "$exits" ">=" 3 "their exits seen by polling"
assert_eq "$sampled" True "fallback events are marked sampled"
assert_eq "$clones" 5 "threads living 400 ms seen as clones"
assert_eq "$texits" 5 "and their exits"

# In a pid namespace LISTEN is silently ignored: the missing ack (ours, not
# another listener's) must be noticed and the fallback used.
if unshare -pf true 2>/dev/null; then
	# the child comes at 1.5 s: well after the 300 ms wait for the ack,
	# even on a slow machine (else it is in the first snapshot, no fork)
	bash -c 'sleep 1.5; sleep 0.5; exit 0' & W2=$!; on_exit "kill $W2"
	unshare -pf "$PROCIMAGE" keytime -p $W2 --children -d 2500ms -f json >"$TMP/p" || fail "keytime in a pid ns exited $?"
	reason=$(jget "$TMP/p" 'd["sources"]["connector"]["reason"]')
	echo "$reason"
	[[ "$reason" == *"no ack"* && "$reason" == *"times/s"* ]] || fail "pid namespace: the missing ack is reported"
	assert_cmp "$(jget "$TMP/p" 'len([e for e in d["events"] if e["type"]=="fork" and e["pid"]=='$W2'])')" ">=" 1 \
		"pid namespace: the child is seen by polling"
else
	echo "unshare -pf not permitted: pid namespace case not run"
fi
