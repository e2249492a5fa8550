#!/bin/bash
# syscall honours every -f: one known workload (exactly 10,000 getppid) under
# `procimage syscall --source audit` in each format, and the figure is in
# each: JSON, Prometheus text (prometheus_client parser, when installed, and
# a strict line check), CSV (python csv), HTML (parsed: well formed,
# self-contained, the figure in the syscalls table), folded and the SVG
# flame graph. Audit is left as it was found.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syscall_lib.sh"
need_audit

# run FMT [EXTRA ARGS]: procimage audits one sysloop run; the report in
# $TMP/out.FMT. A loss (the kernel queue overflowed on a loaded host; --stats
# says so whatever the format) makes counts lower bounds: then measure once more.
run() {
	local fmt=$1 try
	shift
	for try in 1 2; do
		"$HELPERS/sysloop" 0 >"$TMP/sl" & SL=$!; on_exit "kill -9 $SL"
		# from when it waits: the dynamic loader's own syscalls must not count
		wait_sigwait $SL
		"$PROCIMAGE" syscall -p $SL -d 60s --source audit -f "$fmt" --stats "$@" \
			>"$TMP/out.$fmt" 2>"$TMP/err.$fmt" & P=$!
		on_exit "kill -9 $P"
		wait_rule $SL $P || fail "-f $fmt: no audit rule for $SL appeared: $(cat "$TMP/err.$fmt")"
		kill -USR1 $SL; wait $SL
		wait $P || fail "-f $fmt: procimage exited $?: $(cat "$TMP/err.$fmt")"
		grep -q done "$TMP/sl" || fail "-f $fmt: workload did not finish"
		assert_eq "$(our_rules $P)" 0 "-f $fmt: no rule left"
		grep -q '^  audit: .*, 0 lost$' "$TMP/err.$fmt" && break
		echo "-f $fmt: records were lost; measuring once more"
	done
	[ $# -gt 0 ] || [ -s "$TMP/out.$fmt" ] || fail "-f $fmt: empty output"
}

# JSON: the reference.
run json
assert_eq "$(jget "$TMP/out.json" 'd["source"]')" audit "json: source"
assert_eq "$(jget "$TMP/out.json" "[s['count'] for s in d['syscalls'] if s['name']=='getppid'][0]")" \
	10000 "json: getppid count"

# Prometheus text exposition.
run prom
python3 - "$TMP/out.prom" "$(dirname "$0")" <<'PY' || fail "prom: strict line check"
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, sys.argv[2])
import prom_strict
seen = prom_strict.check(open(sys.argv[1]).read())
print('ok: %d samples' % len(seen))
PY
ok "prom: strict line check"
grep -qx 'procimage_info{image="syscall",.*} 1' "$TMP/out.prom" || fail "prom: no procimage_info for the syscall image"
grep -qx 'procimage_syscall_counts_exact 1' "$TMP/out.prom" || fail "prom: counts not exact"
if /usr/bin/python3 -c "import prometheus_client.parser" 2>/dev/null; then
	n=$(/usr/bin/python3 - "$TMP/out.prom" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families as parse
v = [s.value for f in parse(open(sys.argv[1]).read()) for s in f.samples
     if s.name == 'procimage_syscall_syscalls_count' and s.labels.get('name') == 'getppid']
assert len(v) == 1, v
print(int(v[0]))
PY
	) || fail "prom: the prometheus_client parser rejects the file or lacks getppid"
	assert_eq "$n" 10000 "prom (prometheus_client): getppid count"
else
	echo "note: python3-prometheus-client not installed (tests/install-deps.sh): grep only"
	n=$(sed -n 's/^procimage_syscall_syscalls_count{name="getppid",.*} \([0-9]*\)$/\1/p' "$TMP/out.prom")
	assert_eq "$n" 10000 "prom (grep): getppid count"
fi

