"""Test fixtures: start the API test server in a temp dir, talk to it over HTTPS and control it."""

import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(os.path.dirname(HERE), 'apiserver.py')
PYTHON = '/usr/bin/python3'
SAMPLES = os.environ.get('K8S_API_SAMPLES', '/work/shared/k8s-api-samples')

ADMIN, LIMITED, LBD = 'admin-token-0123456789', 'limited-token-0123456789', 'lbd-token-0123456789'
# ServiceAccounts (users named system:serviceaccount:NS:NAME get the ServiceAccount groups):
# lbd's own, another one outside kube-system, one inside kube-system.
SA, SA_OTHER, SA_KUBE_SYSTEM = 'sa-lbd-token-0123456789', 'sa-other-token-0123456789', 'sa-ks-token-0123456789'
SA_USER = 'system:serviceaccount:lbd-system:lbd'
SA_OTHER_USER = 'system:serviceaccount:other:flood'
SA_KUBE_SYSTEM_USER = 'system:serviceaccount:kube-system:lbd'
LBD_RULES = [
    {'verbs': ['get', 'list', 'watch'], 'apiGroups': ['', 'discovery.k8s.io'],
     'resources': ['services', 'endpointslices', 'nodes']},
    {'verbs': ['patch', 'update'], 'apiGroups': [''], 'resources': ['services/status']},
    {'verbs': ['*'], 'apiGroups': ['coordination.k8s.io'], 'resources': ['leases'],
     'namespaces': ['lbd-system']}]
TOKENS = {
    'users': {'admin': {'groups': ['system:masters']}, 'limited-user': {},
              'lbd': {'rules': LBD_RULES},
              SA_USER: {'rules': LBD_RULES},
              SA_OTHER_USER: {'rules': LBD_RULES},
              SA_KUBE_SYSTEM_USER: {'rules': [{'verbs': ['*'], 'apiGroups': ['*'], 'resources': ['*']}]}},
    'tokens': {ADMIN: 'admin', LIMITED: 'limited-user', LBD: 'lbd', SA: SA_USER, SA_OTHER: SA_OTHER_USER,
               SA_KUBE_SYSTEM: SA_KUBE_SYSTEM_USER},
}


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.body)


class Server:
    """One API test server process (port 0, temp cert dir); stop() kills it."""

    def __init__(self, *extra_args):
        self.dir = tempfile.mkdtemp(prefix='apiserver-test-')
        tokens = os.path.join(self.dir, 'tokens.json')
        with open(tokens, 'w') as f:
            json.dump(TOKENS, f)
        ready = os.path.join(self.dir, 'ready.json')
        self.log = open(os.path.join(self.dir, 'server.log'), 'w')
        self.proc = subprocess.Popen([PYTHON, SERVER, '--listen', '127.0.0.1:0', '--cert-dir', self.dir,
                                      '--tokens', tokens, '--control', '127.0.0.1:0',
                                      '--ready-file', ready] + list(extra_args),
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not os.path.exists(ready):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError('apiserver did not start: ' + open(self.log.name).read())
            time.sleep(0.02)
        with open(ready) as f:
            self.info = json.load(f)
        self.port = self.info['port']
        self.ca = self.info['ca']
        self.kubeconfig = self.info['kubeconfig']
        self.ctx = ssl.create_default_context(cafile=self.ca)
        self.streams = []

    def stop(self):
        for w in self.streams:
            w.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # ----- API over HTTPS (HTTP/1.1) -----

    def conn(self, alpn=('http/1.1',)):
        ctx = ssl.create_default_context(cafile=self.ca)
        ctx.set_alpn_protocols(list(alpn))
        return http.client.HTTPSConnection('127.0.0.1', self.port, context=ctx, timeout=30)

    def request(self, method, path, body=None, token=ADMIN, headers=None, content_type='application/json',
                ua='lbd-apiserver-tests/1.0'):
        h = {'User-Agent': ua, 'Accept': 'application/json'}
        if token:
            h['Authorization'] = 'Bearer ' + token
        if body is not None:
            if not isinstance(body, (bytes, str)):
                body = json.dumps(body)
            h['Content-Type'] = content_type
        h.update(headers or {})
        c = self.conn()
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            return Response(r.status, r.getheaders(), r.read())
        finally:
            c.close()

    def get(self, path, **kw):
        return self.request('GET', path, **kw)

    def create(self, path, obj, **kw):
        r = self.request('POST', path, obj, **kw)
        assert r.status == 201, (r.status, r.body)
        return r.json()

    def watch(self, path, token=ADMIN, headers=None):
        """Open a watch; returns WatchStream (one JSON event per line)."""
        w = WatchStream(self, path, token, headers)
        self.streams.append(w)
        return w

    # ----- control API -----

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.info['controlUrl'] + path, data=data, method=method,
                                     headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def fault(self, **spec):
        return self.control('POST', '/faults', spec)


class Burst:
    """Requests sent at the same moment, each on its own HTTP/1.1 connection: every thread
    connects (TLS done), then a barrier releases them together. `results[i]` is a Response with
    `.seconds` (request sent -> answer read), or the exception it met."""

    def __init__(self, server, requests, token=ADMIN, ua='lbd-apiserver-tests/1.0'):
        self.results = [None] * len(requests)
        self.barrier = threading.Barrier(len(requests) + 1)
        self.threads = [threading.Thread(target=self._one, args=(i, server, r, token, ua), daemon=True)
                        for i, r in enumerate(requests)]
        for t in self.threads:
            t.start()
        self.barrier.wait(timeout=120)

    def _one(self, i, server, req, token, ua):
        method, path, body = req
        c = server.conn()
        try:
            c.connect()
            self.barrier.wait(timeout=120)
            h = {'User-Agent': ua, 'Accept': 'application/json', 'Authorization': 'Bearer ' + token}
            if body is not None:
                h['Content-Type'] = 'application/merge-patch+json'
            t0 = time.monotonic()
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            out = Response(r.status, r.getheaders(), r.read())
            out.seconds = time.monotonic() - t0
            self.results[i] = out
        except Exception as e:   # reported through results, looked at by the test
            self.results[i] = e
        finally:
            c.close()

    def wait(self, timeout=120):
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))
        return self.results


