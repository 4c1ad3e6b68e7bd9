#!/usr/bin/python3
"""A plain Kubernetes client that writes Service status as fast as the API server takes it.

Each patch is a JSON merge patch of `status.loadBalancer.ingress` (one IPv4 address that changes
with every patch, so no write is a no-op) sent to
`PATCH /api/v1/namespaces/NS/services/NAME/status`, NAME taken round robin from the list.
HTTP/1.1: N keep-alive TLS connections, one thread each, one request in flight per connection.
HTTP/2 (`--http2`, needs python3-h2): one TLS connection with N concurrent streams.

A 429 is retried after its Retry-After (default 1 s), as client-go does; so are 5xx answers and
dropped connections (after 1 s, on a new connection; on HTTP/2 every stream in flight, and those
a GOAWAY did not take). Printed: wall time, completed patches per
second, and counts of answers (2xx / 429 / other) and of connection errors, plus latency
percentiles of the successful requests (last attempt only).

This is the reference lbd's own status writer is compared with: keep it plain and
dependency-free (stdlib + ssl; h2 only for --http2).

  status_patch_client.py --ready-file DIR/ready.json --token T --namespace bench \\
      --prefix svc- --count 100 --patches 10000 --connections 16
"""

import argparse
import http.client
import ipaddress
import itertools
import json
import socket
import ssl
import sys
import threading
import time
import urllib.parse

USER_AGENT = 'lbd-status-patch-client/1.0'


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--ready-file', help="the API test server's ready file (url, ca and an admin token)")
    p.add_argument('--url', help='https://HOST:PORT of the API server (default: from --ready-file)')
    p.add_argument('--ca', help='CA bundle to verify the server with (default: from --ready-file)')
    p.add_argument('--token', help='bearer token (default: --token-file, else the ready file token)')
    p.add_argument('--token-file', help='file holding the bearer token')
    p.add_argument('--namespace', default='bench', help='namespace of the Services (default: bench)')
    names = p.add_mutually_exclusive_group()
    names.add_argument('--names', help='comma-separated Service names')
    names.add_argument('--names-file', help='file with one Service name per line')
    p.add_argument('--prefix', default='svc-', help='with --count: names PREFIX0..PREFIX(N-1)')
    p.add_argument('--count', type=int, default=100, help='number of Services PREFIX0.. (default 100)')
    p.add_argument('--patches', type=int, default=10000, help='patches to complete (default 10000)')
    p.add_argument('--connections', type=int, default=16,
                   help='HTTP/1.1 connections, or HTTP/2 streams with --http2 (at most what the '
                        'server allows, 100 for kube-apiserver 1.28); default 16')
    p.add_argument('--http2', action='store_true', help='one HTTP/2 connection, N streams (python3-h2)')
    p.add_argument('--ip-base', default='10.130.0.0', help='ingress IP of patch i is IP_BASE + i')
    p.add_argument('--max-attempts', type=int, default=50, help='attempts per patch before giving up')
    p.add_argument('--timeout', type=float, default=60.0, help='socket timeout in seconds')
    p.add_argument('--json', action='store_true', help='print the result as one JSON line as well')
    return p.parse_args(argv)


def settings(args):
    ready = {}
    if args.ready_file:
        with open(args.ready_file) as f:
            ready = json.load(f)
    url = args.url or ready.get('url')
    ca = args.ca or ready.get('ca')
    token = args.token
    if token is None and args.token_file:
        with open(args.token_file) as f:
            token = f.read().strip()
    if token is None:
        token = ready.get('token')
    if not url:
        sys.exit('status_patch_client: no --url (or --ready-file)')
    if args.names:
        names = [n for n in args.names.split(',') if n]
    elif args.names_file:
        with open(args.names_file) as f:
            names = [l.strip() for l in f if l.strip()]
    else:
        names = ['%s%d' % (args.prefix, i) for i in range(args.count)]
    if not names:
        sys.exit('status_patch_client: no Service names')
    u = urllib.parse.urlsplit(url)
    return u.hostname, u.port or 443, ca, token, names


class Work:
    """Hands out patch numbers and gathers the counts (shared by the threads)."""

    def __init__(self, total, names, namespace, ip_base):
        self.total, self.names, self.namespace = total, names, namespace
        self.ip_base = int(ipaddress.IPv4Address(ip_base))
        self.next = itertools.count()
        self.lock = threading.Lock()
        self.ok = self.too_many = self.other = self.conn_errors = self.failed = 0
        self.latencies = []
        self.other_codes = {}

    def take(self):
        with self.lock:
            i = next(self.next)
        return i if i < self.total else None

    def request(self, i):
        name = self.names[i % len(self.names)]
        ip = str(ipaddress.IPv4Address((self.ip_base + i) & 0xffffffff))
        path = '/api/v1/namespaces/%s/services/%s/status' % (self.namespace, name)
        body = json.dumps({'status': {'loadBalancer': {'ingress': [{'ip': ip}]}}},
                          separators=(',', ':')).encode()
        return path, body

    def note(self, code, seconds):
        with self.lock:
            if 200 <= code < 300:
                self.ok += 1
                self.latencies.append(seconds)
            elif code == 429:
                self.too_many += 1
            else:
                self.other += 1
                self.other_codes[code] = self.other_codes.get(code, 0) + 1

    def note_conn_error(self):
        with self.lock:
            self.conn_errors += 1

    def note_failed(self):
        with self.lock:
            self.failed += 1


