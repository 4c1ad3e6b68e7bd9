#!/usr/bin/python3
"""lbd's writes through its API client (run by lbd_k8s_probe): Service status merge patches,
Events with count aggregation, and Leases with optimistic concurrency (a 409 means read again
and decide again, never overwrite blindly); 429 and 5xx answers are retried."""

import datetime
import time
import unittest

from cluster import ClusterTest, wait_for


def micro_now(offset=0.0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset)
    return t.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


class ServiceStatus(ClusterTest):
    def test_ingress_is_written_replaced_and_cleared(self):
        self.cluster.create(self.service('web'))
        probe = self.probe()
        r = probe.ask(op='status', namespace=self.ns, name='web', ips=['192.0.2.10', '192.0.2.11'])
        self.assertEqual((r['code'], r['error']), (200, ''))
        stored = self.cluster.get('Service', self.ns, 'web')
        ingress = stored['status']['loadBalancer']['ingress']
        self.assertEqual([i['ip'] for i in ingress], ['192.0.2.10', '192.0.2.11'])
        # ipMode is sent until the server shows it dropped the field (v1.28 has none).
        self.assertEqual(r['ipModeSupported'], 'ipMode' in ingress[0])
        self.assertEqual([i['ip'] for i in r['stored']['ingress']], ['192.0.2.10', '192.0.2.11'])
        self.assertEqual(r['stored']['resourceVersion'], stored['metadata']['resourceVersion'])

        r = probe.ask(op='status', namespace=self.ns, name='web', ips=['192.0.2.12'])
        self.assertEqual(r['code'], 200)
        ingress = self.cluster.get('Service', self.ns, 'web')['status']['loadBalancer']['ingress']
        self.assertEqual([i['ip'] for i in ingress], ['192.0.2.12'])   # merge patch replaces the list

        r = probe.ask(op='status', namespace=self.ns, name='web', ips=[])
        self.assertEqual(r['code'], 200)
        self.assertEqual(self.cluster.get('Service', self.ns, 'web')['status'].get('loadBalancer', {}).get('ingress'), None)
        self.assert_converges(probe)   # and the informer saw the status changes

    def test_status_write_leaves_the_spec_alone(self):
        svc = self.cluster.create(self.service('web', labels={'keep': 'me'}))
        probe = self.probe()
        probe.ask(op='status', namespace=self.ns, name='web', ips=['192.0.2.10'])
        after = self.cluster.get('Service', self.ns, 'web')
        self.assertEqual(after['spec'], svc['spec'])
        self.assertEqual(after['metadata']['labels'], {'keep': 'me'})

    def test_missing_service_is_a_404_not_a_create(self):
        probe = self.probe()
        r = probe.ask(op='status', namespace=self.ns, name='ghost', ips=['192.0.2.10'])
        self.assertEqual(r['code'], 404)
        self.assertIn('"ghost" not found', r['error'])
        self.assertIsNone(self.cluster.get('Service', self.ns, 'ghost'))

    def test_throttled_write_waits_for_retry_after(self):
        self.need_faults()
        self.cluster.create(self.service('web'))
        probe = self.probe()
        self.cluster.fault(type='error', code=429, retryAfter=2, count=1, method='PATCH')
        started = time.monotonic()
        r = probe.ask(op='status', namespace=self.ns, name='web', ips=['192.0.2.10'])
        self.assertEqual(r['code'], 200)
        self.assertGreaterEqual(time.monotonic() - started, 2.0)

    def test_server_errors_are_retried(self):
        self.need_faults()
        self.cluster.create(self.service('web'))
        probe = self.probe()
        self.cluster.fault(type='error', code=500, count=2, method='PATCH')
        r = probe.ask(op='status', namespace=self.ns, name='web', ips=['192.0.2.10'])
        self.assertEqual(r['code'], 200)
        patches = [e['code'] for e in self.cluster.control('GET', '/requests') if e['method'] == 'PATCH']
        self.assertEqual(patches, [500, 500, 200])


