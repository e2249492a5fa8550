#!/bin/bash
# Delay accounting through taskstats:
#  - a spinner competing with two spinners on two CPUs waits on the run queue
#    (the CPU delay is always accounted);
#  - with kernel.task_delayacct=0 a writer's block-I/O delay is null ("not
#    accounted"), never 0;
#  - with kernel.task_delayacct=1 set before it starts, an O_DSYNC writer
#    shows block-I/O delay;
#  - --enable-delayacct switches it on for the run and restores it, at the
#    end and on SIGTERM; tasks started before are reported as not accounted,
#    tasks started after are measured.
# Only this test touches kernel.task_delayacct; it is restored at exit. Test
# runs of several checkouts may run it at once on one host: they take turns
# through a lock on the sysctl file itself, held until this script exits.
# One pass only: what it checks is the kernel's behaviour, a timing or a share
# (the sanitizer build adds run time, not coverage: other tests take the
# same code paths under ASan)
# once
. "$(dirname "$0")/lib.sh"

W="$HELPERS/res_workload"
SYSCTL=/proc/sys/kernel/task_delayacct
[ -w $SYSCTL ] || skip "no writable $SYSCTL"
exec 9<$SYSCTL
flock -w 400 9 || fail "another test run held kernel.task_delayacct for 400 s"
orig=$(cat $SYSCTL)
on_exit "echo $orig > $SYSCTL"

wait_done() { for _ in $(seq 300); do grep -q done "$1" 2>/dev/null && return 0; sleep 0.1; done; fail "workload did not finish ($1)"; }

sleep 600 & S=$!; on_exit "kill $S"
"$PROCIMAGE" resource -p $S -d 200ms -f json >"$TMP/probe.json" || fail "resource probe"
st=$(jget "$TMP/probe.json" 'd["sources"]["taskstats"]["status"]')
[ "$st" = ok ] || skip "taskstats unavailable: $(jget "$TMP/probe.json" 'd["sources"]["taskstats"].get("reason")')"

# Run-queue delay: three spinners on two CPUs.
taskset -c 0,1 "$W" spin 1 & A=$!; on_exit "kill -9 $A"
taskset -c 0,1 "$W" spin 1 & B=$!; on_exit "kill -9 $B"
taskset -c 0,1 "$W" spin 1 & C=$!; on_exit "kill -9 $C"
sleep 0.3
"$PROCIMAGE" resource -p $C -d 1500ms -i 100ms -f json >"$TMP/rq.json" || fail "resource rq"
assert_cmp "$(jget "$TMP/rq.json" 'd["tasks"][0]["delays"]["cpu_ns"]')" ">" 0 "run-queue delay"
assert_cmp "$(jget "$TMP/rq.json" 'd["tasks"][0]["delays"]["cpu_count"]')" ">" 0 "run-queue waits counted"
assert_cmp "$(jget "$TMP/rq.json" 'd["tasks"][0]["delays"]["cpu_max_ns"]')" ">" 0 "longest wait (taskstats v16)"
assert_eq "$(jget "$TMP/rq.json" '"cpu_wait" in [h["resource"] for h in d["hotspots"]]')" True "hotspot: waits for a CPU"
kill -9 $A $B $C

# delayacct=0: the writer's block-I/O delay is not accounted.
echo 0 >$SYSCTL
"$W" dsync "$TMP/d0" 4 300 >"$TMP/d0.out" & P=$!; on_exit "kill -9 $P"
"$PROCIMAGE" resource -p $P -d 60s -i 100ms -f json >"$TMP/off.json" & R=$!
wait_done "$TMP/d0.out"; kill -INT $R; wait $R || fail "resource (off) exited $?"
assert_eq "$(jget "$TMP/off.json" 'd["tasks"][0]["delays"]["blkio_ns"]')" None "blkio null when not accounted"
assert_eq "$(jget "$TMP/off.json" 'd["hostinfo"]["delayacct"]["sysctl"]')" 0 "sysctl reported"
assert_cmp "$(jget "$TMP/off.json" 'd["tasks"][0]["delays"]["cpu_count"]')" ">" 0 "CPU delay still accounted"
kill -9 $P

