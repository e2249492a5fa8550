#!/bin/bash
# Any local user chooses comm, argv and file names: a process whose names
# hold terminal escapes (OSC retitle, clear screen), newlines, bytes that are
# not UTF-8, a C1 control, DEL, quotes, '<&>', ';', ',', a backslash and
# printf conversions (tests/helpers/hostile) must not break any report. Every
# command, in every format it writes, is run on it and its output parsed
# strictly from the raw bytes: UTF-8 decoded with errors='strict' (no
# surrogateescape), json.loads, prometheus_client's parser (and
# prom_strict), the csv module, html.parser with balanced tags, SVG through
# xml.etree; text, folded, stderr, watch's log and every file of a watch
# capture hold no raw control byte but newline and tab. The hostile names
# must be in the reports (in the documented escaped forms of
# docs/formats.md), so an escaper that is bypassed fails here.
# One pass: under ASan the writers are exercised by tests/fuzz/fuzz_writers.c.
# once
. "$(dirname "$0")/lib.sh"
need_root

TESTDIR="$(cd "$(dirname "$0")" && pwd)"
export TESTDIR
# prometheus_client may be installed for the system python only
PY=python3
python3 -c 'import prometheus_client' 2>/dev/null ||
	{ /usr/bin/python3 -c 'import prometheus_client' 2>/dev/null && PY=/usr/bin/python3; }

# A file the helper holds open, under a hostile name (fds, paths).
HDIR="$TMP/"$'dir\x1b[2J\n"<&>;\xff'
mkdir "$HDIR"
HFILE="$HDIR/"$'file\x1b]0;PWN\x07\n\xfe'
: >"$HFILE"
"$HELPERS/hostile" 60 "$HFILE" >"$TMP/h.out" &
HP=$!
on_exit "kill -9 $HP; wait $HP"
for _ in $(seq 200); do grep -q '^ready' "$TMP/h.out" && break; sleep 0.02; done
grep -q '^ready' "$TMP/h.out" || fail "the hostile helper did not start"
HT=$(sed -n 's/^ready pid=[0-9]* tid=//p' "$TMP/h.out")
[ "$HT" = "$HP" ] || fail "helper: ready line $(cat "$TMP/h.out") is not pid $HP"
grep -q PWN "/proc/$HP/comm" || fail "helper: comm not set: $(od -c "/proc/$HP/comm")"

O="$TMP/o"
mkdir "$O"
# run NAME FORMAT ARGS...: procimage ARGS -f FORMAT into $O/NAME.FORMAT (and
# .err), in the background; its pid in PIDS.
PIDS=()
run() {
	local name=$1 fmt=$2
	shift 2
	"$PROCIMAGE" "$@" -f "$fmt" >"$O/$name.$fmt" 2>"$O/$name.$fmt.err" &
	PIDS+=($!)
}
waitall() {
	local p rc=0
	for p in "${PIDS[@]}"; do wait "$p" || rc=1; done
	PIDS=()
	return $rc
}
D=(-d 1s)
T0=$SECONDS
# Wave 1: the images on the helper, in every format each writes, a
# recording and a watch capture. syscall samples without ptrace here
# (stacks ptraces the helper in wave 2).
for f in text json prom csv html; do
	run resource $f resource -p $HP "${D[@]}"
	run keytime $f keytime -p $HP "${D[@]}"
	run migrate $f migrate -p $HP "${D[@]}"
	run exits $f exits -a -i 200ms "${D[@]}"
done
for f in text json prom csv html folded svg; do
	run sched $f sched -p $HP --stacks --threshold 5ms "${D[@]}"
	run syscall $f syscall -p $HP --source sample --no-ptrace "${D[@]}"
done
"$PROCIMAGE" record -o "$TMP/r.db" -p $HP "${D[@]}" 2>"$O/record.err" &
PIDS+=($!)
# its capture runs the five images on the helper, stacks (ptrace) among them
"$PROCIMAGE" watch -p $HP --rule 'threads>0' --dump-dir "$TMP/w" -i 200ms --capture 1s \
	--capture-interval 50ms --capture-format text --guard none -d 1s \
	>"$O/watch.out.txt" 2>"$O/watch.log.txt" &
PIDS+=($!)
waitall || true
T1=$SECONDS
# Wave 2: host-wide and ptrace: triage, stacks (one ptracer at a time, then
# syscall's on-CPU samples), doctor, the recording replayed through every
# image at once.
for f in text json prom csv html; do
	run triage $f triage "${D[@]}"
	run report $f report "$TMP/r.db" resource sched keytime syscall migrate exits
