#!/bin/bash
# The resource image against workloads that know their ground truth:
# 64 MiB written and fsynced -> write_bytes within 5%; 200 MiB allocated and
# touched -> RSS within 5%; a spinner -> on CPU (or waiting for one) ~100% of
# the time, and its CPU % agrees with the kernel's own schedstat; per-thread
# rows with --threads add up to the process.
# One pass only: what it checks are the workloads' figures against the
# kernel's; test_formats and test_fault_churn run resource under the sanitizers.
# once
. "$(dirname "$0")/lib.sh"

W="$HELPERS/res_workload"
# Observe PID until the workload prints "done" (file $2), then stop with Ctrl-C.
observe() { # PID OUTFILE JSON [extra options]
	local pid=$1 out=$2 json=$3; shift 3
	"$PROCIMAGE" resource -p "$pid" -d 60s -i 100ms -f json "$@" >"$json" & local rp=$!
	for _ in $(seq 300); do grep -q done "$out" 2>/dev/null && break; sleep 0.1; done
	grep -q done "$out" || fail "workload $pid did not finish"
	sleep 0.3
	kill -INT $rp; wait $rp || fail "resource exited $?"
}
within() { # GOT WANT PCT MSG
	python3 -c "import sys; g,w,p=float('$1'),float('$2'),float('$3'); sys.exit(0 if abs(g-w)<=w*p/100 else 1)" ||
		fail "$4: $1 not within $3% of $2"
	ok "$4: $1 within $3% of $2"
}

# 64 MiB written and fsynced.
"$W" write "$TMP/data" 64 700 >"$TMP/w.out" & P=$!; on_exit "kill -9 $P"
observe $P "$TMP/w.out" "$TMP/w.json"
within "$(jget "$TMP/w.json" 'd["tasks"][0]["write_bytes"]')" $((64 << 20)) 5 "write_bytes of 64 MiB + fsync"
assert_cmp "$(jget "$TMP/w.json" 'd["tasks"][0]["wchar"]')" ">=" $((64 << 20)) "wchar covers the writes"
assert_cmp "$(jget "$TMP/w.json" 'd["tasks"][0]["syscw"]')" ">=" 64 "one write syscall per MiB at least"
npts=$(jget "$TMP/w.json" 'len(d["tasks"][0]["series"])')
assert_cmp "$npts" ">=" 5 "a series of intervals"
# The series adds up to the summary.
sum=$(jget "$TMP/w.json" 'sum(p["write_bytes_per_s"]*p["dur_ms"]/1000 for p in d["tasks"][0]["series"])')
within "$sum" "$(jget "$TMP/w.json" 'd["tasks"][0]["write_bytes"]')" 2 "series sums to the total"
kill -9 $P; rm -f "$TMP/data"

# 200 MiB allocated and touched.
"$W" touch 200 500 >"$TMP/t.out" & P=$!; on_exit "kill -9 $P"
observe $P "$TMP/t.out" "$TMP/t.json"
within "$(jget "$TMP/t.json" 'd["tasks"][0]["rss_bytes"]')" $((200 << 20)) 5 "RSS after touching 200 MiB"
within "$(jget "$TMP/t.json" 'd["tasks"][0]["rss_anon_bytes"]')" $((200 << 20)) 5 "anonymous RSS"
assert_cmp "$(jget "$TMP/t.json" 'd["tasks"][0]["minflt"]')" ">=" 51200 "a minor fault per touched page"
assert_cmp "$(jget "$TMP/t.json" 'd["tasks"][0]["mem_pct"]')" ">" 0 "% of host RAM"
kill -9 $P

# A spinner: the kernel's own figures, read by us before and after.
"$W" spin 1 & P=$!; on_exit "kill -9 $P"
sleep 0.2
read -r r0 w0 _ </proc/$P/schedstat; t0=$(date +%s%N)
"$PROCIMAGE" resource -p $P -d 2s -i 100ms -f json >"$TMP/s.json" || fail "resource spinner"
read -r r1 w1 _ </proc/$P/schedstat; t1=$(date +%s%N)
truth=$(python3 -c "print(100*($r1-$r0)/($t1-$t0))")
got=$(jget "$TMP/s.json" 'd["tasks"][0]["cpu_pct"]')
# Our window lies inside the test's: the CPU we saw cannot exceed the kernel's
# count over the larger window; the shares agree to 10% (3 points when a
# loaded host gives the spinner only a small share).
assert_cmp "$(jget "$TMP/s.json" 'd["tasks"][0]["cpu_ns"]')" "<=" "$((r1 - r0))" "CPU ns within the kernel's count"
python3 -c "import sys; g,t=$got,$truth; sys.exit(0 if abs(g-t) <= max(0.1*t, 3) else 1)" ||
	fail "spinner CPU $got% vs schedstat $truth%"
ok "spinner CPU $got% vs schedstat $truth% over the same span"
busy=$(jget "$TMP/s.json" "d['tasks'][0]['cpu_pct'] + d['tasks'][0]['runq_wait_ns'] / 1e7 / d['tasks'][0]['seen_s']")
assert_cmp "$busy" ">" 90 "spinner on CPU or waiting for one ~100% of the time"
assert_eq "$(jget "$TMP/s.json" 'd["tasks"][0]["cpu_source"]')" "schedstat_ns" "CPU from schedstat ns"
kill -9 $P

# Two spinning threads, per thread.
"$W" spin 2 & P=$!; on_exit "kill -9 $P"
sleep 0.2
"$PROCIMAGE" resource -p $P -d 1s -i 100ms --threads -f json >"$TMP/th.json" || fail "resource --threads"
assert_eq "$(jget "$TMP/th.json" 'len([t for t in d["tasks"] if "tid" in t])')" 2 "two thread rows"
proc=$(jget "$TMP/th.json" '[t for t in d["tasks"] if "tid" not in t][0]["cpu_ns"]')
thr=$(jget "$TMP/th.json" 'sum(t["cpu_ns"] for t in d["tasks"] if "tid" in t)')
within "$thr" "$proc" 1 "threads add up to the process"
assert_cmp "$(jget "$TMP/th.json" '[t for t in d["tasks"] if "tid" not in t][0]["threads"]')" "==" 2 "threads"
kill -9 $P

# -a: the host-wide tier. The spinner ran, so its threads were deep-sampled;
# an idle sleeper only had its stat read (no fds, no memory split).
"$W" spin 1 & P=$!; on_exit "kill -9 $P"
sleep 600 & Z=$!; on_exit "kill $Z"
sleep 0.3
"$PROCIMAGE" resource -a -d 1500ms -i 250ms -f json >"$TMP/all.json" || fail "resource -a"
jq_task() { jget "$TMP/all.json" "[t for t in d['tasks'] if t['pid'] == $1][0]$2"; }
assert_eq "$(jq_task $P '["cpu_source"]')" "schedstat_ns" "-a: the spinner's threads were sampled"
assert_cmp "$(jq_task $P '["cpu_pct"]')" ">" 0 "-a: the spinner's CPU"
assert_eq "$(jq_task $Z '["fds"]')" "None" "-a: an idle process's fds are not read"
assert_cmp "$(jq_task $Z '["rss_bytes"]')" ">" 0 "-a: an idle process's RSS from stat"
assert_cmp "$(jget "$TMP/all.json" 'len(d["tasks"])')" ">" 10 "-a: every process"
exit 0
