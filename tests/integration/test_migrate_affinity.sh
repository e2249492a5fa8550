#!/bin/bash
# unprivileged
# migrate image: a thread forced to alternate between CPU 0 and CPU 1 every
# 50 ms (sched_setaffinity) for 3 s. The kernel's migration count must be
# within 10% of the moves the thread made, and the observed timeline at a
# 5 ms interval must catch most of them (>= 70%), each 0->1 or 1->0, with the
# matrix adding up. One retry: the machine is shared and a delayed sampler
# can merge two moves.
. "$(dirname "$0")/lib.sh"

[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
grep -q nr_migrations /proc/self/sched 2>/dev/null || skip "no se.nr_migrations in /proc/<pid>/sched (CONFIG_SCHED_DEBUG off)"

attempt() {
	"$HELPERS/migrator" 3000 50 0 1 400 >"$TMP/m.out" &
	local mp=$! pid="" i
	for i in $(seq 50); do
		pid=$(sed -n 's/^ready pid=\([0-9]*\).*/\1/p' "$TMP/m.out" 2>/dev/null)
		[ -n "$pid" ] && break
		sleep 0.02
	done
	[ -n "$pid" ] || fail "migrator did not start"
	TID=$(sed -n 's/^ready pid=[0-9]* tid=//p' "$TMP/m.out")
	"$PROCIMAGE" migrate -p "$pid" -i 5ms -d 5s -f json >"$TMP/j" 2>"$TMP/err" ||
		fail "procimage migrate exited $? ($(cat "$TMP/err"))"
	wait $mp
	MOVES=$(sed -n 's/^done moves=//p' "$TMP/m.out")
	python3 - "$TMP/j" "$TID" "$MOVES" >"$TMP/v" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); tid = int(sys.argv[2]); moves = int(sys.argv[3])
t = [x for x in d["tasks"] if x["tid"] == tid]
if not t:
    print("missing"); sys.exit(1)
t = t[0]
k = t["migrations"]; obs = len(t["observed"])
pairs_ok = all({e["from"], e["to"]} == {0, 1} for e in t["observed"])
msum = sum(m["count"] for m in t["matrix"])
ok = abs(k - moves) <= 0.1 * moves and obs >= 0.7 * moves
print("moves", moves, "kernel", k, "observed", obs, "pairs_ok", int(pairs_ok),
      "matrix_sum", msum, "count", t["observed_count"], "allowed", t["allowed_cpus"],
      "exact", int(d["figures"].startswith("migrations: exact")))
sys.exit(0 if ok else 1)
PY
}
if ! attempt; then
	echo "first attempt: $(cat "$TMP/v"); retrying once"
	attempt || true
fi
set -- $(cat "$TMP/v")
[ "$1" = moves ] || fail "migrator thread missing from the report"
cat "$TMP/v"
assert_cmp "$2" ">=" 50 "moves the thread made"
assert_cmp "$4" ">=" "$(python3 -c "print($2*0.9)")" "kernel count >= 90% of moves"
assert_cmp "$4" "<=" "$(python3 -c "print($2*1.1)")" "kernel count <= 110% of moves"
assert_cmp "$6" ">=" "$(python3 -c "print($2*0.7)")" "moves seen in the 5 ms timeline"
assert_eq "$8" 1 "every observed move is 0->1 or 1->0"
assert_eq "${10}" "${12}" "matrix adds up to the observed count"
assert_eq "${16}" 1 "figures say what is exact"
