"""metadata.managedFields: field sets per manager, as structured-merge-diff computes them.

A field set is a set of paths; a path is a tuple of fieldsV1 keys ('f:spec', 'k:{"port":80,...}',
'v:"10.0.0.1/24"'). An Update operation compares the live object with the new one: fields that
were added or changed move to the updating manager (and its entry's time is bumped), removed fields
leave every manager. The live object of a create is the kind's zero value, which is why struct
fields like `spec` never carry "." while maps, lists and list items that appear do.
"""

import json

from .gotypes import Struct, Map, List, deref

# Never tracked (fieldmanager strips them before comparing).
STRIPPED_META = ('name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
                 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink', 'managedFields')

MISSING = object()


def _is_leaf(typ):
    typ = deref(typ)
    if isinstance(typ, Struct):
        return typ.atomic
    if isinstance(typ, Map):
        return typ.atomic
    if isinstance(typ, List):
        return typ.kind == 'atomic'
    return True


def _key_json(d):
    return json.dumps(d, separators=(',', ':'), sort_keys=True, ensure_ascii=False)


def element_key(typ, elem):
    """fieldsV1 key of a list element: k:{...} for map-lists, v:<json> for sets."""
    if typ.kind == 'set':
        return 'v:' + _key_json(elem)
    return 'k:' + _key_json({k: elem[k] for k in typ.keys if isinstance(elem, dict) and k in elem})


def strip(obj, reset_prefixes):
    """A copy without the untracked metadata and without reset fields (e.g. `status` for writes to
    the main resource, `spec` for writes to /status)."""
    out = {k: v for k, v in obj.items() if k not in ('apiVersion', 'kind') and k not in reset_prefixes}
    if isinstance(out.get('metadata'), dict):
        out['metadata'] = {k: v for k, v in out['metadata'].items() if k not in STRIPPED_META}
    return out


def compare(old, new, typ):
    """(added, modified, removed) path sets between two encoded objects of type `typ`."""
    added, modified, removed = set(), set(), set()

    def walk(o, n, t, path):
        t = deref(t) if t is not None else None
        if t is None or _is_leaf(t):
            if o is MISSING and n is not MISSING:
                added.add(path)
            elif o is not MISSING and n is MISSING:
                removed.add(path)
            elif o != n:
                modified.add(path)
            return
        o_present = o is not MISSING and o is not None
        n_present = n is not MISSING and n is not None
        if path:
            if not o_present and n_present:
                added.add(path)
            elif o_present and not n_present:
                removed.add(path)
        if isinstance(t, (Struct, Map)):
            od = o if isinstance(o, dict) else {}
            nd = n if isinstance(n, dict) else {}
            for k in list(od) + [k for k in nd if k not in od]:
                ct = t.field(k) if isinstance(t, Struct) else t.elem
                walk(od.get(k, MISSING), nd.get(k, MISSING), ct, path + ('f:' + k,))
        elif isinstance(t, List):
            ol = {element_key(t, e): e for e in (o if isinstance(o, list) else [])}
            nl = {element_key(t, e): e for e in (n if isinstance(n, list) else [])}
            for k in list(ol) + [k for k in nl if k not in ol]:
                oe, ne = ol.get(k, MISSING), nl.get(k, MISSING)
                if t.kind == 'set' or _is_leaf(t.elem):
                    if oe is MISSING:
                        added.add(path + (k,))
                    elif ne is MISSING:
                        removed.add(path + (k,))
                    elif oe != ne:
                        modified.add(path + (k,))
                else:
                    walk(oe, ne, t.elem, path + (k,))

    walk(old, new, typ, ())
    return added, modified, removed


def fields_of(obj, typ):
    """The field set an Apply of `obj` owns (structured-merge-diff's ToFieldSet): leaves, map
    entries and list items are members; struct fields only when empty or null."""
    out = set()

    def walk(v, t, path):
        t = deref(t) if t is not None else None
        if t is None or _is_leaf(t):
            out.add(path)
            return
        if isinstance(t, Struct) and isinstance(v, dict):
            for k, x in v.items():
                p = path + ('f:' + k,)
                if x is None or x == {}:
                    out.add(p)
                else:
                    walk(x, t.field(k), p)
        elif isinstance(t, Map) and isinstance(v, dict):
            for k, x in v.items():
                out.add(path + ('f:' + k,))
                if isinstance(x, (dict, list)):
                    walk(x, t.elem, path + ('f:' + k,))
        elif isinstance(t, List) and isinstance(v, list):
            for e in v:
                p = path + (element_key(t, e),)
                out.add(p)
                if t.kind == 'map' and not _is_leaf(t.elem):
                    walk(e, t.elem, p)
        else:
            out.add(path)

    walk(obj, typ, ())
    out.discard(())
    # metadata.name/namespace were stripped: an emptied metadata is not a member.
    out.discard(('f:metadata',))
    return out


# ----- fieldsV1 encoding -----------------------------------------------------------------------

def _value_order(v):
    """structured-merge-diff value order: numbers numerically, strings lexically, by type first."""
    if v is None:
        return (0, 0)
    if isinstance(v, bool):
        return (1, v)
    if isinstance(v, (int, float)):
        return (2, v)
    if isinstance(v, str):
        return (3, v)
    return (4, json.dumps(v, sort_keys=True))


def _order(k):
    if k == '.':
        return (0, ())
    kind = {'f': 1, 'k': 2, 'v': 3, 'i': 4}.get(k[0], 5)
    if kind == 2:
        kv = json.loads(k[2:])
        return (kind, tuple((f, _value_order(kv[f])) for f in sorted(kv)))
    if kind == 3:
        return (kind, (_value_order(json.loads(k[2:])),))
    if kind == 4:
        return (kind, (int(k[2:]),))
    return (kind, (k,))


def encode_set(paths):
    tree = {}
    members = set(paths)
    for p in paths:
        node = tree
        for el in p:
            node = node.setdefault(el, {})

    def render(node, path):
        out = {}
        if path in members and node:
            out['.'] = {}
        for k in sorted(node, key=_order):
            out[k] = render(node[k], path + (k,))
        return out

    return render(tree, ())


def decode_set(fields_v1):
    paths = set()

    def walk(node, path):
        for k, v in node.items():
            if k == '.':
                paths.add(path)
            elif isinstance(v, dict) and v:
                walk(v, path + (k,))
            else:
                paths.add(path + (k,))

    if isinstance(fields_v1, dict):
        walk(fields_v1, ())
    return paths


# ----- entries ---------------------------------------------------------------------------------

class Entry:
    def __init__(self, manager, operation, api_version, time, paths, subresource=''):
        self.manager, self.operation, self.api_version = manager, operation, api_version
        self.time, self.paths, self.subresource = time, set(paths), subresource

    def key(self):
        return (self.manager, self.operation, self.subresource)

    def encode(self):
        e = {'manager': self.manager, 'operation': self.operation, 'apiVersion': self.api_version}
        if self.time:
            e['time'] = self.time
        e['fieldsType'] = 'FieldsV1'
        e['fieldsV1'] = encode_set(self.paths)
        if self.subresource:
            e['subresource'] = self.subresource
        return e


def decode_entries(managed):
    out = []
    for m in managed or []:
        out.append(Entry(m.get('manager', ''), m.get('operation', ''), m.get('apiVersion', ''),
                         m.get('time'), decode_set(m.get('fieldsV1')), m.get('subresource', '')))
    return out


def encode_entries(entries):
    entries = [e for e in entries if e.paths]
    entries.sort(key=lambda e: (e.operation, e.time or '', e.manager, e.api_version, e.subresource))
    return [e.encode() for e in entries]


def update(entries, old, new, typ, manager, api_version, subresource, now, reset_prefixes):
    """Apply one Update operation to the entries; returns the new list of Entry."""
    added, modified, removed = compare(strip(old, reset_prefixes), strip(new, reset_prefixes), typ)
    changed = added | modified
    for e in entries:
        e.paths -= removed
        if e.key() != (manager, 'Update', subresource):
            e.paths -= changed
    if changed:
        mine = next((e for e in entries if e.key() == (manager, 'Update', subresource)), None)
        if mine is None:
            mine = Entry(manager, 'Update', api_version, now, (), subresource)
            entries.append(mine)
        mine.paths |= changed
        mine.time = now
        mine.api_version = api_version
    return [e for e in entries if e.paths]


def manager_from_user_agent(ua):
    """The default manager: the User-Agent up to the first '/' (kubectl uses ?fieldManager=)."""
    ua = ua or ''
    return ua.split('/', 1)[0][:128]
