#!/bin/bash
# procimage doctor tells the truth in four contexts and always exits 0:
# root with full capabilities, all capabilities dropped, a new network
# namespace and a new user namespace (feasibility.md section 5 lists what the
# kernel answers in each).
. "$(dirname "$0")/lib.sh"
need_root
command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"
command -v unshare >/dev/null || skip "unshare (util-linux) not installed"

run_doctor() { # NAME PREFIX...: run doctor -f json under a prefix command
	local name=$1; shift
	"$@" "$PROCIMAGE" doctor -f json >"$TMP/$name.json" 2>"$TMP/$name.err"
	local rc=$?
	cat "$TMP/$name.err"
	[ $rc = 0 ] || fail "$name: doctor exited $rc"
	grep -q "AddressSanitizer\|runtime error\|LeakSanitizer" "$TMP/$name.err" &&
		fail "$name: sanitizer report"
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/$name.json" ||
		fail "$name: output is not JSON"
	ok "$name: exit 0, valid JSON"
}
st() { jget "$TMP/$1.json" "d['sources']['$2']['status']"; }
reason() { jget "$TMP/$1.json" "d['sources']['$2']['reason']"; }
errno_of() { jget "$TMP/$1.json" "d['sources']['$2']['errno']"; }
has() { # NAME SOURCE TEXT: the reason mentions TEXT
	reason "$1" "$2" | grep -q -- "$3" || fail "$1: $2 reason lacks '$3': $(reason "$1" "$2")"
	ok "$1: $2 reason mentions '$3'"
}

# 1. root, full capabilities
run_doctor full
assert_eq "$(jget "$TMP/full.json" "d['schema']")" procimage/1 "schema"
assert_eq "$(jget "$TMP/full.json" "d['image']")" doctor "image"
for s in procfs taskstats connector audit kmsg cgroup psi delayacct; do
	jget "$TMP/full.json" "d['sources']['$s']['status']" >/dev/null || fail "full: no $s entry"
done
assert_eq "$(st full taskstats)" ok "full: taskstats"
assert_eq "$(st full connector)" ok "full: connector"
assert_eq "$(st full audit)" ok "full: audit"
assert_eq "$(st full kmsg)" ok "full: kmsg"
assert_eq "$(jget "$TMP/full.json" "[c['effective'] for c in d['capabilities'] if c['name']=='cap_net_admin'][0]")" True "full: cap_net_admin effective"
assert_eq "$(jget "$TMP/full.json" "d['namespaces']['user']['initial']")" True "full: initial user ns"
# the text form has the table and exits 0 too
"$PROCIMAGE" doctor >"$TMP/full.txt" 2>&1 || fail "text doctor exited non-zero"
grep -q "^taskstats  *ok" "$TMP/full.txt" || fail "text table lacks 'taskstats ok'"
ok "text table"

# 2. every capability dropped (root uid, empty bounding set)
run_doctor nocaps setpriv --inh-caps=-all --bounding-set=-all
assert_eq "$(st nocaps taskstats)" unavailable "nocaps: taskstats"
assert_eq "$(errno_of nocaps taskstats)" EPERM "nocaps: taskstats errno"
has nocaps taskstats CAP_NET_ADMIN
assert_eq "$(st nocaps audit)" unavailable "nocaps: audit"
assert_eq "$(errno_of nocaps audit)" EPERM "nocaps: audit errno"
has nocaps audit CAP_AUDIT_CONTROL
# Kernels that let anyone listen to the connector answer ok; the others refuse
# with EPERM (at the group join, or in LISTEN's ack), and the reason must name
# the real cause: the capability is not held (no kernel version guessed).
c=$(st nocaps connector)
if [ "$c" != ok ]; then
	assert_eq "$(errno_of nocaps connector)" EPERM "nocaps: connector errno ($c)"
	has nocaps connector "CAP_NET_ADMIN is not held"
	reason nocaps connector | grep -q "6\.6" && fail "nocaps: connector reason guesses a kernel version"
fi
ok "nocaps: connector $c"
assert_eq "$(jget "$TMP/nocaps.json" "[c['effective'] for c in d['capabilities'] if c['name']=='cap_net_admin'][0]")" False "nocaps: cap_net_admin not effective"
jget "$TMP/nocaps.json" "d['sources']['taskstats']['impact']" | grep -q delay || fail "nocaps: taskstats impact does not name the delays"
ok "nocaps: taskstats impact names what is lost"

# 3. a new network namespace: the connector lives only in the initial netns
run_doctor netns unshare -n
assert_eq "$(st netns connector)" unavailable "netns: connector"
assert_eq "$(errno_of netns connector)" ECONNREFUSED "netns: connector errno"
has netns connector "network namespace"
assert_eq "$(st netns taskstats)" ok "netns: taskstats (user ns is still initial)"

# 4. a new user namespace (root inside, no capability outside)
run_doctor userns unshare -Ur
assert_eq "$(st userns taskstats)" unavailable "userns: taskstats"
assert_eq "$(errno_of userns taskstats)" EPERM "userns: taskstats errno"
has userns taskstats "user namespace"
assert_eq "$(st userns audit)" unavailable "userns: audit"
assert_eq "$(errno_of userns audit)" ECONNREFUSED "userns: audit errno"
c=$(st userns connector)
[ "$c" = unavailable ] || [ "$c" = degraded ] || fail "userns: connector is '$c'"
# Whatever the kernel does there (EPERM at the group join, EPERM in the ack,
# or LISTEN silently ignored), the cause is the user namespace: say so.
has userns connector "non-initial user"
assert_eq "$(jget "$TMP/userns.json" "d['namespaces']['user']['initial']")" False "userns: user ns not initial"

# 5. a --proc-root that is not a proc tree: procfs unavailable, still exit 0
"$PROCIMAGE" doctor -f json --proc-root "$TMP/nothing" >"$TMP/noroot.json" || fail "doctor with bad --proc-root exited non-zero"
assert_eq "$(st noroot procfs)" unavailable "bad --proc-root: procfs"
