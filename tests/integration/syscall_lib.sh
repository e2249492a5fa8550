# Shared by the test_syscall_* tests (sourced after lib.sh): audit state is
# global, so every test records it first and restores it at exit, whatever
# happened -- rules of dead procimage runs, enabled, backlog settings.
AUDITQ="$HELPERS/auditq"

audit_field() { sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" <<<"$2"; }

audit_restore() {
	local k
	for k in $("$AUDITQ" rules | grep -o 'procimage-[0-9]*' | sort -u); do
		kill -0 "${k#procimage-}" 2>/dev/null || "$AUDITQ" delkey "$k"
	done
	# Settings only when we know the host's own and no run holds a session
	# (the last run out restores them itself).
	[ -n "$AUDIT0" ] && ! others_active || return 0
	"$AUDITQ" backlog "$(audit_field backlog_limit "$AUDIT0")" "$(audit_field backlog_wait_time "$AUDIT0")"
	"$AUDITQ" enable "$(audit_field enabled "$AUDIT0")"
}

# Root, audit reachable; record the state, restore it at exit, and enable
# audit once so the workloads started from now on can be audited.
need_audit() {
	need_root
	AUDIT0=$("$AUDITQ" status 2>&1) || skip "audit unreachable here: $AUDIT0"
	[ "$(audit_field enabled "$AUDIT0")" = 2 ] && skip "audit is locked (enabled=2)"
	# Other procimage runs on this host (e.g. `record` with targets) may hold
	# audit sessions: wait for them, so the state we record is the host's.
	for _ in $(seq 120); do others_active || break; sleep 0.5; done
	# Still busy: the state now is theirs, not the host's; never "restore" it.
	others_active && AUDIT0=""
	[ -n "$AUDIT0" ] && AUDIT0=$("$AUDITQ" status)
	# A run that began meanwhile wrote its session file before changing
	# anything: if one exists now, the snapshot may be theirs.
	others_active && AUDIT0=""
	AUDIT_BEFORE=""
	[ -n "$AUDIT0" ] && AUDIT_BEFORE="enabled=$(audit_field enabled "$AUDIT0") pid=$(audit_field pid "$AUDIT0") backlog_limit=$(audit_field backlog_limit "$AUDIT0") backlog_wait_time=$(audit_field backlog_wait_time "$AUDIT0")"
	on_exit audit_restore
	"$AUDITQ" prime || fail "cannot enable audit once"
}

# wait_rule TARGET_PID PROCIMAGE_PID: until the keyed rule is loaded.
wait_rule() {
	for _ in $(seq 200); do
		"$AUDITQ" rules | grep -q "pid=$1 .*key=procimage-$2\$" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# The audit state that must be back after a run: enabled, pid, backlog settings.
audit_core() { local s; s=$("$AUDITQ" status); echo "enabled=$(audit_field enabled "$s") pid=$(audit_field pid "$s") backlog_limit=$(audit_field backlog_limit "$s") backlog_wait_time=$(audit_field backlog_wait_time "$s")"; }
# Rules of procimage runs that are not alive (left behind), or of one run.
our_rules() {
	if [ $# -gt 0 ]; then "$AUDITQ" rules | grep -c "key=procimage-$1\$"; return; fi
	local k n=0
	for k in $("$AUDITQ" rules | grep -o 'procimage-[0-9]*$'); do
		[ "$(cat "/proc/${k#procimage-}/comm" 2>/dev/null)" = procimage ] || n=$((n + 1))
	done
	echo $n
}

# Another live procimage run holds an audit session: restoring the host
# state is then its job (the last run out restores), not ours.
others_active() {
	local f
	for f in "${PROCIMAGE_RUN_DIR:-/run/procimage/audit}"/[0-9]*; do
		[ -e "$f" ] || continue
		[ "$(cat "/proc/$(basename "$f")/comm" 2>/dev/null)" = procimage ] && return 0
	done
	return 1
}

# assert_restored: the audit state is the host's from before the test,
# unless another procimage run (tests run concurrently from other checkouts)
# holds an audit session: then the last one out restores it.
assert_restored() {
	if [ -z "$AUDIT_BEFORE" ] || others_active; then
		ok "audit state: another procimage run holds an audit session; it restores"
	else
		assert_eq "$(audit_core)" "$AUDIT_BEFORE" "audit enabled/pid/backlog restored"
	fi
}

# Until PID sits in sigwait (rt_sigtimedwait, x86_64 nr 128): its start-up is
# over and SIGUSR1 is blocked, so the signal starts the loop, never kills it.
wait_sigwait() {
	for _ in $(seq 250); do
		[ "$(cut -d' ' -f1 /proc/$1/syscall 2>/dev/null)" = 128 ] && return 0
		sleep 0.02
	done
	fail "workload $1 never reached sigwait"
}
