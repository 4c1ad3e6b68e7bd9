"""Recorded exchanges (k8s-api-samples, kube-apiserver v1.28.7) replayed against the test server.

Each test replays one section in the order of its capture script, with the script's unrecorded
setup steps (`q` in capture/*.sh) in between, and compares status, key headers and the bodies
(see recordings.py for what is normalised). Exchanges that depend on state from other sections or
on things the double deliberately does not have are listed in SKIPPED with the reason.
"""

import os
import time
import unittest

from harness import ServerTest, Burst, SAMPLES, SA
from recordings import Replayer, Exchange

P = '/api/v1/namespaces/demo/services'

SKIPPED = {
    '03-services/16-list-all-namespaces-limit2': 'lists services of every section',
    '06-errors/41-limited-token-selfsubjectaccessreview': 'managedFields on a review object',
    '09-endpointslices/06-list-all-namespaces-by-service-name': 'lists slices of other sections',
    '12-fieldselectors/*': 'queries objects made by sections 03-11 (only the 400s are replayed)',
    '14-namespaces/03-list-namespaces': 'lists the namespaces of every section',
    '14-namespaces/08-get-default-kubernetes-service': 'clusterIP/targetPort of the real apiserver',
    '01-discovery/*': 'full discovery of a real cluster: compared for shape only',
}


def svc(name, **spec):
    return {'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': name}, 'spec': spec}


