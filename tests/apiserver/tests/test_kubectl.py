"""Real kubectl (1.28 and 1.33) against the test server: apply / get / patch / delete / get -w."""

import json
import os
import re
import subprocess
import tempfile
import time
import unittest

from harness import ServerTest, SAMPLES


def recorded_sequence(log):
    """(method, path?query, status) of each request in 02-kubectl/SEQUENCES.md for one log."""
    text = open(os.path.join(SAMPLES, '02-kubectl', 'SEQUENCES.md')).read()
    part = text.split('## ' + log + '.kubectl-v9.log', 1)[1].split('\n## ', 1)[0]
    out = []
    for m in re.finditer(r'^\d+\. `(\w+) (\S+)` -> \*\*(\d+)', part, re.M):
        out.append((m.group(1), re.sub(r'hash=[0-9A-F]+', 'hash=H', m.group(2)), int(m.group(3))))
    return out

KUBECTL = {v: '/usr/lib/google-cloud-sdk/bin/kubectl.%s' % v for v in ('1.28', '1.33')}

SVC = """apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: demo
  labels:
    app: %s
spec:
  type: LoadBalancer
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: 8080
"""
LEASE = """apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: lbd-leader
  namespace: demo
spec:
  holderIdentity: %s
  leaseDurationSeconds: 15
"""
EPS = """apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abc12
  namespace: demo
  labels:
    kubernetes.io/service-name: web
addressType: IPv4
ports:
- name: http
  port: 8080
  protocol: TCP
endpoints:
- addresses: ["10.244.1.5"]
  conditions: {ready: true}
  nodeName: %s
"""


