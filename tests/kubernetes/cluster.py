"""The cluster the Kubernetes tests talk to, and the probe that runs lbd's Kubernetes layer.

By default every test starts its own API test server (tests/apiserver). With
LBD_TEST_REAL_CLUSTER=1 and KUBECONFIG set, the same tests run against that cluster instead
(kind, k3s, kubeadm...): objects are made with kubectl in a namespace per test, which is deleted
afterwards, and tests that need fault injection are skipped there. The kubeconfig's user needs
admin rights in those namespaces and read access to nodes.
"""

import json
import os
import random
import string
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'apiserver', 'tests'))
import harness  # noqa: E402  (the API test server's own fixtures)

PROBE = os.environ.get('LBD_K8S_PROBE', '')
REAL = os.environ.get('LBD_TEST_REAL_CLUSTER') == '1' and bool(os.environ.get('KUBECONFIG'))

PLURAL = {'Service': 'services', 'EndpointSlice': 'endpointslices', 'Node': 'nodes',
          'Lease': 'leases', 'Namespace': 'namespaces', 'Event': 'events'}
STORE_KEY = {'Service': 'v1/services', 'EndpointSlice': 'discovery.k8s.io/v1/endpointslices',
             'Node': 'v1/nodes', 'Lease': 'coordination.k8s.io/v1/leases', 'Event': 'v1/events',
             'Namespace': 'v1/namespaces'}
API_VERSION = {'Service': 'v1', 'EndpointSlice': 'discovery.k8s.io/v1', 'Node': 'v1',
               'Lease': 'coordination.k8s.io/v1', 'Namespace': 'v1', 'Event': 'v1'}


