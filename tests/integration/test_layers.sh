#!/bin/bash
# unprivileged
# once
# The layers point one way (docs/ARCHITECTURE.md): no file in src/core/
# includes a header of cli/, sources/, images/ or render/, and no file in
# src/sources/ or src/render/ decides by a command's or an image's name (it
# is given policy fields and data instead). Each offence is printed as
# file:line. KNOWN lists the includes not yet moved out of core: the test
# also fails when one of them is gone, so the list stays true and only shrinks.
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || fail "no $ROOT"
KNOWN=''

bad=0
# 1. core includes nothing above it.
while IFS= read -r hit; do
	[ -n "$hit" ] || continue
	file=${hit%%:*} rest=${hit#*:} text=${rest#*:}
	if grep -qxF "$file:$text" <<<"$KNOWN"; then
		continue
	fi
	echo "core includes an upper layer: $hit"
	bad=1
done < <(grep -nE '^#include "(cli|sources|images|render)/' src/core/*.[ch])
while IFS= read -r k; do
	[ -n "$k" ] || continue
	file=${k%%:*} text=${k#*:}
	grep -qxF "$text" "$file" ||
		{ echo "KNOWN in $0 is stale: $file no longer has $text (remove the line)"; bad=1; }
done <<<"$KNOWN"

# 2. sources and render decide by no command or image name: no image lookup,
#    no comparison with the command, no strcmp against a command/image name.
names='sched|resource|keytime|syscall|migrate|exits|stacks|triage|watch|record|report|doctor|explain|sys-cost'
while IFS= read -r hit; do
	[ -n "$hit" ] || continue
	echo "names a command or an image: $hit"
	bad=1
done < <(grep -nE "image_find\(|image_at\(|run_image\(|[>.]cmd\b[^_]|strn?cmp\([^;]*\"($names)\"" \
	src/sources/*.[ch] src/render/*.[ch] | grep -v 'genlmsghdr')

[ "$bad" = 0 ] || fail "a layer reaches upward (see the lines above)"
ok "core includes no upper layer beyond KNOWN; sources and render name no command or image"
