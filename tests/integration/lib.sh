# Shared helpers for integration tests (sourced). Each test is a bash script
# that exits 0 (pass), 1 (fail) or 77 (skip, after printing "SKIP: reason").
# $PROCIMAGE is the binary under test, $HELPERS the workload programs.
set -u
TMP=$(mktemp -d "${PROCIMAGE_TEST_TMP:-/tmp}/procimage-test.XXXXXX")
# cgroups a test makes are named "$CG_PREFIX-something"
CG_PREFIX="procimage-test-${PROCIMAGE_RUN_ID:-$$}"
CLEANUPS=()
cleanup() {
	local i
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
