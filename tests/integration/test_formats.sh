#!/bin/bash
# Every command honours -f or refuses it. For each command and format either
# the output parses (JSON; Prometheus text through prometheus_client when
# installed, else a strict line check; CSV through python's csv; HTML through
# html.parser; SVG as XML; folded lines) and holds a real figure of a known
# workload, or the command exits 2 at once naming the format, what it writes
# and what to use instead. A report that cannot be written (stdout on
# /dev/full) exits 1 with the reason.
. "$(dirname "$0")/lib.sh"

[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs (the migrate workload)"

# The workloads: a spinner (CPU), a sleeper (blocked the whole run), a shell
# waiting on its child (a syscall to sample), a thread alternating CPUs.
bash -c 'while :; do :; done' & B=$!
sleep 600 & S=$!
bash -c 'sleep 600; :' & W=$!
on_exit "kill -9 $B $S $W"
on_exit "pkill -9 -P $W"
"$HELPERS/migrator" 120000 50 0 1 0 >"$TMP/m.out" & MP=$!
on_exit "kill -9 $MP"
for _ in $(seq 100); do grep -q '^ready' "$TMP/m.out" && break; sleep 0.02; done
MT=$(sed -n 's/^ready pid=[0-9]* tid=//p' "$TMP/m.out")
[ -n "$MT" ] || fail "migrator did not start"
MIG=$(sed -n 's/^ready pid=\([0-9]*\).*/\1/p' "$TMP/m.out")

# fig.py finds the shared strict Prometheus checker here
export TESTDIR="$(cd "$(dirname "$0")" && pwd)"
cat >"$TMP/fig.py" <<'PY'
# fig.py FMT FILE TABLES KEY IDKEY IDVAL PROMFAMILIES
# Parse FILE as FMT and print the largest KEY of the rows of TABLES (comma
# separated) whose IDKEY is IDVAL, any row when IDKEY is '-' (prom: the
# samples of PROMFAMILIES, with label IDKEY=IDVAL). Exit 1 with the reason
# when the file does not parse or has no such row.
import csv, json, os, re, sys
fmt, path, table, key, idkey, idval, fam = sys.argv[1:8]
tables, fams_wanted = set(table.split(',')), set(fam.split(','))
text = open(path, newline='').read()
vals = []

def rows_json(v):
    if isinstance(v, dict):
        for k, x in v.items():
            if k in tables and isinstance(x, list):
                yield from (e for e in x if isinstance(e, dict))
            yield from rows_json(x)
    elif isinstance(v, list):
        for x in v:
            yield from rows_json(x)

if fmt == 'json':
    for r in rows_json(json.loads(text)):
        if (idkey == '-' or str(r.get(idkey)) == idval) and isinstance(r.get(key), (int, float)):
            vals.append(r[key])
elif fmt == 'prom':
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    sys.path.insert(0, os.environ["TESTDIR"])
    import prom_strict
    prom_strict.check(text)
    try:
        from prometheus_client.parser import text_string_to_metric_families as parse
    except ImportError:
        parse = None
    if parse:
        samples = [(s.name, s.labels, s.value) for f in parse(text) for s in f.samples]
    else:
        samples = []
        for l in text.splitlines():
            m = prom_strict.LINE.match(l)
            if m:
                labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or ''))
                samples.append((m.group(1), labels, float(m.group(5))))
    for n, labels, v in samples:
        if n in fams_wanted and (idkey == '-' or labels.get(idkey) == idval):
            vals.append(v)
elif fmt == 'csv':
    rows = list(csv.reader(text.splitlines()))
    head = rows[0]
    assert all(len(r) == len(head) for r in rows[1:]), 'ragged rows'
    for r in rows[1:]:
        d = dict(zip(head, r))
        if d.get('table') in tables and (idkey == '-' or d.get(idkey) == idval) and d.get(key):
            vals.append(float(d[key]))
