#!/bin/bash
# once
# unprivileged
# The command table (src/cli/command_table.c, printed by the hidden
# `procimage --list-commands`) is the source of truth for commands, their
# aliases and their -f formats; each command's --help for its options. The
# rest must say the same:
#  - `procimage --help` lists the table's commands; the man page has a
#    section for each (the compat tools and their dashed aliases are in
#    DIAGNOSE-TOOLS COMPATIBILITY); the completion offers them and their
#    dashed aliases, and nothing else, as the first word; an alias's --help
#    is its command's;
#  - every option a command's --help names is in its man section (or the
#    TARGETS / COMMON OPTIONS sections) and the other way round, and the
#    completion offers exactly those options (plus -h/--help) for that
#    command;
#  - the -f formats of each command in its --help, its man section, the
#    completion (for the command and each alias) and README.md's format
#    matrix are the table's; the completion offers report the table's
#    images; watch's metrics are all in the man page's rule syntax;
#  - README.md's synopsis of each command names no option --help lacks.
. "$(dirname "$0")/lib.sh"

MAN="$ROOT/contrib/procimage.1" COMP="$ROOT/contrib/procimage.bash-completion"
[ -f "$MAN" ] && [ -f "$COMP" ] || fail "contrib files missing"
bash -n "$COMP" || fail "completion syntax"
mkdir -p "$TMP/comp"
"$PROCIMAGE" --list-commands >"$TMP/comp/table" || fail "--list-commands exited non-zero"
[ "$(wc -l <"$TMP/comp/table")" -ge 10 ] || fail "the table has too few rows: $(cat "$TMP/comp/table")"
# every name and alias the table answers to
names=$(awk -F '\t' '{ print $1; if ($4 != "-") { gsub(",", "\n", $4); print $4 } }' "$TMP/comp/table")
cmds=$("$PROCIMAGE" --help | sed -n -E 's/^  ([a-z][a-z-]+) .*/\1/p')
want=$(awk -F '\t' '("," $3 ",") !~ /,compat,/ { print $1 }' "$TMP/comp/table")
[ "$cmds" = "$want" ] || fail "procimage --help lists $(echo $cmds); the table: $(echo $want)"
for c in $names; do
	"$PROCIMAGE" "$c" --help >"$TMP/comp/$c.help" 2>&1 || fail "$c --help exited non-zero"
done
# One bash loads the completion once and asks it, as TAB would, for the
# first word, each name's options and -f values, and report's images.
bash -s "$COMP" "$PROCIMAGE" "$TMP/comp" $names <<'EOF' || fail "the completion failed"
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
ask report x.db '' | sort -u >"$dir/images"
for c in "$@"; do
	{ ask "$c" -; ask "$c" --; } | sort -u >"$dir/$c.opts"
	ask "$c" -f '' | sort -u >"$dir/$c.formats"
done
EOF

python3 - "$MAN" "$TMP/comp" <<'PY' || fail "the table, --help, man page, completion and README disagree"
import re, sys
man_path, d = sys.argv[1], sys.argv[2]
readme = open(man_path.replace('contrib/procimage.1', 'README.md')).read()
rows = {}  # name -> (formats, flags, aliases), in table order
for line in open(f'{d}/table'):
    name, fm, fl, al = line.rstrip('\n').split('\t')
    rows[name] = tuple(set() if v == '-' else set(v.split(',')) for v in (fm, fl, al))
compat = [c for c in rows if 'compat' in rows[c][1]]
cmds = [c for c in rows if c not in compat]
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
compat_sec = sections.get('DIAGNOSE-TOOLS COMPATIBILITY', '')
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
def readf(name):
    return open(f'{d}/{name}').read()
bad = []
dashed = {a for c in rows for a in rows[c][2] if '_' not in a}
first = set(readf('first').split())
if first != set(rows) | dashed | {'help', '-h', '--help', '--version'}:
    bad.append(f'completion: first word offers {sorted(first)}')
# report replays every image, and the rows marked replayed (triage)
images = {c for c in rows if 'image' in rows[c][1] or 'replayed' in rows[c][1]}
if set(readf('images').split()) != images:
    bad.append(f'completion: report offers images {readf("images").split()}, the table {sorted(images)}')
