#!/bin/bash
# once
# -f prom names and labels (docs/formats.md), parsed by prometheus_client:
# units in the names in base units (no _pct, _ms, _ns family), exits counted
# by cause and comm (no pid or time label, no procimage_exits_exits_*), the
# exit-3 and SIGKILL exits of a known workload counted, procimage_source_up
# only for the sources the run used (not for one the JSON says was disabled
# for this run), the same names from a recording.
. "$(dirname "$0")/lib.sh"
need_root
PY=/usr/bin/python3
$PY -c "import prometheus_client.parser" 2>/dev/null ||
	skip "python3-prometheus-client is not installed (tests/install-deps.sh)"

(sleep 0.4; for i in 1 2 3; do sh -c 'exit 3'; done; sh -c 'kill -9 $$'; sleep 0.3) 2>/dev/null &
"$PROCIMAGE" exits -d 1500ms -f prom -o "$TMP/x.prom" 2>"$TMP/err" || fail "exits -f prom: $(cat "$TMP/err")"
"$PROCIMAGE" exits -d 200ms -f json -o "$TMP/x.json" || fail "exits -f json"
(while :; do :; done) & B=$!
on_exit "kill $B"
"$PROCIMAGE" resource -p $B -d 600ms -f prom -o "$TMP/r.prom" || fail "resource -f prom"
"$PROCIMAGE" record -o "$TMP/r.db" -p $B -d 600ms 2>/dev/null || fail "record"
"$PROCIMAGE" report "$TMP/r.db" resource -f prom -o "$TMP/rr.prom" || fail "report resource -f prom"

$PY - "$TMP" $B <<'PY' || fail "prom names"
import json, os, re, sys
from prometheus_client.parser import text_string_to_metric_families as parse
d, spin = sys.argv[1], sys.argv[2]
def fams(name):
    return {f.name: f for f in parse(open(os.path.join(d, name)).read())}
bad_unit = re.compile(r'_(pct|ms|us|ns|s|kb|mib|per_s)$')
for n in ("x.prom", "r.prom", "rr.prom"):
    for name, f in fams(n).items():
        assert not bad_unit.search(name), "%s: %s has a unit suffix that is not a base unit" % (n, name)
        assert not name.startswith("procimage_exits_exits_"), "%s: %s" % (n, name)
x = fams("x.prom")
for f in x.values():
    if f.name.startswith("procimage_exits"):
        for s in f.samples:
            assert not set(s.labels) & {"pid", "tid", "time", "t_ns", "status"}, s
ex = {(s.labels["cause"], s.labels["comm"]): s.value for s in x["procimage_exits_exited_processes"].samples}
assert ex.get(("exit", "sh"), 0) >= 3, ex
assert ex.get(("signal", "sh"), 0) >= 1, ex
bc = {s.labels["cause"]: s.value for s in x["procimage_exits_by_cause"].samples}
assert bc["signal"] >= 1 and bc["exit"] >= 3, bc
print("ok: exits counted by cause and comm: %d series, sh exit %d, sh signal %d" %
      (len(ex), ex[("exit", "sh")], ex[("signal", "sh")]))
src = json.load(open(os.path.join(d, "x.json")))["sources"]
off = {k for k, v in src.items() if v.get("reason") == "disabled for this run"}
up = {s.labels["source"]: s.value for s in x["procimage_source_up"].samples}
assert not off & set(up), "sources left off exported: %s" % (off & set(up))
assert set(up) == set(src) - off, (up, src)
print("ok: procimage_source_up for %s; not for %s" % (sorted(up), sorted(off) or "none"))
for n in ("r.prom", "rr.prom"):
    r = fams(n)
    cpu = [s.value for s in r["procimage_resource_tasks_cpu_ratio"].samples if s.labels.get("pid") == spin]
    assert cpu and 0 < cpu[0] <= 1.2, (n, cpu)
    print("ok: %s: the spinner's procimage_resource_tasks_cpu_ratio %.3g" % (n, cpu[0]))
want = {"procimage_resource_tasks_cpu_ratio", "procimage_resource_tasks_rss_bytes",
        "procimage_resource_tasks_cpu_seconds", "procimage_duration_seconds"}
for n in ("r.prom", "rr.prom"):
    assert want <= set(fams(n)), (n, want - set(fams(n)))
print("ok: live and replayed resource have %s" % sorted(want))
PY
