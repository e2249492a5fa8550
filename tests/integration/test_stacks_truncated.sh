#!/bin/bash
# stacks on a program built with neither frame pointers nor unwind tables:
# the unwinder cannot get past the leaf, so its one-frame stacks are said to
# be truncated (not counted as good stacks); the same program built with
# unwind tables is not flagged.
. "$(dirname "$0")/lib.sh"
need_root
command -v cc >/dev/null || skip "no C compiler"
cat >"$TMP/deep.c" <<'C'
__attribute__((noinline)) static void leaf(volatile unsigned long *x) { for (;;) (*x)++; }
__attribute__((noinline)) static void mid(volatile unsigned long *x) { leaf(x); __asm__ volatile(""); }
__attribute__((noinline)) static void top(volatile unsigned long *x) { mid(x); __asm__ volatile(""); }
int main(void) { volatile unsigned long x = 0; top(&x); return 0; }
C
cc -O2 -fomit-frame-pointer -fno-asynchronous-unwind-tables -fno-unwind-tables -o "$TMP/bare" "$TMP/deep.c" || skip "cannot build the helper"
cc -O2 -fasynchronous-unwind-tables -o "$TMP/full" "$TMP/deep.c" || skip "cannot build the helper"

for kind in bare full; do
	"$TMP/$kind" & P=$!
	on_exit "kill $P"
	sleep 0.2
	"$PROCIMAGE" stacks -p "$P" -d 1s -f json >"$TMP/$kind.j" 2>"$TMP/err" || fail "stacks $kind exited $?: $(cat "$TMP/err")"
	kill $P
done
python3 - "$TMP/bare.j" "$TMP/full.j" <<'PY' || fail "truncated stacks not said"
import json, sys
b, f = (json.load(open(x)) for x in sys.argv[1:3])
bad = 0
def check(ok, msg):
    global bad
    print(("ok: " if ok else "FAIL: ") + msg)
    bad += not ok
check(b["samples_with_user_stack"] > 0, f"bare: {b['samples_with_user_stack']} user stacks")
check(b["user_one_frame"] * 2 > b["samples_with_user_stack"], f"bare: {b['user_one_frame']} of them one frame")
check(bool(b["user_stacks_truncated"]), f"bare: said truncated: {b['user_stacks_truncated']}")
check(f["samples_with_user_stack"] > 0, "full: user stacks")
check(f["user_stacks_truncated"] is None, f"full (unwind tables): not flagged ({f['user_one_frame']} one-frame)")
sys.exit(1 if bad else 0)
PY
ok "truncated user stacks are said"
