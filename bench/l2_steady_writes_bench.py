#!/usr/bin/python3
"""Steady-state Lease writes of the layer-2 election: three hosts running lbd in the l2lab
(tests/integration/l2lab.py), N layer2 VIPs owned and settled, then the API test server's
request log over a quiet window: Lease writes (PUT/POST/PATCH) per second per host, split into
heartbeats (lbd-node-*) and VIP Leases (lbd-vip-*). The design's promise (DESIGN.md 3): one
heartbeat per host per renew-interval (500 ms: 2/s), no VIP Lease writes, whatever N.

  cmake --build --preset debug --target lbd lbctl     (or release: set LBD_BIN/LBCTL_BIN)
  /usr/bin/python3 bench/l2_steady_writes_bench.py [--vips 10 100 1000] [--window 10]
"""

import argparse
import os
import sys
import time
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault('LBD_BIN', os.path.join(ROOT, 'build', 'release', 'daemon', 'lbd'))
os.environ.setdefault('LBCTL_BIN', os.path.join(ROOT, 'build', 'release', 'ctl', 'lbctl'))
os.environ.setdefault('LBD_SOURCE_DIR', ROOT)
sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration'))
from l2lab import L2Lab, wait_for  # noqa: E402


def run(count, window):
    with L2Lab(hosts=3) as lab:
        for ns in ('lbd-system', 'bench'):
            lab.cluster.create({'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': ns}})
        lab.create_nodes()
        # Up to 4,096 VIPs, answered on the named interface (outside the hosts' own /24).
        pool = ('[[pool]]\nname = "bench"\nmode = "layer2"\naddresses = ["10.200.0.0/20"]\n'
                'interfaces = ["eth0"]\n')
        for h in lab.hosts:
            lab.lbd(h).write('pools.d/bench.toml', pool)
            lab.lbd(h).start_lbd()
        for i in range(count):
            lab.cluster.create({'apiVersion': 'v1', 'kind': 'Service',
                                'metadata': {'name': 's%05d' % i, 'namespace': 'bench'},
                                'spec': {'type': 'LoadBalancer', 'selector': {'app': 'x'},
                                         'allocateLoadBalancerNodePorts': False,
                                         'ports': [{'port': 80, 'protocol': 'TCP'}]}})

        def owned():
            return sum(lab.lbd(h).lbctl_json('status')['layer2']['announced'] for h in lab.hosts)
        wait_for(lambda: owned() >= count, 300, '%d VIPs announced' % count, interval=0.5)
        time.sleep(3)  # settle: claims and Events done
        lab.server.control('DELETE', '/requests')
        time.sleep(window)
        requests = lab.server.control('GET', '/requests')
        writes = Counter()
        for r in requests:
            if r['method'] in ('PUT', 'POST', 'PATCH') and '/leases' in r['path']:
                name = r['path'].rsplit('/', 1)[-1]
                kind = 'heartbeat' if name.startswith('lbd-node-') else \
                    'vip' if name.startswith('lbd-vip-') else 'other'
                writes[kind] += 1
        counts = [lab.lbd(h).lbctl_json('status')['layer2']['announced'] for h in lab.hosts]
        return {'vips': count, 'heartbeats_per_s_per_host': writes['heartbeat'] / window / 3,
                'vip_writes_per_s': writes['vip'] / window, 'other_per_s': writes['other'] / window,
                'spread': counts}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--vips', type=int, nargs='+', default=[10, 100, 1000])
    ap.add_argument('--window', type=float, default=10.0)
    args = ap.parse_args()
    print('$ /usr/bin/python3 bench/l2_steady_writes_bench.py --vips %s --window %g'
          % (' '.join(map(str, args.vips)), args.window))
    print('| VIPs (3 hosts) | heartbeat writes/s per host | VIP Lease writes/s (all hosts) | other Lease writes/s '
          '| VIPs per host |')
    print('|---|---|---|---|---|')
    for count in args.vips:
        r = run(count, args.window)
        print('| %d | %.2f | %.2f | %.2f | %s |' % (r['vips'], r['heartbeats_per_s_per_host'], r['vip_writes_per_s'],
                                                   r['other_per_s'], '/'.join(map(str, r['spread']))), flush=True)


if __name__ == '__main__':
    main()
