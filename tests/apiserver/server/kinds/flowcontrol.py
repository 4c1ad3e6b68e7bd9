"""flowcontrol.apiserver.k8s.io/v1beta3: FlowSchema and PriorityLevelConfiguration.

The objects a fresh v1.28 apiserver makes for itself (its "bootstrap configuration": two
mandatory and the suggested objects), with the names and UIDs of 16-priority-and-fairness/00-*.txt
so answers carry the recorded `X-Kubernetes-Pf-*` UIDs; v1beta3 defaulting; the validation rules
of pkg/apis/flowcontrol/validation that a hand-written FlowSchema can trip; table columns.
What the objects *do* is in ../flowcontrol.py.
"""

import math

from .. import validation
from ..errors import invalid, required, forbidden, not_supported
from .base import Strategy, age, meta_immutables

AUTO_UPDATE = 'apf.kubernetes.io/autoupdate-spec'
PRODUCER = 'api-priority-and-fairness-config-producer-v1'
CONSUMER = 'api-priority-and-fairness-config-consumer-v1'
MAX_PRECEDENCE = 10000
MAX_HASH_BITS = 60      # shuffle sharding draws the hand from 60 bits of the flow's hash

# ----- the bootstrap configuration (recorded UIDs) -------------------------------------------------

PL_UIDS = {
    'catch-all': '4d45930a-c22d-4aaf-8911-23131b3013f5',
    'exempt': '166b2e5e-a896-4baa-8bba-bff6c687482b',
    'global-default': '1d60048f-0b28-4329-8389-e392ccfa3eaa',
    'leader-election': '460537f7-0291-4ce1-ae55-9655a30046fb',
    'node-high': 'd8cd2f95-a061-40ea-b960-e510c410afd2',
    'system': 'df3f2593-47e5-4994-b5ec-542fb1d53d8f',
    'workload-high': '6a9270d7-6224-40fd-ac61-612bee8fb256',
    'workload-low': '11f2379f-15bb-4c24-93fa-5561295510f8',
}
FS_UIDS = {
    'catch-all': '53775141-1c06-4602-95d7-cc9e00510095',
    'endpoint-controller': '63e1422e-09b5-4b3e-a209-35e4afa7ef5b',
    'exempt': '12664820-c24a-4c0d-86e0-1c73c13cbf34',
    'global-default': 'ccf64efd-860f-4b98-8f3b-4455d66157da',
    'kube-controller-manager': '7f18b9bb-24b7-416a-b7b5-17cd9a78f44a',
    'kube-scheduler': '1674275f-73f8-4486-be15-808b44646731',
    'kube-system-service-accounts': '4addd70a-b665-4c4a-9756-c5e905b3d7fe',
    'probes': '41587b2d-5341-4e46-9493-9c6834f4adc5',
    'service-accounts': 'c5321cba-13c1-45ab-8d3c-5ad0f4b54220',
    'system-leader-election': '89480e63-aa16-47d5-9a21-f20c66da25d2',
    'system-node-high': '29da171b-83c2-4fe0-9c21-a6dffc85442b',
    'system-nodes': '8f634466-95d3-422d-9588-a9ae02601fe2',
    'workload-leader-election': '0c14a3b5-63d2-4d5e-a069-ba0300c38a2e',
}


def _queuing(shares, lendable, queues, hand, length):
    return {'type': 'Limited', 'limited': {
        'nominalConcurrencyShares': shares, 'lendablePercent': lendable,
        'limitResponse': {'type': 'Queue', 'queuing': {'queues': queues, 'handSize': hand,
                                                       'queueLengthLimit': length}}}}


