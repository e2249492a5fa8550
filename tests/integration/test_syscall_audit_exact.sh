#!/bin/bash
# The audit source counts a known workload exactly: 10,000 getppid,
# 1,000 openat+close, 500 mmap+munmap, 200 failing openat (ENOENT), and the
# profile agrees with `strace -c` on the same workload run separately.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syscall_lib.sh"
need_audit

# 1. procimage, audit only. A loss (counted: the kernel queue overflowed on
# a loaded host) makes counts lower bounds; then measure once more.
capture() {
	"$HELPERS/sysloop" 200 >"$TMP/sl" & SL=$!; on_exit "kill -9 $SL"
	# Capture from when it waits for the signal: the dynamic loader's own
	# close/mmap/munmap must not count (a fast host starts procimage first).
	wait_sigwait $SL
	"$PROCIMAGE" syscall -p $SL -d 60s --source audit -f json >"$TMP/j" 2>"$TMP/err" & P=$!
	on_exit "kill -9 $P"
	wait_rule $SL $P || fail "no audit rule for $SL appeared: $(cat "$TMP/err")"
	kill -USR1 $SL; wait $SL
	wait $P || fail "procimage exited $?: $(cat "$TMP/err")"
	grep -q done "$TMP/sl" || fail "workload did not finish"
	jget "$TMP/j" "d['sources']['audit'], [(s['name'], s['count']) for s in d['syscalls']]"
}
capture
if [ "$(jget "$TMP/j" 'd["sources"]["audit"]["lost"]')" != 0 ]; then
	echo "records were lost (counted); measuring once more"
	capture
fi
count() { jget "$TMP/j" "sum(s['count'] for s in d['syscalls'] if s['name']=='$1')"; }
assert_eq "$(jget "$TMP/j" 'd["source"]')" audit "source"
assert_eq "$(jget "$TMP/j" 'd["counts_exact"]')" True "counts exact"
assert_eq "$(count getppid)" 10000 "getppid"
assert_eq "$(count openat)" 1200 "openat (1000 + 200 failing)"
assert_eq "$(count close)" 1000 "close"
assert_eq "$(count mmap)" 500 "mmap"
assert_eq "$(count munmap)" 500 "munmap"
assert_eq "$(jget "$TMP/j" "[s['errors'] for s in d['syscalls'] if s['name']=='openat'][0]")" 200 "openat errors"
assert_eq "$(jget "$TMP/j" "[s['errnos'].get('ENOENT') for s in d['syscalls'] if s['name']=='openat'][0]")" 200 "ENOENT"
assert_eq "$(jget "$TMP/j" "[s['errors'] for s in d['syscalls'] if s['name']=='getppid'][0]")" 0 "getppid errors"
assert_eq "$(jget "$TMP/j" 'd["sources"]["audit"]["lost"]')" 0 "nothing lost"
# The sequence ends with the failing opens, then the "done" write and exit.
assert_eq "$(jget "$TMP/j" "[c['name'] for c in d['sequence'][0]['calls'] if not c['sampled']][-3]")" openat "sequence: last openat"
assert_eq "$(jget "$TMP/j" "[c['error'] for c in d['sequence'][0]['calls'] if not c['sampled']][-3]")" ENOENT "sequence: its errno"
assert_eq "$(our_rules $P)" 0 "no rule left"
assert_restored

# 2. The same workload under strace -c (attached while it waits).
command -v strace >/dev/null || skip "strace not installed (procimage part passed)"
"$HELPERS/sysloop" 200 >"$TMP/sl2" & SL2=$!; on_exit "kill -9 $SL2"
wait_sigwait $SL2
strace -c -o "$TMP/strace" -p $SL2 2>"$TMP/strace.err" & ST=$!
for _ in $(seq 100); do [ "$(awk '/TracerPid/{print $2}' /proc/$SL2/status)" != 0 ] && break; sleep 0.05; done
kill -USR1 $SL2; wait $SL2; wait $ST
sc() { awk -v n="$1" -v f="$2" '$NF==n { if (f=="errors") print (NF==6 ? $5 : 0); else print $4 }' "$TMP/strace"; }
for s in getppid openat close mmap munmap; do
	assert_eq "$(count $s)" "$(sc $s calls)" "$s agrees with strace -c"
done
assert_eq "$(sc openat errors)" 200 "strace -c openat errors"
