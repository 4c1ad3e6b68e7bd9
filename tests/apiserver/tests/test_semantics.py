"""Semantics of the API test server, rule by rule (each rule is one the recordings show)."""

import base64
import json
import re
import subprocess
import threading
import time
import unittest
import uuid

from harness import ServerTest, svc, lease, ADMIN, LIMITED, LBD

SVC = '/api/v1/namespaces/demo/services'
LEASES = '/apis/coordination.k8s.io/v1/namespaces/demo/leases'
TIME_RE = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')


class Objects(ServerTest):
    def setUp(self):
        super().setUp()
        self.ns('demo')

    def test_create_shape_and_monotonic_rv(self):
        rvs = []
        for i in range(5):
            o = self.s.create(SVC, svc('s%d' % i))
            m = o['metadata']
            uuid.UUID(m['uid'])
            self.assertRegex(m['resourceVersion'], r'^[1-9][0-9]*$')
            self.assertRegex(m['creationTimestamp'], TIME_RE)
            self.assertEqual(m['managedFields'][0]['manager'], 'lbd-apiserver-tests')
            rvs.append(int(m['resourceVersion']))
        self.assertEqual(rvs, sorted(set(rvs)))
        lst = self.s.get(SVC).json()
        self.assertGreaterEqual(int(lst['metadata']['resourceVersion']), rvs[-1])
        self.assertNotIn('kind', lst['items'][0])
        l2 = self.s.create(LEASES, lease('l'))
        self.assertGreater(int(l2['metadata']['resourceVersion']), rvs[-1])  # one cluster-wide counter

    def test_service_defaults(self):
        o = self.s.create(SVC, {'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': 'lb'},
                                'spec': {'type': 'LoadBalancer', 'ports': [{'port': 80}]}})
        spec = o['spec']
        self.assertTrue(spec['clusterIP'].startswith('10.96.'))
        self.assertEqual(spec['clusterIPs'], [spec['clusterIP']])
        self.assertEqual(spec['ipFamilies'], ['IPv4'])
        self.assertEqual(spec['ipFamilyPolicy'], 'SingleStack')
        self.assertTrue(30000 <= spec['ports'][0]['nodePort'] <= 32767)
        self.assertEqual(spec['ports'][0]['targetPort'], 80)
        self.assertEqual(spec['ports'][0]['protocol'], 'TCP')
        self.assertEqual((spec['externalTrafficPolicy'], spec['internalTrafficPolicy'], spec['sessionAffinity']),
                         ('Cluster', 'Cluster', 'None'))
        self.assertIs(spec['allocateLoadBalancerNodePorts'], True)
        self.assertEqual(o['status'], {'loadBalancer': {}})
        self.assertEqual(list(spec), ['ports', 'clusterIP', 'clusterIPs', 'type', 'sessionAffinity',
                                      'externalTrafficPolicy', 'ipFamilies', 'ipFamilyPolicy',
                                      'allocateLoadBalancerNodePorts', 'internalTrafficPolicy'])

    def test_conflicts(self):
        o = self.s.create(SVC, svc('c1'))
        r = self.s.request('POST', SVC, svc('c1'))
        self.assertEqual((r.status, r.json()['reason'], r.json()['message']),
                         (409, 'AlreadyExists', 'services "c1" already exists'))
        stale = dict(o)
        p = self.s.request('PATCH', SVC + '/c1', {'metadata': {'labels': {'a': 'b'}}},
                           content_type='application/merge-patch+json')
        self.assertEqual(p.status, 200)
        r = self.s.request('PUT', SVC + '/c1', stale)
        self.assertEqual(r.status, 409)
        self.assertEqual(r.json(), {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {}, 'status': 'Failure',
                                    'message': 'Operation cannot be fulfilled on services "c1": the object has been modified; please apply your changes to the latest version and try again',
                                    'reason': 'Conflict', 'details': {'name': 'c1', 'kind': 'services'}, 'code': 409})
        r = self.s.request('PATCH', SVC + '/c1', {'metadata': {'resourceVersion': '1'}},
                           content_type='application/merge-patch+json')
        self.assertEqual(r.status, 409)

    def test_noop_write_keeps_rv_and_sends_no_event(self):
        o = self.s.create(SVC, svc('n1', labels={'app': 'x'}))
        w = self.s.watch(SVC + '?watch=1&resourceVersion=%s&timeoutSeconds=2' % o['metadata']['resourceVersion'])
        p = self.s.request('PATCH', SVC + '/n1', {'metadata': {'labels': {'app': 'x'}}},
                           content_type='application/merge-patch+json').json()
        self.assertEqual(p['metadata']['resourceVersion'], o['metadata']['resourceVersion'])
        put = self.s.request('PUT', SVC + '/n1', o).json()
        self.assertEqual(put['metadata']['resourceVersion'], o['metadata']['resourceVersion'])
        self.assertEqual(w.events_until_end(), [])
        w.close()

    def test_generation_only_for_endpointslices(self):
        es = '/apis/discovery.k8s.io/v1/namespaces/demo/endpointslices'
        o = self.s.create(es, {'apiVersion': 'discovery.k8s.io/v1', 'kind': 'EndpointSlice',
                               'metadata': {'name': 'e1'}, 'addressType': 'IPv4', 'endpoints': []})
        self.assertEqual(o['metadata']['generation'], 1)
        self.assertIsNone(o['endpoints'])
        self.assertIsNone(o['ports'])
        p = self.s.request('PATCH', es + '/e1', {'metadata': {'labels': {'x': 'y'}}},
                           content_type='application/merge-patch+json').json()
        self.assertEqual(p['metadata']['generation'], 1)
        p = self.s.request('PATCH', es + '/e1', {'endpoints': [{'addresses': ['10.0.0.1']}]},
                           content_type='application/merge-patch+json').json()
        self.assertEqual(p['metadata']['generation'], 2)
        self.assertEqual(p['endpoints'], [{'addresses': ['10.0.0.1'], 'conditions': {}}])
        self.assertNotIn('generation', self.s.create(SVC, svc('g'))['metadata'])

    def test_status_subresource_rules(self):
        self.s.create(SVC, svc('st', type_='LoadBalancer'))
        ing = {'status': {'loadBalancer': {'ingress': [{'ip': '192.0.2.1'}]}}}
        r = self.s.request('PATCH', SVC + '/st', dict(ing, metadata={'labels': {'via': 'main'}}),
                           content_type='application/merge-patch+json').json()
        self.assertEqual(r['status'], {'loadBalancer': {}})          # status via main: ignored
        self.assertEqual(r['metadata']['labels'], {'via': 'main'})
        r = self.s.request('PATCH', SVC + '/st/status',
                           dict(ing, spec={'ports': [{'port': 81}]}, metadata={'labels': {'via': 'status'}}),
                           content_type='application/merge-patch+json').json()
        self.assertEqual(r['status']['loadBalancer']['ingress'], [{'ip': '192.0.2.1'}])
        self.assertEqual(r['spec']['ports'][0]['port'], 80)           # spec via status: ignored
        self.assertEqual(r['metadata']['labels'], {'via': 'status'})  # labels via status: applied
        mf = [m for m in r['metadata']['managedFields'] if m.get('subresource') == 'status']
        self.assertEqual(mf[0]['fieldsV1']['f:status'], {'f:loadBalancer': {'f:ingress': {}}})
        bad = self.s.request('PATCH', SVC + '/st/status', {'status': {'loadBalancer': {'ingress': [{'ip': 'x'}]}}},
                             content_type='application/merge-patch+json')
        self.assertEqual((bad.status, bad.json()['details']['causes'][0]['field']),
                         (422, 'status.loadBalancer.ingress[0].ip'))
        for ct, body in (('application/strategic-merge-patch+json', ing),
                         ('application/json-patch+json', [{'op': 'replace', 'path': '/status/loadBalancer/ingress/0/ip', 'value': '192.0.2.9'}])):
            r = self.s.request('PATCH', SVC + '/st/status', body, content_type=ct)
            self.assertEqual(r.status, 200, r.body)

    def test_server_side_apply_status_conflict_and_force(self):
        self.s.create(SVC, svc('ssa', type_='LoadBalancer'))
        self.s.request('PATCH', SVC + '/ssa/status', {'status': {'loadBalancer': {'ingress': [{'ip': '192.0.2.1'}]}}},
                       content_type='application/merge-patch+json', ua='other/1.0')
        body = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: ssa\nstatus:\n  loadBalancer:\n    ingress:\n    - ip: 192.0.2.2\n'
        r = self.s.request('PATCH', SVC + '/ssa/status?fieldManager=lbd', body, content_type='application/apply-patch+yaml')
        self.assertEqual(r.status, 409)
        self.assertEqual(r.json()['message'], 'Apply failed with 1 conflict: conflict with "other" with subresource "status" using v1: .status.loadBalancer.ingress')
        r = self.s.request('PATCH', SVC + '/ssa/status?fieldManager=lbd&force=true', body, content_type='application/apply-patch+yaml')
        self.assertEqual(r.status, 200, r.body)
        o = r.json()
        self.assertEqual(o['status']['loadBalancer']['ingress'], [{'ip': '192.0.2.2'}])
        self.assertEqual(o['metadata']['managedFields'][0]['operation'], 'Apply')
        r = self.s.request('PATCH', SVC + '/ssa/status', body, content_type='application/apply-patch+yaml')
        self.assertEqual(r.status, 422)

    def test_lease_rules(self):
        o = self.s.create(LEASES, lease('l1'))
        bad = dict(o)
        bad['metadata'] = {k: v for k, v in o['metadata'].items() if k != 'resourceVersion'}
        r = self.s.request('PUT', LEASES + '/l1', bad)
        self.assertEqual(r.status, 422)
        self.assertEqual(r.json()['message'], 'leases.coordination.k8s.io "l1" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update')
        for t, rest in (('2026-11-23T14:05:00Z', '"Z" as ".000000"'), ('2026-11-23T14:05:00.123Z', '".123Z" as ".000000"'),
                        ('2026-11-23T14:05:00.123456789Z', '"789Z" as "Z07:00"')):
            o2 = json.loads(json.dumps(o))
            o2['spec']['renewTime'] = t
            r = self.s.request('PUT', LEASES + '/l1', o2)
            self.assertEqual(r.status, 400)
            self.assertTrue(r.json()['message'].endswith('cannot parse ' + rest), r.json()['message'])
        o2 = json.loads(json.dumps(o))
        o2['spec']['renewTime'] = '2026-11-23T15:05:00.500000+01:00'
        r = self.s.request('PUT', LEASES + '/l1', o2)
        self.assertEqual(r.json()['spec']['renewTime'], '2026-11-23T14:05:00.500000Z')
        o3 = r.json()
        o3['spec']['leaseDurationSeconds'] = 0
        self.assertEqual(self.s.request('PUT', LEASES + '/l1', o3).status, 422)
        o3['spec']['leaseDurationSeconds'] = '15'
        r = self.s.request('PUT', LEASES + '/l1', o3)
        self.assertEqual(r.json()['message'], 'Lease in version "v1" cannot be handled as a Lease: json: cannot unmarshal string into Go struct field LeaseSpec.spec.leaseDurationSeconds of type int32')
        # takeover with the current RV wins, a second one with the old RV loses
        cur = self.s.get(LEASES + '/l1').json()
        cur['spec']['holderIdentity'] = 'node-b'
        self.assertEqual(self.s.request('PUT', LEASES + '/l1', cur).status, 200)
        cur['spec']['holderIdentity'] = 'node-c'
        self.assertEqual(self.s.request('PUT', LEASES + '/l1', cur).status, 409)

    def test_delete_semantics(self):
        o = self.s.create(SVC, svc('d1'))
        r = self.s.request('DELETE', SVC + '/d1', {'preconditions': {'uid': '00000000-0000-0000-0000-000000000000'}})
        self.assertEqual(r.status, 409)
        r = self.s.request('DELETE', SVC + '/d1?dryRun=All')
        self.assertEqual(r.status, 200)
        self.assertEqual(self.s.get(SVC + '/d1').status, 200)
        r = self.s.request('DELETE', SVC + '/d1', {'propagationPolicy': 'Background'})
        self.assertEqual(r.json()['kind'], 'Service')
        self.assertGreater(int(r.json()['metadata']['resourceVersion']), int(o['metadata']['resourceVersion']))
        self.assertEqual(self.s.request('DELETE', SVC + '/d1').status, 404)
        self.s.create(LEASES, lease('l'))
        r = self.s.request('DELETE', LEASES + '/l').json()
        self.assertEqual((r['kind'], r['status'], r['details']['group']), ('Status', 'Success', 'coordination.k8s.io'))

    def test_namespace_lifecycle(self):
        self.ns('doomed')
        r = self.s.request('DELETE', '/api/v1/namespaces/doomed').json()
        self.assertEqual(r['status']['phase'], 'Terminating')
        r = self.s.request('POST', '/api/v1/namespaces/doomed/services', svc('late'))
        self.assertEqual((r.status, r.json()['details']['causes'][0]['reason']), (403, 'NamespaceTerminating'))
        r = self.s.request('POST', '/api/v1/namespaces/nosuch/services', svc('x'))
        self.assertEqual((r.status, r.json()['message']), (404, 'namespaces "nosuch" not found'))
        self.assertEqual(self.s.request('DELETE', '/api/v1/namespaces/default').status, 403)


