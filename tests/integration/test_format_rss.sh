#!/bin/bash
# The derived formats (prom, CSV, HTML: rendered from the report's JSON
# document) and text stay in the memory JSON needs: during a fork storm,
# `exits -a -d 3s` and `keytime -a -d 3s` run in every format side by side
# (they see the same storm) and each one's peak RSS (/usr/bin/time's maximum
# resident set) is within 2x of the JSON run's. A renderer that holds one
# allocation per string sized to the rest of the document (exits -f csv:
# 368 MB against JSON's 11) fails here.
# once
# (under AddressSanitizer memory is quarantine and shadow, not the program's:
# the ASan pass of the renderers is the fuzz target fuzz_writers)
. "$(dirname "$0")/lib.sh"
need_root
[ -x /usr/bin/time ] || skip "/usr/bin/time not installed (apt-get install time)"
ldd "$PROCIMAGE" 2>/dev/null | grep -q libasan && skip "sanitizer build: RSS is not the program's"

# one worker: the other CPU is left to the ten runs
"$HELPERS/forkstorm" 100000000 1 0 >/dev/null &
S=$!
on_exit "pkill -9 -P $S; kill -9 $S; wait $S"
sleep 0.3

# rss CMD ARGS...: every format at once; peak RSS in KiB to $TMP/CMD.FMT.rss
PIDS=()
rss() {
	local cmd=$1 f
	shift
	for f in json text prom csv html; do
		/usr/bin/time -f %M -o "$TMP/$cmd.$f.rss" \
			"$PROCIMAGE" "$cmd" "$@" -f $f >"$TMP/$cmd.$f" 2>"$TMP/$cmd.$f.err" &
		PIDS+=($!)
	done
}
T0=$SECONDS
rss exits -a -i 1s -d 3s
rss keytime -a -d 3s
for p in "${PIDS[@]}"; do wait "$p" || fail "a run exited $? ($(cat "$TMP"/*.err))"; done
echo "the runs took $((SECONDS - T0)) s"
pkill -9 -P $S

kill -9 $S 2>/dev/null # the checks below need no storm
python3 - "$TMP" <<'PY' || fail "a format's peak RSS is over 2x JSON's (above)"
import json, os, sys
tmp, bad = sys.argv[1], 0
for cmd, key in (("exits", "exits"), ("keytime", "events")):
    n = len(json.load(open(os.path.join(tmp, cmd + ".json"))).get(key, []))
    # the JSON is a real report of the storm (else the bound means nothing)
    assert n >= 100, "%s -f json: %d records of the storm" % (cmd, n)
    rss = lambda f: int(open(os.path.join(tmp, "%s.%s.rss" % (cmd, f))).read().split()[-1])
    j = rss("json")
    for f in ("text", "prom", "csv", "html"):
        assert os.path.getsize(os.path.join(tmp, "%s.%s" % (cmd, f))) > 0, "%s -f %s: empty" % (cmd, f)
        r = rss(f)
        ok = r <= 2 * j
        bad += not ok
        print("%s: %s -f %s: peak RSS %d KiB, %.2fx json's %d KiB (%d records)"
              % ("ok" if ok else "FAIL", cmd, f, r, r / j, j, n))
sys.exit(1 if bad else 0)
PY
