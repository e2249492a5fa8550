#!/bin/bash
# exits uses the kernel's fault lines as evidence (issue 16 item 13): a
# process killed by a segfault, an int3 trap and a general protection fault
# is a crash whose evidence is the kernel log's "segfault at" / "trap" /
# "general protection" line naming its pid. As root with only CAP_SYSLOG
# (no proc connector, no taskstats) the line is the only source: the cause
# is still crash, and the signal is given with status_source kmsg.
. "$(dirname "$0")/lib.sh"
need_root
[ "$(uname -m)" = x86_64 ] || skip "the trap and #GP faults of the helper are x86 instructions"
[ "$(cat /proc/sys/debug/exception-trace 2>/dev/null)" = 1 ] ||
	skip "debug.exception-trace is off: the kernel logs no fault lines"

run() { # NAME PRIV...: three faulting processes, exits -p on them
	local name=$1 pids=()
	shift
	for m in segv trap gp; do
		"$HELPERS/faulter" $m 1500 &
		pids+=($!)
	done
	on_exit "kill -9 ${pids[*]}"
	echo "${pids[*]}" >"$TMP/$name.pids"
	"$@" "$PROCIMAGE" exits -p "$(IFS=,; echo "${pids[*]}")" -d 12s -f json \
		>"$TMP/$name.json" 2>"$TMP/$name.err" || fail "$name: exits exited $? ($(cat "$TMP/$name.err"))"
	wait "${pids[@]}"
}
run root
SYSLOG_ONLY=(setpriv --inh-caps=-all --bounding-set=-all,+syslog)
if "${SYSLOG_ONLY[@]}" true 2>/dev/null; then run syslog "${SYSLOG_ONLY[@]}"; fi

for name in root syslog; do
	[ -f "$TMP/$name.json" ] || { echo "note: setpriv cannot keep CAP_SYSLOG alone: $name not run"; continue; }
	dmesg >"$TMP/dmesg" 2>/dev/null || skip "dmesg unreadable: no ground truth"
	python3 - "$TMP/$name.json" "$name" $(cat "$TMP/$name.pids") "$TMP/dmesg" <<'PY' || fail "$name: a fault's kernel line was not used"
import json, sys
d = json.load(open(sys.argv[1]))
name = sys.argv[2]
pids = dict(zip(("segv", "trap", "gp"), map(int, sys.argv[3:6])))
want = {"segv": ("segfault at", 11), "trap": ("trap int3", 5), "gp": ("general protection", 11)}
if d["sources"]["kmsg"]["status"] != "ok":
    print("SKIP: no kernel log here: " + d["sources"]["kmsg"].get("reason", ""))
    sys.exit(77)
ex = {e["pid"]: e for e in d["exits"]}
# Ground truth: the kernel rate-limits these lines (printk_ratelimit), and a
# busy log may suppress one: only the faults dmesg shows are checked.
log = open(sys.argv[6]).read()
seen = 0
for m, pid in pids.items():
    e = ex[pid]
    text, sig = want[m]
    if ("[%d]" % pid) not in log:
        print("  %s %s: the kernel did not log it (rate limit): not checked" % (name, m))
        continue
    seen += 1
    ev = [l for l in e["evidence"] if text in l and ("[%d]" % pid) in l]
    print("  %s %s: cause %s signal %s (%s) evidence %s" % (name, m, e["cause"], e["signal"],
          e["status_source"], ev[:1]))
    assert e["cause"] == "crash" and ev, e
    assert e["signal"] == sig, (e["signal"], sig)
    if name == "syslog":  # no connector, no taskstats: the log is the source
        assert d["sources"]["connector"]["status"] != "ok", d["sources"]["connector"]
        assert e["status_source"] == "kmsg" and e["core_dumped"] is None, e
if not seen:
    print("SKIP: the kernel logged none of the faults (printk rate limit on a busy log)")
    sys.exit(77)
PY
	rc=$?
	[ $rc = 77 ] && skip "$name: no kernel log"
	ok "$name: each fault is a crash with the kernel's line as evidence"
done
