#!/usr/bin/python3
"""lbd's informers (run by lbd_k8s_probe) end with caches equal to the server's objects, compared
object by object, whatever happens in between: paging, changes, watches cut mid-object or closed,
410 Gone after compaction, 429 with Retry-After, 500s, slow answers, refused connections."""

import time
import unittest

from cluster import ClusterTest, wait_for


class InformerFaults(ClusterTest):
    def populate(self, services=12, slices=5, nodes=3, leases=2):
        for i in range(services):
            self.cluster.create(self.service('svc-%02d' % i, lb=i % 3 != 0, labels={'n': str(i)}))
        for i in range(slices):
            self.cluster.create(self.slice('svc-%02d-x%d' % (i, i), 'svc-%02d' % i, ['10.244.0.%d' % (i + 1)]))
        for i in range(nodes):
            self.cluster.create(self.node('%s-node-%d' % (self.ns, i), ready=i != 1))
        for i in range(leases):
            self.cluster.create(self.lease('vip-%d' % i, 'node-%d' % i))

    def churn(self, round_):
        """Creates, updates and deletes some of everything."""
        self.cluster.create(self.service('new-%d' % round_))
        s = self.cluster.get('Service', self.ns, 'svc-01')
        s['metadata']['labels']['round'] = str(round_)
        self.cluster.update(s)
        if self.cluster.get('Service', self.ns, 'svc-%02d' % (2 + round_)):
            self.cluster.delete('Service', self.ns, 'svc-%02d' % (2 + round_))
        e = self.cluster.get('EndpointSlice', self.ns, 'svc-00-x0')
        e['endpoints'].append({'addresses': ['10.244.9.%d' % (round_ + 1)], 'conditions': {'ready': round_ % 2 == 0}})
        self.cluster.update(e)
        lease = self.cluster.get('Lease', self.lease_ns, 'vip-0')
        lease['spec']['holderIdentity'] = 'node-r%d' % round_
        self.cluster.update(lease)

    def test_initial_list_is_paged_and_complete(self):
        self.populate(services=23)
        probe = self.probe('--page-size', '5')
        dump = self.assert_converges(probe)
        self.assertEqual(len(self.cached(dump)['services']), 23)
        self.assertEqual(dump['counters']['services']['lists'], 1)
        self.assertEqual(dump['counters']['services']['relists'], 0)
        if self.cluster.faults:
            pages = [e for e in self.cluster.control('GET', '/requests')
                     if e['path'] == '/api/v1/services' and 'watch' not in e['query']]
            self.assertEqual(len(pages), 5, pages)   # 23 services (+ default/kubernetes) in pages of 5
            self.assertTrue(all('continue=' in e['query'] for e in pages[1:]))

    def test_watch_follows_every_change(self):
        self.populate()
        probe = self.probe()
        self.assert_converges(probe)
        for round_ in range(4):
            self.churn(round_)
        dump = self.assert_converges(probe)
        self.assertEqual(dump['counters']['services']['relists'], 0)
        self.assertGreater(dump['counters']['services']['events'], 0)

    def test_watch_cut_in_the_middle_of_an_object(self):
        self.need_faults()
        self.populate()
        probe = self.probe()
        self.assert_converges(probe)
        self.cluster.fault(type='cut-watch', count=2, path='services.*watch=true')
        for round_ in range(3):
            self.churn(round_)
        dump = self.assert_converges(probe)
        counters = dump['counters']['services']
        self.assertGreaterEqual(counters['watches'], 3)      # the cut watches were resumed
        self.assertEqual(counters['relists'], 0)             # from the last RV seen, no relist
        self.assertIn('stream cut in the middle of an event', probe.log())

    def test_watches_closed_by_a_dying_server_resume(self):
        self.need_faults()
        self.populate()
        probe = self.probe()
        self.assert_converges(probe)
        self.cluster.control('POST', '/close-watches')
        self.churn(0)
        self.cluster.control('POST', '/close-watches')
        self.churn(1)
        dump = self.assert_converges(probe)
        self.assertEqual(dump['counters']['leases']['relists'], 0)

    def test_compaction_while_disconnected_relists_and_emits_the_difference(self):
        self.need_faults()
        self.populate()
        probe = self.probe()
        self.assert_converges(probe)
        # Connections refused while objects change, then history compacted: the watch cannot
        # resume (410 Gone) and the informer must relist and work out what it missed.
        self.cluster.control('POST', '/refuse', {'seconds': 2, 'dropExisting': True})
        for round_ in range(3):
            self.churn(round_)
        self.cluster.delete('Node', None, '%s-node-0' % self.ns)
        self.cluster.delete('Lease', self.lease_ns, 'vip-1')
        self.cluster.control('POST', '/restart')
        self.cluster.control('POST', '/compact', {})
        dump = self.assert_converges(probe)
        self.assertGreaterEqual(dump['counters']['services']['relists'], 1)
        self.assertGreaterEqual(dump['counters']['nodes']['relists'], 1)
        self.assertNotIn('%s-node-0' % self.ns, dump['objects']['nodes'])

    def test_410_inside_a_watch_stream_relists(self):
        self.need_faults()
        self.populate()
        probe = self.probe()
        self.assert_converges(probe)
        # Close the watches and move history past the watch cache window before they come back.
        self.cluster.control('POST', '/refuse', {'seconds': 1.5, 'dropExisting': True})
        for round_ in range(3):
            self.churn(round_)
        self.cluster.control('POST', '/restart')
        dump = self.assert_converges(probe)
        self.assertGreaterEqual(dump['counters']['services']['relists'], 1)

    def test_throttled_and_failing_lists_are_retried(self):
        self.need_faults()
        self.populate()
        self.cluster.fault(type='error', code=429, retryAfter=1, count=2, method='GET', path='/api/v1/services\\?limit')
        self.cluster.fault(type='error', code=500, count=2, method='GET', path='endpointslices\\?limit')
        started = time.monotonic()
        probe = self.probe()
        self.assert_converges(probe)
        self.assertGreaterEqual(time.monotonic() - started, 2.0)   # Retry-After: 1 s, twice
        log = [e for e in self.cluster.control('GET', '/requests') if e['path'] == '/api/v1/services']
        self.assertEqual([e['code'] for e in log[:3]], [429, 429, 200])
        faults = self.cluster.control('GET', '/faults')
        self.assertEqual([f['fired'] for f in faults], [2, 2])

    def test_slow_answers(self):
        self.need_faults()
        self.populate()
        self.cluster.fault(type='delay', seconds=2, count=4, method='GET')
        probe = self.probe()
        self.assert_converges(probe)
        self.churn(0)
        self.assert_converges(probe)

    def test_server_refusing_connections_at_start(self):
        self.need_faults()
        self.populate()
        self.cluster.control('POST', '/refuse', {'seconds': 3})
        probe = self.probe()
        time.sleep(1)
        self.assertFalse(any(probe.ask(op='dump')['synced'].values()))
        self.assertNotEqual(probe.ask(op='dump')['lastError'], '')
        self.assert_converges(probe)
        self.assertEqual(probe.ask(op='dump')['lastError'], '')

    def test_connection_dropped_without_answer(self):
        self.need_faults()
        self.populate()
        self.cluster.fault(type='close', count=3, method='GET', path='nodes')
        probe = self.probe()
        self.assert_converges(probe)
        self.churn(0)
        self.assert_converges(probe)

    def test_watches_share_one_http2_connection(self):
        self.need_faults()
        self.populate(services=2, slices=1, nodes=1, leases=1)
        probe = self.probe()
        self.assert_converges(probe)
        watches = wait_for(lambda: (w := [e for e in self.cluster.control('GET', '/requests')
                                          if 'watch=true' in e['query']]) and len(w) >= 4 and w,
                           what='four watches')
        self.assertEqual({e['proto'] for e in watches}, {'h2'})
        self.assertEqual(len({e['peer'] for e in watches}), 1, watches)   # multiplexed on one connection


if __name__ == '__main__':
    unittest.main()
