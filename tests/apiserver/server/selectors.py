"""labelSelector and fieldSelector parsing and matching, with apimachinery's error messages."""

from . import validation
from .errors import bad_request
from .resources import KNOWN_STYLE

_SPECIAL = set(' \t\n\r,=!()')
BINARY_OPS = 'in, notin, =, ==, !=, gt, lt'


class SelectorError(Exception):
    pass


def _lex(s):
    """Tokens as (kind, literal); kinds: id, op, ',', '(', ')', 'end'."""
    toks = []
    i = 0
    while i < len(s):
        c = s[i]
        if c in ' \t\n\r':
            i += 1
            continue
        if c in ',()':
            toks.append((c, c))
            i += 1
            continue
        if c in '=!':
            for op in ('==', '!=', '=', '!'):
                if s.startswith(op, i):
                    toks.append(('op', op))
                    i += len(op)
                    break
            continue
        j = i
        while j < len(s) and s[j] not in _SPECIAL:
            j += 1
        toks.append(('id', s[i:j]))
        i = j
    toks.append(('end', ''))
    return toks


def parse_labels(s):
    """A list of (key, op, values); raises SelectorError with the apiserver's message."""
    toks = _lex(s)
    pos = 0
    reqs = []

    def peek():
        return toks[pos]

    def take():
        nonlocal pos
        t = toks[pos]
        pos = min(pos + 1, len(toks) - 1)
        return t

    def requirement():
        kind, lit = take()
        neg = False
        if kind == 'op' and lit == '!':
            neg = True
            kind, lit = take()
        if kind != 'id':
            raise SelectorError("found '%s', expected: identifier" % lit)
        key = lit
        msgs = validation.qualified_name(key)
        if msgs:
            raise SelectorError('key: Invalid value: "%s": %s' % (key, '; '.join(msgs)))
        if neg:
            return (key, '!', [])
        if peek()[0] in ('end', ','):
            return (key, 'exists', [])
        kind, lit = take()
        if kind == 'op' and lit in ('=', '==', '!='):
            op = lit
        elif kind == 'id' and lit in ('in', 'notin', 'gt', 'lt'):
            op = lit
        else:
            raise SelectorError("found '%s', expected: %s" % (lit, BINARY_OPS))
        if op in ('in', 'notin'):
            kind, lit = take()
            if kind != '(':
                raise SelectorError("found '%s', expected: '('" % lit)
            values = []
            while True:
                kind, lit = take()
                if kind == ')':
                    if not values:
                        values.append('')
                    break
                if kind == 'id':
                    values.append(lit)
                    kind, lit = take()
                    if kind == ')':
                        break
                    if kind != ',':
                        raise SelectorError("found '%s', expected: ',' or ')'" % lit)
                elif kind == ',':
                    values.append('')
                else:
                    raise SelectorError("found '%s', expected: ',', or identifier" % lit)
        else:
            if peek()[0] in ('end', ','):
                values = ['']
            else:
                kind, lit = take()
                if kind != 'id':
                    raise SelectorError("found '%s', expected: identifier" % lit)
                values = [lit]
        if op in ('gt', 'lt'):
            try:
                int(values[0])
            except ValueError:
                raise SelectorError('for \'Gt\', \'Lt\' operators, the value must be an integer')
        for v in values if op not in ('gt', 'lt') else []:
            msgs = validation.label_value(v)
            if msgs:
                raise SelectorError('values[0][%s]: Invalid value: "%s": %s' % (key, v, '; '.join(msgs)))
        return (key, op, values)

    while True:
        kind, lit = peek()
        if kind == 'end':
            break
        if kind == 'id' or (kind == 'op' and lit == '!'):
            try:
                reqs.append(requirement())
            except SelectorError as e:
                raise SelectorError('unable to parse requirement: %s' % e)
            kind, lit = take()
            if kind == 'end':
                break
            if kind == ',':
                k2, l2 = peek()
                if not (k2 == 'id' or (k2 == 'op' and l2 == '!')):
                    raise SelectorError("found '%s', expected: identifier after ','" % l2)
                continue
            raise SelectorError("found '%s', expected: ',' or 'end of string'" % lit)
        raise SelectorError("found '%s', expected: !, identifier, or 'end of string'" % lit)
    return reqs


def labels_match(reqs, labels):
    labels = labels or {}
    for key, op, values in reqs:
        has = key in labels
        v = labels.get(key)
        if op in ('=', '==', 'in'):
            ok = has and v in values
        elif op in ('!=', 'notin'):
            ok = not has or v not in values
        elif op == 'exists':
            ok = has
        elif op == '!':
            ok = not has
        else:
            try:
                ok = has and (int(v) > int(values[0]) if op == 'gt' else int(v) < int(values[0]))
            except ValueError:
                ok = False
        if not ok:
            return False
    return True


def _split_unescaped(s, sep):
    parts, cur, i = [], '', 0
    while i < len(s):
        if s[i] == '\\' and i + 1 < len(s):
            cur += s[i:i + 2]
            i += 2
            continue
        if s[i] == sep:
            parts.append(cur)
            cur = ''
        else:
            cur += s[i]
        i += 1
    parts.append(cur)
    return parts


def _unescape(v):
    out, i = '', 0
    while i < len(v):
        if v[i] == '\\' and i + 1 < len(v):
            out += v[i + 1]
            i += 2
        else:
            out += v[i]
            i += 1
    return out


def parse_fields(s, res):
    """A list of (field, op, value) checked against what `res` supports (400 otherwise)."""
    terms = []
    if not s:
        return terms
    for part in _split_unescaped(s, ','):
        for op in ('!=', '==', '='):
            idx = _find_unescaped(part, op)
            if idx >= 0:
                terms.append((part[:idx], '!=' if op == '!=' else '=', _unescape(part[idx + len(op):])))
                break
        else:
            raise bad_request("invalid selector: '%s'; can't understand '%s'" % (s, part))
    for field, _, _ in terms:
        if field not in res.field_labels:
            if res.selector_style == KNOWN_STYLE:
                raise bad_request('"%s" is not a known field selector: only %s'
                                  % (field, ', '.join('"%s"' % f for f in res.field_labels)))
            raise bad_request('field label not supported: %s' % field)
    return terms


def _find_unescaped(s, op):
    i = 0
    while i < len(s):
        if s[i] == '\\':
            i += 2
            continue
        if s.startswith(op, i):
            if op == '=' and i > 0 and s[i - 1] in '!=':
                i += 1
                continue
            return i
        i += 1
    return -1


def field_value(res, obj, label):
    label = res.field_label_map.get(label, label)
    if label == 'metadata.name':
        return obj['metadata'].get('name', '')
    if label == 'metadata.namespace':
        return obj['metadata'].get('namespace', '')
    v = res.strategy.field_value(obj, label)
    return '' if v is None else v


def fields_match(terms, res, obj):
    for field, op, value in terms:
        v = field_value(res, obj, field)
        if (v == value) != (op == '='):
            return False
    return True


def parse_label_selector(s):
    try:
        return parse_labels(s or '')
    except SelectorError as e:
        raise bad_request(str(e))
