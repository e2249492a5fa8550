#!/bin/bash
# unprivileged
# Bad input gives exit 2 (or 3 for a missing pid) and a one-line message; no crash.
# One pass only: the option parser runs under ASan+UBSan in fuzz_args
# (test_fuzz_smoke) on arbitrary argument vectors.
# once
. "$(dirname "$0")/lib.sh"

expect() { # CODE ARGS...
	local code=$1; shift
	"$PROCIMAGE" "$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	[ $rc = "$code" ] || { cat "$TMP/err"; fail "procimage $* exited $rc, want $code"; }
	[ "$(wc -l <"$TMP/err")" -ge 1 ] || fail "procimage $*: no message on stderr"
	grep -q "AddressSanitizer\|runtime error" "$TMP/err" && fail "procimage $*: sanitizer report"
	ok "procimage $* -> $code: $(head -1 "$TMP/err")"
}
expect 2 bogus-command
expect 2 resource -p abc
expect 2 resource -p 12,x
expect 2 resource -p -5
expect 2 resource -p 1 -d 5x
expect 2 resource -p 1 -d ""
expect 2 resource -p 1 -i 0ms
expect 2 resource -p 1 -f xml
expect 2 resource -p 1 --no-such-option
expect 2 record -o "$TMP/r.db" -p 1 -d 1s -f json
[ -e "$TMP/r.db" ] && fail "record -f without --report created its file"
expect 2 resource -p 1 -d
expect 2 resource
expect 2 resource -p 1 --comm '('
expect 2 resource -a --proc-root /nonexistent -d 100ms
expect 2 resource -a --proc-root /tmp -d 100ms
expect 3 resource -p 4194303 -d 200ms
# -i longer than -d: no interval would end (it printed 0.0% CPU and "nothing
# stands out" for a busy process)
expect 2 resource -p $$ -d 1s -i 5s
grep -q "give -d 5s or more" "$TMP/err" || fail "-i > -d: the message does not say how to fix it"
expect 2 keytime -p $$ -d 5ms
expect 2 resource -p $$ -i 20s
# two -o with different files (the last one used to win)
expect 2 resource -p $$ -d 1s -o "$TMP/a.txt" -o "$TMP/b.txt"
[ -e "$TMP/a.txt" ] || [ -e "$TMP/b.txt" ] && fail "two -o created a file"
# --comm / --cgroup that match nothing during the whole run: exit 3, said,
# as -p does for a missing pid (it was an empty report and exit 0)
expect 3 resource --comm '^no-such-comm-x$' -d 300ms
grep -q "nothing matched.*--comm '^no-such-comm-x\$'" "$TMP/err" || fail "--comm: the message does not say what matched nothing"
[ -s "$TMP/out" ] && fail "--comm matching nothing still printed a report"
expect 3 keytime --cgroup /no-such-cgroup-x -d 300ms
grep -q "nothing matched.*--cgroup" "$TMP/err" || fail "--cgroup: the message does not say what matched nothing"
sleep 30 &
S=$!
on_exit "kill $S"
"$PROCIMAGE" resource --comm '^sleep$' -d 300ms -f json >"$TMP/m.json" 2>"$TMP/err" ||
	fail "--comm matching a process: $(cat "$TMP/err")"
jget "$TMP/m.json" "[t['pid'] for t in d['tasks']]" | grep -qw $S || fail "--comm '^sleep$' missed pid $S"
ok "--comm that matches: exit 0"
# report: a window past the end of the recording, or --comm matching no record
"$PROCIMAGE" record -o "$TMP/r.db" -p $S -d 500ms 2>"$TMP/err" || fail "record: $(cat "$TMP/err")"
expect 3 report "$TMP/r.db" resource --from 5s
grep -q "past its end" "$TMP/err" || fail "report --from past the end: the message does not say so"
[ -s "$TMP/out" ] && fail "report --from past the end printed a report"
expect 3 report "$TMP/r.db" resource --to -10s
expect 3 report "$TMP/r.db" resource --comm '^no-such-comm-x$'
expect 2 report "$TMP/r.db" resource --cgroup /x
"$PROCIMAGE" report "$TMP/r.db" resource --from 100ms -p $S -f json >"$TMP/w.json" 2>"$TMP/err" ||
	fail "report --from inside the recording: $(cat "$TMP/err")"
ok "report --from inside the recording: exit 0"
# -d N -i 1s is N intervals from the first sample (-d 10s -i 1s gave 9: the
# sources' start-up ate into the last one)
"$HELPERS/duty" 45:30 >/dev/null &
W=$!
on_exit "kill $W"
sleep 0.3
for di in 3s:1s:3 2s:500ms:4 1s:250ms:4; do
	IFS=: read -r d i want <<<"$di"
	"$PROCIMAGE" resource -p $W -d "$d" -i "$i" -f json >"$TMP/i.json" 2>"$TMP/err" ||
		fail "resource -d $d -i $i: $(cat "$TMP/err")"
	n=$(jget "$TMP/i.json" "len([t for t in d['tasks'] if t['pid'] == $W][0]['series'])")
	assert_eq "$n" "$want" "intervals of resource -d $d -i $i"
done
"$PROCIMAGE" --help >/dev/null || fail "--help"
"$PROCIMAGE" resource --help | grep -q usage || fail "resource --help"
ok "help"
