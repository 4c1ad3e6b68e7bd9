#!/usr/bin/python3
"""End-to-end informer sync through the API test server: N Services + N EndpointSlices + M Nodes
are created, then lbd's Kubernetes layer (tests/kubernetes/lbd_k8s_probe, release build) lists
and watches them. Reported: wall time to synced, lbd's CPU seconds and peak RSS; and, side by
side as the real-client reference, kubectl (client-go) listing the same objects with the same
page size (`kubectl get -A -o json --chunk-size=500`), its CPU seconds and peak RSS.

  /usr/bin/python3 bench/k8s_sync_bench.py [--services 10000] [--nodes 1000]

The server is Python, so wall times are bound by it; the CPU and memory figures are lbd's own.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'apiserver', 'tests'))
import harness  # noqa: E402

PROBE = os.path.join(ROOT, 'build', 'release', 'tests', 'kubernetes', 'lbd_k8s_probe')


def create(server, obj):
    r = server.control('POST', '/objects', obj)
    if r['code'] != 201:
        sys.exit('creating %s: %s' % (obj['metadata']['name'], r))


def populate(server, services, nodes):
    create(server, {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'bench'}})
    for i in range(services):
        create(server, {
            'apiVersion': 'v1', 'kind': 'Service',
            'metadata': {'name': 'svc-%05d' % i, 'namespace': 'bench', 'labels': {'app': 'a%d' % (i % 50)},
                         'annotations': {'lbd.io/address-pool': 'pool-%d' % (i % 100)}},
            # No NodePorts: 30000-32767 would run out after ~1,380 two-port Services.
            'spec': {'type': 'LoadBalancer', 'allocateLoadBalancerNodePorts': False, 'selector': {'app': 'a%d' % i},
                     'ports': [{'name': 'http', 'port': 80, 'protocol': 'TCP'},
                               {'name': 'https', 'port': 443, 'protocol': 'TCP'}]}})
        create(server, {
            'apiVersion': 'discovery.k8s.io/v1', 'kind': 'EndpointSlice',
            'metadata': {'name': 'svc-%05d-x' % i, 'namespace': 'bench',
                         'labels': {'kubernetes.io/service-name': 'svc-%05d' % i}},
            'addressType': 'IPv4', 'ports': [{'name': 'http', 'port': 8080, 'protocol': 'TCP'}],
            'endpoints': [{'addresses': ['10.%d.%d.%d' % (k, i // 250 % 250, i % 250 + 1)],
                           'conditions': {'ready': True}, 'nodeName': 'node-%04d' % ((i + k) % max(nodes, 1))}
                          for k in range(3)]})
    for i in range(nodes):
        create(server, {
            'apiVersion': 'v1', 'kind': 'Node',
            'metadata': {'name': 'node-%04d' % i, 'labels': {'kubernetes.io/hostname': 'node-%04d' % i}},
            'status': {'conditions': [{'type': 'Ready', 'status': 'True', 'reason': 'KubeletReady',
                                       'message': 'ok', 'lastHeartbeatTime': '2026-11-24T10:00:00Z',
                                       'lastTransitionTime': '2026-11-24T10:00:00Z'}],
                       'addresses': [{'type': 'InternalIP', 'address': '198.51.%d.%d' % (i // 250, i % 250 + 1)}]}})


def probe_sync(server, expect):
    start = time.monotonic()
    p = subprocess.Popen([PROBE, '--kubeconfig', server.kubeconfig, '--page-size', '500'],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        while True:
            p.stdin.write('{"op":"counts"}\n')
            p.stdin.flush()
            c = json.loads(p.stdout.readline())
            if c['synced'] and all(c[k] == v for k, v in expect.items()):
                return time.monotonic() - start, c
            time.sleep(0.05)
    finally:
        p.stdin.close()
        p.wait()


def kubectl_list(server, resource_name):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    out = subprocess.run(['kubectl', '--kubeconfig', server.kubeconfig, 'get', resource_name, '-A', '-o', 'json',
                          '--chunk-size=500'], capture_output=True, check=True).stdout
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    items = len(json.loads(out)['items'])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss, items


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--services', type=int, default=10000)
    ap.add_argument('--nodes', type=int, default=1000)
    args = ap.parse_args()
    if not os.access(PROBE, os.X_OK):
        sys.exit('build it first: cmake --build --preset release --target lbd_k8s_probe')
    server = harness.Server('--compaction-interval', '0')
    try:
        t = time.monotonic()
        populate(server, args.services, args.nodes)
        print('created %d services, %d endpointslices, %d nodes in %.1f s'
              % (args.services, args.services, args.nodes, time.monotonic() - t))
        expect = {'services': args.services + 1, 'endpointslices': args.services, 'nodes': args.nodes}
        wall, c = probe_sync(server, expect)
        print('lbd informers: synced %d services + %d endpointslices + %d nodes in %.2f s wall, '
              '%.2f s CPU, peak RSS %.1f MiB' % (c['services'], c['endpointslices'], c['nodes'], wall,
                                                 c['cpuSeconds'], c['maxRssKiB'] / 1024))
        total = {'cpu': 0.0, 'wall': 0.0, 'rss': 0}
        for r in ('services', 'endpointslices', 'nodes'):
            w, cpu, rss, items = kubectl_list(server, r)
            total['cpu'] += cpu
            total['wall'] += w
            print('kubectl get %s -A -o json --chunk-size=500: %d items, %.2f s wall, %.2f s CPU' % (r, items, w, cpu))
        print('kubectl total: %.2f s wall, %.2f s CPU, peak RSS of one kubectl %.1f MiB'
              % (total['wall'], total['cpu'], rss / 1024))
        print('ratio lbd/kubectl: CPU %.2f, peak RSS %.2f' % (c['cpuSeconds'] / total['cpu'], c['maxRssKiB'] / rss))
    finally:
        server.stop()


if __name__ == '__main__':
    main()
