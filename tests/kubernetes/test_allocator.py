#!/usr/bin/python3
"""lbd's IP allocator against a cluster: Services get addresses from the pools in their status,
with the pool annotation and Events; requests, exhaustion and release behave as MetalLB's;
`lbctl services` and `lbctl pools` show it; the allocator role is elected through Lease
lbd-allocator, and a standby takes over when the holder dies - also in the middle of a storm of
creates - without ever giving one address to two Services."""

import ipaddress
import os
import signal
import sys
import threading
import time
import unittest

from cluster import ClusterTest, wait_for

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'integration'))
from lbdlab import Lab  # noqa: E402

POOL = ipaddress.ip_network('192.0.2.0/28')  # .1 - .15 usable: avoid-buggy-ips skips .0
LEASE_DURATION = 3


def ingress_ips(service):
    return [i['ip'] for i in service.get('status', {}).get('loadBalancer', {}).get('ingress', []) if 'ip' in i]


class AllocatorHarness(ClusterTest):
    """Each test serves only its own loadBalancerClass: against a real cluster lbd must not touch
    anyone else's Services, and tests must not see each other's (a deleted namespace's Services
    linger while it terminates)."""

    def lb_class(self):
        return 'lbd.io/' + self.ns

    def service(self, name, lb=True, **kw):
        svc = super().service(name, lb=lb, **kw)
        if lb:
            svc['spec']['loadBalancerClass'] = self.lb_class()
        return svc

    def config(self, node, pools=None):
        pools = pools if pools is not None else (
            '[[pool]]\nname = "main"\naddresses = ["%s"]\navoid-buggy-ips = true\n\n'
            '[[pool]]\nname = "small"\naddresses = ["198.51.100.10-198.51.100.11"]\nauto-assign = false\n' % POOL)
        return ('[node]\nname = "%s"\n\n[kubernetes]\nkubeconfig = "%s"\nload-balancer-class = "%s"\n'
                'default-class = false\n\n[election]\nnamespace = "%s"\n'
                'allocator-lease-duration = "%ds"\nallocator-renew-deadline = "2s"\n'
                'allocator-retry-period = "500ms"\n\n%s' % (node, self.cluster.kubeconfig, self.lb_class(),
                                                            self.lease_ns, LEASE_DURATION, pools))

    def host(self, node, pools=None, start=True):
        lab = Lab().start_bus()
        self.addCleanup(lab.close)
        lab.write('lbd.toml', self.config(node, pools))
        if start:
            lab.start_lbd()
        return lab

    def service_obj(self, name):
        return self.cluster.get('Service', self.ns, name)

    def wait_ips(self, name, count=1, timeout=20):
        return wait_for(lambda: (ips := ingress_ips(self.service_obj(name))) and len(ips) == count and ips,
                        timeout=timeout, what='%s to get %d address(es)' % (name, count))

    def events(self, name, reason=None):
        return [e for e in self.cluster.objects('Event')
                if e['metadata']['namespace'] == self.ns and e['involvedObject']['name'] == name
                and (reason is None or e['reason'] == reason)]

    def leader_of(self, *labs):
        return [lab for lab in labs if lab.lbd.poll() is None and lab.lbctl_json('status')['allocator_state'] == 'leader']

    def assert_no_address_twice(self):
        seen = {}
        for svc in self.cluster.objects('Service'):
            if svc['metadata']['namespace'] != self.ns:
                continue
            for ip in ingress_ips(svc):
                self.assertNotIn(ip, seen, '%s given to %s and %s' % (ip, seen.get(ip), svc['metadata']['name']))
                seen[ip] = svc['metadata']['name']
        return seen


