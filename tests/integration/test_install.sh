#!/bin/bash
# once
# unprivileged
# make install into a temp DESTDIR with PREFIX=/usr: every file is where the
# GNU/systemd/bash-completion conventions put it, the units name the
# installed paths (no /usr/local left), systemd-analyze verify accepts them
# (when it exists), the installed binary runs, and make uninstall leaves
# nothing behind. A second install into PREFIX=/opt/pi checks the paths follow
# PREFIX.
. "$(dirname "$0")/lib.sh"

cd "$ROOT" || fail "no source tree"
B=${BUILD_DIR:-build} D="$TMP/dest"
# The suite's build: the binary is up to date, install only adds the
# generated contrib files to it.
mk() { make -s BUILD="$B" "$@" >"$TMP/make.log" 2>&1 || fail "make $*: $(tail -5 "$TMP/make.log")"; }
mk install DESTDIR="$D" PREFIX=/usr

unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
unitdir=${unitdir:-/usr/lib/systemd/system}
compdir=$(pkg-config --variable=completionsdir bash-completion 2>/dev/null)
compdir=${compdir:-/usr/share/bash-completion/completions}
units="procimage-record.service procimage-report.service procimage-report.timer
	procimage-watch.service procimage-audit-boot.service"
want="/usr/bin/procimage /usr/share/man/man1/procimage.1 $compdir/procimage
	/usr/libexec/procimage/procimage-hourly-report /etc/procimage/watch.rules
	/usr/share/doc/procimage/README.md /usr/share/doc/procimage/examples/watch.rules
	/usr/share/doc/procimage/examples/procimage.cron"
for u in $units; do want="$want $unitdir/$u"; done
for f in $want; do [ -f "$D$f" ] || fail "not installed: $f"; done
n_want=$(echo $want | wc -w)
n_have=$(find "$D" -type f | wc -l)
[ "$n_have" = "$n_want" ] || fail "installed $n_have files, expected $n_want: $(find "$D" -type f)"
ok "install: all $n_want files in place"
[ -x "$D/usr/bin/procimage" ] && [ -x "$D/usr/libexec/procimage/procimage-hourly-report" ] ||
	fail "binary or script not executable"
"$D/usr/bin/procimage" --version >/dev/null || fail "the installed binary does not run"
# Paths substituted: nothing names /usr/local or an unreplaced @VAR@.
bad=$(grep -l -e /usr/local -e '@[A-Z]*@' "$D$unitdir"/procimage-* "$D"/usr/libexec/procimage/* \
	"$D"/usr/share/doc/procimage/examples/procimage.cron)
[ -z "$bad" ] || fail "not substituted in: $bad"
grep -q '^ExecStart=/usr/libexec/procimage/procimage-hourly-report$' "$D$unitdir/procimage-report.service" ||
	fail "report unit does not run the installed script"
grep -q 'exec /usr/bin/procimage record' "$D$unitdir/procimage-record.service" || fail "record unit binary"
grep -q -- '--rules-file /etc/procimage/watch.rules' "$D$unitdir/procimage-watch.service" ||
	fail "watch unit rules path"
grep -q 'PROCIMAGE:-/usr/bin/procimage' "$D/usr/libexec/procimage/procimage-hourly-report" ||
	fail "hourly script default binary"
man -l "$D/usr/share/man/man1/procimage.1" >/dev/null 2>&1 || fail "installed man page does not render"
bash -n "$D$compdir/procimage" || fail "installed completion syntax"
ok "units, script and cron file name the installed paths"

if command -v systemd-analyze >/dev/null; then
	# verify looks up every ExecStart and dependency under --root: a copy of
	# the installed tree plus the host's shell, kill and targets.
	V="$TMP/verify"
	cp -a "$D" "$V"
	mkdir -p "$V/bin" "$V/usr/lib/systemd/system"
	cp /bin/sh /bin/kill "$V/bin/"
	cp -a /lib/systemd/system/*.target "$V/usr/lib/systemd/system/" 2>/dev/null ||
		cp -a /usr/lib/systemd/system/*.target "$V/usr/lib/systemd/system/"
	paths=()
	for u in $units; do paths+=("$V$unitdir/$u"); done
	systemd-analyze verify --man=no --root="$V" "${paths[@]}" >"$TMP/verify.log" 2>&1 ||
		fail "systemd-analyze verify: $(cat "$TMP/verify.log")"
	ok "systemd-analyze verify: the $(echo $units | wc -w) units"
else
	echo "SKIP (check only): systemd-analyze not installed: units not verified"
fi

# An admin's own rules survive uninstall; ours go.
mk uninstall DESTDIR="$D" PREFIX=/usr
left=$(find "$D" -type f)
[ -z "$left" ] || fail "left after uninstall: $left"
ok "uninstall removed every file"
mk install DESTDIR="$D" PREFIX=/usr
echo "cpu>50%" >"$D/etc/procimage/watch.rules"
mk uninstall DESTDIR="$D" PREFIX=/usr
[ "$(cat "$D/etc/procimage/watch.rules" 2>/dev/null)" = "cpu>50%" ] || fail "uninstall removed edited rules"
[ "$(find "$D" -type f | wc -l)" = 1 ] || fail "left after uninstall: $(find "$D" -type f)"
ok "uninstall keeps rules the admin changed"

# PREFIX is followed: /opt/pi puts everything under it (units in its lib/systemd).
rm -rf "$D"
mk install DESTDIR="$D" PREFIX=/opt/pi
out=$(find "$D" -type f | sed "s|^$D||" | grep -v '^/opt/pi/')
[ -z "$out" ] || fail "outside PREFIX: $out"
grep -q 'exec /opt/pi/bin/procimage record' "$D/opt/pi/lib/systemd/system/procimage-record.service" ||
	fail "PREFIX not substituted in the record unit"
mk uninstall DESTDIR="$D" PREFIX=/opt/pi
[ -z "$(find "$D" -type f)" ] || fail "left after uninstall (/opt/pi): $(find "$D" -type f)"
ok "PREFIX=/opt/pi: installed under it, uninstalled"
