"""A small model of Go's encoding/json over typed structs.

The real apiserver decodes every request body into Go structs and encodes them back. That round
trip is what gives responses their shape: field order (struct order), `omitempty`, `null` for nil
slices and zero times, sorted map keys, unknown fields dropped (or rejected in Strict mode) and the
exact "json: cannot unmarshal ..." errors. Modelling the types lets one `normalize` pass reproduce
all of it instead of special-casing each kind.

A type's `normalize(value, ctx, path)` returns the *encoded* JSON form (what Go would print after
decoding `value`), or the marker OMIT when an omitempty field disappears.
"""

import datetime
import json
import marshal
import re


class DecodeError(Exception):
    """A body that Go's decoder rejects (the apiserver answers 400)."""


class GoFloat(float):
    """A JSON number that kept its literal text, so int fields can report `number 15.5`."""

    def __new__(cls, literal):
        obj = float.__new__(cls, literal)
        obj.literal = literal
        return obj


def loads(text):
    """json.loads that keeps number literals for Go-style type errors."""
    return json.loads(text, parse_float=GoFloat)


OMIT = object()


class Ctx:
    """Decoding context: collects unknown fields (dotted paths) like the strict decoder does."""

    def __init__(self):
        self.unknown = []


def json_kind(value):
    if isinstance(value, bool):
        return 'bool'
    if isinstance(value, (int, float)):
        return 'number'
    if isinstance(value, str):
        return 'string'
    if isinstance(value, list):
        return 'array'
    if isinstance(value, dict):
        return 'object'
    return 'null'


class NeedPath(Exception):
    """A leaf value decoded without its path failed: decode it again with the path, for the
    message. (Paths cost time to build and only errors read them.)"""


class GoType:
    go_name = '?'
    omit_zero = False   # whether `omitempty` drops the zero value of this type

    def type_error(self, value, path, what=None):
        if path is None:
            raise NeedPath()
        what = what or json_kind(value)
        struct, field = path.struct, '.'.join(path.fields)
        if struct:
            raise DecodeError('json: cannot unmarshal %s into Go struct field %s.%s of type %s'
                              % (what, struct, field, self.go_name))
        raise DecodeError('json: cannot unmarshal %s into Go value of type %s' % (what, self.go_name))

    def zero(self):
        return None

    def is_zero(self, encoded):
        return encoded is None


class Path:
    """Where the decoder is: the enclosing Go struct name, the JSON field names from the root (as
    Go's type errors print them) and the same path with list indexes (as unknown-field warnings
    print them, e.g. status.loadBalancer.ingress[0].ipMode). Built as a chain of links and
    spelled out only when an error or warning needs it (decoding itself never looks)."""
    __slots__ = ('parent', 'name', 'struct_name', 'idx')

    def __init__(self, parent=None, struct='', name=None, idx=None):
        self.parent, self.struct_name, self.name, self.idx = parent, struct, name, idx

    def field(self, struct, name):
        return Path(self, struct, name)

    def index(self, i):
        return Path(self, None, None, i)

    @property
    def struct(self):
        p = self
        while p.parent is not None and p.name is None:   # list elements keep their struct
            p = p.parent
        return p.struct_name if p.name is not None else ''

    @property
    def fields(self):
        if self.parent is None:
            return ()
        up = self.parent.fields
        return up + (self.name,) if self.name is not None else up

    @property
    def shown(self):
        if self.parent is None:
            return ()
        up = self.parent.shown
        if self.name is not None:
            return up + (self.name,)
        return up[:-1] + (up[-1] + '[%d]' % self.idx,) if up else ('[%d]' % self.idx,)


class _Str(GoType):
    go_name = 'string'

    def normalize(self, v, ctx, path):
        if v is None:
            return ''
        if not isinstance(v, str):
            self.type_error(v, path)
        return v

    def is_zero(self, e):
        return e == ''


class _Int(GoType):
    def __init__(self, bits):
        self.bits = bits
        self.go_name = 'int%d' % bits

    def normalize(self, v, ctx, path):
        if v is None:
            return 0
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.type_error(v, path)
        if isinstance(v, float):
            self.type_error(v, path, 'number ' + getattr(v, 'literal', repr(v)))
        lim = 1 << (self.bits - 1)
        if not -lim <= v < lim:
            self.type_error(v, path, 'number %d' % v)
        return v

    def is_zero(self, e):
        return e == 0


