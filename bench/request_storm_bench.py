#!/usr/bin/python3
"""Issue 8's storm, side by side with a plain client: N LoadBalancer Services exist (pending)
when lbd starts; measured is the time from lbd's start until every one shows an address in
status (seen through a watch), lbd's peak RSS and CPU, allocator Lease losses, requests the
server refused (429), and Events lost without being counted. Beside it, on a fresh API test
server with the same flags, bench/status_patch_client.py writes the same N statuses with 16
keep-alive connections as the same ServiceAccount (so the same API Priority and Fairness
priority level, workload-low): the reference the targets are ratios of.

  cmake --build --preset release --target lbd lbctl
  /usr/bin/python3 bench/request_storm_bench.py --services 1000 10000

Everything stays on loopback. Targets (issue 8): lbd's time <= 1.5 x the plain client's, peak
RSS <= 64 MiB at 10,000, 0 Lease losses, 0 Events lost without being counted.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault('LBD_BIN', os.path.join(ROOT, 'build', 'release', 'daemon', 'lbd'))
os.environ.setdefault('LBCTL_BIN', os.path.join(ROOT, 'build', 'release', 'ctl', 'lbctl'))
os.environ.setdefault('LBD_SOURCE_DIR', ROOT)
sys.path.insert(0, os.path.join(ROOT, 'tests', 'apiserver', 'tests'))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration'))
sys.path.insert(0, os.path.join(ROOT, 'bench'))
import harness  # noqa: E402
from lbdlab import Lab  # noqa: E402
from allocator_e2e_bench import proc_cpu, proc_peak_rss_mib  # noqa: E402

SA_USER = 'system:serviceaccount:lbd-system:lbd'
SA_TOKEN = 'bench-lbd-serviceaccount-token'
LB_CLASS = 'lbd.io/bench'


def start_server(workdir):
    tokens = dict(harness.TOKENS)
    tokens['users'] = dict(tokens['users'], **{SA_USER: {'rules': [
        {'verbs': ['*'], 'apiGroups': ['*'], 'resources': ['*']}]}})
    tokens['tokens'] = dict(tokens['tokens'], **{SA_TOKEN: SA_USER})
    path = os.path.join(workdir, 'tokens-%d.json' % time.monotonic_ns())
    with open(path, 'w') as f:
        json.dump(tokens, f)
    # --write-rate 470: writes at kube-apiserver's measured speed on this machine (bench/README.md)
    server = harness.Server('--tokens', path, '--compaction-interval', '0', '--write-rate', '470')
    for ns in ('bench', 'lbd-system'):
        server.control('POST', '/objects', {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': ns}})
    return server


def create_services(server, count):
    started = time.monotonic()
    for i in range(count):
        r = server.control('POST', '/objects', {
            'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': 'svc-%05d' % i, 'namespace': 'bench'},
            'spec': {'type': 'LoadBalancer', 'loadBalancerClass': LB_CLASS, 'allocateLoadBalancerNodePorts': False,
                     'selector': {'app': 'x'}, 'ports': [{'port': 80, 'protocol': 'TCP'}]}})
        if r['code'] != 201:
            sys.exit('create: %s' % r)
    return time.monotonic() - started


def sa_kubeconfig(server, workdir):
    path = os.path.join(workdir, 'kubeconfig-sa-%d' % server.proc.pid)
    with open(server.kubeconfig) as f, open(path, 'w') as out:
        out.write(f.read().replace(server.info['token'], SA_TOKEN))
    return path


def plain_client(count, workdir):
    server = start_server(workdir)
    try:
        create_services(server, count)
        ready = os.path.join(server.dir, 'ready.json')
        names = os.path.join(workdir, 'names-%d.txt' % count)
        with open(names, 'w') as f:
            f.write(''.join('svc-%05d\n' % i for i in range(count)))
        run = subprocess.run(
            ['/usr/bin/python3', os.path.join(ROOT, 'bench', 'status_patch_client.py'), '--ready-file', ready,
             '--token', SA_TOKEN, '--namespace', 'bench', '--names-file', names,
             '--patches', str(count), '--connections', '16', '--json'],
            capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit('status_patch_client failed:\n' + run.stdout[-2000:] + run.stderr[-2000:])
        out = run.stdout
        result = json.loads(out.strip().splitlines()[-1])
        return result
    finally:
        server.stop()


class LeaseWatch(threading.Thread):
    """Samples the allocator Lease's holder every 50 ms: every change of holder is a loss."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server, self.holders, self.stop = server, [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            r = self.server.get('/apis/coordination.k8s.io/v1/namespaces/lbd-system/leases/lbd-allocator')
            if r.status == 200:
                holder = r.json()['spec'].get('holderIdentity', '')
                if not self.holders or self.holders[-1] != holder:
                    self.holders.append(holder)
            time.sleep(0.05)