class Events(ClusterTest):
    def events(self):
        return [e for e in self.cluster.objects('Event') if e['metadata']['namespace'] == self.ns]

    def test_repeats_are_aggregated_into_one_event(self):
        svc = self.cluster.create(self.service('web'))
        probe = self.probe()
        for _ in range(3):
            self.assertTrue(probe.ask(op='event', namespace=self.ns, name='web', uid=svc['metadata']['uid'],
                                      type='Warning', reason='AllocationFailed', message='pool "a" is exhausted')['ok'])
        events = self.events()
        self.assertEqual(len(events), 1)
        e = events[0]
        self.assertEqual(e['count'], 3)
        self.assertEqual((e['type'], e['reason'], e['message']), ('Warning', 'AllocationFailed', 'pool "a" is exhausted'))
        self.assertEqual(e['involvedObject']['kind'], 'Service')
        self.assertEqual(e['involvedObject']['name'], 'web')
        self.assertEqual(e['involvedObject']['uid'], svc['metadata']['uid'])
        self.assertTrue(e['metadata']['name'].startswith('web.'))
        self.assertGreaterEqual(e['lastTimestamp'], e['firstTimestamp'])
        self.assertEqual(e['source']['component'], 'lbd')

    def test_a_different_message_is_a_new_event(self):
        probe = self.probe()
        probe.ask(op='event', namespace=self.ns, name='web', reason='AllocationFailed', message='a')
        probe.ask(op='event', namespace=self.ns, name='web', reason='AllocationFailed', message='b')
        probe.ask(op='event', namespace=self.ns, name='web', reason='IPAllocated', message='a')
        self.assertEqual(sorted((e['reason'], e['message'], e['count']) for e in self.events()),
                         [('AllocationFailed', 'a', 1), ('AllocationFailed', 'b', 1), ('IPAllocated', 'a', 1)])

    def test_an_expired_event_is_started_again(self):
        probe = self.probe()
        probe.ask(op='event', namespace=self.ns, name='web', reason='IPAllocated', message='x')
        first = self.events()[0]['metadata']['name']
        self.cluster.delete('Event', self.ns, first)   # as the server's TTL would
        time.sleep(0.01)   # a new name: the suffix is the time in nanoseconds
        self.assertTrue(probe.ask(op='event', namespace=self.ns, name='web', reason='IPAllocated', message='x')['ok'])
        events = self.events()
        self.assertEqual(len(events), 1)
        self.assertNotEqual(events[0]['metadata']['name'], first)
        self.assertEqual(events[0]['count'], 1)


