#!/usr/bin/python3
"""End-to-end allocation through the API test server (loopback only): lbd (release build) runs
as the allocator on a private D-Bus; N LoadBalancer Services are created as fast as the server
takes them; reported is the wall time from the first create until every Service shows an
address in status.loadBalancer.ingress (seen through a watch, as a client would), then the
latency of single creates (create -> status seen) as p50/p99 over M sequential creates, and
lbd's CPU seconds and peak RSS.

  cmake --build --preset release --target lbd lbctl
  /usr/bin/python3 bench/allocator_e2e_bench.py [--services 10000] [--singles 200]

The server is Python and single-threaded, so it bounds the wall times (its own CPU is printed
too); lbd's CPU shows what the allocator costs.
"""

import argparse
import json
import os
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault('LBD_BIN', os.path.join(ROOT, 'build', 'release', 'daemon', 'lbd'))
os.environ.setdefault('LBCTL_BIN', os.path.join(ROOT, 'build', 'release', 'ctl', 'lbctl'))
os.environ.setdefault('LBD_SOURCE_DIR', ROOT)
sys.path.insert(0, os.path.join(ROOT, 'tests', 'apiserver', 'tests'))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration'))
import harness  # noqa: E402
from lbdlab import Lab  # noqa: E402


def service(name):
    return {'apiVersion': 'v1', 'kind': 'Service',
            'metadata': {'name': name, 'namespace': 'bench'},
            # No NodePorts: 30000-32767 would run out after ~1,380 two-port Services.
            'spec': {'type': 'LoadBalancer', 'allocateLoadBalancerNodePorts': False, 'selector': {'app': name},
                     'ports': [{'name': 'http', 'port': 80, 'protocol': 'TCP'},
                               {'name': 'https', 'port': 443, 'protocol': 'TCP'}]}}


class StatusWatch(threading.Thread):
    """Records when each Service is first seen with an address."""

    def __init__(self, server, rv):
        super().__init__(daemon=True)
        self.stream = server.watch('/api/v1/namespaces/bench/services?watch=1&resourceVersion=%s' % rv)
        self.seen = {}
        self.cond = threading.Condition()

    def run(self):
        while True:
            try:
                event = self.stream.next_event(timeout=600)
            except (EOFError, OSError):
                return
            if event is None:
                return
            obj = event['object']
            if obj.get('status', {}).get('loadBalancer', {}).get('ingress'):
                with self.cond:
                    self.seen.setdefault(obj['metadata']['name'], time.monotonic())
                    self.cond.notify_all()

    def wait(self, predicate, timeout):
        with self.cond:
            return self.cond.wait_for(lambda: predicate(self.seen), timeout)


def proc_cpu(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def proc_peak_rss_mib(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--services', type=int, default=10000)
    ap.add_argument('--singles', type=int, default=200)
    args = ap.parse_args()
    if not os.access(os.environ['LBD_BIN'], os.X_OK):
        sys.exit('build it first: cmake --build --preset release --target lbd lbctl')
    server = harness.Server('--compaction-interval', '0')
    lab = Lab().start_bus()
    try:
        server.control('POST', '/objects', {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'bench'}})
        server.control('POST', '/objects', {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'lbd-system'}})
        lab.write('lbd.toml', '[node]\nname = "bench-host"\n\n[kubernetes]\nkubeconfig = "%s"\nqps = 1000.0\n'
                  'burst = 2000\n\n[[pool]]\nname = "bench"\naddresses = ["10.0.0.0/17"]\n' % server.kubeconfig)
        lbd = lab.start_lbd()
        deadline = time.monotonic() + 30
        while lab.lbctl_json('status')['allocator_state'] != 'leader':
            if time.monotonic() > deadline:
                sys.exit('lbd did not become the allocator:\n' + lab.log())
            time.sleep(0.05)
        server_pid = server.proc.pid
        rv = server.get('/api/v1/namespaces/bench/services').json()['metadata']['resourceVersion']
        watch = StatusWatch(server, rv)
        watch.start()
        cpu0, server_cpu0 = proc_cpu(lbd.pid), proc_cpu(server_pid)

        start = time.monotonic()
        for i in range(args.services):
            r = server.control('POST', '/objects', service('svc-%05d' % i))
            if r['code'] != 201:
                sys.exit('create: %s' % r)
        created = time.monotonic()
        ok = watch.wait(lambda seen: len(seen) >= args.services, timeout=1800)
        done = time.monotonic()
        if not ok:
            sys.exit('only %d of %d Services got an address' % (len(watch.seen), args.services))
        cpu1, server_cpu1 = proc_cpu(lbd.pid), proc_cpu(server_pid)
        print('%d Services: created in %.1f s; all with status %.1f s after the first create '
              '(%.2f s after the last); lbd CPU %.2f s, API test server CPU %.1f s'
              % (args.services, created - start, done - start, done - created, cpu1 - cpu0,
                 server_cpu1 - server_cpu0))

        latencies = []
        for i in range(args.singles):
            name = 'one-%04d' % i
            t = time.monotonic()
            r = server.control('POST', '/objects', service(name))
            if r['code'] != 201:
                sys.exit('create: %s' % r)
            if not watch.wait(lambda seen: name in seen, timeout=30):
                sys.exit('%s got no address' % name)
            latencies.append(watch.seen[name] - t)
        print('single create -> status seen (%d creates, %d Services present): p50 %.1f ms, p99 %.1f ms, max %.1f ms'
              % (args.singles, args.services, percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000,
                 max(latencies) * 1000))
        print('lbd peak RSS %.1f MiB' % proc_peak_rss_mib(lbd.pid))
        used = [p for p in lab.lbctl_json('pools') if p['name'] == 'bench'][0]['used']
        print('lbctl pools: bench used %d' % used)
    finally:
        lab.close()
        server.stop()


if __name__ == '__main__':
    main()