class Lists(ServerTest):
    def setUp(self):
        super().setUp()
        self.ns('paging')
        self.p = '/api/v1/namespaces/paging/services'
        for n in 'abcde':
            self.s.create(self.p, svc('svc-' + n, labels={'letter': n, 'app': 'paging'}))

    def test_paging_snapshot(self):
        p1 = self.s.get(self.p + '?limit=2').json()
        m = p1['metadata']
        self.assertEqual([i['metadata']['name'] for i in p1['items']], ['svc-a', 'svc-b'])
        self.assertEqual(m['remainingItemCount'], 3)
        tok = json.loads(base64.urlsafe_b64decode(m['continue'] + '=='))
        self.assertEqual(tok, {'v': 'meta.k8s.io/v1', 'rv': int(m['resourceVersion']), 'start': 'svc-b\x00'})
        self.s.create(self.p, svc('svc-bb'))
        p2 = self.s.get(self.p + '?limit=2&continue=' + m['continue']).json()
        self.assertEqual([i['metadata']['name'] for i in p2['items']], ['svc-c', 'svc-d'])
        self.assertEqual(p2['metadata']['resourceVersion'], m['resourceVersion'])
        self.assertEqual(p2['metadata']['remainingItemCount'], 1)
        p3 = self.s.get(self.p + '?limit=2&continue=' + p2['metadata']['continue']).json()
        self.assertEqual([i['metadata']['name'] for i in p3['items']], ['svc-e'])
        self.assertEqual(p3['metadata'], {'resourceVersion': m['resourceVersion']})

    def test_rv0_ignores_limit_and_bad_tokens(self):
        r = self.s.get(self.p + '?limit=2&resourceVersion=0').json()
        self.assertEqual(len(r['items']), 5)
        self.assertNotIn('continue', r['metadata'])
        r = self.s.get(self.p + '?limit=2&continue=garbage')
        self.assertEqual((r.status, r.json()['message']), (400, "invalid continue token: continue key is not valid: invalid character '\\u0081' looking for beginning of value"))

    def test_selectors(self):
        r = self.s.get(self.p + '?labelSelector=letter%20in%20(a,c),app=paging').json()
        self.assertEqual([i['metadata']['name'] for i in r['items']], ['svc-a', 'svc-c'])
        r = self.s.get(self.p + '?labelSelector=a%20b')
        self.assertEqual(r.json()['message'], "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt")
        r = self.s.get(self.p + '?fieldSelector=metadata.name%3Dsvc-d').json()
        self.assertEqual([i['metadata']['name'] for i in r['items']], ['svc-d'])
        r = self.s.get(self.p + '?fieldSelector=spec.type%3DLoadBalancer')
        self.assertEqual((r.status, r.json()['message']), (400, '"spec.type" is not a known field selector: only "metadata.name", "metadata.namespace"'))
        r = self.s.get('/api/v1/nodes?fieldSelector=metadata.namespace%3D')
        self.assertEqual(r.json()['message'], 'field label not supported: metadata.namespace')
        r = self.s.get('/api/v1/services?fieldSelector=metadata.namespace%3Dpaging,metadata.name!%3Dsvc-a').json()
        self.assertEqual(len(r['items']), 4)

    def test_compaction_gives_410(self):
        first = self.s.get(self.p + '?limit=2').json()
        old = first['metadata']['resourceVersion']
        self.s.request('PATCH', self.p + '/svc-a', {'metadata': {'labels': {'n': '1'}}}, content_type='application/merge-patch+json')
        self.s.control('POST', '/compact', {})
        r = self.s.get(self.p + '?resourceVersion=%s&resourceVersionMatch=Exact' % old)
        self.assertEqual((r.status, r.json()['message']), (410, 'The resourceVersion for the provided list is too old.'))
        self.assertEqual(self.s.get(self.p + '?resourceVersion=%s&limit=2' % old).status, 410)
        self.assertEqual(self.s.get(self.p + '?resourceVersion=%s' % old).status, 200)
        r = self.s.get(self.p + '?limit=2&continue=' + first['metadata']['continue'])
        self.assertEqual(r.status, 410)
        tok = json.loads(base64.urlsafe_b64decode(r.json()['metadata']['continue'] + '=='))
        self.assertEqual(tok['rv'], -1)
        w = self.s.watch(self.p + '?watch=1&resourceVersion=%s&timeoutSeconds=5' % old)
        ev = w.next_event()
        self.assertEqual((ev['type'], ev['object']['code'], ev['object']['reason']), ('ERROR', 410, 'Expired'))
        self.assertTrue(ev['object']['message'].startswith('too old resource version: %s (' % old))
        self.assertIsNone(w.next_event())
        w.close()

    def test_future_rv(self):
        cur = int(self.s.get(self.p).json()['metadata']['resourceVersion'])
        self.s.control('POST', '/options', {'tooLargeRvWait': 0.5})
        for query in ('', '&resourceVersionMatch=NotOlderThan'):
            t0 = time.monotonic()
            r = self.s.get(self.p + '?resourceVersion=%d%s' % (cur + 1000, query))
            self.assertGreaterEqual(time.monotonic() - t0, 0.5, query)   # the cacher waited first
            self.assertEqual((r.status, r.header('Retry-After'), r.json()['reason']), (504, '1', 'Timeout'))
            self.assertEqual(r.json()['message'], 'Timeout: Too large resource version: %d, current: %d'
                             % (cur + 1000, cur))
            self.assertEqual(r.json()['details'], {'causes': [{'reason': 'ResourceVersionTooLarge',
                                                               'message': 'Too large resource version'}],
                                                   'retryAfterSeconds': 1})
        # With a limit the list goes to etcd: no wait, and its error has no retry advice
        t0 = time.monotonic()
        r = self.s.get(self.p + '?resourceVersion=%d&resourceVersionMatch=NotOlderThan&limit=2' % (cur + 1000))
        self.assertLess(time.monotonic() - t0, 0.4)
        self.assertEqual((r.status, r.header('Retry-After'), r.json()['reason']), (504, None, 'Timeout'))
        self.assertEqual(r.json()['details'], {'causes': [{'reason': 'ResourceVersionTooLarge',
                                                           'message': 'Too large resource version'}]})
        self.assertEqual(len(self.s.get(self.p + '?resourceVersion=%d&resourceVersionMatch=NotOlderThan&limit=2'
                                        % cur).json()['items']), 2)
        # Exact is served by etcd: no wait, the recorded 500
        t0 = time.monotonic()
        r = self.s.get(self.p + '?resourceVersion=%d&resourceVersionMatch=Exact' % (cur + 1000))
        self.assertEqual((r.status, r.json()['message']), (500, 'etcdserver: mvcc: required revision is a future revision'))
        self.assertLess(time.monotonic() - t0, 0.4)

    def test_future_rv_reached_while_waiting_is_served(self):
        # The cacher waits for the resourceVersion; a write that gets there in time lets it answer.
        cur = int(self.s.get(self.p).json()['metadata']['resourceVersion'])
        self.s.control('POST', '/options', {'tooLargeRvWait': 5})
        out = {}
        reader = threading.Thread(target=lambda: out.update(
            r=self.s.get(self.p + '?resourceVersion=%d&resourceVersionMatch=NotOlderThan' % (cur + 1))))
        reader.start()
        time.sleep(0.5)
        self.assertTrue(reader.is_alive())
        self.s.request('PATCH', self.p + '/svc-a', {'metadata': {'labels': {'n': '2'}}},
                       content_type='application/merge-patch+json')
        reader.join(5)
        self.assertEqual(out['r'].status, 200)
        self.assertEqual(out['r'].json()['metadata']['resourceVersion'], str(cur + 1))


