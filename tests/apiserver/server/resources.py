"""The resources the test server serves, and how each is named, stored, selected and converted."""

from . import schema
from .kinds.services import ServiceStrategy
from .kinds.leases import LeaseStrategy
from .kinds.endpointslices import EndpointSliceStrategy
from .kinds.namespaces import NamespaceStrategy
from .kinds.nodes import NodeStrategy
from .kinds import events
from .kinds.flowcontrol import FlowSchemaStrategy, PriorityLevelConfigurationStrategy

ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']

# How an unsupported fieldSelector is reported differs by kind (12-fieldselectors/).
KNOWN_STYLE = 'known'      # "x" is not a known field selector: only "metadata.name", "metadata.namespace"
LABEL_STYLE = 'label'      # field label not supported: x


class Resource:
    def __init__(self, plural, singular, kind, group, version, namespaced, typ, strategy,
                 short_names=(), categories=(), verbs=ALL_VERBS, subresources=(),
                 field_labels=('metadata.name', 'metadata.namespace'), selector_style=KNOWN_STYLE,
                 watch_cache=True, storage=None, hash_='', to_internal=None, to_external=None,
                 field_label_map=None):
        self.plural, self.singular, self.kind = plural, singular, kind
        self.group, self.version, self.namespaced = group, version, namespaced
        self.type = typ
        self.strategy = strategy(self)
        self.short_names, self.categories = list(short_names), list(categories)
        self.verbs, self.subresources = verbs, subresources
        self.field_labels, self.selector_style = field_labels, selector_style
        self.watch_cache = watch_cache
        self.storage = storage or plural
        self.storage_version_hash = hash_
        self.to_internal = to_internal or (lambda o: o)
        self.to_external = to_external or (lambda o: o)
        self.field_label_map = field_label_map or {}
        self.storage_converts = to_internal is not None or to_external is not None

    @property
    def api_version(self):
        return self.group + '/' + self.version if self.group else self.version

    @property
    def group_version(self):
        return self.api_version

    @property
    def list_kind(self):
        return self.kind + 'List'

    def prefix(self):
        return '/apis/%s/%s' % (self.group, self.version) if self.group else '/api/' + self.version


def _core_events_to_external(o):
    o = dict(o)
    o['apiVersion'] = 'v1'
    return o


FLOWCONTROL = 'flowcontrol.apiserver.k8s.io'

RESOURCES = [
    Resource('namespaces', 'namespace', 'Namespace', '', 'v1', False, schema.Namespace,
             NamespaceStrategy, short_names=['ns'],
             verbs=['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
             subresources=('status', 'finalize'), field_labels=('metadata.name', 'status.phase'),
             selector_style=LABEL_STYLE, hash_='Q3oi5N2YM8M='),
    Resource('services', 'service', 'Service', '', 'v1', True, schema.Service, ServiceStrategy,
             short_names=['svc'], categories=['all'], subresources=('status', 'proxy'),
             hash_='0/CO1lhkEBI='),
    Resource('nodes', 'node', 'Node', '', 'v1', False, schema.Node, NodeStrategy,
             short_names=['no'], subresources=('status', 'proxy'),
             field_labels=('metadata.name', 'spec.unschedulable'), selector_style=LABEL_STYLE,
             hash_='XwShjMxG9Fs='),
    Resource('events', 'event', 'Event', '', 'v1', True, schema.CoreEvent,
             events.CoreEventStrategy, short_names=['ev'],
             field_labels=('metadata.name', 'metadata.namespace') + events.CORE_FIELD_LABELS,
             selector_style=LABEL_STYLE, watch_cache=False, storage='events',
             hash_='r2yiGXH7wu8=', to_external=_core_events_to_external),
    Resource('endpointslices', 'endpointslice', 'EndpointSlice', 'discovery.k8s.io', 'v1', True,
             schema.EndpointSlice, EndpointSliceStrategy, hash_='Nx3SIv6I0mE='),
    Resource('leases', 'lease', 'Lease', 'coordination.k8s.io', 'v1', True, schema.Lease,
             LeaseStrategy, hash_='gqkMMb/YqFM='),
    Resource('events', 'event', 'Event', 'events.k8s.io', 'v1', True, schema.EventsV1Event,
             events.EventsV1Strategy, short_names=['ev'],
             field_labels=('metadata.name', 'metadata.namespace') + tuple(events.V1_FIELD_LABELS),
             selector_style=LABEL_STYLE, watch_cache=False, storage='events',
             hash_='r2yiGXH7wu8=', to_internal=events.v1_to_core, to_external=events.core_to_v1,
             field_label_map=events.V1_FIELD_LABELS),
    Resource('flowschemas', 'flowschema', 'FlowSchema', FLOWCONTROL, 'v1beta3', False,
             schema.FlowSchema, FlowSchemaStrategy, subresources=('status',), hash_='9bSnTLYweJ0='),
    Resource('prioritylevelconfigurations', 'prioritylevelconfiguration', 'PriorityLevelConfiguration',
             FLOWCONTROL, 'v1beta3', False, schema.PriorityLevelConfiguration,
             PriorityLevelConfigurationStrategy, subresources=('status',), hash_='BFVwf8eYnsw='),
]

# Served groups, in /apis order (as the real server lists them).
GROUP_ORDER = ['events.k8s.io', 'coordination.k8s.io', 'discovery.k8s.io', FLOWCONTROL,
               'authorization.k8s.io']


def find(group, version, plural):
    for r in RESOURCES:
        if r.group == group and r.version == version and r.plural == plural:
            return r
    return None


def group_version(group):
    """The one version served for a group (1.28 also serves flowcontrol v1beta2: not here)."""
    return 'v1beta3' if group == FLOWCONTROL else 'v1'


def group_versions():
    gvs = [('', 'v1')]
    for g in GROUP_ORDER:
        gvs.append((g, group_version(g)))
    return gvs


def served_group_version(group, version):
    return (group, version) in group_versions()


def cached_storages():
    return sorted({r.storage for r in RESOURCES if r.watch_cache})
