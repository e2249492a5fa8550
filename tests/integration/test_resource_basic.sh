#!/bin/bash
# unprivileged
# The pipeline end to end: a sleeping process read through procfs -> resource
# image -> JSON, with the figures it must have; and a spinner near 100% CPU.
. "$(dirname "$0")/lib.sh"

sleep 600 & S=$!; on_exit "kill $S"
"$PROCIMAGE" resource -p $S -d 300ms -i 50ms -f json >"$TMP/j" || fail "resource exited $?"
assert_eq "$(jget "$TMP/j" 'd["schema"]')" "procimage/1" "schema"
assert_eq "$(jget "$TMP/j" 'd["tasks"][0]["pid"]')" "$S" "pid"
assert_eq "$(jget "$TMP/j" 'd["tasks"][0]["comm"]')" "sleep" "comm"
rss=$(jget "$TMP/j" 'd["tasks"][0]["rss_bytes"]')
want=$(($(awk '/VmRSS/{print $2}' /proc/$S/status) * 1024))
assert_cmp "$rss" ">" "$((want / 2))" "rss near VmRSS"
assert_cmp "$(jget "$TMP/j" 'd["tasks"][0]["cpu_pct"]')" "<" 5 "sleep uses no CPU"

( while :; do :; done ) & B=$!; on_exit "kill $B"
# A spinner is always runnable: on a loaded host the time it does not run is
# run-queue wait, so on-CPU + waiting must cover the wall time (less the
# wait still under way at the last sample: the kernel adds a wait to
# run_delay when the task gets its CPU, up to tens of ms at load 20).
"$PROCIMAGE" resource -p $B -d 1s -i 100ms -f json >"$TMP/j2" || fail "resource spinner"
busy=$(jget "$TMP/j2" "d[\"tasks\"][0][\"cpu_pct\"] + d[\"tasks\"][0][\"runq_wait_ns\"] / 1e7 / d[\"tasks\"][0][\"seen_s\"]")
assert_cmp "$busy" ">" 80 "spinner on CPU or waiting for one ~100% of the time"
assert_cmp "$(jget "$TMP/j2" 'd["tasks"][0]["cpu_pct"]')" ">" 0 "spinner gets CPU (the host may be loaded)"

# Ctrl-C ends the run early and still prints the report.
"$PROCIMAGE" resource -p $S -d 30s -f json >"$TMP/j3" & P=$!
sleep 0.5; kill -INT $P; wait $P; rc=$?
assert_eq "$rc" 0 "exit after SIGINT"
assert_eq "$(jget "$TMP/j3" 'd["tasks"][0]["pid"]')" "$S" "report after SIGINT"
assert_cmp "$(jget "$TMP/j3" 'd["duration_s"]')" "<" 5 "stopped early"