for c in rows:
    fmts, flags, aliases = rows[c]
    help_text = readf(f'{c}.help')
    want = set(OPT.findall(help_text))
    if c in compat:
        sec = compat_sec
        for n in {c} | (aliases & dashed):
            if not re.search(r'\b' + re.escape(n) + r'\b', sec):
                bad.append(f'man page: {n} is not in DIAGNOSE-TOOLS COMPATIBILITY')
    else:
        sec = sections.get(c)
        if sec is None:
            bad.append(f'man page: no section for command {c}')
            continue
    words = set(OPT.findall(sec + shared))
    for o in sorted(want - words):
        bad.append(f'man page: {c} {o} is in --help but not in the man page')
    if c not in compat:
        for o in sorted(set(OPT.findall(sec)) - want - set(OPT.findall(shared))):
            bad.append(f'man page: {c} {o} is in its section but not in --help')
    for n in [c] + sorted(aliases):
        if readf(f'{n}.help') != help_text:
            bad.append(f'{n} --help is not {c} --help')
        comp = set(readf(f'{n}.opts').split())
        if comp != want | {'-h', '--help'}:
            bad.append(f'completion: {n}: missing {sorted(want - comp)}, extra {sorted(comp - want - {"-h", "--help"})}')
        fc = set(readf(f'{n}.formats').split())
        if fc != fmts:
            bad.append(f'completion: {n} -f offers {sorted(fc)}, the table {sorted(fmts)}')
    fh = formats_of(help_text)
    if fh != fmts:
        bad.append(f'--help: {c} -f lists {sorted(fh)}, the table {sorted(fmts)}')
    fm = formats_of(sec)
    if fm != fmts:
        bad.append(f'man page: {c} -f lists {sorted(fm)}, the table {sorted(fmts)}')
    print(f'ok: {c}: {len(want)} options, formats {sorted(fmts) or "none"}')
# README's format matrix: one row per command (a first cell of
# "cmd ARGS, cmd ARGS"); a cell is ✓ (every command of the row) or
# "(cmd ...)" (that command alone).
m = re.search(r'^\| command \|(.*)\|\n\|[-|]+\|\n((?:\|.*\n)+)', readme, re.M)
if not m:
    bad.append('README: no format matrix ("| command | text | ...")')
else:
    cols = [x.strip() for x in m.group(1).split('|')]
    seen = {}
    for line in m.group(2).splitlines():
        cells = [x.strip() for x in line.strip().strip('|').split('|')]
        who = [w.split()[0] for w in cells[0].split(',')]
        for w in who:
            seen.setdefault(w, set())
        for fmt, cell in zip(cols, cells[1:]):
            if cell == '✓':
                for w in who:
                    seen[w].add(fmt)
            elif cell.startswith('(') and cell[1:].split()[0] in who:
                seen[cell[1:].split()[0]].add(fmt)
    for c in cmds:
        if c not in seen:
            bad.append(f'README: format matrix has no row for {c}')
        elif seen[c] != rows[c][0]:
            bad.append(f'README: format matrix gives {c} {sorted(seen[c])}, the table {sorted(rows[c][0])}')
    for w in sorted(set(seen) - set(cmds)):
        bad.append(f'README: format matrix has a row for {w}, not a command')
# Watch's rule metrics, as --help lists them, are in the man page's rule syntax.
wh = readf('watch.help')
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
for c in rows:
    m = re.search(r'^### procimage %s\b.*?\n```\n(.*?)```' % re.escape(c), readme, re.S | re.M)
    if not m:
        if c not in compat:
            bad.append(f'README: no synopsis for {c}')
        continue
    syn, help_text = m.group(1), readf(f'{c}.help')
    extra = set(OPT.findall(syn)) - set(OPT.findall(help_text))
    if extra:
        bad.append(f'README: {c} synopsis has {sorted(extra)}, not in --help')
    fs = formats_of(syn)
    if fs and fs != rows[c][0]:
        bad.append(f'README: {c} synopsis -f {sorted(fs)}, the table {sorted(rows[c][0])}')
# The compat section names no option that none of the tools' --help has.
helps = set().union(*(OPT.findall(readf(f'{c}.help')) for c in compat)) if compat else set()
for o in sorted(set(OPT.findall(compat_sec)) - helps - set(OPT.findall(shared))):
    bad.append(f'man page: DIAGNOSE-TOOLS COMPATIBILITY has {o}, no compat --help does')
for b in bad:
    print('DRIFT:', b)
sys.exit(1 if bad else 0)
PY
ok "the table, --help, man page, completion and README agree ($(wc -l <"$TMP/comp/table") rows)"
