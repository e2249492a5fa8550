#!/bin/bash
# -o is safe with any typo and after any ending of the run:
# - a report never overwrites the recording it reads (same file, a symbolic or
#   hard link to it, its SQLite side files); record refuses two -o;
# - -o is opened before the run: a path that cannot be written fails at once
#   (exit 2), for every command, instead of after the run;
# - the report replaces -o whole at the end: a SIGKILLed run leaves the old
#   file as it was and no temp file; SIGTERM/SIGINT still write the report; a
#   failed write (file size limit) or exit 3 leaves -o as it was and nothing
#   else; a new file is 0600 (0644 for prom), a replaced one keeps its mode;
# - report --info -f json is JSON, and honours -o.
# One pass only: the writers run under ASan+UBSan in fuzz_writers
# (test_fuzz_smoke) on arbitrary bytes.
# once
. "$(dirname "$0")/lib.sh"
need_root

sleep 600 &
SLEEPER=$!
on_exit "kill $SLEEPER"
D="$TMP/d"
mkdir "$D"
# Everything in $D but the files the test made on purpose.
stray() { (cd "$D" && ls -A | grep -vxF -e self.db -e link.db -e hard.db -e keep.json \
	-e mode.txt -e prom.txt -e info.json -e nob); }
md5() { md5sum "$1" | cut -d' ' -f1; }

# --- the recording being read is never written over -----------------------
"$PROCIMAGE" record -o "$D/self.db" -p $SLEEPER -d 500ms 2>"$TMP/err" ||
	fail "record: $(cat "$TMP/err")"
sum=$(md5 "$D/self.db")
ln -s self.db "$D/link.db"
ln "$D/self.db" "$D/hard.db"
refused() { # what ARGS...: exit 2, message names the recording, file intact
	local what=$1; shift
	"$PROCIMAGE" "$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	[ $rc = 2 ] || fail "$what: exit $rc, want 2 ($(cat "$TMP/err"))"
	grep -q "recording" "$TMP/err" || fail "$what: message does not say why: $(cat "$TMP/err")"
	[ "$(md5 "$D/self.db")" = "$sum" ] || fail "$what: the recording was changed"
	ok "$what -> 2: $(head -1 "$TMP/err")"
}
refused "report FILE -o FILE" report "$D/self.db" resource -o "$D/self.db"
refused "report FILE -o FILE -f json" report "$D/self.db" resource -f json -o "$D/self.db"
refused "report LINK -o FILE (symlink)" report "$D/link.db" resource -o "$D/self.db"
refused "report FILE -o HARDLINK" report "$D/self.db" resource -o "$D/hard.db"
refused "report FILE -o FILE-wal" report "$D/self.db" -o "$D/self.db-wal"
refused "report FILE --info -o FILE" report "$D/self.db" --info -o "$D/self.db"
"$PROCIMAGE" report "$D/self.db" -o "$D/link.db" 2>"$TMP/err"
[ $? = 2 ] || fail "report -o SYMLINK: not refused"
[ "$(md5 "$D/self.db")" = "$sum" ] && [ -L "$D/link.db" ] || fail "report -o SYMLINK changed something"
ok "report -o SYMLINK -> 2: $(cat "$TMP/err")"
"$PROCIMAGE" report "$D/self.db" resource -p $SLEEPER -f json >"$TMP/r.json" 2>"$TMP/err" ||
	fail "the recording no longer replays: $(cat "$TMP/err")"
jget "$TMP/r.json" "[t['pid'] for t in d['tasks']]" | grep -qw $SLEEPER || fail "replay lost the target"
ok "the recording still replays"

# record: two -o used to mean "the last one is the recording"
"$PROCIMAGE" record -o "$D/A.db" -p $SLEEPER -d 500ms --report resource -f json \
	-o "$D/x.json" >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc = 2 ] || fail "record -o A.db ... -o x.json: exit $rc, want 2"
grep -q "redirect" "$TMP/err" || fail "record's two -o: the message does not say how to fix it"
[ -e "$D/A.db" ] || [ -e "$D/x.json" ] && fail "record's two -o created a file"
ok "record -o A.db --report .. -o x.json -> 2: $(cat "$TMP/err")"

# --- -o is checked before the run, for every command ------------------------
bad_o() { # OUT CMD...: exit 2 at once, naming -o
	local out=$1 t0=${EPOCHREALTIME/./} rc ms
	shift
	timeout 60 "$PROCIMAGE" "$@" -d 5m -o "$out" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
	[ $rc = 2 ] || fail "$* -d 5m -o $out: exit $rc after $ms ms, want 2 at once ($(cat "$TMP/err"))"
	[ $ms -lt 10000 ] || fail "$* -o $out: refused only after $ms ms"
	grep -q -- "-o '$out'" "$TMP/err" || fail "$* -o $out: message does not name -o: $(cat "$TMP/err")"
}
for cmd in "resource -p $SLEEPER" "sched -p $SLEEPER" "keytime -p $SLEEPER" \
	"migrate -p $SLEEPER" "syscall -p $SLEEPER --source sample" "exits -p $SLEEPER" \
	"stacks -p $SLEEPER" "triage" "doctor" "report $D/self.db"; do
	# shellcheck disable=SC2086
	bad_o /nonexistent/dir/r.txt $cmd
	ok "$cmd -d 5m -o /nonexistent/dir/r.txt -> 2 at once: $(head -1 "$TMP/err")"
