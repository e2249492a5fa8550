#!/bin/bash
# bench/scale.sh: procimage on big hosts (issue 14). For each layout of an
# idle population (NPROCxNTHREADS, made by tests/helpers/population and
# always killed by pid and reaped, even on Ctrl-C), in one run:
#  - the kept-fd pread floor (bench/sched_floor.c: one pread of every task's
#    schedstat per 10 ms pass) as a share of one CPU;
#  - `sched -a -d 4s` at 10 ms over the idle population: own CPU, tick
#    median/p99 and the coverage the report states;
#  - with one thread spinning 6 s (started 0.5 s before): its longest run
#    against the time it spun inside the window, and whether `procimage`
#    (triage) names it first; the ticks' p99 and procimage's own wait for a
#    CPU beside it, the spinner weighted up (nice -20, as in the tests) and
#    at a service's weight (nice 0, its own session);
#  - single-thread layouts: `resource -a -i 1s` and `watch` (every process,
#    1 s) CPU per process-interval, beside pidstat and top in the same run.
# usage: bench/scale.sh [LAYOUT...]   (default: 2000x1 10000x1 1x10000 200x100)
set -u
cd "$(dirname "$0")/.."
LAYOUTS=("$@")
[ ${#LAYOUTS[@]} -gt 0 ] || LAYOUTS=(2000x1 10000x1 1x10000 200x100)
BIN=${PROCIMAGE:-$PWD/build/procimage}
K=15 # intervals of the 1 s runs (resource, watch, pidstat, top)
make -s -j2 build/procimage helpers >/dev/null || exit 1
TMP=$(mktemp -d /tmp/procimage-scale.XXXXXX)
POP= SPIN=
stop_spin() { [ -n "$SPIN" ] && kill "$SPIN" 2>/dev/null && wait "$SPIN" 2>/dev/null; SPIN=; }
stop_pop() { [ -n "$POP" ] && kill "$POP" 2>/dev/null && wait "$POP" 2>/dev/null; POP=; }
cleanup() { stop_spin; stop_pop; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
cc -O2 -o "$TMP/floor" bench/sched_floor.c || exit 1

now() { date +%s.%N; }
# CPU seconds (user+sys) of one command and its children.
cpu_of() {
	python3 - "$@" <<'PY'
import resource, subprocess, sys
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.4f" % ((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)))
PY
}
start_spin() { # a thread spinning 6 s, not pinned; $1: "plain" for nice 0
	build/helpers/spinner 6000 0 10 0 -1 0 ${1:-} >"$TMP/spin" &
	SPIN=$!
	for _ in $(seq 100); do grep -q ready "$TMP/spin" && break; sleep 0.05; done
	SPIN_T0=$(now)
}

echo "host: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), RLIMIT_NOFILE hard $(ulimit -Hn)"
for layout in "${LAYOUTS[@]}"; do
	np=${layout%x*} nt=${layout#*x}
	build/helpers/population "$np" "$nt" 300 >"$TMP/pop" &
	POP=$!
	for _ in $(seq 1200); do grep -q ready "$TMP/pop" && break; kill -0 "$POP" 2>/dev/null || break; sleep 0.1; done
	grep -q ready "$TMP/pop" || { echo "$layout: population did not start"; stop_pop; continue; }
	sleep 1
	procs=$(ls -d /proc/[0-9]* 2>/dev/null | wc -l)
	tasks=$(ls -d /proc/[0-9]*/task/[0-9]* 2>/dev/null | wc -l)
	floor=$("$TMP/floor" 2 10 | sed -n 's/.*ns_per_sample \([0-9.]*\).*/\1/p')
	"$BIN" sched -a -d 4s --stats -f json -o "$TMP/idle.json" 2>"$TMP/idle.stats"
	start_spin
	sleep 0.5
	r0=$(now)
	"$BIN" sched -a -d 4s -f json -o "$TMP/spin.json" 2>/dev/null
	r1=$(now)
	s0=$SPIN_T0
	spid=$(sed -n 's/ready pid=\([0-9]*\).*/\1/p' "$TMP/spin")
	stop_spin
	start_spin plain
	sleep 0.5
	"$BIN" sched -a -d 4s -f json -o "$TMP/plain.json" 2>/dev/null
	stop_spin
	start_spin
	"$BIN" -d 4s -f json -o "$TMP/triage.json" 2>/dev/null
	tpid=$(sed -n 's/ready pid=\([0-9]*\).*/\1/p' "$TMP/spin")
	stop_spin
	res="" pid_ps="" top_ps="" wat=""
	if [ "$nt" = 1 ]; then
		# 15 intervals each: a run long enough that the figure is the
		# per-interval cost, the first read of the host included once
		res=$(cpu_of "$BIN" resource -a -i 1s -d ${K}s -f json -o /dev/null)
		pid_ps=$(cpu_of pidstat -u -r -d -w -p ALL 1 $K)
		top_ps=$(cpu_of top -b -d 1 -n $((K + 1)))
		wat=$(cpu_of "$BIN" watch -i 1s -d ${K}s --rule 'cpu>90%for1m' --dump-dir "$TMP/dumps")
	fi
	python3 - "$layout" "$procs" "$tasks" "$floor" "$TMP" "$spid" "$tpid" "$r0" "$r1" \
		"$s0" "$res" "$pid_ps" "$top_ps" "$wat" "$K" <<'PY'
import json, re, sys
(layout, procs, tasks, floor, tmp, spid, tpid, r0, r1, _t, res, pid_ps, top_ps,
 wat, _k) = sys.argv[1:]
procs, tasks, floor = int(procs), int(tasks), float(floor or 0)
st = open(tmp + "/idle.stats").read()
own = float(re.search(r"\(([\d.]+)% of one CPU\)", st).group(1))
cov = json.load(open(tmp + "/idle.json"))["coverage"]
print(f"== {layout}: {procs} processes, {tasks} threads on the host")
print(f"  floor (kept-fd pread of every task's schedstat each 10 ms): {floor:.0f} ns a read"
      f" = {floor * tasks / 1e5:.0f}% of one CPU")
print(f"  sched -a -d 4s at 10 ms, idle: own CPU {own:.1f}% of one CPU (first read of the host "
      f"{cov['first_tick_ms']:.0f} ms included; the ticks after it {cov['scan_cpu_pct']:.1f}%); ticks "
      f"{cov['tick_median_ms']:.1f} ms median, {cov['tick_p99_ms']:.1f} ms p99; idle tier "
      f"every {cov['idle_period_ms']:.0f} ms (worst {cov['idle_period_max_ms']:.0f}); "
      f"fell behind: {cov['fell_behind']} {cov['shortfall'] or ''}")
d = json.load(open(tmp + "/spin.json"))
spin = [h for h in d["hogs"] if h["pid"] == int(spid) and h["comm"] == "hogspin"]
# the spinner spun from 0.5 s before the run to 6 s after its start; the
# run's window (-d 4s) begins after its first read of the host (its set-up,
# coverage.first_tick_ms): a run is measured from the spinner's first sight,
# inside that read, so it may exceed the window
t0 = float(sys.argv[10])
w0 = max(float(r0), float(r1) - 4.0)
ran = (min(float(r1), t0 + 6.0) - max(float(r0), t0)) * 1000
inside = (min(float(r1), t0 + 6.0) - max(w0, t0)) * 1000
run = spin[0]["longest_run_ms"] if spin else 0
print(f"  spinner: longest run {run:.0f} ms; it spun {ran:.0f} ms while procimage ran, "
      f"{inside:.0f} ms of it in the window after the first read of the host "
      f"({d['coverage']['first_tick_ms']:.0f} ms): {100 * run / ran:.0f}% / "
      f"{100 * run / inside:.0f}% (goal >= 90% of the window)")
def ticks(name, c):
    w = c.get("cpu_wait_ms")
    print(f"  ticks beside the {name}: p99 {c['tick_p99_ms']:.1f} ms (goal <= 20), "
          f"{c['ticks_late']} late of {c['ticks']}, {c.get('ticks_late_waiting')} of them mostly "
          f"procimage's wait for a CPU ({'n/a' if w is None else f'{w:.0f} ms'} in all); "
          f"fell behind {c['fell_behind']} {c['shortfall'] or ''}")
ticks("spinner at nice -20", d["coverage"])
ticks("spinner at nice 0", json.load(open(tmp + "/plain.json"))["coverage"])
t = json.load(open(tmp + "/triage.json"))
offs = t.get("offenders") or []
first = offs[0] if offs else {}
print(f"  triage: first offender {first.get('comm')} pid {first.get('pid')} "
      f"({'the spinner' if first.get('pid') == int(tpid) else 'NOT the spinner'}); "
      f"verdict: {t.get('verdict')}")
if res:
    k = int(sys.argv[15])
    per = lambda c: float(c) / (procs * k) * 1e6
    print(f"  per process-interval at 1 s: resource -a {per(res):.2f} us, watch {per(wat):.2f} us,"
          f" pidstat -urdw {per(pid_ps):.2f} us, top {float(top_ps) / (procs * (k + 1)) * 1e6:.2f} us")
PY
	stop_pop
	sleep 1
done