# name -> spec, in the order the apiserver creates them (mandatory first).
BOOTSTRAP_LEVELS = [
    ('exempt', {'type': 'Exempt', 'exempt': {'nominalConcurrencyShares': 0, 'lendablePercent': 0}}),
    ('catch-all', {'type': 'Limited', 'limited': {'nominalConcurrencyShares': 5, 'lendablePercent': 0,
                                                  'limitResponse': {'type': 'Reject'}}}),
    ('system', _queuing(30, 33, 64, 6, 50)),
    ('node-high', _queuing(40, 25, 64, 6, 50)),
    ('leader-election', _queuing(10, 0, 16, 4, 50)),
    ('workload-high', _queuing(40, 50, 128, 6, 50)),
    ('workload-low', _queuing(100, 90, 128, 6, 50)),
    ('global-default', _queuing(20, 50, 128, 6, 50)),
]


def _groups(*names):
    return [{'kind': 'Group', 'group': {'name': n}} for n in names]


def _users(*names):
    return [{'kind': 'User', 'user': {'name': n}} for n in names]


def _kube_system_sa(*names):
    return [{'kind': 'ServiceAccount', 'serviceAccount': {'namespace': 'kube-system', 'name': n}}
            for n in names]


def _res(verbs, groups, resources, namespaces, cluster_scope=False):
    r = {'verbs': verbs, 'apiGroups': groups, 'resources': resources}
    if cluster_scope:
        r['clusterScope'] = True
    r['namespaces'] = namespaces
    return r


ALL_RESOURCES = [_res(['*'], ['*'], ['*'], ['*'], True)]
ALL_NON_RESOURCES = [{'verbs': ['*'], 'nonResourceURLs': ['*']}]
LEASE_RULE = _res(['get', 'create', 'update'], ['coordination.k8s.io'], ['leases'], ['*'])
KCM, SCHED = 'system:kube-controller-manager', 'system:kube-scheduler'


def _fs(level, precedence, distinguisher, subjects, resource_rules=None, non_resource_rules=None):
    rule = {'subjects': subjects}
    if resource_rules:
        rule['resourceRules'] = resource_rules
    if non_resource_rules:
        rule['nonResourceRules'] = non_resource_rules
    spec = {'priorityLevelConfiguration': {'name': level}, 'matchingPrecedence': precedence}
    if distinguisher:
        spec['distinguisherMethod'] = {'type': distinguisher}
    spec['rules'] = [rule]
    return spec


def _fs_all(level, precedence, distinguisher, subjects):
    return _fs(level, precedence, distinguisher, subjects, ALL_RESOURCES, ALL_NON_RESOURCES)


BOOTSTRAP_SCHEMAS = [
    ('exempt', _fs_all('exempt', 1, None, _groups('system:masters'))),
    ('catch-all', _fs_all('catch-all', 10000, 'ByUser',
                          _groups('system:unauthenticated', 'system:authenticated'))),
    ('system-nodes', _fs_all('system', 500, 'ByUser', _groups('system:nodes'))),
    ('system-node-high', _fs('node-high', 400, 'ByUser', _groups('system:nodes'), [
        _res(['*'], [''], ['nodes', 'nodes/status'], ['*'], True),
        _res(['*'], ['coordination.k8s.io'], ['leases'], ['*'])])),
    ('probes', _fs('exempt', 2, None, _groups('system:unauthenticated', 'system:authenticated'),
                   non_resource_rules=[{'verbs': ['get'], 'nonResourceURLs': ['/healthz', '/readyz', '/livez']}])),
    ('system-leader-election', _fs('leader-election', 100, 'ByUser',
                                   _users(KCM, SCHED) + _kube_system_sa('*'), [LEASE_RULE])),
    ('workload-leader-election', _fs('leader-election', 200, 'ByUser', _kube_system_sa('*'), [
        _res(['get', 'create', 'update'], [''], ['endpoints', 'configmaps'], ['*']), LEASE_RULE])),
    ('endpoint-controller', _fs('workload-high', 150, 'ByUser',
                                _users(KCM) + _kube_system_sa('endpoint-controller',
                                                              'endpointslicemirroring-controller'),
                                [_res(['get', 'create', 'update'], [''], ['endpoints'], ['*'])])),
    ('kube-controller-manager', _fs_all('workload-high', 800, 'ByNamespace', _users(KCM))),
    ('kube-scheduler', _fs_all('workload-high', 800, 'ByNamespace', _users(SCHED))),
    ('kube-system-service-accounts', _fs_all('workload-high', 900, 'ByNamespace', _kube_system_sa('*'))),
    ('service-accounts', _fs_all('workload-low', 9000, 'ByUser', _groups('system:serviceaccounts'))),
    ('global-default', _fs_all('global-default', 9900, 'ByUser',
                               _groups('system:unauthenticated', 'system:authenticated'))),
]