elif fmt == 'html':
    from html.parser import HTMLParser
    VOID = {'meta', 'img', 'br', 'hr', 'input', 'link'}
    class P(HTMLParser):
        def __init__(s):
            super().__init__(); s.stack = []; s.tags = set(); s.tables = []; s.h3 = ''; s.cur = None; s.row = None
        def handle_starttag(s, t, a):
            s.tags.add(t)
            if t == 'tr': s.row = []
            if t == 'table': s.tables.append((s.h3, []))
            if t in ('td', 'th', 'h3'): s.cur = ''
            if t not in VOID: s.stack.append(t)
        def handle_endtag(s, t):
            if t in VOID: return
            assert s.stack and s.stack[-1] == t, 'unbalanced </%s>' % t
            s.stack.pop()
            if t in ('td', 'th') and s.row is not None: s.row.append(s.cur)
            if t == 'h3': s.h3 = s.cur
            if t == 'tr' and s.tables: s.tables[-1][1].append(s.row); s.row = None
            if t in ('td', 'th', 'h3'): s.cur = None
        def handle_data(s, d):
            if s.cur is not None: s.cur += d
    p = P(); p.feed(text); p.close()
    assert text.startswith('<!DOCTYPE html>'), 'no doctype'
    assert not p.stack, 'unclosed %r' % p.stack
    assert 'script' not in p.tags, 'a script in the page'
    for h, rows in p.tables:
        if h not in tables or not rows:
            continue
        for r in rows[1:]:
            d = dict(zip(rows[0], r))
            if (idkey == '-' or d.get(idkey) == idval) and d.get(key):
                vals.append(float(d[key]))
if not vals:
    sys.exit('%s: no %s of %s %s=%s' % (fmt, key, table, idkey, idval))
print(max(vals))
PY

# run NAME FMT TABLE KEY IDKEY IDVAL PROMFAMILY MIN -- ARGS: the report of
# procimage ARGS -f FMT parses and its figure is at least MIN (low for CPU:
# the host may be crowded; the point is that the spinner's figure is there).
run() {
	local name=$1 fmt=$2 table=$3 key=$4 idkey=$5 idval=$6 fam=$7 min=$8
	shift 9
	local out="$TMP/out.$BASHPID" err="$TMP/err.$BASHPID" # the formats run side by side
	"$PROCIMAGE" "$@" -f "$fmt" >"$out" 2>"$err" ||
		fail "$name -f $fmt exited $?: $(cat "$err")"
	check "$name" "$fmt" "$table" "$key" "$idkey" "$idval" "$fam" "$min" "$out" "$err"
}

# check NAME FMT TABLE KEY IDKEY IDVAL PROMFAMILY MIN OUT ERR: run's test of
# a report already written (the exits runs go side by side: each waits for
# its evidence window after the exit).
check() {
	local name=$1 fmt=$2 table=$3 key=$4 idkey=$5 idval=$6 fam=$7 min=$8 out=$9 err=${10} v
	grep -q "AddressSanitizer\|runtime error" "$err" && fail "$name -f $fmt: sanitizer report"
	v=$(python3 "$TMP/fig.py" "$fmt" "$out" "$table" "$key" "$idkey" "$idval" "$fam" 2>&1) ||
		{ head -c 2000 "$out"; fail "$name -f $fmt: $v"; }
	[ "$fmt" = prom ] && table=$fam key="" || key=" $key"
	assert_cmp "$v" ">=" "$min" "$name -f $fmt: $table$key of $idkey $idval"
}

# refuse CMD ARGS...: exit 2 at once, the message says what works.
refuse() {
	local t0=$SECONDS
	"$PROCIMAGE" "$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	[ $rc = 2 ] || fail "procimage $* exited $rc, want 2: $(cat "$TMP/err")"
	[ -s "$TMP/out" ] && fail "procimage $*: printed something: $(head -c 300 "$TMP/out")"
	[ $((SECONDS - t0)) -le 2 ] || fail "procimage $*: refused only after running"
	grep -q -- "-f [a-z]*: " "$TMP/err" || fail "procimage $*: the message does not name the format: $(cat "$TMP/err")"
	grep -Eq "writes text, json, prom, csv(,| or) html|capture-format|in text or json" "$TMP/err" ||
		fail "procimage $*: the message does not say what works: $(cat "$TMP/err")"
	grep -Eq "procimage (report FILE )?(stacks|sched|syscall)|drop (it|--follow)" "$TMP/err" ||
		fail "procimage $*: the message does not say what to do: $(cat "$TMP/err")"
	ok "procimage $* -> 2: $(head -1 "$TMP/err")"
}