def h2_request(server, method, path, body=None, token=ADMIN, content_type='application/merge-patch+json'):
    """One request over HTTP/2 (python3-h2): Response with lower-case header names."""
    import h2.config
    import h2.connection
    import h2.events
    ctx = ssl.create_default_context(cafile=server.ca)
    ctx.set_alpn_protocols(['h2'])
    sock = ctx.wrap_socket(socket.create_connection(('127.0.0.1', server.port), timeout=30),
                           server_hostname='127.0.0.1')
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding='utf-8'))
    conn.initiate_connection()
    headers = [(':method', method), (':scheme', 'https'), (':authority', '127.0.0.1:%d' % server.port),
               (':path', path), ('user-agent', 'lbd-apiserver-tests/1.0'), ('accept', 'application/json'),
               ('authorization', 'Bearer ' + token)]
    if body is not None:
        headers.append(('content-type', content_type))
    conn.send_headers(1, headers, end_stream=body is None)
    if body is not None:
        conn.send_data(1, body if isinstance(body, bytes) else body.encode(), end_stream=True)
    sock.sendall(conn.data_to_send())
    status, hdrs, data = None, [], b''
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                raise EOFError('connection closed')
            for ev in conn.receive_data(chunk):
                if isinstance(ev, h2.events.ResponseReceived):
                    hdrs = [(k, v) for k, v in ev.headers if not k.startswith(':')]
                    status = int(dict(ev.headers)[':status'])
                elif isinstance(ev, h2.events.DataReceived):
                    data += ev.data
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded):
                    return Response(status, hdrs, data)
            sock.sendall(conn.data_to_send())
    finally:
        sock.close()


class WatchStream:
    """A watch over a raw TLS socket: keeps the HTTP/1.1 chunk framing visible to the tests."""

    def __init__(self, server, path, token, headers):
        ctx = ssl.create_default_context(cafile=server.ca)
        ctx.set_alpn_protocols(['http/1.1'])
        raw = socket.create_connection(('127.0.0.1', server.port), timeout=30)
        self.sock = ctx.wrap_socket(raw, server_hostname='127.0.0.1')
        lines = ['GET %s HTTP/1.1' % path, 'Host: 127.0.0.1', 'User-Agent: lbd-apiserver-tests/1.0',
                 'Accept: application/json']
        if token:
            lines.append('Authorization: Bearer ' + token)
        for k, v in (headers or {}).items():
            lines.append('%s: %s' % (k, v))
        self.sock.sendall(('\r\n'.join(lines) + '\r\n\r\n').encode())
        self.buf = b''
        head = self._read_until(b'\r\n\r\n')
        status_line, *hdrs = head.decode().split('\r\n')
        self.status = int(status_line.split()[1])
        self.headers = [tuple(x.split(': ', 1)) for x in hdrs if x]
        self.chunks = []          # raw chunk payloads as received
        self.ended_cleanly = False
        self.eof = False

    def _read_until(self, marker):
        while marker not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError('connection closed')
            self.buf += data
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i - len(marker)], self.buf[i:]
        return out

    def _read_exact(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError('connection closed mid-chunk')
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def next_chunk(self, timeout=10):
        """Payload of the next chunk; None at the terminating chunk; EOFError on an abrupt close."""
        self.sock.settimeout(timeout)
        size = int(self._read_until(b'\r\n'), 16)
        if size == 0:
            self._read_until(b'\r\n')
            self.ended_cleanly = True
            return None
        data = self._read_exact(size)
        self._read_exact(2)
        self.chunks.append(data)
        return data

    def next_event(self, timeout=10):
        data = self.next_chunk(timeout)
        return None if data is None else json.loads(data)

    def events_until_end(self, timeout=30):
        out = []
        while True:
            ev = self.next_event(timeout)
            if ev is None:
                return out
            out.append(ev)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class ServerTest(unittest.TestCase):
    """A test case with one fresh server per test (hermetic)."""
    server_args = ()

    def setUp(self):
        self.s = Server(*self.server_args)
        self.addCleanup(self.s.stop)

    def ns(self, name):
        self.s.create('/api/v1/namespaces', {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': name}})


def svc(name, ns=None, labels=None, type_='ClusterIP', port=80):
    m = {'name': name}
    if ns:
        m['namespace'] = ns
    if labels:
        m['labels'] = labels
    return {'apiVersion': 'v1', 'kind': 'Service', 'metadata': m,
            'spec': {'type': type_, 'ports': [{'port': port}]}}


def lease(name, holder='node-a', rv=None):
    m = {'name': name}
    if rv:
        m['resourceVersion'] = rv
    return {'apiVersion': 'coordination.k8s.io/v1', 'kind': 'Lease', 'metadata': m,
            'spec': {'holderIdentity': holder, 'leaseDurationSeconds': 2,
                     'renewTime': '2026-11-23T14:00:00.000000Z'}}
