#!/bin/bash
# -f html as a reader sees it: the reports of real workloads (resource,
# keytime and exits of a process that exits 3, one killed by SIGKILL and one
# running a missing command; triage of a busy loop) opened in headless
# Chromium. Its screenshot must show a page, and the DOM it built must hold
# the charts' axes with their units and tick labels, legends, the statuses
# in words ("exit 3", "killed by SIGKILL", "command not found"), triage's
# diagnosis as a block of its own (not a table cell), and no number in
# exponent notation in the visible text.
# One pass only: the sanitizer pass renders keytime and exits HTML in
# test_formats; Chromium's start is most of this test's time.
# once
. "$(dirname "$0")/lib.sh"
need_root

CHROME=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROME" ] || skip "no headless Chromium (apt-get install chromium: tests/install-deps.sh test)"
chrome() { # NAME ARGS...: one headless run with its own profile
	local n=$1
	shift
	timeout -k 5 60 "$CHROME" --headless --no-sandbox --disable-gpu --no-first-run \
		--disable-extensions --hide-scrollbars --user-data-dir="$TMP/chrome-$n" "$@" \
		2>>"$TMP/chrome-$n.log"
}
echo '<!DOCTYPE html><html><body><p id="x">up</p></body></html>' >"$TMP/probe.html"
chrome probe --dump-dom "file://$TMP/probe.html" >"$TMP/probe.dom" 2>/dev/null
grep -q '<p id="x">up</p>' "$TMP/probe.dom" ||
	skip "Chromium does not start here: $(tail -2 "$TMP/chrome-probe.log" | tr '\n' ' ')"

# The workloads, side by side: each report takes 2 to 4 s.
( while :; do :; done ) & BUSY=$!
on_exit "kill $BUSY"
sleep 30 & SL=$!
on_exit "kill $SL"
"$PROCIMAGE" resource -p $BUSY,$SL -d 2500ms -i 100ms -f html -o "$TMP/resource.html" \
	2>"$TMP/resource.err" & R=$!
# keytime: a script that starts once keytime listens (1 s), then a child
# exits 3, one is killed by SIGKILL, one runs a missing command.
bash -c 'sleep 1; (exit 3); sleep 30 & k=$!; sleep 0.2; kill -9 $k; wait $k
	/nonexistent/procimage-no-such-command 2>/dev/null; sleep 0.3' & K=$!
on_exit "kill -9 $K"
"$PROCIMAGE" keytime -p $K --children -d 3s -i 10ms -f html -o "$TMP/keytime.html" \
	2>"$TMP/keytime.err" & KT=$!
# exits: three processes of their own, each ending its way after 1.2 s.
"$HELPERS/exiter" 1200 code 3 & X3=$!
"$HELPERS/exiter" 0 wait & XK=$!
bash -c 'sleep 1.2; exec /nonexistent/procimage-no-such-command' 2>/dev/null & XN=$!
on_exit "kill -9 $X3 $XK $XN"
"$PROCIMAGE" exits -p $X3,$XK,$XN -i 100ms -d 20s -f html -o "$TMP/exits.html" \
	2>"$TMP/exits.err" & EX=$!
