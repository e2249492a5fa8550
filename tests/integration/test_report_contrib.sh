#!/bin/bash
# unprivileged
# contrib/: the hourly report script on a recording named as the service
# names them: a prom file for node_exporter and an HTML page appear; the
# systemd units and the cron line name binaries and options that exist.
. "$(dirname "$0")/lib.sh"

D="$TMP/lib" X="$TMP/textfile"; mkdir -p "$D" "$X"
sleep 30 & S=$!; on_exit "kill $S"
"$PROCIMAGE" record -o "$D/record-20260101T000000.db" -p $S -d 1s -i 100ms || fail "record"
PROCIMAGE="$PROCIMAGE" PROCIMAGE_DIR="$D" TEXTFILE_DIR="$X" IMAGES=resource \
	sh "$ROOT/contrib/procimage-hourly-report.in" || fail "hourly report script"
[ -s "$X/procimage.prom" ] || fail "no prom file"
grep -q "^procimage_resource_tasks_rss_bytes{pid=\"$S\"" "$X/procimage.prom" || fail "prom lacks the task"
ls "$D"/report-*.html >/dev/null 2>&1 || fail "no HTML report"
grep -q '<svg' "$D"/report-*.html || fail "HTML without charts"
ok "hourly report: prom + html"
# The options the units and the cron line use are accepted by this build.
for f in "$ROOT/contrib/procimage-record.service.in" "$ROOT/contrib/procimage.cron.in"; do
	grep -q -- "record -a -i 1s --max-size 1G --max-age 24h -o" "$f" || fail "$f: record line changed"
done
"$PROCIMAGE" record -a -i 1s --max-size 1G --max-age 24h -o "$TMP/x.db" -d 1500ms || fail "the units' record options"
bash -n "$ROOT/contrib/procimage.bash-completion" || fail "completion syntax"
if command -v man >/dev/null; then
	man -l "$ROOT/contrib/procimage.1" 2>&1 >/dev/null | grep -i warn && fail "man page warnings"
fi
ok "contrib files consistent"
