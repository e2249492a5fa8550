#!/bin/bash
# unprivileged
# Bad input gives exit 2 (or 3 for a missing pid) and a one-line message; no crash.
. "$(dirname "$0")/lib.sh"

expect() { # CODE ARGS...
	local code=$1; shift
	"$PROCIMAGE" "$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	[ $rc = "$code" ] || { cat "$TMP/err"; fail "procimage $* exited $rc, want $code"; }
	[ "$(wc -l <"$TMP/err")" -ge 1 ] || fail "procimage $*: no message on stderr"
	grep -q "AddressSanitizer\|runtime error" "$TMP/err" && fail "procimage $*: sanitizer report"
	ok "procimage $* -> $code: $(head -1 "$TMP/err")"
}
expect 2 bogus-command
expect 2 resource -p abc
expect 2 resource -p 12,x
expect 2 resource -p -5
expect 2 resource -p 1 -d 5x
expect 2 resource -p 1 -d ""
expect 2 resource -p 1 -i 0ms
expect 2 resource -p 1 -f xml
expect 2 resource -p 1 --no-such-option
expect 2 record -o "$TMP/r.db" -p 1 -d 1s -f json
[ -e "$TMP/r.db" ] && fail "record -f without --report created its file"
expect 2 resource -p 1 -d
expect 2 resource
expect 2 resource -p 1 --comm '('
expect 2 resource -a --proc-root /nonexistent -d 100ms
expect 2 resource -a --proc-root /tmp -d 100ms
expect 3 resource -p 4194303 -d 200ms
"$PROCIMAGE" --help >/dev/null || fail "--help"
"$PROCIMAGE" resource --help | grep -q usage || fail "resource --help"
ok "help"
