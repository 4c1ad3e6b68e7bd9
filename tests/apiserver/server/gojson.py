"""JSON in and out the way Go's encoding/json does it (error texts, escaping, indentation)."""

import json

from .gotypes import loads


class JSONSyntaxError(Exception):
    pass


def go_quote_char(c):
    if c == "'":
        return "'\\''"
    if c == '"':
        return "'\"'"
    if 0x20 <= ord(c) < 0x7f:
        return "'%s'" % c
    return "'%s'" % json.dumps(c)[1:-1] if ord(c) < 0x10000 else "'%s'" % c


def _context(text, pos):
    """Innermost open container before `pos`: '{', '[' or ''."""
    stack, in_str, esc = [], False, False
    for ch in text[:pos]:
        if in_str:
            if esc:
                esc = False
            elif ch == '\\':
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in '{[':
            stack.append(ch)
        elif ch in '}]' and stack:
            stack.pop()
    return stack[-1] if stack else ''


def parse(data):
    """Parse JSON bytes/str; raise JSONSyntaxError with Go's message."""
    text = data.decode('utf-8', 'replace') if isinstance(data, (bytes, bytearray)) else data
    try:
        return loads(text)
    except json.JSONDecodeError as e:
        pos = e.pos
        if pos >= len(text.rstrip()) or e.msg.startswith('Unterminated'):
            raise JSONSyntaxError('unexpected end of JSON input')
        c = go_quote_char(text[pos])
        if e.msg.startswith('Expecting value'):
            raise JSONSyntaxError('invalid character %s looking for beginning of value' % c)
        if e.msg.startswith("Expecting ',' delimiter"):
            where = 'after object key:value pair' if _context(text, pos) == '{' else 'after array element'
            raise JSONSyntaxError('invalid character %s %s' % (c, where))
        if e.msg.startswith("Expecting ':' delimiter"):
            raise JSONSyntaxError('invalid character %s after object key' % c)
        if e.msg.startswith('Expecting property name'):
            raise JSONSyntaxError('invalid character %s looking for beginning of object key string' % c)
        if e.msg.startswith('Extra data'):
            raise JSONSyntaxError('invalid character %s after top-level value' % c)
        if e.msg.startswith('Invalid control character'):
            raise JSONSyntaxError('invalid character %s in string literal' % c)
        raise JSONSyntaxError('invalid character %s looking for beginning of value' % c)


def dumps(obj, pretty=False):
    """Compact JSON plus '\\n' (or 2-space indented), escaping like Go (<, >, & as \\u003c...)."""
    if pretty:
        s = json.dumps(obj, indent=2, ensure_ascii=False, separators=(',', ': '))
    else:
        s = json.dumps(obj, ensure_ascii=False, separators=(',', ':'))
    s = s.replace('<', '\\u003c').replace('>', '\\u003e').replace('&', '\\u0026')
    s = s.replace('\u2028', '\\u2028').replace('\u2029', '\\u2029')
    return (s + '\n').encode('utf-8')
