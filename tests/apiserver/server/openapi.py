"""OpenAPI: just enough for kubectl.

kubectl 1.28 `apply` reads /openapi/v2 (protobuf) and /openapi/v3; 1.33 only v3. From v3 it needs
two things: the PATCH operations carrying `x-kubernetes-group-version-kind` and a `fieldValidation`
query parameter (so it sends `fieldValidation=Strict` instead of validating client-side), and the
kinds' schemas with their patch-merge keys (to build strategic merge patches). The documents here
are generated from the same Go type model the server uses, so they cannot drift from it. The v2
document is a valid but empty protobuf Document (swagger "2.0" + info): kubectl only falls back to
it when v3 has no answer.
"""

import hashlib
import json

from . import gojson
from .gotypes import (Struct, Map, List, Ptr, _Str, _Int, _Bool, _Float, _Time, _IntOrString,
                      _Quantity, _Raw)
from .resources import RESOURCES, GROUP_ORDER, FLOWCONTROL, group_version

VERSION = 'v1.28.7'
PKG = {'': 'io.k8s.api.core.v1', 'discovery.k8s.io': 'io.k8s.api.discovery.v1',
       'coordination.k8s.io': 'io.k8s.api.coordination.v1', 'events.k8s.io': 'io.k8s.api.events.v1',
       FLOWCONTROL: 'io.k8s.api.flowcontrol.v1beta3'}


def _schema(t):
    if isinstance(t, Ptr):
        return _schema(t.elem)
    if isinstance(t, _Str) or isinstance(t, _Quantity):
        return {'type': 'string'}
    if isinstance(t, _Int):
        return {'type': 'integer', 'format': 'int%d' % t.bits}
    if isinstance(t, _Bool):
        return {'type': 'boolean'}
    if isinstance(t, _Float):
        return {'type': 'number', 'format': 'double'}
    if isinstance(t, _Time):
        return {'type': 'string', 'format': 'date-time'}
    if isinstance(t, _IntOrString):
        return {'type': 'string', 'format': 'int-or-string', 'x-kubernetes-int-or-string': True}
    if isinstance(t, _Raw):
        return {'type': 'object'}
    if isinstance(t, Map):
        s = {'type': 'object', 'additionalProperties': _schema(t.elem)}
        if t.atomic:
            s['x-kubernetes-map-type'] = 'atomic'
        return s
    if isinstance(t, List):
        s = {'type': 'array', 'items': _schema(t.elem)}
        if t.kind != 'atomic' or t.keys:
            s['x-kubernetes-list-type'] = t.kind
        if t.keys:
            s['x-kubernetes-list-map-keys'] = list(t.keys)
        if t.merge_key:
            s['x-kubernetes-patch-merge-key'] = t.merge_key
        if t.strategy:
            s['x-kubernetes-patch-strategy'] = t.strategy
        return s
    if isinstance(t, Struct):
        s = {'type': 'object', 'properties': {f.name: _schema(f.typ) for f in t.fields}}
        if t.atomic:
            s['x-kubernetes-map-type'] = 'atomic'
        return s
    return {}


def _gvk(r):
    return {'group': r.group, 'kind': r.kind, 'version': r.version}


def _param(name, where='query', typ='string'):
    return {'name': name, 'in': where, 'schema': {'type': typ, 'uniqueItems': True}}


def _op(r, action, op_id, body=False, patch=False):
    ref = {'$ref': '#/components/schemas/%s.%s' % (PKG[r.group], r.kind)}
    op = {'tags': [(r.group.split('.')[0] if r.group else 'core') + '_' + r.version],
          'description': '%s %s' % (action, r.kind), 'operationId': op_id,
          'parameters': [_param('dryRun'), _param('fieldManager')],
          'responses': {'200': {'description': 'OK', 'content': {'application/json': {'schema': ref}}},
                        '401': {'description': 'Unauthorized'}},
          'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': _gvk(r)}
    if body or patch:
        op['parameters'].append(_param('fieldValidation'))
    if patch:
        op['parameters'].append(_param('force', typ='boolean'))
        op['requestBody'] = {'content': {ct: {'schema': {'type': 'object'}} for ct in (
            'application/apply-patch+yaml', 'application/json-patch+json',
            'application/merge-patch+json', 'application/strategic-merge-patch+json')}, 'required': True}
    elif body:
        op['requestBody'] = {'content': {'application/json': {'schema': ref}}, 'required': True}
    return op


