"""The four PATCH flavours: JSON merge patch, JSON patch, strategic merge patch and apply.

Strategic merge and apply are schema-driven: lists merge by their patchMergeKey / listMapKey, and
atomic lists are replaced whole (e.g. status.loadBalancer.ingress, EndpointSlice endpoints).
"""

import json

from .gotypes import clone, Struct, Map, List, deref
from . import managedfields as mf


class PatchError(Exception):
    """A patch that cannot be applied (answered 422 by the caller)."""


# ----- RFC 7386 ---------------------------------------------------------------------------------

def merge_patch(target, patch):
    """target with patch merged in; neither argument is changed (both are copied once)."""
    return _merge_into(clone(target), clone(patch))


def _merge_into(target, patch):
    if not isinstance(patch, dict):
        return patch
    out = target if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = _merge_into(out.get(k), v)
    return out


# ----- RFC 6902 ---------------------------------------------------------------------------------

def _pointer(path):
    if path == '':
        return []
    if not path.startswith('/'):
        raise PatchError('invalid JSON pointer %r' % path)
    return [p.replace('~1', '/').replace('~0', '~') for p in path[1:].split('/')]


def _walk(doc, parts):
    cur = doc
    for p in parts:
        if isinstance(cur, list):
            try:
                cur = cur[int(p)]
            except (ValueError, IndexError):
                raise PatchError('path not found')
        elif isinstance(cur, dict):
            if p not in cur:
                raise PatchError('path not found')
            cur = cur[p]
        else:
            raise PatchError('path not found')
    return cur


def json_patch(doc, ops):
    if not isinstance(ops, list):
        raise PatchError('json patch must be a list')
    doc = clone(doc)
    for op in ops:
        kind = op.get('op')
        parts = _pointer(op.get('path', ''))
        if kind == 'test':
            if _walk(doc, parts) != op.get('value'):
                raise PatchError('testing value failed')
            continue
        if kind in ('move', 'copy'):
            src = _pointer(op.get('from', ''))
            value = clone(_walk(doc, src))
            if kind == 'move':
                doc = _remove(doc, src)
            doc = _add(doc, parts, value)
            continue
        if kind == 'remove':
            doc = _remove(doc, parts)
        elif kind == 'add':
            doc = _add(doc, parts, clone(op.get('value')))
        elif kind == 'replace':
            _walk(doc, parts)
            doc = _remove(doc, parts)
            doc = _add(doc, parts, clone(op.get('value')))
        else:
            raise PatchError('unexpected kind of operation %r' % kind)
    return doc


def _add(doc, parts, value):
    if not parts:
        return value
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, list):
        if last == '-':
            parent.append(value)
        else:
            try:
                i = int(last)
            except ValueError:
                raise PatchError('bad index')
            if not 0 <= i <= len(parent):
                raise PatchError('index out of range')
            parent.insert(i, value)
    elif isinstance(parent, dict):
        parent[last] = value
    else:
        raise PatchError('path not found')
    return doc


def _remove(doc, parts):
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, list):
        try:
            del parent[int(last)]
        except (ValueError, IndexError):
            raise PatchError('path not found')
    elif isinstance(parent, dict) and last in parent:
        del parent[last]
    else:
        raise PatchError('path not found')
    return doc


# ----- strategic merge patch ---------------------------------------------------------------------

def _child_type(typ, key):
    typ = deref(typ) if typ is not None else None
    if isinstance(typ, Struct):
        return typ.field(key)
    if isinstance(typ, Map):
        return typ.elem
    return None


def strategic_merge(orig, patch, typ):
    if not isinstance(patch, dict):
        return clone(patch)
    if patch.get('$patch') == 'replace':
        return {k: clone(v) for k, v in patch.items() if k != '$patch'}
    if patch.get('$patch') == 'delete':
        return None
    out = clone(orig) if isinstance(orig, dict) else {}
    orders = {}
    retain = patch.get('$retainKeys')
    for k, v in patch.items():
        if k in ('$patch', '$retainKeys'):
            continue
        if k.startswith('$setElementOrder/'):
            orders[k.split('/', 1)[1]] = v
            continue
        if k.startswith('$deleteFromPrimitiveList/'):
            field = k.split('/', 1)[1]
            if isinstance(out.get(field), list):
                out[field] = [x for x in out[field] if x not in (v or [])]
            continue
        ct = _child_type(typ, k)
        if v is None:
            out.pop(k, None)
            continue
        dt = deref(ct) if ct is not None else None
        if isinstance(v, list) and isinstance(dt, List) and dt.strategy == 'merge':
            out[k] = _merge_list(out.get(k), v, dt)
        elif isinstance(v, dict) and isinstance(out.get(k), dict) and not (
                isinstance(dt, Map) and dt.atomic and False):
            merged = strategic_merge(out[k], v, ct)
            if merged is None:
                out.pop(k, None)
            else:
                out[k] = merged
        elif isinstance(v, dict):
            merged = strategic_merge({}, v, ct)
            if merged is not None:
                out[k] = merged
        else:
            out[k] = clone(v)
    for field, order in orders.items():
        if isinstance(out.get(field), list):
            out[field] = _reorder(out[field], order, deref(_child_type(typ, field)))
    if isinstance(retain, list):
        out = {k: v for k, v in out.items() if k in retain}
    return out