done
(
	for f in text json folded svg; do
		"$PROCIMAGE" stacks -p $HP -d 300ms -f $f >"$O/stacks.$f" 2>"$O/stacks.$f.err"
	done
	"$PROCIMAGE" syscall -p $HP --source sample -d 300ms -f json >"$O/syscall_ptrace.json" \
		2>"$O/syscall_ptrace.json.err"
) &
PIDS+=($!)
for f in text json; do
	run doctor $f doctor
done
waitall || true
echo "wave 1: $((T1 - T0)) s, wave 2: $((SECONDS - T1)) s"
ok "every run done in $((SECONDS - T0)) s"

# The exit status of each run: 0, or 3 (nothing to report) where the host
# gave nothing (a crowded host); a sanitizer report fails.
for e in "$O"/*.err "$O/watch.log.txt"; do
	grep -q "AddressSanitizer\|runtime error\|LeakSanitizer" "$e" && fail "sanitizer: $e: $(head -20 "$e")"
done
cp -r "$TMP/w" "$O/watch" 2>/dev/null
ncap=$(find "$O/watch" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l)
[ "$ncap" -ge 1 ] || fail "watch made no capture: $(cat "$O/watch.log.txt")"

$PY - "$O" "$HP" <<'PY' || fail "a report is not valid in its format (above)"
import csv, io, json, os, re, sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
sys.dont_write_bytecode = True
sys.path.insert(0, os.environ["TESTDIR"])
import prom_strict
try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    text_string_to_metric_families = None
    print("note: prometheus_client not installed: prom checked by prom_strict only")

top, helper = sys.argv[1], sys.argv[2]
# The comms the helper sets (main thread, children) in their forms
# (docs/formats.md): JSON decodes to the comm with U+FFFD for the invalid
# byte; text shows controls and invalid bytes as \xNN; the formats derived
# from JSON (prom, CSV, HTML) show the text form of the JSON string (so
# U+FFFD where the byte was invalid); a folded frame has ':' for ';'.
JSON_MARKS = ("\x1b]0;PWN\x07\x1b[2J\n\ufffd", "\u2028\u0085\r\t %s%n\ufffd;")
TEXT_MARKS = (r"\x1b]0;PWN\x07\x1b[2J\x0a", r"\x1b]0:PWN\x07\x1b[2J\x0a",
              r"\xe2\x80\xa8\xc2\x85\x0d\x09 %s%n")
# Control characters a terminal acts on: C0 but tab and newline, DEL, C1,
# and the line/paragraph separators.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u2028\u2029]")


# the second thread's comm ("<&>';,\ then \xc3( DEL and a surrogate)
THREAD_JSON = "\"<&>';,\\\ufffd(\x7f\ufffd\ufffd\ufffd"


def marked(text):
    return any(m in text for m in TEXT_MARKS) or ("\"<&>';," in text and r"(\x7f" in text)


bad = []
seen = {}  # file -> whether the hostile comm is in it


def fail(path, why):
    bad.append("%s: %s" % (os.path.relpath(path, top), why))


def strings(v):
    if isinstance(v, dict):
        for k, x in v.items():
            yield k
            yield from strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from strings(x)
    elif isinstance(v, str):
        yield v


def check_text(path, text):
    m = RAW.search(text)
    if m:
        i = m.start()
        fail(path, "raw control %r at %d: %r" % (m.group(), i, text[max(0, i - 40):i + 20]))
    return marked(text)


def check_json(path, text):
    docs = [json.loads(text)] if text.strip() else []
    hit = False
    for d in docs:
        for s in strings(d):
            s.encode("utf-8")  # a lone surrogate (\ud800) fails here
            if any(m in s for m in JSON_MARKS + (THREAD_JSON,)) or marked(s):
                hit = True
            elif "\x1b]0;PWN\x07\x1b[2J" in s and not marked(s):
                # a frame in folded text (stacks), else the comm as the
                # JSON writer has it
                fail(path, "comm not in its JSON form: %r" % s)
    return hit


def check_prom(path, text):
    prom_strict.check(text)
    hit = False
    if text_string_to_metric_families:
        for fam in text_string_to_metric_families(text):
            for s in fam.samples:
                for v in s.labels.values():
                    if RAW.search(v):
                        fail(path, "raw control in label %r" % v)
                    hit |= marked(v)
        return hit
    return marked(text.replace("\\\\", "\\"))


def check_csv(path, text):
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    if not rows:
        return False
    if any(len(r) != len(rows[0]) for r in rows):
        fail(path, "ragged rows")
    hit = False
    for r in rows:
        for c in r:
            if RAW.search(c) or "\n" in c or "\r" in c:
                fail(path, "control or newline in field %r" % c)
            hit |= marked(c)
    return hit


class Html(HTMLParser):
    VOID = {"meta", "img", "br", "hr", "input", "link"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.data, self.tags = [], [], set()

    def handle_starttag(self, t, a):
        self.tags.add(t)
        if t not in self.VOID:
            self.stack.append(t)

    def handle_endtag(self, t):
        if t in self.VOID:
            return
        assert self.stack and self.stack[-1] == t, "unbalanced </%s> in %s" % (t, self.stack[-3:])
        self.stack.pop()

    def handle_data(self, d):
        self.data.append(d)


def check_html(path, text):
    p = Html()
    p.feed(text)
    p.close()
    assert text.startswith("<!DOCTYPE html>"), "no doctype"
    assert not p.stack, "unclosed %r" % p.stack[-3:]
    assert "script" not in p.tags, "a script element"
    data = "".join(p.data)
    check_text(path, data)
    return marked(data)


def check_svg(path, raw):
    root = ET.fromstring(raw)  # expat: well-formed, valid UTF-8, XML characters only
    assert root.tag.endswith("svg"), root.tag
    return marked("".join(root.itertext()))


def check_folded(path, text):
    for i, l in enumerate(text.splitlines(), 1):
        if not re.fullmatch(r"[^ ;].* [0-9]+", l):
            fail(path, "line %d not 'frames count': %r" % (i, l))
    return marked(text)


for dirpath, _, files in os.walk(top):
    for name in sorted(files):
        path = os.path.join(dirpath, name)
        raw = open(path, "rb").read()
        try:
            text = raw.decode("utf-8", "strict")
        except UnicodeDecodeError as e:
            fail(path, "not UTF-8: %s: %r" % (e, raw[max(0, e.start - 30):e.end + 10]))
            continue
        ext = name.rsplit(".", 1)[-1]
        try:
            if ext != "json" and ext != "svg":
                check_text(path, text)
            if ext == "json":
                seen[path] = check_json(path, text)
            elif ext == "prom":
                seen[path] = check_prom(path, text)
            elif ext == "csv":
                seen[path] = check_csv(path, text)
            elif ext == "html":
                seen[path] = check_html(path, text)
            elif ext == "svg":
                seen[path] = check_svg(path, raw)
            elif ext == "folded":
                seen[path] = check_folded(path, text)
            else:
                seen[path] = check_text(path, text)
        except Exception as e:  # a parser's verdict
            fail(path, "%s: %s" % (type(e).__name__, e))

# The hostile comm must be in these (else the check above proves nothing):
# the images of the helper, in every format; and where a command's JSON
# names it, its text and CSV (every row) too.
# (keytime's prom has no events: they are a timeline, not metrics; stacks'
# text shows stacks cut at the root, where the comm is.)
must = ["report.%s" % f for f in ("text", "json", "prom", "csv", "html")]
for img in ("resource", "sched", "keytime", "syscall"):
    must += ["%s.%s" % (img, f) for f in ("text", "json", "csv", "html")]
must += ["resource.prom", "sched.prom", "syscall.prom", "exits.json",
         "syscall.folded", "syscall.svg", "syscall_ptrace.json", "stacks.json",
         "stacks.folded", "stacks.svg"]
# the hogs' stacks, when that run had a hog (sched.json is another run,
# side by side: one may see a run of 5 ms where the other does not)
if os.path.exists(os.path.join(top, "sched.folded")) and \
        os.path.getsize(os.path.join(top, "sched.folded")) > 0:
    must.append("sched.folded")
for cmd, fmts in (("migrate", ".text .csv"), ("exits", ".text .csv")):
    if seen.get(os.path.join(top, cmd + ".json")):
        must += [cmd + f for f in fmts.split()]
# triage's CSV is a run of its own beside the JSON's (five triages and a
# ptracer share 2 CPUs): one may rank the helper where the other does not.
# Where a row of the CSV is the helper's (its pid column), the comm must
# be in it.
try:
    with open(os.path.join(top, "triage.csv"), newline="", errors="replace") as fh:
        if any(r.get("pid") == helper for r in csv.DictReader(fh)):
            must.append("triage.csv")
except OSError:
    must.append("triage.csv")
for m in must:
    p = os.path.join(top, m)
    if p in seen and not seen[p]:
        fail(p, "the hostile comm is not in it")
    elif p not in seen:
        fail(p, "missing")
caps = [p for p in seen if "/watch/" in p]
if not any(seen[p] for p in caps):
    fail(top + "/watch", "no capture file names the hostile comm")
for p in sorted(seen):
    print("%-4s %s" % ("hit" if seen[p] else "-", os.path.relpath(p, top)))
if bad:
    print("\n".join("FAIL: " + b for b in bad))
    sys.exit(1)
print("ok: %d outputs valid, %d name the hostile comm" % (len(seen), sum(seen.values())))
PY
ok "every output valid in its format, hostile names escaped"
