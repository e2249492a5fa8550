#!/bin/bash
# once
# unprivileged
# watch --prom-textfile: while watch runs, the file is read over and over
# and parsed by prometheus_client (and our strict checker): every read is a
# whole file; the spinner appears in procimage_watch_cpu_ratio with a
# plausible share and in procimage_watch_rss_bytes with its real RSS; the
# firing and capture counters start at 0 and move when the rule fires;
# only the rules' metrics are there; nothing but the file is left in its
# directory, mode 0644. Bad option values exit 2 before any run.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
$PY -c "import prometheus_client.parser" 2>/dev/null ||
	skip "python3-prometheus-client is not installed (tests/install-deps.sh)"

# Exit 2, with the fix, before anything runs.
mkdir -p "$TMP/tf"
bad() { # EXPECTED_WORD ARGS...
	local want=$1
	shift
	"$PROCIMAGE" watch --rule 'cpu>50%' --dump-dir "$TMP/d0" -d 1s "$@" 2>"$TMP/e" && fail "watch $* succeeded"
	rc=$?
	assert_eq "$rc" 2 "watch $* exits 2"
	grep -q -- "$want" "$TMP/e" || fail "watch $*: message lacks '$want': $(cat "$TMP/e")"
}
bad "cannot be opened" --prom-textfile "$TMP/nodir/x.prom"
bad "directory" --prom-textfile "$TMP/tf"
bad "needs --prom-textfile" --prom-top 3
bad "from 1 to 50" --prom-textfile "$TMP/tf/x.prom" --prom-top 0
assert_eq "$(ls -A "$TMP/tf")" "" "a refused run leaves nothing in the directory"

"$HELPERS/duty" 100:60 >/dev/null & SPIN=$!
on_exit "kill $SPIN"
sleep 60 & S=$!
on_exit "kill $S"
F="$TMP/tf/procimage.prom"

# The reader: parse every version of the file until watch is gone; print
# what it saw as JSON. It says when it is ready (imports done), then watch
# starts, so it sees the first file, written before the first sample.
cat >"$TMP/reader.py" <<'PY'
import json, os, sys, time
sys.dont_write_bytecode = True
sys.path.insert(0, os.environ.get("TESTDIR", os.path.dirname(os.path.abspath(sys.argv[0]))))
from prometheus_client.parser import text_string_to_metric_families as parse
path, wfile, spin, sleeper = sys.argv[1:5]
open(wfile + ".ready", "w").close()
for _ in range(500):
    if os.path.exists(wfile) and open(wfile).read().strip():
        break
    time.sleep(0.01)
wpid = int(open(wfile).read())
seen = {"reads": 0, "versions": 0, "cpu_max": 0.0, "rss": [], "firings": [], "captures": [],
        "families": set(), "sleeper_cpu": None, "pids": set()}
last = None
def alive():
    try:
        os.kill(wpid, 0)
        return True
    except ProcessLookupError:
        return False
deadline = time.time() + 30
while alive() and time.time() < deadline:
    try:
        text = open(path).read()
    except FileNotFoundError:
        time.sleep(0.02)
        continue
    seen["reads"] += 1
    if text == last:
        time.sleep(0.02)
        continue
    last = text
    seen["versions"] += 1
    if not text.endswith("\n") or "procimage_watch_skipped_total" not in text:
        sys.exit("a partial file was read: %r" % text[-200:])
    for fam in parse(text):
        seen["families"].add(fam.name)
        for s in fam.samples:
            pid = s.labels.get("pid")
            if pid:
                seen["pids"].add(pid)
            if s.name == "procimage_watch_cpu_ratio" and pid == spin:
                seen["cpu_max"] = max(seen["cpu_max"], s.value)
            if s.name == "procimage_watch_cpu_ratio" and pid == sleeper:
                seen["sleeper_cpu"] = s.value
            if s.name == "procimage_watch_rss_bytes" and pid == spin:
                seen["rss"].append(s.value)
            if s.name == "procimage_watch_firings_total" and s.labels.get("rule") == "cpu>20%for1s":
                seen["firings"].append(s.value)
            if s.name == "procimage_watch_captures_total" and s.labels.get("rule") == "cpu>20%for1s":
                seen["captures"].append(s.value)
    time.sleep(0.02)
