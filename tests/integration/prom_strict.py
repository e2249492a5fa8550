"""The Prometheus text exposition format, checked line by line more strictly
than prometheus_client's parser does: every sample inside its own family's
TYPE block, families contiguous, no duplicate series, a final newline.
Shared by the integration tests (import it from the tests' directory)."""
import re

_NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
_LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
LINE = re.compile(r'^(%s)(\{(%s)(,%s)*\})? ([-+]?(?:[0-9.]+(?:[eE][-+]?[0-9]+)?|NaN|[-+]Inf))$'
                   % (_NAME, _LABEL, _LABEL))


def check(text):
    """Assert text is well-formed; return the set of (name, labels) series."""
    assert text.endswith('\n'), 'no final newline'
    fams, cur, seen = set(), None, set()
    for i, l in enumerate(text.splitlines(), 1):
        if l.startswith('# HELP '):  # the family's description, before its samples
            f = l.split()[2]
            assert re.fullmatch(_NAME, f) and f not in fams, 'line %d: HELP of %s' % (i, f)
            continue
        if l.startswith('# TYPE '):
            f = l.split()[2]
            assert f not in fams, 'line %d: family %s not contiguous' % (i, f)
            fams.add(f)
            cur = f
            continue
        m = LINE.match(l)
        assert m, 'line %d: bad sample %r' % (i, l)
        assert m.group(1) == cur, 'line %d: %s outside its TYPE block' % (i, m.group(1))
        assert (m.group(1), m.group(2)) not in seen, 'line %d: duplicate series' % i
        seen.add((m.group(1), m.group(2)))
    return seen