done
bad_o "$D" resource -p $SLEEPER
ok "-o DIRECTORY -> 2: $(head -1 "$TMP/err")"
bad_o "$D/link.db" resource -p $SLEEPER
ok "-o SYMLINK -> 2: $(head -1 "$TMP/err")"
[ -z "$(stray)" ] || fail "left behind: $(stray)"

# --- the report replaces -o whole, at the end ---------------------------------
echo old >"$D/keep.json"
"$PROCIMAGE" resource -p $SLEEPER -d 30s -f json -o "$D/keep.json" 2>"$TMP/err" &
R=$!
sleep 1.5
[ -z "$(stray)" ] || fail "a temp file is visible while running: $(stray)"
kill -9 $R
wait $R 2>/dev/null
[ "$(cat "$D/keep.json")" = old ] || fail "SIGKILL: -o was changed: $(head -c 200 "$D/keep.json")"
[ -z "$(stray)" ] || fail "SIGKILL left: $(stray)"
ok "SIGKILLed run: -o as it was, nothing left"

for sig in TERM INT; do
	echo old >"$D/keep.json"
	"$PROCIMAGE" resource -p $SLEEPER -d 30s -f json -o "$D/keep.json" 2>"$TMP/err" &
	R=$!
	sleep 1.5
	kill -$sig $R
	wait $R || fail "SIGINT: exit $? ($(cat "$TMP/err"))"
	jget "$D/keep.json" "[t['pid'] for t in d['tasks']]" | grep -qw $SLEEPER ||
		fail "SIG$sig: no report in -o"
	[ -z "$(stray)" ] || fail "SIG$sig left: $(stray)"
	ok "SIG$sig: the report is written"
done

echo old >"$D/keep.json"
(
	trap '' XFSZ
	ulimit -f 1 # 1 KiB: the JSON report does not fit
	exec "$PROCIMAGE" resource -p $SLEEPER -d 300ms -f json -o "$D/keep.json"
) 2>"$TMP/err"
rc=$?
[ $rc = 1 ] || fail "a failed write: exit $rc, want 1"
grep -q "File too large" "$TMP/err" || fail "a failed write does not say why: $(cat "$TMP/err")"
[ "$(cat "$D/keep.json")" = old ] || fail "a failed write changed -o"
[ -z "$(stray)" ] || fail "a failed write left: $(stray)"
ok "a failed write: exit 1 ($(cat "$TMP/err")), -o as it was, nothing left"

"$PROCIMAGE" resource -p 4194303 -d 300ms -o "$D/none.txt" 2>/dev/null
[ $? = 3 ] || fail "missing pid: not exit 3"
[ -e "$D/none.txt" ] && fail "exit 3 created -o"
[ -z "$(stray)" ] || fail "exit 3 left: $(stray)"
ok "exit 3: no file"

"$PROCIMAGE" resource -p $SLEEPER -d 200ms -o "$D/mode.txt" || fail "resource -o"
assert_eq "$(stat -c %a "$D/mode.txt")" 600 "mode of a new report"
"$PROCIMAGE" resource -p $SLEEPER -d 200ms -f prom -o "$D/prom.txt" || fail "resource -f prom -o"
assert_eq "$(stat -c %a "$D/prom.txt")" 644 "mode of a new prom file (node_exporter reads it)"
chmod 640 "$D/mode.txt"
"$PROCIMAGE" resource -p $SLEEPER -d 200ms -o "$D/mode.txt" || fail "resource -o (replace)"
assert_eq "$(stat -c %a "$D/mode.txt")" 640 "mode of a replaced report"
grep -q "$SLEEPER" "$D/mode.txt" || fail "the replaced report is not the new one"

# A directory root writes to only through CAP_DAC_OVERRIDE, which the run
# drops after setup: written in place (the report used to be lost after the run).
if id nobody >/dev/null 2>&1; then
	mkdir "$D/nob"
	chown nobody "$D/nob"
	chmod 755 "$D/nob"
	"$PROCIMAGE" resource -p $SLEEPER -d 200ms -o "$D/nob/r.txt" 2>"$TMP/err" ||
		fail "-o in another user's directory: $(cat "$TMP/err")"
	grep -q "$SLEEPER" "$D/nob/r.txt" || fail "-o in another user's directory: no report"
	ok "-o in another user's directory is written"
fi

# --- report --info -f json, -o ----------------------------------------------
"$PROCIMAGE" report "$D/self.db" --info -f json -o "$D/info.json" >"$TMP/out" 2>"$TMP/err" ||
	fail "report --info -f json -o: $(cat "$TMP/err")"
[ -s "$TMP/out" ] && fail "report --info -o also printed to stdout"
python3 - "$D/info.json" "$SLEEPER" <<'PY' || fail "report --info -f json"
import json, sys
d = json.loads(open(sys.argv[1], "rb").read().decode("utf-8", "strict"))
assert d["records"] > 0 and d["records"] == sum(k["records"] for k in d["records_by_kind"].values()), d
assert d["clean_end"] is True and d["duration_s"] > 0.4, d
assert ("-p %s" % sys.argv[2]) in d["command"], d["command"]
assert d["sources"]["procfs"]["status"] == "ok", d["sources"]
print("ok: --info json: %d records, %d kinds, sources %s" % (d["records"], len(d["records_by_kind"]), sorted(d["sources"])))
PY
"$PROCIMAGE" report "$D/self.db" --info >"$TMP/info.txt" || fail "report --info"
n=$(sed -n 's/^ *\([0-9]*\) records.*/\1/p' "$TMP/info.txt")
assert_eq "$n" "$(jget "$D/info.json" "d['records']")" "--info text and json agree on records"
[ -z "$(stray)" ] || fail "left behind: $(stray)"
