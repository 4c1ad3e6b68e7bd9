"""core/v1 Namespace: the metadata.name label, finalizers, Terminating on delete, protected ones."""

from .. import validation
from ..errors import APIError
from ..gotypes import now_time
from .base import Strategy, age, meta_immutables

PROTECTED = ('default', 'kube-system', 'kube-public')
NAME_LABEL = 'kubernetes.io/metadata.name'


class NamespaceStrategy(Strategy):
    status_subresource = True
    delete_returns_object = True
    name_validator = staticmethod(validation.namespace_name)

    def defaults(self, obj):
        # SetDefaults_Namespace: the label always mirrors the name (a patch of it is a no-op, 14/05).
        name = obj.get('metadata', {}).get('name')
        if name:
            labels = obj['metadata'].get('labels') or {}
            labels[NAME_LABEL] = name
            obj['metadata']['labels'] = dict(sorted(labels.items()))

    def prepare_create(self, obj, server):
        obj['status'] = {'phase': 'Active'}
        spec = obj.setdefault('spec', {})
        if 'kubernetes' not in (spec.get('finalizers') or []):
            spec['finalizers'] = (spec.get('finalizers') or []) + ['kubernetes']

    def prepare_update(self, new, old):
        super().prepare_update(new, old)
        new['spec'] = old.get('spec', {})   # spec.finalizers only change through /finalize

    def validate_immutable(self, new, old):
        return meta_immutables(new, old, [])

    def delete(self, obj, server, res):
        """Deleting a namespace only marks it Terminating: nothing finalizes it (no controllers)."""
        name = obj['metadata']['name']
        if name in PROTECTED:
            raise APIError(403, 'namespaces "%s" is forbidden: this namespace may not be deleted' % name,
                           'Forbidden', {'name': name, 'kind': 'namespaces'})
        if obj['metadata'].get('deletionTimestamp'):
            return obj
        new = server.copy(obj)
        new['metadata']['deletionTimestamp'] = now_time()
        new['status'] = {'phase': 'Terminating'}
        return server.store.update(res.storage, new, obj)

    def bookmark(self, rv):
        b = super().bookmark(rv)
        b.update({'spec': {}, 'status': {}})
        return b

    def field_value(self, obj, label):
        if label == 'status.phase':
            return (obj.get('status') or {}).get('phase', '')
        return None

    def table_cells(self, obj):
        return [obj['metadata']['name'], (obj.get('status') or {}).get('phase', ''),
                age(obj['metadata'].get('creationTimestamp'))]