def dangling_condition(level_name, exists, now):
    """The status condition the apiserver's config consumer keeps on every FlowSchema."""
    if exists:
        return {'type': 'Dangling', 'status': 'False', 'lastTransitionTime': now, 'reason': 'Found',
                'message': 'This FlowSchema references the PriorityLevelConfiguration object named '
                           '"%s" and it exists' % level_name}
    return {'type': 'Dangling', 'status': 'True', 'lastTransitionTime': now, 'reason': 'NotFound',
            'message': 'This FlowSchema references the PriorityLevelConfiguration object named '
                       '"%s" but there is no such object' % level_name}


# ----- strategies ----------------------------------------------------------------------------------

class _FlowcontrolStrategy(Strategy):
    status_subresource = True

    def new_uid(self, obj, server):
        # The objects the server makes for itself at start keep the recorded UIDs.
        fixed = self.BOOTSTRAP_UIDS.get(obj['metadata']['name']) if server.bootstrapping else None
        return fixed or super().new_uid(obj, server)

    def validate_immutable(self, new, old):
        return meta_immutables(new, old, [])


class FlowSchemaStrategy(_FlowcontrolStrategy):
    BOOTSTRAP_UIDS = FS_UIDS

    def defaults(self, obj):
        spec = obj.get('spec')
        if isinstance(spec, dict) and not spec.get('matchingPrecedence'):
            spec['matchingPrecedence'] = 1000

    def validate_spec(self, obj):
        spec = obj.get('spec') or {}
        errs = []
        prec = spec.get('matchingPrecedence', 0)
        if prec <= 0:
            errs.append(invalid('spec.matchingPrecedence', prec, 'must be a positive value'))
        if prec > MAX_PRECEDENCE:
            errs.append(invalid('spec.matchingPrecedence', prec, 'must not be greater than %d' % MAX_PRECEDENCE))
        if prec == 1 and obj['metadata'].get('name') != 'exempt':
            errs.append(invalid('spec.matchingPrecedence', prec,
                                "only the schema named 'exempt' may have matchingPrecedence 1"))
        dm = spec.get('distinguisherMethod')
        if dm is not None and dm.get('type') not in ('ByNamespace', 'ByUser'):
            errs.append(not_supported('spec.distinguisherMethod.type', dm.get('type', ''), ['ByNamespace', 'ByUser']))
        pl = (spec.get('priorityLevelConfiguration') or {}).get('name', '')
        if not pl:
            errs.append(required('spec.priorityLevelConfiguration.name', 'must reference a priority level'))
        else:
            errs += [invalid('spec.priorityLevelConfiguration.name', pl, m) for m in validation.dns1123_subdomain(pl)]
        for i, rule in enumerate(spec.get('rules') or []):
            errs += _validate_rule(rule, 'spec.rules[%d]' % i)
        return errs

    def table_cells(self, obj):
        spec = obj.get('spec') or {}
        dm = (spec.get('distinguisherMethod') or {}).get('type') or '<none>'
        missing = next((c.get('status', '') for c in (obj.get('status') or {}).get('conditions') or []
                        if c.get('type') == 'Dangling'), '?')
        return [obj['metadata']['name'], (spec.get('priorityLevelConfiguration') or {}).get('name', ''),
                spec.get('matchingPrecedence', 0), dm, age(obj['metadata'].get('creationTimestamp')), missing]


