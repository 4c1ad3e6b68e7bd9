"""Events: core/v1 and events.k8s.io/v1 share one storage (kept in core/v1 form).

Each API group validates with its own rules (legacy rules for core/v1; events.k8s.io/v1 adds the
strict ones) and the objects are converted field by field between the two shapes.
"""

from .. import validation
from ..errors import invalid, required
from .base import Strategy, age

# events.k8s.io/v1 field -> core/v1 field
V1_TO_CORE = [('regarding', 'involvedObject'), ('note', 'message'), ('deprecatedCount', 'count'),
              ('deprecatedFirstTimestamp', 'firstTimestamp'), ('deprecatedLastTimestamp', 'lastTimestamp'),
              ('deprecatedSource', 'source'), ('reportingController', 'reportingComponent')]
SAME = ('eventTime', 'series', 'reportingInstance', 'action', 'reason', 'related', 'type')

CORE_FIELD_LABELS = ('involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name',
                     'involvedObject.uid', 'involvedObject.apiVersion',
                     'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason',
                     'reportingComponent', 'source', 'type')
V1_FIELD_LABELS = {'regarding.' + k.split('.', 1)[1]: k for k in CORE_FIELD_LABELS if k.startswith('involvedObject.')}
V1_FIELD_LABELS.update({'reason': 'reason', 'reportingController': 'reportingComponent', 'type': 'type',
                        'deprecatedSource': 'source'})


def core_to_v1(obj):
    out = {'kind': 'Event', 'apiVersion': 'events.k8s.io/v1', 'metadata': obj.get('metadata', {})}
    for v1, core in V1_TO_CORE:
        if core in obj:
            out[v1] = obj[core]
    for k in SAME:
        if k in obj:
            out[k] = obj[k]
    return out


def v1_to_core(obj):
    out = {'kind': 'Event', 'apiVersion': 'v1', 'metadata': obj.get('metadata', {})}
    for v1, core in V1_TO_CORE:
        if v1 in obj:
            out[core] = obj[v1]
    for k in SAME:
        if k in obj:
            out[k] = obj[k]
    return out


def _legacy(ev, controller_field):
    """legacyValidateEvent (pkg/apis/core/validation/events.go), on the core form."""
    errs = []
    ns = ev['metadata'].get('namespace', '')
    inv_ns = (ev.get('involvedObject') or {}).get('namespace', '')
    if not ev.get('eventTime'):
        if not inv_ns:
            if ns not in ('', 'default'):
                errs.append(invalid('involvedObject.namespace', inv_ns, 'does not match event.namespace'))
        elif ns != inv_ns:
            errs.append(invalid('involvedObject.namespace', inv_ns, 'does not match event.namespace'))
    else:
        if not inv_ns and ns not in ('default', 'kube-system'):
            errs.append(invalid('involvedObject.namespace', inv_ns, 'does not match event.namespace'))
        rc = ev.get('reportingComponent', '')
        if not rc:
            errs.append(required(controller_field))
        for m in validation.qualified_name(rc):
            errs.append(invalid(controller_field, rc, m))
        if not ev.get('reportingInstance'):
            errs.append(required('reportingInstance'))
        if not ev.get('action'):
            errs.append(required('action'))
        if not ev.get('reason'):
            errs.append(required('reason'))
    return errs


class CoreEventStrategy(Strategy):
    allow_create_on_update = True

    def validate(self, obj):
        return _legacy(obj, 'reportingComponent')

    def validate_update(self, new, old):
        return _legacy(new, 'reportingComponent')

    def field_value(self, obj, label):
        if label.startswith('involvedObject.'):
            return (obj.get('involvedObject') or {}).get(label.split('.', 1)[1], '')
        if label == 'source':
            return (obj.get('source') or {}).get('component', '')
        if label in ('reason', 'reportingComponent', 'type'):
            return obj.get(label, '')
        return None

    def table_cells(self, obj):
        inv = obj.get('involvedObject') or {}
        last = obj.get('lastTimestamp') or obj.get('eventTime') or obj['metadata'].get('creationTimestamp')
        first = obj.get('firstTimestamp') or obj.get('eventTime')
        src = (obj.get('source') or {}).get('component', '') or obj.get('reportingComponent', '')
        return [age(last[:19] + 'Z') if last else '<unknown>', obj.get('type', ''), obj.get('reason', ''),
                '%s/%s' % ((inv.get('kind') or '').lower(), inv.get('name', '')),
                inv.get('fieldPath', ''), src, obj.get('message', ''),
                age(first[:19] + 'Z') if first else '<unknown>', str(obj.get('count', 1) or 1),
                obj['metadata']['name']]


class EventsV1Strategy(CoreEventStrategy):
    """The strategy sees core-form objects; only validation differs (strict rules)."""

    def validate(self, obj):
        errs = _legacy(obj, 'reportingController')
        errs += validation.object_meta(obj['metadata'], True, validation.dns1123_subdomain, [])
        if not obj.get('eventTime'):
            errs.append(required('eventTime'))
        if obj.get('type') not in ('Normal', 'Warning'):
            errs.append(invalid('type', '', 'has invalid value: %s' % obj.get('type', '')))
        for f, v in (('deprecatedFirstTimestamp', obj.get('firstTimestamp')),
                     ('deprecatedLastTimestamp', obj.get('lastTimestamp')),
                     ('deprecatedCount', obj.get('count')),
                     ('deprecatedSource', obj.get('source'))):
            if v:
                errs.append(invalid(f, '', 'needs to be unset'))
        return errs

    def validate_update(self, new, old):
        return _legacy(new, 'reportingController')