def retry_after(headers, code):
    """Seconds to wait before the next attempt: Retry-After when given (429, 5xx), else 1."""
    value = headers.get('retry-after')
    try:
        return max(0.0, float(value)) if value is not None else 1.0
    except ValueError:
        return 1.0


def headers_for(host, port, token, length):
    h = {'Host': '%s:%d' % (host, port), 'User-Agent': USER_AGENT, 'Accept': 'application/json',
         'Content-Type': 'application/merge-patch+json', 'Content-Length': str(length)}
    if token:
        h['Authorization'] = 'Bearer ' + token
    return h


# ----- HTTP/1.1: one thread per keep-alive connection ---------------------------------------------

def h1_worker(work, host, port, ctx, token, args):
    conn = None
    while True:
        i = work.take()
        if i is None:
            break
        path, body = work.request(i)
        for _ in range(args.max_attempts):
            if conn is None:
                conn = http.client.HTTPSConnection(host, port, context=ctx, timeout=args.timeout)
            started = time.monotonic()
            try:
                conn.request('PATCH', path, body=body, headers=headers_for(host, port, token, len(body)))
                r = conn.getresponse()
                r.read()
                code = r.status
                hdrs = {k.lower(): v for k, v in r.getheaders()}
            except (OSError, http.client.HTTPException):
                work.note_conn_error()
                conn.close()
                conn = None
                time.sleep(1.0)
                continue
            work.note(code, time.monotonic() - started)
            if hdrs.get('connection', '').lower() == 'close':
                conn.close()
                conn = None
            if 200 <= code < 300:
                break
            if code == 429 or code >= 500:
                time.sleep(retry_after(hdrs, code))
                continue
            break   # 4xx other than 429: this patch cannot succeed
        else:
            work.note_failed()
    if conn is not None:
        conn.close()