class AllocatorTest(AllocatorHarness):

    def test_a_service_gets_an_address_annotation_and_event(self):
        lab = self.host('host-a')
        wait_for(lambda: lab.lbctl_json('status')['allocator_state'] == 'leader', what='leader')
        self.cluster.create(self.service('web'))
        self.cluster.create(self.service('plain', lb=False))
        [ip] = self.wait_ips('web')
        self.assertIn(ipaddress.ip_address(ip), POOL)
        self.assertEqual(ip, '192.0.2.1', 'the lowest address, skipping .0 (avoid-buggy-ips)')
        svc = self.service_obj('web')
        self.assertEqual(svc['metadata']['annotations']['lbd.io/ip-allocated-from-pool'], 'main')
        event = wait_for(lambda: self.events('web', 'IPAllocated'), what='IPAllocated event')[0]
        self.assertEqual(event['type'], 'Normal')
        self.assertEqual(event['message'], 'Assigned IP ["192.0.2.1"] from pool "main"')
        self.assertEqual(event['involvedObject']['uid'], svc['metadata']['uid'])
        self.assertEqual(event['source'], {'component': 'lbd', 'host': 'host-a'})
        self.assertEqual(ingress_ips(self.service_obj('plain')), [])

        services = wait_for(lambda: [s for s in lab.lbctl_json('services') if s['namespace'] == self.ns
                                     and s['vips']], what='lbctl services with the layer-2 view')
        # "main" is a layer2 pool, but no Node exists here: nobody may announce the VIP.
        vips = services[0].pop('vips')
        self.assertEqual([(v['ip'], v['holder'], v['announcing_here']) for v in vips], [('192.0.2.1', '', False)])
        self.assertIn('no eligible host', vips[0]['state'])
        self.assertEqual(services, [{'namespace': self.ns, 'name': 'web', 'ips': ['192.0.2.1'], 'pool': 'main',
                                     'state': 'assigned', 'reason': '', 'message': ''}])
        pools = {p['name']: p for p in lab.lbctl_json('pools')}
        self.assertEqual(pools['main']['used'], 1)
        self.assertEqual(pools['main']['usage'], [{'family': 'ipv4', 'size': 16, 'used': 1, 'free': 15}])
        table = lab.lbctl('services').stdout
        self.assertIn('%s/web' % self.ns, table)
        self.assertIn('1 service listed, 0 pending.', table)
        status = lab.lbctl('status').stdout
        self.assertIn('IP allocator: this host (leader)', status)

    def test_requests_metallb_keys_conflicts_and_exhaustion(self):
        lab = self.host('host-a')
        self.cluster.create(self.service('wants-ip', annotations={'metallb.universe.tf/loadBalancerIPs': '192.0.2.9'}))
        self.cluster.create(self.service('wants-pool', annotations={'metallb.io/address-pool': 'small'}))
        self.cluster.create(self.service('conflict', annotations={'lbd.io/loadBalancerIPs': '192.0.2.3',
                                                                  'metallb.io/loadBalancerIPs': '192.0.2.4'}))
        self.cluster.create(self.service('no-pool', annotations={'lbd.io/address-pool': 'nope'}))
        self.assertEqual(self.wait_ips('wants-ip'), ['192.0.2.9'])
        self.assertEqual(self.wait_ips('wants-pool'), ['198.51.100.10'])
        failed = wait_for(lambda: self.events('conflict', 'AllocationFailed'), what='AllocationFailed')[0]
        self.assertEqual(failed['type'], 'Warning')
        self.assertTrue(failed['message'].startswith('ConflictingRequests: '), failed['message'])
        failed = wait_for(lambda: self.events('no-pool', 'AllocationFailed'), what='AllocationFailed')[0]
        self.assertEqual(failed['message'], 'UnknownPool: pool "nope" is not configured')
        self.assertEqual(ingress_ips(self.service_obj('conflict')), [])
        rows = {s['name']: s for s in lab.lbctl_json('services')}
        self.assertEqual((rows['conflict']['state'], rows['conflict']['reason']), ('pending', 'ConflictingRequests'))
        self.assertEqual((rows['no-pool']['state'], rows['no-pool']['reason']), ('pending', 'UnknownPool'))
        self.assertIn('2 pending.', lab.lbctl('services').stdout)

        # "small" has two addresses: the third asker waits, and gets the address freed first.
        self.cluster.create(self.service('small-2', annotations={'lbd.io/address-pool': 'small'}))
        self.wait_ips('small-2')
        self.cluster.create(self.service('small-3', annotations={'lbd.io/address-pool': 'small'}))
        failed = wait_for(lambda: self.events('small-3', 'AllocationFailed'), what='exhausted')[0]
        self.assertTrue(failed['message'].startswith('PoolExhausted: '), failed['message'])
        self.cluster.delete('Service', self.ns, 'wants-pool')
        self.assertEqual(self.wait_ips('small-3'), ['198.51.100.10'])

    def test_leaving_load_balancer_releases_and_clears_status(self):
        lab = self.host('host-a')
        self.cluster.create(self.service('web'))
        self.wait_ips('web')
        svc = self.service_obj('web')
        svc['spec']['type'] = 'ClusterIP'
        for port in svc['spec']['ports']:
            port.pop('nodePort', None)
        svc['spec'].pop('allocateLoadBalancerNodePorts', None)
        svc['spec'].pop('externalTrafficPolicy', None)
        svc['spec'].pop('loadBalancerClass', None)  # only allowed on LoadBalancer Services
        self.cluster.update(svc)
        wait_for(lambda: not ingress_ips(self.service_obj('web')), what='status cleared')
        self.assertNotIn('lbd.io/ip-allocated-from-pool', self.service_obj('web')['metadata'].get('annotations', {}))
        wait_for(lambda: self.events('web', 'IPReleased'), what='IPReleased event')
        wait_for(lambda: not [s for s in lab.lbctl_json('services') if s['namespace'] == self.ns],
                 what='gone from lbctl services')

    def test_a_restart_rebuilds_from_status_without_moving_anything(self):
        lab = self.host('host-a')
        for i in range(5):
            self.cluster.create(self.service('web-%d' % i))
        for i in range(5):
            self.wait_ips('web-%d' % i)
        before = {s['metadata']['name']: (ingress_ips(s), s['metadata']['resourceVersion'])
                  for s in self.cluster.objects('Service') if s['metadata']['namespace'] == self.ns}
        events_before = len(self.events('web-0'))
        lab.stop_lbd()
        lab.start_lbd()
        wait_for(lambda: lab.lbctl_json('status')['allocator_state'] == 'leader', what='leader again')
        wait_for(lambda: len([s for s in lab.lbctl_json('services') if s['namespace'] == self.ns]) == 5,
                 what='all Services known')
        time.sleep(1)
        after = {s['metadata']['name']: (ingress_ips(s), s['metadata']['resourceVersion'])
                 for s in self.cluster.objects('Service') if s['metadata']['namespace'] == self.ns}
        self.assertEqual(after, before, 'no status write, no address moved')
        self.assertEqual(len(self.events('web-0')), events_before, 'nothing new to tell')

    def test_only_one_allocator_and_a_clean_stop_hands_over_at_once(self):
        a = self.host('host-a')
        b = self.host('host-b')
        wait_for(lambda: len(self.leader_of(a, b)) == 1, what='one leader')
        time.sleep(1.5)
        self.assertEqual(len(self.leader_of(a, b)), 1, 'still exactly one')
        leader, standby = (a, b) if self.leader_of(a, b)[0] is a else (b, a)
        lease = self.cluster.get('Lease', self.lease_ns, 'lbd-allocator')
        self.assertEqual(lease['spec']['holderIdentity'], 'host-a' if leader is a else 'host-b')
        self.assertEqual(lease['spec']['leaseDurationSeconds'], LEASE_DURATION)
        self.assertIn(standby.lbctl('status').stdout.split('IP allocator: ')[1].split('\n')[0],
                      ('host-a (this host: standby)', 'host-b (this host: standby)'))
        # Services listed on the standby come from status.
        self.cluster.create(self.service('web'))
        [ip] = self.wait_ips('web')
        wait_for(lambda: [s for s in standby.lbctl_json('services') if s['name'] == 'web' and s['ips'] == [ip]],
                 what='the standby shows the assignment')
        started = time.monotonic()
        leader.stop_lbd()
        wait_for(lambda: self.leader_of(standby), timeout=LEASE_DURATION, what='the standby takes over')
        took = time.monotonic() - started
        self.assertLess(took, LEASE_DURATION, 'a released Lease is taken without waiting for expiry')
        self.cluster.create(self.service('web-2'))
        self.wait_ips('web-2')
        self.assert_no_address_twice()

    def test_failover_when_the_holder_dies_mid_storm(self):
        a = self.host('host-a')
        b = self.host('host-b')
        wait_for(lambda: len(self.leader_of(a, b)) == 1, what='one leader')
        leader, standby = (a, b) if self.leader_of(a, b)[0] is a else (b, a)
        # 30 creates against 15 addresses ("small" is not auto-assigned): some must stay pending, none may get a used address.
        names = ['storm-%02d' % i for i in range(30)]
        done = threading.Event()

        def storm():
            for name in names:
                self.cluster.create(self.service(name))
                time.sleep(0.02)
            done.set()

        thread = threading.Thread(target=storm)
        thread.start()
        wait_for(lambda: sum(1 for s in self.cluster.objects('Service')
                             if s['metadata']['namespace'] == self.ns and ingress_ips(s)) >= 3,
                 what='the storm under way')
        dead = 'host-a' if leader is a else 'host-b'
        leader.lbd.send_signal(signal.SIGKILL)
        leader.lbd.wait()
        killed = time.monotonic()
        wait_for(lambda: self.cluster.get('Lease', self.lease_ns, 'lbd-allocator')['spec'].get('holderIdentity') != dead,
                 timeout=LEASE_DURATION + 5, what='the standby takes the Lease', interval=0.02)
        took = time.monotonic() - killed
        wait_for(lambda: self.leader_of(standby), what='the standby says it leads')
        print('\ntakeover after SIGKILL of the holder: %.2f s (lease %d s)' % (took, LEASE_DURATION))
        thread.join()
        self.assertLess(took, LEASE_DURATION + 1.0,
                        'took %.2f s to take over a %d s Lease' % (took, LEASE_DURATION))
        # Everything that fits is assigned, by the new holder, each address once.
        wait_for(lambda: sum(1 for s in self.cluster.objects('Service')
                             if s['metadata']['namespace'] == self.ns and ingress_ips(s)) == 15,
                 timeout=20, what='the pool full')
        seen = self.assert_no_address_twice()
        for ip in seen:
            self.assertIn(ipaddress.ip_address(ip), POOL)
            self.assertNotEqual(ip, '192.0.2.0')
        pending = [s for s in standby.lbctl_json('services') if s['state'] == 'pending']
        self.assertEqual(len(pending), 15)
        self.assertEqual({s['reason'] for s in pending}, {'PoolExhausted'})
        # The oldest pending Service gets the first address freed.
        oldest_pending = min(pending, key=lambda s: s['name'])['name']
        victim = sorted(seen.values())[0]
        self.cluster.delete('Service', self.ns, victim)
        self.wait_ips(oldest_pending)
        self.assert_no_address_twice()


if __name__ == '__main__':
    unittest.main()
