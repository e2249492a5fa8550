#!/bin/bash
# unprivileged
# sched --stacks on a targeted run at a 2 ms interval: the spinner's run
# carries folded stack lines "hogspin;frame;... N" whose counts add up to
# samples, "[on-cpu]" among them (seen running), and, as root (stack needs
# CAP_SYS_ADMIN), kernel frames for the moments it was preempted by the
# wakers sharing its CPU. One retry on a crowded machine.
. "$(dirname "$0")/lib.sh"

CPU=$(($(nproc) > 1 ? 1 : 0))
# As root, a task bursting for 1 ms every 30 ms on the spinner's CPU, in its
# own autogroup weighted like the spinner's: on an idle host the spinner is
# then preempted regularly (still >= 90% on CPU) and its kernel stack can be
# read at those moments, instead of relying on other load being present.
if [ "$(id -u)" = 0 ]; then
	taskset -c $CPU setsid python3 -c '
import time
while True:
    time.sleep(0.03)
    t = time.monotonic()
    while time.monotonic() - t < 0.001:
        pass' & BURST=$!
	on_exit "kill $BURST"
	sleep 0.1
	echo -20 >/proc/$BURST/autogroup 2>/dev/null || true
fi

attempt() {
	"$HELPERS/spinner" 1500 3 5 0 "$CPU" 300 >"$TMP/spin.out" &
	local sp=$! pid="" i
	for i in $(seq 50); do
		pid=$(sed -n 's/^ready pid=//p' "$TMP/spin.out" 2>/dev/null); [ -n "$pid" ] && break; sleep 0.02
	done
	[ -n "$pid" ] || fail "spinner did not start"
	"$PROCIMAGE" sched -p "$pid" -i 2ms -d 2s --stacks -f json >"$TMP/j" 2>"$TMP/err" ||
		fail "sched --stacks exited $? ($(cat "$TMP/err"))"
	wait $sp
	python3 - "$TMP/j" >"$TMP/v" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
h = [x for x in d["hogs"] if x["comm"] == "hogspin"]
if not h:
    print("nohog 0 0 0 0"); sys.exit(1)
lines = h[0]["stacks_folded"]
ok_fmt = all(l.startswith("hogspin;") and l.rsplit(" ", 1)[1].isdigit() for l in lines)
oncpu = sum(int(l.rsplit(" ", 1)[1]) for l in lines if l.split(" ")[0] == "hogspin;[on-cpu]")
kern = sum(1 for l in lines if "[on-cpu]" not in l)
print("hog", len(lines), int(ok_fmt), oncpu, kern, int(isinstance(h[0]["stack"], list)))
sys.exit(0 if lines else 1)
PY
}
if ! attempt || { [ "$(id -u)" = 0 ] && [ "$(awk '{print $5}' "$TMP/v")" = 0 ]; }; then
	echo "retrying once (crowded machine): $(cat "$TMP/v")"
	attempt || true
fi
set -- $(cat "$TMP/v")
assert_eq "$1" hog "the spinner is a hog"
assert_cmp "$2" ">=" 1 "folded stack lines"
assert_eq "$3" 1 "folded lines look like 'hogspin;frames count'"
assert_cmp "$4" ">=" 10 "samples that saw it on CPU"
assert_eq "$6" 1 "stack[] frames array present"
if [ "$(id -u)" = 0 ]; then
	assert_cmp "$5" ">=" 1 "distinct kernel stacks where it was preempted (root)"
else
	echo "SKIP part: kernel stacks need CAP_SYS_ADMIN"
fi

# -f folded: only FlameGraph lines, the hog's.
"$HELPERS/spinner" 1200 2 5 0 "$(($(nproc) > 1 ? 1 : 0))" 200 >"$TMP/spin2.out" &
sp=$!
for i in $(seq 50); do
	pid=$(sed -n 's/^ready pid=//p' "$TMP/spin2.out" 2>/dev/null); [ -n "$pid" ] && break; sleep 0.02
done
"$PROCIMAGE" sched -p "$pid" -i 2ms -d 1.5s --stacks -f folded >"$TMP/folded" || fail "folded run"
wait $sp
[ -s "$TMP/folded" ] || echo "note: no hog in the folded run (crowded machine)"
if grep -qvE '^hogspin;[^ ]+ [0-9]+$' "$TMP/folded"; then
	cat "$TMP/folded"; fail "-f folded printed something else than folded lines"
fi
ok "-f folded prints only folded lines ($(wc -l <"$TMP/folded") lines)"
