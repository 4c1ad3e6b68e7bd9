"""core/v1 Service: defaults, ClusterIP / NodePort allocation, validation, /status rules, Table."""

import ipaddress
import random

from .. import validation
from ..errors import invalid, required, not_supported, duplicate, invalid_object, forbidden
from .base import Strategy, age, meta_immutables

NODE_PORT_RANGE = (30000, 32767)


class Allocator:
    """ClusterIPs from the service CIDRs (one per family) and node ports from 30000-32767."""

    def __init__(self, cidrs):
        self.cidrs = {}
        for c in cidrs:
            net = ipaddress.ip_network(c, strict=False)
            self.cidrs['IPv4' if net.version == 4 else 'IPv6'] = net
        self.ips = set()
        self.ports = set()
        self.rng = random.Random()

    def families(self):
        return [f for f in ('IPv4', 'IPv6') if f in self.cidrs]

    def alloc_ip(self, family, want=None):
        net = self.cidrs[family]
        if want:
            ip = ipaddress.ip_address(want)
            if ip not in net or ip == net.network_address or (net.version == 4 and ip == net.broadcast_address):
                raise ValueError('provided IP is not in the valid range. The range of valid IPs is %s' % net)
            if str(ip) in self.ips:
                raise ValueError('provided IP is already allocated')
            self.ips.add(str(ip))
            return str(ip)
        size = min(net.num_addresses - 2, 1 << 20)
        for _ in range(10000):
            ip = str(net.network_address + self.rng.randint(1, size))
            if ip not in self.ips:
                self.ips.add(ip)
                return ip
        raise ValueError('range is full')

    def alloc_port(self, want=None):
        lo, hi = NODE_PORT_RANGE
        if want:
            if not lo <= want <= hi:
                raise ValueError('provided port is not in the valid range. The range of valid ports is %d-%d' % (lo, hi))
            if want in self.ports:
                raise ValueError('provided port is already allocated')
            self.ports.add(want)
            return want
        for _ in range(10000):
            p = self.rng.randint(lo, hi)
            if p not in self.ports:
                self.ports.add(p)
                return p
        raise ValueError('range is full')

    def release(self, svc):
        spec = svc.get('spec', {})
        for ip in spec.get('clusterIPs') or []:
            self.ips.discard(ip)
        for p in spec.get('ports') or []:
            self.ports.discard(p.get('nodePort'))
        self.ports.discard(spec.get('healthCheckNodePort'))


def _needs_node_ports(spec):
    t = spec.get('type')
    return t == 'NodePort' or (t == 'LoadBalancer' and spec.get('allocateLoadBalancerNodePorts', True))


def _port_key_text(p):
    # The duplicate check compares a key struct that only has Port and Protocol set (07b).
    return ('core.ServicePort{Name:"", Protocol:"%s", AppProtocol:(*string)(nil), Port:%d, '
            'TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}'
            % (p.get('protocol', ''), p.get('port', 0)))