@unittest.skipUnless(os.path.isdir(SAMPLES), 'recordings not available')
class Recordings(ServerTest):
    def setUp(self):
        super().setUp()
        self.r = Replayer(self.s)
        self.r.setup('POST', '/api/v1/namespaces', {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'demo'}})

    def run_steps(self, section, steps):
        done = 0
        for step in steps:
            if step[0] == 'q':
                self.r.setup(*step[1:])
            else:
                opts = step[2] if len(step) > 2 else {}
                self.r.replay(section, step[1], **opts)
                done += 1
        self.assertEqual(self.r.problems, [], '\n'.join(self.r.problems))
        return done

    def all_steps(self, section, skip=(), tokens=None):
        names = sorted(f[:-len('.request.txt')] for f in os.listdir(os.path.join(SAMPLES, section))
                       if f.endswith('.request.txt') and os.path.exists(os.path.join(SAMPLES, section, f[:-12] + '.response.txt')))
        return [('x', n, {'token': (tokens or {}).get(n, 'admin')}) for n in names if n not in skip]

    def test_03_services(self):
        steps = self.all_steps('03-services', skip={'16-list-all-namespaces-limit2'})
        page = {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'paging'}}
        setup = [('q', 'POST', '/api/v1/namespaces', page)] + [
            ('q', 'POST', '/api/v1/namespaces/paging/services',
             {'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': 'svc-' + n, 'labels': {'app': 'paging', 'letter': n}},
              'spec': {'ports': [{'port': 80}]}}) for n in 'abcde']
        out = []
        for st in steps:
            if st[1] == '10-list-limit2-page1':
                out += setup
            out.append(st)
            if st[1] == '15a-list-limit2-page1-again':
                out.append(('q', 'POST', '/api/v1/namespaces/paging/services', svc('svc-bb', ports=[{'port': 80}])))
            if st[1] == '15b-list-page2-after-creating-svc-bb':
                out.append(('q', 'DELETE', '/api/v1/namespaces/paging/services/svc-bb'))
        # 30-35 come after 22 in the script but before 36/37: file order already matches.
        self.run_steps('03-services', out)

    def test_06_errors(self):
        tokens = {n: 'limited' for n in ('34-limited-token-list-403', '35-limited-token-cluster-list-403',
                                         '36-limited-token-get-lease-403', '37-limited-token-patch-status-403',
                                         '38-limited-token-watch-403', '39-limited-token-discovery-api-200',
                                         '40-limited-token-missing-object-403-not-404',
                                         '41-limited-token-selfsubjectaccessreview')}
        tokens.update({'30-bad-token-401': 'bad', '31-no-token-anonymous-403': 'none',
                       '32-no-token-anonymous-version-200': 'none', '33-no-token-anonymous-api-403': 'none'})
        steps = self.all_steps('06-errors', skip={'41-limited-token-selfsubjectaccessreview',
                                                  '32-no-token-anonymous-version-200', '25-put-missing-service-creates-201',
                                                  '01-put-stale-resourceVersion-409', '14-put-immutable-clusterIP-422',
                                                  '15-put-name-mismatch-400'}, tokens=tokens)
        pre = [('q', 'POST', P, svc('err1', ports=[{'port': 80}])),
               ('q', 'PATCH', P + '/err1', '{"metadata":{"labels":{"bump":"1"}}}', 'application/merge-patch+json')]
        out = []
        for st in steps:
            if st[1] == '50-delete-namespace-200-terminating':
                out.append(('q', 'POST', '/api/v1/namespaces', {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'doomed'}}))
            out.append(st)
        # 01/14/15 send bodies built from an unrecorded GET: replay them after binding err1 by a GET.
        self.run_steps('06-errors', pre + [('x', '02-post-existing-name-409')] + out)
        self.r.replay('06-errors', '25-put-missing-service-creates-201')
        self.assertEqual(self.r.problems, [], '\n'.join(self.r.problems))

    def test_07_status(self):
        self.run_steps('07-status', self.all_steps('07-status'))

    def test_08_leases(self):
        steps = self.all_steps('08-leases', skip={'22-list-leases-kube-system'})
        # 09b was recorded after 18 (its body carries RV 510, the RV written by 17).
        b = [s for s in steps if s[1].startswith('09b')]
        steps = [s for s in steps if not s[1].startswith('09b')]
        i = next(i for i, s in enumerate(steps) if s[1].startswith('19'))
        self.run_steps('08-leases', steps[:i] + b + steps[i:])

    def test_09_endpointslices(self):
        steps = self.all_steps('09-endpointslices', skip={'06-list-all-namespaces-by-service-name'})
        self.run_steps('09-endpointslices', steps)

    def test_10_nodes(self):
        self.run_steps('10-nodes', self.all_steps('10-nodes'))

    def test_11_events(self):
        self.run_steps('11-events', self.all_steps('11-events'))

    def test_12_fieldselector_errors(self):
        names = [n for n in ('07-svc-spec.type', '08-svc-spec.clusterIP', '09-svc-spec.loadBalancerClass',
                             '10-svc-status-field', '11-svc-metadata.labels', '12-svc-set-based-syntax-rejected',
                             '14-svc-watch-with-fieldSelector-unsupported', '21-endpointslice-addressType',
                             '31-lease-spec.holderIdentity', '41-node-metadata.namespace', '52-event-unsupported-message')]
        self.run_steps('12-fieldselectors', [('x', n) for n in names])

    def test_14_namespaces(self):
        steps = self.all_steps('14-namespaces', skip={'03-list-namespaces', '08-get-default-kubernetes-service'})
        self.run_steps('14-namespaces', steps)

    def test_05_compaction(self):
        pg = '/api/v1/namespaces/paging/services'
        self.r.setup('POST', '/api/v1/namespaces', {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'paging'}})
        for n in 'abcde':
            self.r.setup('POST', pg, {'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': 'svc-' + n, 'labels': {'app': 'paging', 'letter': n}},
                                      'spec': {'ports': [{'port': 80}]}})
        self.r.setup('POST', pg, {'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': 'churn', 'labels': {'n': '0'}},
                                  'spec': {'ports': [{'port': 80}]}})
        self.r.replay('05-compaction', '01-list-limit2-before-compaction')
        for i in range(1, 151):
            self.r.setup('PATCH', pg + '/churn', '{"metadata":{"labels":{"n":"%d"}}}' % i, 'application/merge-patch+json')
        # `etcdctl compact`: etcd forgets, the watch cache does not
        self.s.control('POST', '/compact', {'watchCache': False})
        steps = [('x', n) for n in ('04-list-old-rv-match-Exact', '05-list-old-rv-match-NotOlderThan',
                                    '06-list-old-rv-no-match', '07-list-old-rv-with-limit', '08-list-old-continue-token',
                                    '09-list-match-without-rv', '10-list-match-Exact-rv0', '11-get-object-old-rv',
                                    '12-list-future-rv', '13-get-object-future-rv', '14-list-future-rv-Exact')]
        self.run_steps('05-compaction', steps)
        # the watch from the compacted RV is still served from the watch cache: all 150 events
        w = self.s.watch(pg + '?watch=1&resourceVersion=%s&timeoutSeconds=2' % self.r.binds[('str', '298')])
        evs = w.events_until_end()
        self.assertEqual([e['object']['metadata']['labels']['n'] for e in evs], [str(i) for i in range(1, 151)])

    def test_04_watch_parameters(self):
        self.r.setup('POST', '/api/v1/namespaces', {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'paging'}})
        for n in 'abcde':
            self.r.setup('POST', '/api/v1/namespaces/paging/services',
                         {'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': 'svc-' + n, 'labels': {'app': 'paging', 'letter': n}},
                          'spec': {'ports': [{'port': 80}]}})
        # RV unset: every object as ADDED, sorted (read from "etcd"), then the clean end
        for n in ('11-watch-no-rv-initial-state', '13-watch-invalid-rv', '14-watch-sendInitialEvents-feature-off',
                  '15-watch-single-object-by-name-path', '16-watch-via-deprecated-watch-prefix'):
            self.r.replay('04-watch', n)
        self.assertEqual(self.r.problems, [], '\n'.join(self.r.problems))

    def test_13_http(self):
        self.r.setup('POST', P, svc('lb1', type='LoadBalancer', ports=[{'port': 80}]))
        for n in ('10-pretty-printed-for-curl-user-agent', '11-curl-user-agent-pretty-false',
                  '12-other-user-agent-pretty-true', '13-browser-user-agent-pretty',
                  '15-gzip-small-response-not-compressed', '22-post-body-content-type-yaml-with-json-body',
                  '23-post-content-type-text-plain-415',
                  '24-healthz', '26-livez'):
            self.r.replay('13-http', n, headers_only=n.startswith(('1',)))
        self.assertEqual(self.r.problems, [], '\n'.join(self.r.problems))

    def test_01_discovery_shape(self):
        for n in ('02-api', '03-api-aggregated-v2beta1', '04-apis', '05-apis-aggregated-v2beta1',
                  '06-apis-aggregated-ask-v2-first', '08-apis-aggregated-only-no-fallback', '09-api-v1',
                  '10-apis-coordination.k8s.io', '11-apis-coordination.k8s.io-v1', '12-apis-discovery.k8s.io-v1',
                  '13-apis-events.k8s.io-v1', '14-apis-unknown-group', '15-openapi-v3-index',
                  '15b-openapi-v3-index-accept-json'):
            self.r.replay('01-discovery', n, body_only_shape=True)
        for n in ('16-openapi-v3-api-v1-with-hash', '17-openapi-v3-api-v1-without-hash',
                  '18-openapi-v3-coordination-v1'):
            x = Exchange('01-discovery', n)
            index = self.s.get('/openapi/v3').json()
            key = x.target.split('?')[0][len('/openapi/v3/'):]
            target = index['paths'][key]['serverRelativeURL'] if 'hash=' in x.target else '/openapi/v3/' + key
            r = self.s.get(target)
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header('Cache-Control'), x.resp_headers['cache-control'])
            self.assertEqual(r.header('Etag') is not None, True)
            self.assertEqual(r.json()['info'], {'title': 'Kubernetes', 'version': 'v1.28.7'})
        self.assertEqual(self.r.problems, [], '\n'.join(self.r.problems))
        # the recorded core/coordination/discovery/events resource entries are served verbatim
        import json as _j
        rec = _j.loads(Exchange('01-discovery', '11-apis-coordination.k8s.io-v1').resp_body)
        self.assertEqual(self.s.get('/apis/coordination.k8s.io/v1').json(), rec)
        rec = _j.loads(Exchange('01-discovery', '12-apis-discovery.k8s.io-v1').resp_body)
        self.assertEqual(self.s.get('/apis/discovery.k8s.io/v1').json(), rec)
        rec = _j.loads(Exchange('01-discovery', '13-apis-events.k8s.io-v1').resp_body)
        self.assertEqual(self.s.get('/apis/events.k8s.io/v1').json(), rec)


