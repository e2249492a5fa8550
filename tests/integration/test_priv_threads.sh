#!/bin/bash
# After setting up its sockets procimage drops the capabilities it no longer
# needs, and says which it kept. Capabilities are per thread: every thread
# of the running process must hold only the kept set (the connector's exec
# worker included), and that set must be what --stats announces.
. "$(dirname "$0")/lib.sh"
need_root

# keytime -a: the connector with its exec worker; execs make the worker work.
"$PROCIMAGE" keytime -a -d 4s -f json -o /dev/null --stats 2>"$TMP/stats" &
P=$!
on_exit "kill -9 $P"
# The worker starts at the first exec seen after subscribing: an idle host
# brings none of its own, so keep exec'ing until it is there (up to 3 s).
for _ in $(seq 60); do
	/bin/true
	[ "$(ls /proc/$P/task | wc -l)" -gt 1 ] && break
	sleep 0.05
done
sleep 0.3
caps=()
for t in /proc/$P/task/*; do
	caps+=("$(awk '/^CapEff/{print $2}' "$t/status")")
done
nthreads=${#caps[@]}
wait $P || fail "keytime exited $?"
cat "$TMP/stats"
assert_cmp "$nthreads" ">" 1 "keytime runs its exec worker thread"
for c in "${caps[@]}"; do
	assert_eq "$c" "${caps[0]}" "every thread holds the same capabilities"
done
kept=$(sed -n 's/.*capabilities kept after setup: //p' "$TMP/stats")
[ -n "$kept" ] || fail "--stats does not say which capabilities were kept"
want=$(python3 - "$kept" <<'PY'
import sys
# CAP_* numbers of the names --stats prints (linux/capability.h)
num = {"cap_dac_read_search": 2, "cap_kill": 5, "cap_net_admin": 12, "cap_sys_ptrace": 19,
       "cap_sys_admin": 21, "cap_audit_control": 30, "cap_syslog": 34, "cap_audit_read": 37}
kept = sys.argv[1]
mask = 0 if kept == "none" else sum(1 << num[n] for n in kept.split(","))
print("%016x" % mask)
PY
)
assert_eq "${caps[0]}" "$want" "threads hold exactly the announced set ($kept)"
ok "all $nthreads threads dropped to: $kept"