def _validate_rule(rule, path):
    errs = []
    subjects = rule.get('subjects') or []
    if not subjects:
        errs.append(required(path + '.subjects', 'subjects must contain at least one value'))
    for j, s in enumerate(subjects):
        sp = '%s.subjects[%d]' % (path, j)
        kind = s.get('kind', '')
        field = {'User': 'user', 'Group': 'group', 'ServiceAccount': 'serviceAccount'}.get(kind)
        if field is None:
            errs.append(not_supported(sp + '.kind', kind, ['Group', 'ServiceAccount', 'User']))
            continue
        if not s.get(field):
            errs.append(required('%s.%s' % (sp, field), "%s is required when subject kind is '%s'" % (field, kind)))
        elif not s[field].get('name'):
            errs.append(required('%s.%s.name' % (sp, field), ''))
        if field == 'serviceAccount' and s.get(field) and not s[field].get('namespace'):
            errs.append(required(sp + '.serviceAccount.namespace', ''))
    rrs, nrs = rule.get('resourceRules') or [], rule.get('nonResourceRules') or []
    if not rrs and not nrs:
        errs.append(required(path, 'at least one of resourceRules and nonResourceRules has to be non-empty'))
    for j, r in enumerate(rrs):
        rp = '%s.resourceRules[%d]' % (path, j)
        errs += _validate_list(r.get('verbs'), rp + '.verbs', 'verbs must contain at least one value',
                               "if '*' is present, must not specify other verbs")
        errs += _validate_list(r.get('apiGroups'), rp + '.apiGroups', 'resource rules must supply at least one api group',
                               "if '*' is present, must not specify other api groups")
        errs += _validate_list(r.get('resources'), rp + '.resources', 'resource rules must supply at least one resource',
                               "if '*' is present, must not specify other resources")
        if not r.get('namespaces') and not r.get('clusterScope'):
            errs.append(required(rp + '.namespaces',
                                 'resource rules that are not cluster scoped must supply at least one namespace'))
    for j, r in enumerate(nrs):
        np_ = '%s.nonResourceRules[%d]' % (path, j)
        errs += _validate_list(r.get('verbs'), np_ + '.verbs', 'verbs must contain at least one value',
                               "if '*' is present, must not specify other verbs")
        errs += _validate_list(r.get('nonResourceURLs'), np_ + '.nonResourceURLs',
                               'nonResourceURLs must contain at least one value',
                               "if '*' is present, must not specify other non-resource URLs")
    return errs


def _validate_list(values, path, empty_msg, star_msg):
    if not values:
        return [required(path, empty_msg)]
    if '*' in values and len(values) > 1:
        return [invalid(path, values, star_msg)]
    return []


