#!/usr/bin/python3
"""Service status write throughput of the API test server, measured with the plain client
(status_patch_client.py) writing as ServiceAccount lbd-system/lbd, whom API Priority and Fairness
puts in workload-low as kube-apiserver does.

  /usr/bin/python3 bench/status_patch_bench.py [--services 100] [--patches 10000] [--connections 16]
      [--server-arg=--max-requests-inflight=4 ...] [--setup-only]

Starts tests/apiserver/apiserver.py in a temporary directory (loopback, port 0) with a tokens
file holding the ServiceAccount, creates the Services (namespace `bench`, names svc-0..) with one
control-API call, then runs the client over HTTP/1.1 (N keep-alive connections) and over HTTP/2
(N streams on one connection) and prints each result with the server's CPU time per patch.
--setup-only stops after the Services: it prints the ready file and the client command line and
waits until interrupted (to point another client, e.g. lbd's, at the same server).

Reference: a real kube-apiserver v1.28.7 on this machine took about 470 patches/s from 16
keep-alive connections (16-priority-and-fairness in the API recordings).
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = os.path.join(ROOT, 'tests', 'apiserver', 'apiserver.py')
CLIENT = os.path.join(ROOT, 'bench', 'status_patch_client.py')
PYTHON = '/usr/bin/python3'
SA_USER = 'system:serviceaccount:lbd-system:lbd'
SA_TOKEN = 'bench-lbd-sa-token'


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--services', type=int, default=100, help='Services to create (default 100)')
    p.add_argument('--patches', type=int, default=10000, help='patches per run (default 10000)')
    p.add_argument('--connections', type=int, default=16, help='connections / streams (default 16)')
    p.add_argument('--only', choices=('http1', 'http2'), help='run one protocol only')
    p.add_argument('--server-arg', action='append', default=[], metavar='ARG',
                   help='extra apiserver.py argument, e.g. --server-arg=--max-requests-inflight=4')
    p.add_argument('--setup-only', action='store_true', help='start and fill the server, then wait')
    return p.parse_args(argv)


def control(url, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method, headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read())


def service(i):
    return {'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': 'svc-%d' % i, 'namespace': 'bench'},
            'spec': {'type': 'LoadBalancer', 'allocateLoadBalancerNodePorts': False,
                     'ports': [{'name': 'http', 'port': 80, 'protocol': 'TCP'}]}}


def cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def start_server(workdir, extra):
    tokens = os.path.join(workdir, 'tokens.json')
    with open(tokens, 'w') as f:
        json.dump({'users': {'admin': {'groups': ['system:masters']},
                             SA_USER: {'rules': [{'verbs': ['get', 'list', 'watch', 'patch', 'update'],
                                                  'apiGroups': [''], 'resources': ['services', 'services/status']}]}},
                   'tokens': {'bench-admin-token': 'admin', SA_TOKEN: SA_USER}}, f)
    ready = os.path.join(workdir, 'ready.json')
    log = open(os.path.join(workdir, 'server.log'), 'w')
    proc = subprocess.Popen([PYTHON, SERVER, '--listen', '127.0.0.1:0', '--cert-dir', workdir, '--tokens', tokens,
                             '--control', '127.0.0.1:0', '--ready-file', ready] + extra,
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while not os.path.exists(ready):
        if proc.poll() is not None or time.monotonic() > deadline:
            sys.exit('status_patch_bench: the server did not start: ' + open(log.name).read())
        time.sleep(0.05)
    with open(ready) as f:
        return proc, ready, json.load(f)


def main(argv):
    args = parse_args(argv)
    workdir = tempfile.mkdtemp(prefix='status-patch-bench-')
    proc, ready_file, ready = start_server(workdir, args.server_arg)
    try:
        control(ready['controlUrl'], 'POST', '/objects',
                {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'bench'}})
        t0 = time.monotonic()
        codes = control(ready['controlUrl'], 'POST', '/objects',
                        {'kind': 'List', 'items': [service(i) for i in range(args.services)]})['codes']
        if set(codes) != {201}:
            sys.exit('status_patch_bench: creating the Services failed: %s' % sorted(set(codes)))
        print('%d Services created in %.1f s (control API, one call)' % (args.services, time.monotonic() - t0))
        client = [PYTHON, CLIENT, '--ready-file', ready_file, '--token', SA_TOKEN, '--namespace', 'bench',
                  '--prefix', 'svc-', '--count', str(args.services), '--patches', str(args.patches),
                  '--connections', str(args.connections)]
        if args.setup_only:
            print('ready file: %s\nclient: %s\n(Ctrl-C stops the server)' % (ready_file, ' '.join(client)))
            signal.pause()
            return 0
        for proto in ('http1', 'http2'):
            if args.only and args.only != proto:
                continue
            before = cpu_seconds(proc.pid)
            out = subprocess.run(client + (['--http2'] if proto == 'http2' else []) + ['--json'],
                                 capture_output=True, text=True)
            used = cpu_seconds(proc.pid) - before
            lines = out.stdout.strip().splitlines()
            print('\n'.join(lines[:-1]) or out.stderr)
            result = json.loads(lines[-1]) if lines else {}
            if result.get('patches'):
                print('server CPU: %.2f s, %.2f ms per patch' % (used, used * 1000 / result['patches']))
        fc = control(ready['controlUrl'], 'GET', '/flowcontrol')['priorityLevels']['workload-low']
        print('workload-low: %d seats, %d dispatched, %d rejected, peak %d in flight, %d queued'
              % (fc['seats'], fc['dispatched'], fc['rejected'], fc['peakInFlight'], fc['peakQueued']))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(0)