class _Bool(GoType):
    go_name = 'bool'

    def normalize(self, v, ctx, path):
        if v is None:
            return False
        if not isinstance(v, bool):
            self.type_error(v, path)
        return v

    def is_zero(self, e):
        return e is False


class _Float(GoType):
    go_name = 'float64'

    def normalize(self, v, ctx, path):
        if v is None:
            return 0
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.type_error(v, path)
        return v

    def is_zero(self, e):
        return e == 0


Str, Int32, Int64, Bool, Float64 = _Str(), _Int(32), _Int(64), _Bool(), _Float()


class _IntOrString(GoType):
    go_name = 'intstr.IntOrString'

    def normalize(self, v, ctx, path):
        if v is None:
            return 0
        if isinstance(v, str):
            return v
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.type_error(v, path)
        if isinstance(v, float):
            self.type_error(v, path, 'number ' + getattr(v, 'literal', repr(v)))
        return v

    def is_zero(self, e):
        return False   # a struct in Go: omitempty never drops it


IntOrString = _IntOrString()


class _Quantity(GoType):
    """resource.Quantity: kept as the canonical string form (no unit arithmetic)."""
    go_name = 'resource.Quantity'

    def normalize(self, v, ctx, path):
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise DecodeError('quantities must match the regular expression '
                              "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
        if isinstance(v, float):
            return getattr(v, 'literal', repr(v))
        return str(v)


Quantity = _Quantity()


class _Raw(GoType):
    """Free-form JSON (e.g. managedFields[].fieldsV1): kept as given."""
    go_name = 'json.RawMessage'

    def normalize(self, v, ctx, path):
        return v


Raw = _Raw()


# ----- times -----------------------------------------------------------------------------------

RFC3339 = '2006-01-02T15:04:05Z07:00'
RFC3339_MICRO = '2006-01-02T15:04:05.000000Z07:00'


def _go_time_parse(value, layout):
    """Parse `value` with one of the two Go layouts above; raise DecodeError with Go's message.

    Go walks the layout element by element and reports `cannot parse "<rest>" as "<element>"`.
    """
    micro = layout == RFC3339_MICRO
    elems = [('2006', 4), ('-', None), ('01', 2), ('-', None), ('02', 2), ('T', None), ('15', 2),
             (':', None), ('04', 2), (':', None), ('05', 2)]
    rest = value
    nums = []

    def fail(elem):
        raise DecodeError('parsing time %s as %s: cannot parse %s as %s'
                          % (go_quote(value), go_quote(layout), go_quote(rest), go_quote(elem)))

    for elem, width in elems:
        if width is None:
            if not rest.startswith(elem):
                fail(elem)
            rest = rest[len(elem):]
            continue
        digits = rest[:width]
        if len(digits) < width or not digits.isdigit():
            fail(elem)
        nums.append(int(digits))
        rest = rest[width:]
    micros = 0
    if micro:
        if len(rest) < 7 or rest[0] != '.' or not rest[1:7].isdigit():
            fail('.000000')
        micros = int(rest[1:7])
        rest = rest[7:]
    elif rest.startswith('.') and len(rest) > 1 and rest[1].isdigit():
        # Go accepts a fractional second even when the layout has none.
        m = re.match(r'\.(\d+)', rest)
        micros = int((m.group(1) + '000000')[:6])
        rest = rest[m.end():]
    if rest.startswith('Z'):
        offset = 0
        rest = rest[1:]
    else:
        m = re.match(r'([+-])(\d\d):(\d\d)', rest)
        if not m:
            fail('Z07:00')
        offset = (int(m.group(2)) * 60 + int(m.group(3))) * (1 if m.group(1) == '+' else -1)
        rest = rest[m.end():]
    if rest:
        raise DecodeError('parsing time %s: extra text: %s' % (go_quote(value), go_quote(rest)))
    year, month, day, hour, minute, sec = nums
    try:
        t = datetime.datetime(year, month, day, hour, minute, sec, micros,
                              tzinfo=datetime.timezone(datetime.timedelta(minutes=offset)))
    except ValueError:
        raise DecodeError('parsing time %s: day out of range' % go_quote(value))
    return t.astimezone(datetime.timezone.utc)


def go_quote(s):
    return json.dumps(s, ensure_ascii=False)


def format_time(t):
    return t.strftime('%Y-%m-%dT%H:%M:%SZ')


def format_micro(t):
    return t.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def now_time():
    return format_time(datetime.datetime.now(datetime.timezone.utc))


def now_micro():
    return format_micro(datetime.datetime.now(datetime.timezone.utc))


class _Time(GoType):
    """metav1.Time / MicroTime: a struct with its own MarshalJSON (zero -> null, never omitted)."""

    def __init__(self, micro):
        self.micro = micro
        self.go_name = 'v1.MicroTime' if micro else 'v1.Time'

    def normalize(self, v, ctx, path):
        if v is None:
            return None
        if not isinstance(v, str):
            self.type_error(v, path)
        # Every object carries the same few timestamps over and over: parse each text once.
        key = (v, self.micro)
        out = _TIMES.get(key)
        if out is None:
            t = _go_time_parse(v, RFC3339_MICRO if self.micro else RFC3339)
            out = format_micro(t) if self.micro else format_time(t)
            if len(_TIMES) > 10000:
                _TIMES.clear()
            _TIMES[key] = out
        return out

    def is_zero(self, e):
        return False   # omitempty never drops a struct


_TIMES = {}
Time, MicroTime = _Time(False), _Time(True)


# ----- composite types -------------------------------------------------------------------------

class Ptr(GoType):
    def __init__(self, elem):
        self.elem = elem
        self.go_name = '*' + elem.go_name

    def normalize(self, v, ctx, path):
        if v is None:
            return None
        return self.elem.normalize(v, ctx, path)

    def is_zero(self, e):
        return e is None


class F:
    """A struct field: JSON name, type, omitempty."""

    def __init__(self, name, typ, omit=False):
        self.name, self.typ, self.omit = name, typ, omit
        self._absent = None
        self.leaf = is_leaf(typ)

    def absent(self):
        """(skip, encoded value) for a field missing from the input: omitted, a shared scalar
        zero, or None when the zero is a fresh struct that must be built each time."""
        if self._absent is None:
            try:
                zero = self.typ.normalize(None, Ctx(), Path())
            except DecodeError:
                zero = []       # no zero value: decode it each time (and fail there)
            if zero is OMIT or (self.omit and self.typ.is_zero(zero)):
                self._absent = (True, None)
            elif isinstance(zero, (dict, list)):
                self._absent = (False, None)
            else:
                self._absent = (False, (zero,))
        return self._absent


class Struct(GoType):
    """A Go struct. `atomic` = +structType=atomic (a leaf for managedFields / apply)."""

    def __init__(self, go_name, fields, atomic=False):
        self.go_name = go_name
        self.short = go_name.split('.')[-1]
        self.fields = fields
        self.by_name = {f.name: f for f in fields}
        self.atomic = atomic

    def normalize(self, v, ctx, path):
        if v is None:
            v = {}
        if not isinstance(v, dict):
            self.type_error(v, path)
        for k in v:
            if k not in self.by_name:
                ctx.unknown.append('.'.join(path.shown + (k,)))
        out = {}
        get = v.get
        for f in self.fields:
            name = f.name
            raw = get(name)
            if raw is None:
                # Absent fields cannot fail to decode, so they need no path (the hot case).
                skip, zero = f._absent or f.absent()
                if skip:
                    continue
                if zero is not None:
                    out[name] = zero[0]
                    continue
                enc = f.typ.normalize(None, ctx, path)
            elif f.leaf:
                try:
                    enc = f.typ.normalize(raw, ctx, None)
                except NeedPath:
                    enc = f.typ.normalize(raw, ctx, path.field(self.short, name))
            else:
                enc = f.typ.normalize(raw, ctx, path.field(self.short, name))
            if enc is OMIT or (f.omit and f.typ.is_zero(enc)):
                continue
            out[name] = enc
        return out

    def is_zero(self, e):
        return False

    def field(self, name):
        f = self.by_name.get(name)
        return f.typ if f else None


class Map(GoType):
    """map[string]T. `atomic` = +mapType=atomic."""

    def __init__(self, elem, atomic=False):
        self.elem = elem
        self.atomic = atomic
        self.go_name = 'map[string]' + elem.go_name

    def normalize(self, v, ctx, path):
        if v is None:
            return None
        if not isinstance(v, dict):
            self.type_error(v, path)
        return {k: self.elem.normalize(v[k], ctx, path) for k in sorted(v)}

    def is_zero(self, e):
        return not e


class List(GoType):
    """[]T. kind: 'atomic' (default for untagged lists), 'set' or 'map' (with `keys`).
    `merge_key` / `strategy` are the strategic-merge-patch tags."""

    def __init__(self, elem, kind='atomic', keys=(), merge_key=None, strategy=None):
        if kind == 'atomic' and strategy == 'merge':
            # structured-merge-diff reads patchStrategy=merge as an associative list (keyed by
            # the patchMergeKey) or, for scalars, a set (recorded: node status.conditions).
            kind, keys = ('map', (merge_key,)) if merge_key else ('set', ())
        self.elem, self.kind, self.keys = elem, kind, tuple(keys)
        self.leaf_elem = is_leaf(elem)
        self.merge_key, self.strategy = merge_key, strategy
        self.go_name = '[]' + elem.go_name

    def normalize(self, v, ctx, path):
        if v is None:
            return None
        if not isinstance(v, list):
            self.type_error(v, path)
        elem = self.elem
        if self.leaf_elem:
            try:
                return [elem.normalize(e, ctx, None) for e in v]
            except NeedPath:
                pass
        return [elem.normalize(e, ctx, path.index(i)) for i, e in enumerate(v)]

    def is_zero(self, e):
        return not e


def clone(value):
    """A deep copy of JSON-shaped data (dicts, lists, strings, numbers, bools, None), a few
    times faster than copy.deepcopy: a marshal round trip done in C, or a plain recursive copy
    when marshal meets a type it does not know (GoFloat keeps a number's literal text)."""
    try:
        return marshal.loads(marshal.dumps(value))
    except ValueError:
        return _clone(value)


def _clone(value):
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clone(v) for v in value]
    return value