class Watches(ServerTest):
    server_args = ('--bookmark-interval', '1', '--bookmark-before-timeout', '0.5')

    def setUp(self):
        super().setUp()
        self.ns('demo')
        self.ns('other')

    def test_events_and_selector_transitions(self):
        rv = self.s.get(SVC).json()['metadata']['resourceVersion']
        w = self.s.watch(SVC + '?watch=1&labelSelector=app%3Dw1&resourceVersion=' + rv + '&timeoutSeconds=3')
        self.assertEqual(w.status, 200)
        self.assertEqual(dict(w.headers).get('Transfer-Encoding'), 'chunked')
        self.s.create(SVC, svc('w1', labels={'app': 'w1'}))
        for v in ('other', 'w1'):
            self.s.request('PATCH', SVC + '/w1', {'metadata': {'labels': {'app': v}}}, content_type='application/merge-patch+json')
        self.s.request('DELETE', SVC + '/w1')
        evs = w.events_until_end()
        self.assertEqual([e['type'] for e in evs], ['ADDED', 'DELETED', 'ADDED', 'DELETED'])
        self.assertEqual(evs[1]['object']['metadata']['labels'], {'app': 'w1'})   # old content, new RV
        self.assertTrue(all(c.endswith(b'\n') and c.count(b'\n') == 1 for c in w.chunks))
        self.assertTrue(w.ended_cleanly)
        w.close()

    def test_resume_from_rv_and_rv0(self):
        a = self.s.create(SVC, svc('a'))
        self.s.create(SVC, svc('b'))
        w = self.s.watch(SVC + '?watch=1&timeoutSeconds=1&resourceVersion=' + a['metadata']['resourceVersion'])
        self.assertEqual([(e['type'], e['object']['metadata']['name']) for e in w.events_until_end()], [('ADDED', 'b')])
        w = self.s.watch(SVC + '?watch=1&timeoutSeconds=1&resourceVersion=0')
        self.assertEqual(sorted(e['object']['metadata']['name'] for e in w.events_until_end()), ['a', 'b'])

    def test_bookmarks(self):
        rv = self.s.get(SVC).json()['metadata']['resourceVersion']
        w = self.s.watch(SVC + '?watch=1&allowWatchBookmarks=true&timeoutSeconds=3&resourceVersion=' + rv)
        t0 = time.monotonic()
        self.s.create('/api/v1/namespaces/other/services', svc('x'))   # another namespace advances it
        evs = w.events_until_end()
        self.assertGreater(time.monotonic() - t0, 2.5)
        bms = [e for e in evs if e['type'] == 'BOOKMARK']
        self.assertGreaterEqual(len(bms), 2)
        self.assertEqual(set(bms[0]['object']), {'kind', 'apiVersion', 'metadata', 'spec', 'status'})
        self.assertEqual(bms[0]['object']['metadata']['creationTimestamp'], None)
        self.assertGreater(int(bms[0]['object']['metadata']['resourceVersion']), int(rv))
        # nothing of the type written since the start: no bookmark at all
        rv = self.s.get(SVC).json()['metadata']['resourceVersion']
        w = self.s.watch(SVC + '?watch=1&allowWatchBookmarks=true&timeoutSeconds=2&resourceVersion=' + rv)
        self.assertEqual(w.events_until_end(), [])
        # events: no watch cache, no bookmarks
        self.s.create('/api/v1/namespaces/demo/events', {'apiVersion': 'v1', 'kind': 'Event', 'metadata': {'name': 'e'},
                                                         'involvedObject': {'kind': 'Service', 'namespace': 'demo', 'name': 'x'}})
        w = self.s.watch('/api/v1/namespaces/demo/events?watch=1&allowWatchBookmarks=true&timeoutSeconds=2&resourceVersion=0')
        self.assertEqual([e['type'] for e in w.events_until_end()], ['ADDED'])

    def test_connection_kept_alive_after_a_watch_ends(self):
        w = self.s.watch(SVC + '?watch=1&timeoutSeconds=1&resourceVersion=0')
        self.assertEqual(w.events_until_end(), [])
        self.assertTrue(w.ended_cleanly)
        w.sock.sendall(b'GET /version HTTP/1.1\r\nHost: x\r\n\r\n')
        self.assertTrue(w._read_until(b'\r\n\r\n').startswith(b'HTTP/1.1 200 OK'))

    def test_watch_errors(self):
        w = self.s.watch(SVC + '?watch=1&resourceVersion=abc')
        self.assertEqual(w.status, 500)
        w = self.s.watch(SVC + '?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan')
        self.assertEqual(w.status, 422)
        w = self.s.watch(SVC + '?watch=1&fieldSelector=spec.type%3DLoadBalancer')
        self.assertEqual(w.status, 400)
        r = self.s.get(SVC + '/none?watch=1')
        self.assertEqual(r.status, 404)   # not a watch: a GET of the object

    def test_http2_watch_with_curl(self):
        s = self.s
        out = subprocess.run(['curl', '-sS', '--http2', '-N', '--cacert', s.ca, '-H', 'Authorization: Bearer ' + ADMIN,
                              '-w', '%{http_version}', 'https://127.0.0.1:%d%s?watch=1&timeoutSeconds=1&resourceVersion=0' % (s.port, SVC)],
                             capture_output=True, timeout=20)
        self.assertTrue(out.stdout.endswith(b'2'), out)


