#!/bin/bash
# unprivileged
# --proc-root over hostile trees: symlinks pointing outside the tree, a FIFO
# where a file should be, truncated and garbage files. procimage must read
# what is sane, skip the rest, never hang, never crash, and exit with the
# documented code (0 when targets were seen, 3 when none was).
. "$(dirname "$0")/lib.sh"
FIX="$ROOT/tests/fixtures"
T="$TMP/tree"
mkdir -p "$T" && cp -a "$FIX/6.18/." "$T/" || fail "copy fixture"
(
	cd "$T" || exit 1
	mkdir 500 501 502 503 504 506
	ln -s /etc/passwd 500/stat          # a file outside the tree
	ln -s /etc 505                      # a pid dir outside the tree
	mkfifo 501/stat                     # would block a naive open
	cp 13245/stat 502/stat && ln -s /dev/zero 502/status
	head -c 37 13245/stat >503/stat     # truncated mid-field
	head -c 70000 /dev/urandom >504/stat # garbage, larger than any buffer
	printf '506 (x) R 1 1 1 0 -1 0 99999999999999999999999 0 0 0 18446744073709551615 5 0 0 20 0 1 0 42 1 1\n' >506/stat
	rm 13245/status && mkfifo 13245/status
	rm -rf 13321/task && ln -s / 13321/task
	rm 13316/io && ln -s /proc/self/io 13316/io
	printf 'garbage\n' >13275/task/13318/sched
	: >13275/task/13319/schedstat       # empty
) || fail "build hostile tree"

run() { # EXPECTED_RC ARGS...
	local want=$1; shift
	timeout 30 "$PROCIMAGE" "$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	[ $rc = 124 ] && fail "procimage $*: hung"
	grep -q "AddressSanitizer\|runtime error\|LeakSanitizer" "$TMP/err" && { cat "$TMP/err"; fail "procimage $*: sanitizer report"; }
	[ $rc = "$want" ] || { cat "$TMP/err"; fail "procimage $* exited $rc, want $want"; }
	ok "procimage $* -> $rc"
}

run 0 resource -a --proc-root "$T" -d 300ms -i 100ms -f json
python3 - "$TMP/out" <<'PY' || fail "resource JSON over the hostile tree is wrong"
import json, sys
d = json.load(open(sys.argv[1]))
pids = {t["pid"] for t in d["tasks"]}
assert 13275 in pids, pids           # the sane process is there
assert 506 in pids, pids             # huge numbers are still a process
for bad in (500, 501, 503, 504, 505):
    assert bad not in pids, (bad, pids)
print("pids", sorted(pids))
PY
ok "sane tasks reported, broken ones skipped"
run 0 resource -p 13275 --proc-root "$T" -d 300ms -i 100ms
run 3 resource -p 504 --proc-root "$T" -d 300ms -i 100ms
run 3 resource -p 505 --proc-root "$T" -d 300ms -i 100ms
PROCIMAGE_PROC_ROOT="$T" run 3 resource -p 501 -d 300ms -i 100ms
# a tree made only of garbage is not a proc tree at all
mkdir -p "$TMP/junk/1" && head -c 5000 /dev/urandom >"$TMP/junk/1/status"
run 2 resource -a --proc-root "$TMP/junk" -d 200ms
grep -q "not a proc tree" "$TMP/err" || fail "no 'not a proc tree' message"
ok "junk tree refused with a message"
