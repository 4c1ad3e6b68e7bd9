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
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(os.path.dirname(HERE), 'apiserver.py')
PYTHON = '/usr/bin/python3'
SAMPLES = os.environ.get('K8S_API_SAMPLES', '/work/shared/k8s-api-samples')

ADMIN, LIMITED, LBD = 'admin-token-0123456789', 'limited-token-0123456789', 'lbd-token-0123456789'
TOKENS = {
    'users': {'admin': {'groups': ['system:masters']}, 'limited-user': {},
              'lbd': {'rules': [
                  {'verbs': ['get', 'list', 'watch'], 'apiGroups': ['', 'discovery.k8s.io'],
                   'resources': ['services', 'endpointslices', 'nodes']},
                  {'verbs': ['patch', 'update'], 'apiGroups': [''], 'resources': ['services/status']},
                  {'verbs': ['*'], 'apiGroups': ['coordination.k8s.io'], 'resources': ['leases'],
                   'namespaces': ['lbd-system']}]}},
    'tokens': {ADMIN: 'admin', LIMITED: 'limited-user', LBD: 'lbd'},
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
