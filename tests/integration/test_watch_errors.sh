#!/bin/bash
# unprivileged
# watch: bad input exits 2 with a message naming the problem; a symlinked
# dump directory is refused; retention keeps the newest --keep folders.
. "$(dirname "$0")/lib.sh"

expect2() { # WHAT GREP ARGS...
	local what=$1 pat=$2; shift 2
	"$PROCIMAGE" watch "$@" 2>"$TMP/e"; rc=$?
	assert_eq "$rc" 2 "$what exits 2"
	grep -q -- "$pat" "$TMP/e" || fail "$what: message lacks '$pat': $(cat "$TMP/e")"
}
expect2 "no rule" "no rule" --dump-dir "$TMP/d"
expect2 "no dump dir" "dump-dir" --rule 'cpu>5%'
expect2 "unknown metric" "unknown metric 'cpux'" --rule 'cpux>5%' --dump-dir "$TMP/d"
expect2 "bad sustain" "for" --rule 'cpu>5%forever' --dump-dir "$TMP/d"
expect2 "bad signal" "signal" --rule 'cpu>5%' --dump-dir "$TMP/d" --signal FOO
expect2 "-o" "watch writes no report" --rule 'cpu>5%' --dump-dir "$TMP/d" -o "$TMP/out"
[ -e "$TMP/out" ] && fail "watch -o created its file"
expect2 "process guard" "host metrics" --rule 'cpu>5%' --dump-dir "$TMP/d" --guard 'cpu>5%'
mkdir "$TMP/real"; ln -s "$TMP/real" "$TMP/link"
expect2 "symlinked dump dir" "symlink" --rule 'cpu>5%' --dump-dir "$TMP/link"
mkdir -m 777 "$TMP/open"
expect2 "world-writable dump dir" "not writable by group or others" --rule 'cpu>5%' --dump-dir "$TMP/open"
"$PROCIMAGE" watch -p 999999999 --rule 'cpu>5%' --dump-dir "$TMP/d" -d 1s 2>/dev/null
assert_eq "$?" 3 "a pid that does not exist exits 3"

# Retention: 3 old dumps + 1 new capture with --keep 2 leaves the 2 newest.
mkdir -m 700 "$TMP/r"
for t in 20200101T000000Z 20200102T000000Z 20200103T000000Z; do
	mkdir "$TMP/r/$t-1-old"; echo x >"$TMP/r/$t-1-old/status"
done
mkdir "$TMP/r/unrelated"
"$HELPERS/duty" 100:120 >/dev/null & SPIN=$!; on_exit "kill $SPIN"
"$PROCIMAGE" watch -p $SPIN --rule 'cpu>30%' --dump-dir "$TMP/r" -i 200ms -d 5s --no-images \
	--once --keep 2 --guard none 2>"$TMP/log" || fail "watch exited $?"
cat "$TMP/log"
left=$(ls "$TMP/r" | tr '\n' ' ')
case "$left" in "20200103T000000Z-1-old 202"*"-$SPIN-"*" unrelated ") ok "retention kept the 2 newest: $left" ;;
*) fail "retention left: $left" ;; esac

# The hook: argv without a shell, pid and folder in the environment.
cat >"$TMP/hook.sh" <<'H'
#!/bin/sh
echo "pid=$PROCIMAGE_PID dir=$PROCIMAGE_DUMP_DIR arg=$1" >"$PROCIMAGE_DUMP_DIR/hook.out"
H
chmod +x "$TMP/hook.sh"
"$PROCIMAGE" watch -p $SPIN --rule 'cpu>30%' --dump-dir "$TMP/h" -i 200ms -d 5s --no-images \
	--once --guard none --exec "$TMP/hook.sh one;two" 2>"$TMP/log" || fail "watch hook exited $?"
# --once does not wait for its hook: give the hook up to 5 s to write its line.
F=$(ls -d "$TMP"/h/*/)
for _ in $(seq 50); do
	grep -q "^pid=" "$F/hook.out" 2>/dev/null && break
	sleep 0.1
done
grep -q "pid=$SPIN dir=${F%/} arg=one;two" "$F/hook.out" || fail "hook saw: $(cat "$F/hook.out" "$F/hook.log" 2>&1)"
ok "hook ran with pid and folder, argv unsplit by a shell"

# --signal: the process gets it as the capture starts (sleep dies of USR2).
sleep 60 & S=$!; on_exit "kill $S"
"$PROCIMAGE" watch -p $S --rule 'rss>0' --dump-dir "$TMP/s" -i 200ms -d 5s --no-images \
	--once --guard none --signal USR2 2>"$TMP/log" || fail "watch --signal exited $?"
wait $S; st=$?
assert_eq "$st" 140 "the process got SIGUSR2 (128 + 12)"

# --keep-size: a size smaller than one dump keeps only the newest.
mkdir -m 700 "$TMP/z"; mkdir "$TMP/z/20200101T000000Z-1-old"; head -c 100000 /dev/zero >"$TMP/z/20200101T000000Z-1-old/status"
"$PROCIMAGE" watch -p $SPIN --rule 'cpu>30%' --dump-dir "$TMP/z" -i 200ms -d 5s --no-images \
	--once --keep-size 1K --guard none 2>"$TMP/log" || fail "watch --keep-size exited $?"
left=$(ls "$TMP/z")
case "$left" in 202*-$SPIN-*) ok "keep-size removed the old dump: $left" ;; *) fail "keep-size left: $left" ;; esac