# delayacct=1 before the writer starts: O_DSYNC writes wait for the disk.
echo 1 >$SYSCTL
"$W" dsync "$TMP/d1" 4 300 >"$TMP/d1.out" & P=$!; on_exit "kill -9 $P"
"$PROCIMAGE" resource -p $P -d 60s -i 100ms -f json >"$TMP/on.json" & R=$!
wait_done "$TMP/d1.out"; kill -INT $R; wait $R || fail "resource (on) exited $?"
echo "$orig" >$SYSCTL
assert_cmp "$(jget "$TMP/on.json" 'd["tasks"][0]["delays"]["blkio_ns"]')" ">" 0 "block-I/O delay"
assert_cmp "$(jget "$TMP/on.json" 'd["tasks"][0]["delays"]["blkio_count"]')" ">" 0 "block-I/O waits"
kill -9 $P

# procimage switches the sysctl on at start-up: wait for it (up to 5 s), not a
# fixed time that a slow machine may overrun.
wait_sysctl_on() {
	for _ in $(seq 50); do
		[ "$(cat $SYSCTL)" = 1 ] && return
		sleep 0.1
	done
}

# --enable-delayacct: on during the run, restored after; only new tasks measured.
echo 0 >$SYSCTL
"$W" dsync "$TMP/old" 4 1500 >"$TMP/old.out" & OLD=$!; on_exit "kill -9 $OLD"
cp "$W" "$TMP/rsnewdsync"
"$PROCIMAGE" resource -p $OLD --enable-delayacct -d 60s -i 100ms -f json >"$TMP/en.json" 2>"$TMP/en.err" & R=$!
wait_sysctl_on
assert_eq "$(cat $SYSCTL)" 1 "sysctl on during the run"
wait_done "$TMP/old.out"; kill -INT $R; wait $R || fail "resource --enable-delayacct exited $?"
assert_eq "$(cat $SYSCTL)" 0 "sysctl restored after the run"
assert_eq "$(jget "$TMP/en.json" 'd["hostinfo"]["delayacct"]["enabled_by_run"]')" True "enabled_by_run"
assert_eq "$(jget "$TMP/en.json" 'd["tasks"][0]["delays"]["blkio_ns"]')" None "a task started before: not accounted"
kill -9 $OLD
# A task started after the run switched it on is measured.
"$PROCIMAGE" resource --comm '^rsnewdsync$' --enable-delayacct -d 60s -i 100ms -f json >"$TMP/new.json" & R=$!
wait_sysctl_on
"$TMP/rsnewdsync" dsync "$TMP/new" 4 300 >"$TMP/new.out" & NEW=$!; on_exit "kill -9 $NEW"
wait_done "$TMP/new.out"; sleep 0.3; kill -INT $R; wait $R || fail "resource --comm exited $?"
assert_eq "$(cat $SYSCTL)" 0 "sysctl restored after the second run"
assert_cmp "$(jget "$TMP/new.json" 'd["tasks"][0]["delays"]["blkio_ns"]')" ">" 0 "a task started after: measured"
kill -9 $NEW
# SIGTERM mid-run restores it too, and the report is still printed.
"$PROCIMAGE" resource -p $S --enable-delayacct -d 60s -f json >"$TMP/term.json" & R=$!
wait_sysctl_on
assert_eq "$(cat $SYSCTL)" 1 "sysctl on before SIGTERM"
kill -TERM $R; wait $R; rc=$?
if [ "$(cat $SYSCTL)" != 0 ]; then
	echo "exit $rc; taskstats: $(jget "$TMP/term.json" 'd["sources"]["taskstats"]' 2>&1)"
	ps -eo pid,etime,args | grep '[p]rocimage'
fi
assert_eq "$(cat $SYSCTL)" 0 "sysctl restored after SIGTERM"
assert_eq "$(jget "$TMP/term.json" 'd["tasks"][0]["pid"]')" "$S" "report after SIGTERM"

# The exit listener sees exits of unrelated tasks (system-wide).
"$PROCIMAGE" resource -p $S -d 1500ms -i 500ms -f json >"$TMP/ex.json" & R=$!  # ~4 queries: the rest are exits
# 60 exits spread over the window: an idle host adds none of its own.
sleep 0.3; for _ in $(seq 60); do /bin/true; sleep 0.01; done
wait $R
assert_cmp "$(jget "$TMP/ex.json" 'd["sources"]["taskstats"]["events"]')" ">=" 30 "exit records of 30 short tasks"
exit 0