def run_h1(work, host, port, ctx, token, args):
    ctx.set_alpn_protocols(['http/1.1'])
    threads = [threading.Thread(target=h1_worker, args=(work, host, port, ctx, token, args), daemon=True)
               for _ in range(args.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# ----- HTTP/2: one connection, N streams ----------------------------------------------------------

class H2Link:
    """One HTTP/2 connection (python3-h2) and the streams in flight on it."""

    def __init__(self, host, port, ctx, timeout):
        import h2.config
        import h2.connection
        self.sock = ctx.wrap_socket(socket.create_connection((host, port), timeout=timeout),
                                    server_hostname=host)
        if self.sock.selected_alpn_protocol() != 'h2':
            sys.exit('status_patch_client: the server did not choose h2')
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True,
                                                                         header_encoding='utf-8'))
        self.conn.initiate_connection()
        self.sock.sendall(self.conn.data_to_send())
        self.streams = {}       # stream id -> [patch index, attempt, started, status, headers]
        # Open no stream before the server's SETTINGS say how many it takes (a server answers
        # streams beyond its limit with RST_STREAM, or drops the connection).
        import h2.events
        while not any(isinstance(ev, h2.events.RemoteSettingsChanged)
                      for ev in self.conn.receive_data(self.recv())):
            pass
        self.sock.sendall(self.conn.data_to_send())

    def recv(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionResetError('the server closed the connection')
        return data

    def room(self, wanted):
        # never more streams than the server allows (kube-apiserver 1.28: 100)
        return min(wanted, self.conn.remote_settings.max_concurrent_streams) - len(self.streams)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def run_h2(work, host, port, ctx, token, args):
    import select
    import h2.events
    import h2.exceptions
    ctx.set_alpn_protocols(['h2'])
    link = None
    waiting = []       # (not before, patch index, attempt): retries after Retry-After
    done_taking = False

    def start(i, attempt):
        path, body = work.request(i)
        sid = link.conn.get_next_available_stream_id()
        hdrs = [(':method', 'PATCH'), (':scheme', 'https'), (':authority', '%s:%d' % (host, port)),
                (':path', path)] + [(k.lower(), v) for k, v in headers_for(host, port, token, len(body)).items()
                                    if k != 'Host']
        link.conn.send_headers(sid, hdrs)
        link.conn.send_data(sid, body, end_stream=True)
        link.streams[sid] = [i, attempt, time.monotonic(), 0, {}]

    def finished(st, code, hs):
        i, attempt = st[0], st[1]
        if 200 <= code < 300 or (400 <= code < 500 and code != 429):
            return
        if attempt >= args.max_attempts:
            work.note_failed()
            return
        waiting.append((time.monotonic() + retry_after(hs, code), i, attempt + 1))

    while True:
        if link is None:
            try:
                link = H2Link(host, port, ctx, args.timeout)
            except OSError:
                work.note_conn_error()
                time.sleep(1.0)
                continue
        try:
            now = time.monotonic()
            for item in sorted(w for w in waiting if w[0] <= now):
                if link.room(args.connections) <= 0:
                    break
                waiting.remove(item)
                start(item[1], item[2])
            while not done_taking and link.room(args.connections) > 0 and \
                    len(link.streams) + len(waiting) < args.connections:
                i = work.take()
                if i is None:
                    done_taking = True
                    break
                start(i, 1)
            out = link.conn.data_to_send()
            if out:
                link.sock.sendall(out)
            if not link.streams and not waiting and done_taking:
                break
            timeout = min([w[0] for w in waiting], default=now + 1.0) - now
            if not link.streams:
                time.sleep(max(0.0, timeout))
                continue
            if not link.sock.pending():
                select.select([link.sock], [], [], max(0.0, timeout))
            try:
                data = link.recv()
            except (ssl.SSLWantReadError, BlockingIOError, socket.timeout):
                continue
            events = link.conn.receive_data(data)
        except (OSError, h2.exceptions.ProtocolError):
            # Connection lost: what was in flight is tried again on a new one.
            for st in link.streams.values():
                work.note_conn_error()
                finished(st, 0, {})
            link.close()
            link = None
            continue
        for ev in events:
            if isinstance(ev, h2.events.ResponseReceived):
                st = link.streams.get(ev.stream_id)
                if st is not None:
                    hs = dict(ev.headers)
                    st[3], st[4] = int(hs.get(':status', 0)), hs
            elif isinstance(ev, h2.events.DataReceived):
                link.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, (h2.events.StreamEnded, h2.events.StreamReset)):
                st = link.streams.pop(ev.stream_id, None)
                if st is None:
                    continue
                if isinstance(ev, h2.events.StreamReset):
                    work.note_conn_error()
                    finished(st, 0, {})
                else:
                    work.note(st[3], time.monotonic() - st[2])
                    finished(st, st[3], st[4])
            elif isinstance(ev, h2.events.ConnectionTerminated):
                # GOAWAY: streams above the last one processed are retried on a new connection
                for sid in [s for s in link.streams if s > (ev.last_stream_id or 0)]:
                    work.note_conn_error()
                    finished(link.streams.pop(sid), 0, {})
        if link is not None and link.conn.state_machine.state.name == 'CLOSED':
            for st in link.streams.values():
                finished(st, 0, {})
            link.close()
            link = None
    if link is not None:
        link.close()


def main(argv):
    args = parse_args(argv)
    host, port, ca, token, names = settings(args)
    ctx = ssl.create_default_context(cafile=ca) if ca else ssl.create_default_context()
    work = Work(args.patches, names, args.namespace, args.ip_base)
    started = time.monotonic()
    (run_h2 if args.http2 else run_h1)(work, host, port, ctx, token, args)
    wall = time.monotonic() - started
    lat = sorted(work.latencies)

    def pct(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else 0.0

    result = {'patches': work.ok, 'wanted': args.patches, 'connections': args.connections,
              'protocol': 'h2' if args.http2 else 'http/1.1', 'seconds': round(wall, 3),
              'rate': round(work.ok / wall, 1) if wall > 0 else 0.0,
              'responses': {'2xx': work.ok, '429': work.too_many, 'other': work.other},
              'otherCodes': {str(k): v for k, v in sorted(work.other_codes.items())},
              'connectionErrors': work.conn_errors, 'failed': work.failed,
              'latencyMs': {'p50': round(pct(0.5), 1), 'p99': round(pct(0.99), 1),
                            'max': round(lat[-1] * 1000, 1) if lat else 0.0}}
    print('status_patch_client: %d patches in %.2f s = %.1f/s over %d %s (%s)'
          % (work.ok, wall, result['rate'], args.connections,
             'HTTP/2 streams' if args.http2 else 'HTTP/1.1 connections', ' '.join(sys.argv[1:])))
    print('responses: 2xx %d, 429 %d, other %d%s; connection errors %d; gave up %d'
          % (work.ok, work.too_many, work.other,
             ' %s' % result['otherCodes'] if work.other_codes else '', work.conn_errors, work.failed))
    print('latency of 2xx: p50 %.1f ms, p99 %.1f ms, max %.1f ms'
          % (result['latencyMs']['p50'], result['latencyMs']['p99'], result['latencyMs']['max']))
    if args.json:
        print(json.dumps(result))
    return 0 if work.failed == 0 and work.ok == args.patches else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