class PriorityLevelConfigurationStrategy(_FlowcontrolStrategy):
    BOOTSTRAP_UIDS = PL_UIDS

    def defaults(self, obj):
        spec = obj.get('spec')
        if not isinstance(spec, dict):
            return
        ex = spec.get('exempt')
        if isinstance(ex, dict):
            ex.setdefault('nominalConcurrencyShares', 0)
            ex.setdefault('lendablePercent', 0)
        lim = spec.get('limited')
        if isinstance(lim, dict):
            if not lim.get('nominalConcurrencyShares'):
                lim['nominalConcurrencyShares'] = 30
            if lim.get('lendablePercent') is None:
                lim['lendablePercent'] = 0
            q = (lim.get('limitResponse') or {}).get('queuing')
            if isinstance(q, dict):
                for k, v in (('queues', 64), ('handSize', 8), ('queueLengthLimit', 50)):
                    if not q.get(k):
                        q[k] = v

    def validate_spec(self, obj):
        spec = obj.get('spec') or {}
        name = obj['metadata'].get('name')
        typ = spec.get('type', '')
        errs = []
        if (name == 'exempt') != (typ == 'Exempt') and typ in ('Exempt', 'Limited'):
            errs.append(invalid('spec.type', typ, "type must be 'Exempt' if and only if name is 'exempt'"))
        if typ == 'Exempt':
            if spec.get('limited') is not None:
                errs.append(forbidden('spec.limited', 'must be nil if the type is not Limited'))
            ex = spec.get('exempt') or {}
            errs += _percent(ex.get('lendablePercent'), 'spec.exempt.lendablePercent')
        elif typ == 'Limited':
            if spec.get('exempt') is not None:
                errs.append(forbidden('spec.exempt', 'must be nil if the type is Limited'))
            lim = spec.get('limited')
            if lim is None:
                errs.append(required('spec.limited', 'must not be empty when type is Limited'))
            else:
                errs += _validate_limited(lim, 'spec.limited')
        else:
            errs.append(not_supported('spec.type', typ, ['Exempt', 'Limited']))
        return errs

    def table_cells(self, obj):
        spec = obj.get('spec') or {}
        lim = spec.get('limited')
        shares = queues = hand = length = '<none>'
        if lim is not None:
            shares = lim.get('nominalConcurrencyShares', 0)
            q = (lim.get('limitResponse') or {}).get('queuing')
            if q is not None:
                queues, hand, length = q.get('queues', 0), q.get('handSize', 0), q.get('queueLengthLimit', 0)
        return [obj['metadata']['name'], spec.get('type', ''), shares, queues, hand, length,
                age(obj['metadata'].get('creationTimestamp'))]


def _percent(v, path):
    if v is not None and not 0 <= v <= 100:
        return [invalid(path, v, 'must be between 0 and 100, inclusive')]
    return []


def _validate_limited(lim, path):
    errs = []
    if lim.get('nominalConcurrencyShares', 0) <= 0:
        errs.append(invalid(path + '.nominalConcurrencyShares', lim.get('nominalConcurrencyShares', 0), 'must be positive'))
    errs += _percent(lim.get('lendablePercent'), path + '.lendablePercent')
    if (lim.get('borrowingLimitPercent') or 0) < 0:
        errs.append(invalid(path + '.borrowingLimitPercent', lim['borrowingLimitPercent'],
                            'if specified, must be a non-negative integer'))
    lr = lim.get('limitResponse') or {}
    rp = path + '.limitResponse'
    q = lr.get('queuing')
    if lr.get('type') == 'Reject':
        if q is not None:
            errs.append(forbidden(rp + '.queuing', 'must be nil if limited.limitResponse.type is not Limited'))
    elif lr.get('type') == 'Queue':
        if q is None:
            errs.append(required(rp + '.queuing', 'must not be empty if limited.limitResponse.type is Limited'))
        else:
            qp = rp + '.queuing'
            for k in ('queueLengthLimit', 'queues', 'handSize'):
                if q.get(k, 0) <= 0:
                    errs.append(invalid('%s.%s' % (qp, k), q.get(k, 0), 'must be positive'))
            deck, hand = q.get('queues', 0), q.get('handSize', 0)
            if hand > deck > 0:
                errs.append(invalid(qp + '.handSize', hand, 'should not be greater than queues (%d)' % deck))
            elif deck > 0 and hand > 0 and required_entropy_bits(deck, hand) > MAX_HASH_BITS:
                errs.append(invalid(qp + '.handSize', hand,
                                    'required entropy bits of deckSize %d and handSize %d should not be '
                                    'greater than %d' % (deck, hand, MAX_HASH_BITS)))
    else:
        errs.append(not_supported(rp + '.type', lr.get('type', ''), ['Queue', 'Reject']))
    return errs


def required_entropy_bits(deck, hand):
    return int(math.ceil(math.log2(deck) * hand))
