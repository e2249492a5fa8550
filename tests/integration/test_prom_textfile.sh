#!/bin/bash
# unprivileged
# -f prom: the Prometheus text exposition written atomically for
# node_exporter's textfile collector. The file passes promtool (when
# installed), the prometheus_client parser (when installed) and our own
# strict checker (always); it holds the spinner's CPU; readers racing
# rewrites never see a partial file; no temp file is left behind.
. "$(dirname "$0")/lib.sh"

( while :; do :; done ) & B=$!; on_exit "kill $B"
sleep 600 & S=$!; on_exit "kill $S"
"$PROCIMAGE" record -o "$TMP/r.db" -p $B,$S -d 1s -i 100ms || fail "record"
mkdir -p "$TMP/textfile"
"$PROCIMAGE" report "$TMP/r.db" resource -f prom -o "$TMP/textfile/procimage.prom" || fail "report -f prom"
F="$TMP/textfile/procimage.prom"
assert_eq "$(ls "$TMP/textfile")" "procimage.prom" "only the final file in the directory"
assert_eq "$(stat -c %a "$F")" 644 "readable by node_exporter"

check_prom() { # FILE -> our strict checker
	python3 - "$1" <<'PY'
import re, sys
name = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
lab = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
line_re = re.compile(r'^(%s)(\{(%s)(,%s)*\})? ([-+]?(?:[0-9.]+(?:[eE][-+]?[0-9]+)?|NaN|[-+]Inf))$' % (name, lab, lab))
seen_fam, cur, samples, n = set(), None, set(), 0
text = open(sys.argv[1]).read()
if not text.endswith('\n'):
    sys.exit('no final newline')
for i, l in enumerate(text.splitlines(), 1):
    if l.startswith('# TYPE '):
        fam = l.split()[2]
        if fam in seen_fam:
            sys.exit('line %d: family %s not contiguous' % (i, fam))
        seen_fam.add(fam); cur = fam
        continue
    if l.startswith('#') or not l:
        continue
    m = line_re.match(l)
    if not m:
        sys.exit('line %d: bad sample: %r' % (i, l))
    if m.group(1) != cur:
        sys.exit('line %d: sample %s outside its TYPE block' % (i, m.group(1)))
    key = (m.group(1), m.group(2))
    if key in samples:
        sys.exit('line %d: duplicate series %r' % (i, key))
    samples.add(key); n += 1
print('ok %d samples, %d families' % (n, len(seen_fam)))
PY
}
check_prom "$F" || fail "strict exposition check"
ok "strict checker: $(check_prom "$F")"
if command -v promtool >/dev/null; then
	promtool check metrics <"$F" 2>&1 | grep -v "no help text" | grep . && fail "promtool check metrics"
	ok "promtool check metrics"
else
	echo "note: promtool not installed (Debian package prometheus): skipped that check"
fi
if /usr/bin/python3 -c "import prometheus_client.parser" 2>/dev/null; then
	/usr/bin/python3 -c "
import sys
from prometheus_client.parser import text_string_to_metric_families as p
n = sum(len(f.samples) for f in p(open(sys.argv[1]).read()))
print(n)" "$F" >"$TMP/n" || fail "prometheus_client parser rejects the file"
	ok "prometheus_client parser: $(cat "$TMP/n") samples"
fi
cpu=$(grep "^procimage_resource_tasks_cpu_ratio{pid=\"$B\"" "$F" | awk '{print $2}')
[ -n "$cpu" ] || fail "no cpu_ratio sample for the spinner"
assert_cmp "$cpu" ">" 0 "spinner CPU in the prom file"
grep -q '^procimage_source_up{source="procfs"} 1$' "$F" || fail "source_up for procfs"

# Atomic replacement: a reader racing 15 rewrites only ever sees whole files.
( for i in $(seq 15); do "$PROCIMAGE" report "$TMP/r.db" resource -f prom -o "$F" || exit 1; done ) & Wr=$!
bad=0
while kill -0 $Wr 2>/dev/null; do
	cp "$F" "$TMP/snap" 2>/dev/null || continue
	tail -c1 "$TMP/snap" | od -c | grep -q '\\n' || bad=1
	grep -q '^procimage_info' "$TMP/snap" || bad=1
done
wait $Wr || fail "rewrites failed"
assert_eq "$bad" 0 "no partial file seen by a concurrent reader"
assert_eq "$(ls "$TMP/textfile")" "procimage.prom" "no temp file left after rewrites"

# The live image commands write the same format (derived from their JSON).
"$PROCIMAGE" resource -p $S -d 300ms -i 100ms -f prom -o "$TMP/textfile/live.prom" || fail "resource -f prom"
check_prom "$TMP/textfile/live.prom" >/dev/null || fail "live prom file: $(check_prom "$TMP/textfile/live.prom")"
grep -q "^procimage_resource_tasks_rss_bytes{pid=\"$S\"" "$TMP/textfile/live.prom" || fail "live prom lacks the task"
ok "live resource -f prom passes the checker"
