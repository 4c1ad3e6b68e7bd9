"""core/v1 Node: status kept on create, the not-ready taint from admission, /status rules."""

from .base import Strategy, age, meta_immutables

NOT_READY_TAINT = {'key': 'node.kubernetes.io/not-ready', 'effect': 'NoSchedule'}


class NodeStrategy(Strategy):
    status_subresource = True

    def prepare_create(self, obj, server):
        # TaintNodesByCondition admission adds not-ready to every new Node, whatever its conditions.
        spec = obj.setdefault('spec', {})
        taints = spec.get('taints') or []
        if not any(t.get('key') == NOT_READY_TAINT['key'] for t in taints):
            spec['taints'] = taints + [dict(NOT_READY_TAINT)]

    def validate_immutable(self, new, old):
        return meta_immutables(new, old, [])

    def bookmark(self, rv):
        b = super().bookmark(rv)
        b['spec'] = {}
        b['status'] = {'daemonEndpoints': {'kubeletEndpoint': {'Port': 0}},
                       'nodeInfo': {k: '' for k in (
                           'machineID', 'systemUUID', 'bootID', 'kernelVersion', 'osImage',
                           'containerRuntimeVersion', 'kubeletVersion', 'kubeProxyVersion',
                           'operatingSystem', 'architecture')}}
        return b

    def field_value(self, obj, label):
        if label == 'spec.unschedulable':
            return 'true' if (obj.get('spec') or {}).get('unschedulable') else 'false'
        return None

    def table_cells(self, obj):
        status = obj.get('status') or {}
        ready = 'Unknown'
        for c in status.get('conditions') or []:
            if c.get('type') == 'Ready':
                ready = 'Ready' if c.get('status') == 'True' else 'NotReady'
        if (obj.get('spec') or {}).get('unschedulable'):
            ready += ',SchedulingDisabled'
        roles = sorted(k.split('/', 1)[1] for k in (obj['metadata'].get('labels') or {})
                       if k.startswith('node-role.kubernetes.io/'))
        addrs = status.get('addresses') or []
        internal = next((a['address'] for a in addrs if a.get('type') == 'InternalIP'), '<none>')
        external = next((a['address'] for a in addrs if a.get('type') == 'ExternalIP'), '<none>')
        info = status.get('nodeInfo') or {}
        return [obj['metadata']['name'], ready, ','.join(roles) or '<none>',
                age(obj['metadata'].get('creationTimestamp')), info.get('kubeletVersion', ''),
                internal, external, info.get('osImage') or '<unknown>',
                info.get('kernelVersion') or '<unknown>',
                info.get('containerRuntimeVersion') or '<unknown>']
