"""Every fault injection of the control API really happens (and the store API works)."""

import socket
import time
import unittest
import urllib.error

from harness import ServerTest, svc

SVC = '/api/v1/namespaces/default/services'


class Faults(ServerTest):
    def test_error_429_with_retry_after_then_normal(self):
        self.s.fault(type='error', code=429, retryAfter=3, count=2, method='GET', path='/services')
        r1, r2, r3 = (self.s.get(SVC) for _ in range(3))
        self.assertEqual((r1.status, r1.header('Retry-After'), r1.json()['reason']), (429, '3', 'TooManyRequests'))
        self.assertEqual(r2.status, 429)
        self.assertEqual(r3.status, 200)
        self.assertEqual(self.s.get('/api/v1/namespaces').status, 200)   # no match: untouched
        self.assertEqual(self.s.control('GET', '/faults')[0]['fired'], 2)

    def test_error_500(self):
        self.s.fault(type='error', code=500, count=1, method='POST')
        self.assertEqual(self.s.get(SVC).status, 200)
        r = self.s.request('POST', SVC, svc('x'))
        self.assertEqual((r.status, r.json()['code']), (500, 500))
        self.assertEqual(self.s.request('POST', SVC, svc('x')).status, 201)

    def test_delay(self):
        self.s.fault(type='delay', seconds=1.0, count=1, path='/version')
        t0 = time.monotonic()
        self.assertEqual(self.s.get('/version').status, 200)
        self.assertGreaterEqual(time.monotonic() - t0, 1.0)
        t0 = time.monotonic()
        self.s.get('/version')
        self.assertLess(time.monotonic() - t0, 0.5)

    def test_a_write_past_its_timeout_parameter_is_not_committed(self):
        # kube-apiserver's request deadline (?timeout=): a write still waiting (here a delay
        # fault, as in a queue) when it passes gets 504 Timeout and changes nothing.
        self.s.create(SVC, svc('slow'))
        self.s.fault(type='delay', seconds=0.5, count=1, method='PATCH')
        path = SVC + '/slow?timeout=100ms'
        r = self.s.request('PATCH', path, {'metadata': {'labels': {'late': 'yes'}}},
                           content_type='application/merge-patch+json')
        self.assertEqual((r.status, r.json()['reason'], r.json()['code']), (504, 'Timeout', 504))
        self.assertIn('request did not complete within requested timeout', r.json()['message'])
        self.assertNotIn('labels', self.s.get(SVC + '/slow').json()['metadata'])
        # In time, or without the parameter, it is written.
        r = self.s.request('PATCH', SVC + '/slow?timeout=2s', {'metadata': {'labels': {'late': 'no'}}},
                           content_type='application/merge-patch+json')
        self.assertEqual(r.status, 200)
        self.assertEqual(self.s.get(SVC + '/slow').json()['metadata']['labels'], {'late': 'no'})

    def test_cut_watch_mid_object(self):
        w = self.s.watch(SVC + '?watch=1&resourceVersion=0&timeoutSeconds=10')
        self.s.fault(type='cut-watch', count=1, path='watch')
        self.s.create(SVC, svc('cut-me'))
        # the initial ADDED of "kubernetes" came before the fault was armed
        self.assertEqual(w.next_event()['object']['metadata']['name'], 'kubernetes')
        with self.assertRaises(EOFError):
            w.next_chunk()
        self.assertFalse(w.ended_cleanly)

    def test_drop_event(self):
        rv = self.s.get(SVC).json()['metadata']['resourceVersion']
        w = self.s.watch(SVC + '?watch=1&timeoutSeconds=2&resourceVersion=' + rv)
        self.s.fault(type='drop-event', count=1, path='watch')
        for name in ('lost', 'seen'):
            self.s.create(SVC, svc(name))
        self.assertEqual([e['object']['metadata']['name'] for e in w.events_until_end()], ['seen'])
        self.assertEqual(self.s.control('GET', '/faults')[0]['fired'], 1)

    def test_close_watches_and_restart(self):
        w = self.s.watch(SVC + '?watch=1&resourceVersion=0&timeoutSeconds=10')
        w.next_event()
        self.s.control('POST', '/restart')
        with self.assertRaises(EOFError):
            w.next_chunk()
        rv = self.s.get(SVC).json()['metadata']['resourceVersion']
        w = self.s.watch(SVC + '?watch=1&timeoutSeconds=2&resourceVersion=%d' % (int(rv) - 1))
        ev = w.next_event()
        self.assertEqual((ev['type'], ev['object']['code']), ('ERROR', 410))

    def test_refuse_connections(self):
        self.s.control('POST', '/refuse', {'seconds': 1.0})
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(('127.0.0.1', self.s.port), timeout=2).close()
        deadline = time.monotonic() + 5
        while True:
            try:
                self.assertEqual(self.s.get('/version').status, 200)
                break
            except ConnectionRefusedError:
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.1)

    def test_store_access(self):
        r = self.s.control('POST', '/objects', svc('direct', ns='default'))
        self.assertEqual(r['code'], 201)
        obj = r['body']
        obj['metadata']['labels'] = {'x': 'y'}
        self.assertEqual(self.s.control('PUT', '/objects', obj)['code'], 200)
        dump = self.s.control('GET', '/store')
        names = [o['metadata']['name'] for o in dump['objects']['v1/services']]
        self.assertIn('direct', names)
        self.assertEqual(dump['resourceVersion'], self.s.get(SVC).json()['metadata']['resourceVersion'])
        r = self.s.control('DELETE', '/objects?apiVersion=v1&kind=Service&namespace=default&name=direct')
        self.assertEqual(r['code'], 200)
        r = self.s.control('POST', '/request', {'method': 'GET', 'path': SVC + '/direct'})
        self.assertEqual(r['code'], 404)
        log = self.s.control('GET', '/requests')
        self.assertTrue(any(e['path'] == SVC and e['code'] == 200 for e in log))

    def test_restore_from_snapshot_moves_resource_versions_back(self):
        """An etcd restore from backup: objects as they were at the snapshot, resourceVersions
        back at its revision, open watches end like at an apiserver restart, and a client that
        comes back with its newer RV gets what the real one gives (05-compaction/12, 04-watch/12)."""
        self.s.control('POST', '/options', {'tooLargeRvWait': 0.5})
        self.s.create(SVC, svc('kept'))
        first_uid = self.s.create(SVC, svc('again'))['metadata']['uid']
        snap = self.s.control('POST', '/snapshot')
        for name in ('lost-1', 'lost-2', 'lost-3'):
            self.s.create(SVC, svc(name))
        self.s.request('DELETE', SVC + '/again')
        self.assertNotEqual(self.s.create(SVC, svc('again'))['metadata']['uid'], first_uid)
        before = self.s.get(SVC).json()['metadata']['resourceVersion']
        w = self.s.watch(SVC + '?watch=1&allowWatchBookmarks=true&timeoutSeconds=30&resourceVersion=' + before)
        restored = self.s.control('POST', '/restore', {'snapshot': snap['snapshot']})
        self.assertEqual(restored['resourceVersion'], snap['resourceVersion'])
        with self.assertRaises(EOFError):
            w.next_chunk()
        self.assertFalse(w.ended_cleanly)
        listed = self.s.get(SVC).json()
        self.assertEqual(listed['metadata']['resourceVersion'], snap['resourceVersion'])
        self.assertLess(int(listed['metadata']['resourceVersion']), int(before))
        self.assertEqual({i['metadata']['name']: i['metadata']['uid'] for i in listed['items']}.get('again'), first_uid)
        self.assertEqual(sorted(i['metadata']['name'] for i in listed['items']), ['again', 'kept', 'kubernetes'])
        # A LIST at the pre-restore RV: the cacher waits, then 504 Too large resource version.
        t0 = time.monotonic()
        r = self.s.get(SVC + '?resourceVersion=%s&resourceVersionMatch=NotOlderThan' % before)
        self.assertGreaterEqual(time.monotonic() - t0, 0.5)
        self.assertEqual((r.status, r.json()['reason'], r.json()['details']['causes'][0]['reason']),
                         (504, 'Timeout', 'ResourceVersionTooLarge'))
        self.assertEqual(r.json()['message'], 'Timeout: Too large resource version: %s, current: %s'
                         % (before, snap['resourceVersion']))
        # A WATCH from it: 200, and silence - writes below that RV are not sent, nor bookmarks.
        w = self.s.watch(SVC + '?watch=1&allowWatchBookmarks=true&timeoutSeconds=3&resourceVersion=' + before)
        self.assertEqual(w.status, 200)
        created = self.s.create(SVC, svc('after-restore'))
        self.assertEqual(int(created['metadata']['resourceVersion']), int(snap['resourceVersion']) + 1)
        self.assertEqual(w.events_until_end(), [])
        # Once the revision passes that RV again, such a watch sees the writes after it.
        w = self.s.watch(SVC + '?watch=1&timeoutSeconds=3&resourceVersion=' + before)
        rv = int(created['metadata']['resourceVersion'])
        while rv <= int(before) + 1:
            rv = int(self.s.create(SVC, svc('refill-%d' % rv))['metadata']['resourceVersion'])
        self.assertEqual([int(e['object']['metadata']['resourceVersion']) for e in w.events_until_end()],
                         [int(before) + 1, int(before) + 2])
        # Writes continue from the restored revision; the ClusterIPs are the restored ones'.
        ips = [i['spec']['clusterIP'] for i in self.s.get(SVC).json()['items']]
        self.assertEqual(len(set(ips)), len(ips))

    def test_restore_with_bumped_and_compacted_revision(self):
        # etcdutl snapshot restore --bump-revision N --mark-compacted: the way to restore without
        # RVs going back; every client's old RV is then compacted away (410).
        snap = self.s.control('POST', '/snapshot')
        self.s.create(SVC, svc('lost'))
        before = self.s.get(SVC).json()['metadata']['resourceVersion']
        r = self.s.control('POST', '/restore', {'snapshot': snap['snapshot'], 'bumpRevision': 1000,
                                                'markCompacted': True})
        self.assertEqual(int(r['resourceVersion']), int(snap['resourceVersion']) + 1000)
        w = self.s.watch(SVC + '?watch=1&timeoutSeconds=3&resourceVersion=' + before)
        ev = w.next_event()
        self.assertEqual((ev['type'], ev['object']['code'], ev['object']['reason']), ('ERROR', 410, 'Expired'))
        self.assertEqual(self.s.get(SVC + '?resourceVersion=%s&resourceVersionMatch=Exact' % before).status, 410)
        with self.assertRaises(urllib.error.HTTPError) as e:
            self.s.control('POST', '/restore', {'snapshot': '99'})
        self.assertEqual(e.exception.code, 404)


if __name__ == '__main__':
    unittest.main()
