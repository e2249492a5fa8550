#!/bin/bash
# The whole test suite: build, unit tests (cmocka, no privileges), integration
# tests (real workloads against the real kernel interfaces, as root), then the
# same again under AddressSanitizer + UndefinedBehaviorSanitizer (leaks
# included), then a check that nothing was left behind on the host.
# Prints one closing line: "N passed, N failed, N skipped".
# Options: --unit-only, --no-asan, --build DIR, --only PATTERN.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
unit_only=0 asan=1 only="" builds=()
while [ $# -gt 0 ]; do
	case "$1" in
	--unit-only) unit_only=1 ;;
	--no-asan) asan=0 ;;
	--build) shift; builds=("$1") ;;
	--only) shift; only="$1" ;;
	*) echo "usage: tests/run.sh [--unit-only] [--no-asan] [--build DIR] [--only PATTERN]"; exit 2 ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] && tests/install-deps.sh >/dev/null
# The system's tools first: the tests parse with Debian's python3 and the
# modules tests/install-deps.sh installs for it (python3-prometheus-client,
# python3-protobuf). A version manager's shim earlier in PATH (pyenv) would
# start another interpreter without them, at seconds per call on a loaded host.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

# Everything a test leaves must be traceable to this run: temp dirs live
# under RUN_TMP, cgroups are named procimage-test-$PROCIMAGE_RUN_ID-*.
export PROCIMAGE_RUN_ID=$$
RUN_TMP=$(mktemp -d /tmp/procimage-run.XXXXXX)
export PROCIMAGE_TEST_TMP=$RUN_TMP
pass=0 fail=0 skip=0
failed=()
mkdir -p tests/out
log() { printf '%s\n' "$*"; }

build() { # DIR EXTRA_CFLAGS
	log "== build $1 ${2:-}"
	if ! make -s -j"$(nproc)" WERROR=-Werror BUILD="$1" CFLAGS="-O1 -g ${2:-}" LDFLAGS="${2:-}" \
		"$1/procimage" units helpers >"tests/out/$(basename "$1").build.log" 2>&1; then
		cat "tests/out/$(basename "$1").build.log"
		fail=$((fail + 1)); failed+=("build $1")
		return 1
	fi
}

# LeakSanitizer stops the world by ptrace-attaching every thread at exit: a
# task that some other process traces cannot be attached, and LSan dies with
# "encountered a fatal error" (no leak check was made). Name the tracers on
# the host now: the culprit is often still running.
lsan_fatal_hint() {
	local t tracers=""
	for t in $(grep -hs '^TracerPid:' /proc/[0-9]*/task/[0-9]*/status |
		awk '$2 != 0 {print $2}' | sort -un); do
		tracers+=$'\n'"      $t: $(tr '\0' ' ' </proc/$t/cmdline 2>/dev/null | cut -c1-100)"
	done
	log "    LeakSanitizer could not stop the process (no leak check was made): another"
	log "    process was probably ptracing it (gdb, strace, procimage stacks/record)."
	log "    Tracers on the host now:${tracers:- none}"
}

result() { # NAME RC OUTPUT_FILE
	local took=$((SECONDS - t0))
	case "$2" in
	0) pass=$((pass + 1)); log "PASS $1 (${took}s)" ;;
	77) skip=$((skip + 1)); log "SKIP $1: $(grep -m1 '^SKIP' "$3" | sed 's/^SKIP:* *//')" ;;
	*) fail=$((fail + 1)); failed+=("$1"); log "FAIL $1 (exit $2)"; tail -n 30 "$3" | sed 's/^/    /'
		grep -q 'LeakSanitizer has encountered a fatal error' "$3" && lsan_fatal_hint ;;
	esac
}

run_units() { # BUILD
	for t in "$1"/tests/test_*; do
		[ -x "$t" ] || continue
		name="unit/$(basename "$t")[$(basename "$1")]"
		[ -n "$only" ] && [[ "$name" != *$only* ]] && continue
		out="tests/out/$(basename "$t").$(basename "$1").log"
		t0=$SECONDS
		( cd "$ROOT/tests" && timeout 300 "$ROOT/$t" ) >"$out" 2>&1
		result "$name" $? "$out"
	done
}

