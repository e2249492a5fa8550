#!/bin/bash
# A 200-thread churn: keytime shows each clone and each thread exit, exactly.
. "$(dirname "$0")/lib.sh"

for try in 1 2; do
	"$HELPERS/threadchurn" 200 1000 20 3000 >"$TMP/truth" & T=$!
	on_exit "kill -9 $T"
	"$PROCIMAGE" keytime -p $T -d 2500ms -f json >"$TMP/j" || fail "keytime exited $?"
	kill -9 $T 2>/dev/null; wait $T 2>/dev/null
	[ -s "$TMP/truth" ] && break
	[ $try = 2 ] && fail "threadchurn did not finish within the run twice"
done
st=$(jget "$TMP/j" 'd["sources"]["connector"]["status"]')
[ "$st" = ok ] || skip "proc connector not available here ($st)"
assert_eq "$(cat "$TMP/truth")" "threads=200" "workload created 200 threads"
read -r clones texits tids_ok < <(python3 - "$TMP/j" "$T" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); T = int(sys.argv[2])
ev = [e for e in d["events"] if e["pid"] == T]
cl = [e["child_tid"] for e in ev if e["type"] == "clone"]
ex = [e["tid"] for e in ev if e["type"] == "exit" and e["thread"]]
print(len(cl), len(ex), sorted(cl) == sorted(ex) and T not in cl)
PY
)
assert_eq "$clones" 200 "clone events"
assert_eq "$texits" 200 "thread exit events"
assert_eq "$tids_ok" True "every created thread exits, by tid"
assert_eq "$(jget "$TMP/j" 'd["summary"]["clones"]')" 200 "summary clones"
assert_eq "$(jget "$TMP/j" 'd["summary"]["thread_exits"]')" 200 "summary thread exits"
