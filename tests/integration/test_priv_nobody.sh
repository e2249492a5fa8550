#!/bin/bash
# As an unprivileged user without capabilities (nobody via setpriv), every
# image command works on that user's own process (exit 0, the process is in
# the report) and names the sources it could not use with a reason; -a and
# triage work on what is visible; record/report work; files are 0600; -o onto
# a symlink is refused and the link's target is left alone.
. "$(dirname "$0")/lib.sh"
need_root
command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"
AS=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
"${AS[@]}" true || skip "setpriv cannot switch to uid 65534 here"
"${AS[@]}" test -x "$PROCIMAGE" || skip "uid 65534 cannot reach $PROCIMAGE"
# nobody must reach $TMP/nb: traversal only (o+x) on $TMP and the run's folder.
chmod 711 "$TMP"
[ "$(dirname "$TMP")" = /tmp ] || chmod o+x "$(dirname "$TMP")"
NB=$TMP/nb
mkdir "$NB" && chown 65534:65534 "$NB"

"${AS[@]}" sleep 60 &
pid=$!
on_exit "kill -9 $pid; wait $pid"
sleep 0.3
assert_eq "$(stat -c %u /proc/$pid)" 65534 "target runs as nobody"

check_sources() { # FILE CMD: at least one source is not ok and says why
	python3 - "$1" "$2" <<'PY' || fail "$2: no unavailable/degraded source with a reason"
import json, sys
d = json.load(open(sys.argv[1]))
bad = {k: v for k, v in d["sources"].items() if v.get("status") != "ok"}
assert bad and all(v.get("reason") for v in bad.values()), d["sources"]
print("ok: %s says what it could not see: %s" % (sys.argv[2], "; ".join(
    "%s %s (%s)" % (k, v["status"], v["reason"][:50]) for k, v in bad.items())))
PY
}

# Each command as nobody, side by side (1 s each); the checks follow.
asnobody() { # NAME ARGS...: run in the background, exit status in $NB/NAME.rc
	local name=$1
	shift
	{ "${AS[@]}" "$PROCIMAGE" "$@" -d 1s -f json >"$NB/$name.json" 2>"$NB/$name.err"; echo $? >"$NB/$name.rc"; } &
	BG+=($!)
}
BG=()
for c in resource keytime syscall stacks exits sched migrate; do
	asnobody $c $c -p $pid
done
wait "${BG[@]}"
BG=()
asnobody sched-a sched -a
asnobody resource-a resource -a
asnobody triage triage
wait "${BG[@]}"

for c in resource keytime syscall stacks exits; do
	rc=$(cat "$NB/$c.rc")
	[ "$rc" = 0 ] || { cat "$NB/$c.err"; fail "$c as nobody exited $rc"; }
	if [ $c = exits ]; then # the sleeper does not exit: nothing to list
		:
	elif [ $c = stacks ]; then # stacks aggregates: no pid, but the thread's samples
		assert_cmp "$(jget "$NB/$c.json" 'd["samples"]')" '>' 0 "stacks as nobody: samples"
	else
		grep -q "\"$pid\"\|: *$pid[,}]" "$NB/$c.json" || fail "$c as nobody: pid $pid not in the report"
	fi
	check_sources "$NB/$c.json" $c
done
for c in sched migrate sched-a resource-a triage; do
	[ "$(cat "$NB/$c.rc")" = 0 ] || { cat "$NB/$c.err"; fail "$c as nobody failed"; }
	jget "$NB/$c.json" 'd["sources"]' >/dev/null || fail "$c: no sources in JSON"
	ok "$c as nobody: exit 0"
done
"${AS[@]}" "$PROCIMAGE" doctor >"$NB/doctor.txt" 2>&1 || fail "doctor as nobody failed"
ok "doctor as nobody: exit 0"

# record + report as nobody; the store is 0600.
"${AS[@]}" "$PROCIMAGE" record -o "$NB/r.db" -p $pid -d 1s >/dev/null 2>"$NB/rec.err" ||
	{ cat "$NB/rec.err"; fail "record as nobody failed"; }
assert_eq "$(stat -c %a "$NB/r.db")" 600 "record store mode"
"${AS[@]}" "$PROCIMAGE" report "$NB/r.db" >"$NB/report.txt" 2>&1 || fail "report as nobody failed"
grep -q "unavailable" "$NB/report.txt" || fail "report does not name the unavailable sources"
ok "record/report as nobody"

# -o: a new file is 0600; a symlink in its place is refused (as root too).
"$PROCIMAGE" resource -p $pid -d 300ms -f json -o "$TMP/out.json" || fail "-o failed"
assert_eq "$(stat -c %a "$TMP/out.json")" 600 "-o file mode"
echo precious >"$TMP/victim"
ln -s "$TMP/victim" "$TMP/link.json"
"$PROCIMAGE" resource -p $pid -d 300ms -f json -o "$TMP/link.json" 2>"$TMP/link.err"
rc=$?
[ $rc != 0 ] || fail "-o onto a symlink was accepted"
assert_eq "$(cat "$TMP/victim")" precious "symlink target untouched by -o"
ok "-o onto a symlink refused (exit $rc: $(head -c 120 "$TMP/link.err"))"
# record replaces the link itself, never writes through it.
ln -s "$TMP/victim" "$TMP/link.db"
"$PROCIMAGE" record -o "$TMP/link.db" -p $pid -d 300ms >/dev/null 2>&1
assert_eq "$(cat "$TMP/victim")" precious "symlink target untouched by record -o"
[ -L "$TMP/link.db" ] && fail "record wrote through/kept the symlink"
ok "record -o onto a symlink does not follow it"
exit 0
