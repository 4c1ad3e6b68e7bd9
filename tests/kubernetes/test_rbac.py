#!/usr/bin/python3
"""etc/rbac.yaml grants lbd everything it does and nothing more: the API test server enforces the
shipped ClusterRole and Role for lbd's token, and lbd's informers and writes all work with it,
while a write outside the granted namespace is refused."""

import json
import os
import subprocess
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


SA_TOKEN = 'lbd-serviceaccount-token-0123456789'
SA_USER = 'system:serviceaccount:lbd-system:lbd'


@unittest.skipIf(REAL, 'needs the API test server (its request log shows the classification)')
class ShippedFlowSchema(unittest.TestCase):
    """The FlowSchema in etc/rbac.yaml, applied with kubectl, moves lbd's Lease requests from
    workload-low (where every ServiceAccount lands) to leader-election, and nothing else."""

    def setUp(self):
        tokens = dict(harness.TOKENS)
        tokens['users'] = dict(tokens['users'], **{SA_USER: {'rules': shipped_rules('lbd-system')}})
        tokens['tokens'] = dict(tokens['tokens'], **{SA_TOKEN: SA_USER})
        probe_server = TestServerCluster()
        path = os.path.join(probe_server.server.dir, 'sa-tokens.json')
        with open(path, 'w') as f:
            json.dump(tokens, f)
        self.cluster = TestServerCluster('--tokens', path)
        probe_server.close()
        self.addCleanup(self.cluster.close)
        self.cluster.create({'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'lbd-system'}})
        self.server = self.cluster.server

    def level_of(self, path):
        r = self.server.request('GET', path, token=SA_TOKEN)
        self.assertIn(r.status, (200, 404), r.body[:300])
        levels = {pl['uid']: name for name, pl in self.server.control('GET', '/flowcontrol')['priorityLevels'].items()}
        schemas = {fs['uid']: fs['name'] for fs in self.server.control('GET', '/flowcontrol')['flowSchemas']}
        return (schemas[r.header('X-Kubernetes-Pf-Flowschema-Uid')],
                levels[r.header('X-Kubernetes-Pf-Prioritylevel-Uid')])

    def test_leases_go_to_leader_election_everything_else_stays_in_workload_low(self):
        lease = '/apis/coordination.k8s.io/v1/namespaces/lbd-system/leases/lbd-allocator'
        self.assertEqual(self.level_of(lease), ('service-accounts', 'workload-low'))
        with open(RBAC) as f:
            [schema] = [d for d in yaml.safe_load_all(f) if d['kind'] == 'FlowSchema']
        self.assertEqual(schema['apiVersion'], 'flowcontrol.apiserver.k8s.io/v1')
        # The test server is 1.28, which serves v1beta3 only: what docs/kubernetes.md tells
        # users of 1.26-1.28 to do.
        schema['apiVersion'] = 'flowcontrol.apiserver.k8s.io/v1beta3'
        manifest = os.path.join(self.server.dir, 'flowschema.yaml')
        with open(manifest, 'w') as f:
            yaml.safe_dump(schema, f)
        out = subprocess.run(['/usr/bin/kubectl', '--kubeconfig', self.cluster.kubeconfig, 'apply', '-f', manifest],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(self.level_of(lease), ('lbd-leader-election', 'leader-election'))
        self.assertEqual(self.level_of('/apis/coordination.k8s.io/v1/namespaces/lbd-system/leases'),
                         ('lbd-leader-election', 'leader-election'))
        self.assertEqual(self.level_of('/api/v1/services'), ('service-accounts', 'workload-low'))
        # Only lbd's ServiceAccount: another one's Leases stay where they were.
        self.assertEqual(schema['spec']['rules'][0]['subjects'],
                         [{'kind': 'ServiceAccount', 'serviceAccount': {'name': 'lbd', 'namespace': 'lbd-system'}}])


if __name__ == '__main__':
    unittest.main()
