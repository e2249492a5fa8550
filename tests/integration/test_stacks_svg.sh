#!/bin/bash
# The SVG flame graph: well-formed (xmllint), self-contained (no http), and,
# when Chromium is installed, it renders and its search finds hot_seventy in
# about 70% of the samples (the inline script ran).
. "$(dirname "$0")/lib.sh"

command -v xmllint >/dev/null || skip "xmllint missing (apt-get install libxml2-utils)"
"$HELPERS/stack_7030" --sleeper >/dev/null & P=$!; on_exit "kill -9 $P"
sleep 0.3
"$PROCIMAGE" stacks -p "$P" -d 3s -o "$TMP/fg.svg" --title 'stacks <test> & "svg"' ||
	fail "stacks exited $?"
head -c 200 "$TMP/fg.svg" | grep -q '<svg' || fail "-o x.svg did not write an SVG"
xmllint --noout "$TMP/fg.svg" || fail "xmllint rejects the SVG"
ok "xmllint: well-formed"
grep -q 'hot_seventy' "$TMP/fg.svg" || fail "no hot_seventy frame"
grep -q 'stacks &lt;test&gt; &amp; &quot;svg&quot;' "$TMP/fg.svg" || fail "title not escaped"
! grep -qi 'https\?://[a-z]' <(grep -v 'xmlns' "$TMP/fg.svg") || fail "the SVG references the network"
ok "self-contained"

# Contradictory filters are refused.
"$PROCIMAGE" stacks -p "$P" --on-cpu --off-cpu -f svg >/dev/null 2>&1 && fail "--on-cpu --off-cpu accepted"

CHROME=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$CHROME" ] || skip "SVG is well-formed; render check skipped: chromium not installed (apt-get install chromium)"
cp "$TMP/fg.svg" "$TMP/render.svg"
timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --user-data-dir="$TMP/chrome" \
	--virtual-time-budget=3000 --dump-dom "file://$TMP/render.svg?s=hot_seventy" >"$TMP/dom" 2>"$TMP/chrome.err" ||
	{ tail -5 "$TMP/chrome.err"; fail "chromium could not load the SVG"; }
grep -q 'data-ready="1"' "$TMP/dom" || { head -c 600 "$TMP/dom"; fail "the inline script did not run"; }
m=$(grep -o 'data-matched="[0-9.]*"' "$TMP/dom" | head -1 | grep -o '[0-9.]*')
[ -n "$m" ] || fail "search did not report a match"
# hot_seventy is 70% of the main thread, which is about half of all samples
# (the sleeper is the other half)
assert_cmp "$m" ">" 20 "search hot_seventy matched %"
assert_cmp "$m" "<" 60 "search hot_seventy matched %"
timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --user-data-dir="$TMP/chrome" \
	--window-size=1200,800 --screenshot="$TMP/shot.png" "file://$TMP/render.svg" >/dev/null 2>&1 ||
	fail "chromium screenshot failed"
assert_cmp "$(stat -c %s "$TMP/shot.png")" ">" 10000 "rendered PNG size"