# full ARGS...: stdout on /dev/full: exit 1, the reason on stderr.
full() {
	local err="$TMP/err.$BASHPID" # one may run in the background
	"$PROCIMAGE" "$@" >/dev/full 2>"$err"
	local rc=$?
	[ $rc = 1 ] || fail "procimage $* >/dev/full exited $rc, want 1: $(cat "$err")"
	grep -q "No space left on device" "$err" || fail "procimage $* >/dev/full: $(cat "$err")"
	ok "procimage $* >/dev/full -> 1"
}

# Half a second is enough for every figure checked below (the spinner runs,
# the sleeper blocks); triage and migrate (a crowded host delays the
# migrator) take 1 s.
D=(-d 500ms)
# The four formats side by side (each a subshell: its fail exits it, and
# the wait below fails the test): the suite's time.
formats_of() {
	local f=$1 ms pct
	# prom has base units: seconds, ratios (docs/formats.md)
	[ $f = prom ] && ms=0.001 pct=0.001 || ms=1 pct=0.1
	run sched $f hogs,busiest cpu_ms pid $B procimage_sched_hogs_cpu_seconds,procimage_sched_busiest_cpu_seconds $ms -- \
		sched -p $B "${D[@]}"
	run resource $f tasks cpu_pct pid $B procimage_resource_tasks_cpu_ratio $pct -- resource -p $B "${D[@]}"
	if [ $f = prom ]; then # events are a timeline, not metrics: the summary is
		run keytime $f - - - - procimage_keytime_summary_blocked_periods 1 -- keytime -p $S "${D[@]}"
	else
		run keytime $f events duration_ms pid $S - 100 -- keytime -p $S "${D[@]}"
	fi
	run migrate $f tasks migrations tid $MT procimage_migrate_tasks_migrations 1 -- migrate -p $MIG -d 1s
	run syscall $f syscalls count name wait4 procimage_syscall_syscalls_count 1 -- \
		syscall -p $W --source sample "${D[@]}"
	# triage's own figure: its offenders (the spinner, or whatever is
	# busier on a crowded host)
	run triage $f offenders cpu_pct - - procimage_triage_offenders_cpu_ratio $pct -- triage -d 1s
	run "record --report" $f tasks cpu_pct pid $B procimage_resource_tasks_cpu_ratio $pct -- \
		record -o "$TMP/r.$f.db" -p $B,$S "${D[@]}" --report resource
	run report $f tasks cpu_pct pid $B procimage_resource_tasks_cpu_ratio $pct -- report "$TMP/r.$f.db" resource
}
declare -A FP
for f in json prom csv html; do
	formats_of $f & FP[$f]=$!
done
declare -A XP XR
for f in json prom csv html; do
	bash -c 'sleep 1.5; exit 7' & XP[$f]=$!
	"$PROCIMAGE" exits -p ${XP[$f]} -i 100ms -d 30s -f $f >"$TMP/x.$f" 2>"$TMP/x.$f.err" & XR[$f]=$!
done
for f in json prom csv html; do
	wait ${FP[$f]} || fail "the -f $f reports failed (above)"
done
mv "$TMP/r.json.db" "$TMP/r.db" # a recording for the refusals below
for f in json prom csv html; do
	wait ${XR[$f]} || fail "exits -f $f exited $?: $(cat "$TMP/x.$f.err")"
	if [ $f = prom ]; then # counted by cause and comm, never one series per pid
		check exits $f - - cause exit procimage_exits_exited_processes 1 "$TMP/x.$f" "$TMP/x.$f.err"
		grep -q 'pid=' "$TMP/x.$f" && fail "exits -f prom has pid labels: $(grep 'pid=' "$TMP/x.$f" | head -3)"
	else
		check exits $f exits exit_code pid ${XP[$f]} - 7 "$TMP/x.$f" "$TMP/x.$f.err"
	fi
done
# and counted by cause: one series each, whatever the exits
grep -qx 'procimage_exits_by_cause{cause="exit"} 1' "$TMP/x.prom" || fail "exits -f prom: no by_cause series: $(grep by_cause "$TMP/x.prom")"
ok 'exits -f prom: procimage_exits_by_cause{cause="exit"} 1'