def _merge_list(orig, patch, typ):
    """Merge by key. Without $setElementOrder the result lists the patch's items first (in patch
    order), then the items only the server had (normalizeElementOrder; 10-nodes/05)."""
    orig = clone(orig) if isinstance(orig, list) else []
    key = typ.merge_key
    if any(isinstance(x, dict) and x.get('$patch') == 'replace' for x in patch):
        return [clone({k: v for k, v in x.items() if k != '$patch'}) if isinstance(x, dict) else x
                for x in patch if not (isinstance(x, dict) and x.get('$patch') == 'replace')]
    if key is None:   # primitive list with strategy merge: a set union
        return [v for v in patch] + [o for o in orig if o not in patch]
    merged, seen = [], set()
    for item in patch:
        if not isinstance(item, dict):
            continue
        k = item.get(key)
        match = next((o for o in orig if isinstance(o, dict) and o.get(key) == k), None)
        seen.add(json.dumps(k))
        if item.get('$patch') == 'delete':
            continue
        merged.append(strategic_merge(match if match is not None else {}, item, typ.elem))
    return merged + [o for o in orig if not (isinstance(o, dict) and json.dumps(o.get(key)) in seen)]


def _reorder(items, order, typ):
    key = typ.merge_key if isinstance(typ, List) else None

    def ident(x):
        return x.get(key) if key and isinstance(x, dict) else x

    wanted = [ident(o) for o in order]
    ranked = sorted(items, key=lambda x: wanted.index(ident(x)) if ident(x) in wanted else len(wanted))
    return ranked


# ----- server-side apply -----------------------------------------------------------------------

def apply_merge(live, config, typ):
    """Merge an applied configuration into the live object (structured merge by schema)."""
    t = deref(typ) if typ is not None else None
    if isinstance(config, dict) and isinstance(t, (Struct, Map)) and not getattr(t, 'atomic', False):
        out = clone(live) if isinstance(live, dict) else {}
        for k, v in config.items():
            ct = t.field(k) if isinstance(t, Struct) else t.elem
            out[k] = apply_merge(out.get(k), v, ct)
        return out
    if isinstance(config, list) and isinstance(t, List) and t.kind in ('map', 'set'):
        out = clone(live) if isinstance(live, list) else []
        for item in config:
            k = mf.element_key(t, item)
            idx = next((i for i, o in enumerate(out) if mf.element_key(t, o) == k), None)
            if idx is None:
                out.append(clone(item))
            elif t.kind == 'map':
                out[idx] = apply_merge(out[idx], item, t.elem)
        return out
    return clone(config)


def remove_paths(obj, paths, typ):
    """Delete the given field paths from an object (fields an applier stopped applying)."""
    for path in sorted(paths, key=len, reverse=True):
        _remove_path(obj, list(path), typ)


def _remove_path(node, path, typ):
    if not path or node is None:
        return
    el, rest = path[0], path[1:]
    t = deref(typ) if typ is not None else None
    if el.startswith('f:') and isinstance(node, dict):
        name = el[2:]
        if not rest:
            node.pop(name, None)
        else:
            ct = t.field(name) if isinstance(t, Struct) else (t.elem if isinstance(t, Map) else None)
            _remove_path(node.get(name), rest, ct)
    elif el[:2] in ('k:', 'v:') and isinstance(node, list) and isinstance(t, List):
        for i, item in enumerate(node):
            if mf.element_key(t, item) == el:
                if not rest:
                    del node[i]
                else:
                    _remove_path(item, rest, t.elem)
                break


def value_at(obj, path, typ):
    """The value at a field path, or mf.MISSING."""
    node, t = obj, typ
    for el in path:
        t = deref(t) if t is not None else None
        if el.startswith('f:'):
            if not isinstance(node, dict) or el[2:] not in node:
                return mf.MISSING
            node = node[el[2:]]
            t = t.field(el[2:]) if isinstance(t, Struct) else (t.elem if isinstance(t, Map) else None)
        elif isinstance(node, list) and isinstance(t, List):
            node = next((i for i in node if mf.element_key(t, i) == el), mf.MISSING)
            t = t.elem
            if node is mf.MISSING:
                return node
        else:
            return mf.MISSING
    return node


def path_string(path):
    """structured-merge-diff's Path.String(): .status.loadBalancer.ingress, [port=80,...]."""
    out = ''
    for el in path:
        if el.startswith('f:'):
            out += '.' + el[2:]
        elif el.startswith('k:'):
            kv = json.loads(el[2:])
            out += '[' + ','.join('%s=%s' % (k, json.dumps(kv[k])) for k in sorted(kv)) + ']'
        elif el.startswith('v:'):
            out += '[=' + el[2:] + ']'
        elif el.startswith('i:'):
            out += '[' + el[2:] + ']'
    return out