def lbd_run(count, workdir):
    server = start_server(workdir)
    lab = Lab().start_bus()
    try:
        create_services(server, count)
        lab.write('lbd.toml', '[node]\nname = "bench-host"\n\n[kubernetes]\nkubeconfig = "%s"\n'
                  'load-balancer-class = "%s"\ndefault-class = false\n\n'
                  '[[pool]]\nname = "bench"\naddresses = ["10.0.0.0/16"]\n' % (sa_kubeconfig(server, workdir), LB_CLASS))
        leases = LeaseWatch(server)
        leases.start()
        started = time.monotonic()
        lbd = lab.start_lbd()
        # Done when the server has answered every status write (lbd's own counters, polled every
        # 50 ms; a Python watch client falls behind the server at these rates and would measure
        # itself), then checked against the server's objects.
        deadline = started + 1800
        while True:
            status = lab.lbctl_json('status')
            queue = {c['class']: c for c in (status['api_requests'] or {}).get('classes', [])}
            row = queue.get('status')
            if row and row['sent'] >= count and row['queued'] == 0 and row['in_flight'] == 0:
                break
            if time.monotonic() > deadline:
                sys.exit('lbd did not finish:\n' + lab.log()[-3000:])
            time.sleep(0.05)
        took = time.monotonic() - started
        with_status = sum(1 for o in server.control('GET', '/objects?apiVersion=v1&kind=Service&namespace=bench')
                          if o.get('status', {}).get('loadBalancer', {}).get('ingress'))
        if with_status != count:
            sys.exit('only %d of %d Services have status' % (with_status, count))
        cpu, rss = proc_cpu(lbd.pid), proc_peak_rss_mib(lbd.pid)
        # Let the Event queue drain, then account for every IPAllocated Event.
        deadline = time.monotonic() + 600
        while True:
            queue = {c['class']: c for c in lab.lbctl_json('status')['api_requests']['classes']}
            if (queue['event']['queued'] == 0 and queue['event']['in_flight'] == 0) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        leases.stop.set()
        leases.join()
        written = sum(1 for e in server.control('GET', '/objects?apiVersion=v1&kind=Event&namespace=bench')
                      if e['reason'] == 'IPAllocated')
        accounted = written + queue['event']['dropped'] + queue['event']['failed']
        return {'seconds': took, 'rss_mib': max(rss, proc_peak_rss_mib(lbd.pid)), 'cpu_s': cpu,
                'lease_holders': leases.holders, 'refused': sum(c['refused'] for c in queue.values()),
                'events_written': written, 'events_dropped': queue['event']['dropped'],
                'events_failed': queue['event']['failed'], 'events_unaccounted': count - accounted,
                'log_losses': lab.log().count('no longer the IP allocator')}
    finally:
        lab.close()
        server.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--services', type=int, nargs='+', default=[1000, 10000])
    args = ap.parse_args()
    if not os.access(os.environ['LBD_BIN'], os.X_OK):
        sys.exit('build it first: cmake --build --preset release --target lbd lbctl')
    workdir = os.path.join(ROOT, 'build', 'bench-storm')
    os.makedirs(workdir, exist_ok=True)
    print('$ /usr/bin/python3 bench/request_storm_bench.py --services %s' % ' '.join(map(str, args.services)))
    print('| Services pending at start | plain client (16 conns) | lbd: all have status | ratio | lbd peak RSS '
          '| lbd CPU | Lease losses | refused (429) lbd / plain | Events written / dropped / failed / unaccounted |')
    print('|---|---|---|---|---|---|---|---|---|')
    for count in args.services:
        plain = plain_client(count, workdir)
        lbd = lbd_run(count, workdir)
        losses = max(0, len(lbd['lease_holders']) - 1) + lbd['log_losses']
        print('| %d | %.1f s | %.1f s | %.2f | %.1f MiB | %.1f s | %d | %d / %d | %d / %d / %d / %d |'
              % (count, plain['seconds'], lbd['seconds'], lbd['seconds'] / plain['seconds'], lbd['rss_mib'],
                 lbd['cpu_s'], losses, lbd['refused'], plain['responses']['429'], lbd['events_written'],
                 lbd['events_dropped'], lbd['events_failed'], lbd['events_unaccounted']), flush=True)


if __name__ == '__main__':
    main()