for k in ("families", "pids"):
    seen[k] = sorted(seen[k])
print(json.dumps(seen))
PY
$PY "$TMP/reader.py" "$F" "$TMP/wpid" $SPIN $S >"$TMP/seen.json" & R=$!
on_exit "kill $R"
for _ in $(seq 500); do [ -e "$TMP/wpid.ready" ] && break; sleep 0.01; done
"$PROCIMAGE" watch -p $SPIN,$S --rule 'cpu>20%for1s' --rule 'rss>1TiB' --guard none --no-images \
	-i 200ms -d 4s --prom-textfile "$F" --prom-top 2 --dump-dir "$TMP/d" 2>"$TMP/log" & W=$!
on_exit "kill $W"
echo $W >"$TMP/wpid"
wait $R || { cat "$TMP/log"; fail "reading the textfile while watch runs"; }
wait $W || fail "watch exited $? ($(cat "$TMP/log"))"
cat "$TMP/log"
seen() { jget "$TMP/seen.json" "$1"; }
echo "reader: $(seen 'd["reads"]') reads, $(seen 'd["versions"]') versions; families $(seen 'd["families"]')"
assert_cmp "$(seen 'd["versions"]')" ">=" 5 "versions of the file read while watch ran (4 s at 200 ms)"
assert_cmp "$(seen 'd["cpu_max"]')" ">" 0.2 "the spinner's procimage_watch_cpu_ratio (1 = one CPU)"
assert_cmp "$(seen 'd["cpu_max"]')" "<=" 1.2 "the spinner's CPU ratio is at most one CPU (one thread)"
rss_kb=$(awk '/^VmRSS/ {print $2}' /proc/$SPIN/status)
assert_cmp "$(seen 'max(d["rss"])')" ">" $((rss_kb * 512)) "the spinner's procimage_watch_rss_bytes vs VmRSS ${rss_kb} kB"
assert_cmp "$(seen 'max(d["rss"])')" "<" $((rss_kb * 2048)) "the spinner's procimage_watch_rss_bytes vs VmRSS ${rss_kb} kB"
assert_eq "$(seen 'd["firings"][0]')" 0.0 "firings_total is 0 before the rule fired"
assert_cmp "$(seen 'd["firings"][-1]')" ">=" 1 "firings_total moved when the rule fired"
assert_eq "$(seen 'd["firings"] == sorted(d["firings"])')" True "firings_total never went back"
assert_eq "$(seen 'd["captures"][0]')" 0.0 "captures_total is 0 before the capture"
assert_cmp "$(seen 'd["captures"][-1]')" ">=" 1 "captures_total moved when the capture started"
assert_eq "$(seen '" ".join(sorted(set(d["pids"]) - {"'$SPIN'", "'$S'"}))')" "" "only the watched pids are labelled"
# Only the metrics the rules use: cpu and rss, no fds, io or load.
assert_eq "$(seen '" ".join(f for f in d["families"] if f.endswith(("_ratio", "_bytes", "_second")) or "load" in f)')" \
	"procimage_watch_cpu_ratio procimage_watch_rss_bytes" "metric families are the rules' metrics"
grep -q "rule 'cpu>20%for1s' fired for pid $SPIN" "$TMP/log" || fail "no trigger log line"

# After the run: the final file, whole, checked strictly; no temp file.
assert_eq "$(ls -A "$TMP/tf")" "procimage.prom" "only the final file in the directory"
assert_eq "$(stat -c %a "$F")" 644 "textfile mode (node_exporter reads it)"
TESTDIR="$(cd "$(dirname "$0")" && pwd)" $PY - "$F" <<'PY' || fail "the final textfile fails the strict check"
import os, sys
sys.dont_write_bytecode = True
sys.path.insert(0, os.environ["TESTDIR"])
import prom_strict
prom_strict.check(open(sys.argv[1]).read())
PY
ok "final textfile passes the strict checker"
