#!/bin/bash
# Slowdown of a syscall-heavy target (N x getppid+read+write) under
# procimage's audit capture, under procimage's sampling mode, and under
# `strace -c`, in one run, with the ratios. Needs root (audit, strace -p).
# Usage: bench/syscall.sh [N]   (default 100000 iterations = 300k syscalls)
# Audit state is recorded first and restored at exit whatever happens.
set -u
cd "$(dirname "$0")/.."
N=${1:-100000}
P=./build/procimage
AQ=./build/helpers/auditq
[ -x $P ] && [ -x $AQ ] || { echo "build first: make && make helpers"; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 2; }
T=$(mktemp -d /tmp/procimage-bench.XXXXXX)
A0=$($AQ status) || { echo "audit unreachable: $A0"; exit 2; }
field() { sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" <<<"$2"; }
restore() {
	for k in $($AQ rules | grep -o 'procimage-[0-9]*' | sort -u); do
		kill -0 "${k#procimage-}" 2>/dev/null || $AQ delkey "$k" >/dev/null
	done
	$AQ backlog "$(field backlog_limit "$A0")" "$(field backlog_wait_time "$A0")"
	$AQ enable "$(field enabled "$A0")"
	rm -rf "$T"
}
trap restore EXIT
trap 'exit 1' INT TERM
cc -O2 -o "$T/loop" bench/syscall_loop.c || exit 1
$AQ prime # so the workloads below can be audited

# run MODE: start the workload, attach the observer, go, print elapsed ns.
run() {
	"$T/loop" "$N" >"$T/out" & local w=$! obs=""
	until grep -q ready "$T/out" 2>/dev/null; do sleep 0.01; done
	case $1 in
	base) ;;
	audit)
		$P syscall -p $w -d 10m --source audit -f json >"$T/audit.json" 2>"$T/audit.err" & obs=$!
		until $AQ rules | grep -q "pid=$w .*key=procimage-$obs"; do sleep 0.02; done ;;
	sample)
		$P syscall -p $w -d 10m --source sample -i 10ms -f json >"$T/sample.json" 2>&1 & obs=$!
		sleep 0.3 ;;
	strace)
		strace -c -o "$T/strace" -p $w 2>/dev/null & obs=$!
		until [ "$(awk '/TracerPid/{print $2}' /proc/$w/status)" != 0 ]; do sleep 0.01; done ;;
	esac
	kill -USR1 $w; wait $w
	[ -n "$obs" ] && wait $obs
	tail -n 1 "$T/out"
}

base=$(run base); base2=$(run base); [ "$base2" -lt "$base" ] && base=$base2
audit=$(run audit); sample=$(run sample); strace=$(run strace)
python3 - "$N" "$base" "$audit" "$sample" "$strace" "$T/audit.json" <<'PY'
import json, sys
n, base, audit, sample, strace = int(sys.argv[1]), *map(int, sys.argv[2:6])
calls = 3 * n
def row(name, t):
    slow = t / base - 1
    print(f"{name:<28} {t/1e9:8.3f} s  {t/calls:9.3f} us/syscall  slowdown {100*slow:9.1f} %")
    return slow
print(f"target: {n} x (getppid + read + write) = {calls} syscalls")
row("baseline (nothing attached)", base)
sa = row("procimage audit capture", audit)
ss = row("procimage sampling (10 ms)", sample)
st = row("strace -c", strace)
j = json.load(open(sys.argv[6]))
got = sum(s["count"] for s in j["syscalls"] if s["name"] in ("getppid", "read", "write"))
print(f"audit capture counted {got} of {calls} loop syscalls, lost {j['sources']['audit'].get('lost', 0)}")
print(f"ratio strace slowdown / audit slowdown: {st/sa:.1f}x (goal >= 5x)")
print(f"sampling slowdown: {100*ss:.2f} % (goal < 2 %)")
PY
