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
        self.assertGreaterEqual(counters['watches'], 2)      # the cut watch was followed by another
        self.assertGreaterEqual(counters['relists'], 1)
        self.assertEqual(counters['serverBehind'], 0)
        self.assertIn('stream cut in the middle of an event', probe.log())
        self.assert_relisted_from_the_last_version_seen('/api/v1/services')

    def assert_relisted_from_the_last_version_seen(self, path):
        """After a broken watch: a LIST not older than the informer's version (one page, from
        the watch cache), never one from scratch."""
        lists = [e['query'] for e in self.cluster.control('GET', '/requests')
                 if e['path'] == path and 'watch=true' not in e['query']]
        self.assertTrue(lists[0].startswith('limit='), lists)
        self.assertGreaterEqual(len(lists), 2, lists)
        for query in lists[1:]:
            self.assertRegex(query, r'^resourceVersion=\d+&resourceVersionMatch=NotOlderThan$')

    def test_watches_closed_by_a_dying_server_resume(self):
        self.need_faults()
        self.populate()
        probe = self.probe()
        self.assert_converges(probe)
        self.cluster.control('POST', '/close-watches')
        self.churn(0)
        self.cluster.control('POST', '/close-watches')
        self.churn(1)
        self.assert_converges(probe)
        self.assert_relisted_from_the_last_version_seen('/apis/coordination.k8s.io/v1/namespaces/%s/leases'
                                                        % self.lease_ns)

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

    def test_cluster_restored_from_backup_with_resource_versions_going_back(self):
        """Issue 12: after an etcd restore (fewer objects, resourceVersions back at the backup's)
        lbd kept its 51 Services "synced, watching" while the server held 4. The watches end when
        the apiserver restarts on the restored etcd; resuming from lbd's RV, now in the server's
        future, is silent, so the informer must list again: at its RV (NotOlderThan), which the
        server answers with 504 "Too large resource version" after ~3 s, then from scratch."""
        self.need_faults()
        self.populate(services=4, slices=1, nodes=1, leases=1)
        self.cluster.create(self.service('recreated'))
        snap = self.cluster.control('POST', '/snapshot')
        for i in range(4, 51):
            self.cluster.create(self.service('svc-%02d' % i))
        self.cluster.delete('Service', self.ns, 'recreated')   # a new uid under the same name
        self.cluster.create(self.service('recreated'))
        self.cluster.create(self.node('%s-node-late' % self.ns))
        probe = self.probe()
        dump = self.assert_converges(probe)
        self.assertEqual(len(self.cached(dump)['services']), 52)
        probe.ask(op='changes', resource='services')
        restored = self.cluster.control('POST', '/restore', {'snapshot': snap['snapshot']})
        started = time.monotonic()
        self.cluster.create(self.service('after-restore'))    # an RV below every one lbd has seen
        dump = self.assert_converges(probe, timeout=20)
        took = time.monotonic() - started
        print('\nconverged %.1f s after the restore' % took)
        self.assertLess(took, 10.0)          # backoff (< 0.8 s) + the server's 3 s wait + two lists
        self.assertEqual(len(self.cached(dump)['services']), 6)
        self.assertNotIn('%s-node-late' % self.ns, dump['objects']['nodes'])
        self.assertLess(int(dump['objects']['services']['%s/svc-00' % self.ns]['resourceVersion']),
                        int(restored['resourceVersion']) + 1)
        counters = dump['counters']['services']
        self.assertEqual(counters['serverBehind'], 1)          # one 504 Too large resource version
        # The uid of "recreated" went back to the backup's: a delete and an add, not an update.
        changes = probe.ask(op='changes', resource='services')['changes']
        key = '%s/recreated' % self.ns
        self.assertNotIn('~' + key, changes)
        self.assertLess(changes.index('-' + key), changes.index('+' + key))
        self.assertGreaterEqual(counters['uidChanges'], 1)
        self.assertIn('Too large resource version', probe.log())
        lists = [e['query'] for e in self.cluster.control('GET', '/requests')
                 if e['path'] == '/api/v1/services' and 'watch' not in e['query']]
        self.assertTrue(any('resourceVersionMatch=NotOlderThan' in q and 'limit' not in q for q in lists), lists)

    def test_uid_change_under_the_same_name_is_a_delete_and_an_add(self):
        """A Service deleted and created again under its name while the watch was down: the
        relist must tell the consumers "deleted" then "added" (another object), not "updated"."""
        self.need_faults()
        self.populate(services=3, slices=0, nodes=0, leases=0)
        probe = self.probe()
        self.assert_converges(probe)
        key = '%s/svc-01' % self.ns
        old_uid = probe.ask(op='dump')['objects']['services'][key]['uid']
        probe.ask(op='changes', resource='services')
        self.cluster.control('POST', '/refuse', {'seconds': 1.5, 'dropExisting': True})
        self.cluster.delete('Service', self.ns, 'svc-01')
        self.cluster.create(self.service('svc-01', labels={'again': 'yes'}))
        self.cluster.control('POST', '/restart')     # the watch cannot replay the delete: 410
        dump = self.assert_converges(probe)
        self.assertNotEqual(dump['objects']['services'][key]['uid'], old_uid)
        changes = probe.ask(op='changes', resource='services')['changes']
        self.assertEqual([c for c in changes if c.endswith(key)], ['-' + key, '+' + key])
        self.assertEqual(dump['counters']['services']['uidChanges'], 1)

    def test_periodic_resync_repairs_a_lost_event(self):
        """A watch event that never arrives (here dropped by the server) leaves the cache wrong
        for as long as the watch lasts; the periodic relist-and-compare finds and repairs it,
        counts it and says what it was."""
        self.need_faults()
        self.populate(services=3, slices=0, nodes=0, leases=0)
        probe = self.probe('--resync-interval', '2')
        self.assert_converges(probe)
        self.cluster.fault(type='drop-event', count=1, path='/api/v1/services.*watch=true')
        self.cluster.delete('Service', self.ns, 'svc-02')
        started = time.monotonic()
        dump = self.assert_converges(probe, timeout=15)
        print('\nrepaired %.1f s after the lost event' % (time.monotonic() - started))
        self.assertEqual(self.cluster.control('GET', '/faults')[0]['fired'], 1)
        counters = dump['counters']['services']
        self.assertGreaterEqual(counters['resyncs'], 1)
        self.assertEqual(counters['repaired'], 1)
        self.assertIn('resync repaired 1 difference', probe.log())
        self.assertIn('%s/svc-02' % self.ns, probe.log())
        # Nothing else was wrong: later resyncs find nothing.
        time.sleep(4.5)
        self.assertEqual(probe.ask(op='dump')['counters']['services']['repaired'], 1)

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
