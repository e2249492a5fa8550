#!/bin/bash
# Build the libFuzzer targets (tests/fuzz/fuzz_*.c) against an instrumented
# copy of the library (build-fuzz/, clang, ASan+UBSan) and run each for a
# bounded time on its seed corpus (tests/fuzz/corpus/<target>/).
#   tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
# Exit 0 when no target crashed, 1 on a crash (the reproducer is left in
# build-fuzz/crashes/<target>/), 77 when clang or libFuzzer is missing.
set -u
cd "$(dirname "$0")/../.."
SECS=${1:-5}
shift || true
BUILD=build-fuzz
OUT=$BUILD/fuzz
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"

if ! command -v clang >/dev/null; then
	echo "SKIP: clang not installed (tests/install-deps.sh installs it)"
	exit 77
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const char *d, unsigned long n){(void)d;(void)n;return 0;}\n' >"$probe/p.c"
if ! clang -fsanitize=fuzzer "$probe/p.c" -o "$probe/p" 2>"$probe/err"; then
	echo "SKIP: clang cannot link libFuzzer ($(head -c 160 "$probe/err" | tr '\n' ' '); apt-get install libclang-rt-dev)"
	exit 77
fi

# The library, instrumented for coverage. WARN is relaxed: clang warns about
# GNU extensions gcc accepts, and this build is not where warnings are judged.
if ! make -s -j2 BUILD=$BUILD CC=clang WARN="-Wall -Wno-gnu-variable-sized-type-not-at-end" \
	CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $SAN" \
	$BUILD/libprocimage.a >"$probe/build.log" 2>&1; then
	grep -v '^  CC' "$probe/build.log" | tail -20
	echo "FAIL: instrumented library did not build"
	exit 1
fi
mkdir -p "$OUT"
PKG_CFLAGS=$(pkg-config --cflags libnl-3.0 libnl-genl-3.0 libcap audit sqlite3 libdw zlib 2>/dev/null)
PKG_LIBS=$(pkg-config --libs libnl-3.0 libnl-genl-3.0 libcap audit sqlite3 libdw zlib 2>/dev/null)

if [ $# -gt 0 ]; then
	targets=("$@")
else
	targets=()
	for f in tests/fuzz/fuzz_*.c; do
		t=${f##*/fuzz_}
		targets+=("${t%.c}")
	done
fi

# One target: build it, run it; its verdict line (and what went wrong) in
# $probe/<target>.res, 1 in $probe/<target>.fail when it did not pass.
one_target() {
	local t=$1 bin=$OUT/fuzz_$1 work crashes seeds log limit runs cov
	if [ ! -x "$bin" ] || [ "tests/fuzz/fuzz_$t.c" -nt "$bin" ] || [ $BUILD/libprocimage.a -nt "$bin" ]; then
		# shellcheck disable=SC2086
		if ! clang -O1 -g -std=c11 -D_GNU_SOURCE -Iinclude -Isrc $PKG_CFLAGS -fsanitize=fuzzer $SAN \
			-o "$bin" "tests/fuzz/fuzz_$t.c" $BUILD/libprocimage.a $PKG_LIBS -lm 2>"$probe/$t.err"; then
			cat "$probe/$t.err"
			echo "FAIL: fuzz_$t did not build"
			return 1
		fi
	fi
	work=$OUT/corpus/$t
	crashes=$BUILD/crashes/$t
	mkdir -p "$work" "$crashes"
	seeds=tests/fuzz/corpus/$t
	[ -d "$seeds" ] || mkdir -p "$seeds"
	log=$OUT/$t.log
	# New inputs go to the scratch corpus (build-fuzz/), never to the repo.
	# FUZZ_RUNS (the test suite's smoke run): a fixed number of runs from a
	# fixed seed, so a suite run is repeatable; otherwise SECS of fuzzing.
	limit="-max_total_time=$SECS"
	[ -n "${FUZZ_RUNS:-}" ] && limit="-runs=$FUZZ_RUNS -seed=1"
	# shellcheck disable=SC2086
	if "$bin" $limit -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="$crashes/" -print_final_stats=1 "$work" "$seeds" >"$log" 2>&1 ||
		# LSan's final check can die on a loaded machine ("LeakSanitizer has
		# encountered a fatal error": it could not stop the world): that is
		# no finding, so judge by the log when the run itself completed.
		{ grep -q '^Done [0-9]* runs' "$log" &&
			! grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer: detected\|runtime error\|ERROR: libFuzzer' "$log"; }; then
		runs=$(sed -n "s/^stat::number_of_executed_units: *//p" "$log" | tail -1)
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
		echo "ok   fuzz_$t: ${runs:-?} runs, $cov"
	else
		echo "FAIL fuzz_$t: crash, log $log, reproducer in $crashes/"
		grep -m1 -A12 'ERROR: \|runtime error' "$log"
		return 1
	fi
}

# Two targets at a time (each is one process; a 2-CPU machine runs two),
# their lines printed in the targets' order.
fail=0
running=0
for t in "${targets[@]}"; do
	{ one_target "$t" >"$probe/$t.res" 2>&1 || echo 1 >"$probe/$t.fail"; } &
	running=$((running + 1))
	if [ $running -ge 2 ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait
for t in "${targets[@]}"; do
	cat "$probe/$t.res"
	[ -e "$probe/$t.fail" ] && fail=1
done
exit $fail
