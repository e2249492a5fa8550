#!/bin/bash
# A target whose memory cannot be read: its argv/environ sit on a
# userfaultfd page nobody fills (tests/helpers/mmstall) and a thread keeps
# taking its mm write lock (mmap/munmap loop). The image commands, whose
# reads of cmdline and of the target's memory (stacks) touch that mm, must
# still end on time with their report (-d 2s; bound 8 s on a loaded host).
#
# Holding the mm lock itself for ever is not possible from user space on
# this kernel: a fault on a userfaultfd page waits with the lock dropped
# (FAULT_FLAG_ALLOW_RETRY), and a remote read (/proc/PID/cmdline, GUP with
# FOLL_REMOTE) of such a page fails at once instead of waiting. So this test
# checks the reachable case: reads that fault into a never-filled page.
. "$(dirname "$0")/lib.sh"
need_root
"$HELPERS/mmstall" lock >"$TMP/mm.out" 2>&1 &
M=$!
on_exit "kill -9 $M"
for _ in $(seq 50); do grep -q ready "$TMP/mm.out" && break; sleep 0.1; done
if ! grep -q ready "$TMP/mm.out"; then
	wait $M
	[ $? = 3 ] && skip "cannot move argv onto a userfaultfd page here: $(cat "$TMP/mm.out")"
	fail "mmstall did not start: $(cat "$TMP/mm.out")"
fi
t0=$(date +%s%N)
timeout 5 cat /proc/$M/cmdline >/dev/null 2>&1
ok "a direct read of its cmdline returns in $((($(date +%s%N) - t0) / 1000000)) ms (exit $?)"

pids=()
for c in resource keytime stacks exits sched; do
	( s=$(date +%s%N); timeout 30 "$PROCIMAGE" $c -p $M -d 2s -f json >"$TMP/$c.json" 2>"$TMP/$c.err"
	  echo "$? $((($(date +%s%N) - s) / 1000000))" >"$TMP/$c.rc" ) &
	pids+=($!)
done
wait "${pids[@]}"
for c in resource keytime stacks exits sched; do
	read -r rc ms <"$TMP/$c.rc"
	[ "$rc" = 0 ] || { cat "$TMP/$c.err"; fail "$c exited $rc after $ms ms"; }
	assert_cmp "$ms" '<' 8000 "$c -d 2s on the stalled target ended (ms)"
	jget "$TMP/$c.json" 'd["image"]' >/dev/null || fail "$c: no report"
done
exit 0
