#!/bin/bash
# unprivileged
# -f html: one self-contained file (inline SVG, no script, no network) with
# the charts; checked with a parser, then rendered in headless Chromium: the
# screenshot must show the charts' colours (bars and series lines).
. "$(dirname "$0")/lib.sh"

( while :; do :; done ) & B=$!; on_exit "kill $B"
sleep 30 & S=$!; on_exit "kill $S"
"$PROCIMAGE" record -o "$TMP/r.db" -p $B,$S -d 1500ms -i 100ms || fail "record"
"$PROCIMAGE" report "$TMP/r.db" resource -f html -o "$TMP/r.html" || fail "report -f html"
python3 - "$TMP/r.html" "$B" <<'PY' || fail "HTML parser checks"
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.tags = {}; s.ext = []; s.stack = []; s.text = []
    def handle_starttag(s, t, a):
        s.tags[t] = s.tags.get(t, 0) + 1
        for k, v in a:
            if (k in ('src', 'href') and not (v or '').startswith('data:')) or \
               (v and ('http://' in v or 'https://' in v) and k != 'xmlns'):
                s.ext.append((t, k, v))
    def handle_data(s, d): s.text.append(d)
p = P(); doc = open(sys.argv[1]).read(); p.feed(doc); p.close()
assert doc.startswith('<!DOCTYPE html>'), 'doctype'
assert p.tags.get('svg', 0) >= 2, 'svg charts: %r' % p.tags
assert p.tags.get('rect', 0) >= 2, 'bars'
assert p.tags.get('polyline', 0) >= 1, 'series lines'
assert 'script' not in p.tags, 'no script in the page (the flame graph is an inert data: image)'
assert not p.ext, 'external references: %r' % p.ext
assert sys.argv[2] in ''.join(p.text), 'the spinner pid is shown'
print('ok: %d svg, %d rect, %d polyline, no external reference' % (p.tags['svg'], p.tags['rect'], p.tags['polyline']))
PY
ok "parser: self-contained, charts present"

CHROME=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$CHROME" ] || skip "no headless Chromium installed (apt-get install chromium) for the rendering check"
timeout 90 "$CHROME" --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions \
	--user-data-dir="$TMP/chrome" --window-size=1000,1600 --screenshot="$TMP/shot.png" \
	"file://$TMP/r.html" >"$TMP/chrome.log" 2>&1
[ -s "$TMP/shot.png" ] || fail "Chromium made no screenshot: $(tail -3 "$TMP/chrome.log")"
python3 - "$TMP/shot.png" <<'PY' || fail "the screenshot does not show the charts"
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n'
pos, idat, w = 8, b'', 0
while pos < len(data):
    n, t = struct.unpack('>I4s', data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
    if t == b'IHDR': w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
    elif t == b'IDAT': idat += body
raw = zlib.decompress(idat); bpp = {2: 3, 6: 4}[ctype]; stride = w * bpp
prev = bytearray(stride); i = 0; counts = {'bar': 0, 'line': 0, 'other': 0}
def paeth(a, b, c):
    p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)
for y in range(h):
    f = raw[i]; cur = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = cur[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        cur[x] = (cur[x] + (0, a, b, (a + b) // 2, paeth(a, b, c))[f]) & 255
    for x in range(0, stride, bpp):
        r, g, b_ = cur[x], cur[x + 1], cur[x + 2]
        if abs(r - 0x4a) < 8 and abs(g - 0x7b) < 8 and abs(b_ - 0xd0) < 8: counts['bar'] += 1
        elif r > 0xa0 and g < 0x60 and b_ < 0x60: counts['line'] += 1
    prev = cur
print(counts)
assert counts['bar'] > 200, 'bar colour pixels: %d' % counts['bar']
assert counts['line'] > 20, 'series line pixels: %d' % counts['line']
PY
ok "Chromium renders the bar and line charts"
