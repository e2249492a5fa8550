#!/bin/bash
# once
# In a new pid namespace, root holds CAP_AUDIT_CONTROL and the kernel still
# refuses audit: `syscall --source audit` and doctor name that cause (the
# pid namespace), not a missing capability (issue 16 item 11).
. "$(dirname "$0")/lib.sh"
need_root
unshare -pf --mount-proc true 2>/dev/null || skip "cannot create a pid namespace here"
unshare -pf --mount-proc sh -c 'sleep 5 & "$1" syscall -p $! --source audit -d 500ms -f json' \
	sh "$PROCIMAGE" >"$TMP/out" 2>"$TMP/err"; rc=$?
assert_eq "$rc" 1 "syscall --source audit where audit cannot work: exit 1"
grep -q "CAP_AUDIT_CONTROL is held, but this process is in a non-initial pid namespace" "$TMP/err" ||
	fail "syscall: the cause is not named: $(cat "$TMP/err")"
ok "syscall: $(cat "$TMP/err")"
unshare -pf --mount-proc "$PROCIMAGE" doctor -f json >"$TMP/d.json" || fail "doctor exited $?"
r=$(jget "$TMP/d.json" 'd["sources"]["audit"]["reason"]')
case $r in *"non-initial pid namespace"*) ok "doctor: $r" ;; *) fail "doctor: $r" ;; esac
