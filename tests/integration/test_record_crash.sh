#!/bin/bash
# unprivileged
# A recorder killed with SIGKILL leaves a file that reports up to the kill
# (at most the last second lost); a corrupted file, a file of another
# application, another schema or record layout: exit 2 with a clear message.
. "$(dirname "$0")/lib.sh"

( while :; do :; done ) & B=$!; on_exit "kill $B"
"$PROCIMAGE" record -o "$TMP/k.db" -p $B -i 50ms & R=$!; on_exit "kill -9 $R"
sleep 3
kill -9 $R; wait $R 2>/dev/null
"$PROCIMAGE" report "$TMP/k.db" resource -f json >"$TMP/k.json" 2>"$TMP/e" || fail "report after kill -9: $(cat "$TMP/e")"
assert_eq "$(jget "$TMP/k.json" 'd["tasks"][0]["pid"]')" "$B" "the task is in the killed recording"
# Recorded for ~3 s: with at most 1 s lost, at least ~1.8 s remain (load margin).
assert_cmp "$(jget "$TMP/k.json" 'd["duration_s"]')" ">" 1.8 "data up to the kill"
jget "$TMP/k.json" 'd["sources"]["procfs"]["reason"]' | grep -q "did not end cleanly" ||
	fail "the report does not say the recording was cut"
ok "killed recording reports and says so"

corrupt_case() { # NAME FILE EXPECTED-MESSAGE-REGEX
	"$PROCIMAGE" report "$2" resource >/dev/null 2>"$TMP/e"; rc=$?
	assert_eq "$rc" 2 "$1: exit status"
	grep -Eq "$3" "$TMP/e" || fail "$1: message '$(cat "$TMP/e")' lacks /$3/"
	ok "$1: $(cat "$TMP/e")"
}
"$PROCIMAGE" record -o "$TMP/g.db" -p $B -d 1200ms -i 50ms || fail "record"
# Page 1 header destroyed.
cp "$TMP/g.db" "$TMP/c1.db"; printf 'garbage garbage garbage garbage' | dd of="$TMP/c1.db" conv=notrunc bs=1 seek=0 2>/dev/null
corrupt_case "smashed header" "$TMP/c1.db" "not a procimage recording or is corrupted"
# Truncated to its first half.
cp "$TMP/g.db" "$TMP/c2.db"; truncate -s $(($(stat -c %s "$TMP/g.db") / 2)) "$TMP/c2.db"
corrupt_case "truncated" "$TMP/c2.db" "corrupted|malformed"
# A byte of a chunk changed inside the blob (SQLite cannot see it).
cp "$TMP/g.db" "$TMP/c3.db"
python3 - "$TMP/c3.db" <<'PY' || fail "could not patch a chunk"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
seq, data = db.execute("select seq, data from chunks order by seq limit 1").fetchone()
b = bytearray(data); b[len(b) // 2] ^= 0x5a
db.execute("update chunks set data=? where seq=?", (bytes(b), seq)); db.commit()
PY
corrupt_case "flipped chunk byte" "$TMP/c3.db" "corrupted: chunk [0-9]+ fails its checksum"
# Not ours, newer schema, other record layout.
python3 -c "import sqlite3; sqlite3.connect('$TMP/other.db').execute('create table t(x)')"
corrupt_case "foreign sqlite" "$TMP/other.db" "not a procimage recording"
cp "$TMP/g.db" "$TMP/v2.db"; python3 -c "import sqlite3; c=sqlite3.connect('$TMP/v2.db'); c.execute('pragma user_version=2'); c.commit()"
corrupt_case "newer schema" "$TMP/v2.db" "schema 2, this procimage reads schema 1"
cp "$TMP/g.db" "$TMP/l.db"; python3 -c "import sqlite3; c=sqlite3.connect('$TMP/l.db'); c.execute(\"update meta set value='procimage-record/9' where key='record_layout'\"); c.commit()"
corrupt_case "other layout" "$TMP/l.db" "layout"
printf '' >"$TMP/empty.db"
corrupt_case "empty file" "$TMP/empty.db" "not a procimage recording"
