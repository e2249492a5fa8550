#!/bin/bash
# exits --follow: each exit is printed (one JSON object per line) as soon as
# its evidence window closes, while the run goes on. The SIGABRT child ends
# about when a tick begins (ticks every 500 ms; it starts ~1 s into the run
# and lives 1.5 s): polling may find it gone before the loop has read its
# exit events, and its status must still be matched.
. "$(dirname "$0")/lib.sh"
need_root

"$PROCIMAGE" exits --follow -f json -i 500ms --comm '^exiter$' >"$TMP/f.jsonl" 2>"$TMP/f.err" & F=$!
on_exit "kill $F"
sleep 1
"$HELPERS/exiter" 1200 code 7 & A=$!
"$HELPERS/exiter" 1500 signal 6 & B=$!
wait $A $B
# Printed before the run ends: within the window (2 s + 2 intervals) + slack.
for _ in $(seq 60); do [ "$(wc -l <"$TMP/f.jsonl")" -ge 2 ] && break; sleep 0.1; done
kill -0 $F || fail "exits --follow ended early: $(cat "$TMP/f.err")"
kill -INT $F; wait $F; rc=$?
assert_eq "$rc" 0 "exit status after SIGINT"
cat "$TMP/f.jsonl"
python3 - "$TMP/f.jsonl" $A $B <<'PY' || fail "follow output"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {r["pid"]: r for r in rows}
a, b = int(sys.argv[2]), int(sys.argv[3])
assert a in by and b in by, f"pids {a} {b} not both in {list(by)}"
assert by[a]["cause"] == "exit" and by[a]["exit_code"] == 7, by[a]
assert by[b]["cause"] == "crash" and by[b]["signal_name"] == "ABRT", by[b]
PY
ok "each exit on its own JSON line, with its cause"
