#!/bin/bash
# keytime from the proc connector, against a workload that knows its ground
# truth: 50 children (even ones exec /bin/true, odd ones exit(3)) must give
# exactly 50 forks, 25 execs and 50 exits with the right codes; a child
# killed by SIGKILL shows signal 9; events are sorted, with RFC 3339 times.
. "$(dirname "$0")/lib.sh"

connector_or_skip() { # JSON
	st=$(jget "$1" 'd["sources"].get("connector",{}).get("status","absent")')
	[ "$st" = ok ] || skip "proc connector not available here ($st: $(jget "$1" 'd["sources"].get("connector",{}).get("reason","")'))"
}

# Run keytime on a forker; retry once when the host is so loaded that the
# workload did not finish inside the window.
run_forker() { # OUT N [-k]
	local out=$1 n=$2 k=${3:-} try
	for try in 1 2; do
		"$HELPERS/forker" "$n" 1000 4000 $k >"$out.truth" & local F=$!
		on_exit "kill -9 $F"
		"$PROCIMAGE" keytime -p $F --children -d 3500ms -f json >"$out" || fail "keytime exited $?"
		kill -9 $F 2>/dev/null; wait $F 2>/dev/null
		[ -s "$out.truth" ] && { echo $F >"$out.pid"; return 0; }
		echo "workload did not finish in time (try $try), retrying"
	done
	fail "forker did not finish within the run twice"
}

run_forker "$TMP/a" 50
connector_or_skip "$TMP/a"
F=$(cat "$TMP/a.pid")
assert_eq "$(cat "$TMP/a.truth")" "forks=50 execs=25 code3=25 killed=0" "workload ground truth"
cat >"$TMP/check.py" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1])); F = int(sys.argv[2])
ev = d["events"]
kids = {e["child_pid"] for e in ev if e["type"] == "fork" and e["pid"] == F}
forks = [e for e in ev if e["type"] == "fork" and e["pid"] == F]
execs = [e for e in ev if e["type"] == "exec" and e["pid"] in kids]
exits = [e for e in ev if e["type"] == "exit" and e["pid"] in kids and not e["thread"]]
codes = sorted(e["exit_code"] for e in exits if e["cause"] == "exit")
sigs = sorted(e["signal"] for e in exits if e["cause"] == "signal")
named = [e for e in execs if e["filename"]]
argv_ok = all(e["argv"] in (None, ["true", "forker-arg"]) for e in named)
file_ok = all(e["filename"].endswith("/true") for e in named)
t = [e["t_ns"] for e in ev]
timefmt = all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", e["time"]) for e in ev)
exact = all(e["exact"] for e in forks + execs + exits)
print(len(forks), len(execs), len(exits), codes.count(0), codes.count(3), ",".join(map(str, sigs)) or "-",
      len(named) > 0 and argv_ok and file_ok, t == sorted(t), timefmt, exact,
      d["summary"]["forks"], d["summary"]["execs"] - len([e for e in ev if e["type"] == "exec" and e["pid"] == F]),
      d["summary"]["exits"])
PY
read -r nf ne nx c0 c3 sigs names sorted timefmt exact sf se sx < <(python3 "$TMP/check.py" "$TMP/a" "$F")
assert_eq "$nf" 50 "forks of the workload"
assert_eq "$ne" 25 "execs of its children"
assert_eq "$nx" 50 "exits of its children"
assert_eq "$c0" 25 "children that exited 0 (after exec /bin/true)"
assert_eq "$c3" 25 "children that exited with code 3"
assert_eq "$sigs" - "no child killed by a signal"
assert_eq "$names" True "exec events carry the full filename and argv"
assert_eq "$sorted" True "events sorted by t_ns"
assert_eq "$timefmt" True "wall time in RFC 3339"
assert_eq "$exact" True "connector events marked exact"
# (the summary also counts the exec of the workload itself when the run
# started before it: the shell forks, then execs the helper)
assert_eq "$sf $se $sx" "50 25 50" "summary forks/execs (children's)/exits"

run_forker "$TMP/b" 4 -k
F=$(cat "$TMP/b.pid")
read -r nf ne nx c0 c3 sigs rest < <(python3 "$TMP/check.py" "$TMP/b" "$F")
assert_eq "$nf" 5 "forks with the killed child"
assert_eq "$sigs" 9 "the killed child shows signal 9"
assert_eq "$c3" 2 "two children exited with code 3"

# The text form: one line per event, and the summary. A child that lives
# 300 ms after its exec must show its full filename and argv.
# (1.2 s before the first event: keytime is subscribed by then, even slowed)
"$HELPERS/forker" 4 1200 1500 -k >/dev/null & F=$!; on_exit "kill -9 $F"
"$PROCIMAGE" keytime -p $F --children -d 2500ms >"$TMP/text" || fail "text run"
grep -q "killed by signal 9 (SIGKILL)" "$TMP/text" || { cat "$TMP/text"; fail "text shows the SIGKILL"; }
grep -q "^  5 forks" "$TMP/text" || { cat "$TMP/text"; fail "text summary counts the forks"; }
bash -c 'sleep 1.2; exec /bin/sleep 0.3' & B=$!; on_exit "kill -9 $B"
"$PROCIMAGE" keytime -p $B -d 2s >"$TMP/text2" || fail "text run 2"
grep -q " exec .*/sleep /bin/sleep 0.3$" "$TMP/text2" || { cat "$TMP/text2"; fail "text shows the exec with argv"; }
ok "text report"
