#!/bin/bash
# unprivileged
# sched image, host-wide (the default -a): a thread spinning without syscalls
# for 2 s next to threads waking every 10 ms (all pinned to one CPU) must be
# a hog with an occupancy run >= 1.5 s, ranked above every other thread that
# did not hold a CPU longer; the wakers are its victims; sleeping threads are
# never hogs. The machine is shared: one retry if the spinner was crowded out.
. "$(dirname "$0")/lib.sh"

attempt() {
	spin_beside 2000 3 10 3 700 -- "$PROCIMAGE" sched -d 3.5s -f json
	python3 - "$TMP/j" "$SPIN_PID" >"$TMP/verdict" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); pid = int(sys.argv[2])
hogs = d["hogs"]
mine = [h for h in hogs if h["pid"] == pid]
spin = [h for h in mine if h["comm"] == "hogspin"]
if not spin:
    print("no-spin-hog", [(h["comm"], h["longest_run_ms"]) for h in mine]); sys.exit(1)
s = spin[0]
# Anything ranked above it must be a thread of another process with a longer run.
above = hogs[:hogs.index(s)]
bad = [h for h in above if h["pid"] == pid or h["longest_run_ms"] <= s["longest_run_ms"]]
sleepers = [h for h in mine if h["comm"] == "sleeper"]
victims = [v for v in d["victims"] if v["pid"] == pid and v["comm"] == "waker"]
print("run", s["longest_run_ms"], "rank", hogs.index(s), "bad", len(bad),
      "sleepers", len(sleepers), "victims", len(victims), "thr", d["threshold_ms"],
      "runs", len(s["runs"]))
PY
	cat "$TMP/verdict"
}
attempt || true
run=$(awk '/^run/{print $2}' "$TMP/verdict")
if [ -z "$run" ] || ! python3 -c "import sys; sys.exit(0 if float('$run') >= 1500 else 1)"; then
	spin_retry
	attempt || fail "spinner not reported as a hog: $(cat "$TMP/verdict")"
fi
set -- $(cat "$TMP/verdict")
assert_cmp "$2" ">=" 1500 "spinner's longest occupancy run (ms)"
assert_eq "$6" 0 "threads ranked above the spinner without a longer run"
assert_eq "$8" 0 "sleeping threads listed as hogs"
assert_cmp "${10}" ">=" 1 "wakers reported as victims of the spinner"
assert_eq "${12}" 50 "default threshold_ms"
assert_cmp "${14}" ">=" 1 "runs listed for the spinner"
