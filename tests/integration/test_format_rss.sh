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

"$HELPERS/forkstorm" 100000000 2 0 >/dev/null &
S=$!
on_exit "pkill -9 -P $S; kill -9 $S; wait $S"
sleep 0.3

# rss CMD ARGS...: every format at once; peak RSS in KiB to $TMP/CMD.FMT.rss
rss() {
	local cmd=$1 f pids=()
	shift
	for f in json text prom csv html; do
		/usr/bin/time -f %M -o "$TMP/$cmd.$f.rss" \
			"$PROCIMAGE" "$cmd" "$@" -f $f >"$TMP/$cmd.$f" 2>"$TMP/$cmd.$f.err" &
		pids+=($!)
	done
	for f in "${pids[@]}"; do wait "$f" || fail "$cmd exited $? ($(cat "$TMP/$cmd".*.err))"; done
}
rss exits -a -i 1s -d 3s
rss keytime -a -d 3s

for cmd in exits keytime; do
	# the JSON is a real report of the storm (else the bound means nothing)
	n=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(len(d.get('$cmd' == 'exits' and 'exits' or 'events', [])))" "$TMP/$cmd.json")
	assert_cmp "$n" ">=" 100 "$cmd -f json: records of the storm"
	j=$(tail -1 "$TMP/$cmd.json.rss")
	for f in text prom csv html; do
		r=$(tail -1 "$TMP/$cmd.$f.rss")
		[ -s "$TMP/$cmd.$f" ] || fail "$cmd -f $f: empty output"
		echo "$cmd -f $f: peak RSS $r KiB (json $j KiB)"
		assert_cmp "$r" "<=" "$((2 * j))" "$cmd -f $f peak RSS within 2x of json's"
	done
done