class Auth(ServerTest):
    def test_authn_and_authz(self):
        r = self.s.get('/api/v1/namespaces/default/services', token='nope')
        self.assertEqual(r.status, 401)
        self.assertIsNone(r.header('X-Kubernetes-Pf-Flowschema-Uid'))
        r = self.s.get('/api/v1/namespaces/demo/services', token=None)
        self.assertEqual(r.json()['message'], 'services is forbidden: User "system:anonymous" cannot list resource "services" in API group "" in the namespace "demo"')
        self.assertEqual(r.header('X-Content-Type-Options'), 'nosniff')
        self.assertEqual(self.s.get('/version', token=None).status, 200)
        self.assertEqual(self.s.get('/api', token=None).json()['message'], 'forbidden: User "system:anonymous" cannot get path "/api"')
        self.assertEqual(self.s.get('/api', token=LIMITED).status, 200)
        r = self.s.get('/apis/coordination.k8s.io/v1/namespaces/demo/leases/x', token=LIMITED)
        self.assertEqual(r.json()['details'], {'name': 'x', 'group': 'coordination.k8s.io', 'kind': 'leases'})
        r = self.s.get('/api/v1/services', token=LIMITED)
        self.assertTrue(r.json()['message'].endswith('at the cluster scope'))
        # per-token allow-lists
        self.assertEqual(self.s.get('/api/v1/services', token=LBD).status, 200)
        self.assertEqual(self.s.request('POST', '/api/v1/namespaces/default/services', svc('x'), token=LBD).status, 403)
        self.ns('lbd-system')
        self.assertEqual(self.s.request('POST', '/apis/coordination.k8s.io/v1/namespaces/lbd-system/leases', lease('a'), token=LBD).status, 201)
        self.assertEqual(self.s.request('POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', lease('a'), token=LBD).status, 403)
        r = self.s.request('PATCH', '/api/v1/namespaces/default/services/kubernetes/status', {}, token=LBD,
                           content_type='application/merge-patch+json')
        self.assertEqual(r.status, 200)