def normalize(value, typ):
    """Decode + encode `value` as `typ`; returns (encoded, unknown_field_paths)."""
    ctx = Ctx()
    out = typ.normalize(value, ctx, Path())
    return out, ctx.unknown


def nil_empty_collections(value, typ):
    """What a protobuf round trip through etcd does: empty slices and maps come back as nil.

    The create response and every later read show `"endpoints":null` for `[]`, so stored objects
    go through this once before they are kept.
    """
    if isinstance(typ, Ptr):
        return nil_empty_collections(value, typ.elem) if value is not None else None
    if isinstance(typ, Struct) and isinstance(value, dict):
        out = {}
        for f in typ.fields:
            if f.name not in value:
                continue
            v = value[f.name]
            if not f.leaf:      # a scalar stays as it is
                v = nil_empty_collections(v, f.typ)
            if v is None and f.omit and isinstance(f.typ, (List, Map, Ptr)):
                continue
            out[f.name] = v
        return out
    if isinstance(typ, List) and isinstance(value, list):
        if not value:
            return None
        return [nil_empty_collections(e, typ.elem) for e in value]
    if isinstance(typ, Map) and isinstance(value, dict):
        if not value:
            return None
        return {k: nil_empty_collections(v, typ.elem) for k, v in value.items()}
    return value


def type_at(typ, fields):
    """The GoType found by following JSON field names (list elements are transparent)."""
    for name in fields:
        while isinstance(typ, (Ptr, List, Map)):
            typ = typ.elem
        if not isinstance(typ, Struct):
            return None
        typ = typ.field(name)
        if typ is None:
            return None
    return typ


def is_leaf(typ):
    """A type whose decoding looks at no path unless it fails (no fields, no elements)."""
    while isinstance(typ, Ptr):
        typ = typ.elem
    return isinstance(typ, (_Str, _Int, _Bool, _Float, _IntOrString, _Quantity, _Raw, _Time))


def deref(typ):
    while isinstance(typ, Ptr):
        typ = typ.elem
    return typ
