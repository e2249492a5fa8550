#!/bin/bash
# once
# `make static` links one procimage from the Debian static archives, and it
# runs with the system calls of a Linux 3.13-era kernel: under a seccomp
# filter (helpers/oldsys) that answers ENOSYS to every x86_64 system call
# numbered 314 and up, every command still works (exit 0, a report that
# parses) and every source it could not use says why. The dynamic build must
# pass the same.
. "$(dirname "$0")/lib.sh"
need_root

B=${BUILD_DIR:-build}
make -s -C "$ROOT" BUILD="$B" static >"$TMP/make.log" 2>&1 || fail "make static: $(tail -5 "$TMP/make.log")"
STATIC="$B/procimage-static"
file -L "$STATIC" | grep -q "statically linked" || fail "not a static binary: $(file -L "$STATIC")"
# The oldest kernel glibc's static startup accepts (the ELF ABI note).
abi=$(file -L "$STATIC" | sed -n 's/.*for GNU\/Linux \([0-9.]*\).*/\1/p')
python3 -c "import sys; v=tuple(map(int,'$abi'.split('.'))); sys.exit(0 if v <= (3,10) else 1)" ||
	fail "the static binary needs Linux $abi: newer than 3.10"
ok "static binary, for Linux >= $abi"

# The filter works: getrandom (318) and statx (332) are ENOSYS, getpid is not.
"$HELPERS/oldsys" /usr/bin/python3 -c '
import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)
for nr in (318, 332, 435):
    if libc.syscall(nr, 0, 0, 0, 0, 0) != -1 or ctypes.get_errno() != errno.ENOSYS:
        sys.exit("syscall %d is not ENOSYS" % nr)
assert libc.syscall(39) == os.getpid()
' || fail "the seccomp filter does not answer ENOSYS"
ok "seccomp filter: syscalls >= 314 answer ENOSYS"

sleep 600 & S=$!; on_exit "kill -9 $S"
# check BIN NAME ARGS...: run under the filter, -f json where it applies;
# exit 0, the JSON parses, non-ok sources give a reason.
check() {
	local bin=$1 name=$2 rc=0
	shift 2
	"$HELPERS/oldsys" "$bin" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ $rc = 0 ] || fail "$name: '$*' exited $rc under the old-syscalls filter: $(head -c 600 "$TMP/err")"
	case " $* " in
	*" -f json "*)
		python3 - "$TMP/out" "$name $1" <<'PY' || fail "$name: '$*': bad report"
import json, sys
d = json.load(open(sys.argv[1]))
lost = []
for k, v in (d.get('sources') or {}).items():
    if v.get('status') != 'ok':
        if not v.get('reason'):
            sys.exit('%s: source %s is %s without a reason' % (sys.argv[2], k, v.get('status')))
        lost.append('%s %s' % (k, v['status']))
print('    %s: %s' % (sys.argv[2], ', '.join(lost) if lost else 'every source ok'))
PY
		;;
	esac
}

for bin in "$STATIC" "$PROCIMAGE"; do
	kind=static
	[ "$bin" = "$PROCIMAGE" ] && kind=dynamic
	check "$bin" $kind --version
	check "$bin" $kind doctor -f json
	check "$bin" $kind triage -d 1s -f json
	for img in sched resource keytime syscall migrate stacks; do
		check "$bin" $kind "$img" -p "$S" -d 300ms -f json
	done
	check "$bin" $kind exits -d 300ms -f json
	check "$bin" $kind record -p "$S" -d 1s -o "$TMP/$kind.db"
	check "$bin" $kind report "$TMP/$kind.db" resource -f json
	check "$bin" $kind report "$TMP/$kind.db" --info
	check "$bin" $kind watch -p "$S" --rule 'cpu>1000%' --dump-dir "$TMP/w-$kind" -i 200ms -d 1s
	ok "$kind build: every command works with the system calls of Linux 3.13"
done
