#!/bin/bash
# A target whose audit reader is paused keeps running: SIGSTOP procimage in
# the middle of a capture of a syscall-heavy target, and the target still
# makes progress (never stuck in D state in audit_log_start), with the
# multicast reader and with the reader registered as the audit pid.
# One pass only: what it checks is the kernel's behaviour, a timing or a share
# (the sanitizer build adds run time, not coverage: other tests take the
# same code paths under ASan)
# once
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syscall_lib.sh"
need_audit

syscalls_done() { awk '/^syscr/{r=$2} /^syscw/{w=$2} END{print r+w}' /proc/$1/io; }

for mode in multicast unicast; do
	# dd: one read + one write syscall per 1-byte block, forever.
	dd if=/dev/zero of=/dev/null bs=1 2>/dev/null & D=$!; on_exit "kill -9 $D"
	if [ $mode = unicast ]; then
		[ "$(audit_field pid "$("$AUDITQ" status)")" = 0 ] || { ok "audit pid owned: no unicast case"; continue; }
		export PROCIMAGE_AUDIT_READER=unicast
	fi
	"$PROCIMAGE" syscall -p $D -d 60s --source audit -f json >"$TMP/j.$mode" 2>"$TMP/err.$mode" & P=$!
	unset PROCIMAGE_AUDIT_READER
	on_exit "kill -CONT $P; kill -9 $P"
	wait_rule $D $P || fail "$mode: no rule appeared: $(cat "$TMP/err.$mode")"
	sleep 0.3
	kill -STOP $P
	sleep 1 # let every queue and socket buffer fill up
	a=$(syscalls_done $D); sleep 1; b=$(syscalls_done $D)
	state=$(awk '{print $3}' /proc/$D/stat)
	kill -CONT $P
	echo "$mode: target made $((b - a)) syscalls in 1 s with the reader stopped (state $state)"
	assert_cmp "$((b - a))" ">" 10000 "$mode: target keeps running while the reader is stopped"
	kill -INT $P; wait $P || fail "$mode: procimage exited $?: $(cat "$TMP/err.$mode")"
	[ "$(jget "$TMP/j.$mode" 'd["sources"]["audit"]["reason"]')" != "" ] || fail "$mode: no reader reason"
	jget "$TMP/j.$mode" 'd["sources"]["audit"]'
	assert_cmp "$(jget "$TMP/j.$mode" 'd["audit_records"]')" ">" 1000 "$mode: records were read before and after the pause"
	kill -9 $D; wait $D 2>/dev/null
	assert_eq "$(our_rules $P)" 0 "$mode: no rule left"
	assert_restored
done