def wait_for(predicate, timeout=20.0, what='condition', interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('timed out waiting for ' + what)
        time.sleep(interval)


class TestServerCluster:
    """Our API test server: objects through its control API (as system:masters, through the
    normal code paths: defaults, validation, resourceVersions, watch events)."""
    faults = True

    def __init__(self, *server_args):
        self.server = harness.Server(*server_args)
        self.kubeconfig = self.server.kubeconfig

    def close(self):
        self.server.stop()

    def create(self, obj):
        r = self.server.control('POST', '/objects', obj)
        assert r['code'] == 201, r
        return r['body']

    def update(self, obj):
        r = self.server.control('PUT', '/objects', obj)
        assert r['code'] == 200, r
        return r['body']

    def delete(self, kind, namespace, name):
        q = 'apiVersion=%s&kind=%s&namespace=%s&name=%s' % (API_VERSION[kind], kind, namespace or '', name)
        r = self.server.control('DELETE', '/objects?' + q)
        assert r['code'] == 200, r

    def objects(self, kind):
        return self.server.control('GET', '/store')['objects'].get(STORE_KEY[kind], [])

    def get(self, kind, namespace, name):
        for o in self.objects(kind):
            if o['metadata']['name'] == name and o['metadata'].get('namespace', '') == (namespace or ''):
                return o
        return None

    def fault(self, **spec):
        return self.server.fault(**spec)

    def control(self, method, path, body=None):
        return self.server.control(method, path, body)


class RealCluster:
    """A real cluster through kubectl and $KUBECONFIG."""
    faults = False

    def __init__(self):
        self.kubeconfig = os.environ['KUBECONFIG']
        self.namespaces = []
        self.nodes = []

    def kubectl(self, *args, stdin=None):
        p = subprocess.run(['kubectl'] + list(args), input=stdin, capture_output=True, text=True,
                           timeout=60)
        assert p.returncode == 0, p.stderr
        return p.stdout

    def close(self):
        for node in self.nodes:
            self.kubectl('delete', 'node', node, '--ignore-not-found', '--wait=false')
        for ns in self.namespaces:
            self.kubectl('delete', 'namespace', ns, '--wait=false')

    def create(self, obj):
        if obj['kind'] == 'Namespace':
            self.namespaces.append(obj['metadata']['name'])
        if obj['kind'] == 'Node':
            self.nodes.append(obj['metadata']['name'])
        return json.loads(self.kubectl('create', '-o', 'json', '-f', '-', stdin=json.dumps(obj)))

    def update(self, obj):
        return json.loads(self.kubectl('replace', '-o', 'json', '-f', '-', stdin=json.dumps(obj)))

    def delete(self, kind, namespace, name):
        args = ['delete', PLURAL[kind], name, '--wait=false']
        if namespace:
            args += ['-n', namespace]
        self.kubectl(*args)

    def objects(self, kind):
        return json.loads(self.kubectl('get', PLURAL[kind], '-A', '-o', 'json'))['items']

    def get(self, kind, namespace, name):
        args = ['get', PLURAL[kind], name, '-o', 'json', '--ignore-not-found']
        if namespace:
            args += ['-n', namespace]
        out = self.kubectl(*args)
        return json.loads(out) if out.strip() else None


# ----- what lbd decodes, computed from the server's JSON (mirrors daemon/core/k8s/object_codec.cc)

def _meta(o):
    m = o['metadata']
    return {'resourceVersion': m.get('resourceVersion', ''), 'uid': m.get('uid', ''),
            'labels': m.get('labels') or {}, 'annotations': m.get('annotations') or {},
            'deleting': bool(m.get('deletionTimestamp')), 'generation': m.get('generation', 0)}


def project(kind, o):
    out = _meta(o)
    spec = o.get('spec') or {}
    if kind == 'Service':
        out.update({
            'type': spec.get('type') or 'ClusterIP',
            'loadBalancerClass': spec.get('loadBalancerClass'),
            'loadBalancerIP': spec.get('loadBalancerIP', ''),
            'ipFamilies': spec.get('ipFamilies') or [],
            'ipFamilyPolicy': spec.get('ipFamilyPolicy', ''),
            'externalTrafficPolicy': spec.get('externalTrafficPolicy', ''),
            'selector': spec.get('selector') or {},
            'ports': [{'name': p.get('name', ''), 'protocol': p.get('protocol') or 'TCP', 'port': p.get('port', 0)}
                      for p in spec.get('ports') or []],
            'ingress': [{'ip': i.get('ip', ''), 'hostname': i.get('hostname', ''), 'ipMode': i.get('ipMode', '')}
                        for i in ((o.get('status') or {}).get('loadBalancer') or {}).get('ingress') or []],
        })
    elif kind == 'EndpointSlice':
        def endpoint(e):
            c = e.get('conditions') or {}
            ready = c.get('ready', True)
            return {'addresses': e.get('addresses') or [], 'ready': ready, 'serving': c.get('serving', ready),
                    'terminating': c.get('terminating', False), 'nodeName': e.get('nodeName', '')}
        out.update({'serviceName': out['labels'].get('kubernetes.io/service-name', ''),
                    'addressType': o.get('addressType', ''),
                    'endpoints': [endpoint(e) for e in o.get('endpoints') or []]})
    elif kind == 'Node':
        status = o.get('status') or {}
        out.update({'ready': any(c.get('type') == 'Ready' and c.get('status') == 'True'
                                 for c in status.get('conditions') or []),
                    'unschedulable': spec.get('unschedulable', False),
                    'addresses': [{'type': a.get('type', ''), 'address': a.get('address', '')}
                                  for a in status.get('addresses') or []]})
    elif kind == 'Lease':
        out.update({'holderIdentity': spec.get('holderIdentity', ''),
                    'leaseDurationSeconds': spec.get('leaseDurationSeconds'),
                    'acquireTime': spec.get('acquireTime', ''), 'renewTime': spec.get('renewTime', ''),
                    'leaseTransitions': spec.get('leaseTransitions', 0)})
    return out


def key(o):
    m = o['metadata']
    return m['namespace'] + '/' + m['name'] if m.get('namespace') else m['name']


class Probe:
    """lbd_k8s_probe: lbd's informers and writers in a process the test talks to by JSON lines."""

    def __init__(self, kubeconfig, lease_namespace, *extra):
        if not PROBE:
            raise unittest.SkipTest('LBD_K8S_PROBE not set (run through ctest)')
        self.stderr = open(os.path.join(os.path.dirname(kubeconfig), 'probe-%d.log' % random.randrange(1 << 30)), 'w+')
        self.proc = subprocess.Popen([PROBE, '--kubeconfig', kubeconfig, '--lease-namespace', lease_namespace]
                                     + list(extra), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, text=True, bufsize=1)

    def ask(self, **command):
        self.send(**command)
        return self.reply()

    def send(self, **command):
        """Sends a command without waiting; reply() reads the answers in order."""
        self.proc.stdin.write(json.dumps(command) + '\n')
        self.proc.stdin.flush()

    def reply(self):
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError('probe died: ' + self.log())
        return json.loads(line)

    def log(self):
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read()

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.stderr.close()


def unique(prefix):
    return prefix + '-' + ''.join(random.choice(string.ascii_lowercase + string.digits) for _ in range(6))


class ClusterTest(unittest.TestCase):
    """One cluster per test (a fresh API test server, or the real cluster), a namespace of its
    own for the objects, and the lease namespace."""
    server_args = ('--bookmark-interval', '1')

    def setUp(self):
        self.cluster = RealCluster() if REAL else TestServerCluster(*self.server_args)
        self.addCleanup(self.cluster.close)
        self.ns = unique('lbd-test')
        self.lease_ns = self.ns + '-leases'
        for ns in (self.ns, self.lease_ns):
            self.cluster.create({'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': ns}})

    def need_faults(self):
        if not self.cluster.faults:
            self.skipTest('fault injection needs the API test server')

    def probe(self, *extra):
        p = Probe(self.cluster.kubeconfig, self.lease_ns, *extra)
        self.addCleanup(p.close)
        return p

    def in_scope(self, kind, o):
        """Objects this test owns (a real cluster has others); all Nodes."""
        if kind == 'Node':
            return True
        if kind == 'Lease':
            return o['metadata'].get('namespace') == self.lease_ns
        return o['metadata'].get('namespace') == self.ns

    def expected(self):
        return {PLURAL[k]: {key(o): project(k, o) for o in self.cluster.objects(k) if self.in_scope(k, o)}
                for k in ('Service', 'EndpointSlice', 'Node', 'Lease')}

    def cached(self, dump):
        out = {}
        for resource, objects in dump['objects'].items():
            kind = [k for k, p in PLURAL.items() if p == resource][0]
            out[resource] = {k: v for k, v in objects.items()
                             if kind == 'Node' or k.split('/')[0] == (self.lease_ns if kind == 'Lease' else self.ns)}
        return out

    def assert_converges(self, probe, timeout=30.0):
        """The probe's caches equal the server's objects, object by object, within `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            dump = probe.ask(op='dump')
            want, have = self.expected(), self.cached(dump)
            if all(dump['synced'].values()) and want == have:
                return dump
            if time.monotonic() > deadline:
                for resource in want:
                    for k in sorted(set(want[resource]) | set(have.get(resource, {}))):
                        self.assertEqual(have.get(resource, {}).get(k), want[resource].get(k),
                                         '%s %s differs (probe log:\n%s)' % (resource, k, probe.log()[-3000:]))
                self.assertTrue(all(dump['synced'].values()), dump['synced'])
            time.sleep(0.1)

    # ----- object makers

    def service(self, name, lb=True, labels=None, annotations=None, ports=(80,)):
        m = {'name': name, 'namespace': self.ns}
        if labels:
            m['labels'] = labels
        if annotations:
            m['annotations'] = annotations
        return {'apiVersion': 'v1', 'kind': 'Service', 'metadata': m,
                'spec': {'type': 'LoadBalancer' if lb else 'ClusterIP', 'selector': {'app': name},
                         'ports': [{'name': 'p%d' % p, 'port': p, 'protocol': 'TCP'} for p in ports]}}

    def slice(self, name, service, addresses, node='node-a'):
        return {'apiVersion': 'discovery.k8s.io/v1', 'kind': 'EndpointSlice',
                'metadata': {'name': name, 'namespace': self.ns, 'labels': {'kubernetes.io/service-name': service}},
                'addressType': 'IPv4', 'ports': [{'name': 'p80', 'port': 8080, 'protocol': 'TCP'}],
                'endpoints': [{'addresses': [a], 'conditions': {'ready': True}, 'nodeName': node} for a in addresses]}

    def node(self, name, ready=True):
        return {'apiVersion': 'v1', 'kind': 'Node', 'metadata': {'name': name, 'labels': {'lbd-test': self.ns}},
                'status': {'conditions': [{'type': 'Ready', 'status': 'True' if ready else 'False',
                                           'reason': 'KubeletReady', 'message': 'test',
                                           'lastHeartbeatTime': '2026-11-24T10:00:00Z',
                                           'lastTransitionTime': '2026-11-24T10:00:00Z'}],
                           'addresses': [{'type': 'InternalIP', 'address': '192.0.2.%d' % (hash(name) % 200 + 1)}]}}

    def lease(self, name, holder):
        return {'apiVersion': 'coordination.k8s.io/v1', 'kind': 'Lease',
                'metadata': {'name': name, 'namespace': self.lease_ns},
                'spec': {'holderIdentity': holder, 'leaseDurationSeconds': 15,
                         'renewTime': '2026-11-24T10:00:00.000000Z'}}
