#!/bin/bash
# once
# CSV headers are stable: an image with a declared schema prints the same
# header every run, whatever it saw, and a header even with no rows. exits
# runs twice with different workloads (exit 3 + SIGKILL live; exit 0 +
# SIGSEGV recorded, then replayed) and once with nothing to report; the
# three headers are equal to the one docs/formats.md documents, and every
# key of the JSON rows of the replayed run is a column.
. "$(dirname "$0")/lib.sh"
need_root

header() { /usr/bin/python3 -c 'import csv,sys; r=list(csv.reader(open(sys.argv[1], newline=""))); print(",".join(r[0]) if r else "<none>")' "$1"; }
rows() { /usr/bin/python3 -c 'import csv,sys; print(len(list(csv.DictReader(open(sys.argv[1], newline="")))))' "$1"; }

# A: live, exit 3 and SIGKILL.
(sleep 0.5; sh -c 'exit 3'; sh -c 'kill -9 $$'; sleep 0.3) 2>/dev/null &
"$PROCIMAGE" exits -d 2s -f csv -o "$TMP/a.csv" 2>"$TMP/a.err" || fail "exits A: $(cat "$TMP/a.err")"
A=$(header "$TMP/a.csv")
/usr/bin/python3 - "$TMP/a.csv" <<'PY' || fail "exits A lacks the exit-3 row"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert any(r["exit_code"] == "3" and r["cause"] == "exit" for r in rows), rows[:5]
PY
ok "exits A: $(rows "$TMP/a.csv") rows, the exit 3 among them"

# B: recorded, exit 0 and SIGSEGV; replayed as CSV and JSON.
(sleep 0.5; sh -c 'exit 0'; sh -c 'kill -SEGV $$'; sleep 0.3) 2>/dev/null &
"$PROCIMAGE" record -o "$TMP/r.db" -d 2s 2>"$TMP/r.err" || fail "record: $(cat "$TMP/r.err")"
"$PROCIMAGE" report "$TMP/r.db" exits -f csv -o "$TMP/b.csv" || fail "report exits -f csv"
"$PROCIMAGE" report "$TMP/r.db" exits -f json -o "$TMP/b.json" || fail "report exits -f json"
B=$(header "$TMP/b.csv")

# Nothing to report: a sleeper that does not exit.
sleep 60 & S=$!
on_exit "kill $S"
"$PROCIMAGE" exits -p $S -d 1s -f csv -o "$TMP/e.csv" || fail "exits with no exit"
E=$(header "$TMP/e.csv")
assert_eq "$(rows "$TMP/e.csv")" 0 "no rows when nothing exited"

DOC=$(sed -n 's/^exits: `\(.*\)`$/\1/p' "$ROOT/docs/formats.md")
[ -n "$DOC" ] || fail "docs/formats.md documents no exits CSV header"
assert_eq "$A" "$DOC" "header of the live run = the documented one"
assert_eq "$B" "$DOC" "header of the replayed run = the documented one"
assert_eq "$E" "$DOC" "header with no rows = the documented one"
/usr/bin/python3 - "$TMP/b.json" "$B" <<'PY' || fail "a JSON key of exits is not a CSV column"
import json, sys
d, cols = json.load(open(sys.argv[1])), set(sys.argv[2].split(","))
n = 0
for table in ("exits", "oom_kills_in_log"):
    for r in d.get(table, []):
        for k, v in r.items():
            n += 1
            if not isinstance(v, (list, dict)):
                assert k in cols, (table, k)
print("ok: %d JSON fields of exits, all CSV columns" % n)
PY
