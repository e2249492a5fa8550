#!/bin/bash
# exits without the proc connector (issue 16 item 1): as nobody, as root in a
# user namespace, and as root with no capabilities, a process that ran
# `exit 7` and one killed by SIGKILL are reported with their real status only
# when a source that really knows it reported it (named in status_source);
# otherwise the exit code is unknown (null, cause unknown, no confidence) -
# never "exit 0, certain, connector" while the connector is down.
# One pass only: what it checks is the kernel's behaviour, a timing or a share
# (the sanitizer build adds run time, not coverage: other tests take the
# same code paths under ASan)
# once
. "$(dirname "$0")/lib.sh"
need_root
command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"
chmod 711 "$TMP"
[ "$(dirname "$TMP")" = /tmp ] || chmod o+x "$(dirname "$TMP")"
OUT=$TMP/o
mkdir "$OUT" && chmod 777 "$OUT"

declare -A WAYS=(
	[nobody]="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all"
	[userns]="unshare --user --map-root-user"
	[nocaps]="setpriv --inh-caps=-all --bounding-set=-all"
)
BG=()
for w in "${!WAYS[@]}"; do
	# shellcheck disable=SC2086
	${WAYS[$w]} true 2>/dev/null || { echo "note: $w not possible here"; unset "WAYS[$w]"; continue; }
	sh -c 'sleep 2; exit 7' &
	p7=$!
	sleep 60 &
	pk=$!
	on_exit "kill -9 $p7 $pk"
	echo "$p7 $pk" >"$OUT/$w.pids"
	# shellcheck disable=SC2086
	{ ${WAYS[$w]} "$PROCIMAGE" exits -p "$p7,$pk" -d 8s -f json >"$OUT/$w.json" 2>"$OUT/$w.err"; echo $? >"$OUT/$w.rc"; } &
	BG+=($!)
	KILL+=("$pk")
done
[ ${#WAYS[@]} -gt 0 ] || skip "neither setpriv nor unshare --user can drop privileges here"
sleep 2.5
kill -9 "${KILL[@]}"
wait "${BG[@]}"

for w in "${!WAYS[@]}"; do
	rc=$(cat "$OUT/$w.rc")
	[ "$rc" = 0 ] || { cat "$OUT/$w.err"; fail "exits ($w) exited $rc"; }
	read -r p7 pk <"$OUT/$w.pids"
	python3 - "$OUT/$w.json" "$w" "$p7" "$pk" <<'PY' || fail "$w: an exit status was claimed without a source that knows it"
import json, sys
d = json.load(open(sys.argv[1]))
w, p7, pk = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
src = d["sources"]
cn = src["connector"]["status"]
print("  %s: connector %s (%s); taskstats %s" % (w, cn, src["connector"].get("reason", "")[:60],
      src["taskstats"]["status"]))
ex = {e["pid"]: e for e in d["exits"]}
assert p7 in ex and pk in ex, ("both exits listed", sorted(ex))
for pid, code, sig in ((p7, 7, None), (pk, None, 9)):
    e = ex[pid]
    print("  %s pid %d: cause %s status %s source %s confidence %s" % (
        w, pid, e["cause"], e["status"], e["status_source"], e["confidence"]))
    s = e["status_source"]
    if s is None:
        assert e["exit_code"] is None and e["signal"] is None, e
        assert e["cause"] == "unknown" and e["confidence"] is None, e
        assert any("exit status" in l for l in e["lacking"]), e["lacking"]
    else:
        # a source that knows the status: it must have been working
        assert src[s]["status"] == "ok" or (s == "connector" and "fallback" not in src[s].get("reason", "")), (s, src[s])
        assert e["exit_code"] == code and e["signal"] == sig, e
assert not (cn != "ok" and any(e["status_source"] == "connector" for e in d["exits"])), "connector down but named"
PY
	ok "$w: no exit status claimed without a source that knows it"
done