class ServiceStrategy(Strategy):
    status_subresource = True
    allow_create_on_update = True
    delete_returns_object = True
    name_validator = staticmethod(validation.dns1035_label)

    def defaults(self, obj):
        spec = obj.setdefault('spec', {})
        if not spec.get('sessionAffinity'):
            spec['sessionAffinity'] = 'None'
        if not spec.get('type'):
            spec['type'] = 'ClusterIP'
        for p in spec.get('ports') or []:
            if not p.get('protocol'):
                p['protocol'] = 'TCP'
            if p.get('targetPort') in (None, 0, ''):
                p['targetPort'] = p.get('port', 0)
        t = spec['type']
        if t in ('NodePort', 'LoadBalancer') and not spec.get('externalTrafficPolicy'):
            spec['externalTrafficPolicy'] = 'Cluster'
        if t != 'ExternalName' and spec.get('internalTrafficPolicy') is None:
            spec['internalTrafficPolicy'] = 'Cluster'
        if t == 'LoadBalancer' and spec.get('allocateLoadBalancerNodePorts') is None:
            spec['allocateLoadBalancerNodePorts'] = True
        if spec['sessionAffinity'] == 'ClientIP' and not spec.get('sessionAffinityConfig'):
            spec['sessionAffinityConfig'] = {'clientIP': {'timeoutSeconds': 10800}}
        if spec.get('clusterIP') and not spec.get('clusterIPs'):
            spec['clusterIPs'] = [spec['clusterIP']]

    def prepare_create(self, obj, server):
        # Service status is never taken from a create (PrepareForCreate resets it).
        obj['status'] = {'loadBalancer': {}}
        self.allocate(obj, server.allocator, None)

    def allocate(self, obj, alloc, old):
        """BeginCreate/BeginUpdate: runs *before* validation, so its errors come alone (06/07)."""
        spec = obj['spec']
        errs = []
        taken = []
        try:
            if spec.get('type') != 'ExternalName' and (old is None or not old['spec'].get('clusterIPs')):
                fams = spec.get('ipFamilies') or []
                policy = spec.get('ipFamilyPolicy')
                if not fams:
                    fams = alloc.families()[:1]
                    if policy in ('PreferDualStack', 'RequireDualStack'):
                        fams = alloc.families()
                for i, f in enumerate(fams):
                    if f not in alloc.cidrs:
                        errs.append(invalid('spec.ipFamilies[%d]' % i, f, 'not configured on this cluster'))
                if policy == 'RequireDualStack' and len(alloc.families()) < 2:
                    errs.append(invalid('spec.ipFamilyPolicy', policy,
                                        'this cluster is not configured for dual-stack services'))
                if errs:
                    raise _AllocError()
                spec['ipFamilies'] = fams
                if not policy:
                    spec['ipFamilyPolicy'] = 'SingleStack' if len(fams) == 1 else 'PreferDualStack'
                want = list(spec.get('clusterIPs') or ([spec['clusterIP']] if spec.get('clusterIP') else []))
                if want == ['None']:
                    spec['clusterIP'], spec['clusterIPs'] = 'None', ['None']
                else:
                    ips = []
                    for i, f in enumerate(fams):
                        w = want[i] if i < len(want) else None
                        try:
                            ips.append(alloc.alloc_ip(f, w))
                            taken.append(('ip', ips[-1]))
                        except ValueError as e:
                            errs.append(invalid('spec.clusterIPs', ['%s' % x for x in want],
                                                'failed to allocate IP %s: %s' % (w, e)))
                            raise _AllocError()
                    spec['clusterIP'], spec['clusterIPs'] = ips[0], ips
            if _needs_node_ports(spec):
                old_ports = {}
                if old is not None:
                    for p in old['spec'].get('ports') or []:
                        if p.get('nodePort'):
                            old_ports[(p.get('port'), p.get('protocol'))] = p['nodePort']
                for i, p in enumerate(spec.get('ports') or []):
                    keep = old_ports.get((p.get('port'), p.get('protocol')))
                    if p.get('nodePort') and p.get('nodePort') == keep:
                        continue
                    if not p.get('nodePort') and keep:
                        p['nodePort'] = keep
                        continue
                    try:
                        p['nodePort'] = alloc.alloc_port(p.get('nodePort') or None)
                        taken.append(('port', p['nodePort']))
                    except ValueError as e:
                        errs.append(invalid('spec.ports[%d].nodePort' % i, p.get('nodePort'), str(e)))
                        raise _AllocError()
            if (spec.get('type') == 'LoadBalancer' and spec.get('externalTrafficPolicy') == 'Local'
                    and not spec.get('healthCheckNodePort')):
                keep = old['spec'].get('healthCheckNodePort') if old else None
                spec['healthCheckNodePort'] = keep or alloc.alloc_port()
                if not keep:
                    taken.append(('port', spec['healthCheckNodePort']))
        except _AllocError:
            for what, v in taken:
                (alloc.ips if what == 'ip' else alloc.ports).discard(v)
            raise invalid_object('Service', obj['metadata'].get('name', ''), errs)
        return taken

    def validate_spec(self, obj):
        spec = obj.get('spec', {})
        errs = []
        t = spec.get('type', '')
        ports = spec.get('ports') or []
        if t != 'ExternalName' and spec.get('clusterIP') != 'None' and not ports:
            errs.append(required('spec.ports'))
        names = set()
        for i, p in enumerate(ports):
            f = 'spec.ports[%d]' % i
            name = p.get('name', '')
            if len(ports) > 1 and not name:
                errs.append(required(f + '.name'))
            elif name:
                for m in validation.dns1123_label(name):
                    errs.append(invalid(f + '.name', name, m))
                if name in names:
                    errs.append(duplicate(f + '.name', '"%s"' % name))
                names.add(name)
            port = p.get('port', 0)
            if not 1 <= port <= 65535:
                errs.append(invalid(f + '.port', port, 'must be between 1 and 65535, inclusive'))
            proto = p.get('protocol', '')
            if proto not in ('TCP', 'UDP', 'SCTP'):
                errs.append(not_supported(f + '.protocol', proto, ['SCTP', 'TCP', 'UDP']))
            tp = p.get('targetPort', 0)
            if isinstance(tp, int):
                if not 1 <= tp <= 65535:
                    errs.append(invalid(f + '.targetPort', tp, 'must be between 1 and 65535, inclusive'))
            elif not tp or len(tp) > 15 or not all(c.islower() or c.isdigit() or c == '-' for c in tp):
                errs.append(invalid(f + '.targetPort', tp, 'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)'))
        if spec.get('sessionAffinity') not in ('ClientIP', 'None'):
            errs.append(not_supported('spec.sessionAffinity', spec.get('sessionAffinity', ''), ['ClientIP', 'None']))
        if t not in ('ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'):
            errs.append(not_supported('spec.type', t, ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort']))
        etp = spec.get('externalTrafficPolicy')
        if t in ('NodePort', 'LoadBalancer'):
            if etp not in ('Cluster', 'Local'):
                errs.append(not_supported('spec.externalTrafficPolicy', etp or '', ['Cluster', 'Local']))
        elif etp:
            errs.append(invalid('spec.externalTrafficPolicy', etp,
                                'may only be set when `type` is \'NodePort\' or \'LoadBalancer\''))
        itp = spec.get('internalTrafficPolicy')
        if itp is not None and itp not in ('Cluster', 'Local'):
            errs.append(not_supported('spec.internalTrafficPolicy', itp, ['Cluster', 'Local']))
        if spec.get('loadBalancerClass') is not None and t != 'LoadBalancer':
            errs.append(forbidden('spec.loadBalancerClass', 'may only be used when `type` is \'LoadBalancer\''))
        for i, ip in enumerate(spec.get('externalIPs') or []):
            if not validation.is_ip(ip):
                errs.append(invalid('spec.externalIPs[%d]' % i, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'))
        if spec.get('loadBalancerIP') and not validation.is_ip(spec['loadBalancerIP']):
            errs.append(invalid('spec.loadBalancerIP', spec['loadBalancerIP'], 'must be a valid IP address'))
        seen = set()
        for i, p in enumerate(ports):
            k = (p.get('port'), p.get('protocol'))
            if k in seen:
                errs.append(duplicate('spec.ports[%d]' % i, _port_key_text(p)))
            seen.add(k)
        errs += self.validate_status(obj)
        return errs

    def validate_status(self, obj):
        errs = []
        for i, ing in enumerate((obj.get('status') or {}).get('loadBalancer', {}).get('ingress') or []):
            ip = ing.get('ip')
            if ip and not validation.is_ip(ip):
                errs.append(invalid('status.loadBalancer.ingress[%d].ip' % i, ip, 'must be a valid IP address'))
            hn = ing.get('hostname')
            if hn:
                for m in validation.dns1123_subdomain(hn):
                    errs.append(invalid('status.loadBalancer.ingress[%d].hostname' % i, hn, m))
                if validation.is_ip(hn):
                    errs.append(invalid('status.loadBalancer.ingress[%d].hostname' % i, hn, 'must be a DNS name, not an IP address'))
        return errs

    def validate_immutable(self, new, old):
        errs = []
        ns, os_ = new['spec'], old['spec']
        if os_.get('clusterIPs') and new['spec'].get('type') != 'ExternalName':
            want = ns.get('clusterIPs') or ([ns['clusterIP']] if ns.get('clusterIP') else [])
            if want and want != os_['clusterIPs'][:len(want)]:
                errs.append(invalid('spec.clusterIPs[0]', 'GOSLICE', 'may not change once set'))
                errs[-1].detail = errs[-1].detail.replace('"GOSLICE"', '[]string{%s}' % ', '.join('"%s"' % x for x in want))
        return meta_immutables(new, old, errs)

    def validate_status_update(self, new, old):
        return self.validate_status(new)

    def fill_update(self, new, old, server):
        """PUT/PATCH carry over what the client may omit: allocated IPs and node ports."""
        ns, os_ = new['spec'], old['spec']
        if new['spec'].get('type') != 'ExternalName':
            if not ns.get('clusterIP') and not ns.get('clusterIPs'):
                ns['clusterIP'], ns['clusterIPs'] = os_.get('clusterIP', ''), os_.get('clusterIPs')
            if not ns.get('ipFamilies'):
                ns['ipFamilies'] = os_.get('ipFamilies')
            if not ns.get('ipFamilyPolicy'):
                ns['ipFamilyPolicy'] = os_.get('ipFamilyPolicy')
            for k in list(ns):
                if ns[k] is None:
                    del ns[k]
        taken = self.allocate(new, server.allocator, old)
        return taken

    def after_update(self, new, old, server):
        keep = {p.get('nodePort') for p in new['spec'].get('ports') or []}
        keep.add(new['spec'].get('healthCheckNodePort'))
        for p in old['spec'].get('ports') or []:
            if p.get('nodePort') not in keep:
                server.allocator.ports.discard(p.get('nodePort'))
        if old['spec'].get('healthCheckNodePort') not in keep:
            server.allocator.ports.discard(old['spec'].get('healthCheckNodePort'))

    def after_delete(self, obj, server):
        server.allocator.release(obj)

    def bookmark(self, rv):
        b = super().bookmark(rv)
        b['spec'] = {}
        b['status'] = {'loadBalancer': {}}
        return b

    def table_cells(self, obj):
        spec = obj.get('spec', {})
        t = spec.get('type', '')
        ext = ', '.join(spec.get('externalIPs') or [])
        ing = [i.get('ip') or i.get('hostname') for i in (obj.get('status', {}).get('loadBalancer', {}).get('ingress') or [])]
        if t == 'LoadBalancer':
            lb = ','.join(x for x in ing if x)
            ext = lb or (ext if ext else '<pending>')
            if ext and lb and spec.get('externalIPs'):
                ext = ','.join([lb] + spec['externalIPs'])
        elif t == 'ExternalName':
            ext = spec.get('externalName', '')
        ext = ext or '<none>'
        ports = []
        for p in spec.get('ports') or []:
            if p.get('nodePort'):
                ports.append('%d:%d/%s' % (p['port'], p['nodePort'], p.get('protocol', 'TCP')))
            else:
                ports.append('%d/%s' % (p.get('port', 0), p.get('protocol', 'TCP')))
        sel = spec.get('selector') or {}
        return [obj['metadata']['name'], t, spec.get('clusterIP') or '<none>', ext,
                ','.join(ports) or '<none>', age(obj['metadata'].get('creationTimestamp')),
                ','.join('%s=%s' % kv for kv in sorted(sel.items())) or '<none>']


class _AllocError(Exception):
    pass