@unittest.skipUnless(os.path.isdir(os.path.join(SAMPLES, '16-priority-and-fairness')), 'recordings not available')
class PriorityAndFairness(ServerTest):
    """16-priority-and-fairness, recorded with --max-requests-inflight=4
    --max-mutating-requests-inflight=2: ServiceAccount lbd-system/lbd writes Service status; one
    answer is a 200, one a 429 of a full workload-low. The UIDs are the bootstrap ones."""
    server_args = ('--max-requests-inflight', '4', '--max-mutating-requests-inflight', '2')

    def test_16_priority_and_fairness(self):
        r = Replayer(self.s)
        r.setup('POST', '/api/v1/namespaces', {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'apf'}})
        # s7 as `kubectl create` made it (its managedFields entry is in the recorded answer)
        r.setup('POST', '/api/v1/namespaces/apf/services?fieldManager=kubectl-create', svc(
            's7', ports=[{'protocol': 'TCP', 'port': 80, 'targetPort': 80}], selector={'app': 'x'},
            type='LoadBalancer', sessionAffinity='None', externalTrafficPolicy='Cluster',
            internalTrafficPolicy='Cluster', allocateLoadBalancerNodePorts=False))
        ok = r.replay('16-priority-and-fairness', '01-status-patch-200', token='lbd-sa')
        # Fill workload-low for this flow: its 3 seats held by slow writes, the 6 queues of its
        # hand (50 each) by 300 more; the next write is turned away.
        self.s.fault(type='delay', seconds=30, count=3, method='PATCH', path='/services/hold-')
        held = Burst(self.s, [('PATCH', '/api/v1/namespaces/apf/services/hold-%d/status' % i, '{}')
                              for i in range(303)], token=SA)
        deadline = time.monotonic() + 60
        while self.s.control('GET', '/flowcontrol')['priorityLevels']['workload-low']['queued'] < 300:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        rejected = r.replay('16-priority-and-fairness', '02-status-patch-429', token='lbd-sa')
        self.assertEqual(r.problems, [], '\n'.join(r.problems))
        for name, got in (('01-status-patch-200', ok), ('02-status-patch-429', rejected)):
            x = Exchange('16-priority-and-fairness', name)
            self.assertEqual([(k, v) for k, v in got.headers if k.startswith('X-Kubernetes-Pf')],
                             [(k, v) for k, v in ((k, x.resp_headers[k.lower()]) for k in (
                                 'X-Kubernetes-Pf-Flowschema-Uid', 'X-Kubernetes-Pf-Prioritylevel-Uid'))])
        self.assertEqual([k for k, _ in rejected.headers],
                         ['Audit-Id', 'Cache-Control', 'Content-Type', 'Retry-After', 'X-Content-Type-Options',
                          'X-Kubernetes-Pf-Flowschema-Uid', 'X-Kubernetes-Pf-Prioritylevel-Uid', 'Date',
                          'Content-Length'])
        del held     # its 303 requests end with the server


if __name__ == '__main__':
    unittest.main()