class KubectlMixin:
    version = None

    def setUp(self):
        if not os.access(KUBECTL[self.version], os.X_OK):
            self.skipTest('kubectl %s not installed' % self.version)
        super().setUp()
        self.ns('demo')
        self.tmp = tempfile.mkdtemp(prefix='kubectl-', dir=self.s.dir)

    def kubectl(self, *args, check=True, stdin=None):
        cache = tempfile.mkdtemp(dir=self.tmp)   # cold discovery cache: the full sequence each time
        p = subprocess.run([KUBECTL[self.version], '--kubeconfig', self.s.kubeconfig, '--cache-dir', cache] + list(args),
                           capture_output=True, text=True, timeout=60, input=stdin)
        if check:
            self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def manifest(self, text):
        fd, path = tempfile.mkstemp(suffix='.yaml', dir=self.tmp)
        with os.fdopen(fd, 'w') as f:
            f.write(text)
        return path

    def stored(self, path):
        r = self.s.get(path)
        return r.json() if r.status == 200 else None

    def test_service_lifecycle(self):
        path = '/api/v1/namespaces/demo/services/web'
        out = self.kubectl('apply', '-f', self.manifest(SVC % 'web')).stdout
        self.assertEqual(out.strip(), 'service/web created')
        o = self.stored(path)
        self.assertIn('kubectl.kubernetes.io/last-applied-configuration', o['metadata']['annotations'])
        self.assertEqual(o['metadata']['managedFields'][0]['manager'], 'kubectl-client-side-apply')
        rv1 = int(o['metadata']['resourceVersion'])
        out = self.kubectl('apply', '-f', self.manifest(SVC % 'web2')).stdout
        self.assertEqual(out.strip(), 'service/web configured')
        o = self.stored(path)
        self.assertEqual(o['metadata']['labels'], {'app': 'web2'})
        self.assertGreater(int(o['metadata']['resourceVersion']), rv1)
        out = self.kubectl('apply', '-f', self.manifest(SVC % 'web2')).stdout
        self.assertEqual(out.strip(), 'service/web unchanged')
        out = self.kubectl('get', 'svc', '-n', 'demo').stdout.splitlines()
        self.assertEqual(out[0].split(), ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'])
        cols = out[1].split()
        self.assertEqual(cols[:2] + cols[3:4], ['web', 'LoadBalancer', '<pending>'])
        self.assertEqual(cols[2], o['spec']['clusterIP'])
        out = self.kubectl('patch', 'svc', 'web', '-n', 'demo', '--subresource=status', '--type=merge',
                           '-p', '{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.10"}]}}}').stdout
        self.assertEqual(out.strip(), 'service/web patched')
        o = self.stored(path)
        self.assertEqual(o['status']['loadBalancer']['ingress'], [{'ip': '192.0.2.10'}])
        self.assertTrue(any(m['manager'] == 'kubectl-patch' and m.get('subresource') == 'status'
                            for m in o['metadata']['managedFields']))
        got = json.loads(self.kubectl('get', 'svc', 'web', '-n', 'demo', '-o', 'json').stdout)
        self.assertEqual(got['status'], o['status'])
        self.assertIn('192.0.2.10', self.kubectl('get', 'svc', 'web', '-n', 'demo').stdout)
        out = self.kubectl('delete', 'svc', 'web', '-n', 'demo').stdout
        self.assertEqual(out.strip(), 'service "web" deleted')
        self.assertIsNone(self.stored(path))

    def test_get_watch(self):
        cache = tempfile.mkdtemp(dir=self.tmp)
        p = subprocess.Popen([KUBECTL[self.version], '--kubeconfig', self.s.kubeconfig, '--cache-dir', cache,
                              'get', 'svc', '-n', 'demo', '-w', '--output-watch-events'],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 20
            while not any(e['path'] == '/api/v1/namespaces/demo/services' and 'watch=true' in e['query']
                          for e in self.s.control('GET', '/requests')):
                self.assertLess(time.monotonic(), deadline, 'kubectl never started its watch')
                time.sleep(0.05)
            self.kubectl('apply', '-f', self.manifest(SVC % 'web'))
            self.kubectl('label', 'svc', 'web', '-n', 'demo', 'extra=yes')
            self.kubectl('delete', 'svc', 'web', '-n', 'demo')
            deadline = time.monotonic() + 10
            lines = []
            while len(lines) < 3 and time.monotonic() < deadline:
                line = p.stdout.readline()
                if line and not line.startswith('EVENT'):
                    lines.append(line.split())
        finally:
            p.kill()
            p.wait()
            p.stdout.close()
            p.stderr.close()
        self.assertEqual([(l[0], l[1]) for l in lines], [('ADDED', 'web'), ('MODIFIED', 'web'), ('DELETED', 'web')])
        watch = [e for e in self.s.control('GET', '/requests') if 'watch=true' in e['query']][0]
        self.assertIn('resourceVersion=', watch['query'])

    def test_lease_and_endpointslice(self):
        lp = '/apis/coordination.k8s.io/v1/namespaces/demo/leases/lbd-leader'
        ep = '/apis/discovery.k8s.io/v1/namespaces/demo/endpointslices/web-abc12'
        out = self.kubectl('apply', '-f', self.manifest(LEASE % 'node-a'), '-f', self.manifest(EPS % 'node-a')).stdout
        self.assertEqual(out.split('\n')[:2], ['lease.coordination.k8s.io/lbd-leader created',
                                               'endpointslice.discovery.k8s.io/web-abc12 created'])
        out = self.kubectl('apply', '-f', self.manifest(LEASE % 'node-b'), '-f', self.manifest(EPS % 'node-b')).stdout
        self.assertIn('lease.coordination.k8s.io/lbd-leader configured', out)
        self.assertEqual(self.stored(lp)['spec']['holderIdentity'], 'node-b')
        es = self.stored(ep)
        self.assertEqual(es['endpoints'][0]['nodeName'], 'node-b')
        self.assertEqual(es['metadata']['generation'], 2)
        out = self.kubectl('get', 'lease', '-n', 'demo').stdout.splitlines()
        self.assertEqual(out[1].split()[:2], ['lbd-leader', 'node-b'])
        out = self.kubectl('get', 'endpointslices', '-n', 'demo', '-l', 'kubernetes.io/service-name=web').stdout.splitlines()
        self.assertEqual(out[1].split()[:4], ['web-abc12', 'IPv4', '8080', '10.244.1.5'])
        out = self.kubectl('patch', 'lease', 'lbd-leader', '-n', 'demo', '--type=merge',
                           '-p', '{"spec":{"holderIdentity":"node-c"}}').stdout
        self.assertIn('patched', out)
        self.assertEqual(self.stored(lp)['spec']['holderIdentity'], 'node-c')
        self.kubectl('delete', 'lease', 'lbd-leader', '-n', 'demo')
        self.kubectl('delete', 'endpointslice', 'web-abc12', '-n', 'demo')
        self.assertIsNone(self.stored(lp))
        self.assertIsNone(self.stored(ep))

    @unittest.skipUnless(os.path.isdir(SAMPLES), 'recordings not available')
    def test_request_sequences_match_recordings(self):
        """kubectl sends the same requests to us as to the real apiserver, and gets the same codes."""
        logs = {'1.28': ('02-apply-svc-create', '05-get-svc-table', '08-delete-svc'),
                '1.33': ('30-kubectl-1.33-apply-svc-create', '32-kubectl-1.33-get-svc', '33-kubectl-1.33-delete-svc')}
        commands = (('apply', '-f', self.manifest(SVC % 'web')), ('get', 'svc', '-n', 'demo'),
                    ('delete', 'svc', 'web', '-n', 'demo'))
        for log, cmd in zip(logs[self.version], commands):
            self.s.control('DELETE', '/requests')
            self.kubectl(*cmd)
            seen = [(e['method'], re.sub(r'hash=[0-9A-F]+', 'hash=H', e['path'] + ('?' + e['query'] if e['query'] else '')),
                     e['code']) for e in self.s.control('GET', '/requests')]
            self.assertEqual(seen, recorded_sequence(log), log)

    def test_server_side_apply(self):
        out = self.kubectl('apply', '--server-side', '-f', self.manifest(SVC % 'web')).stdout
        self.assertEqual(out.strip(), 'service/web serverside-applied')
        o = self.stored('/api/v1/namespaces/demo/services/web')
        self.assertEqual(o['metadata']['managedFields'][0]['operation'], 'Apply')
        self.kubectl('apply', '--server-side', '-f', self.manifest(SVC % 'web2'))
        self.assertEqual(self.stored('/api/v1/namespaces/demo/services/web')['metadata']['labels'], {'app': 'web2'})


class Kubectl128(KubectlMixin, ServerTest):
    version = '1.28'


class Kubectl133(KubectlMixin, ServerTest):
    version = '1.33'


if __name__ == '__main__':
    unittest.main()
