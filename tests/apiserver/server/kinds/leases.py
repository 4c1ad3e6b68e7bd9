"""coordination.k8s.io/v1 Lease: no defaults, PUT needs a resourceVersion, duration must be > 0."""

from ..errors import invalid
from .base import Strategy, age, meta_immutables


class LeaseStrategy(Strategy):
    allow_create_on_update = True
    allow_unconditional_update = False   # 08-leases/14: PUT without RV -> 422

    def validate_spec(self, obj):
        spec = obj.get('spec') or {}
        errs = []
        d = spec.get('leaseDurationSeconds')
        if d is not None and d <= 0:
            errs.append(invalid('spec.leaseDurationSeconds', d, 'must be greater than 0'))
        t = spec.get('leaseTransitions')
        if t is not None and t < 0:
            errs.append(invalid('spec.leaseTransitions', t, 'must be greater than or equal to 0'))
        return errs

    def validate_immutable(self, new, old):
        return meta_immutables(new, old, [])

    def bookmark(self, rv):
        b = super().bookmark(rv)
        b['spec'] = {}
        return b

    def table_cells(self, obj):
        return [obj['metadata']['name'], (obj.get('spec') or {}).get('holderIdentity', ''),
                age(obj['metadata'].get('creationTimestamp'))]