class Leases(ClusterTest):
    def test_create_then_renew(self):
        probe = self.probe()
        r = probe.ask(op='lease', namespace=self.lease_ns, name='lbd-allocator', identity='node-a', duration=15)
        self.assertEqual((r['outcome'], r['conflicts'], r['error']), ('written', 0, ''))
        stored = self.cluster.get('Lease', self.lease_ns, 'lbd-allocator')
        self.assertEqual(stored['spec']['holderIdentity'], 'node-a')
        self.assertEqual(stored['spec']['leaseDurationSeconds'], 15)
        self.assertRegex(stored['spec']['renewTime'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$')
        first_renew = stored['spec']['renewTime']
        time.sleep(0.01)
        r = probe.ask(op='lease', namespace=self.lease_ns, name='lbd-allocator', identity='node-a', duration=15)
        self.assertEqual(r['outcome'], 'written')
        renewed = self.cluster.get('Lease', self.lease_ns, 'lbd-allocator')
        self.assertGreater(renewed['spec']['renewTime'], first_renew)
        self.assertEqual(renewed['spec']['acquireTime'], stored['spec']['acquireTime'])
        self.assertEqual(renewed['spec']['leaseTransitions'], 0)

    def test_a_live_holder_is_left_alone(self):
        probe = self.probe()
        held = self.lease('lbd-allocator', 'node-b')
        held['spec']['renewTime'] = micro_now()
        self.cluster.create(held)
        r = probe.ask(op='lease', namespace=self.lease_ns, name='lbd-allocator', identity='node-a', duration=15)
        self.assertEqual(r['outcome'], 'unchanged')
        self.assertEqual(r['lease']['holderIdentity'], 'node-b')
        self.assertEqual(self.cluster.get('Lease', self.lease_ns, 'lbd-allocator')['spec']['holderIdentity'], 'node-b')

    def test_an_expired_lease_is_taken_over(self):
        probe = self.probe()
        self.cluster.create(self.lease('lbd-allocator', 'dead-node'))   # renewed long ago
        r = probe.ask(op='lease', namespace=self.lease_ns, name='lbd-allocator', identity='node-a', duration=15)
        self.assertEqual(r['outcome'], 'written')
        stored = self.cluster.get('Lease', self.lease_ns, 'lbd-allocator')
        self.assertEqual((stored['spec']['holderIdentity'], stored['spec']['leaseTransitions']), ('node-a', 1))

    def test_release_clears_only_our_own_claim(self):
        probe = self.probe()
        probe.ask(op='lease', namespace=self.lease_ns, name='mine', identity='node-a', duration=15)
        r = probe.ask(op='release', namespace=self.lease_ns, name='mine', identity='node-a')
        self.assertEqual(r['outcome'], 'written')
        self.assertNotIn('holderIdentity', self.cluster.get('Lease', self.lease_ns, 'mine')['spec'])
        held = self.lease('theirs', 'node-b')
        held['spec']['renewTime'] = micro_now()
        self.cluster.create(held)
        self.assertEqual(probe.ask(op='release', namespace=self.lease_ns, name='theirs', identity='node-a')['outcome'],
                         'unchanged')

    def test_conflict_rereads_and_decides_again(self):
        """Between our read and our write someone else takes the Lease: our update carries the
        old resourceVersion, gets 409, and after reading again we see a live holder and back off."""
        self.need_faults()
        self.cluster.create(self.lease('lbd-allocator', 'dead-node'))
        probe = self.probe()
        self.cluster.fault(type='delay', seconds=1.5, count=1, method='PUT', path='leases/lbd-allocator')
        probe.send(op='lease', namespace=self.lease_ns, name='lbd-allocator', identity='node-a', duration=15)
        wait_for(lambda: any(e['method'] == 'PUT' for e in self.cluster.control('GET', '/requests')), what='our PUT')
        rival = self.cluster.get('Lease', self.lease_ns, 'lbd-allocator')
        rival['spec'].update(holderIdentity='node-b', renewTime=micro_now(), leaseTransitions=1)
        self.cluster.update(rival)
        r = probe.reply()
        self.assertEqual((r['outcome'], r['conflicts']), ('unchanged', 1))
        self.assertEqual(r['lease']['holderIdentity'], 'node-b')
        stored = self.cluster.get('Lease', self.lease_ns, 'lbd-allocator')
        self.assertEqual(stored['spec']['holderIdentity'], 'node-b')   # not overwritten
        puts = [e['code'] for e in self.cluster.control('GET', '/requests') if e['method'] == 'PUT']
        self.assertEqual(puts, [409])   # ours, refused: it was based on the Lease before the rival's update

    def test_racing_claims_elect_exactly_one_holder(self):
        probes = [self.probe() for _ in range(3)]
        for round_ in range(5):
            for i, p in enumerate(probes):
                p.send(op='lease', namespace=self.lease_ns, name='race', identity='node-%d' % i, duration=15)
            results = [p.reply() for p in probes]
            winners = [i for i, r in enumerate(results) if r['outcome'] == 'written']
            self.assertEqual(len(winners), 1, results)
            holder = self.cluster.get('Lease', self.lease_ns, 'race')['spec']['holderIdentity']
            self.assertEqual(holder, 'node-%d' % winners[0])
            if round_ == 0:
                first = holder
            self.assertEqual(holder, first)   # the holder renews; the others never take it
        self.assertEqual(self.cluster.get('Lease', self.lease_ns, 'race')['spec']['leaseTransitions'], 0)


if __name__ == '__main__':
    unittest.main()