def _gv_doc(group):
    paths, schemas = {}, {}
    prefix = '/apis/%s/%s' % (group, group_version(group)) if group else '/api/v1'
    for r in (x for x in RESOURCES if x.group == group):
        name = '%s.%s' % (PKG[group], r.kind)
        s = _schema(r.type)
        s['x-kubernetes-group-version-kind'] = [_gvk(r)]
        schemas[name] = s
        lst = {'type': 'object', 'properties': {'items': {'type': 'array', 'items': {'$ref': '#/components/schemas/' + name}}},
               'x-kubernetes-group-version-kind': [{'group': r.group, 'kind': r.list_kind, 'version': r.version}]}
        schemas[name + 'List'] = lst
        base = prefix + ('/namespaces/{namespace}/' if r.namespaced else '/') + r.plural
        cname = ''.join(p.capitalize() for p in (group.split('.')[0] if group else 'core', r.version))
        ns_word = 'Namespaced' if r.namespaced else ''
        paths[base] = {'get': _op(r, 'list', 'list%s%s%s' % (cname, ns_word, r.kind)),
                       'post': _op(r, 'post', 'create%s%s%s' % (cname, ns_word, r.kind), body=True)}
        paths[base + '/{name}'] = {
            'get': _op(r, 'get', 'read%s%s%s' % (cname, ns_word, r.kind)),
            'put': _op(r, 'put', 'replace%s%s%s' % (cname, ns_word, r.kind), body=True),
            'patch': _op(r, 'patch', 'patch%s%s%s' % (cname, ns_word, r.kind), patch=True),
            'delete': _op(r, 'delete', 'delete%s%s%s' % (cname, ns_word, r.kind))}
        if 'status' in r.subresources:
            paths[base + '/{name}/status'] = {
                'get': _op(r, 'get', 'read%s%s%sStatus' % (cname, ns_word, r.kind)),
                'put': _op(r, 'put', 'replace%s%s%sStatus' % (cname, ns_word, r.kind), body=True),
                'patch': _op(r, 'patch', 'patch%s%s%sStatus' % (cname, ns_word, r.kind), patch=True)}
    return {'openapi': '3.0.0', 'info': {'title': 'Kubernetes', 'version': VERSION},
            'paths': paths, 'components': {'schemas': schemas}}


class OpenAPI:
    def __init__(self):
        self.docs = {}
        for g in [''] + [g for g in GROUP_ORDER if any(r.group == g for r in RESOURCES)]:
            key = 'apis/%s/%s' % (g, group_version(g)) if g else 'api/v1'
            body = gojson.dumps(_gv_doc(g))
            self.docs[key] = (body, hashlib.sha512(body).hexdigest().upper())

    def index(self):
        return json.dumps({'paths': {k: {'serverRelativeURL': '/openapi/v3/%s?hash=%s' % (k, h)}
                                     for k, (_, h) in sorted(self.docs.items())}},
                          separators=(',', ':')).encode()

    def doc(self, key):
        return self.docs.get(key)

    def v2_protobuf(self):
        """gnostic openapi_v2.Document{swagger: "2.0", info: {title, version}}."""
        info = _pb_str(1, 'Kubernetes') + _pb_str(2, VERSION)
        return _pb_str(1, '2.0') + _pb_bytes(2, info)

    def v2_json(self):
        return gojson.dumps({'swagger': '2.0', 'info': {'title': 'Kubernetes', 'version': VERSION},
                             'paths': {}, 'definitions': {}})


def _varint(n):
    out = b''
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def _pb_bytes(field, data):
    return _varint(field << 3 | 2) + _varint(len(data)) + data


def _pb_str(field, s):
    return _pb_bytes(field, s.encode())
