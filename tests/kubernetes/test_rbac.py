#!/usr/bin/python3
"""etc/rbac.yaml grants lbd everything it does and nothing more: the API test server enforces the
shipped ClusterRole and Role for lbd's token, and lbd's informers and writes all work with it,
while a write outside the granted namespace is refused."""

import json
import os
import unittest

import yaml

from cluster import ClusterTest, Probe, TestServerCluster, REAL, wait_for
import harness

RBAC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'etc', 'rbac.yaml')
TOKEN = 'lbd-rbac-token-0123456789'


def shipped_rules(lease_namespace):
    """The rules of etc/rbac.yaml, as the test server's tokens.json wants them: ClusterRole rules
    everywhere, Role rules in the election namespace (here the test's own)."""
    rules = []
    with open(RBAC) as f:
        docs = list(yaml.safe_load_all(f))
    for doc in docs:
        if doc['kind'] == 'ClusterRole':
            rules += [dict(r) for r in doc['rules']]
        elif doc['kind'] == 'Role':
            rules += [dict(r, namespaces=[lease_namespace]) for r in doc['rules']]
    return rules


@unittest.skipIf(REAL, 'needs the API test server (tokens with the shipped rules)')
class ShippedRbac(ClusterTest):
    def setUp(self):
        super().setUp()   # a server for the namespaces' names; replaced below
        tokens = dict(harness.TOKENS)
        tokens['users'] = dict(tokens['users'], lbd={'rules': shipped_rules(self.lease_ns)})
        tokens['tokens'] = dict(tokens['tokens'], **{TOKEN: 'lbd'})
        path = os.path.join(self.cluster.server.dir, 'rbac-tokens.json')
        with open(path, 'w') as f:
            json.dump(tokens, f)
        self.cluster = TestServerCluster('--tokens', path, '--bookmark-interval', '1')
        self.addCleanup(self.cluster.close)
        for ns in (self.ns, self.lease_ns, 'elsewhere'):
            self.cluster.create({'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': ns}})
        admin = self.cluster.server.info['token']
        self.kubeconfig = os.path.join(self.cluster.server.dir, 'lbd-kubeconfig')
        with open(self.cluster.kubeconfig) as f, open(self.kubeconfig, 'w') as out:
            out.write(f.read().replace(admin, TOKEN))

    def test_everything_lbd_does_is_allowed(self):
        svc = self.cluster.create(self.service('web'))
        self.cluster.create(self.slice('web-abc', 'web', ['10.244.0.1']))
        probe = Probe(self.kubeconfig, self.lease_ns)
        self.addCleanup(probe.close)
        self.assert_converges(probe)
        self.assertEqual(probe.ask(op='status', namespace=self.ns, name='web', ips=['192.0.2.1'])['code'], 200)
        self.assertTrue(probe.ask(op='event', namespace=self.ns, name='web', uid=svc['metadata']['uid'],
                                  reason='IPAllocated', message='192.0.2.1 from pool a')['ok'])
        self.assertTrue(probe.ask(op='event', namespace=self.ns, name='web', uid=svc['metadata']['uid'],
                                  reason='IPAllocated', message='192.0.2.1 from pool a')['ok'])   # patch
        r = probe.ask(op='lease', namespace=self.lease_ns, name='lbd-allocator', identity='node-a', duration=15)
        self.assertEqual(r['outcome'], 'written', r)
        denied = [e for e in self.cluster.control('GET', '/requests') if e['code'] == 403]
        self.assertEqual(denied, [])

    def test_the_daemon_allocates_with_only_these_rights(self):
        import sys
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'integration'))
        from lbdlab import Lab
        lab = Lab().start_bus()
        self.addCleanup(lab.close)
        lab.write('lbd.toml', '[node]\nname = "host-a"\n\n[kubernetes]\nkubeconfig = "%s"\n\n[election]\n'
                  'namespace = "%s"\n\n[[pool]]\nname = "main"\naddresses = ["192.0.2.0/28"]\n'
                  % (self.kubeconfig, self.lease_ns))
        lab.start_lbd()
        self.cluster.create(self.service('web'))
        svc = wait_for(lambda: (s := self.cluster.get('Service', self.ns, 'web'))
                       and s.get('status', {}).get('loadBalancer', {}).get('ingress') and s, what='status')
        self.assertEqual(svc['metadata']['annotations']['lbd.io/ip-allocated-from-pool'], 'main')
        wait_for(lambda: [e for e in self.cluster.objects('Event') if e['reason'] == 'IPAllocated'], what='event')
        self.assertEqual(self.cluster.get('Lease', self.lease_ns, 'lbd-allocator')['spec']['holderIdentity'], 'host-a')
        lab.stop_lbd()  # releases the Lease: an update
        self.assertEqual(self.cluster.get('Lease', self.lease_ns, 'lbd-allocator')['spec'].get('holderIdentity', ''), '')
        denied = [e for e in self.cluster.control('GET', '/requests') if e['code'] == 403]
        self.assertEqual(denied, [])

    def test_leases_elsewhere_are_refused(self):
        probe = Probe(self.kubeconfig, self.lease_ns)
        self.addCleanup(probe.close)
        r = probe.ask(op='lease', namespace='elsewhere', name='lbd-allocator', identity='node-a', duration=15)
        self.assertEqual(r['outcome'], 'failed')
        self.assertIn('403', r['error'])
        self.assertIsNone(self.cluster.get('Lease', 'elsewhere', 'lbd-allocator'))


if __name__ == '__main__':
    unittest.main()
