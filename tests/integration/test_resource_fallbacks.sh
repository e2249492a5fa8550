#!/bin/bash
# The resource image without its optional sources, and its leak hotspot:
#  - without CAP_NET_ADMIN taskstats is unavailable with the reason, the CPU
#    run-queue delay still comes from schedstat, the other delay classes are
#    null, and context switches come from the threads' status;
#  - a process whose RSS grows steadily is reported as a leak hotspot.
. "$(dirname "$0")/lib.sh"

command -v capsh >/dev/null || skip "capsh (libcap2-bin) missing"
# A second spinner on the same CPU: the measured one must wait on the run
# queue and be preempted even on an idle machine (alone on a CPU it may run
# the whole second without a switch).
taskset -c 0 "$HELPERS/res_workload" spin 1 & P=$!; on_exit "kill -9 $P"
taskset -c 0 "$HELPERS/res_workload" spin 1 & Q=$!; on_exit "kill -9 $Q"
sleep 0.2
capsh --drop=cap_net_admin -- -c "'$PROCIMAGE' resource -p $P -d 1s -i 100ms -f json" >"$TMP/np.json" ||
	fail "resource without CAP_NET_ADMIN exited $?"
assert_eq "$(jget "$TMP/np.json" 'd["sources"]["taskstats"]["status"]')" unavailable "taskstats unavailable"
assert_eq "$(jget "$TMP/np.json" 'd["sources"]["taskstats"]["reason"]')" \
	"EPERM: needs CAP_NET_ADMIN in the initial user namespace" "the reason"
assert_eq "$(jget "$TMP/np.json" 'd["tasks"][0]["delays"]["source"]')" schedstat "delays from schedstat"
assert_cmp "$(jget "$TMP/np.json" 'd["tasks"][0]["delays"]["cpu_count"]')" ">" 0 "run-queue waits from schedstat"
assert_eq "$(jget "$TMP/np.json" 'd["tasks"][0]["delays"]["blkio_ns"]')" None "block I/O not measured: null"
assert_eq "$(jget "$TMP/np.json" 'd["tasks"][0]["cs_source"]')" status_threads "switches from status"
assert_cmp "$(jget "$TMP/np.json" 'd["tasks"][0]["invol_cs"]')" ">" 0 "a spinner is preempted"
kill -9 $P $Q

# 4 MiB/s for 4 s: RSS grows steadily.
"$HELPERS/res_workload" grow 4 4 >"$TMP/g.out" & G=$!; on_exit "kill -9 $G"
"$PROCIMAGE" resource -p $G -d 3500ms -i 250ms -f json >"$TMP/g.json" || fail "resource grow"
leak='[h for h in d["hotspots"] if h.get("pid") == '$G' and h["resource"] == "memory"]'
assert_eq "$(jget "$TMP/g.json" "len($leak)")" 1 "leak hotspot"
assert_cmp "$(jget "$TMP/g.json" "$leak[0]['value']")" ">" 1 "slope in MiB/s"
assert_cmp "$(jget "$TMP/g.json" "$leak[0]['value']")" "<" 8 "slope near the 4 MiB/s grown"
# A process whose RSS does not move is not called a leak.
assert_eq "$(jget "$TMP/np.json" '[h["resource"] for h in d["hotspots"] if h["resource"] == "memory"]')" "[]" \
	"no leak for a spinner"
exit 0