run_integration() { # BUILD
	for t in tests/integration/test_*.sh; do
		[ -f "$t" ] || continue
		name="integration/$(basename "$t" .sh)[$(basename "$1")]"
		[ -n "$only" ] && [[ "$name" != *$only* ]] && continue
		# "# once": one pass is enough: the test builds what it checks
		# itself (the fuzz smoke has its own sanitizer build), or its
		# comment says which test covers its code in the sanitized pass.
		[ "$1" != "${builds[0]}" ] && grep -qx '# once' "$t" && continue
		out="tests/out/$(basename "$t" .sh).$(basename "$1").log"
		if [ "$(id -u)" != 0 ] && ! grep -q '^# unprivileged' "$t"; then
			t0=$SECONDS; echo "SKIP: needs root" >"$out"; result "$name" 77 "$out"; continue
		fi
		t0=$SECONDS
		PROCIMAGE="$ROOT/$1/procimage" HELPERS="$ROOT/$1/helpers" BUILD_DIR="$ROOT/$1" \
			ROOT="$ROOT" timeout 600 bash "$t" >"$out" 2>&1 &
		local tpid=$! rc
		wait "$tpid"
		rc=$?
		if ! strays_of "$tpid" "$1" "$out"; then
			[ "$rc" = 0 ] || [ "$rc" = 77 ] && rc=1
		fi
		result "$name" "$rc" "$out"
	done
}

# A test leaves no process behind: none in its process group (timeout makes
# one for it and its workloads), no orphaned helper or procimage of the
# build (some start their own session; an orphan's parent is pid 1, so a
# concurrent bench's helpers are not taken for it). Zombies are left to
# whoever reaps them. Given a moment to die (a SIGKILL is not instant, and a
# sanitized child's exit may take seconds), then killed and named in the
# test's log. 0 when there were none.
strays_of() { # PGID BUILD LOG
	local pids re p st
	re=$(printf '%s' "$ROOT/$2" | sed 's/[][\\.*^$()+?{}|]/\\&/g')
	for i in $(seq 100); do
		pids=""
		# builtins only per pid: a test's population may be 1,000 dying
		for p in $({ pgrep -g "$1"; pgrep -P 1 -f "^$re/(helpers/|procimage( |\$))"; } 2>/dev/null | sort -u); do
			read -r st 2>/dev/null <"/proc/$p/stat" || continue
			st=${st##*) }
			[ "${st:0:1}" = Z ] || pids+="$p "
		done
		if [ -z "$pids" ]; then
			[ "$i" = 1 ] || echo "note: the test's processes took $(((i - 1) / 10)).$(((i - 1) % 10)) s to end after it" >>"$3"
			return 0
		fi
		sleep 0.1
	done
	{
		echo "FAIL: processes left behind by the test:"
		for p in $pids; do echo "  $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | head -c 120)"; done
	} >>"$3"
	kill -9 $pids 2>/dev/null
	return 1
}

[ ${#builds[@]} -eq 0 ] && builds=(build)
for b in "${builds[@]}"; do
	build "$b" && { run_units "$b"; [ $unit_only = 1 ] || run_integration "$b"; }
done
if [ $asan = 1 ] && [ ${#builds[@]} -eq 1 ] && [ "${builds[0]}" = build ]; then
	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:exitcode=99"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=98"
	SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
	build build-asan "$SAN" && { run_units build-asan; [ $unit_only = 1 ] || run_integration build-asan; }
fi

# Nothing may be left behind: our processes, audit rules, delayacct, cgroups.
leftover=()
pgrep -f "$ROOT/build[-a-z]*/procimage" >/dev/null && leftover+=("procimage processes still running")
# Audit rules carry the key procimage-<pid>: one whose pid is dead was left behind.
if [ -x build/helpers/auditq ] && [ "$(id -u)" = 0 ]; then
	for k in $(build/helpers/auditq rules 2>/dev/null | grep -o 'procimage-[0-9]*' | sort -u); do
		kill -0 "${k#procimage-}" 2>/dev/null || leftover+=("audit rule $k left behind")
	done
fi
ls -d /sys/fs/cgroup/*/procimage-test-$$-* /sys/fs/cgroup/procimage-test-$$-* 2>/dev/null | grep -q . &&
	leftover+=("test cgroups left behind")
[ -n "$(ls -A "$RUN_TMP")" ] && leftover+=("temp files left behind: $(ls "$RUN_TMP" | head -3)")
rm -rf "$RUN_TMP"
for l in "${leftover[@]+"${leftover[@]}"}"; do
	fail=$((fail + 1)); failed+=("cleanup: $l"); log "FAIL cleanup: $l"
done

[ ${#failed[@]} -gt 0 ] && { log ""; log "failed:"; printf '  %s\n' "${failed[@]}"; }
log ""
log "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
