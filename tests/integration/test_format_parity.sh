#!/bin/bash
# once
# Every command x format, live and replayed from a recording: a format the
# command's --help offers is written and parsed by a real parser (json,
# prometheus_client, csv, html.parser, xml for svg, gzip for pprof, folded
# lines); any other format exits 2 at once, naming the format. Every
# image writes the same formats live and replayed (folded and svg from
# sched, syscall and stacks, pprof from stacks, the derived ones from all):
# each is run both ways and must work, or be refused, in both. triage too:
# `report FILE triage` writes every format live triage writes, refuses the
# others, and names the recording's spinner as its first offender, with
# the offenders' images.
. "$(dirname "$0")/lib.sh"
need_root
PY=/usr/bin/python3
$PY -c "import prometheus_client.parser" 2>/dev/null ||
	skip "python3-prometheus-client is not installed (tests/install-deps.sh)"

bash -c 'while :; do :; done' & B=$!
on_exit "kill -9 $B"
bash -c 'while sleep 0.05; do :; done' & W=$!
on_exit "kill -9 $W"
"$PROCIMAGE" record -o "$TMP/r.db" -p $B,$W -d 1s --stacks 2>"$TMP/rec.err" || fail "record: $(cat "$TMP/rec.err")"

$PY - "$PROCIMAGE" "$TMP" $B $W <<'PY' || fail "format parity"
import csv, gzip, html.parser, io, json, re, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
import xml.etree.ElementTree as ET
from prometheus_client.parser import text_string_to_metric_families as prom_parse
P, T, spin, waiter = sys.argv[1:5]
ALL = ["text", "json", "prom", "csv", "html", "folded", "svg", "pprof"]
DERIVED = {"text", "json", "prom", "csv", "html"}

def offered(args):
    h = subprocess.run([P] + args + ["--help"], capture_output=True, text=True).stdout
    m = re.search(r"-f ((?:[a-z]+\|)+[a-z]+)", h)
    if m:
        return set(m.group(1).split("|"))
    m = re.search(r"--format FMT +([^(\n]*)", h)
    return set(re.split(r",\s*|\s+or\s+|\s+", m.group(1).strip())) - {""}

class H(html.parser.HTMLParser):
    pass

def parse(fmt, data):
    if fmt == "json":
        json.loads(data)
    elif fmt == "prom":
        n = sum(len(f.samples) for f in prom_parse(data.decode()))
        assert n > 0, "no samples"
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
        assert rows and rows[0][:2] == ["image", "table"], rows[:1]
        assert all(len(r) == len(rows[0]) for r in rows), "ragged rows"
    elif fmt == "html":
        t = data.decode()
        assert t.lstrip().lower().startswith("<!doctype html"), t[:80]
        H().feed(t)
        assert "</html>" in t
    elif fmt == "svg":
        ET.fromstring(data)
    elif fmt == "pprof":
        assert len(gzip.decompress(data)) > 0
    elif fmt == "folded":
        for l in data.decode().splitlines():
            assert re.match(r"^.+ \d+$", l), l
    else:
        assert data.strip(), "empty text"

def run(name, args, fmt, ok_set):
    t0 = time.time()
    p = subprocess.run([P] + args + ["-f", fmt], capture_output=True)
    if fmt in ok_set:
        if p.returncode != 0:
            sys.exit("%s -f %s exited %d: %s" % (name, fmt, p.returncode, p.stderr.decode()[:300]))
        try:
            parse(fmt, p.stdout)
        except Exception as e:
            sys.exit("%s -f %s does not parse: %r: %r" % (name, fmt, e, p.stdout[:200]))
        return "ok"
    if p.returncode != 2 or p.stdout or time.time() - t0 > 3:
        sys.exit("%s -f %s: want a refusal (exit 2 at once, nothing printed), got %d after %.1fs" %
                 (name, fmt, p.returncode, time.time() - t0))
    if ("-f " + fmt) not in p.stderr.decode():
        sys.exit("%s -f %s: the refusal does not name the format: %s" % (name, fmt, p.stderr.decode()))
    return "2"

D = ["-d", "300ms"]
live = {
    "sched": ["sched", "-p", spin] + D,
    "resource": ["resource", "-p", spin] + D,
    "keytime": ["keytime", "-p", waiter] + D,
    "migrate": ["migrate", "-p", spin] + D,
    "syscall": ["syscall", "-p", waiter, "--source", "sample"] + D,
    "exits": ["exits", "-p", spin] + D,
    "stacks": ["stacks", "-p", spin] + D,
}
rep_ok = offered(["report"])
table = []
# The runs go side by side (the suite's time), but stacks and syscall: they
# ptrace their target, and two tracers of one thread would refuse each other.
pool = ThreadPoolExecutor(max_workers=6)
for img, args in live.items():
    lv = offered([args[0]])
    # what the image writes live, it writes replayed: report's --help offers
    # each, and each replayed run must work where the live one does, and be
    # refused where the live one is
    if not lv <= rep_ok:
        sys.exit("%s: live offers %s, report's --help lacks %s" % (img, sorted(lv), sorted(lv - rep_ok)))
    rp = lv
    row = [img]
    for fmt in ALL:
        a = run(img, args, fmt, lv) if img in ("stacks", "syscall") else \
            pool.submit(run, img, args, fmt, lv)
        b = pool.submit(run, "report " + img, ["report", T + "/r.db", img], fmt, rp)
        row.append((fmt, a, b))
    table.append(row)
res = lambda x: x if isinstance(x, str) else x.result()  # a refusal's exit comes out here
table = [" ".join([r[0]] + [f + ":" + res(a) + "/" + res(b) for f, a, b in r[1:]]) for r in table]
pool.shutdown()
tri = offered(["triage"])
if not tri <= rep_ok:
    sys.exit("triage: live offers %s, report's --help lacks %s" % (sorted(tri), sorted(tri - rep_ok)))
table.append("triage " + " ".join(
    f + ":" + run("triage", ["triage", "-d", "500ms"], f, tri) + "/" +
    run("report triage", ["report", T + "/r.db", "triage"], f, tri) for f in ALL))
p = subprocess.run([P, "report", T + "/r.db", "triage", "-f", "json"], capture_output=True, text=True)
d = json.loads(p.stdout)
offs = d["offenders"]
if not offs or offs[0]["pid"] != int(spin):
    sys.exit("report FILE triage: the first offender is not the spinner %s: %s" %
             (spin, [(o["pid"], o["comm"], o["longest_run_ms"]) for o in offs]))
if d["recording"] != T + "/r.db" or not {"resource", "keytime", "syscall", "migrate"} <= set(d["images"]):
    sys.exit("report FILE triage: recording %r, images %s" % (d["recording"], sorted(d["images"])))
# its text: the sources the recording lacked on a line of their own (a
# newline passed as an escaped argument once came out as \x0a)
txt = subprocess.run([P, "report", T + "/r.db", "triage"], capture_output=True, text=True).stdout
if "\\x0a" in txt or not re.search(r"^(Sources lacking: |Every data source it used worked)", txt, re.M):
    sys.exit("report FILE triage text: the sources line is mangled: %r" % txt[:1500])
print("ok: FORMAT:LIVE/REPLAYED (ok parsed, 2 refused)")
print("\n".join("ok: " + r for r in table))
print("ok: report FILE triage: first offender the spinner (%s, longest run %.0f ms), images %s" %
      (spin, offs[0]["longest_run_ms"], ", ".join(sorted(d["images"]))))
PY