"$PROCIMAGE" triage -d 3s -f html -o "$TMP/triage.html" 2>"$TMP/triage.err" & TR=$!
sleep 1.4
kill -9 $XK
for p in "resource $R" "keytime $KT" "exits $EX"; do
	wait ${p#* } || fail "${p% *} -f html exited $?: $(cat "$TMP/${p% *}.err")"
done
wait $TR
rc=$?
[ $rc = 0 ] || [ $rc = 3 ] || fail "triage -f html exited $rc: $(cat "$TMP/triage.err")"
ok "resource, keytime, exits and triage wrote HTML"
grep -q '<dt>exit_status</dt><dd>no</dd>' "$TMP/exits.html" &&
	skip "no exit status source here (proc connector and taskstats unavailable)"
grep -q 'lifecycle: connector' "$TMP/keytime.html" ||
	skip "keytime has no proc connector here: exit codes unknown"

kill $BUSY $SL

# Each page in Chromium: its DOM, then a screenshot (pages side by side).
pids=()
for n in resource keytime exits triage; do
	(
		chrome "$n" --dump-dom "file://$TMP/$n.html" >"$TMP/$n.dom"
		chrome "$n" --window-size=1200,1600 --screenshot="$TMP/$n.png" \
			"file://$TMP/$n.html" >/dev/null
	) &
	pids+=($!)
done
wait "${pids[@]}"
for n in resource keytime exits triage; do
	[ -s "$TMP/$n.dom" ] || fail "Chromium dumped no DOM of $n: $(tail -3 "$TMP/chrome-$n.log")"
	[ -s "$TMP/$n.png" ] || fail "Chromium made no screenshot of $n: $(tail -3 "$TMP/chrome-$n.log")"
done

python3 - "$TMP" <<'PY' || fail "the rendered pages (above)"
import os, re, struct, sys
from html.parser import HTMLParser

tmp = sys.argv[1]
bad = 0


def check(ok, what):
    global bad
    print("%s: %s" % ("ok" if ok else "FAIL", what))
    bad += not ok


class Dom(HTMLParser):
    """The visible text (not style, nor SVG tooltips), the text of each SVG
    class of element, and where the diagnosis blocks sit."""
    VOID = {"meta", "img", "br", "hr", "input", "link"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.visible, self.by_class = [], [], {}
        self.blocks = []  # (class, inside a table cell, text)

    def handle_starttag(self, t, a):
        a = dict(a)
        if t == "div" and a.get("class") in ("verdict", "prose"):
            self.blocks.append([a["class"], any(s[0] == "td" for s in self.stack), ""])
        if t not in self.VOID:
            self.stack.append((t, a.get("class") or ""))

    def handle_startendtag(self, t, a):
        self.handle_starttag(t, a)
        if t not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, t):
        while self.stack and self.stack[-1][0] != t:  # a parser's implied closing
            self.stack.pop()
        if self.stack:
            self.stack.pop()

    def handle_data(self, d):
        tags = [s[0] for s in self.stack]
        if "style" in tags or "title" in tags or "head" in tags:
            return
        self.visible.append(d)
        for s in self.stack:
            for c in s[1].split():
                self.by_class.setdefault(c, []).append(d)
        for b in self.blocks:
            if any(s[0] == "div" and s[1] == b[0] for s in self.stack):
                b[2] += d


def load(name):
    p = Dom()
    p.feed(open(os.path.join(tmp, name + ".dom"), encoding="utf-8").read())
    p.close()
    return p


def png_ok(name):
    data = open(os.path.join(tmp, name + ".png"), "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return False, "not a PNG"
    w, h = struct.unpack(">II", data[16:24])
    # a blank page at this size compresses to a few KiB; charts and tables
    # make tens of KiB
    return (w, h) == (1200, 1600) and len(data) > 30000, "%dx%d, %d bytes" % (w, h, len(data))


def common(name, d):
    text = " ".join(d.visible)
    check(not re.search(r"\d[eE][+-]?\d", text), "%s: no number in exponent notation" % name)
    ok, how = png_ok(name)
    check(ok, "%s: screenshot shows a page (%s)" % (name, how))
    titles = d.by_class.get("title", [])
    ticks = d.by_class.get("tick", [])
    check(len(ticks) >= 4, "%s: tick labels on the axes (%d)" % (name, len(ticks)))
    check(any(re.fullmatch(r"time \((ns|µs|ms|s)\)", t) for t in titles),
          "%s: a time axis with its unit (%s)" % (name, sorted(set(titles))[:8]))
    return text, titles


d = load("resource")
text, titles = common("resource", d)
check(any(t == "CPU (%)" for t in titles), "resource: CPU axis in %")
check(any(re.fullmatch(r"RSS \((B|KiB|MiB|GiB)\)", t) for t in titles), "resource: RSS axis in bytes")
check(len(d.by_class.get("legend", [])) >= 2, "resource: a legend names the two series")
check(re.search(r"\d %", text) is not None, "resource: CPU values in % (e.g. '95.0 %')")

d = load("keytime")
text, titles = common("keytime", d)
leg = " ".join(d.by_class.get("legend", []))
check("exit" in leg and "fork" in leg and "exec" in leg, "keytime: the timeline's legend names event types (%s)" % leg)
check(any(t == "task" for t in titles), "keytime: lanes by task")
for s in ("exit 3", "killed by SIGKILL", "command not found"):
    check(s in text, "keytime: '%s' shown" % s)
check("32512" not in " ".join(d.by_class.get("status", [])), "keytime: no raw wait status shown as a status")

d = load("exits")
text, titles = common("exits", d)
leg = " ".join(d.by_class.get("legend", []))
check("exit" in leg and "signal" in leg, "exits: the timeline's legend names the causes (%s)" % leg)
for s in ("exit 3", "killed by SIGKILL", "command not found"):
    check(s in text, "exits: '%s' shown" % s)

d = load("triage")
text = " ".join(d.visible)
check(not re.search(r"\d[eE][+-]?\d", text), "triage: no number in exponent notation")
ok, how = png_ok("triage")
check(ok, "triage: screenshot shows a page (%s)" % how)
check(any(b[0] == "verdict" and "verdict" in b[2] for b in d.blocks), "triage: the verdict in a block")
diag = [b for b in d.blocks if b[0] == "prose"]
check(all(not b[1] for b in d.blocks), "triage: no diagnosis block inside a table cell")
if "offenders found" in text:
    check(any("diagnosis" in b[2] and len(b[2]) > 60 for b in diag),
          "triage: each offender's diagnosis is a block of prose (%d)" % len(diag))
sys.exit(1 if bad else 0)
PY
ok "Chromium shows axes with units, legends, statuses in words, diagnosis blocks"
