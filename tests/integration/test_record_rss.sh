#!/bin/bash
# record's memory is bounded: a whole-host recording at 1 s under thread
# churn (500 threads/s, each a clone, an exit and taskstats records, so the
# codec's slot limit is passed within ~10 s) and a fork loop, for 20 s. Its
# VmRSS stays under a bound that allows for the host's tasks, and does not
# grow from the middle of the run (slots full) to its end. A leak of a few
# hundred KiB/s (a slot table that grows with every task seen, a libdwfl
# session per sampled process) fails one or the other. The file replays.
# One pass only: the RSS is the figure, and the sanitizers hold memory in
# shadow and quarantine (the store's decoder is fuzzed, and other record
# tests run in the sanitizer pass).
# once
. "$(dirname "$0")/lib.sh"
need_root
SECS=20
"$HELPERS/churn_rate" 500 $((SECS + 1)) >"$TMP/churn.out" &
W=$!
on_exit "kill -9 $W"
(while :; do /bin/true; sleep 0.01; done) &
F=$!
on_exit "kill -9 $F"
sleep 0.5
ntasks=$(ls -d /proc/[0-9]*/task/[0-9]* 2>/dev/null | wc -l)
"$PROCIMAGE" record -o "$TMP/r.db" -i 1s --max-size 50M -d ${SECS}s 2>"$TMP/record.err" &
R=$!
on_exit "kill -9 $R"

for t in $(seq $((SECS - 1))); do
	sleep 1
	[ -d /proc/$R ] || break
	echo "$t $(awk '/^VmRSS/ {print $2}' /proc/$R/status) $(ls /proc/$R/fd | wc -l)" >>"$TMP/usage"
done
wait $R || { cat "$TMP/record.err"; fail "record exited $?"; }
cat "$TMP/usage" | tr '\n' ' '
echo

# 32 MiB for the store (at most ~6 MiB of codec slots, 0.5 MiB of SQLite
# cache, 2 MiB of chunk buffers), the libraries and the sources' fixed part,
# plus 8 KiB per task on the host for the sources' per-task state.
bound=$((32 * 1024 + ntasks * 8))
python3 - "$TMP/usage" "$bound" <<'PY' || fail "record's RSS not bounded"
import sys
rows = [[int(x) for x in l.split()] for l in open(sys.argv[1])]
bound = int(sys.argv[2])
assert len(rows) >= 16, "too few samples: %d" % len(rows)
rss = [r[1] for r in rows]
mid = [r[1] for r in rows if 10 <= r[0] <= 14]
end = rss[-4:]
print("RSS KiB: max %d (bound %d), middle %d, end %d" % (max(rss), bound, max(mid), max(end)))
assert max(rss) < bound, "RSS %d KiB over the bound %d KiB" % (max(rss), bound)
# Flat once the slots are full: allow 3 MiB for the host's tasks changing
# (a source's task map doubling) and allocator noise.
assert max(end) - max(mid) < 3 * 1024, "RSS grew %d KiB from the middle to the end" % (max(end) - max(mid))
PY
ok "record's RSS bounded and flat ($ntasks tasks on the host)"

wait $W
n=$(sed -n 's/threads=\([0-9]*\).*/\1/p' "$TMP/churn.out")
assert_cmp "${n:-0}" '>=' $((SECS * 200)) "threads created (load may slow the churn)"
"$PROCIMAGE" report "$TMP/r.db" --info >"$TMP/info" 2>"$TMP/e" || fail "report --info: $(cat "$TMP/e")"
grep -E "records by kind" "$TMP/info"
recs=$(sed -n 's/^ *\([0-9]*\) records from.*/\1/p' "$TMP/info")
# each thread is at least a clone and an exit event
assert_cmp "${recs:-0}" '>' $((n * 2)) "records in the file (2 per thread created)"
"$PROCIMAGE" report "$TMP/r.db" keytime -p $W -f json >"$TMP/k.json" 2>"$TMP/e" ||
	fail "report keytime: $(cat "$TMP/e")"
ok "the recording replays"
