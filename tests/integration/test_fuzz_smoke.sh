#!/bin/bash
# unprivileged
# once
# Every libFuzzer target (tests/fuzz/) for a few seconds on its seed corpus,
# under ASan+UBSan: a parser that crashes on its seeds or on what the fuzzer
# finds quickly fails here; `make fuzz` runs them longer.
. "$(dirname "$0")/lib.sh"
SECS=${FUZZ_SMOKE_SECS:-3}
# Our own sanitizer settings, not the suite's (its exit codes and leak check
# are for the program under test).
unset ASAN_OPTIONS UBSAN_OPTIONS
# A fixed number of runs from a fixed seed: the same inputs every suite run.
FUZZ_RUNS=${FUZZ_SMOKE_RUNS:-8000} "$ROOT/tests/fuzz/run.sh" "$SECS" >"$TMP/fuzz.out" 2>&1
rc=$?
cat "$TMP/fuzz.out"
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || fail "a fuzz target crashed or did not build (see above)"
n=$(grep -c '^ok   fuzz_' "$TMP/fuzz.out")
want=$(ls "$ROOT"/tests/fuzz/fuzz_*.c | wc -l)
assert_eq "$n" "$want" "fuzz targets run"
# The targets must reach the parsers: each seed corpus is read, so coverage
# beyond the fuzzer's own entry is expected for every target.
while read -r t cov; do
	assert_cmp "$cov" '>=' 30 "coverage of $t"
done < <(sed -n 's/^ok   \(fuzz_[a-z]*\):.*cov: \([0-9]*\).*/\1 \2/p' "$TMP/fuzz.out")
exit 0
