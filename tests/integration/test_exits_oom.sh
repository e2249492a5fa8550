#!/bin/bash
# exits: a leaker in a memory cgroup limited to 64 MiB is reported as an OOM
# kill with the kernel log line as evidence; without CAP_SYSLOG, from the
# memory cgroup's oom_kill counter. The cgroup is always removed.
# One pass only: what it checks is the kernel's behaviour, a timing or a share
# (the sanitizer build adds run time, not coverage: other tests take the
# same code paths under ASan)
# once
. "$(dirname "$0")/lib.sh"
need_root
MEM=/sys/fs/cgroup/memory
[ -f $MEM/memory.limit_in_bytes ] || skip "no cgroup v1 memory controller at $MEM"
CG="$CG_PREFIX-oom"

oom_run() { # OUT [PREFIX...]: run a leaker in $CG, image its exit
	local out=$1; shift
	mkdir "$MEM/$CG" || fail "cannot create $MEM/$CG"
	on_exit "rmdir $MEM/$CG"
	echo $((64 << 20)) >"$MEM/$CG/memory.limit_in_bytes"
	# Start in the cgroup, wait 1 s (so polling sees it), then leak 4 MiB / 20 ms.
	sh -c "echo \$\$ >$MEM/$CG/cgroup.procs && sleep 1 && exec $HELPERS/leaker 4 20" & P=$!
	on_exit "kill -9 $P"
	# In the cgroup before procimage first looks (the cgroup source reads it once).
	for _ in $(seq 100); do grep -q "$CG" /proc/$P/cgroup && break; sleep 0.02; done
	"$@" "$PROCIMAGE" exits -p $P -i 100ms -d 60s -f json >"$out"; rc=$?
	wait $P; prc=$?
	rmdir "$MEM/$CG" || fail "cgroup $CG not removable"
	[ $rc = 0 ] || fail "exits exited $rc"
	jget "$out" 'json.dumps(d["sources"]) + "\n" + json.dumps(d["exits"])'
	assert_eq "$prc" 137 "the leaker was SIGKILLed"
	assert_eq "$(jget "$out" 'len(d["exits"])')" 1 "one exit"
	assert_eq "$(jget "$out" 'd["exits"][0]["pid"]')" "$P" "its pid"
	assert_eq "$(jget "$out" 'd["exits"][0]["comm"]')" leaker "comm"
	assert_eq "$(jget "$out" 'd["exits"][0]["cause"]')" oom_kill "cause"
	assert_eq "$(jget "$out" 'd["exits"][0]["confidence"]')" certain "certain, not probable"
}

oom_run "$TMP/oom.json"
P1=$P
[ "$(jget "$TMP/oom.json" 'd["sources"]["kmsg"]["status"]')" = ok ] || skip "no kernel log access"
ev=$(jget "$TMP/oom.json" '"\n".join(d["exits"][0]["evidence"])')
echo "$ev"
echo "$ev" | grep -Eq "kernel log: .*(Killed process $P \(leaker\)|pid=$P,)" ||
	fail "no kernel log evidence naming pid $P"
ok "kernel log line names the pid"
rss=$(jget "$TMP/oom.json" 'd["exits"][0]["last_rss_bytes"] or 0')
assert_cmp "$rss" ">" 0 "a last RSS was seen"
assert_cmp "$rss" "<=" $((70 << 20)) "last RSS within the 64 MiB limit"

# --since-boot: the kernel log from its start lists that OOM kill.
sleep 60 & S=$!; on_exit "kill $S"
"$PROCIMAGE" exits --since-boot -p $S -d 1s -f json >"$TMP/boot.json" || fail "exits --since-boot exited $?"
assert_eq "$(jget "$TMP/boot.json" "[k['comm'] for k in d['oom_kills_in_log'] if k['pid'] == $P1]")" "['leaker']" \
	"the past OOM kill of $P1 is listed"

# Without CAP_SYSLOG: the memcg counter (the cgroup source) is the evidence.
[ "$(cat /proc/sys/kernel/dmesg_restrict)" = 1 ] || exit 0
command -v setpriv >/dev/null || exit 0
oom_run "$TMP/oom2.json" setpriv --bounding-set -syslog
ev=$(jget "$TMP/oom2.json" '"\n".join(d["exits"][0]["evidence"])')
echo "$ev"
echo "$ev" | grep -q "memory cgroup /$CG: oom_kill 0 -> 1" || fail "no memcg counter evidence"
ok "memcg oom_kill counter is the evidence without the kernel log"
