# Shared helpers for integration tests (sourced). Each test is a bash script
# that exits 0 (pass), 1 (fail) or 77 (skip, after printing "SKIP: reason").
# $PROCIMAGE is the binary under test, $HELPERS the workload programs.
set -u
# Debian's python3 and tools, not a version manager's shim (see tests/run.sh).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
TMP=$(mktemp -d "${PROCIMAGE_TEST_TMP:-/tmp}/procimage-test.XXXXXX")
# cgroups a test makes are named "$CG_PREFIX-something"
CG_PREFIX="procimage-test-${PROCIMAGE_RUN_ID:-$$}"
CLEANUPS=()
LIB_MAIN_PID=$BASHPID
cleanup() {
	local i
	# A background job killed before it execs is a copy of this shell with
	# these traps: only the test's own shell cleans up.
	[ "$BASHPID" = "$LIB_MAIN_PID" ] || return 0
	for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do eval "${CLEANUPS[$i]}" >/dev/null 2>&1; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
on_exit() { CLEANUPS+=("$*"); }
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
ok() { echo "ok: $*"; }
need_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }
# Start a background workload and make sure it is killed at exit.
spawn() { "$@" & local pid=$!; on_exit "kill -9 $pid; wait $pid"; echo $pid; }
# jq-free JSON access: jget FILE PYTHON_EXPR (d is the document)
jget() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
assert_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; ok "$3 = $1"; }
# assert_cmp A OP B MSG, with numbers (float ok)
assert_cmp() { python3 -c "import sys; sys.exit(0 if float('$1') $2 float('$3') else 1)" ||
	fail "$4: $1 $2 $3 does not hold"; ok "$4: $1 $2 $3"; }

# The least busy CPU over the last 0.4 s (the machine is shared: pin a
# workload where it has the best chance to run undisturbed).
idlest_cpu() {
	python3 - <<'PY'
import time
def idle():
    r = {}
    for l in open("/proc/stat"):
        f = l.split()
        if f[0].startswith("cpu") and f[0] != "cpu":
            r[int(f[0][3:])] = int(f[4]) + int(f[5])
    return r
a = idle(); time.sleep(0.4); b = idle()
print(max(b, key=lambda c: b[c] - a.get(c, 0)))
PY
}
# spin_beside SPIN_MS WAKERS WAKE_MS SLEEPERS DELAY_MS -- COMMAND...
# Runs the spinner helper (its arguments but the CPU) pinned to the idlest CPU
# ($CPU), its hog SCHED_FIFO when FIFO=fifo, and COMMAND alongside, stdout to
# $TMP/j and stderr to $TMP/err; waits for both. Fails the test if COMMAND
# fails or the spinner did not start. Sets SPIN_PID (the spinner's pid) and
# CMD_PID (COMMAND's).
spin_beside() {
	local args=() sp rc=0
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	CPU=$(idlest_cpu)
	"$HELPERS/spinner" "${args[@]:0:4}" "$CPU" "${args[4]}" ${FIFO:-} >"$TMP/spin.out" &
	sp=$!
	"$@" >"$TMP/j" 2>"$TMP/err" &
	CMD_PID=$!
	wait $sp
	wait $CMD_PID || rc=$?
	[ $rc = 0 ] || fail "$(basename "$1") ${2:-} exited $rc ($(cat "$TMP/err"))"
	SPIN_PID=$(sed -n 's/^ready pid=//p' "$TMP/spin.out")
	[ -n "$SPIN_PID" ] || fail "spinner did not start"
}
# Before the one retry of a spinner test on a crowded machine: as root the
# retry runs the hog SCHED_FIFO.
spin_retry() {
	echo "retrying once: the spinner was crowded out (shared machine); as root the retry runs it SCHED_FIFO"
	if [ "$(id -u)" = 0 ]; then FIFO=fifo; fi
}