# folded and svg where there are stacks: sched (where the hogs were seen,
# [on-cpu] while running with --stacks), syscall (comm;syscall).
graph() { # NAME FMT ARGS...: the output is folded lines or a well-formed SVG
	local name=$1 fmt=$2
	shift 2
	"$PROCIMAGE" "$@" -f "$fmt" >"$TMP/out" 2>"$TMP/err" ||
		fail "$name -f $fmt exited $?: $(cat "$TMP/err")"
	if [ "$fmt" = folded ]; then
		grep -qvE '^[^ ].* [0-9]+$' "$TMP/out" && fail "$name -f folded: not folded lines: $(head -3 "$TMP/out")"
	else
		python3 -c "import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); assert r.tag.endswith('svg'), r.tag" \
			"$TMP/out" || fail "$name -f svg: not an SVG document"
	fi
}
graph syscall folded syscall -p $W --source sample "${D[@]}"
grep -qx 'bash;wait4 [0-9]*' "$TMP/out" || fail "syscall -f folded: no bash;wait4 line: $(cat "$TMP/out")"
ok "syscall -f folded: $(head -1 "$TMP/out")"
graph syscall svg syscall -p $W --source sample "${D[@]}"
grep -q '<title>wait4 (' "$TMP/out" || fail "syscall -f svg: no wait4 frame"
ok "syscall -f svg: the wait4 frame"
for f in folded svg; do
	graph sched $f sched -p $B --stacks --threshold 30ms "${D[@]}"
	# once more, easier, when a crowded host kept the spinner from a run
	[ -s "$TMP/out" ] && ! grep -q 'no samples' "$TMP/out" ||
		graph sched $f sched -p $B --stacks --threshold 20ms -i 5ms "${D[@]}"
	if [ $f = folded ] && [ -s "$TMP/out" ]; then
		grep -q '^bash;' "$TMP/out" || fail "sched -f folded: not the spinner's stacks: $(cat "$TMP/out")"
		ok "sched -f folded: $(head -1 "$TMP/out")"
	elif [ $f = svg ] && ! grep -q 'no samples' "$TMP/out"; then
		grep -q '<title>bash (' "$TMP/out" || fail "sched -f svg: no frame of the spinner"
		ok "sched -f svg: the spinner's frames"
	else # a crowded host: the spinner never held its CPU 90% of 30 ms
		grep -q "no thread held a CPU" "$TMP/err" || fail "sched -f $f: empty, and stderr does not say why"
		echo "note: sched -f $f: no hog on this crowded host; stderr says so"
	fi
done

# The formats a command cannot write: exit 2 before anything runs.
for f in folded svg; do
	refuse resource -p $B -f $f
	refuse keytime -p $S -f $f
	refuse migrate -p $MIG -f $f
	refuse triage -f $f
	refuse report "$TMP/r.db" -f $f          # several images: one at a time
	refuse report "$TMP/r.db" resource -f $f # no stacks
	refuse record -o "$TMP/r2.db" --report sched -f $f
	refuse sched-image --report -f $f
	refuse sys-cost --report -f $f
	refuse exits -p $S -f $f
done
for f in prom csv html; do # --follow prints exits one by one: no whole report
	refuse exits --follow -f $f
done
[ -e "$TMP/r2.db" ] && fail "record -f svg recorded before refusing"
for f in text json prom csv html folded svg; do
	refuse watch --rule 'cpu>80%' --dump-dir "$TMP/dumps" -f $f
done
[ -e "$TMP/dumps" ] && fail "watch -f created its dump dir before refusing"
grep -q "capture-format" "$TMP/err" || fail "watch: the message does not name --capture-format"

# A report that cannot be written: exit 1 with the reason, every format.
for f in text json prom csv html; do
	full resource -p $B -d 300ms -f $f
done
# (a run, even on a crowded host, so that there is an SVG to write)
full sched -p $B -d 1s --threshold 2ms -f svg
full triage -d 1s
full report "$TMP/r.db" resource -f json
full record -o "$TMP/r3.db" -p $B -d 300ms --report resource -f json
full resource -p $B -d 300ms -o /dev/full
bash -c 'sleep 1.5; exit 7' & X=$!
full exits -p $X -i 100ms -d 30s -f json &
FX=$!
bash -c 'sleep 1.5; exit 7' & X=$!
full exits --follow -p $X -i 100ms -f json # stops at the first failed write
wait $FX || exit 1
