#!/bin/bash
# once
# unprivileged
# `procimage COMMAND --help` is the source of truth for commands, options and
# formats; the man page and the bash completion must say the same:
#  - every command of `procimage --help` has a section in the man page and is
#    completed as the first word;
#  - every option a command's --help names is in its man section (or the
#    TARGETS / COMMON OPTIONS sections), and the completion offers exactly
#    those options (plus -h/--help) for that command;
#  - the -f formats of a command are the same in --help, the man page and
#    the completion; watch's metrics are all in the man page's rule syntax;
#  - README.md's synopsis of each command names no option --help lacks.
. "$(dirname "$0")/lib.sh"

MAN="$ROOT/contrib/procimage.1" COMP="$ROOT/contrib/procimage.bash-completion"
[ -f "$MAN" ] && [ -f "$COMP" ] || fail "contrib files missing"
bash -n "$COMP" || fail "completion syntax"
cmds=$("$PROCIMAGE" --help | sed -n -E 's/^  ([a-z][a-z-]+) .*/\1/p')
[ "$(echo "$cmds" | wc -l)" -ge 10 ] || fail "procimage --help lists too few commands: $cmds"
mkdir -p "$TMP/comp"
for c in $cmds sched-image; do
	"$PROCIMAGE" "$c" --help >"$TMP/comp/$c.help" 2>&1 || fail "$c --help exited non-zero"
done
# One bash loads the completion once and asks it, as TAB would, for the
# first word, each command's options and each command's -f values.
bash -s "$COMP" "$PROCIMAGE" "$TMP/comp" $cmds sched-image <<'EOF' || fail "the completion failed"
. /usr/share/bash-completion/bash_completion 2>/dev/null
. "$1"
prog=$2 dir=$3
shift 3
ask() { # WORDS...: the candidates for the last word
	COMP_WORDS=("$prog" "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_procimage
	printf '%s\n' "${COMPREPLY[@]}"
}
ask '' | sort -u >"$dir/first"
for c in "$@"; do
	{ ask "$c" -; ask "$c" --; } | sort -u >"$dir/$c.opts"
	ask "$c" -f '' | sort -u >"$dir/$c.formats"
done
EOF
for c in $cmds; do grep -qx "$c" "$TMP/comp/first" || fail "completion does not offer command $c"; done
ok "completion offers the $(echo $cmds | wc -w) commands"

python3 - "$MAN" "$TMP/comp" $cmds sched-image <<'PY' || fail "help, man page and completion disagree"
import re, sys
man_path, d, cmds = sys.argv[1], sys.argv[2], sys.argv[3:]
raw = open(man_path).read()
# roff to plain words: \- is -, \f? font changes go, quotes and \(xx go.
man = re.sub(r'\\f[BIRP]', '', raw).replace('\\-', '-')
man = re.sub(r'\\\(..', ' ', man).replace('"', ' ')
sections, cur = {}, None
for line in man.splitlines():
    m = re.match(r'\.(SH|SS) "?([^"]*)"?', line)
    if m:
        cur = m.group(2).split()[0] if m.group(1) == 'SS' else m.group(2).strip()
        sections.setdefault(cur, '')
        continue
    if cur:
        sections[cur] += line + '\n'
shared = sections.get('TARGETS', '') + sections.get('COMMON OPTIONS', '')
OPT = re.compile(r'(?:^|(?<=[][ (|,]))(--[a-z][a-z0-9-]*|-[a-zA-Z])\b', re.M)
FMT = re.compile(r'-f[ ,]+(?:--format +)?((?:[a-z]+\|)+[a-z]+)')
def formats_of(text):
    m = FMT.search(text)
    if m:
        return set(m.group(1).split('|'))
    m = re.search(r'--format FMT +([^(\n]*)', text)
    if m:
        return set(re.split(r',\s*|\s+or\s+|\s+', m.group(1).strip())) - {''}
    return set()
bad = []
for c in cmds:
    help_text = open(f'{d}/{c}.help').read()
    want = set(OPT.findall(help_text))
    if c == 'sched-image':
        sec = sections.get('DIAGNOSE-TOOLS COMPATIBILITY', '')
    else:
        sec = sections.get(c)
        if sec is None:
            bad.append(f'man page: no section for command {c}')
            continue
    words = set(OPT.findall(sec + shared))
    for o in sorted(want - words):
        bad.append(f'man page: {c} {o} is in --help but not in the man page')
    comp = set(open(f'{d}/{c}.opts').read().split())
    if comp != want | {'-h', '--help'}:
        bad.append(f'completion: {c}: missing {sorted(want - comp)}, extra {sorted(comp - want - {"-h", "--help"})}')
    fh = formats_of(help_text)
    fc = set(open(f'{d}/{c}.formats').read().split())
    if fh != fc:
        bad.append(f'completion: {c} -f offers {sorted(fc)}, --help says {sorted(fh)}')
    if c != 'sched-image' and fh:
        fm = formats_of(sec)
        if fm != fh:
            bad.append(f'man page: {c} -f lists {sorted(fm)}, --help says {sorted(fh)}')
    print(f'ok: {c}: {len(want)} options, formats {sorted(fh) or "none"}')
# Watch's rule metrics, as --help lists them, are in the man page's rule syntax.
wh = open(f'{d}/watch.help').read()
m = re.search(r'metrics: (.*?)\n\n', wh, re.S)
metrics = set(re.findall(r'\b[a-z][a-z0-9_]+\b', re.sub(r'\(.*?\)', ' ', m.group(1), flags=re.S))) if m else set()
metrics -= {'per', 'process', 'host', 'a', 'rule', 'captures', 'the', 'top', 'only'}
if len(metrics) < 15:
    bad.append(f'could not read the metrics from watch --help: {sorted(metrics)}')
rules = sections.get('WATCH RULES', '')
for x in sorted(metrics):
    if not re.search(r'\b' + re.escape(x) + r'\b', rules):
        bad.append(f'man page: watch metric {x} missing from WATCH RULES')
print(f'ok: watch: {len(metrics)} rule metrics')
# README.md: each command's synopsis (the first code block under its
# "### procimage CMD" heading) names only options its --help names, and the
# same -f formats.
readme = open(man_path.replace('contrib/procimage.1', 'README.md')).read()
for c in cmds:
    m = re.search(r'^### procimage %s\b.*?\n```\n(.*?)```' % re.escape(c), readme, re.S | re.M)
    if not m:
        if c != 'sched-image':
            bad.append(f'README: no synopsis for {c}')
        continue
    syn, help_text = m.group(1), open(f'{d}/{c}.help').read()
    extra = set(OPT.findall(syn)) - set(OPT.findall(help_text))
    if extra:
        bad.append(f'README: {c} synopsis has {sorted(extra)}, not in --help')
    fs, fh = formats_of(syn), formats_of(help_text)
    if fs and fs != fh:
        bad.append(f'README: {c} synopsis -f {sorted(fs)}, --help says {sorted(fh)}')
for b in bad:
    print('DRIFT:', b)
sys.exit(1 if bad else 0)
PY
ok "--help, man page and completion agree"
