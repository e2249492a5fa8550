#!/bin/bash
# unprivileged
# record -> report rebuilds the same image as the live run over the same
# records: `record --report resource` runs the image live while every record
# goes to the store (a tee), then `report` replays the file through the same
# image code. The JSON documents must be identical (nothing is volatile: the
# envelope of a report is the recording's). Also the window and target
# filters, the text format, and report FILE triage.
. "$(dirname "$0")/lib.sh"

sleep 60 & S=$!; on_exit "kill $S"
( while :; do :; done ) & B=$!; on_exit "kill $B"
"$PROCIMAGE" record -o "$TMP/r.db" -p $S,$B -d 1500ms -i 100ms --report resource -f json \
	>"$TMP/live.json" || fail "record exited $?"
[ -s "$TMP/r.db" ] || fail "no recording file"
[ "$(stat -c %a "$TMP/r.db")" = 600 ] || fail "recording mode is $(stat -c %a "$TMP/r.db"), want 600"
ls "$TMP"/r.db-wal "$TMP"/r.db-shm 2>/dev/null | grep -q . && fail "WAL files left after a clean end"
"$PROCIMAGE" report "$TMP/r.db" resource -f json >"$TMP/rep.json" || fail "report exited $?"
assert_eq "$(jget "$TMP/live.json" 'len(d["tasks"])')" 2 "live run saw both tasks"
# The spinner is on a CPU or waiting for one (the machine may be loaded).
assert_cmp "$(jget "$TMP/live.json" '[t for t in d["tasks"] if t["pid"]=='$B'][0]["cpu_pct"]')" ">" 0 \
	"live spinner CPU"
if ! cmp -s "$TMP/live.json" "$TMP/rep.json"; then
	diff <(python3 -m json.tool "$TMP/live.json") <(python3 -m json.tool "$TMP/rep.json") | head -20
	fail "report from the store differs from the live run"
fi
ok "report == live run (byte-identical JSON)"

# Text too, and the sqlite3 shell can read the file (documented schema).
"$PROCIMAGE" report "$TMP/r.db" resource >"$TMP/rep.txt" || fail "text report"
grep -q "^ *$B " "$TMP/rep.txt" || fail "text report lacks pid $B"
if command -v sqlite3 >/dev/null; then
	assert_eq "$(sqlite3 "$TMP/r.db" "select value from meta where key='schema_version'")" 1 "schema version"
	n=$(sqlite3 "$TMP/r.db" "select sum(records) from segments")
	assert_cmp "$n" ">=" 30 "records in the segments view"
fi

# A target filter: only the sleeper.
"$PROCIMAGE" report "$TMP/r.db" resource -p $S -f json >"$TMP/s.json" || fail "report -p"
assert_eq "$(jget "$TMP/s.json" '[t["pid"] for t in d["tasks"]]')" "[$S]" "-p filter"
# A window: the second half only (duration follows the window).
"$PROCIMAGE" report "$TMP/r.db" resource --from 750ms -f json >"$TMP/w.json" || fail "report --from"
dur=$(jget "$TMP/w.json" 'd["duration_s"]')
assert_cmp "$dur" "<" 0.9 "window duration"
assert_cmp "$dur" ">" 0.6 "window duration"
# A pid never recorded: exit 3.
"$PROCIMAGE" report "$TMP/r.db" resource -p 4000000 >/dev/null 2>"$TMP/e"; rc=$?
assert_eq "$rc" 3 "unknown pid in the recording"
# Bad usage: exit 2 with a message.
"$PROCIMAGE" report "$TMP/r.db" nosuchimage 2>"$TMP/e"; rc=$?
assert_eq "$rc" 2 "unknown image"
grep -q "unknown image 'nosuchimage'" "$TMP/e" || fail "message: $(cat "$TMP/e")"
"$PROCIMAGE" record -d 1s 2>"$TMP/e"; rc=$?
assert_eq "$rc" 2 "record without -o"
"$PROCIMAGE" record -o "$TMP/x.db" --max-size 12 2>"$TMP/e"; rc=$?
assert_eq "$rc" 2 "bad --max-size"
# report FILE triage, to -o (the report's FILE is the caller's: written
# once, closed once; a sanitized build checks that), and report's folded
# stacks of sched.
"$PROCIMAGE" report "$TMP/r.db" triage -f json -o "$TMP/t.json" 2>"$TMP/e" ||
	fail "report triage -o exited $?: $(cat "$TMP/e")"
assert_eq "$(jget "$TMP/t.json" 'd["recording"]')" "$TMP/r.db" "report triage: recording"
assert_eq "$(jget "$TMP/t.json" 'd["image"]')" triage "report triage: image"
assert_eq "$(jget "$TMP/t.json" 'd["offenders"][0]["pid"]')" "$B" "report triage: first offender (the busy loop)"
"$PROCIMAGE" report "$TMP/r.db" triage -o "$TMP/t.txt" 2>"$TMP/e" || fail "report triage text -o exited $?"
grep -q "^DIAGNOSIS" "$TMP/t.txt" || fail "report triage text: no DIAGNOSIS: $(head -5 "$TMP/t.txt")"
"$PROCIMAGE" report "$TMP/r.db" sched -f folded -o "$TMP/s.folded" 2>"$TMP/e" ||
	fail "report sched -f folded exited $?: $(cat "$TMP/e")"
# a format triage does not write: the advice is a recording's
"$PROCIMAGE" report "$TMP/r.db" triage -f pprof >/dev/null 2>"$TMP/e"; rc=$?
assert_eq "$rc" 2 "report triage -f pprof"
grep -q "report FILE sched -f folded" "$TMP/e" || fail "report triage -f pprof: advice: $(cat "$TMP/e")"
# a recording of an idle task: a verdict about the recording, not the host,
# and no deeper look is null, not 0 s
"$PROCIMAGE" record -o "$TMP/idle.db" -p $S -d 500ms -i 100ms 2>"$TMP/e" || fail "record idle: $(cat "$TMP/e")"
"$PROCIMAGE" report "$TMP/idle.db" triage -f json >"$TMP/ti.json" 2>"$TMP/e" || fail "report triage idle exited $?"
case "$(jget "$TMP/ti.json" 'd["verdict"]')" in
"nothing to chase in the recording"*) ;;
*) fail "report triage idle: verdict $(jget "$TMP/ti.json" 'd["verdict"]')" ;;
esac
assert_eq "$(jget "$TMP/ti.json" 'd["deep_s"]')" None "report triage idle: deep_s"
ok "report triage and report sched -f folded, to -o"