class HTTPErrors(ServerTest):
    def test_error_bodies(self):
        self.ns('demo')
        self.s.create(SVC, svc('e1'))
        cases = [
            (('GET', SVC + '/nosuch'), 404, 'services "nosuch" not found'),
            (('GET', '/api/v1/namespaces/demo/nosuchresources'), 404, 'the server could not find the requested resource'),
            (('GET', SVC + '/e1/nosuchsub'), 404, 'the server could not find the requested resource'),
            (('PUT', SVC, {}), 405, 'the server does not allow this method on the requested resource'),
        ]
        for args, code, msg in cases:
            r = self.s.request(*args)
            self.assertEqual((r.status, r.json()['message']), (code, msg))
        r = self.s.request('PATCH', SVC + '/e1', {'metadata': {}}, content_type='application/json')
        self.assertEqual((r.status, r.json()['message']), (415, '415: Unsupported Media Type'))
        r = self.s.request('POST', SVC, 'x', content_type='text/plain')
        self.assertEqual(r.status, 415)
        r = self.s.get(SVC + '/e1', headers={'Accept': 'text/html'})
        self.assertEqual(r.status, 406)
        self.assertTrue(r.body.startswith(b'{\n  "kind": "Status"'))
        r = self.s.get('/apis/nosuch.example.com/v1')
        self.assertEqual((r.status, r.body, r.header('Content-Type')), (404, b'404 page not found\n', 'text/plain; charset=utf-8'))
        r = self.s.request('POST', SVC + '?fieldValidation=Strict', {'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': 'u'}, 'spec': {'ports': [{'port': 80}]}, 'bogus': 1})
        self.assertEqual(r.json()['message'], 'Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "bogus"')
        r = self.s.request('POST', SVC, {'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': 'u'}, 'spec': {'ports': [{'port': 80}], 'bogus': 1}})
        self.assertEqual((r.status, r.header('Warning')), (201, '299 - "unknown field \\"spec.bogus\\""'))
        r = self.s.request('POST', SVC, {'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': 'bad-port'}, 'spec': {'type': 'LoadBalancer', 'ports': [{'port': 0}]}})
        self.assertEqual([c['field'] for c in r.json()['details']['causes']], ['spec.ports[0].port', 'spec.ports[0].targetPort'])

    def test_pretty_and_framing(self):
        r = self.s.get('/api/v1/namespaces/default/services/kubernetes', ua='curl/7.88.1')
        self.assertTrue(r.body.startswith(b'{\n  "kind"'))
        r = self.s.get('/api/v1/namespaces/default/services/kubernetes?pretty=false', ua='curl/7.88.1')
        self.assertTrue(r.body.startswith(b'{"kind"') and r.body.endswith(b'}\n'))
        self.assertIsNotNone(r.header('Content-Length'))
        for h in ('Audit-Id', 'Cache-Control', 'X-Kubernetes-Pf-Flowschema-Uid', 'X-Kubernetes-Pf-Prioritylevel-Uid', 'Date'):
            self.assertIsNotNone(r.header(h), h)
        r = self.s.get('/apis', headers={'Accept': 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json'})
        self.assertEqual(r.header('Content-Type'), 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList')
        etag = r.header('Etag')
        self.assertRegex(etag, r'^"[0-9A-F]{128}"$')
        r = self.s.get('/apis', headers={'Accept': 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json',
                                         'If-None-Match': etag})
        self.assertEqual((r.status, r.body), (304, b''))


if __name__ == '__main__':
    unittest.main()