# -o FILE: the prom file is replaced atomically, nothing else left there.
mkdir "$TMP/textfile"
run prom -o "$TMP/textfile/sc.prom"
assert_eq "$(ls "$TMP/textfile")" sc.prom "prom -o: only the final file"
grep -q '^procimage_syscall_syscalls_count{name="getppid",.*} 10000$' "$TMP/textfile/sc.prom" ||
	fail "prom -o: no getppid count in the file"
ok "prom -o: written atomically, getppid 10000"

# CSV: a header row, RFC 4180, one row per syscall.
run csv
n=$(python3 - "$TMP/out.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline='')))
head, body = rows[0], rows[1:]
for c in ('image', 'table', 'name', 'count', 'errors', 'exact'):
    assert c in head, 'no %s column in %r' % (c, head)
assert all(len(r) == len(head) for r in body), 'ragged rows'
d = [dict(zip(head, r)) for r in body]
g = [r for r in d if r['table'] == 'syscalls' and r['name'] == 'getppid']
assert len(g) == 1, g
assert g[0]['image'] == 'syscall' and g[0]['exact'] == 'true', g[0]
print(g[0]['count'])
PY
) || fail "csv: does not parse or lacks getppid"
assert_eq "$n" 10000 "csv: getppid count"

# HTML: well formed, self-contained, the figure in the syscalls table.
run html
python3 - "$TMP/out.html" <<'PY' || fail "html: parser checks"
import sys
from html.parser import HTMLParser
VOID = {'meta', 'img', 'br', 'hr', 'input', 'link'}
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.stack = []; s.tags = {}; s.ext = []; s.cells = []; s.row = None; s.h3 = ''; s.cur = None
    def handle_starttag(s, t, a):
        s.tags[t] = s.tags.get(t, 0) + 1
        for k, v in a:
            if (k in ('src', 'href') and not (v or '').startswith('data:')) or \
               (v and ('http://' in v or 'https://' in v) and k != 'xmlns'):
                s.ext.append((t, k, v))
        if t == 'tr': s.row = []
        if t in ('td', 'th', 'h3'): s.cur = ''
        if t not in VOID: s.stack.append(t)
    def handle_endtag(s, t):
        if t in VOID: return
        assert s.stack and s.stack[-1] == t, 'unbalanced </%s> in %r' % (t, s.stack[-4:])
        s.stack.pop()
        if t in ('td', 'th') and s.row is not None: s.row.append(s.cur)
        if t == 'h3': s.h3 = s.cur
        if t == 'tr': s.cells.append((s.h3, s.row)); s.row = None
        if t in ('td', 'th', 'h3'): s.cur = None
    def handle_data(s, d):
        if s.cur is not None: s.cur += d
doc = open(sys.argv[1]).read()
p = P(); p.feed(doc); p.close()
assert doc.startswith('<!DOCTYPE html>'), 'doctype'
assert not p.stack, 'unclosed: %r' % p.stack
assert 'script' not in p.tags and not p.ext, 'not self-contained'
rows = [r for h, r in p.cells if h == 'syscalls']
head = rows[0]
g = [dict(zip(head, r)) for r in rows[1:] if dict(zip(head, r)).get('name') == 'getppid']
assert len(g) == 1, 'getppid row: %r' % g
assert g[0]['count'] == '10000', g[0]
assert p.tags.get('svg', 0) >= 1, 'no chart'
print('ok: getppid 10000 in the syscalls table, %d tags balanced' % sum(p.tags.values()))
PY
ok "html: well formed, self-contained, getppid 10000"

# folded and the SVG flame graph of the same aggregate.
run folded
grep -qx 'sysloop;getppid 10000' "$TMP/out.folded" || fail "folded: $(cat "$TMP/out.folded")"
ok "folded: sysloop;getppid 10000"
run svg
python3 - "$TMP/out.svg" <<'PY' || fail "svg: not well-formed XML or no getppid frame"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag.endswith('svg'), root.tag
t = [e.text or '' for e in root.iter() if e.tag.endswith('title')]
assert any(x.startswith('getppid (10000 calls') for x in t), t[:10]
PY
ok "svg: well-formed flame graph with the getppid frame"

assert_restored
