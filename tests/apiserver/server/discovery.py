"""Discovery documents (legacy and aggregated v2beta1) for exactly the resources served.

Shapes follow 01-discovery/: resources sorted by name, subresources as `<res>/<sub>` entries in
the legacy lists, `freshness: Current` and `responseKind` with empty group/version in the
aggregated list. The self-subject access review of authorization.k8s.io is listed because kubectl
(`auth can-i`) and the recordings use it.
"""

import hashlib

from . import gojson
from .resources import RESOURCES, GROUP_ORDER, group_version

SUB_VERBS = {'status': ['get', 'patch', 'update'], 'finalize': ['update']}
AGGREGATED_CT = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList'

SSAR = {'resource': 'selfsubjectaccessreviews', 'kind': 'SelfSubjectAccessReview',
        'singular': 'selfsubjectaccessreview'}


def _served(group):
    return sorted((r for r in RESOURCES if r.group == group), key=lambda r: r.plural)


def api_versions(server_address):
    return {'kind': 'APIVersions', 'versions': ['v1'],
            'serverAddressByClientCIDRs': [{'clientCIDR': '0.0.0.0/0', 'serverAddress': server_address}]}


def _group_entry(g):
    v = group_version(g)
    gv = {'groupVersion': g + '/' + v, 'version': v}
    return {'name': g, 'versions': [gv], 'preferredVersion': gv}


def api_group_list():
    return {'kind': 'APIGroupList', 'apiVersion': 'v1', 'groups': [_group_entry(g) for g in GROUP_ORDER]}


def api_group(group):
    if group not in GROUP_ORDER:
        return None
    d = {'kind': 'APIGroup', 'apiVersion': 'v1'}
    d.update(_group_entry(group))
    return d


def resource_list(group):
    resources = []
    if group == 'authorization.k8s.io':
        resources.append({'name': SSAR['resource'], 'singularName': SSAR['singular'],
                          'namespaced': False, 'kind': SSAR['kind'], 'verbs': ['create']})
    for r in _served(group):
        e = {'name': r.plural, 'singularName': r.singular, 'namespaced': r.namespaced,
             'kind': r.kind, 'verbs': r.verbs}
        if r.short_names:
            e['shortNames'] = r.short_names
        if r.categories:
            e['categories'] = r.categories
        e['storageVersionHash'] = r.storage_version_hash
        resources.append(e)
        for sub in sorted(s for s in r.subresources if s in SUB_VERBS):
            resources.append({'name': r.plural + '/' + sub, 'singularName': '',
                              'namespaced': r.namespaced, 'kind': r.kind, 'verbs': SUB_VERBS[sub]})
    if group == '':
        return {'kind': 'APIResourceList', 'groupVersion': 'v1', 'resources': resources}
    return {'kind': 'APIResourceList', 'apiVersion': 'v1', 'groupVersion': group + '/' + group_version(group),
            'resources': resources}


def _aggregated_resources(group):
    out = []
    if group == 'authorization.k8s.io':
        out.append({'resource': SSAR['resource'], 'responseKind': {'group': '', 'version': '', 'kind': SSAR['kind']},
                    'scope': 'Cluster', 'singularResource': SSAR['singular'], 'verbs': ['create']})
    for r in _served(group):
        e = {'resource': r.plural, 'responseKind': {'group': '', 'version': '', 'kind': r.kind},
             'scope': 'Namespaced' if r.namespaced else 'Cluster', 'singularResource': r.singular,
             'verbs': r.verbs}
        if r.short_names:
            e['shortNames'] = r.short_names
        if r.categories:
            e['categories'] = r.categories
        subs = [{'subresource': s, 'responseKind': {'group': '', 'version': '', 'kind': r.kind},
                 'verbs': SUB_VERBS[s]} for s in sorted(r.subresources) if s in SUB_VERBS]
        if subs:
            e['subresources'] = subs
        out.append(e)
    return out


def aggregated(legacy_core):
    """APIGroupDiscoveryList for /api (legacy_core) or /apis."""
    if legacy_core:
        items = [{'metadata': {'creationTimestamp': None},
                  'versions': [{'version': 'v1', 'resources': _aggregated_resources(''),
                                'freshness': 'Current'}]}]
    else:
        items = [{'metadata': {'name': g, 'creationTimestamp': None},
                  'versions': [{'version': group_version(g), 'resources': _aggregated_resources(g),
                                'freshness': 'Current'}]} for g in GROUP_ORDER]
    return {'kind': 'APIGroupDiscoveryList', 'apiVersion': 'apidiscovery.k8s.io/v2beta1',
            'metadata': {}, 'items': items}


def etag(doc):
    return '"%s"' % hashlib.sha512(gojson.dumps(doc)).hexdigest().upper()


def wants_aggregated(accept):
    """The first Accept entry naming APIGroupDiscoveryList (v2 or v2beta1) wins over plain JSON."""
    for part in (accept or '').split(','):
        params = dict(p.strip().split('=', 1) for p in part.split(';')[1:] if '=' in p)
        if params.get('as') == 'APIGroupDiscoveryList' and params.get('g') == 'apidiscovery.k8s.io':
            return True
        if part.split(';')[0].strip() in ('application/json', '*/*') and 'as' not in params:
            return False
    return False
