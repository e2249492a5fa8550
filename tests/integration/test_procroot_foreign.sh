#!/bin/bash
# unprivileged
# --proc-root DIR that is not this host's live /proc (a copy of a tree, the
# /proc of another pid namespace): the live host's taskstats, connector,
# audit, cgroup and kmsg would name other tasks than the tree's, so they are
# unavailable with that reason; doctor does not call procfs "ok" when its own
# process is not in the tree; entries of fd/ that are not numbers are not
# descriptors. (Issue 16 item 12.)
. "$(dirname "$0")/lib.sh"
T="$TMP/tree"
mkdir -p "$T" && cp -a "$ROOT/tests/fixtures/6.18/." "$T/" || fail "copy fixture"
# Three descriptors, and names a tree may hold that are not descriptors.
rm -rf "$T/13275/fd" && mkdir "$T/13275/fd" || fail "fd dir"
for f in 0 1 2; do ln -s /dev/null "$T/13275/fd/$f"; done
touch "$T/13275/fd/junk" "$T/13275/fd/12abc" && mkdir "$T/13275/fd/sub"

"$PROCIMAGE" resource -p 13275 --proc-root "$T" -d 300ms -i 100ms -f json >"$TMP/r.json" 2>"$TMP/err" ||
	fail "resource exited $?: $(cat "$TMP/err")"
python3 - "$TMP/r.json" "$T" <<'PY' || fail "resource over a foreign tree"
import json, sys
d = json.load(open(sys.argv[1], "rb"))
src = d["sources"]
live = [s for s in ("taskstats", "connector", "audit", "kmsg", "cgroup", "ptrace")
        if s in src and src[s]["status"] != "unavailable"]
assert not live, {s: src[s] for s in live}
for s in ("taskstats", "cgroup"):
    if s in src:
        assert "--proc-root" in src[s]["reason"] and sys.argv[2] in src[s]["reason"], src[s]
t = [t for t in d["tasks"] if t["pid"] == 13275]
assert t, d["tasks"]
print("fds", t[0]["fds"], "sources", {s: v["status"] for s, v in src.items()})
assert t[0]["fds"] == 3, t[0]["fds"]
PY
ok "resource: live sources unavailable with the reason; fd/ junk is not counted (3 fds)"

"$PROCIMAGE" doctor --proc-root "$T" -f json >"$TMP/d.json" || fail "doctor exited $?"
python3 - "$TMP/d.json" <<'PY' || fail "doctor over a foreign tree"
import json, sys
d = json.load(open(sys.argv[1], "rb"))
s = d["sources"]
assert s["procfs"]["status"] != "ok", s["procfs"]
assert "not visible" in s["procfs"]["reason"], s["procfs"]
for n in ("taskstats", "connector", "audit", "kmsg", "cgroup"):
    assert s[n]["status"] == "unavailable" and "--proc-root" in s[n]["reason"], s[n]
print("procfs:", s["procfs"]["status"], "-", s["procfs"]["impact"])
PY
ok "doctor --proc-root: procfs not ok without its own process; live sources unavailable"

# The live /proc named explicitly is still the live /proc.
"$PROCIMAGE" resource -p $$ --proc-root /proc -d 200ms -f json >"$TMP/l.json" 2>"$TMP/err" ||
	fail "resource --proc-root /proc exited $?: $(cat "$TMP/err")"
assert_eq "$(jget "$TMP/l.json" 'd["sources"]["procfs"]["status"] == "ok" and "--proc-root" not in d["sources"].get("taskstats", {}).get("reason", "")')" True "--proc-root /proc: the live sources are used"
