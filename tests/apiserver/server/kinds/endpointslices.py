"""discovery.k8s.io/v1 EndpointSlice: defaults, address validation per addressType, generation."""

from .. import validation
from ..errors import invalid, required, not_supported, FieldError
from .base import Strategy, age, meta_immutables

ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6']


class EndpointSliceStrategy(Strategy):
    tracks_generation = True

    def defaults(self, obj):
        for p in obj.get('ports') or []:
            if p.get('name') is None:
                p['name'] = ''
            if p.get('protocol') is None:
                p['protocol'] = 'TCP'

    def spec_of(self, obj):
        return {k: obj.get(k) for k in ('addressType', 'endpoints', 'ports')}

    def validate_spec(self, obj):
        errs = []
        at = obj.get('addressType', '')
        if not at:
            errs.append(required('addressType'))
        elif at not in ADDRESS_TYPES:
            errs.append(not_supported('addressType', at, ADDRESS_TYPES))
        for i, ep in enumerate(obj.get('endpoints') or []):
            f = 'endpoints[%d]' % i
            addrs = ep.get('addresses') or []
            if not addrs:
                errs.append(required(f + '.addresses', 'must contain at least 1 address'))
            elif len(addrs) > 100:
                errs.append(FieldError(f + '.addresses', 'FieldValueTooMany', 'Too many: %d: must have at most 100 items' % len(addrs)))
            for j, a in enumerate(addrs):
                af = '%s.addresses[%d]' % (f, j)
                if at == 'IPv4' and not validation.is_ip(a, 4):
                    errs.append(invalid(af, a, 'must be a valid IPv4 address'))
                elif at == 'IPv6' and not validation.is_ip(a, 6):
                    errs.append(invalid(af, a, 'must be a valid IPv6 address'))
                elif at == 'FQDN':
                    for m in validation.dns1123_subdomain(a):
                        errs.append(invalid(af, a, m))
            nn = ep.get('nodeName')
            if nn is not None:
                for m in validation.dns1123_subdomain(nn):
                    errs.append(invalid(f + '.nodeName', nn, m))
            hn = ep.get('hostname')
            if hn is not None:
                for m in validation.dns1123_label(hn):
                    errs.append(invalid(f + '.hostname', hn, m))
        names = set()
        for i, p in enumerate(obj.get('ports') or []):
            f = 'ports[%d]' % i
            name = p.get('name') or ''
            if name:
                for m in validation.dns1123_label(name):
                    errs.append(invalid(f + '.name', name, m))
            if name in names:
                errs.append(FieldError(f + '.name', 'FieldValueDuplicate', 'Duplicate value: "%s"' % name))
            names.add(name)
            proto = p.get('protocol')
            if proto is None:
                errs.append(required(f + '.protocol'))
            elif proto not in ('SCTP', 'TCP', 'UDP'):
                errs.append(not_supported(f + '.protocol', proto, ['SCTP', 'TCP', 'UDP']))
        return errs

    def warnings_on_create(self, obj):
        if obj.get('addressType') == 'FQDN':
            return ['spec.addressType: FQDN endpoints are deprecated']
        return []

    def validate_immutable(self, new, old):
        errs = []
        if new.get('addressType') != old.get('addressType'):
            errs.append(invalid('addressType', new.get('addressType', ''), 'field is immutable'))
        return meta_immutables(new, old, errs)

    def bookmark(self, rv):
        b = super().bookmark(rv)
        b.update({'addressType': '', 'endpoints': None, 'ports': None})
        return b

    def table_cells(self, obj):
        ports = ','.join(str(p['port']) if p.get('port') is not None else '<unset>'
                         for p in obj.get('ports') or []) or '<unset>'
        addrs = [a for ep in obj.get('endpoints') or [] for a in ep.get('addresses') or []]
        shown = ','.join(addrs[:3]) + (' + %d more...' % (len(addrs) - 3) if len(addrs) > 3 else '')
        return [obj['metadata']['name'], obj.get('addressType', ''), ports, shown or '<unset>',
                age(obj['metadata'].get('creationTimestamp'))]
